"""How closeloop is doing: GET /readyz for a load balancer (this process
can serve: its database answers with the schema up to date), GET /healthz
for monitors (no sign-in needed), and the sources page for people. `ok` (and the status
code) says whether this process can serve: its database answers. A source
whose last poll failed is named in `sources_failing`, and the posts put
aside because they could not be stored are counted in `quarantined`."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from store.quarantine import quarantine_counts
from store.queries import all_sources
from web.auth import require_login
from web.context import db_session, now, services
from web.serialize import source_json

bp = Blueprint("health", __name__)
# The statuses of a source whose last poll failed.
FAILED = ("backing_off", "broken")


@bp.get("/readyz")
def readyz():
    """200 when the database answers and its schema is current, else 503 and why."""
    db = services().db
    try:
        database = "ok" if db.schema_is_current() else "the schema is not up to date: run `closeloop migrate`"
    except Exception as error:  # whatever went wrong, the answer is "not ready" and why
        database = _describe(error)
    ready = database == "ok"
    return jsonify(ready=ready, database=database), 200 if ready else 503


@bp.get("/healthz")
def healthz():
    svc = services()
    database, sources, quarantined, session = "ok", [], {}, None
    try:
        svc.db.ping()
        session = db_session()
        sources = [source_json(s) for s in all_sources(session)]
        quarantined = quarantine_counts(session)
    except Exception as error:  # whatever went wrong, the answer is "not healthy" and why
        if session is not None:
            session.rollback()  # SQLite's lock goes with it, so the schema can be read
        database = _schema_behind(svc.db) or _describe(error)
    ok = database == "ok"
    failing = [s["name"] for s in sources if s["enabled"] and s["status"] in FAILED]
    body = {"ok": ok, "database": database, "scheduler": _scheduler(), "sources": sources,
            "sources_failing": failing, "quarantined": quarantined}
    return jsonify(body), 200 if ok else 503


@bp.get("/sources")
def sources():
    """Each source's state: when it last polled, what went wrong, when it tries again."""
    refused = require_login()
    if refused is not None:
        return refused
    return render_template("sources.html", sources=all_sources(db_session()), now=now())


def _scheduler() -> dict:
    status = services().scheduler_status
    if status is None:
        return {"running": False}
    try:
        return status()
    except Exception as error:  # a broken status callback must not break the health check
        return {"running": False, "error": _describe(error)}


def _schema_behind(db) -> str | None:
    """Why the queries failed when the schema is older than the code (the
    web processes never migrate): the command to run, not the SQL error."""
    try:
        return None if db.schema_is_current() else "the schema is not up to date: run `closeloop migrate`"
    except Exception:  # the database itself is the problem: the error says so
        return None


def _describe(error: Exception) -> str:
    cause = getattr(error, "orig", None) or error
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first_line}"
