"""The JSON API under /api/v1, for scripts and integrations. Callers send
`Authorization: Bearer <token>` (from POST /api/v1/tokens); errors are JSON
(see web.errors). Every route is described in web.openapi."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from sqlalchemy.orm import Session

from listener.assignment import set_presence
from responder.answers import queue_answer
from responder.followups import resolve_ticket
from store import tickets
from store.accounts import SignInThrottled, agent_for_token, issue_token, revoke_token, sign_in, tokens_of
from store.audit import AuditFilter, audit_entries
from store.customers import link_customers, update_customer
from store.models import Agent, ApiToken, AuditEntry, Customer, Reply, Ticket
from store.queries import all_tickets, list_tickets, ticket_with_conversation
from store.sla import SlaClock
from web.access import can_see, can_see_customer, check_assignee, hidden_teams
from web.context import db_session, now, services, token_lifetime
from web.exports import csv_response
from web.filters import MAX_ID, MIN_INT, bad_param, page_of, ticket_filter, ticket_page_of, unstorable
from web.serialize import customer_json, iso, post_json, reply_json, ticket_detail_json, ticket_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPEN_ENDPOINTS = {"api.create_token"}


@bp.before_request
def authenticate_token() -> None:
    if request.endpoint in OPEN_ENDPOINTS:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, description="send an API token as 'Authorization: Bearer <token>'")
    session = db_session()
    agent = agent_for_token(session, token.strip(), now())
    if agent is None:
        abort(401, description="the API token is not valid, was revoked or has expired")
    session.commit()
    g.api_agent = agent


def token_agent() -> Agent:
    return g.api_agent


@bp.post("/tokens")
def create_token():
    body = json_object()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        abort(400, description="send a JSON object with 'email' and 'password'")
    session = db_session()
    try:
        agent = sign_in(session, email, password, now(), via="api", address=request.remote_addr)
    except SignInThrottled as refused:
        session.commit()
        return _throttled(refused)
    if agent is None:
        session.commit()
        abort(401, description="wrong email or password")
    token = issue_token(session, agent, now(), token_lifetime())
    session.commit()
    return jsonify(token=token), 201


def _throttled(refused: SignInThrottled):
    """Answered here rather than through abort: web.errors would drop Retry-After."""
    message = f"too many failed sign-ins for this email; try again in {refused.minutes} minute(s)"
    return jsonify(error={"status": 429, "message": message}), 429, {"Retry-After": str(refused.retry_after_seconds)}


@bp.get("/tokens")
def tokens():
    """The caller's own tokens, revoked ones included; never the token itself."""
    return jsonify(tokens=[token_json(t) for t in tokens_of(db_session(), token_agent())])


@bp.delete("/tokens/<int:token_id>")
def revoke(token_id: int):
    """The caller's own token, or anyone's for an admin; it stops working at once."""
    session = db_session()
    revoked = revoke_token(session, token_id, token_agent(), now())
    if revoked is None:
        abort(404, description=f"token {token_id} does not exist")
    session.commit()
    return jsonify(token_json(revoked))


@bp.get("/audit")
def audit():
    """Admins only: the audit log, newest first; `actor` and `action` match exactly."""
    if token_agent().role != "admin":
        abort(403, description="the audit log is for admins")
    limit, offset = page_of(request.args)
    flt = AuditFilter(actor=request.args.get("actor", "").strip(), action=request.args.get("action", "").strip())
    entries, total = audit_entries(db_session(), flt, limit=limit, offset=offset)
    return jsonify(entries=[audit_entry_json(e) for e in entries], total=total)


def token_json(token: ApiToken) -> dict[str, Any]:
    return {"id": token.id, "created_at": iso(token.created_at), "last_used_at": iso(token.last_used_at),
            "revoked_at": iso(token.revoked_at), "expires_at": iso(token.expires_at)}


def audit_entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": iso(entry.at), "actor": entry.actor, "action": entry.action,
            "target": entry.target, "detail": entry.detail}


CHOICE_FILTERS = ("status", "priority", "platform", "topic")


@bp.get("/tickets", endpoint="tickets")
def ticket_list():
    """Soonest due first; `total` is counted up to COUNT_CAP, or
    TEXT_COUNT_CAP with `q` (then `total_exact` is false); the next page is
    `cursor=<next_cursor>`."""
    flt = _ticket_filter()
    limit, offset, after = ticket_page_of(request.args)
    flt = replace(flt, hidden_teams=hidden_teams(token_agent(), services().settings))
    page = list_tickets(db_session(), flt, limit=limit, offset=offset, after=after)
    current = now()
    return jsonify(tickets=[ticket_json(t, current) for t in page.tickets], total=page.total,
                   total_exact=page.total_exact, next_cursor=page.next_cursor)


