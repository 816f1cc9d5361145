"""``dothi sensors``: the MQTT ingest worker, the private broker, devices' credentials."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

import click

from dothi.auth.audit import audit
from dothi.auth.policy import operator
from dothi.console import Context, default_user, pass_ctx
from dothi.sensors import devices, retention
from dothi.sensors.actions import DEVICE_CREDENTIALS, DEVICE_REVOKE
from dothi.sensors.ingest import Ingest, Outcome, prune_keys, rejected_counts
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.subscriber import Subscriber
from dothi.sensors.mqtt.topics import INGEST_FILTERS
from dothi.sensors.sta.model import BY_NAME
from dothi.sensors.sta.times import now_micros
from dothi.sensors.updates import updates_from_environment

TASK = BY_NAME["Task"]


@click.group("sensors")
def sensors_group() -> None:
    """Cảm biến và thiết bị / sensors and actuators."""


@sensors_group.command("broker")
@click.option("--port", type=click.IntRange(1, 65535), help="Cổng trên 127.0.0.1 / port")
@pass_ctx
def sensors_broker(ctx: Context, port: int | None) -> None:
    """Chạy máy chủ MQTT riêng trong thư mục dữ liệu / run the private MQTT broker of the
    data folder (mosquitto on 127.0.0.1) until interrupted."""
    broker = LocalBroker.in_data_folder(ctx.settings.data_dir, port=port).start()
    click.echo(f"MQTT: 127.0.0.1:{broker.admin.port}")
    try:
        _wait_for_signal()
    finally:
        broker.stop()


@sensors_group.command("ingest")
@click.option(
    "--client-id",
    default="dothi-ingest",
    show_default=True,
    help="Mã máy khách cố định (giữ phiên) / fixed client id (keeps the session)",
)
@click.option(
    "--group",
    "share_group",
    help="Nhóm đăng ký chia sẻ của nhiều tiến trình / shared-subscription group of several workers",
)
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(1, 10000),
    default=500,
    show_default=True,
    help="Số bản tin mỗi lô / messages per batch",
)
@pass_ctx
def sensors_ingest(ctx: Context, client_id: str, share_group: str | None, batch_size: int) -> None:
    """Nhận quan trắc qua MQTT / store observations published over MQTT, acknowledging
    each batch only after it is committed; runs until interrupted."""
    db = ctx.database()

    def after_commit(outcome: Outcome) -> None:
        if updates is not None:
            updates.observations(outcome.stored)
            updates.entities(db, [(TASK, i) for i in outcome.tasks], created=True)

    ingest = Ingest(db, after_commit)
    subscriber = Subscriber(
        devices.require_server_broker(ctx.settings),
        client_id,
        list(INGEST_FILTERS),
        ingest,
        batch_size=batch_size,
        share_group=share_group,
        # Alone, the worker is spared its own updates by the broker (not allowed on a
        # shared subscription: there the ingest skips them, see ``ingest.parse``).
        no_local=share_group is None,
    )
    # The updates of what it stores leave on the subscriber's own connection.
    updates = updates_from_environment(ctx.settings, sink=subscriber)
    subscriber.start()
    subscriber.wait_subscribed()
    click.echo(f"Đang nhận quan trắc / ingesting ({client_id})", err=True)

    def housekeeping() -> None:
        # Hourly: raw readings past their retention, keys of long-acknowledged messages.
        with db.write() as conn:
            retention.apply_retention(conn)
            prune_keys(conn)

    try:
        _wait_for_signal(housekeeping)
    finally:
        subscriber.stop()
        if updates is not None:
            updates.stop()
        total = ingest.totals
        click.echo(
            f"Trùng lặp / duplicates: {total.duplicates}; "
            f"bị từ chối / refused: {sum(total.rejected.values())}",
            err=True,
        )


@sensors_group.command("credentials")
@click.argument("thing_id", type=click.IntRange(1))
@pass_ctx
def sensors_credentials(ctx: Context, thing_id: int) -> None:
    """Cấp (hoặc cấp lại) mật khẩu cho thiết bị của Thing / issue (or rotate) the credentials
    of a Thing's device, for MQTT and HTTP (Basic); the password is shown once."""
    db = ctx.database()
    with db.read() as conn:
        topics = devices.device_topics(conn, thing_id)
    creds = devices.issue_credentials(devices.admin_broker(ctx.settings), topics, thing_id)
    with db.write() as conn:
        devices.record_credentials(conn, thing_id, creds)
        audit(conn, operator(default_user()), DEVICE_CREDENTIALS, target=f"Things({thing_id})")
    click.echo(f"username: {creds.username}")
    click.echo(f"password: {creds.password}")


@sensors_group.command("revoke")
@click.argument("thing_id", type=click.IntRange(1))
@pass_ctx
def sensors_revoke(ctx: Context, thing_id: int) -> None:
    """Thu hồi quyền MQTT của thiết bị / revoke a Thing's device: it can no longer connect."""
    db = ctx.database()
    devices.revoke_credentials(devices.admin_broker(ctx.settings), thing_id)
    with db.write() as conn:
        devices.forget_credentials(conn, thing_id)
        audit(conn, operator(default_user()), DEVICE_REVOKE, target=f"Things({thing_id})")
    click.echo(f"Đã thu hồi / revoked: thing-{thing_id}")


@sensors_group.command("retention")
@click.option(
    "--set",
    "set_days",
    nargs=2,
    type=click.IntRange(1),
    metavar="DATASTREAM_ID DAYS",
    help="Đặt số ngày lưu / set a Datastream's days",
)
@click.option(
    "--forever",
    type=click.IntRange(1),
    metavar="DATASTREAM_ID",
    help="Lưu mãi / keep a Datastream's readings for ever",
)
@pass_ctx
def sensors_retention(ctx: Context, set_days: tuple[int, int] | None, forever: int | None) -> None:
    """Thời hạn lưu số đo thô / retention of raw readings: set it, or apply it now (the
    rollups stay)."""
    db = ctx.database()
    with db.write() as conn:
        if set_days:
            retention.set_retention(conn, set_days[0], set_days[1])
        elif forever:
            retention.set_retention(conn, forever, None)
        else:
            dropped = retention.apply_retention(conn)
            click.echo(f"Đã xóa / deleted: {sum(dropped.values())} ({len(dropped)} Datastreams)")
            return
    click.echo("Đã lưu / saved")


@sensors_group.command("rejects")
@click.option(
    "--hours",
    type=click.IntRange(1, 24 * 365),
    default=24,
    show_default=True,
    help="Khoảng thời gian / period",
)
@pass_ctx
def sensors_rejects(ctx: Context, hours: int) -> None:
    """Bản tin MQTT bị từ chối theo lý do / MQTT messages refused, by reason."""
    since = now_micros() - hours * 3_600_000_000
    with ctx.database().read() as conn:
        counts = rejected_counts(conn, since)
    if not counts:
        click.echo("Không có / none")
    for reason, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        click.echo(f"{reason}\t{n}")


def _wait_for_signal(chore: Callable[[], None] | None = None, every_s: float = 3600) -> None:
    """Block until SIGINT or SIGTERM (a service manager stops the worker with SIGTERM),
    running ``chore`` every ``every_s`` seconds meanwhile."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    due = time.monotonic() + every_s
    while not stop.wait(0.2):
        if chore is not None and time.monotonic() >= due:
            chore()
            due = time.monotonic() + every_s
