"""The audit actions of planning, declared where its code takes them from."""

from __future__ import annotations

from dothi.auth.audit import declare_actions

PLAN_CREATE = "plan_create"
PLAN_STATUS = "plan_status"
COMMENT_MODERATE = "comment_moderate"
COMMENT_ANSWER = "comment_answer"
PLAN_DOCUMENT_UPLOAD = "plan_document_upload"
SCENARIO_CREATE = "scenario_create"
SCENARIO_UPDATE = "scenario_update"
SCENARIO_DELETE = "scenario_delete"

ACTIONS = declare_actions(
    PLAN_CREATE,
    PLAN_STATUS,
    COMMENT_MODERATE,
    COMMENT_ANSWER,
    PLAN_DOCUMENT_UPLOAD,
    SCENARIO_CREATE,
    SCENARIO_UPDATE,
    SCENARIO_DELETE,
)
