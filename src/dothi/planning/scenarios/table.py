"""The comparison of scenarios as a table (rows) and as charts, from their indicators.

Both are plain data (see :mod:`dothi.planning.scenarios.indicators` for the shape): the JSON
answer carries them for web pages, and :mod:`dothi.planning.scenarios.report` draws the same
rows and charts as CSV, SVG and PDF, so every output shows the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Doc = dict[str, Any]

_PEOPLE = "người · people"
_HA = "ha"
_PCT = "%"
_M2 = "m²"
_M2PP = "m²/người · m²/person"


def _row(key: str, group: str, vi: str, en: str, unit: str, values: list[Any]) -> Doc:
    return {
        "key": key,
        "group": group,
        "label": {"vi": vi, "en": en},
        "unit": unit,
        "values": values,
    }


def _get(path: str) -> Callable[[Doc], Any]:
    def read(doc: Doc) -> Any:
        value: Any = doc
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    return read


_FIXED: list[tuple[str, str, str, str, str]] = [
    # key (a path in the indicators), group, vi, en, unit
    ("plan.id", "scenario", "Đồ án", "Plan", ""),
    ("edition.code", "scenario", "Ấn bản quy chuẩn", "Regulation edition", ""),
    ("norm_set.id", "scenario", "Bộ chỉ tiêu hạ tầng", "Infrastructure norm set", ""),
    (
        "scenario.assumptions.floor_area_per_person_m2",
        "scenario",
        "Diện tích sàn ở bình quân",
        "Residential floor area per person",
        _M2PP,
    ),
    (
        "scenario.assumptions.household_size",
        "scenario",
        "Quy mô hộ",
        "Household size",
        "người/hộ · people/household",
    ),
    (
        "scenario.assumptions.mixed_use_residential_share",
        "scenario",
        "Tỉ lệ sàn ở trong đất hỗn hợp (0–1)",
        "Housing share of mixed-use floor area (0–1)",
        "",
    ),
    ("zones.count", "zones", "Số ô quy hoạch", "Planning zones", "ô · zones"),
    ("zones.area_ha", "zones", "Tổng diện tích các ô", "Total zone area", _HA),
    ("zones.without_rules", "zones", "Ô không có chỉ tiêu sàn", "Zones without floor rules", ""),
    (
        "floor_area.total_m2",
        "floor_area",
        "Tổng diện tích sàn cho phép",
        "Permitted floor area",
        _M2,
    ),
    ("floor_area.residential_m2", "floor_area", "Sàn nhà ở", "Residential floor area", _M2),
    (
        "floor_area.non_residential_m2",
        "floor_area",
        "Sàn không phải nhà ở",
        "Non-residential floor area",
        _M2,
    ),
    ("population.capacity.people", "population", "Quy mô dân số", "Population capacity", _PEOPLE),
    ("population.capacity.households", "population", "Số hộ", "Households", "hộ · households"),
    (
        "population.existing.people",
        "population",
        "Dân số hiện trạng",
        "Existing population",
        _PEOPLE,
    ),
    (
        "population.existing.residential_floor_area_m2",
        "population",
        "Sàn nhà ở hiện trạng",
        "Existing residential floor area",
        _M2,
    ),
    (
        "population.existing.unspecified_floor_area_m2",
        "population",
        "Sàn công trình chưa rõ loại",
        "Floor area of buildings of unknown type",
        _M2,
    ),
    ("population.growth.people", "population", "Dân số tăng thêm", "Population growth", _PEOPLE),
]


def rows(docs: list[Doc]) -> list[Doc]:
    """The comparison table: one row per figure, one value per scenario."""
    out = [_row(k, g, vi, en, u, [_get(k)(d) for d in docs]) for k, g, vi, en, u in _FIXED]
    for code, label in _functions(docs):
        by = [{r["function"]: r for r in d["land_use"]["rows"]}.get(code, {}) for d in docs]
        for field, vi, en, unit in (
            ("area_ha", "diện tích", "area", _HA),
            ("share_pct", "tỉ lệ", "share", _PCT),
            ("m2_per_person", "bình quân", "per person", _M2PP),
        ):
            out.append(
                _row(
                    f"land_use.{code}.{field}",
                    "land_use",
                    f"{_capital(label['vi'])} — {vi}",
                    f"{_capital(label['en'])} — {en}",
                    unit,
                    [b.get(field) for b in by],
                )
            )
    out.append(
        _row(
            "green.m2_per_person",
            "green",
            "Cây xanh công cộng bình quân",
            "Public green space per person",
            _M2PP,
            [d["green"]["m2_per_person"] for d in docs],
        )
    )
    out.append(
        _row(
            "green.norm",
            "green",
            "Chỉ tiêu cây xanh của quy chuẩn",
            "Green-space norm of the regulation",
            _M2PP,
            [(d["green"]["norm"] or {}).get("value") for d in docs],
        )
    )
    for i, service in enumerate(docs[0]["services"]):
        key, label = service["service"], service["label"]
        for field, vi, en, unit in (
            ("radius_m", "bán kính phục vụ", "service radius", "m"),
            ("share_pct", "dân số trong bán kính", "residents within reach", _PCT),
            (
                "existing_share_pct",
                "dân hiện trạng trong bán kính",
                "existing residents within",
                _PCT,
            ),
        ):
            out.append(
                _row(
                    f"services.{key}.{field}",
                    "services",
                    f"{label['vi']} — {vi}",
                    f"{label['en']} — {en}",
                    unit,
                    [d["services"][i][field] for d in docs],
                )
            )
    for i, item in enumerate(docs[0]["infrastructure"]):
        out.append(
            _row(
                f"infrastructure.{item['key']}",
                "infrastructure",
                item["label"]["vi"],
                item["label"]["en"],
                item["unit"],
                [d["infrastructure"][i]["value"] for d in docs],
            )
        )
    return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _functions(docs: list[Doc]) -> list[tuple[str, dict[str, str]]]:
    """Land-use functions present in any scenario, in the schema's order."""
    seen: dict[str, dict[str, str]] = {}
    for d in docs:
        for r in d["land_use"]["rows"]:
            seen.setdefault(r["function"], r["label"])
    order = [r["function"] for d in docs for r in d["land_use"]["rows"]]
    return sorted(seen.items(), key=lambda kv: order.index(kv[0]))


