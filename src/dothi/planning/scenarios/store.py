"""Scenarios (phương án) of a plan for decision support: the plan plus assumptions.

A scenario names a plan (its zones are the ``planning_zone`` features whose ``plan_id`` is
the plan's id) and the assumptions its indicators are computed with:

``floor_area_per_person_m2``
    residential floor area per resident (m², > 0);
``household_size``
    people per household (> 0);
``mixed_use_residential_share``
    share (0–1) of the floor area of mixed-use zones (``mixed_use``) and of mixed buildings
    taken as housing;
``edition``
    the regulation edition (``QCVN 01:2021/BXD``…) whose service radii and green-space norm
    apply — given by code, or chosen by ``date`` (the edition in force that day; today when
    neither is given). The edition is fixed when the scenario is saved, so its figures do
    not change when a new edition comes into force;
``norm_set``
    the set of per-person infrastructure norms in ``data/norms.json`` (default: its first);
``urban_class``
    optional: the city's urban class (``special``, ``I``… of ``data/urban_classes.json``),
    whose population density threshold the scenario's density is compared with.

The indicators themselves are computed by :mod:`dothi.planning.scenarios.indicators`. Plans
are never deleted; scenarios may be. A draft plan's scenarios are visible to the planners
(editors and admins) only, like the plan itself.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, select

from dothi.auth.audit import audit
from dothi.auth.policy import Principal
from dothi.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from dothi.i18n import format_number
from dothi.planning import actions, plans
from dothi.planning import regulations as regs
from dothi.planning.tables import plan as plan_table
from dothi.planning.tables import scenario

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: Ids that would collide with the routes under /planning/scenarios/.
_RESERVED = frozenset({"compare"})
_FIELDS = ("id", "name", "plan_id", "description", "illustrative", "assumptions")
_NUMBERS = {
    # key: (lowest, highest, lowest included)
    "floor_area_per_person_m2": (0.0, 1000.0, False),
    "household_size": (0.0, 20.0, False),
    "mixed_use_residential_share": (0.0, 1.0, True),
}
_ASSUMPTIONS = (*_NUMBERS, "edition", "date", "norm_set", "urban_class")
#: What people read for each assumption (Vietnamese, English), in messages.
WORDS = {
    "floor_area_per_person_m2": (
        "diện tích sàn ở bình quân (m²/người)",
        "floor area per person (m²)",
    ),
    "household_size": ("quy mô hộ (người/hộ)", "household size (people)"),
    "mixed_use_residential_share": (
        "tỉ lệ sàn ở trong đất hỗn hợp",
        "housing share of mixed-use floor area",
    ),
}


# -- norms ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class NormSet:
    """One set of per-person infrastructure norms (``data/norms.json``)."""

    id: str
    title: str
    illustrative: bool
    norms: dict[str, dict[str, Any]]

    def value(self, key: str) -> float:
        """The value of one norm (every set defines every norm; a test checks it)."""
        return float(self.norms[key]["value"])


@cache
def norm_sets() -> tuple[NormSet, ...]:
    """Every norm set, in the file's order (the first is the default)."""
    path = resources.files("dothi.planning") / "data" / "norms.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        NormSet(s["id"], s["title"], bool(s["illustrative"]), dict(s["norms"])) for s in raw["sets"]
    )


def norm_set_named(set_id: str) -> NormSet:
    """The norm set with this id; :class:`InvalidInput` naming the known ones otherwise."""
    for s in norm_sets():
        if s.id == set_id:
            return s
    known = ", ".join(s.id for s in norm_sets())
    raise InvalidInput(
        f"Không biết bộ chỉ tiêu «{set_id}»; có: {known}.",
        f"Unknown norm set '{set_id}'; known: {known}.",
    )


