"""``dothi simulate``: a fleet of virtual devices in the data folder's city.

Run as it is, the command makes (once) a fleet of ``--devices`` devices along the city's
roads and in its wards, back-fills ``--history`` days of readings, then sends live
readings until interrupted (or for ``--duration`` seconds). The fleet is kept: a second
run finds it, adds only what is missing and goes on where it left off.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import click

from dothi.console import Context, default_user, pass_ctx
from dothi.errors import InvalidInput
from dothi.i18n import t
from dothi.sensors.simulate.broker import simulator_broker
from dothi.sensors.simulate.devices import Device
from dothi.sensors.simulate.fleet import composition, ensure_fleet
from dothi.sensors.simulate.history import backfill
from dothi.sensors.simulate.live import Runner
from dothi.sensors.simulate.series import DAY_US
from dothi.sensors.simulate.transports import (
    DbSink,
    DbTasks,
    HttpApi,
    HttpSink,
    HttpTasks,
    MqttSink,
    MqttTasks,
    Sink,
    TaskSource,
)
from dothi.sensors.sta.times import now_micros

#: The fleet ``dothi simulate`` makes and finds again (the demo has its own).
FLEET = "simulate"


def _keep(devices: list[Device], wanted: dict[str, int]) -> list[Device]:
    """At most ``wanted`` devices of each kind (a fleet made larger earlier runs in part)."""
    left = dict(wanted)
    out = []
    for d in devices:
        if left.get(d.kind.name, 0) > 0:
            left[d.kind.name] -= 1
            out.append(d)
    return out


def _transport(
    ctx: Context, transport: str, devices: list[Device], url: str, token: str | None
) -> tuple[Sink, TaskSource]:
    if transport == "db":
        db = ctx.database()
        return DbSink(db, devices), DbTasks(db)
    if transport == "http":
        if not token:
            raise InvalidInput(
                "--transport http cần token API của một cán bộ: --token hoặc DOTHI_TOKEN.",
                "--transport http needs an official's API token: --token or DOTHI_TOKEN.",
            )
        api = HttpApi(url, token)
        return HttpSink(api), HttpTasks(api)
    broker = simulator_broker(ctx.settings)
    return MqttSink(broker), MqttTasks(broker)


@click.command("simulate")
@click.option(
    "--devices",
    type=click.IntRange(1, 200_000),
    default=1000,
    show_default=True,
    help="Số thiết bị / number of devices",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.01, 1_000_000),
    default=100.0,
    show_default=True,
    help="Số quan trắc mỗi giây của cả đội thiết bị / readings per second, whole fleet",
)
@click.option(
    "--transport",
    type=click.Choice(["mqtt", "http", "db"]),
    default="mqtt",
    show_default=True,
    help="Gửi qua MQTT, HTTP (dataArray) hoặc ghi thẳng vào CSDL / send over MQTT, HTTP "
    "(dataArray) or straight into the database",
)
@click.option(
    "--duration",
    type=click.FloatRange(0),
    help="Chạy bao nhiêu giây (0: chỉ tạo và ghi lịch sử; mặc định: tới khi dừng) / seconds "
    "to run (0: create and back-fill only; default: until interrupted)",
)
@click.option(
    "--history",
    type=click.FloatRange(0, 3660),
    default=0.0,
    show_default=True,
    help="Số ngày quan trắc quá khứ ghi một lần / days of past readings back-filled at once",
)
@click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Máy chủ Dothi (cho --transport http) / the Dothi server (for --transport http)",
)
@click.option(
    "--token",
    envvar="DOTHI_TOKEN",
    help="Token API của cán bộ (cho --transport http; hoặc DOTHI_TOKEN) / an official's API "
    "token (for --transport http; or DOTHI_TOKEN)",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Hạt giống / seed")
@pass_ctx
def simulate_command(
    ctx: Context,
    devices: int,
    rate: float,
    transport: str,
    duration: float | None,
    history: float,
    url: str,
    token: str | None,
    seed: int,
) -> None:
    """Chạy đội thiết bị mô phỏng / run a fleet of virtual devices: real air-quality series
    replayed, traffic, rain and flooding, streetlights that obey dimming tasks, bins and
    meters. Generated data says it is simulated."""
    db = ctx.database()
    wanted = composition(devices)
    began = time.monotonic()
    report = ensure_fleet(
        db,
        FLEET,
        wanted,
        seed=seed,
        who=default_user(),
        on_batch=lambda n: click.echo(
            t(f"  đã tạo {n} thiết bị", f"  {n} devices created"), err=True
        ),
    )
    fleet = _keep(report.devices, wanted)
    click.echo(
        t(
            f"Đội thiết bị: {len(fleet)} (tạo mới {report.created}) trong "
            f"{time.monotonic() - began:.1f} giây.",
            f"Fleet: {len(fleet)} devices ({report.created} new) in "
            f"{time.monotonic() - began:.1f} s.",
        )
    )
    if history > 0:
        began = time.monotonic()
        now = now_micros()
        stored = backfill(db, fleet, now - int(history * DAY_US), now)
        click.echo(
            t(
                f"Lịch sử {history:g} ngày: {stored} quan trắc trong "
                f"{time.monotonic() - began:.1f} giây.",
                f"History of {history:g} days: {stored} observations in "
                f"{time.monotonic() - began:.1f} s.",
            )
        )
    if duration == 0:
        return
    sink, tasks = _transport(ctx, transport, fleet, url, token)
    runner = Runner(fleet, sink, rate=rate, tasks=tasks)
    click.echo(
        t(
            f"Đang gửi qua {transport}: mỗi thiết bị {runner.interval / 1e6:.1f} giây một lần "
            "(Ctrl+C để dừng).",
            f"Sending over {transport}: each device every {runner.interval / 1e6:.1f} s "
            "(Ctrl+C to stop).",
        ),
        err=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        runner.run(stop, duration)
    finally:
        runner.close()
        _summary(runner, sink)


def _summary(runner: Runner, sink: Any) -> None:
    s, k = runner.stats, sink.stats
    click.echo(
        t(
            f"Đã gửi {k.sent} quan trắc (lỗi {k.failed}); lệnh điều khiển đã làm theo: "
            f"{s.tasks}, không hiểu: {s.tasks_refused}.",
            f"Sent {k.sent} readings ({k.failed} failed); tasks obeyed: {s.tasks}, "
            f"not understood: {s.tasks_refused}.",
        )
    )
