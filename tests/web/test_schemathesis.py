"""Schemathesis drives /ogcapi with generated requests: no 5xx, responses match the API document."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from samples import parcels, write_geojson
from schemathesis.checks import positive_data_acceptance

from dothi.app.main import create_app
from dothi.auth.accounts import create_account, grant
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_ogcapi_against_its_openapi_document(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    import_file(
        db,
        settings,
        write_geojson(tmp_path / "p.geojson", parcels(12)),
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma"),
    )
    with db.write() as conn:
        create_account(conn, "bien_tap", "editor")
        grant(conn, "bien_tap", "thua", edit=True)
        token = create_token(conn, "bien_tap", "schemathesis")[0]
    app = create_app(settings, db)
    schema = schemathesis.openapi.from_asgi("/ogcapi/api", app)
    failures: list[str] = []
    for operation in schema.get_all_operations():
        op = operation.ok()
        strategy = op.as_strategy()

        @hsettings(
            max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            # The document cannot say that a bbox needs min ≤ max or that datetime must be
            # a real instant: such requests get a 400, which that check would count.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])
            # And as an editor, so that writes get past authorisation into validation.
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                excluded_checks=[positive_data_acceptance],
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{op.method.upper()} {op.path}: {exc}")
    assert failures == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_planning_routes_never_fail_with_a_server_error(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    """Generated requests to every ``/planning`` operation of the app's own API document,
    anonymous and as an editor: whatever comes in, no 5xx."""
    from planning_samples import consultation_city
    from schemathesis.checks import not_a_server_error

    tokens = consultation_city(db, settings, tmp_path)
    app = create_app(settings, db)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    for operation in schema.get_all_operations():
        op = operation.ok()
        if not op.path.startswith("/planning"):
            continue

        @hsettings(
            max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=op.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])
            case.call_and_validate(
                headers={"Authorization": f"Bearer {tokens['editor']}"},
                checks=[not_a_server_error],
            )

        try:
            check()
        except Exception as exc:
            failures.append(f"{op.method.upper()} {op.path}: {exc}")
    assert failures == []
