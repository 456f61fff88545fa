"""The shared inbox: my tickets, the team queue, all open and snoozed
tickets, soonest due first, with filters, saved views, bulk actions and
rows that refresh themselves when something changed."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for

from store.views import delete_view, save_view
from web.auth import require_login, signed_in_agent
from web.context import db_session, now
from web.errors import on_refusal
from web.workspace import list_context, list_etag, listing, not_modified, remember

bp = Blueprint("inbox", __name__)
bp.before_request(require_login)


@bp.get("/")
def home():
    return redirect(url_for("inbox.inbox"))


@bp.get("/inbox")
def inbox():
    """`view` is mine (where agents land), queue (unassigned), all (where
    seniors and managers land) or snoozed."""
    remember(request.args)
    context = list_context(request.args)
    return render_template("inbox.html", **context), 400 if context["error"] else 200


@bp.get("/inbox/rows")
def rows():
    """The inbox's rows for the same filters, for the page to refresh
    itself; 304 when nothing changed since the version it holds."""
    etag = list_etag(request.args)
    if not_modified(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    listing_now = listing(request.args)
    html = render_template("_inbox_rows.html", **listing_now)
    response = jsonify(total=listing_now["total"], total_text=listing_now["total_text"],
                       ids=[t.id for t in listing_now["tickets"]], html=html)
    response.set_etag(etag)
    return response


def _inbox_with_query() -> str:
    return url_for("inbox.inbox") + "?" + request.form.get("query", "")


@bp.post("/inbox/views")
@on_refusal("{}", back=_inbox_with_query)
def save():
    """Save the filters in `query` under `name` for the signed-in agent."""
    session = db_session()
    view = save_view(session, signed_in_agent(), request.form.get("name", ""), request.form.get("query", ""), now())
    session.commit()
    flash(f"Saved the view {view.name!r}.", "success")
    return redirect(url_for("inbox.inbox") + "?" + view.query)


@bp.post("/inbox/views/<int:view_id>/delete")
def delete(view_id: int):
    session = db_session()
    delete_view(session, signed_in_agent(), view_id)
    session.commit()
    flash("View deleted.", "success")
    return redirect(url_for("inbox.inbox"))