def _ticket_filter():
    """The inbox's filters from the query; a choice given empty is refused,
    as the document lists at least one value for each."""
    for name in CHOICE_FILTERS:
        if name in request.args and not request.args[name].strip():
            raise bad_param(name, "give one value or several separated by commas")
    return ticket_filter(request.args, me=token_agent().id, topics=tuple(services().settings.scoring.topics),
                         now=now())


TICKET_COLUMNS = ("id", "platform", "status", "priority", "team", "topic", "customer", "assignee", "created_at",
                  "first_response_due_at", "first_response_at", "first_response_breached", "next_response_due_at",
                  "resolution_due_at", "resolved_at", "escalation_level")


@bp.get("/tickets.csv")
def tickets_csv():
    """Every ticket the inbox's filters list, oldest first, streamed."""
    flt = _ticket_filter()
    flt = replace(flt, hidden_teams=hidden_teams(token_agent(), services().settings))

    def rows():
        for t in all_tickets(db_session(), flt):
            yield (t.id, t.platform, t.status, t.priority, t.team, t.topic, t.customer.display_name,
                   t.assignee.name if t.assignee else None, iso(t.created_at), iso(t.first_response_due_at),
                   iso(t.first_response_at), t.first_response_breached, iso(t.next_response_due_at),
                   iso(t.resolution_due_at), iso(t.resolved_at), t.escalation_level)

    return csv_response("tickets.csv", TICKET_COLUMNS, rows())


@bp.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int):
    _ticket_or_404(ticket_id)
    return jsonify(ticket_detail_json(ticket_with_conversation(db_session(), ticket_id), now()))


@bp.post("/tickets/<int:ticket_id>/replies")
def reply(ticket_id: int):
    """Body {body, in_reply_to?, force?}: the answer to one of the ticket's
    posts (a mention id; by default the newest waiting complaint)."""
    sent = json_object()
    body, in_reply_to = sent.get("body"), sent.get("in_reply_to")
    if not isinstance(body, str):
        abort(400, description="send a JSON object with the reply text as 'body'")
    if in_reply_to is not None and (not isinstance(in_reply_to, int) or isinstance(in_reply_to, bool)):
        abort(400, description="'in_reply_to' must be the id of one of the ticket's posts (its mentions)")
    session = db_session()
    found = _ticket_or_404(ticket_id)
    queued = queue_answer(session, found, body, token_agent(), now(), services().settings, in_reply_to=in_reply_to,
                          force=force_flag(sent), idempotency_key=request.headers.get("Idempotency-Key") or None)
    session.commit()
    return jsonify(id=queued.id, status=queued.status, ticket_id=found.id, in_reply_to=queued.mention_id,
                   post=post_json(queued.mention)), 202


@bp.post("/tickets/<int:ticket_id>/answered-elsewhere")
def answered_elsewhere(ticket_id: int):
    """For sources without a reply API: how the agent answered instead."""
    how = json_object().get("how")
    if not isinstance(how, str):
        abort(400, description="send a JSON object saying how you answered as 'how'")
    session = db_session()
    found = _ticket_or_404(ticket_id)
    tickets.answered_elsewhere(session, found, how, token_agent().email, now())
    session.commit()
    return jsonify(ticket_json(found, now()))


@bp.get("/replies/<int:reply_id>")
def reply_status(reply_id: int):
    found = db_session().get(Reply, reply_id)
    if found is None or not can_see(token_agent(), found.ticket, services().settings):
        abort(404, description=f"reply {reply_id} does not exist")
    return jsonify(reply_json(found))


@bp.post("/tickets/<int:ticket_id>/resolve")
def resolve(ticket_id: int):
    """Body {force?}: 409 listing the posts that still need an answer, unless forced."""
    force = force_flag(json_object() if request.get_data() else {})
    return _apply(ticket_id, lambda session, ticket, at: resolve_ticket(
        session, ticket, token_agent().email, services().settings, at, force))


@bp.post("/tickets/<int:ticket_id>/assign")
def assign(ticket_id: int):
    """Body {"agent": <agent id> | "me" | null}."""
    wanted = json_object().get("agent", "missing")
    if wanted == "me":
        target = token_agent()
    elif wanted is None:
        target = None
    elif isinstance(wanted, int) and not isinstance(wanted, bool):
        target = db_session().get(Agent, wanted) or abort(404, description=f"agent {wanted} does not exist")
    else:
        abort(400, description="send {'agent': an agent id, 'me' or null}")

    def assign(session: Session, ticket: Ticket, at: datetime) -> None:
        check_assignee(target, ticket, services().settings)
        tickets.assign_by_hand(session, ticket, target, token_agent(), at)

    return _apply(ticket_id, assign)


