"""The landing page advertises exactly the conformance classes that are tested, and each
advertised class has a test for every one of its requirements.

A test module of ``tests/sensors/`` says which classes it tests with ``CONFORMANCE_CLASS``
(or ``CONFORMANCE_CLASSES``); a test says which requirement it checks by quoting the
requirement's URI on the first line of its docstring (``{a,b}`` stands for both)."""

from __future__ import annotations

import importlib
import inspect
import itertools
import re
import sys
from pathlib import Path
from types import ModuleType

from sta_samples import REQ, ROOT, TASKING, client

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.sensors.routes import CONFORMANCE, MQTT_CONFORMANCE

HERE = Path(__file__).parent
_ENTITIES = (
    "thing", "location", "historical-location", "datastream", "sensor", "observed-property",
    "observation", "feature-of-interest",
)  # fmt: skip
_REQUEST_DATA = (
    "status-code", "query-status-code", "order", "expand", "select", "orderby", "top", "skip",
    "count", "filter", "built-in-filter-operations", "built-in-query-functions", "pagination",
)  # fmt: skip
_CUD = (
    "create-entity", "link-to-existing-entities", "deep-insert", "deep-insert-status-code",
    "update-entity", "update-entity-put", "update-entity-jsonpatch", "delete-entity",
    "historical-location-auto-creation", "historical-location-manual-creation",
)  # fmt: skip
_MQTT_CREATE = "create-observations-via-mqtt/observations-creation"
_MQTT_UPDATES = "receive-updates-via-mqtt/receive-updates"
#: The requirements of each conformance class (OGC 18-088 and 17-079, as the operations
#: notes list them), below the prefix of their standard.
REQUIREMENTS: dict[str, list[str]] = {
    REQ + "datamodel": [
        "datamodel/entity-control-information/common-control-information",
        *(f"datamodel/{e}/{aspect}" for e in _ENTITIES for aspect in ("properties", "relations")),
    ],
    REQ + "resource-path/resource-path-to-entities": ["resource-path/resource-path-to-entities"],
    REQ + "request-data": [f"request-data/{name}" for name in _REQUEST_DATA],
    REQ + "create-update-delete": [f"create-update-delete/{name}" for name in _CUD],
    REQ + "multi-datastream": [
        f"multi-datastream/{name}" for name in ("properties", "relations", "constraints")
    ],
    REQ + "data-array/data-array": ["data-array/data-array"],
    REQ + "batch-request/batch-request": ["batch-request/batch-request"],
    REQ + _MQTT_CREATE: [_MQTT_CREATE],
    REQ + _MQTT_UPDATES: [_MQTT_UPDATES],
    TASKING + "tasking-capability": [
        "tasking-capability/properties",
        "tasking-capability/relations",
    ],
    TASKING + "task": ["task/properties", "task/relations"],
    TASKING + "actuator": ["actuator/properties", "actuator/relations"],
    TASKING + "create-tasks": ["create-tasks/task-creation"],
    TASKING + "create-tasks-via-mqtt": ["create-tasks-via-mqtt/task-creation"],
    TASKING + "receive-updates-via-mqtt": ["receive-updates-via-mqtt/receive-updated"],
}
_URI = re.compile(r"http://www\.opengis\.net/spec/\S+")


def _modules() -> list[ModuleType]:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return [importlib.import_module(p.stem) for p in sorted(HERE.glob("test_*.py"))]


def _declared(module: ModuleType) -> set[str]:
    one = getattr(module, "CONFORMANCE_CLASS", None)
    return {one} if one else set(getattr(module, "CONFORMANCE_CLASSES", ()))


def _expand(uri: str) -> list[str]:
    """``…/{a,b}/{c,d}`` → the four URIs it stands for."""
    parts = re.split(r"\{([^}]*)\}", uri)
    choices = [[p] if n % 2 == 0 else p.split(",") for n, p in enumerate(parts)]
    return ["".join(c) for c in itertools.product(*choices)]


def _quoted(module: ModuleType) -> set[str]:
    """The requirement URIs the module's tests quote."""
    found: set[str] = set()
    for name, test in inspect.getmembers(module, inspect.isfunction):
        doc = inspect.getdoc(test) or ""
        first = doc.splitlines()[0] if doc else ""
        if name.startswith("test_") and (uri := _URI.fullmatch(first.strip())):
            found.update(_expand(uri.group(0)))
    return found


def test_advertised_classes_are_the_tested_ones(db: Database, settings: Settings) -> None:
    """The landing page's ``serverSettings.conformance`` is the set of classes the tests
    declare (the MQTT ones when a broker is configured: tests/sensors/test_mqtt_updates.py),
    and each of them has a test quoting each of its requirements."""
    modules = _modules()
    declared = set().union(*(_declared(m) for m in modules))
    advertised = (*CONFORMANCE, *MQTT_CONFORMANCE)
    assert set(advertised) == declared
    assert len(advertised) == len(declared)
    quoted = set().union(*(_quoted(m) for m in modules if _declared(m)))
    for cls in advertised:
        prefix = TASKING if cls.startswith(TASKING) else REQ
        missing = [r for r in REQUIREMENTS[cls] if prefix + r not in quoted]
        assert missing == [], (cls, missing)
    landing = client(db, settings).get(ROOT).json()
    assert landing["serverSettings"]["conformance"] == list(CONFORMANCE)
