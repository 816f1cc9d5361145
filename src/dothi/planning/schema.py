"""Tables of the ``planning`` capability: plans (đồ án quy hoạch) and their life cycle,
scenarios (phương án) for decision support.

A plan's zones are features of the ``planning_zone`` layer whose ``plan_id`` property names
the plan, so they keep the spatial database's history. A plan is never deleted: a newer
approved plan supersedes it and both stay.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, String, Table, Text

from dothi.db.schema import metadata

plan = Table(
    "plan",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    # general = quy hoạch chung; zoning = phân khu (1/2000, 1/5000); detailed = chi tiết (1/500)
    Column("level", String(16), nullable=False),
    Column("scale", String(16)),
    Column("status", String(16), nullable=False),
    Column("decision_no", String(100)),
    Column("decision_date", Date),
    Column("authority", String(200)),
    Column("consultation_from", Date),
    Column("consultation_to", Date),
    Column("supersedes", String(64), ForeignKey("plan.id")),
    # JSON list of {"title": ..., "url": ...}: the plan's documents.
    Column("documents", Text, nullable=False, default="[]"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

scenario = Table(
    "scenario",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("plan_id", String(64), ForeignKey("plan.id"), nullable=False),
    # JSON object: floor area per person, household size, regulation edition, norms chosen.
    Column("assumptions", Text, nullable=False),
    Column("illustrative", Boolean, nullable=False, default=False),
    Column("created_by", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

PLANNING_TABLES = (plan,)
SCENARIO_TABLES = (scenario,)
