"""The live strip per team, on SQLite and PostgreSQL: each team's counts
and its longest wait come from their own team's tickets, and a hidden
team is left out whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.live import live_by_team
from store.models import Customer, Ticket

SOON = timedelta(minutes=15)


@pytest.fixture
def raise_ticket(db, clock):
    def raise_ticket(team: str, *, waited: float, due_in: float, status: str = "open", paused: bool = False,
                     snoozed: bool = False) -> int:
        now = clock.now()
        raised = now - timedelta(minutes=waited)
        with db.transaction() as session:
            ticket = Ticket(customer=Customer(display_name="Maria", created_at=raised), platform="x", status=status,
                            priority="normal", team=team, first_response_due_at=now + timedelta(minutes=due_in),
                            sla_started_at=raised, paused_at=now if paused else None,
                            snoozed_until=now + timedelta(hours=1) if snoozed else None,
                            created_at=raised, updated_at=raised)
            session.add(ticket)
            session.flush()
            return ticket.id
    return raise_ticket


def test_each_team_gets_its_own_counts_and_its_own_longest_wait(db, clock, raise_ticket):
    care_oldest = raise_ticket("care", waited=120, due_in=-60)
    raise_ticket("care", waited=30, due_in=10)
    raise_ticket("care", waited=200, due_in=-100, paused=True)
    raise_ticket("care", waited=300, due_in=-200, snoozed=True)
    raise_ticket("care", waited=400, due_in=-300, status="resolved")
    billing_oldest = raise_ticket("billing", waited=50, due_in=5)
    raise_ticket("billing", waited=20, due_in=40)
    raise_ticket("billing", waited=10, due_in=-1)

    with db.sessions() as session:
        strip = live_by_team(session, clock.now(), SOON)

    assert [(row["team"], row["open"], row["breaching"], row["at_risk"], row["oldest"]["ticket_id"])
            for row in strip] == [("billing", 3, 1, 1, billing_oldest), ("care", 3, 1, 1, care_oldest)]
    assert strip[1]["oldest"]["since"] == clock.now() - timedelta(minutes=120)


def test_a_team_with_only_paused_tickets_is_counted_and_has_no_longest_wait(db, clock, raise_ticket):
    raise_ticket("vip", waited=60, due_in=-30, paused=True)

    with db.sessions() as session:
        strip = live_by_team(session, clock.now(), SOON)

    assert strip == [{"team": "vip", "open": 1, "breaching": 0, "at_risk": 0, "oldest": None}]


def test_a_hidden_team_is_left_out_of_the_strip(db, clock, raise_ticket):
    raise_ticket("vip", waited=60, due_in=-30)
    care = raise_ticket("care", waited=10, due_in=20)

    with db.sessions() as session:
        strip = live_by_team(session, clock.now(), SOON, hidden_teams=("vip",))

    assert [(row["team"], row["oldest"]["ticket_id"]) for row in strip] == [("care", care)]


def test_no_open_tickets_give_an_empty_strip(db, clock, raise_ticket):
    raise_ticket("care", waited=60, due_in=-30, status="closed")

    with db.sessions() as session:
        assert live_by_team(session, clock.now(), SOON) == []
