"""The demo city (TP Hồ Chí Minh): layers shipped inside the package, loaded by import,
its plans, and its sensors with a week of readings."""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from dothi.capabilities import import_hooks
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.planning import load_demo_planning
from dothi.demo.sensors import DemoSensors, load_demo_sensors
from dothi.spatial.import_report import ImportReport
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import update_layer


def manifest() -> list[dict[str, Any]]:
    """The demo layers in load order, with key, access, licence and attribution."""
    text = (resources.files("dothi.demo") / "data" / "manifest.json").read_text("utf-8")
    data = json.loads(text)
    layers: list[dict[str, Any]] = data["layers"] if isinstance(data, dict) else data
    return layers


def load_demo(
    db: Database,
    settings: Settings,
    on_layer: Callable[[ImportReport], None] | None = None,
    *,
    sensors: bool = True,
    on_sensors: Callable[[DemoSensors], None] | None = None,
) -> list[ImportReport]:
    """Import every demo layer, register the demo plans and (``sensors``) place the demo's
    devices with a week of readings (idempotent: a second run changes no feature and
    adds only the readings since the first). The demo accounts are made apart, by
    :func:`dothi.demo.accounts.ensure_demo_accounts`."""
    reports = []
    folder = resources.files("dothi.demo") / "data"
    tmp = Path(tempfile.mkdtemp(prefix="dothi-demo-"))
    try:
        for entry in manifest():
            name = entry["file"]
            target = tmp / name.removesuffix(".gz")
            with gzip.open(str(folder / name), "rb") as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            opts = ImportOptions(
                layer_id=entry["layer"],
                key=entry.get("key"),
                access=entry.get("access"),
                title_vi=entry.get("title_vi"),
                title_en=entry.get("title_en"),
                user="demo",
            )
            report = import_file(db, settings, target, opts, hooks=import_hooks())
            with db.write() as conn:
                update_layer(
                    conn,
                    entry["layer"],
                    license=entry.get("license", ""),
                    attribution=entry.get("attribution", ""),
                    source=entry.get("source", ""),
                )
            reports.append(report)
            if on_layer is not None:
                on_layer(report)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_demo_planning(db, settings)
    if sensors:
        made = load_demo_sensors(db)
        if on_sensors is not None:
            on_sensors(made)
    return reports
