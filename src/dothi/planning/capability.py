"""What planning brings to Dothi: its routes under ``/planning``, the ``dothi planning``
commands, the consultation and planner pages, its tables' migrations, its audit actions
and the Circular 16/2025/TT-BXD import hook."""

from __future__ import annotations

from pathlib import Path

from dothi.capability import Capability, Mount, Page
from dothi.planning import actions
from dothi.planning.commands import planning_group
from dothi.planning.import_naming import circular_naming

_HERE = Path(__file__).parent
_PAGES = _HERE / "pages"

PLANNING = Capability(
    name="planning",
    title_vi="Thông tin quy hoạch",
    title_en="Planning information",
    mounts=(
        Mount("/planning", "dothi.planning.routes:router"),
        Mount("/planning", "dothi.planning.consultation.routes:router"),
        Mount("/planning", "dothi.planning.scenarios.routes:router"),
    ),
    commands=(planning_group,),
    pages=(
        Page("consultation", _PAGES / "consultation.html"),
        Page("planner", _PAGES / "planner.html"),
    ),
    static=(
        _PAGES / "consultation.js",
        _PAGES / "consultation.css",
        _PAGES / "planner.js",
        _PAGES / "planner.css",
    ),
    migrations=_HERE / "migrations",
    audit_actions=actions.ACTIONS,
    import_hooks=(circular_naming,),
)
