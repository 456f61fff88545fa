"""Response-time figures grouped by agent charge each target to the agent
who held the ticket when it settled: a miss to whoever held it at its due
time, a target met to whoever held it when it was answered or resolved,
however often the ticket moved on afterwards (the SLA watch hands a
breached ticket of an away agent to a senior). On SQLite and PostgreSQL,
where whole past hours are kept and read back. High-priority tickets:
first and next answers due in 60 minutes, resolution in a day."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from listener.sla_watch import SlaWatch
from store import tickets
from store.accounts import create_agent
from store.held_by import compiled_plainly
from store.models import Agent, Customer, Event, Ticket
from store.outcomes import outcomes_report
from store.sla import SlaClock
from store.sla_figures import sla_figures
from store.tickets import FollowupPlan
from tests.integration.web_helpers import PASSWORD, make_world

NO_FOLLOWUP = FollowupPlan(why_not="a test without follow-ups")


class Desk:
    def __init__(self, db, settings, clock):
        self.db, self.clock, self.sla = db, clock, SlaClock(settings)
        self.watch = SlaWatch(db, settings, clock, self.sla)
        self.start = clock.now()
        self.agents = {}
        for name, role, presence in (("alex", "agent", "away"), ("bea", "agent", "online"),
                                     ("sam", "senior", "online"), ("mia", "manager", "online")):
            with db.transaction() as session:
                self.agents[name] = create_agent(session, name=name.title(), email=f"{name}@example.com",
                                                 password=PASSWORD, role=role, presence=presence,
                                                 now=clock.now()).id

    def ticket(self, holder: str | None = "alex") -> int:
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = Ticket(customer=Customer(display_name="Maria", created_at=now), platform="x", status="new",
                            priority="high", team="care", created_at=now, updated_at=now)
            self.sla.start(ticket, now, "standard")
            session.add(ticket)
            session.add(Event(ticket=ticket, kind="raised", at=now, detail={}))
            session.flush()
            if holder:
                tickets.assign(session, ticket, session.get(Agent, self.agents[holder]), "least loaded", now)
            else:
                tickets.leave_queued(session, ticket, "nobody of the team is online", now)
            return ticket.id

    def wait(self, minutes: float) -> None:
        self.clock.advance(minutes=minutes)
        self.watch.check()

    def _act(self, ticket_id: int, act) -> None:
        with self.db.transaction() as session:
            act(session, session.get(Ticket, ticket_id), self.clock.now())

    def answer(self, ticket_id: int, by: str) -> None:
        self._act(ticket_id, lambda session, ticket, now: tickets.answered_elsewhere(
            session, ticket, "replied by phone", f"{by}@example.com", now))

    def give(self, ticket_id: int, to: str) -> None:
        self._act(ticket_id, lambda session, ticket, now: tickets.assign_by_hand(
            session, ticket, session.get(Agent, self.agents[to]), session.get(Agent, self.agents["mia"]), now))

    def customer_writes(self, ticket_id: int) -> None:
        def wrote(session, ticket: Ticket, now) -> None:
            self.sla.customer_wrote(ticket, now, "standard")
            ticket.status, ticket.updated_at = "open", now
            session.add(Event(ticket=ticket, kind="customer_wrote", at=now, detail={"needs_response": True}))
        self._act(ticket_id, wrote)

    def resolve(self, ticket_id: int, by: str) -> None:
        self._act(ticket_id, lambda session, ticket, now: tickets.resolve(
            session, ticket, f"{by}@example.com", NO_FOLLOWUP, now))

    def reopen(self, ticket_id: int) -> None:
        def reopened(session, ticket: Ticket, now) -> None:
            ticket.status, ticket.resolved_at, ticket.updated_at = "open", None, now
            session.add(Event(ticket=ticket, kind="reopened", at=now, detail={}))
        self._act(ticket_id, reopened)

    def holder(self, ticket_id: int) -> str | None:
        with self.db.sessions() as session:
            assignee = session.get(Ticket, ticket_id).assignee
            return assignee.email if assignee else None

    def by_agent(self, target: str = "first_response") -> dict:
        """(met, missed, not yet due) per agent with a figure of `target`,
        and the median first-response wait where `target` is the first response."""
        now = self.clock.now()
        with self.db.sessions() as session:
            figures = sla_figures(session, self.start - timedelta(hours=2), now, now, "agent")
        found = {}
        for group in figures["groups"]:
            tally = group[target]
            if tally["due"] or tally["not_yet_due"]:
                found[group["key"]] = (tally["met"], tally["missed"], tally["not_yet_due"]) + (
                    (tally["median_min"],) if target == "first_response" else ())
        return found


@pytest.fixture
def desk(db, settings, clock):
    return Desk(db, settings, clock)


def test_a_first_response_missed_while_one_agent_held_it_stays_theirs_after_escalation(desk):
    ticket_id = desk.ticket("alex")
    desk.wait(61)
    assert desk.holder(ticket_id) == "sam@example.com"
    desk.wait(14)
    desk.answer(ticket_id, "sam")
    desk.wait(120)
    assert desk.by_agent() == {"alex@example.com": (0, 1, 0, 75.0)}
    assert desk.by_agent() == {"alex@example.com": (0, 1, 0, 75.0)}



def test_the_report_api_and_the_dashboard_show_the_miss_under_who_held_the_ticket(desk, db, clock):
    ticket_id = desk.ticket("alex")
    desk.wait(61)
    desk.wait(14)
    desk.answer(ticket_id, "sam")
    world = make_world(db, clock)
    token = {"Authorization": f"Bearer {world.token(world.client(), 'mia@example.com')}"}
    days = f"from={desk.start:%Y-%m-%d}&to={clock.now():%Y-%m-%d}"

    report = world.client().get(f"/api/v1/reports/sla?{days}&group_by=agent", headers=token).get_json()
    csv = world.client().get(f"/api/v1/reports/sla.csv?{days}&group_by=agent", headers=token).get_data(as_text=True)
    manager = world.client()
    world.sign_in(manager, "mia@example.com")
    html = manager.get(f"/dashboard?{days}&group_by=agent").get_data(as_text=True)

    assert {group["key"]: group["first_response"]["missed"] for group in report["groups"]} == {
        "alex@example.com": 1, "sam@example.com": 0}
    assert [line.split(",")[1:6] for line in csv.splitlines() if ",first_response," in line] == [
        ["alex@example.com", "first_response", "1", "0", "1"], ["sam@example.com", "first_response", "0", "0", "0"],
        ["", "first_response", "1", "0", "1"]]
    assert re.search(r'<th scope="row">Alex</th>\s*<td class="number">1</td>\s*<td class="number">0</td>'
                     r'\s*<td class="number">1</td>', html)
    assert re.search(r'<th scope="row">Sam</th>\s*<td class="number">0</td>', html)


def test_a_first_response_met_stays_with_who_answered_it_in_time_when_the_ticket_moves_on(desk):
    ticket_id = desk.ticket("bea")
    desk.wait(30)
    desk.answer(ticket_id, "bea")
    desk.wait(60)
    desk.give(ticket_id, "sam")
    desk.wait(120)
    assert desk.by_agent() == {"bea@example.com": (1, 0, 0, 30.0)}
    assert desk.by_agent("resolution") == {"sam@example.com": (0, 0, 1)}


def test_a_first_response_missed_while_unassigned_is_nobodys(desk):
    ticket_id = desk.ticket(None)
    desk.wait(90)
    desk.give(ticket_id, "bea")
    desk.answer(ticket_id, "bea")
    desk.wait(120)
    assert desk.by_agent() == {None: (0, 1, 0, 90.0)}


def test_a_first_answer_still_owed_is_with_the_agent_who_holds_the_ticket_now(desk):
    ticket_id = desk.ticket("bea")
    desk.wait(20)
    desk.give(ticket_id, "sam")
    desk.wait(10)
    assert desk.by_agent() == {"sam@example.com": (0, 0, 1, 30.0)}


def test_next_answers_and_the_resolution_stay_with_who_held_the_ticket_when_they_settled(desk):
    ticket_id = desk.ticket("alex")
    desk.wait(10)
    desk.answer(ticket_id, "alex")
    desk.wait(10)
    desk.customer_writes(ticket_id)
    desk.wait(20)
    desk.answer(ticket_id, "alex")
    desk.wait(10)
    desk.customer_writes(ticket_id)
    desk.wait(61)
    assert desk.holder(ticket_id) == "sam@example.com"
    desk.answer(ticket_id, "sam")
    desk.customer_writes(ticket_id)
    desk.wait(30)
    desk.answer(ticket_id, "sam")
    desk.wait(60 * 23)
    desk.give(ticket_id, "bea")
    desk.wait(60)
    desk.resolve(ticket_id, "bea")
    desk.wait(60)
    assert desk.by_agent("next_response") == {"alex@example.com": (1, 1, 0), "sam@example.com": (1, 0, 0)}
    assert desk.by_agent("resolution") == {"sam@example.com": (0, 1, 0)}
    assert desk.by_agent() == {"alex@example.com": (1, 0, 0, 10.0)}


def test_a_resolution_and_its_reopening_are_counted_under_who_held_the_ticket_when_it_was_resolved(desk):
    ticket_id = desk.ticket("bea")
    desk.wait(10)
    desk.answer(ticket_id, "bea")
    desk.resolve(ticket_id, "bea")
    desk.wait(30)
    desk.reopen(ticket_id)
    desk.give(ticket_id, "sam")
    desk.wait(10)
    desk.resolve(ticket_id, "sam")
    now = desk.clock.now()
    with desk.db.sessions() as session:
        report = outcomes_report(session, desk.start - timedelta(hours=1), now, "agent", now=now)
    assert [(row["key"], row["resolved"], row["reopened"]) for row in report] == [("bea@example.com", 1, 1)]


def test_counting_by_agent_leaves_the_sessions_settings_as_they_were(postgres_db, settings, clock):
    desk = Desk(postgres_db, settings, clock)
    desk.ticket("bea")
    desk.wait(90)
    with postgres_db.transaction() as session:
        session.execute(text("SET LOCAL jit = on"))
        sla_figures(session, desk.start, clock.now(), clock.now(), "agent")
        outcomes_report(session, desk.start, clock.now(), "agent", now=clock.now())
        assert session.scalar(text("SELECT current_setting('jit')")) == "on"


def test_a_failing_statement_while_counting_by_agent_is_reported_as_itself(postgres_db):
    """The setting put back after a failed statement would fail in turn
    (the transaction is aborted) and hide what went wrong."""
    with pytest.raises(ProgrammingError, match="no_such_table"):
        with postgres_db.transaction() as session, compiled_plainly(session):
            session.execute(text("SELECT * FROM no_such_table"))
