"""Planning drawing layer names per Circular 16/2025/TT-BXD (tên lớp bản vẽ quy hoạch).

A layer of a planning drawing is named ``<stage prefix>_<land code>[_<level suffix>]``, e.g.
``QH_DAT_O_NHOMNHAO_PK``: planned (``QH``), housing-group land, zoning-plan level. The table
of prefixes, codes and suffixes lives in ``data/circular16_layers.json`` with its source and
``confirmed`` flags, because it has not been checked against the official text; correct the
file, not this module. :func:`parse_layer_name` reads a name into its parts and the table
entry that says what the layer holds in Dothi's terms.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

#: What separates the parts of a name: ``_`` by the Circular; ``-`` and spaces are
#: tolerated because CAD users and file systems substitute them.
_SEPARATORS = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True)
class CodeEntry:
    """One land code of the Circular and what it means in Dothi."""

    code: str
    plan: str
    vi: str
    en: str
    #: Per target layer id: the properties a feature of this code gets when it has none.
    fill: Mapping[str, Mapping[str, str]]
    confirmed: bool

    def fill_for(self, layer_id: str) -> Mapping[str, str]:
        """The properties this code fills in layer ``layer_id`` (empty if none)."""
        return self.fill.get(layer_id, {})


@dataclass(frozen=True)
class Target:
    """A Dothi layer that takes Circular names: where the name and the stage are kept."""

    name_property: str
    stage_property: str


@dataclass(frozen=True)
class NamingTable:
    """The Circular's naming as Dothi holds it (see ``data/circular16_layers.json``)."""

    #: Code (and every alias) in upper case → entry.
    codes: Mapping[str, CodeEntry]
    #: Stage prefix → ``existing`` / ``planned``.
    stages: Mapping[str, str]
    #: Level suffix → its description (``vi``, ``en``, ``confirmed``).
    levels: Mapping[str, Mapping[str, Any]]
    targets: Mapping[str, Target]


@dataclass(frozen=True)
class LayerName:
    """A layer name read per the Circular. ``name`` is kept exactly as it was given."""

    name: str
    #: The prefix as written (upper case), e.g. ``QH``; None when the name has none.
    stage_prefix: str | None
    #: ``existing`` or ``planned``; None when the name has no prefix.
    stage: str | None
    entry: CodeEntry
    #: What follows the code (tokens joined by ``_``, upper case), or None.
    level: str | None
    #: False when ``level`` is not in the table's level suffixes.
    level_known: bool

    @property
    def code(self) -> str:
        """The land code (canonical spelling, even when the name used an alias)."""
        return self.entry.code


@cache
def naming_table() -> NamingTable:
    """The naming table shipped with Dothi (read once)."""
    path = resources.files("dothi.planning") / "data" / "circular16_layers.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return build_table(raw)


def build_table(raw: Mapping[str, Any]) -> NamingTable:
    """A table from the JSON document's structure (codes, aliases, stages, levels, targets)."""
    codes: dict[str, CodeEntry] = {}
    for item in raw["codes"]:
        entry = CodeEntry(
            code=_key(item["code"]),
            plan=item["plan"],
            vi=item["vi"],
            en=item["en"],
            fill={layer: dict(props) for layer, props in item.get("fill", {}).items()},
            confirmed=bool(item.get("confirmed", False)),
        )
        for spelling in [item["code"], *item.get("aliases", [])]:
            key = _key(spelling)
            if key in codes:
                raise ValueError(f"circular16_layers.json: code {key} listed twice")
            codes[key] = entry
    return NamingTable(
        codes=codes,
        stages={_key(s["prefix"]): s["stage"] for s in raw["stages"]},
        levels={_key(lv["suffix"]): dict(lv) for lv in raw["levels"]},
        targets={
            layer: Target(t["name_property"], t["stage_property"])
            for layer, t in raw["targets"].items()
        },
    )


def _tokens(name: str) -> list[str]:
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").upper()
    return [t for t in _SEPARATORS.split(text) if t]


def _key(code: str) -> str:
    return "_".join(_tokens(code))


def parse_layer_name(name: str | None, table: NamingTable | None = None) -> LayerName | None:
    """Read a layer name per Circular 16/2025/TT-BXD; None if it does not follow it.

    Case and tone marks are ignored and ``-`` or spaces count as ``_``. The stage prefix
    may be missing. The longest code of the table that the name starts with (after the
    prefix) wins; whatever follows is the level suffix, accepted even when the table does
    not know it (``level_known`` says so), since the suffix does not change what the
    land is.

    >>> p = parse_layer_name("QH_DAT_O_NHOMNHAO_PK")
    >>> (p.stage, p.code, p.level, p.entry.fill_for("planning_zone")["land_use_function"])
    ('planned', 'DAT_O_NHOMNHAO', 'PK', 'residential')
    >>> parse_layer_name("duong_giao_thong") is None
    True
    """
    if not name:
        return None
    table = table or naming_table()
    tokens = _tokens(name)
    prefix = tokens[0] if tokens and tokens[0] in table.stages else None
    rest = tokens[1:] if prefix else tokens
    for end in range(len(rest), 0, -1):
        entry = table.codes.get("_".join(rest[:end]))
        if entry is None:
            continue
        suffix = rest[end:]
        level = "_".join(suffix) or None
        return LayerName(
            name=name,
            stage_prefix=prefix,
            stage=table.stages[prefix] if prefix else None,
            entry=entry,
            level=level,
            level_known=level is None or all(t in table.levels for t in suffix),
        )
    return None
