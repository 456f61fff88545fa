"""The Flask app: pages for agents, the JSON API, the health check."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, Response
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config.clock import Clock, SystemClock
from config.live import Live
from config.settings import Settings, load_settings
from listener.in_force import InForce, hold
from store.db import Database
from web import (
    account,
    admin,
    admin_audit,
    admin_quarantine,
    admin_settings,
    alert_settings,
    alerts,
    api,
    canned,
    dashboard,
    health,
    inbox,
    incidents,
    mentions,
    moderation,
    openapi,
    tickets,
    webhooks,
    work_api,
)
from web.auth import init_auth
from web.compress import init_compression
from web.context import Services, close_db_session, services
from web.errors import init_errors
from web.filters import MAX_ID, refuse_nul_characters
from web.formatting import register_template_helpers
from web.media import init_media
from web.metrics import init_metrics
from web.request_ids import init_request_ids
from web.sessions import ForegroundRefreshedSessions
from web.settings_check import SettingsCheck

HSTS_SECONDS = 365 * 24 * 3600
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _at_most(limit: int) -> str:
    """A regular expression for the whole numbers from 0 to `limit`."""
    digits = str(limit)
    below = [f"{digits[:i]}[0-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}" for i, d in enumerate(digits) if d != "0"]
    return "0*(?:" + "|".join([f"[0-9]{{1,{len(digits) - 1}}}", *below, digits]) + ")"


class DatabaseInt(IntegerConverter):
    """Ids in paths fit the database's 32-bit integers: a larger one matches
    no route (404, whatever the method) rather than overflowing PostgreSQL."""

    regex = _at_most(MAX_ID)


def create_app(settings: Settings | None = None, *, live: Live[InForce] | None = None, db: Database | None = None,
               clock: Clock | None = None, scheduler_status: Callable[[], dict] | None = None) -> Flask:
    """Build the web app. It does not migrate the database: the caller does.

    `live` holds the settings in force when the app shares them with the
    rest of its process (`closeloop run`); else the app holds `settings`
    (by default loaded from the config) itself.

    Session cookies are marked Secure, and HSTS sent, when the public
    address (`alerts.base_url`) is https, or Secure with `web.secure_cookies`;
    plain-http local use keeps working. A session ends after
    `web.session_hours` without a request.
    Forwarded headers are believed from `web.trusted_proxies` proxies only.
    """
    live = live or hold(settings or load_settings())
    settings = live.settings
    https = settings.alerts.base_url.startswith("https://")
    secure = https or settings.web.secure_cookies
    app = Flask(__name__)
    app.url_map.converters["int"] = DatabaseInt
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.update(
        SECRET_KEY=settings.web.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_NAME="closeloop_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.web.session_hours),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.session_interface = ForegroundRefreshedSessions()
    db = db or Database(settings.database.url)
    clock = clock or SystemClock()
    app.extensions["closeloop"] = Services(live=live, db=db, clock=clock, scheduler_status=scheduler_status)
    init_request_ids(app)
    app.before_request(SettingsCheck(live, db, clock))
    app.before_request(refuse_nul_characters)
    app.teardown_appcontext(close_db_session)

    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)
    csrf.exempt(incidents.api_bp)
    csrf.exempt(canned.api_bp)
    csrf.exempt(work_api.bp)
    csrf.exempt(mentions.api_bp)
    csrf.exempt(moderation.api_bp)
    csrf.exempt(admin_settings.api_bp)
    csrf.exempt(admin.api_bp)
    csrf.exempt(webhooks.bp)
    init_auth(app)
    for blueprint in (inbox.bp, tickets.bp, api.bp, dashboard.bp, dashboard.api_bp, health.bp, webhooks.bp,
                      alerts.bp, incidents.bp, incidents.api_bp, account.bp, admin_audit.bp, openapi.bp,
                      canned.bp, canned.api_bp, work_api.bp, admin_settings.bp, admin_settings.api_bp, admin.bp,
                      admin.api_bp, admin_quarantine.bp, mentions.bp, mentions.api_bp, alert_settings.bp,
                      alert_settings.admin_bp,
                      moderation.bp, moderation.api_bp):
        app.register_blueprint(blueprint)
    init_media(app)
    init_errors(app)
    register_template_helpers(app)
    init_metrics(app, settings.metrics.token)
    init_compression(app)
    if settings.web.trusted_proxies:
        hops = settings.web.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.context_processor(lambda: {"brand": settings.brand.name, "time_zone": services().settings.web.timezone})
    app.add_template_global(_unread_alerts, "unread_alerts")
    app.after_request(_security_headers)
    if https:
        app.after_request(_strict_transport)
    return app


def _unread_alerts() -> int:
    """The count of unread alerts shown beside the nav link, read when a
    page draws the nav (not for the parts of pages that refresh)."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    return alerts.unread_count(current_user.agent.id)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _strict_transport(response: Response) -> Response:
    """Browsers keep to https for this site for a year once they have seen it."""
    response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
    return response
