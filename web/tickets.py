"""One ticket: its conversation, the reply form, resolving, retrying a reply."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask import session as flask_session

from config.platforms import LABELS as PLATFORM_LABELS
from responder.answers import queue_answer
from responder.channels import ReplyChannel
from responder.followups import resolve_ticket
from responder.outbox import retry_reply
from responder.templates import fill_template
from store import tickets
from store.answers import answers_needed, default_target, overlooked, post_states
from store.canned import all_canned
from store.customers import link_customers, update_customer
from store.errors import Refused
from store.models import PRIORITIES, Customer, Event, Mention, Reply, Ticket
from store.presence import is_composing, others_here, touch
from store.queries import (TicketFilter, conversation_version, list_tickets, loaded_conversation_version,
                           previous_tickets, ticket_with_conversation)
from store.sla import SlaClock
from web.bulk import apply_bulk
from web.errors import on_refusal
from web.filters import MAX_ID
from web.formatting import local_moment
from web.access import can_see, can_see_customer, hidden_teams
from web.auth import require_login, signed_in_agent
from web.context import db_session, now, reply_channel_of, services
from web.moderation_panel import LABELS as MODERATION_LABELS
from web.moderation_panel import panels_for
from web.workspace import list_context, not_modified, remembered_args

bp = Blueprint("tickets", __name__)
bp.before_request(require_login)


@dataclass(frozen=True)
class Entry:
    """One message of the conversation: a customer's post, our reply, or an
    internal note."""

    at: datetime
    post: Mention | None = None
    reply: Reply | None = None
    note: Event | None = None


def conversation(ticket: Ticket) -> list[Entry]:
    entries = [Entry(m.created_at, post=m) for m in ticket.mentions]
    entries += [Entry(r.created_at, reply=r) for r in ticket.replies]
    entries += [Entry(e.at, note=e) for e in ticket.events if e.kind == "note"]
    return sorted(entries, key=lambda e: (e.at, e.post is None))


def ticket_or_404(ticket_id: int, *, with_conversation: bool = False) -> Ticket:
    """The ticket, when it exists and the signed-in agent may see it; with
    its customer, posts, replies and events loaded when asked."""
    session = db_session()
    ticket = ticket_with_conversation(session, ticket_id) if with_conversation else session.get(Ticket, ticket_id)
    if ticket is None or not can_see(signed_in_agent(), ticket, services().settings):
        abort(404, description=f"Ticket {ticket_id} does not exist.")
    return ticket


# Sent by the workspace when it submits a pane's form with fetch: the
# ticket the action leads back to then answers with its pane alone, with
# the action's messages in it.
PANE_HEADER = "X-Pane"


@bp.get("/tickets/<int:ticket_id>")
def show(ticket_id: int):
    """The workspace with this ticket open beside the list (filtered as
    the inbox last was). `answer` (a post's id) points the reply box at
    that post; by default it answers the post default_target picks. After
    a refused resolve, `resolve=confirm` lists the posts still waiting and
    offers to resolve anyway. Asked by the workspace (PANE_HEADER), the
    pane alone."""
    context = _ticket_context(ticket_or_404(ticket_id, with_conversation=True))
    pane_version = _etag_of(loaded_conversation_version(context["ticket"]))
    if request.headers.get(PANE_HEADER):
        return _pane_response(render_template("ticket.html", **context, pane_only=True, with_flashes=True),
                              pane_version)
    return render_template("ticket.html", **{**list_context(remembered_args(), open_id=ticket_id), **context},
                           pane_url=url_for("tickets.pane", ticket_id=ticket_id), pane_version=pane_version)


@bp.get("/tickets/<int:ticket_id>/pane")
def pane(ticket_id: int):
    """The ticket alone, for the workspace to open it in place or to
    refresh it while it is open: 304 when nothing changed since the
    version the page holds (If-None-Match)."""
    ticket_or_404(ticket_id)
    etag = _pane_etag(ticket_id)
    if not_modified(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    context = _ticket_context(ticket_with_conversation(db_session(), ticket_id))
    return _pane_response(render_template("ticket.html", **context, pane_only=True), etag)


def _pane_response(html: str, etag: str) -> Response:
    response = Response(html)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = PANE_HEADER
    return response


def _pane_etag(ticket_id: int) -> str:
    """The open ticket's version; the minute is in it as due times read
    "in 5 min"."""
    return _etag_of(conversation_version(db_session(), ticket_id))


def _etag_of(conversation: str) -> str:
    version = f"{conversation}.{now():%Y%m%d%H%M}"
    return hashlib.sha1(version.encode()).hexdigest()[:20]


def _kept_draft(ticket_id: int) -> str:
    """The reply kept when it was refused, once; the session is changed
    (and its cookie sent again) only when there is one."""
    key = f"draft:{ticket_id}"
    return flask_session.pop(key) if key in flask_session else ""


def _ticket_context(ticket: Ticket) -> dict:
    """What the ticket's pane shows, for a ticket loaded with its conversation."""
    session = db_session()
    agent, current = signed_in_agent(), now()
    touch(session, ticket.id, agent.id, current, composing=False)
    session.commit()
    settings = services().settings
    states = post_states(ticket)
    chosen = request.args.get("answer", "")
    target = next((s.post for s in states if str(s.post.id) == chosen), None) or default_target(states)
    return dict(
        ticket=ticket,
        conversation=conversation(ticket),
        previous=previous_tickets(session, ticket),
        channel=reply_channel_of(ticket, target),
        post_channels={s.post.id: reply_channel_of(ticket, s.post) for s in states},
        states={s.post.id: s for s in states},
        target=target,
        waiting=overlooked(states),
        answers_needed=answers_needed(states),
        confirm_resolve=request.args.get("resolve") == "confirm",
        current_agent=agent,
        priorities=PRIORITIES,
        idempotency_key=uuid.uuid4().hex,
        draft=_kept_draft(ticket.id),
        note_limit=tickets.MAX_NOTE,
        canned=[(c, fill_template(c.body, ticket, agent.name, settings.brand.name)) for c in all_canned(session)],
        here=_here(ticket.id),
        topics=tuple(settings.scoring.topics),
        moderation=panels_for(list(ticket.mentions), agent, settings),
        moderation_labels=MODERATION_LABELS,
    )


def _back_to_the_answer(ticket_id: int) -> str:
    """The ticket, its reply box still pointed at the post it was answering."""
    chosen = request.form.get("in_reply_to", "")
    return url_for("tickets.show", ticket_id=ticket_id, answer=chosen if chosen.isdigit() else None)


@bp.post("/tickets/<int:ticket_id>/replies")
@on_refusal("Reply not sent: {}.", back=_back_to_the_answer)
def reply(ticket_id: int):
    """The answer to the post `in_reply_to`. A post answered already (by a
    teammate while this agent was writing, say) is answered again only
    when the agent ticks `answer_again`: the customer should not get two
    answers by accident."""
    session = db_session()
    ticket = ticket_or_404(ticket_id)
    body, chosen = request.form.get("body", ""), request.form.get("in_reply_to", "")
    flask_session[f"draft:{ticket_id}"] = body  # kept for the form when the reply is refused
    queue_answer(session, ticket, body, signed_in_agent(), now(), services().settings,
                 in_reply_to=int(chosen) if chosen.isdigit() else None,
                 force=request.form.get("answer_again") == "1",
                 idempotency_key=request.form.get("idempotency_key") or None)
    del flask_session[f"draft:{ticket_id}"]
    session.commit()
    flash("Reply queued; it will be posted in a moment.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.post("/replies/length")
def reply_length():
    """A reply's length as its platform counts it, for the reply box's
    counter while the agent writes: X counts a bare "example.co.uk/refund"
    as a link, which only twitter-text's list of domains can tell. Sending
    counts again."""
    platform = request.form.get("platform", "")
    if platform not in PLATFORM_LABELS:
        raise Refused(f"there is no platform {platform!r}; name one of {', '.join(PLATFORM_LABELS)}", 400)
    return jsonify(length=ReplyChannel.of(platform).length(request.form.get("text", "")))


@bp.post("/tickets/<int:ticket_id>/presence")
def presence(ticket_id: int):
    """The ticket page checks in while it is open; returns who else is here."""
    ticket = ticket_or_404(ticket_id)
    session = db_session()
    touch(session, ticket.id, signed_in_agent().id, now(), composing=request.form.get("composing") == "1")
    session.commit()
    return jsonify(here=_here(ticket.id))


@bp.get("/tickets/<int:ticket_id>/next")
def next_ticket(ticket_id: int):
    """The next ticket to work: the soonest due of mine, else of the team
    queue, after this one; else the inbox."""
    agent, session = signed_in_agent(), db_session()
    hidden = hidden_teams(agent, services().settings)
    for flt in (TicketFilter(assignee_id=agent.id, now=now(), hidden_teams=hidden),
                TicketFilter(unassigned=True, now=now(), hidden_teams=hidden)):
        listed = list_tickets(session, flt, limit=2).tickets
        following = next((t for t in listed if t.id != ticket_id), None)
        if following is not None:
            return redirect(url_for("tickets.show", ticket_id=following.id))
    flash("Nothing else is waiting for you.", "success")
    return redirect(url_for("inbox.inbox"))


NOT_DONE = "Not done: {}."


@bp.post("/tickets/<int:ticket_id>/snooze")
@on_refusal(NOT_DONE, back="tickets.show")
def snooze(ticket_id: int):
    until = request.form.get("until", "")

    def change(session, ticket, at):
        moment = local_moment(until, services().settings.web.timezone) if until else None
        tickets.snooze(session, ticket, moment, signed_in_agent().email, at)

    return _apply(ticket_id, "snoozed" if until else "back in the inbox", change)


@bp.post("/tickets/<int:ticket_id>/topic")
@on_refusal(NOT_DONE, back="tickets.show")
def change_topic(ticket_id: int):
    return _apply(ticket_id, "under its new topic", lambda session, ticket, at: tickets.change_topic(
        session, ticket, request.form.get("topic", ""), tuple(services().settings.scoring.topics), signed_in_agent(),
        at))


@bp.post("/tickets/<int:ticket_id>/notes")
@on_refusal(NOT_DONE, back="tickets.show")
def note(ticket_id: int):
    return _apply(ticket_id, "noted (the note stays internal)", lambda session, ticket, at: tickets.add_note(
        session, ticket, request.form.get("text", ""), signed_in_agent().email, at))


@bp.post("/tickets/<int:ticket_id>/no-response")
@on_refusal(NOT_DONE, back="tickets.show")
def no_response(ticket_id: int):
    return _apply(ticket_id, "resolved: no response needed", lambda session, ticket, at: tickets.no_response_needed(
        session, ticket, signed_in_agent(), at))


def _back_to_inbox() -> str:
    back = request.form.get("back", "")
    return back if back.startswith("/inbox") else url_for("inbox.inbox")


@bp.post("/inbox/bulk")
@on_refusal("Nothing done: {}.", back=_back_to_inbox)
def bulk():
    """A bulk action on the tickets ticked in the inbox."""
    form, session = request.form, db_session()
    ids = [int(v) for v in form.getlist("tickets") if v.isdigit()]
    agent_id = int(form["agent"]) if form.get("agent", "").isdigit() else None
    outcome = apply_bulk(session, ids, form.get("action", ""), signed_in_agent(), now(), services().settings,
                         agent_id=agent_id, priority=form.get("priority") or None, reason=form.get("reason", ""))
    session.commit()
    if outcome.done:
        flash(f"Done for {len(outcome.done)} ticket(s).", "success")
    for ticket_id, why in outcome.refused.items():
        flash(f"Ticket {ticket_id} not changed: {why}.", "error")
    return redirect(_back_to_inbox())


def _here(ticket_id: int) -> list[dict]:
    current = now()
    return [{"name": view.agent.name, "composing": is_composing(view, current)}
            for view in others_here(db_session(), ticket_id, signed_in_agent().id, current)]


@bp.post("/tickets/<int:ticket_id>/answered-elsewhere")
@on_refusal("Not recorded: {}.", back="tickets.show")
def answered_elsewhere(ticket_id: int):
    session = db_session()
    tickets.answered_elsewhere(session, ticket_or_404(ticket_id), request.form.get("how", ""),
                               signed_in_agent().email, now())
    session.commit()
    flash("Recorded how you answered.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


def _confirm_resolve(ticket_id: int) -> str:
    return url_for("tickets.show", ticket_id=ticket_id, resolve="confirm")


@bp.post("/tickets/<int:ticket_id>/resolve")
@on_refusal(NOT_DONE, back=_confirm_resolve)
def resolve(ticket_id: int):
    """Refused while posts still need an answer; the page then lists them
    and `force` resolves anyway."""
    return _apply(ticket_id, "resolved", lambda session, ticket, at: resolve_ticket(
        session, ticket, signed_in_agent().email, services().settings, at, request.form.get("force") == "1"))


@bp.post("/tickets/<int:ticket_id>/assign")
@on_refusal(NOT_DONE, back="tickets.show")
def assign(ticket_id: int):
    return _apply(ticket_id, "assigned to you", lambda session, ticket, at: tickets.assign_by_hand(
        session, ticket, signed_in_agent(), signed_in_agent(), at))


@bp.post("/tickets/<int:ticket_id>/pending")
@on_refusal(NOT_DONE, back="tickets.show")
def pending(ticket_id: int):
    return _apply(ticket_id, "waiting on the customer", lambda session, ticket, at: tickets.wait_on_customer(
        session, ticket, signed_in_agent().email, at))


@bp.post("/tickets/<int:ticket_id>/priority")
@on_refusal(NOT_DONE, back="tickets.show")
def change_priority(ticket_id: int):
    return _apply(ticket_id, "reprioritized", lambda session, ticket, at: tickets.change_priority(
        session, ticket, request.form.get("priority", ""), request.form.get("reason", ""), signed_in_agent(),
        SlaClock(services().settings), at))


@bp.post("/tickets/<int:ticket_id>/customer")
@on_refusal(NOT_DONE, back="tickets.show")
def customer(ticket_id: int):
    """Tier, email and CRM id of the ticket's customer, or another customer to link in."""
    form = request.form

    def change(session, ticket, at):
        agent = signed_in_agent()
        kept = update_customer(session, ticket.customer, agent.email, at, email=form.get("email", ""),
                               crm_id=form.get("crm_id", ""), tier=form.get("tier") or None,
                               contact_opt_out=form.get("contact_opt_out") == "on",
                               may_link=lambda other: can_see_customer(session, agent, other, services().settings))
        if form.get("link", "").strip():
            wanted = form["link"].strip()
            known = wanted.isascii() and wanted.isdigit() and int(wanted) <= MAX_ID
            other = session.get(Customer, int(wanted)) if known else None
            if other is None or not can_see_customer(session, agent, other, services().settings):
                raise Refused(f"there is no customer {form['link'].strip()!r}", 404)
            link_customers(session, kept, other, agent.email, at, f"linked by {agent.name}")

    return _apply(ticket_id, "saved with its customer's details", change)


def _apply(ticket_id: int, done: str, action) -> Response:
    """Run an action on a ticket from a form; say it is done, then show the ticket."""
    session = db_session()
    action(session, ticket_or_404(ticket_id), now())
    session.commit()
    flash(f"Ticket {ticket_id} is {done}.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


def _ticket_page_of_reply(reply_id: int) -> str:
    return url_for("tickets.show", ticket_id=db_session().get(Reply, reply_id).ticket_id)


@bp.post("/replies/<int:reply_id>/retry")
@on_refusal("Not retried: {}.", back=_ticket_page_of_reply)
def retry(reply_id: int):
    session = db_session()
    found = session.get(Reply, reply_id)
    if found is None:
        abort(404, description=f"Reply {reply_id} does not exist.")
    ticket_id = ticket_or_404(found.ticket_id).id
    retry_reply(session, found, signed_in_agent(), now(),
                timedelta(hours=services().settings.followups.answer_window_hours))
    session.commit()
    flash(f"Reply {reply_id} is queued again.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))
