"""What an import did (:class:`ImportReport`), shared by the importer and the writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dothi.spatial.batches import RowNote


@dataclass
class ImportReport:
    """What an import did, row by row where it matters."""

    layer_id: str
    changeset_id: int = 0
    source: str = ""
    source_crs: str | None = None
    encoding: str | None = None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    rejected: int = 0
    flagged: int = 0
    notes: list[RowNote] = field(default_factory=list)
    report_path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counters as a dict (stored in the change set)."""
        return {
            k: getattr(self, k)
            for k in (
                "read",
                "inserted",
                "updated",
                "unchanged",
                "repaired",
                "rejected",
                "flagged",
            )
        }
