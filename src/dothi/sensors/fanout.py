"""Receiving updates over MQTT (OGC 18-088 §14.1): after each commit the server publishes
what was created or changed, because a broker cannot make the standard's topics by itself.

- a new entity goes to its set (``v1.1/Observations``) and to the sets it was created in
  through a link (``v1.1/Datastreams(5)/Observations``,
  ``v1.1/FeaturesOfInterest(3)/Observations``);
- a changed entity goes to ``v1.1/Things(1)`` and, per changed property, to
  ``v1.1/Things(1)/name`` as ``{"name": …}``;
- a subscriber may ask for some properties only (``v1.1/Observations?$select=result``): the
  server learns such topics from the broker's log of subscriptions
  (``$SYS/broker/log/M/subscribe``, which Dothi's private mosquitto writes) and publishes
  the selected properties there too. A broker that keeps no such log gets the plain
  topics only.

Publishing never blocks a request or the ingest: the publisher's queue is bounded and
counts what it has to drop.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote

import orjson

from dothi.sensors.mqtt.topics import VERSION
from dothi.sensors.sta.model import EntityType, target

log = logging.getLogger(__name__)

#: Where Dothi's mosquitto reports subscriptions (``log_dest topic``).
SUBSCRIBE_LOG = "$SYS/broker/log/M/subscribe"
#: A variant not subscribed again within this time is forgotten.
VARIANT_TTL_S = 24 * 3600
_LOG_LINE = re.compile(r"^\S+: \S+ \d (v1\.1/\S+)\?\$select=(\S+)$")


@dataclass
class Variants:
    """The ``$select`` variants of topics that subscribers asked for."""

    seen: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note_log_line(self, line: str) -> None:
        """Learn from one line of the broker's subscription log."""
        m = _LOG_LINE.match(line.strip())
        if m is None:
            return
        names = frozenset(n.strip() for n in unquote(m.group(2)).split(",") if n.strip())
        with self.lock:
            self.seen[f"{m.group(1)}?$select={m.group(2)}"] = (names, time.monotonic())

    def of(self, base_topic: str) -> list[tuple[str, frozenset[str]]]:
        """The variants of ``base_topic`` still listened to."""
        now = time.monotonic()
        prefix = base_topic + "?$select="
        with self.lock:
            stale = [t for t, (_, at) in self.seen.items() if now - at > VARIANT_TTL_S]
            for t in stale:
                del self.seen[t]
            return [(t, names) for t, (names, _) in self.seen.items() if t.startswith(prefix)]


@dataclass(frozen=True)
class Update:
    """One entity to publish: created (in the sets of ``parents``) or changed."""

    entity: EntityType
    id: int
    json: dict[str, Any]
    created: bool
    #: ``(set name, id)`` of the entities it hangs from: ``("Datastreams", 5)``.
    parents: tuple[tuple[str, int], ...] = ()


def topics(update: Update) -> list[tuple[str, dict[str, Any]]]:
    """The topics of one update and what goes on each."""
    body = update.json
    own = f"{VERSION}/{update.entity.set_name}({update.id})"
    if update.created:
        sets = [f"{VERSION}/{update.entity.set_name}"]
        sets += [f"{VERSION}/{s}({i})/{update.entity.set_name}" for s, i in update.parents]
        return [(t, body) for t in sets]
    out = [(own, body)]
    out += [
        (f"{own}/{p.name}", {p.name: body[p.name]}) for p in update.entity.props if p.name in body
    ]
    return out


def parents_of(entity: EntityType, row: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """The to-one links of a new entity that make it a member of another's set
    (an Observation of ``Datastreams(5)``)."""
    return tuple(
        (set_name, int(row[local]))
        for local, set_name in _member_links(entity)
        if row.get(local) is not None
    )


def _member_links(entity: EntityType) -> tuple[tuple[str, str], ...]:
    """``(column, set)`` of the to-one links whose target lists ``entity`` as a set."""
    found = _MEMBER_LINKS.get(entity.name)
    if found is None:
        out = []
        for nav in entity.navs:
            back = target(nav).nav(entity.set_name) if nav.local is not None else None
            if nav.local is not None and back is not None and back.many:
                out.append((nav.local, target(nav).set_name))
        found = _MEMBER_LINKS[entity.name] = tuple(out)
    return found


#: By entity name (hashing the entity itself would hash all its properties every call).
_MEMBER_LINKS: dict[str, tuple[tuple[str, str], ...]] = {}


class Sink(Protocol):
    """Where updates go: a :class:`~dothi.sensors.mqtt.publisher.Publisher`, or the ingest
    worker's own connection (:class:`~dothi.sensors.mqtt.subscriber.Subscriber`)."""

    def publish(self, topic: str, payload: bytes, *, qos: int = 0) -> bool:
        """Send (or queue) one message without blocking; False when it was dropped."""
        ...

    def flush(self) -> object:
        """Send what is queued."""
        ...


class Fanout:
    """Publishes updates through a :class:`Sink`, with the ``$select`` variants its
    :class:`Variants` know."""

    def __init__(self, publisher: Sink, variants: Variants | None = None) -> None:
        self.publisher = publisher
        self.variants = variants or Variants()

    def publish(self, updates: Iterable[Update]) -> None:
        """Queue every topic of every update."""
        publish = self.publisher.publish
        for update in updates:
            # A new entity goes to all its sets as one body: serialised once.
            whole = orjson.dumps(update.json)
            for topic, body in topics(update):
                publish(topic, whole if body is update.json else orjson.dumps(body), qos=0)
                if not self.variants.seen:
                    continue
                for variant, names in self.variants.of(topic):
                    chosen = {k: v for k, v in body.items() if k in names or _meta(k, names)}
                    publish(variant, orjson.dumps(chosen), qos=0)


def _meta(key: str, names: frozenset[str]) -> bool:
    return key == "@iot.id" and "id" in names
