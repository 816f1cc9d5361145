"""The site's own pages in process: the language switch, the home and help pages, the API
documentation served without a CDN, and error pages for browsers (JSON for API clients)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prepared import dataset
from samples import parcels, write_geojson

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.i18n import LANGUAGE_COOKIE
from dothi.spatial.importer import ImportOptions, import_file
from dothi.webkit.pages import local_target

#: What Chromium sends when it opens a page.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@dataset(shared=True)
def layers(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "p.geojson", parcels(3))
    opts = ImportOptions(
        layer_id="thua",
        key="ma",
        title_vi="Thửa đất mẫu",
        title_en="Parcels",
        new_layer=True,
        access="public",
    )
    import_file(db, settings, path, opts)
    hidden = write_geojson(tmp_path / "h.geojson", parcels(1))
    import_file(
        db,
        settings,
        hidden,
        ImportOptions(layer_id="mat", key="ma", access="internal", new_layer=True),
    )


@pytest.fixture
def client(layers: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def _lang(page: str) -> str:
    found = re.search(r'<html lang="(\w+)"', page)
    assert found is not None
    return found.group(1)


# -- The language switch --------------------------------------------------------------------


def test_language_route_sets_the_cookie_and_goes_back(client: TestClient) -> None:
    r = client.get("/language/en", params={"next": "/help?x=1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/help?x=1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=en;")
    assert "Max-Age=31536000" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "HttpOnly" not in cookie
    # The client keeps the cookie: the next pages are in English.
    assert _lang(client.get("/help").text) == "en"
    assert _lang(client.get("/").text) == "en"
    back = client.get("/language/vi", params={"next": "/"}, follow_redirects=True)
    assert back.url.path == "/" and _lang(back.text) == "vi"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        "",
    ],
)
def test_language_route_refuses_to_leave_the_site(client: TestClient, target: str) -> None:
    r = client.get("/language/vi", params={"next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert local_target(target) == "/"


def test_language_route_without_next_and_with_an_unknown_language(client: TestClient) -> None:
    r = client.get("/language/en", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert local_target("help") == "/help" and local_target("/map#x") == "/map#x"
    bad = client.get("/language/fr", follow_redirects=False)
    assert bad.status_code == 404 and "set-cookie" not in bad.headers


def test_language_route_under_a_path_prefix(layers: None, db: Database, settings: Settings) -> None:
    client = TestClient(create_app(settings, db), root_path="/dothi")
    r = client.get("/dothi/language/en", params={"next": "/help"}, follow_redirects=False)
    assert r.headers["location"] == "/dothi/help" and "Path=/dothi/" in r.headers["set-cookie"]
    # A page that passes its location.pathname (prefix included) is not prefixed twice.
    r = client.get("/dothi/language/en", params={"next": "/dothi/map"}, follow_redirects=False)
    assert r.headers["location"] == "/dothi/map"


def test_accept_language_is_the_default_and_the_cookie_wins(client: TestClient) -> None:
    assert _lang(client.get("/").text) == "vi"
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert _lang(english.text) == "en" and english.headers["content-language"] == "en"
    assert "Accept-Language" in english.headers["vary"]
    client.cookies.set(LANGUAGE_COOKIE, "vi")
    chosen = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert _lang(chosen.text) == "vi"


# -- Home and help ---------------------------------------------------------------------------


def test_home_page_in_one_language(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    for href in ('href="map"', 'href="consultation"', 'href="planner"', 'href="api/docs"'):
        assert href in page, href
    assert 'href="ogcapi?f=html"' in page and 'href="help"' in page
    assert 'href="static/pages.css"' in page and "width=device-width" in page
    # Public layers only, by their title in the page's language.
    assert "Thửa đất mẫu" in page and "ogcapi/collections/thua?f=html" in page
    assert "ogcapi/collections/mat" not in page
    assert 'href="language/en?next=/"' in page
    # One language: no English beside the Vietnamese.
    assert "Bản đồ và tra cứu quy hoạch" in page and "Map and planning lookup" not in page
    assert 'lang="en">English</a>' in page and "Parcels" not in page
    english = client.get("/", headers={"Accept-Language": "en"}).text
    assert "Map and planning lookup" in english and "Bản đồ và tra cứu" not in english
    assert "Parcels" in english and 'href="language/vi?next=/"' in english
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_help_page_explains_the_terms(client: TestClient) -> None:
    page = client.get("/help").text
    for term in (
        "Hệ số sử dụng đất",
        "Mật độ xây dựng",
        "Chỉ giới đường đỏ",
        "Chỉ giới xây dựng",
        "Phạm vi được phép xây dựng",
    ):
        assert f"<h2>{term}" in page, term
    # Thresholds come from the regulation data, marked when not confirmed.
    assert "QCVN 01:2021/BXD" in page and "<strong>13</strong>" in page
    assert "chưa đối chiếu với văn bản chính thức" in page
    assert 'href="language/en?next=/help"' in page and 'aria-current="page"' in page
    english = client.get("/help", headers={"Accept-Language": "en"}).text
    for term in ("Land-use coefficient", "Building coverage", "Road red line", "Building line"):
        assert f"<h2>{term}" in english, term
    assert "Buildable envelope" in english and "not yet checked" in english
    assert "Mật độ xây dựng là" not in english


# -- API documentation -------------------------------------------------------------------------


def test_api_docs_load_swagger_ui_from_this_server(client: TestClient) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200
    assert "https://" not in r.text and "http://" not in r.text  # no CDN, no validator
    assert '"validatorUrl": null' in r.text and "url: 'openapi.json'" in r.text
    files = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert len(files) == 3
    for src in files:
        assert src.startswith("../static/vendor/swagger-ui/"), src
        got = client.get("/api/" + src)
        assert got.status_code == 200 and got.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/vendor/swagger-ui/index.html").status_code == 404
    assert client.get("/api/redoc").status_code == 404


def test_api_docs_without_swagger_ui_say_how_to_install_it(
    layers: None,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOTHI_WEB_VENDOR", str(tmp_path / "nowhere"))
    r = TestClient(create_app(settings, db)).get("/api/docs")
    assert r.status_code == 503 and "npm ci" in r.text and str(tmp_path) not in r.text


# -- Errors: pages for browsers, JSON for API clients ---------------------------------------


@pytest.mark.parametrize(
    "path", ["/no/such/page", "/ogcapi/collections/nothing", "/ogcapi/collections/mat"]
)
def test_browsers_get_an_error_page_in_their_language(client: TestClient, path: str) -> None:
    r = client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert _lang(r.text) == "vi" and "Không tìm thấy" in r.text
    depth = path.count("/") - 1
    assert f'href="{"../" * depth}map"' in r.text  # the way back, from where the page is
    en = client.get(path, headers={"Accept": BROWSER, "Accept-Language": "en"})
    assert _lang(en.text) == "en" and "not found" in en.text.lower()
    assert "Không tìm thấy" not in en.text


@pytest.mark.parametrize(
    "accept",
    [None, "*/*", "application/json", "application/geo+json", "text/html, application/json"],
)
def test_api_clients_keep_the_json_error_document(client: TestClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    r = client.get("/ogcapi/collections/nothing", headers=headers)
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert set(doc) == {"code", "description", "description_vi"}
    bad = client.get("/api/layers/thua/features", params={"limit": "abc"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == "InvalidParameterValue"


def test_a_bad_parameter_from_a_browser_is_a_page(client: TestClient) -> None:
    r = client.get(
        "/api/layers/thua/features",
        params={"limit": "abc"},
        headers={"Accept": BROWSER, "Accept-Language": "en"},
    )
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "Bad request" in r.text and "Invalid parameter" in r.text
