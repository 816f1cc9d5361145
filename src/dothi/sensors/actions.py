"""The audit actions of sensors, declared where its code takes them from."""

from __future__ import annotations

from dothi.auth.audit import declare_actions

STA_CREATE = "sta_create"
STA_UPDATE = "sta_update"
STA_DELETE = "sta_delete"
DEVICE_CREDENTIALS = "device_credentials"
DEVICE_REVOKE = "device_revoke"

ACTIONS = declare_actions(STA_CREATE, STA_UPDATE, STA_DELETE, DEVICE_CREDENTIALS, DEVICE_REVOKE)
