"""Import hooks: how a capability takes part in imports without the importer knowing it.

A capability declares hooks (``Capability.import_hooks``); whoever imports a file (the
``dothi import`` command, the demo) hands them to :func:`dothi.spatial.importer.import_file`.
For each import a hook is asked whether it applies; if it does, it may rewrite the file's
schema and every batch before the rows are checked (planning fills land-use codes from
drawing layer names per Circular 16/2025/TT-BXD, for instance), and add warnings to the
report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

    from dothi.spatial.layers import Layer


class BatchHook(Protocol):
    """One import's part of a hook."""

    def schema(self, schema: pa.Schema) -> pa.Schema:
        """The file's schema as the batches will look after :meth:`apply`."""

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """One batch, rewritten."""

    def warnings(self) -> list[str]:
        """What the report should say once the import is done."""


#: ``hook(layer, source_layer, schema, geometry_column)``: a :class:`BatchHook` for an
#: import into ``layer`` of the file's ``source_layer``, or None when it does not apply.
ImportHook = Callable[["Layer", str | None, "pa.Schema", str], BatchHook | None]
