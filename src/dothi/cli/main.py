"""The ``dothi`` command: init, import, export, layers, serve, demo, and the commands of
every built-in capability (``dothi planning``…).

Every error a user can fix is printed as one line in their language (``DOTHI_LANG`` or
the locale) with a non-zero exit code; no tracebacks unless ``DOTHI_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys

import click

from dothi import __version__
from dothi.capabilities import BUILTIN, import_hooks, migration_folders
from dothi.cli import audit_commands, data_commands, server_commands, users_commands
from dothi.console import Context, pass_ctx
from dothi.errors import DothiError
from dothi.i18n import t


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dothi")
@click.pass_context
def cli(click_ctx: click.Context) -> None:
    """Dothi — nền tảng dữ liệu đô thị thông minh / smart-city data platform.

    Thư mục dữ liệu: DOTHI_DATA_DIR (mặc định ./dothi-data); cơ sở dữ liệu:
    DOTHI_DATABASE_URL (mặc định SQLite trong thư mục dữ liệu).
    """
    click_ctx.obj = Context(migration_folders(), import_hooks())


@cli.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu / create or migrate the database."""
    db = ctx.database()
    click.echo(t(f"Cơ sở dữ liệu sẵn sàng ({db.backend}).", f"Database ready ({db.backend})."))


data_commands.register(cli)
server_commands.register(cli)
users_commands.register(cli)
audit_commands.register(cli)
for capability in BUILTIN:
    for command in capability.commands:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn errors into one line and an exit code."""
    debug = os.environ.get("DOTHI_DEBUG") == "1"
    try:
        cli.main(args=argv, prog_name="dothi", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(t("Đã hủy.", "Aborted."), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DothiError as exc:
        if debug:
            raise
        click.echo(f"{t('Lỗi', 'Error')}: {exc.message()}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(t("Đã dừng.", "Stopped."), err=True)
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            t(
                f"Lỗi nội bộ: {type(exc).__name__}: {exc}. Chạy lại với DOTHI_DEBUG=1 để xem "
                "chi tiết và báo lỗi.",
                f"Internal error: {type(exc).__name__}: {exc}. Run again with DOTHI_DEBUG=1 "
                "for details and report it.",
            ),
            err=True,
        )
        sys.exit(3)
