"""Tables of the ``planning`` capability: plans (đồ án quy hoạch) and their life cycle,
scenarios (phương án) for decision support, public consultation (comments, attachments).

A plan's zones are features of the ``planning_zone`` layer whose ``plan_id`` property names
the plan, so they keep the spatial database's history. A plan is never deleted: a newer
approved plan supersedes it and both stay.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from dothi.db.schema import BigId, metadata

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
    Column("description", Text),
    Column("plan_id", String(64), ForeignKey("plan.id"), nullable=False),
    # JSON object: floor area per person, household size, residential share of mixed-use
    # floor area, regulation edition, norm set (see dothi.planning.scenarios.store.Assumptions).
    Column("assumptions", Text, nullable=False),
    Column("illustrative", Boolean, nullable=False, default=False),
    Column("created_by", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

PLANNING_TABLES = (plan,)
SCENARIO_TABLES = (scenario,)


# Public consultation (lấy ý kiến cộng đồng) on a plan in consultation.
comment = Table(
    "consultation_comment",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("plan_id", String(64), ForeignKey("plan.id"), nullable=False),
    # The zone of the plan the comment is about (given, or found from the point).
    Column("zone_uid", String(200)),
    Column("lon", Float),
    Column("lat", Float),
    Column("topic", String(32), nullable=False),
    Column("body", Text, nullable=False),
    # pending → published | rejected (moderation); only published comments are public.
    Column("status", String(16), nullable=False),
    Column("moderation_note", Text),
    Column("moderated_by", String(100)),
    Column("moderated_at", DateTime(timezone=True)),
    Column("answer", Text),
    Column("answered_by", String(100)),
    Column("answered_at", DateTime(timezone=True)),
    # Name, phone, e-mail if the commenter gave them: AES-GCM ciphertext, never shown publicly.
    Column("identity", LargeBinary),
    # Keyed hash of the client's address, for rate limits (the address is not kept).
    Column("client_key", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Keyed hashes of the browser session and of the e-mail or phone given, for the limits
    # of one person (many people may share one address at a public meeting).
    Column("session_key", String(64)),
    Column("identity_key", String(64)),
    Index("ix_comment_plan_status", "plan_id", "status"),
    Index("ix_comment_client_time", "client_key", "created_at"),
    Index("ix_comment_session_time", "session_key", "created_at"),
    Index("ix_comment_identity_time", "identity_key", "created_at"),
)

attachment = Table(
    "consultation_attachment",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("comment_id", BigId, ForeignKey("consultation_comment.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    # In the database, so a comment and its files commit or roll back together.
    Column("content", LargeBinary, nullable=False),
    Index("ix_attachment_comment", "comment_id"),
)

# A plan's documents (hồ sơ: thuyết minh, bản vẽ), uploaded by officials, public with the
# plan. In the database, as comment attachments are: a row and its file commit together.
document = Table(
    "plan_document",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("plan_id", String(64), ForeignKey("plan.id"), nullable=False),
    Column("title", String(300), nullable=False),
    # report = thuyết minh; drawing = bản vẽ; decision = quyết định, tờ trình; other
    Column("kind", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Index("ix_plan_document_plan", "plan_id"),
)

CONSULTATION_TABLES = (comment, attachment, document)
