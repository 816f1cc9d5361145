"""SensorThings resource paths (OGC 18-088 §9.2): ``Things``, ``Things(1)``,
``Things(1)/Datastreams``, ``Datastreams(1)/Sensor/name``, ``…/name/$value``, ``…/$ref``,
and members of JSON properties (``Things(1)/properties/owner``).

A path is parsed into the entity type it ends on and the steps that lead there; the
reader turns the steps into one query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dothi.errors import InvalidInput, NotFound
from dothi.sensors.sta.model import EntityType, Nav, Prop, entity_set, target

_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d{1,18})\))?$")


@dataclass(frozen=True)
class Step:
    """One step of a path: an entity set, or a navigation link from the step before, with
    an id when the path names one entity."""

    entity: EntityType
    nav: Nav | None
    id: int | None


@dataclass(frozen=True)
class ResourcePath:
    """A parsed path: its steps, and what it asks of the last entity."""

    steps: tuple[Step, ...]
    #: A property of the entity (``/name``), and ``$value`` for its raw value.
    prop: Prop | None = None
    value: bool = False
    #: ``$ref``: links to the entities instead of the entities.
    ref: bool = False
    #: Members inside a JSON property: ``properties/owner/name`` → ``("owner", "name")``.
    prop_path: tuple[str, ...] = ()

    @property
    def entity(self) -> EntityType:
        """The entity type the path ends on."""
        return self.steps[-1].entity

    @property
    def single(self) -> bool:
        """The path names one entity (an id, or a navigation link to one entity)."""
        last = self.steps[-1]
        return last.id is not None or (last.nav is not None and not last.nav.many)


def parse_path(path: str) -> ResourcePath:
    """Parse a resource path below the service root (no leading ``/v1.1``)."""
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts:
        raise InvalidInput("Đường dẫn trống.", "The path is empty.")
    steps: list[Step] = []
    prop: Prop | None = None
    prop_path: list[str] = []
    value = ref = False
    for n, part in enumerate(parts):
        if ref or value:
            raise _bad(path, part)
        if part == "$ref":
            if prop is not None:
                raise _bad(path, part)
            ref = True
            continue
        if part == "$value":
            if prop is None:
                raise _bad(path, part)
            value = True
            continue
        if prop is not None:
            # A complex property's members are addressed by name (18-088 §9.2, usage 4).
            if prop.kind not in ("object", "json") or part.startswith("$"):
                raise _bad(path, part)
            prop_path.append(part)
            continue
        m = _SEGMENT.match(part)
        if m is None:
            raise _bad(path, part)
        name, raw_id = m.group(1), m.group(2)
        if n == 0:
            steps.append(Step(entity_set(name), None, _id(raw_id)))
            continue
        last = steps[-1]
        if last.id is None and (last.nav is None or last.nav.many):
            # Navigation goes from one entity only: Things(1)/Datastreams, not Things/….
            raise _bad(path, part)
        nav = last.entity.nav(name)
        if nav is not None:
            if raw_id is not None and not nav.many:
                raise _bad(path, part)
            steps.append(Step(target(nav), nav, _id(raw_id)))
            continue
        found = last.entity.prop(name)
        if found is None or raw_id is not None:
            raise NotFound(
                f"«{last.entity.name}» không có thuộc tính hay liên kết «{name}».",
                f"'{last.entity.name}' has no property or navigation link '{name}'.",
            )
        prop = found
    return ResourcePath(tuple(steps), prop, value, ref, tuple(prop_path))


def _id(raw: str | None) -> int | None:
    return None if raw is None else int(raw)


def _bad(path: str, part: str) -> InvalidInput:
    return InvalidInput(
        f"Đường dẫn «{path}» không hợp lệ ở «{part}».",
        f"The path '{path}' is not valid at '{part}'.",
    )
