"""The admins' page of the audit log (store.audit), newest first."""

from __future__ import annotations

import math

from flask import Blueprint, abort, render_template, request

from store.audit import AuditFilter, audit_actions, audit_entries
from web.auth import require_admin
from web.context import db_session

bp = Blueprint("admin_audit", __name__)
bp.before_request(require_admin)

PAGE_SIZE = 100


@bp.get("/admin/audit")
def audit():
    """`actor` and `action` filter by exact match; `page` counts from 1."""
    raw_page = (request.args.get("page") or "1").strip()
    if not (raw_page.isascii() and raw_page.isdigit() and int(raw_page) >= 1):
        abort(400, description=f"The page {raw_page!r} does not exist: use a whole number from 1.")
    page = int(raw_page)
    flt = AuditFilter(actor=request.args.get("actor", "").strip(), action=request.args.get("action", "").strip())
    session = db_session()
    entries, total = audit_entries(session, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    filters = {key: value for key, value in (("actor", flt.actor), ("action", flt.action)) if value}
    return render_template("admin_audit.html", entries=entries, total=total, page=page,
                           last_page=max(1, math.ceil(total / PAGE_SIZE)), filters=filters,
                           actions=audit_actions(session))