# -- assumptions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Assumptions:
    """What a scenario assumes, checked (see the module docstring)."""

    floor_area_per_person_m2: float
    household_size: float
    mixed_use_residential_share: float
    edition: str
    #: The day the edition was chosen by, when it was chosen by date.
    date: str | None
    norm_set: str
    #: The city's urban class (loại đô thị) whose density threshold applies, if given.
    urban_class: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, as stored."""
        return dict(self.__dict__)


def _number(doc: dict[str, Any], key: str) -> float:
    low, high, closed = _NUMBERS[key]
    vi, en = WORDS[key]
    value = doc.get(key)
    if value is None:
        raise InvalidInput(f"Thiếu giả định: {vi}.", f"The assumption is missing: {en}.")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{_capital(vi)} phải là một số.", f"The {en} must be a number.")
    if value < low or (value == low and not closed) or value > high:
        bound = "≥" if closed else ">"
        lo, hi, got = (format_number(v, 4) for v in (low, high, value))
        lo_en, hi_en, got_en = (format_number(v, 4, "en") for v in (low, high, value))
        raise InvalidInput(
            f"{_capital(vi)} phải {bound} {lo} và ≤ {hi}, nhận {got}.",
            f"The {en} must be {bound} {lo_en} and ≤ {hi_en}, got {got_en}.",
        )
    return float(value)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def parse_assumptions(doc: Any, *, today: date | None = None) -> Assumptions:
    """Check assumptions as sent in JSON and fix the edition (by code, by date, or the one
    in force ``today``)."""
    if not isinstance(doc, dict):
        raise InvalidInput(
            "assumptions phải là một đối tượng JSON.", "assumptions must be a JSON object."
        )
    unknown = sorted(set(doc) - set(_ASSUMPTIONS))
    if unknown:
        raise InvalidInput(
            f"Giả định không được hỗ trợ: {', '.join(unknown)}; dùng: {', '.join(_ASSUMPTIONS)}.",
            f"Unsupported assumption(s): {', '.join(unknown)}; use: {', '.join(_ASSUMPTIONS)}.",
        )
    numbers = {k: _number(doc, k) for k in _NUMBERS}
    code, day = doc.get("edition"), doc.get("date")
    if code is not None and day is not None:
        raise InvalidInput(
            "Cho edition hoặc date, không cho cả hai.", "Give edition or date, not both."
        )
    chosen_by: str | None = None
    if code is not None:
        if not isinstance(code, str):
            raise InvalidInput("edition phải là chuỗi.", "edition must be a string.")
        edition = regs.edition_named(code)
    else:
        when = today or datetime.now(UTC).date()
        if day is not None:
            try:
                when = date.fromisoformat(str(day))
            except ValueError:
                raise InvalidInput(
                    f"date phải là ngày dạng YYYY-MM-DD, nhận «{day}».",
                    f"date must be a date as YYYY-MM-DD, got '{day}'.",
                ) from None
        edition, chosen_by = regs.edition_on(when), when.isoformat()
    set_id = doc.get("norm_set", norm_sets()[0].id)
    if not isinstance(set_id, str):
        raise InvalidInput("norm_set phải là chuỗi.", "norm_set must be a string.")
    urban = doc.get("urban_class")
    if urban is not None and not isinstance(urban, str):
        raise InvalidInput("urban_class phải là chuỗi.", "urban_class must be a string.")
    return Assumptions(
        numbers["floor_area_per_person_m2"],
        numbers["household_size"],
        numbers["mixed_use_residential_share"],
        edition.code,
        chosen_by,
        norm_set_named(set_id).id,
        None if urban is None else regs.urban_class_named(urban).code,
    )


# -- scenarios -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    """A saved scenario."""

    id: str
    name: str
    description: str | None
    plan_id: str
    assumptions: Assumptions
    illustrative: bool
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "plan_id": self.plan_id,
            "assumptions": self.assumptions.to_dict(),
            "illustrative": self.illustrative,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(r: Any) -> Scenario:
    return Scenario(
        id=r.id,
        name=r.name,
        description=r.description,
        plan_id=r.plan_id,
        assumptions=Assumptions(**json.loads(r.assumptions)),
        illustrative=bool(r.illustrative),
        created_by=r.created_by,
        created_at=_utc(r.created_at),
        updated_at=_utc(r.updated_at),
    )


def require_planner(who: Principal) -> None:
    """Saving, changing or deleting scenarios is for editors and admins."""
    if who.is_anonymous:
        raise Unauthorized(
            "Cần đăng nhập (token API) để lưu phương án.",
            "Authentication (an API token) is required to change scenarios.",
            code="AuthenticationRequired",
        )
    if who.role not in ("admin", "editor"):
        raise Forbidden(
            "Chỉ người biên tập hoặc quản trị được lưu, sửa, xóa phương án.",
            "Only editors and admins may save, change or delete scenarios.",
        )


def _no_scenario(scenario_id: str) -> NotFound:
    return NotFound(f"Không có phương án «{scenario_id}».", f"No scenario '{scenario_id}'.")


def get_scenario(conn: Connection, scenario_id: str, who: Principal) -> Scenario:
    """The scenario with this id if ``who`` may see it; :class:`NotFound` otherwise."""
    stmt = (
        select(scenario, plan_table.c.status)
        .join(plan_table, plan_table.c.id == scenario.c.plan_id)
        .where(scenario.c.id == scenario_id)
    )
    r = conn.execute(stmt).first()
    if r is None or r.status not in plans.shown_statuses(who):
        raise _no_scenario(scenario_id)
    return _row(r)


def list_scenarios(conn: Connection, who: Principal, plan_id: str | None = None) -> list[Scenario]:
    """Scenarios ``who`` may see (of one plan, or all), by plan and id."""
    stmt = (
        select(scenario)
        .join(plan_table, plan_table.c.id == scenario.c.plan_id)
        .where(plan_table.c.status.in_(plans.shown_statuses(who)))
        .order_by(scenario.c.plan_id, scenario.c.id)
    )
    if plan_id is not None:
        stmt = stmt.where(scenario.c.plan_id == plan_id)
    return [_row(r) for r in conn.execute(stmt)]


def _name(value: Any) -> str:
    label = " ".join(value.split()) if isinstance(value, str) else ""
    if not 1 <= len(label) <= 300:
        raise InvalidInput("Tên phương án dài 1–300 ký tự.", "A scenario name is 1–300 characters.")
    return label


def _description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 5000:
        raise InvalidInput(
            "description là chuỗi tối đa 5000 ký tự.", "description is a string of ≤ 5000 chars."
        )
    return value.strip() or None


def _plan(conn: Connection, plan_id: Any, who: Principal) -> str:
    if not isinstance(plan_id, str) or not plan_id:
        raise InvalidInput("Thiếu plan_id (mã đồ án).", "plan_id (the plan's id) is missing.")
    found = plans.get_plan(conn, plan_id)  # NotFound for an unknown plan
    if found.status not in plans.shown_statuses(who):
        raise NotFound(f"Không có đồ án quy hoạch «{plan_id}».", f"No plan '{plan_id}'.")
    return found.id


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("illustrative phải là true/false.", "illustrative must be true/false.")
    return value


def _check_fields(doc: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise InvalidInput("Thân yêu cầu phải là đối tượng JSON.", "The body must be an object.")
    unknown = sorted(set(doc) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"Trường không được hỗ trợ: {', '.join(unknown)}; dùng: {', '.join(allowed)}.",
            f"Unsupported field(s): {', '.join(unknown)}; use: {', '.join(allowed)}.",
        )
    return doc


def add_scenario(
    conn: Connection, who: Principal, doc: Any, *, client: str | None = None
) -> Scenario:
    """Save a scenario from a JSON body: ``name``, ``plan_id``, ``assumptions``, and
    optionally ``id`` (made up when absent), ``description``, ``illustrative``. The audit
    log records it (``client``: the caller's address, if any)."""
    require_planner(who)
    body = _check_fields(doc, _FIELDS)
    scenario_id = body.get("id")
    if scenario_id is None:
        scenario_id = f"pa-{secrets.token_hex(4)}"
    if not isinstance(scenario_id, str) or not _ID.match(scenario_id) or scenario_id in _RESERVED:
        raise InvalidInput(
            f"Mã phương án «{scenario_id}» chỉ gồm chữ thường không dấu, số, - và _ (tối đa 64), "
            "khác «compare».",
            f"Scenario id '{scenario_id}' may use lower-case ASCII letters, digits, - and _ "
            "(≤ 64), and is not 'compare'.",
        )
    values = {
        "name": _name(body.get("name")),
        "description": _description(body.get("description")),
        "plan_id": _plan(conn, body.get("plan_id"), who),
        "assumptions": json.dumps(
            parse_assumptions(body.get("assumptions")).to_dict(), ensure_ascii=False
        ),
        "illustrative": _flag(body.get("illustrative", False)),
    }
    if conn.execute(select(scenario.c.id).where(scenario.c.id == scenario_id)).first():
        raise Conflict(f"Phương án «{scenario_id}» đã có.", f"Scenario '{scenario_id}' exists.")
    now = datetime.now(UTC)
    conn.execute(
        scenario.insert().values(
            id=scenario_id, created_by=who.actor[:100], created_at=now, updated_at=now, **values
        )
    )
    audit(conn, who, actions.SCENARIO_CREATE, target=f"scenario:{scenario_id}", client=client)
    return get_scenario(conn, scenario_id, who)


def update_scenario(
    conn: Connection, who: Principal, scenario_id: str, doc: Any, *, client: str | None = None
) -> Scenario:
    """Change a scenario: the fields given replace the saved ones; ``assumptions`` given are
    merged into the saved assumptions and checked again as a whole."""
    require_planner(who)
    current = get_scenario(conn, scenario_id, who)
    body = _check_fields(doc, tuple(f for f in _FIELDS if f != "id"))
    values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    if "name" in body:
        values["name"] = _name(body["name"])
    if "description" in body:
        values["description"] = _description(body["description"])
    if "plan_id" in body:
        values["plan_id"] = _plan(conn, body["plan_id"], who)
    if "illustrative" in body:
        values["illustrative"] = _flag(body["illustrative"])
    if "assumptions" in body:
        given = body["assumptions"]
        if not isinstance(given, dict):
            parse_assumptions(given)  # raises the usual message
        merged = current.assumptions.to_dict()
        chosen_by = merged.pop("date")
        keep_edition = "edition" not in given and "date" not in given
        if not keep_edition:
            merged.pop("edition")
        parsed = parse_assumptions(merged | given)
        if keep_edition:
            parsed = replace(parsed, date=chosen_by)
        values["assumptions"] = json.dumps(parsed.to_dict(), ensure_ascii=False)
    conn.execute(scenario.update().where(scenario.c.id == scenario_id).values(**values))
    audit(conn, who, actions.SCENARIO_UPDATE, target=f"scenario:{scenario_id}", client=client)
    return get_scenario(conn, scenario_id, who)


def delete_scenario(
    conn: Connection, who: Principal, scenario_id: str, *, client: str | None = None
) -> None:
    """Delete a saved scenario (its plan stays)."""
    require_planner(who)
    get_scenario(conn, scenario_id, who)
    conn.execute(scenario.delete().where(scenario.c.id == scenario_id))
    audit(conn, who, actions.SCENARIO_DELETE, target=f"scenario:{scenario_id}", client=client)
