"""The web application: JSON API of the urban spatial database (FastAPI)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dothi import __version__
from dothi.app.account_routes import page_router as accounts_page_router
from dothi.app.account_routes import router as account_router
from dothi.app.data_page import router as data_page_router
from dothi.app.data_routes import router as data_router
from dothi.app.login_routes import router as login_router
from dothi.app.ogcapi_routes import router as ogcapi_router
from dothi.app.page_routes import router as page_router
from dothi.app.spatial_routes import router as spatial_router
from dothi.app.tiles_routes import router as tiles_router
from dothi.app.web_routes import web_router
from dothi.capabilities import BUILTIN, migration_folders
from dothi.config import Settings, load_settings
from dothi.db.engine import Database
from dothi.errors import DothiError, TooManyRequests
from dothi.spatial.layers import list_layers
from dothi.web import load_web_settings
from dothi.web.pages import error_page
from dothi.webkit.deps import install_auth
from dothi.webkit.pages import page_language, page_path, root_href, wants_html

log = logging.getLogger("dothi.app")


def _error(request: Request, status: int, code: str, vi: str, en: str) -> Response:
    """The error as a JSON document (``code``, ``description``, ``description_vi``) for API
    clients, or as a page in the visitor's language for a browser asking for HTML."""
    if wants_html(request):
        lang = page_language(request)
        page = error_page(lang, status, vi, en, root=root_href(request), path=page_path(request))
        headers = {"Content-Language": lang, "Vary": "Accept, Accept-Language, Cookie"}
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(
        {"code": code, "description": en, "description_vi": vi},
        status_code=status,
        headers={"Vary": "Accept"},
    )


def create_app(settings: Settings, db: Database | None = None, *, migrate: bool = True) -> FastAPI:
    """Build the app for a database (migrated to the current schema on start), with the
    platform's routes and those of every built-in capability."""
    database = db or Database(settings.database_url)
    if migrate:
        database.migrate(migration_folders())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Capabilities' background clients (the sensors' MQTT updates) live with the app.
        stops = [stop for c in BUILTIN if (stop := c.start(app)) is not None]
        try:
            yield
        finally:
            for stop in reversed(stops):
                stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Dothi",
        version=__version__,
        description="Cơ sở dữ liệu không gian đô thị / urban spatial database",
        openapi_url="/api/openapi.json",
        # Served by the pages (web_routes) with Swagger UI from this server, not a CDN.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.db = database
    app.state.settings = settings

    @app.exception_handler(DothiError)
    async def _dothi_error(request: Request, exc: DothiError) -> Response:
        return _error(request, exc.status, exc.code, exc.vi, exc.en)

    @app.exception_handler(TooManyRequests)
    async def _too_many(request: Request, exc: TooManyRequests) -> Response:
        response = _error(request, exc.status, exc.code, exc.vi, exc.en)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return _error(
            request,
            400,
            "InvalidParameterValue",
            f"Tham số không hợp lệ: {details}",
            f"Invalid parameter: {details}",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error(request, 404, "NotFound", "Không tìm thấy.", "Not found.")
        return _error(request, exc.status_code, "HTTPError", str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return _error(
            request,
            500,
            "ServerError",
            "Lỗi máy chủ; đã ghi nhật ký.",
            "Server error; it was logged.",
        )

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Whether the database answers: reads the layer list only, never the features."""
        with database.read(snapshot=False) as conn:
            n = sum(1 for ly in list_layers(conn) if ly.access == "public")
        return {"status": "ok", "backend": database.backend, "public_layers": n}

    install_auth(app)
    app.include_router(spatial_router, prefix="/api")
    app.include_router(login_router, prefix="/api")
    app.include_router(account_router, prefix="/api")
    app.include_router(data_router, prefix="/api")
    for capability in BUILTIN:
        for mount in capability.mounts:
            app.include_router(mount.load(), prefix=mount.prefix)
    app.include_router(ogcapi_router, prefix="/ogcapi")
    app.include_router(tiles_router, prefix="/ogcapi")
    app.include_router(page_router)
    app.include_router(accounts_page_router)
    app.include_router(data_page_router)
    app.include_router(web_router(load_web_settings(), BUILTIN))
    return app


def app_from_environment() -> FastAPI:
    """The app of each worker process of ``dothi serve --workers N`` (settings from the
    environment; the command has migrated the database before starting them)."""
    return create_app(load_settings(), migrate=False)
