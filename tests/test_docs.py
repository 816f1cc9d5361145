"""The README documents every setting and command the code has."""

from __future__ import annotations

import re
from pathlib import Path

from dothi.cli.main import cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    used = set()
    for path in (ROOT / "src").rglob("*.py"):
        used |= set(re.findall(r"DOTHI_[A-Z_]+", path.read_text(encoding="utf-8")))
    assert used, "the code reads settings"
    missing = sorted(v for v in used if v not in README)
    assert missing == []


def test_every_command_and_option_is_documented() -> None:
    for name, command in cli.commands.items():
        assert f"dothi {name}" in README, name
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help",):
                    assert opt in README, f"dothi {name} {opt}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/dev.sh test" in ci and "./scripts/dev.sh test" in README
