"""The admins' page of the quarantine (store.quarantine): the posts that
could not be stored, why, and what the platform sent; a post that was
parsed can be taken in again once the cause is fixed, any can be dismissed."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, url_for

from listener.quarantine import retry_quarantined
from store.audit import record_audit
from store.quarantine import dismiss as dismiss_post
from store.quarantine import quarantine_counts, quarantined
from web.auth import require_admin, signed_in_agent
from web.context import db_session, now, services
from web.errors import on_refusal

bp = Blueprint("admin_quarantine", __name__, url_prefix="/admin/quarantine")
bp.before_request(require_admin)


@bp.get("")
def index():
    session = db_session()
    rows = quarantined(session)
    raw = {row.id: json.dumps(row.raw, indent=1, ensure_ascii=True)[:4000] for row in rows}
    return render_template("admin_quarantine.html", rows=rows, raw=raw, counts=quarantine_counts(session))


@bp.post("/<int:row_id>/retry")
@on_refusal("Nothing was retried: {}.", back="admin_quarantine.index")
def retry(row_id: int):
    session = db_session()
    agent = signed_in_agent()
    report = retry_quarantined(session, services().live.now.intake, row_id, now())
    if report is None:
        flash("That item was never read as a post, so it cannot be taken in again; dismiss it once seen.", "error")
    elif report.quarantined:
        session.commit()
        flash("It still cannot be stored; the reason is updated.", "error")
    else:
        record_audit(session, agent.email, "quarantine_retried", str(row_id), now=now())
        session.commit()
        flash("The post is stored now.", "success")
    return redirect(url_for("admin_quarantine.index"))


@bp.post("/<int:row_id>/dismiss")
@on_refusal("Nothing was dismissed: {}.", back="admin_quarantine.index")
def dismiss(row_id: int):
    session = db_session()
    dismiss_post(session, row_id, signed_in_agent().email, now())
    session.commit()
    flash("Dismissed; the audit log keeps what it was.", "success")
    return redirect(url_for("admin_quarantine.index"))
