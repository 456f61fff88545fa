"""One ticket: its conversation, the reply form, resolving, retrying a reply."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from responder.channels import ReplyRefused
from responder.outbox import retry_reply
from store.customers import link_customers, update_customer
from store.models import PRIORITIES, Customer, Mention, Reply, Ticket, TicketStateError
from store.queries import previous_tickets, ticket_with_conversation
from web import actions
from web.auth import require_login, signed_in_agent
from web.context import db_session, now, reply_channel_of, services

bp = Blueprint("tickets", __name__)
bp.before_request(require_login)


@dataclass(frozen=True)
class Entry:
    """One message of the conversation: a customer's post or our reply."""

    at: datetime
    post: Mention | None = None
    reply: Reply | None = None


def conversation(ticket: Ticket) -> list[Entry]:
    entries = [Entry(m.created_at, post=m) for m in ticket.mentions]
    entries += [Entry(r.created_at, reply=r) for r in ticket.replies]
    return sorted(entries, key=lambda e: (e.at, e.reply is not None))


def ticket_or_404(ticket_id: int) -> Ticket:
    ticket = db_session().get(Ticket, ticket_id)
    if ticket is None:
        abort(404, description=f"Ticket {ticket_id} does not exist.")
    return ticket


@bp.get("/tickets/<int:ticket_id>")
def show(ticket_id: int):
    session = db_session()
    ticket = ticket_with_conversation(session, ticket_id)
    if ticket is None:
        abort(404, description=f"Ticket {ticket_id} does not exist.")
    return render_template(
        "ticket.html",
        ticket=ticket,
        conversation=conversation(ticket),
        previous=previous_tickets(session, ticket),
        channel=reply_channel_of(ticket),
        current_agent=signed_in_agent(),
        priorities=PRIORITIES,
        idempotency_key=uuid.uuid4().hex,
    )


@bp.post("/tickets/<int:ticket_id>/replies")
def reply(ticket_id: int):
    session = db_session()
    ticket = ticket_or_404(ticket_id)
    try:
        actions.reply_to(session, ticket, request.form.get("body", ""), signed_in_agent(), now(),
                         request.form.get("idempotency_key") or None, reply_channel_of(ticket))
    except ReplyRefused as refused:
        session.rollback()
        flash(f"Reply not sent: {refused.message}.", "error")
    else:
        session.commit()
        flash("Reply queued; it will be posted in a moment.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/answered-elsewhere")
def answered_elsewhere(ticket_id: int):
    session = db_session()
    ticket = ticket_or_404(ticket_id)
    try:
        actions.answered_elsewhere(session, ticket, request.form.get("how", ""), signed_in_agent(), now())
    except ReplyRefused as refused:
        session.rollback()
        flash(f"Not recorded: {refused.message}.", "error")
    else:
        session.commit()
        flash("Recorded how you answered.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/resolve")
def resolve(ticket_id: int):
    return _apply(ticket_id, "resolved", lambda session, ticket, at: actions.resolve(
        session, ticket, signed_in_agent(), at, services().settings))


@bp.post("/tickets/<int:ticket_id>/assign")
def assign(ticket_id: int):
    return _apply(ticket_id, "assigned to you", lambda session, ticket, at: actions.assign(
        session, ticket, signed_in_agent(), signed_in_agent(), at))


@bp.post("/tickets/<int:ticket_id>/pending")
def pending(ticket_id: int):
    return _apply(ticket_id, "waiting on the customer", lambda session, ticket, at: actions.wait_on_customer(
        session, ticket, signed_in_agent(), at, services().settings))


@bp.post("/tickets/<int:ticket_id>/priority")
def change_priority(ticket_id: int):
    return _apply(ticket_id, "reprioritized", lambda session, ticket, at: actions.change_priority(
        session, ticket, request.form.get("priority", ""), request.form.get("reason", ""), signed_in_agent(), at,
        services().settings))


@bp.post("/tickets/<int:ticket_id>/customer")
def customer(ticket_id: int):
    """Tier, email and CRM id of the ticket's customer, or another customer to link in."""
    form = request.form

    def change(session, ticket, at):
        agent = signed_in_agent()
        kept = update_customer(session, ticket.customer, agent.email, at, email=form.get("email", ""),
                               crm_id=form.get("crm_id", ""), tier=form.get("tier") or None,
                               contact_opt_out=form.get("contact_opt_out") == "on")
        if form.get("link", "").strip():
            other = session.get(Customer, int(form["link"])) if form["link"].strip().isdigit() else None
            if other is None:
                raise ValueError(f"there is no customer {form['link'].strip()!r}")
            link_customers(session, kept, other, agent.email, at, f"linked by {agent.name}")

    return _apply(ticket_id, "saved with its customer's details", change)


def _apply(ticket_id: int, done: str, action) -> Response:
    """Run an action on a ticket from a form; say how it went, then show the ticket."""
    session = db_session()
    ticket = ticket_or_404(ticket_id)
    try:
        action(session, ticket, now())
    except (TicketStateError, PermissionError, ValueError) as error:
        session.rollback()
        flash(f"Not done: {error}.", "error")
    else:
        session.commit()
        flash(f"Ticket {ticket_id} is {done}.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.post("/replies/<int:reply_id>/retry")
def retry(reply_id: int):
    session = db_session()
    found = session.get(Reply, reply_id)
    if found is None:
        abort(404, description=f"Reply {reply_id} does not exist.")
    ticket_id = found.ticket_id
    try:
        retry_reply(session, found, signed_in_agent(), now(),
                    timedelta(hours=services().settings.followups.answer_window_hours))
    except ReplyRefused as refused:
        session.rollback()
        flash(f"Not retried: {refused.message}.", "error")
    else:
        session.commit()
        flash(f"Reply {reply_id} is queued again.", "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))
