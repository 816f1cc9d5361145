"""What an import did (:class:`ImportReport`), shared by the importer and the writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dothi.spatial.batches import RowNote
from dothi.spatial.column_map import ColumnChoice, how_label
from dothi.spatial.placement import PlacementCounts


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
    #: How each column of the file was matched to a field of the layer.
    columns: list[ColumnChoice] = field(default_factory=list)
    #: The import created the layer.
    created_layer: bool = False
    #: What the place checks found (:mod:`dothi.spatial.placement`).
    placement: PlacementCounts = field(default_factory=PlacementCounts)

    @property
    def nothing_changed(self) -> bool:
        """The import changed nothing, so no change set was kept."""
        return self.changeset_id == 0 and not self.created_layer

    @property
    def renamed_columns(self) -> list[ColumnChoice]:
        """The columns that fill a field of another name."""
        return [c for c in self.columns if c.source != c.target]

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


def report_json(r: ImportReport) -> dict[str, Any]:
    """The report as the data API answers it: counts, column matches, place checks and the
    first rejected rows."""
    p = r.placement
    return {
        "layer_id": r.layer_id,
        "created_layer": r.created_layer,
        "changeset_id": r.changeset_id or None,
        "nothing_changed": r.nothing_changed,
        "counts": r.counts(),
        "source_crs": r.source_crs,
        "encoding": r.encoding,
        "columns": [
            {
                "source": c.source,
                "target": c.target,
                "how": c.how,
                "how_label": how_label(c.how),
            }
            for c in r.renamed_columns
        ],
        "placement": {
            "misplaced": p.misplaced,
            "outside_commune": p.outside_commune,
            "far_from_layer": p.far_from_layer,
            "outside_vietnam": p.outside_vietnam,
        },
        "warnings": list(r.warnings),
        # The first problem rows; the whole list stays in the report file on the server.
        "rejected_rows": [
            {"row": n.row, "key": n.key, "reason": n.reason}
            for n in r.notes
            if n.kind == "rejected"
        ][:20],
    }
