"""``dothi serve`` and ``dothi demo``."""

from __future__ import annotations

import errno
import signal
import socket
import time
from typing import TYPE_CHECKING

import click

from dothi.console import Context, pass_ctx
from dothi.errors import Conflict, InvalidInput
from dothi.i18n import t
from dothi.spatial.layers import feature_counts

if TYPE_CHECKING:
    from dothi.config import Settings
    from dothi.demo.accounts import DemoAccount
    from dothi.demo.sensors import DemoSensors


def check_port(host: str, port: int) -> None:
    """Refuse, in both languages, an address the server could not listen on (a port taken
    by another program, a host name that is not this machine's) before anything starts.

    The test binds the way uvicorn does (``SO_REUSEADDR``), so a port left in TIME_WAIT by
    a previous run is not mistaken for a busy one.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise InvalidInput(
            f"Không dùng được địa chỉ máy chủ «{host}».", f"Cannot use the host address '{host}'."
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Conflict(
                    f"Cổng {port} trên {host} đang được chương trình khác dùng; dừng chương "
                    f"trình đó hoặc chọn cổng khác: dothi serve --port {port + 1}",
                    f"Port {port} on {host} is already in use by another program; stop it "
                    f"or pick another port: dothi serve --port {port + 1}",
                    code="PortInUse",
                ) from None
            raise InvalidInput(
                f"Không mở được cổng {port} trên {host}: {exc.strerror}.",
                f"Cannot listen on {host} port {port}: {exc.strerror}.",
            ) from None


def _serve(ctx: Context, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from dothi.app.main import app_from_environment, create_app

    check_port(host, port)
    db = ctx.database()  # migrated here, once, before any worker starts
    click.echo(t(f"Dothi đang chạy tại http://{host}:{port}/", f"Dothi at http://{host}:{port}/"))
    if workers == 1:
        uvicorn.run(create_app(ctx.settings, db), host=host, port=port, log_level="warning")
        return
    # Worker processes read the same settings from the environment.
    target = f"{app_from_environment.__module__}:{app_from_environment.__name__}"
    uvicorn.run(target, factory=True, workers=workers, host=host, port=port, log_level="warning")


_host = click.option("--host", default="127.0.0.1", show_default=True)
_port = click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)


@click.command()
@_host
@_port
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Số tiến trình phục vụ (thường bằng số lõi CPU) / worker processes (usually one per "
    "CPU core)",
)
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int) -> None:
    """Chạy máy chủ web / run the web server."""
    _serve(ctx, host, port, workers)


@click.command()
@_host
@_port
@click.option("--no-serve", is_flag=True, help="Chỉ nạp dữ liệu / load only, do not serve")
@pass_ctx
def demo(ctx: Context, host: str, port: int, no_serve: bool) -> None:
    """Nạp thành phố mẫu (TP Hồ Chí Minh) rồi chạy máy chủ / load the demo city and serve."""
    from dothi.cli.data_commands import print_report
    from dothi.demo.accounts import ensure_demo_accounts
    from dothi.demo.loader import load_demo

    if not no_serve:
        check_port(host, port)  # before loading: a busy port should not cost a full load
    db = ctx.database()
    start = time.monotonic()
    click.echo(
        t(f"Thư mục dữ liệu: {ctx.settings.data_dir}", f"Data folder: {ctx.settings.data_dir}")
    )
    load_demo(db, ctx.settings, on_layer=print_report, on_sensors=_print_sensors)
    demo_accounts = ensure_demo_accounts(db, ctx.settings)
    with db.read() as conn:
        total = sum(feature_counts(conn).values())
    click.echo(
        t(
            f"Đã nạp thành phố mẫu: {total} đối tượng trong {time.monotonic() - start:.1f} giây.",
            f"Demo city loaded: {total} features in {time.monotonic() - start:.1f} s.",
        )
    )
    _print_demo_accounts(demo_accounts, ctx.settings, host, port)
    if no_serve:
        return
    from dothi.demo.sensors import DemoLive

    live = DemoLive(db, ctx.settings).start()
    how = {"mqtt": "MQTT", "db": t("ghi thẳng vào CSDL", "written to the database")}[live.transport]
    click.echo(t(f"Cảm biến mô phỏng đang gửi số đo ({how}).", f"Simulated sensors live ({how})."))
    # uvicorn raises the signal that stopped it again once it has shut down: SIGTERM (a
    # service manager) must then end in the clean-up below, which stops the broker.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        _serve(ctx, host, port)
    finally:
        live.stop()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _print_sensors(made: DemoSensors) -> None:
    click.echo(
        t(
            f"Cảm biến: {made.devices} thiết bị (thêm {made.created}), "
            f"{made.observations} quan trắc mới.",
            f"Sensors: {made.devices} devices ({made.created} new), "
            f"{made.observations} new observations.",
        )
    )


_ROLE_WORDS = {"editor": ("cán bộ (biên tập)", "official (editor)"), "admin": ("quản trị", "admin")}


def _print_demo_accounts(
    demo_accounts: list[DemoAccount], settings: Settings, host: str, port: int
) -> None:
    """How to sign in to the demo: the page, each account and its password, the file."""
    from dothi.demo.accounts import password_file

    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/map"
    click.echo(t("Tài khoản mẫu (đăng nhập tại", "Demo accounts (sign in at") + f" {url}):")
    for acc in demo_accounts:
        vi, en = _ROLE_WORDS.get(acc.role, (acc.role, acc.role))
        role = t(vi, en)
        click.echo(
            t(
                f"  {role}: tên {acc.name}, mật khẩu {acc.password}",
                f"  {role}: name {acc.name}, password {acc.password}",
            )
        )
    path = password_file(settings)
    click.echo(
        t(
            f"Mật khẩu được giữ trong {path} (chỉ chủ thư mục đọc được); chạy lại "
            "`dothi demo` sẽ in lại.",
            f"The passwords are kept in {path} (readable by its owner only); rerunning "
            "`dothi demo` prints them again.",
        )
    )


def register(cli: click.Group) -> None:
    """Add the server commands to the ``dothi`` group."""
    cli.add_command(serve)
    cli.add_command(demo)
