"""The response-time figures counted in the database read the same as the
same figures folded ticket by ticket (tests/integration/sla_reference.py),
on a store of tickets in every state, for every grouping and several
periods, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

import store.sla_figures as sla_figures_module
from store import kept_figures
from store.models import OPEN_STATUSES, THANKS_POLICY, Agent, Customer, Event, KeptFigures, Ticket
from store.sla_figures import GROUPINGS, sla_figures
from tests.integration.sla_reference import reference_sla_figures

STATUSES = ("new", "open", "pending", "resolved", "closed")


def _moment(rng: random.Random, base: datetime, hours: float) -> datetime:
    return base + timedelta(seconds=rng.uniform(-hours * 3600, hours * 3600), microseconds=rng.randrange(10 ** 6))


def _ticket(rng: random.Random, now: datetime, agents: list[Agent]) -> tuple[Ticket, list[Event]]:
    status = rng.choice(STATUSES)
    created = now - timedelta(hours=rng.uniform(0, 72), microseconds=rng.randrange(10 ** 6))
    if rng.random() < 0.1:
        created = now - timedelta(hours=rng.choice((10, 20)))  # waits that tie
    first_due = created + timedelta(minutes=rng.choice((15, 60, 240)))
    answered = status != "new" and rng.random() < 0.8
    first_at = min(created + timedelta(minutes=rng.uniform(1, 400)), now) if answered else None
    if first_at and rng.random() < 0.1:
        first_at = created + timedelta(hours=rng.choice((10, 20)))
    resolved = None
    if status in ("resolved", "closed") and rng.random() < 0.9:
        resolved = min((first_at or created) + timedelta(hours=rng.uniform(0.1, 40)), now)
    paused = _moment(rng, first_at or created, 5) if status == "pending" or rng.random() < 0.05 else None
    agent = rng.choice(agents + [None])
    ticket = Ticket(
        customer=Customer(display_name="Maria", created_at=created), platform=rng.choice(("x", "reddit", "facebook")),
        status=status, priority=rng.choice(("low", "normal", "high")), topic=rng.choice(("billing", "delivery", None)),
        team=rng.choice(("care", "billing")), assignee=agent, created_at=created,
        updated_at=max(m for m in (created, first_at, resolved, paused) if m is not None),
        sla_policy=THANKS_POLICY if rng.random() < 0.05 else "default",
        sla_started_at=created, first_response_due_at=None if rng.random() < 0.05 else first_due,
        first_response_at=first_at, resolution_due_at=created + timedelta(hours=rng.choice((8, 24))),
        resolved_at=resolved, paused_at=paused)
    events = [Event(kind="raised", at=created, detail={})]
    moment = first_at
    if first_at is not None:
        events.append(Event(kind=rng.choice(("replied", "answered_elsewhere")), at=first_at, detail={}))
        for _ in range(rng.randrange(4)):
            moment = moment + timedelta(minutes=rng.uniform(1, 120))
            wrote = Event(kind="customer_wrote", at=moment, detail={"needs_response": rng.random() < 0.8})
            events.append(wrote)
            if rng.random() < 0.3:
                due = moment + timedelta(minutes=60)
                events.append(Event(kind="breached", at=due, detail={"target": "next_response",
                                                                     "due_at": due.isoformat()}))
            if rng.random() < 0.6:
                moment = moment + timedelta(minutes=rng.uniform(1, 120))
                events.append(Event(kind="replied", at=moment, detail={}))
            elif status in OPEN_STATUSES:
                ticket.next_response_due_at = moment + timedelta(minutes=60)
    if rng.random() < 0.5:
        events += _assignments(rng, ticket, created, now, agents)
    return ticket, events


def _assignments(rng: random.Random, ticket: Ticket, created: datetime, now: datetime,
                 agents: list[Agent]) -> list[Event]:
    """A few assignments and unassignments between the ticket's raising
    and now, some at the very moment it was answered or came due; the
    ticket is left with the last one's agent."""
    moments = sorted(rng.choice((created + timedelta(hours=rng.uniform(0, 30)), ticket.first_response_at,
                                 ticket.first_response_due_at)) or created for _ in range(rng.randrange(1, 4)))
    events = []
    for moment in moments:
        agent = rng.choice(agents + [None])
        ticket.assignee = agent
        events.append(Event(kind="assigned", at=min(moment, now), detail={"agent_id": agent.id, "agent": agent.email})
                      if agent else Event(kind="unassigned", at=min(moment, now), detail={}))
    return events


@pytest.fixture
def store(db, clock):
    return _filled(db, clock)


def _filled(db, clock) -> datetime:
    rng = random.Random(15)
    now = clock.now()
    with db.transaction() as session:
        agents = [Agent(name=name, email=f"{name}@example.com", password_hash="-", role="agent", created_at=now)
                  for name in ("ada", "grace", "linus")]
        session.add_all(agents)
        session.flush()
        for _ in range(300):
            ticket, events = _ticket(rng, now, agents)
            ticket.events = events
            session.add(ticket)
    return now