@bp.post("/tickets/<int:ticket_id>/priority")
def change_priority(ticket_id: int):
    """Body {"priority": "urgent|high|normal|low", "reason": "..."}."""
    body = json_object()
    priority, reason = body.get("priority"), body.get("reason")
    if not isinstance(priority, str) or not isinstance(reason, str):
        abort(400, description="send {'priority': urgent, high, normal or low, 'reason': why}")
    return _apply(ticket_id, lambda session, ticket, at: tickets.change_priority(
        session, ticket, priority, reason, token_agent(), SlaClock(services().settings), at))


@bp.post("/tickets/<int:ticket_id>/pending")
def pending(ticket_id: int):
    """The ticket waits on the customer: its clock stops until they write."""
    return _apply(ticket_id, lambda session, ticket, at: tickets.wait_on_customer(
        session, ticket, token_agent().email, at))


@bp.put("/agents/me/presence")
def presence():
    """Body {"presence": "online|away|offline"}; going offline may hand unanswered tickets back."""
    wanted = json_object().get("presence")
    session = db_session()
    agent = token_agent()
    handed_back = set_presence(session, agent, wanted, now(), services().settings.escalation.offline_hands_back)
    session.commit()
    return jsonify(presence=agent.presence, handed_back=[t.id for t in handed_back])


@bp.patch("/customers/<int:customer_id>")
def update_customer_details(customer_id: int):
    """Body with any of email, crm_id, tier (strings) and contact_opt_out
    (true: no follow-ups). A customer with the same email or CRM id is the
    same person: the two are linked."""
    body = json_object()
    fields = {key: body[key] for key in ("email", "crm_id", "tier", "contact_opt_out") if key in body}
    if (not fields or not all(isinstance(fields[k], str) for k in fields if k != "contact_opt_out")
            or not isinstance(fields.get("contact_opt_out", False), bool)):
        abort(400, description="send any of 'email', 'crm_id', 'tier' as strings and 'contact_opt_out' as true "
                               "or false")
    return _change_customer(customer_id, lambda session, customer, at: update_customer(
        session, customer, token_agent().email, at, **fields,
        may_link=lambda other: can_see_customer(session, token_agent(), other, services().settings)))


@bp.post("/customers/<int:customer_id>/link")
def link_customer(customer_id: int):
    """Body {"customer": id}: that customer is the same person as this one."""
    other_id = json_object().get("customer")
    if not isinstance(other_id, int) or isinstance(other_id, bool):
        abort(400, description="send {'customer': the id of the customer to link into this one}")
    other = _customer_or_404(other_id)
    return _change_customer(customer_id, lambda session, customer, at: link_customers(
        session, customer, other, token_agent().email, at, f"linked by {token_agent().name}"))


def _change_customer(customer_id: int, change: Callable[[Session, Customer, datetime], Customer]):
    session = db_session()
    customer = _customer_or_404(customer_id)
    kept = change(session, customer, now())
    session.commit()
    return jsonify(customer_json(kept))


def _customer_or_404(customer_id: int) -> Customer:
    """The customer, when they exist and the caller may see one of their tickets."""
    found = db_session().get(Customer, customer_id)
    if found is None or not can_see_customer(db_session(), token_agent(), found, services().settings):
        abort(404, description=f"customer {customer_id} does not exist")
    return found


def _apply(ticket_id: int, action: Callable[[Session, Ticket, datetime], object]):
    """Run an action on a ticket and answer with the ticket."""
    session = db_session()
    found = _ticket_or_404(ticket_id)
    current = now()
    action(session, found, current)
    session.commit()
    return jsonify(ticket_json(found, current))


def _ticket_or_404(ticket_id: int) -> Ticket:
    """The ticket, when it exists and the caller may see it."""
    found = db_session().get(Ticket, ticket_id)
    if found is None or not can_see(token_agent(), found, services().settings):
        abort(404, description=f"ticket {ticket_id} does not exist")
    return found


def force_flag(body: dict[str, Any]) -> bool:
    force = body.get("force", False)
    if not isinstance(force, bool):
        abort(400, description="'force' must be true or false")
    return force


def json_object() -> dict[str, Any]:
    """The request's JSON object, refused when the database could not store a part of it."""
    try:
        body = json.loads(request.get_data(), parse_float=_number) if request.is_json else None
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        abort(400, description="the request body must be a JSON object")
    why = unstorable(body)
    if why:
        abort(400, description=why)
    return body


def _number(raw: str) -> int | float:
    """JSON has one kind of number: 33.0 is the whole number 33."""
    value = float(raw)
    return int(value) if value.is_integer() and MIN_INT <= value <= MAX_ID else value
