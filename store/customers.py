"""One customer across platforms: linking the records that turn out to be
the same person, by hand or by a shared email or CRM id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from store.errors import Refused
from store.events import record_event
from store.models import Customer, Ticket
from store.tickets import cancel_followup

TIERS = ("standard", "vip")


def link_customers(session: Session, keep: Customer, other: Customer, actor: str, now: datetime,
                   why: str) -> Customer:
    """`other` is the same person as `keep`: its identities and tickets move
    over, what `keep` lacks is taken from it, and `other` goes."""
    if keep.id == other.id:
        raise Refused("a customer cannot be linked to itself", 400)
    for identity in list(other.identities):
        identity.customer = keep
    moved = session.scalars(select(Ticket).where(Ticket.customer_id == other.id)).all()
    session.execute(update(Ticket).where(Ticket.customer_id == other.id).values(customer_id=keep.id)
                    .execution_options(synchronize_session="fetch"))
    for ticket in moved:
        record_event(session, ticket, "customer_linked", now, actor=actor, into=keep.id, was=other.id, why=why)
    keep.email = keep.email or other.email
    keep.crm_id = keep.crm_id or other.crm_id
    keep.contact_opt_out_at = keep.contact_opt_out_at or other.contact_opt_out_at
    if TIERS.index(other.tier if other.tier in TIERS else "standard") > TIERS.index(
            keep.tier if keep.tier in TIERS else "standard"):
        keep.tier = other.tier
    session.flush()
    session.delete(other)
    session.flush()
    return keep


def update_customer(session: Session, customer: Customer, actor: str, now: datetime, *,
                    email: str | None = None, crm_id: str | None = None, tier: str | None = None,
                    contact_opt_out: bool | None = None,
                    may_link: Callable[[Customer], bool] = lambda other: True) -> Customer:
    """Set details; a customer with the same email or CRM id is the same
    person, and the older record is kept. Returns the customer kept. A
    match the person changing it may not see (`may_link`) is refused
    without naming it."""
    if contact_opt_out is not None:
        set_contact_opt_out(session, customer, contact_opt_out, actor, now)
    if tier is not None:
        if tier not in TIERS:
            raise Refused(f"tier must be one of {', '.join(TIERS)}, not {tier!r}", 400)
        customer.tier = tier
    if email is not None:
        email = email.strip().lower()
        if email and "@" not in email:
            raise Refused(f"{email!r} is not an email address", 400)
        customer.email = email or None
    if crm_id is not None:
        customer.crm_id = crm_id.strip() or None
    same_person = []
    if customer.email:
        same_person.append(Customer.email == customer.email)
    if customer.crm_id:
        same_person.append(Customer.crm_id == customer.crm_id)
    if not same_person:
        return customer
    session.flush()
    others = session.scalars(select(Customer).where(Customer.id != customer.id, or_(*same_person))
                             .order_by(Customer.id)).all()
    if not all(may_link(other) for other in others):
        raise Refused("another customer has this email or CRM id on tickets you may not see; "
                      "a manager can link the two", 409)
    for other in others:
        keep, gone = (other, customer) if other.id < customer.id else (customer, other)
        why = "the same email" if customer.email and other.email == customer.email else "the same CRM id"
        customer = link_customers(session, keep, gone, actor, now, why)
    return customer


def set_contact_opt_out(session: Session, customer: Customer, opted_out: bool, actor: str, now: datetime) -> None:
    """The customer asked not to be contacted (or no longer minds): no
    follow-ups while opted out, and a scheduled one is cancelled."""
    if not opted_out:
        customer.contact_opt_out_at = None
        return
    if customer.contact_opt_out_at is None:
        customer.contact_opt_out_at = now
    for ticket in session.scalars(select(Ticket).where(Ticket.customer_id == customer.id,
                                                       Ticket.followup_state == "scheduled")):
        cancel_followup(session, ticket, "the customer asked not to be contacted", now, actor=actor)