def test_the_counted_figures_are_the_folded_ones(db, store):
    """One store for every grouping and period: writing it is most of the
    test's two or three seconds."""
    now = store
    periods = [(now - timedelta(hours=24), now), (now - timedelta(days=7), now),
               (now - timedelta(hours=30, minutes=7), now - timedelta(hours=6, seconds=13))]
    with db.sessions() as session:
        for group_by in GROUPINGS:
            for start, end in periods:
                counted = sla_figures(session, start, end, now, group_by)
                assert counted == reference_sla_figures(session, start, end, now, group_by), (group_by, start)
    assert counted["total"]["first_response"]["due"] > 0
    assert counted["total"]["next_response"]["due"] > 0
    assert any(group["first_response"]["waiting"] for group in counted["groups"])


def test_whole_past_days_and_hours_are_kept_and_counted_again_after_any_write(postgres_db, clock, monkeypatch):
    """On PostgreSQL a kept span is read back while nothing changed; a
    write the ORM never sees (straight SQL) marks it through the database's
    triggers, and the figures read after it are the folded ones again."""
    db = postgres_db
    monkeypatch.setattr(kept_figures, "GRACE_SECONDS", 0.0)
    counted_windows = []
    settled = sla_figures_module._settled
    monkeypatch.setattr(sla_figures_module, "_settled",
                        lambda session, moments, key: counted_windows.append(moments) or settled(session, moments, key))
    now = _filled(db, clock)
    start, end = now - timedelta(days=7), now
    with db.transaction() as session:
        first = sla_figures(session, start, end, now, "agent")
    spans, windows = kept_figures.split_period(start, end, now)
    assert [span.hours for span in spans].count(24) == 6 and len(counted_windows) == len(spans) + len(windows)
    with db.transaction() as session:
        assert _kept(session, "sla:agent-held") == len(spans)
        assert _kept(session, "running:agent") == len(spans)  # nothing was raised before the period
        counted_windows.clear()
        assert sla_figures(session, start, end, now, "agent") == first
    assert len(counted_windows) == len(windows)

    with db.transaction() as session:
        two_days_ago = session.scalars(
            select(Ticket).where(Ticket.created_at < now - timedelta(days=2), Ticket.first_response_at.is_not(None),
                                 Ticket.assignee_id.is_not(None)).order_by(Ticket.id).limit(20)).all()
        moved = {ticket.id: ticket.created_at + timedelta(minutes=500) for ticket in two_days_ago[10:]}
        session.execute(update(Ticket).where(Ticket.id.in_([ticket.id for ticket in two_days_ago[:10]]))
                        .values(assignee_id=None))
        for ticket_id, answered_at in moved.items():
            session.execute(update(Ticket).where(Ticket.id == ticket_id).values(first_response_at=answered_at))
        still_waiting = session.scalar(
            select(Ticket.id).where(Ticket.created_at < now - timedelta(days=2), Ticket.status.in_(OPEN_STATUSES),
                                    Ticket.first_response_due_at.is_not(None), Ticket.first_response_at.is_(None))
            .order_by(Ticket.id).limit(1))
        assert still_waiting is not None
        session.execute(update(Ticket).where(Ticket.id == still_waiting).values(first_response_at=now))
        wrote_again = session.scalar(select(Event.ticket_id).where(Event.kind == "customer_wrote").limit(1))
        session.execute(insert(Event).values(ticket_id=wrote_again, kind="replied", actor="system", detail={},
                                             at=now - timedelta(days=2)))
    with db.transaction() as session:
        counted_windows.clear()
        again = sla_figures(session, start, end, now, "agent")
        assert again == reference_sla_figures(session, start, end, now, "agent")
        assert again != first
    assert len(counted_windows) > len(windows)


def test_a_long_period_counts_a_few_spans_at_a_time_and_the_rest_in_runs(postgres_db, clock, monkeypatch):
    """A year asked for at once counts SPANS_COUNTED_AT_ONCE spans and
    keeps them, the rest in runs of neighbouring spans; the figures are the
    folded ones each time."""
    db = postgres_db
    monkeypatch.setattr(kept_figures, "SPANS_COUNTED_AT_ONCE", 3)
    monkeypatch.setattr(kept_figures, "GRACE_SECONDS", 0.0)
    now = _filled(db, clock)
    start = now - timedelta(days=365)
    for kept_after in (3, 6):
        with db.transaction() as session:
            assert sla_figures(session, start, now, now, "team") == reference_sla_figures(session, start, now, now,
                                                                                          "team")
        with db.sessions() as session:
            assert _kept(session, "sla:team") == kept_after


def test_what_still_runs_is_counted_from_the_first_ticket_raised_not_from_1970(postgres_db, clock, monkeypatch):
    """The open tickets raised before a period are counted in spans from
    the first ticket's raising: none before it is counted or kept."""
    db = postgres_db
    monkeypatch.setattr(kept_figures, "SPANS_COUNTED_AT_ONCE", 1000)
    now = _filled(db, clock)
    start = now - timedelta(hours=12)
    with db.transaction() as session:
        assert sla_figures(session, start, now, now, "team") == reference_sla_figures(session, start, now, now, "team")
        first_raised = session.scalar(select(func.min(Ticket.created_at)))
        kept_from = session.scalar(select(func.min(KeptFigures.starts_at)).where(KeptFigures.report == "running:team"))
    before, _ = kept_figures.split_period(first_raised, start, now)
    within, _ = kept_figures.split_period(start, now, now)
    with db.sessions() as session:
        assert _kept(session, "running:team") == len(before) + len(within)
    assert first_raised <= kept_from < first_raised + timedelta(hours=1)


def _kept(session, report: str) -> int:
    return session.scalar(select(func.count()).select_from(KeptFigures).where(KeptFigures.report == report))
