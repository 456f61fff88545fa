"""The follow-up outcomes counted in the database read the same as the
same figures folded event by event (tests/integration/outcomes_reference.py),
on a store of tickets with every order of outcome events, for every
grouping and several periods, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

import store.outcomes as outcomes_module
from store import kept_figures
from store.models import Agent, Customer, Event, Identity, Mention, Ticket
from store.outcomes import OUTCOME_GROUPINGS, outcomes_report
from tests.integration.outcomes_reference import reference_outcomes_report

KINDS = ("resolved", "reopened", "followup_sent", "followup_answered", "replied")


def test_the_counted_outcomes_are_the_folded_ones(db, clock):
    now = _filled(db, clock)
    periods = [(now - timedelta(hours=24), now), (now - timedelta(days=7), now),
               (now - timedelta(hours=40, minutes=7), now - timedelta(hours=6, seconds=13))]
    with db.sessions() as session:
        for group_by in OUTCOME_GROUPINGS:
            for start, end in periods:
                counted = outcomes_report(session, start, end, group_by, now=now)
                assert counted == reference_outcomes_report(session, start, end, group_by), (group_by, start)
    assert sum(group["reopened"] for group in counted) > 0
    assert sum(group["negative_to_positive_customers"] for group in counted) > 0
    assert sum(group["unsatisfied"] for group in counted) > 0


def test_kept_resolutions_count_each_ticket_once_and_again_after_any_write(postgres_db, clock, monkeypatch):
    """On PostgreSQL the resolutions of whole past days and hours are kept:
    read back while nothing changed, counted again after a write the ORM
    never sees; a ticket resolved on two days of a period counts once."""
    monkeypatch.setattr(kept_figures, "GRACE_SECONDS", 0.0)
    now = _filled(postgres_db, clock)
    start = now - timedelta(days=3)
    counted_windows = []
    resolutions = outcomes_module._resolutions
    monkeypatch.setattr(outcomes_module, "_resolutions", lambda session, part_start, part_end, key: (
        counted_windows.append(part_start) or resolutions(session, part_start, part_end, key)))
    with postgres_db.transaction() as session:
        first = outcomes_report(session, start, now, "agent", now=now)
        assert first == reference_outcomes_report(session, start, now, "agent")
        spans, windows = kept_figures.split_period(start, now, now)
        assert len(counted_windows) == len(spans) + len(windows)
        counted_windows.clear()
        assert outcomes_report(session, start, now, "agent", now=now) == first
        assert len(counted_windows) == len(windows)
        resolved_in_period = select(Event.ticket_id).where(Event.kind == "resolved", Event.at >= start)
        counted_already = session.scalar(resolved_in_period.order_by(Event.ticket_id).limit(1))
        not_yet = session.scalar(select(Ticket.id).where(Ticket.id.not_in(resolved_in_period)).order_by(Ticket.id)
                                 .limit(1))
        session.execute(insert(Event), [
            {"ticket_id": ticket_id, "kind": "resolved", "actor": "system", "detail": {}, "at": at}
            for ticket_id, at in ((counted_already, now - timedelta(hours=2)), (not_yet, now - timedelta(hours=30)),
                                  (not_yet, now - timedelta(hours=3)))])
    with postgres_db.transaction() as session:
        again = outcomes_report(session, start, now, "agent", now=now)
        assert again == reference_outcomes_report(session, start, now, "agent")
    assert sum(group["resolved"] for group in again) == sum(group["resolved"] for group in first) + 1


def _filled(db, clock):
    rng = random.Random(15)
    now = clock.now()
    with db.transaction() as session:
        agents = [Agent(name=name, email=f"{name}@example.com", password_hash="-", role="agent", created_at=now)
                  for name in ("ada", "grace")]
        session.add_all(agents)
        session.flush()
        customers = [Customer(display_name=f"Customer {n}", created_at=now) for n in range(40)]
        identities = [Identity(customer=customer, platform="x", platform_user_id=f"u{n}")
                      for n, customer in enumerate(customers)]
        for number in range(150):
            created = now - timedelta(hours=rng.uniform(0, 60))
            identity = rng.choice(identities)
            ticket = Ticket(customer=identity.customer, platform=rng.choice(("x", "reddit")), status="resolved",
                            priority="normal", topic=rng.choice(("billing", None)),
                            team=rng.choice(("care", "billing")), assignee=rng.choice(agents + [None]),
                            created_at=created, updated_at=created)
            ticket.mentions = [Mention(platform=ticket.platform, external_id=f"m{number}-{n}", kind="post",
                                       identity=identity, text="Parcel lost", url="https://x.example/1",
                                       created_at=created, received_at=created, sentiment=rng.choice(("negative", "positive")),
                                       polarity=0.0, urgency=0.0, needs_response=True)
                               for n in range(rng.randrange(1, 3))]
            moment = created
            for _ in range(rng.randrange(6)):
                moment += timedelta(minutes=rng.choice((0, 0, 30, 300)))
                kind = rng.choice(KINDS)
                detail = {"outcome": rng.choice(("satisfied", "unsatisfied", "unconfirmed"))} \
                    if kind == "followup_answered" else {}
                ticket.events.append(Event(kind=kind, at=moment, detail=detail))
            if rng.random() < 0.5:
                _assignments(rng, ticket, created, agents)
            session.add(ticket)
    return now


def _assignments(rng: random.Random, ticket: Ticket, created, agents: list[Agent]) -> None:
    """A few assignments and unassignments, some at the moment of one of
    the ticket's events; the ticket is left with the last one's agent."""
    moments = sorted(rng.choice([created + timedelta(hours=rng.uniform(0, 30)), *(e.at for e in ticket.events)])
                     for _ in range(rng.randrange(1, 4)))
    for moment in moments:
        agent = rng.choice(agents + [None])
        ticket.assignee = agent
        ticket.events.append(Event(kind="assigned", at=moment, detail={"agent_id": agent.id, "agent": agent.email})
                             if agent else Event(kind="unassigned", at=moment, detail={}))