def _chart(
    key: str,
    vi: str,
    en: str,
    unit: str,
    categories: list[tuple[str, dict[str, str]]],
    values: list[list[Any]],
    references: list[Doc] | None = None,
) -> Doc:
    return {
        "key": key,
        "title": {"vi": vi, "en": en},
        "unit": unit,
        "categories": [{"key": k, "label": label} for k, label in categories],
        "values": values,
        "references": references or [],
    }


def charts(docs: list[Doc]) -> list[Doc]:
    """Bar charts of the comparison: categories along the axis, one bar per scenario."""
    out = [
        _chart(
            "population",
            "Dân số",
            "Population",
            _PEOPLE,
            [
                ("capacity", {"vi": "Quy mô", "en": "Capacity"}),
                ("existing", {"vi": "Hiện trạng", "en": "Existing"}),
            ],
            [
                [d["population"]["capacity"]["people"], d["population"]["existing"]["people"]]
                for d in docs
            ],
        )
    ]
    functions = _functions(docs)
    out.append(
        _chart(
            "land_use",
            "Cơ cấu sử dụng đất",
            "Land-use balance",
            _HA,
            functions,
            [
                [
                    {r["function"]: r["area_ha"] for r in d["land_use"]["rows"]}.get(c)
                    for c, _ in functions
                ]
                for d in docs
            ],
        )
    )
    norms = {(d["green"]["norm"] or {}).get("value"): d["edition"]["code"] for d in docs}
    out.append(
        _chart(
            "green",
            "Cây xanh công cộng bình quân",
            "Public green space per person",
            _M2PP,
            [("green_public", {"vi": "Cây xanh công cộng", "en": "Public green"})],
            [[d["green"]["m2_per_person"]] for d in docs],
            [
                {"label": {"vi": f"Chỉ tiêu {code}", "en": f"Norm {code}"}, "value": value}
                for value, code in norms.items()
                if value is not None
            ],
        )
    )
    services = [(s["service"], s["label"]) for s in docs[0]["services"]]
    out.append(
        _chart(
            "services",
            "Dân số trong bán kính phục vụ",
            "Residents within the service radius",
            _PCT,
            services,
            [[s["share_pct"] for s in d["services"]] for d in docs],
        )
    )
    for i, item in enumerate(docs[0]["infrastructure"]):
        out.append(
            _chart(
                f"infrastructure.{item['key']}",
                item["label"]["vi"],
                item["label"]["en"],
                item["unit"],
                [(item["key"], item["label"])],
                [[d["infrastructure"][i]["value"]] for d in docs],
            )
        )
    return out
