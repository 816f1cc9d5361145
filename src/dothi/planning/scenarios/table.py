"""The comparison of scenarios as a table (rows) and as charts, from their indicators.

Both are plain data (see :mod:`dothi.planning.scenarios.indicators` for the shape): the JSON
answer carries them for web pages, and :mod:`dothi.planning.scenarios.report` draws the same
rows and charts as CSV, SVG and PDF, so every output shows the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dothi.i18n import Language, format_number
from dothi.planning.plans import name_in
from dothi.planning.regulations import urban_classes

Doc = dict[str, Any]

_PEOPLE = "người · people"
_HA = "ha"
_PCT = "%"
_M2 = "m²"
_M2PP = "m²/người · m²/person"
_PPHA = "người/ha · people/ha"


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
    ("plan.name", "scenario", "Đồ án", "Plan", ""),
    ("edition.code", "scenario", "Ấn bản quy chuẩn", "Regulation edition", ""),
    # The set's title ("vi / en"), not its id: pages and files show what people read.
    ("norm_set.title", "scenario", "Bộ chỉ tiêu hạ tầng", "Infrastructure norm set", ""),
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
    (
        "density.gross_people_per_ha",
        "density",
        "Mật độ dân số gộp (quy mô)",
        "Gross population density (capacity)",
        _PPHA,
    ),
    (
        "density.existing_gross_people_per_ha",
        "density",
        "Mật độ dân số gộp hiện trạng",
        "Existing gross population density",
        _PPHA,
    ),
    (
        "density.housing_land_people_per_ha",
        "density",
        "Mật độ dân số trên đất ở",
        "Population density on housing land",
        _PPHA,
    ),
    (
        "density.norm.min_people_per_ha",
        "density",
        "Ngưỡng mật độ tối thiểu của loại đô thị",
        "Least density of the urban class",
        _PPHA,
    ),
]


def rows(docs: list[Doc]) -> list[Doc]:
    """The comparison table: one row per figure, one value per scenario; each row also
    says whether its values differ and by how much each scenario differs from the first
    (``differences``, one per later scenario: None where either value is missing or is
    not a number)."""
    return [_with_differences(r) for r in _rows(docs)]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _with_differences(row: Doc) -> Doc:
    first, *rest = row["values"]
    row["differs"] = any(v != first for v in rest)
    row["differences"] = [
        round(v - first, 4) if _number(v) and _number(first) else None for v in rest
    ]
    return row


#: What a scenario is, besides its plan: (path in the indicators, Vietnamese, English).
SETTINGS = (
    ("edition.code", "ấn bản quy chuẩn", "regulation edition"),
    ("norm_set.id", "bộ chỉ tiêu hạ tầng", "infrastructure norm set"),
    (
        "scenario.assumptions.floor_area_per_person_m2",
        "diện tích sàn ở bình quân",
        "floor area per person",
    ),
    ("scenario.assumptions.household_size", "quy mô hộ", "household size"),
    (
        "scenario.assumptions.mixed_use_residential_share",
        "tỉ lệ sàn ở trong đất hỗn hợp",
        "housing share of mixed use",
    ),
    ("scenario.assumptions.urban_class", "loại đô thị", "urban class"),
)


def warnings(docs: list[Doc]) -> list[Doc]:
    """A warning for each scenario that differs from the first in more than its plan: its
    figures then differ for that reason too (a doubled service radius doubles coverage).
    Each names what differs, with both values."""
    out: list[Doc] = []
    first = docs[0]
    for d in docs[1:]:
        vi_parts, en_parts, keys = [], [], []
        for path, vi, en in SETTINGS:
            a, b = _get(path)(first), _get(path)(d)
            if a != b:
                keys.append(path)
                # What differs is said as people read it (a norm set by its title).
                shown = _get(_SHOWN.get(path, path))
                a, b = shown(first), shown(d)
                vi_parts.append(f"{vi} từ {_show(a)} thành {_show(b)}")
                en_parts.append(f"{en} {_show(a, 'en')} to {_show(b, 'en')}")
        if not keys:
            continue
        radii = [
            (s0["label"], s0["radius_m"], s1["radius_m"])
            for s0, s1 in zip(first["services"], d["services"], strict=True)
            if s0["radius_m"] != s1["radius_m"]
        ]
        vi_more = en_more = ""
        if radii:
            vi_more = (
                " Bán kính phục vụ khác nhau: "
                + "; ".join(
                    f"{lb['vi']} từ {_show(r0)} thành {_show(r1)} m" for lb, r0, r1 in radii
                )
                + "."
            )
            en_more = (
                " Service radii differ: "
                + "; ".join(
                    f"{lb['en']} {_show(r0, 'en')} to {_show(r1, 'en')} m" for lb, r0, r1 in radii
                )
                + "."
            )
        # Each sentence names the scenarios in its own language ("vi / en" names).
        a_name, b_name = first["scenario"]["name"], d["scenario"]["name"]
        a_vi, b_vi = name_in(a_name, "vi"), name_in(b_name, "vi")
        a_en, b_en = name_in(a_name, "en"), name_in(b_name, "en")
        out.append(
            {
                "scenarios": [first["scenario"]["id"], d["scenario"]["id"]],
                "differs": keys,
                "vi": f"«{b_vi}» khác «{a_vi}» không chỉ ở đồ án mà cả ở "
                f"{'; '.join(vi_parts)}: chênh lệch chỉ tiêu không chỉ do đồ án.{vi_more}",
                "en": f"'{b_en}' differs from '{a_en}' in more than the plan — "
                f"{'; '.join(en_parts)}: the figures do not differ because of the plan "
                f"alone.{en_more}",
            }
        )
    return out


#: Settings compared by one path and shown by another.
_SHOWN = {"norm_set.id": "norm_set.title"}


def _show(value: Any, lang: Language = "vi") -> str:
    if value is None:
        return "–"
    if _number(value):
        return format_number(value, 4, lang)
    classes = {c.code: c.label for c in urban_classes()}
    return classes[value][lang] if value in classes else name_in(str(value), lang)


def _rows(docs: list[Doc]) -> list[Doc]:
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
        if any(d["services"][i].get("places_rule") for d in docs):
            out.append(
                _row(
                    f"services.{key}.places_needed",
                    "services",
                    f"{label['vi']} — số chỗ học cần",
                    f"{label['en']} — places needed",
                    "chỗ · places",
                    [d["services"][i].get("places_needed") for d in docs],
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
    classes = {
        (d["density"]["norm"] or {}).get("min_people_per_ha"): d["density"]["norm"]
        for d in docs
        if d["density"]["norm"]
    }
    out.append(
        _chart(
            "density",
            "Mật độ dân số gộp",
            "Gross population density",
            _PPHA,
            [
                ("capacity", {"vi": "Quy mô", "en": "Capacity"}),
                ("existing", {"vi": "Hiện trạng", "en": "Existing"}),
            ],
            [
                [
                    d["density"]["gross_people_per_ha"],
                    d["density"]["existing_gross_people_per_ha"],
                ]
                for d in docs
            ],
            [
                {
                    "label": {
                        "vi": f"Ngưỡng {n['label']['vi']}",
                        "en": f"Least, {n['label']['en']}",
                    },
                    "value": value,
                }
                for value, n in classes.items()
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
