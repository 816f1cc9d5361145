"""A device's credentials, as the console issues them: good for MQTT and for HTTP
(Basic ``thing-<id>``), only for its own Datastreams, rotated and revoked; both backends."""

from __future__ import annotations

import base64
import subprocess
import sys

from mqtt_broker import url_with_password
from sta_client import ROOT, sta_client, thing

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.sensors.mqtt.local import LocalBroker

pytest_plugins = ["mqtt_broker"]


def _dothi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dothi", "sensors", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_device_credentials_over_http(
    db: Database, settings: Settings, env: dict[str, str], mqtt_broker: LocalBroker
) -> None:
    client, auth = sta_client(db, settings)
    mine = client.post(f"{ROOT}/Things", json=thing(), headers=auth).json()["@iot.id"]
    other = client.post(f"{ROOT}/Things", json=thing("Trạm khác"), headers=auth).json()["@iot.id"]
    ds = client.get(f"{ROOT}/Things({mine})/Datastreams").json()["value"][0]["@iot.id"]
    other_ds = client.get(f"{ROOT}/Things({other})/Datastreams").json()["value"][0]["@iot.id"]
    # The console provisions devices as the broker's administrator.
    env = {**env, "DOTHI_MQTT_URL": url_with_password(mqtt_broker.admin)}
    issued = _dothi(env, "credentials", str(mine))
    assert issued.returncode == 0, issued.stderr
    lines = dict(line.split(": ", 1) for line in issued.stdout.strip().splitlines())
    device = _basic(lines["username"], lines["password"])
    obs = {"phenomenonTime": "2026-12-06T03:00:00Z", "result": 18.5}
    r = client.post(f"{ROOT}/Datastreams({ds})/Observations", json=obs, headers=device)
    assert r.status_code == 201, r.text
    r = client.post(f"{ROOT}/Datastreams({other_ds})/Observations", json=obs, headers=device)
    assert r.status_code == 403
    block = {"Datastream": {"@iot.id": ds}, "components": ["result"], "dataArray": [[1], [2]]}
    r = client.post(f"{ROOT}/CreateObservations", json=[block], headers=device)
    assert r.status_code == 201
    assert client.post(f"{ROOT}/Things", json=thing(), headers=device).status_code == 403
    wrong = _basic(lines["username"], "not-the-password")
    assert (
        client.post(f"{ROOT}/Datastreams({ds})/Observations", json=obs, headers=wrong).status_code
        == 401
    )
    assert _dothi(env, "revoke", str(mine)).returncode == 0
    r = client.post(f"{ROOT}/Datastreams({ds})/Observations", json=obs, headers=device)
    assert r.status_code == 401
    assert client.get(f"{ROOT}/Observations?$count=true").json()["@iot.count"] == 3
