"""Who gets which alerts: each person's channels, kinds and scope, quiet
hours, Slack threads through the emulator's Web API, and the daily digest,
on both databases with a movable clock."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import select

from config.settings import AlertSettings
from connectors.emulator.mail import MailCatcher
from responder.alert_channels import SlackTarget
from responder.alerts import AlertOutbox
from responder.digests import DailyDigests
from store.accounts import create_agent
from store.alert_preferences import Preferences, save_preferences
from store.alerts import Recipient, queue_alerts
from store.models import Alert, Customer, SlackThread, Ticket

LONDON_EVENING = datetime(2026, 1, 5, 21, 30, tzinfo=timezone.utc)  # 21:30 in London, 08:30 in Sydney


@pytest.fixture
def smtp():
    with MailCatcher() as receiver:
        yield receiver


class Team:
    def __init__(self, db, clock):
        self.db, self.clock = db, clock

    def person(self, email, role="agent", team="care", **preferences):
        with self.db.transaction() as session:
            agent = create_agent(session, name=email.split("@")[0].title(), email=email, password="pw", role=role,
                                 team=team, presence="online", now=self.clock.now())
            if preferences:
                save_preferences(session, Preferences(**preferences), self.clock.now(), agent=agent)
            return agent.id

    def role_default(self, role, **preferences):
        with self.db.transaction() as session:
            save_preferences(session, Preferences(**preferences), self.clock.now(), role=role)

    def ticket(self, team="care", assignee=None):
        now = self.clock.now()
        with self.db.transaction() as session:
            ticket = Ticket(customer=Customer(display_name="Maria", created_at=now), platform="x", status="new",
                            priority="high", team=team, created_at=now, updated_at=now, assignee_id=assignee)
            session.add(ticket)
            session.flush()
            return ticket.id

    def alert(self, kind, ticket_id, *people, key=None, team_slack=False):
        """Queue one occasion's alert to each person in the app and by email
        (as the watches do), and to the care team's Slack channel."""
        with self.db.transaction() as session:
            recipients = []
            for agent_id, email in people:
                recipients += [Recipient("web", email, agent_id), Recipient("email", email, agent_id)]
            if team_slack:
                recipients.append(Recipient("slack", "care"))
            ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
            queue_alerts(session, key=key or f"{kind}:{ticket_id}:{self.clock.now().isoformat()}", kind=kind,
                         ticket=ticket, recipients=recipients, subject=f"Ticket #{ticket_id} {kind}",
                         body=f"Ticket #{ticket_id} is {kind}", link=f"/tickets/{ticket_id}", now=self.clock.now())

    def rows(self, **where):
        with self.db.transaction() as session:
            query = select(Alert).order_by(Alert.id)
            for name, value in where.items():
                query = query.where(getattr(Alert, name) == value)
            return session.scalars(query).all()


@pytest.fixture
def team(db, clock):
    return Team(db, clock)


def settings_for(smtp):
    return AlertSettings(interval_seconds=1, max_attempts=3, backoff_seconds=10, timeout_seconds=2,
                         base_url="https://closeloop.example", smtp_host=smtp.host, smtp_port=smtp.port,
                         smtp_from="alerts@acme.example")


def slack_api(emulator):
    """Every Slack name posts through the emulator's Web API: "care" to
    channel C0CARE, "@U..." to that person."""
    return lambda name: SlackTarget(name.removeprefix("@") if name.startswith("@") else "C0CARE", "xoxb-test",
                                    f"{emulator.url}/_emulator/slack/api/")


def slack_messages(emulator):
    return requests.get(f"{emulator.url}/_emulator/slack/messages", timeout=5).json()["messages"]


def test_a_person_who_turned_email_off_gets_no_email(team):
    ada = team.person("ada@acme.example", channels=("web",))
    bo = team.person("bo@acme.example")
    ticket = team.ticket()
    team.alert("breached", ticket, (ada, "ada@acme.example"), (bo, "bo@acme.example"))
    assert {(a.channel, a.recipient) for a in team.rows()} == {
        ("web", "ada@acme.example"), ("web", "bo@acme.example"), ("email", "bo@acme.example")}


def test_team_scope_keeps_out_other_teams_tickets_and_mine_keeps_only_ones_own(team):
    ada = team.person("ada@acme.example", scope="team")
    cy = team.person("cy@acme.example", scope="mine")
    billing = team.ticket(team="billing")
    cys = team.ticket(team="billing", assignee=cy)
    team.alert("at_risk", billing, (ada, "ada@acme.example"), (cy, "cy@acme.example"))
    assert team.rows() == []
    team.alert("at_risk", cys, (ada, "ada@acme.example"), (cy, "cy@acme.example"))
    assert {a.recipient for a in team.rows()} == {"cy@acme.example"}


def test_a_role_default_applies_until_the_person_chooses_their_own(team):
    team.role_default("agent", kinds=("breached",))
    ada = team.person("ada@acme.example")
    bo = team.person("bo@acme.example", kinds=("at_risk",))
    ticket = team.ticket()
    team.alert("at_risk", ticket, (ada, "ada@acme.example"), (bo, "bo@acme.example"))
    assert {a.recipient for a in team.rows()} == {"bo@acme.example"}


def test_quiet_hours_hold_email_until_they_end_then_send_one_message(db, clock, team, smtp, emulator):
    # Quiet 22:00-07:00 in Sydney (UTC+11 in January): 11:00-20:00 UTC.
    clock.advance(hours=3)  # 12:00 UTC, 23:00 in Sydney
    ada = team.person("ada@acme.example", timezone="Australia/Sydney", quiet_from="22:00", quiet_until="07:00")
    first, second = team.ticket(), team.ticket()
    team.alert("at_risk", first, (ada, "ada@acme.example"))
    clock.advance(minutes=30)
    team.alert("reopened", second, (ada, "ada@acme.example"))
    held = team.rows(channel="email")
    assert {a.held_until for a in held} == {datetime(2026, 1, 5, 20, 0, tzinfo=timezone.utc)}
    assert [a.status for a in team.rows(channel="web")] == ["sent", "sent"]

    outbox = AlertOutbox(db, settings_for(smtp), clock, slack_api(emulator))
    clock.advance(hours=7, minutes=29)  # 19:59 UTC, 06:59 in Sydney
    assert outbox.send_due() == 0
    clock.advance(minutes=1)
    assert outbox.send_due() == 1
    [email] = smtp.messages
    assert email.subject == "2 alerts from your quiet hours: 1 at risk, 1 reopened"
    assert f"Ticket #{first} at_risk" in email.body and f"Ticket #{second} reopened" in email.body


def test_breaches_still_reach_a_manager_in_quiet_hours_but_not_an_agent(team, clock):
    boss = team.person("boss@acme.example", role="manager", quiet_from="00:00", quiet_until="23:59")
    ada = team.person("ada@acme.example", quiet_from="00:00", quiet_until="23:59")
    ticket = team.ticket()
    team.alert("breached", ticket, (boss, "boss@acme.example"), (ada, "ada@acme.example"))
    emails = {a.recipient: a for a in team.rows(channel="email")}
    assert emails["boss@acme.example"].held_until is None
    assert emails["boss@acme.example"].next_attempt_at == clock.now()
    assert emails["ada@acme.example"].held_until is not None
    team.alert("at_risk", ticket, (boss, "boss@acme.example"))
    assert team.rows(kind="at_risk", channel="email")[0].held_until is not None


def test_a_slack_alert_about_a_ticket_goes_in_the_thread_of_the_first(db, clock, team, smtp, emulator):
    ada = team.person("ada@acme.example", channels=("slack",), slack_user="U0ADA")
    ticket = team.ticket()
    outbox = AlertOutbox(db, settings_for(smtp), clock, slack_api(emulator))
    team.alert("breached", ticket, (ada, "ada@acme.example"), team_slack=True)
    outbox.send_due()
    clock.advance(minutes=5)
    team.alert("escalated", ticket, (ada, "ada@acme.example"), team_slack=True)
    outbox.send_due()

    messages = slack_messages(emulator)
    by_channel = {}
    for message in messages:
        by_channel.setdefault(message["channel"], []).append(message)
    assert set(by_channel) == {"C0CARE", "DU0ADA"}
    for first, second in by_channel.values():
        assert first["thread_ts"] is None
        assert second["thread_ts"] == first["ts"]
    with db.transaction() as session:
        threads = {(t.recipient, t.channel) for t in session.scalars(select(SlackThread))}
    assert threads == {("care", "C0CARE"), ("@U0ADA", "DU0ADA")}


def test_a_thread_whose_first_message_is_gone_is_started_again(db, clock, team, smtp, emulator):
    ticket = team.ticket()
    outbox = AlertOutbox(db, settings_for(smtp), clock, slack_api(emulator))
    team.alert("breached", ticket, team_slack=True)
    outbox.send_due()
    requests.delete(f"{emulator.url}/_emulator/slack/messages", timeout=5)
    clock.advance(minutes=5)
    team.alert("reopened", ticket, team_slack=True)
    outbox.send_due()
    [message] = slack_messages(emulator)
    assert message["thread_ts"] is None
    assert team.rows(kind="reopened")[0].status == "sent"
    with db.transaction() as session:
        assert session.get(SlackThread, (ticket, "care")).ts == message["ts"]


def digests(db, clock, base_url="https://closeloop.example"):
    settings = type("S", (), {"alerts": type("A", (), {"base_url": base_url})()})()
    return DailyDigests(db, lambda: settings, clock)


def test_the_digest_comes_at_the_persons_local_hour_once_a_day(db, clock, team):
    clock.advance(hours=-9)  # 00:00 UTC on Monday 5 January
    ada = team.person("ada@acme.example", channels=("web",), digest=True, digest_hour=8, timezone="Asia/Tokyo")
    bo = team.person("bo@acme.example", channels=("web",), digest=True, digest_hour=8, timezone="Europe/London")
    ticket, other = team.ticket(), team.ticket()
    team.alert("breached", ticket, (ada, "ada@acme.example"), (bo, "bo@acme.example"))
    clock.advance(minutes=10)
    team.alert("at_risk", ticket, (ada, "ada@acme.example"), (bo, "bo@acme.example"))
    team.alert("at_risk", other, (ada, "ada@acme.example"))
    assert team.rows(channel="email") == []

    job = digests(db, clock)
    clock.advance(hours=7, minutes=49)  # 07:59 in London, 16:59 in Tokyo (its 08:00 came before the alerts)
    assert job.run() == 0
    clock.advance(minutes=1)  # 08:00 in London
    assert job.run() == 1
    assert job.run() == 0
    [digest] = team.rows(kind="digest")
    assert (digest.channel, digest.recipient) == ("email", "bo@acme.example")
    assert digest.subject == "Your alerts of Mon 05 Jan: 1 breached, 1 at risk"
    clock.advance(hours=14, minutes=59)  # 07:59 on Tuesday in Tokyo
    assert job.run() == 0
    clock.advance(minutes=1)
    assert job.run() == 1
    ada_digest = team.rows(kind="digest", recipient="ada@acme.example")[0]
    assert ada_digest.subject == "Your alerts of Tue 06 Jan: 1 breached, 2 at risk"
    assert "(Asia/Tokyo)" in ada_digest.body
    assert ada_digest.body.index(f"/tickets/{ticket}") < ada_digest.body.index(f"/tickets/{other}")


@pytest.mark.parametrize("db", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_two_workers_at_once_queue_one_digest_a_person(db, clock, team, smtp, emulator):
    people = [team.person(f"p{n}@acme.example", channels=("web",), digest=True, digest_hour=9) for n in range(5)]
    ticket = team.ticket()
    team.alert("breached", ticket, *[(p, f"p{n}@acme.example") for n, p in enumerate(people)])
    clock.advance(days=1)
    jobs = [digests(db, clock) for _ in range(2)]
    barrier = threading.Barrier(2)
    queued, errors = [], []

    def run(job):
        try:
            barrier.wait()
            queued.append(job.run())
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(queued) == 5
    AlertOutbox(db, settings_for(smtp), clock, slack_api(emulator)).send_due()
    assert sorted(m.recipients for m in smtp.messages) == [(f"p{n}@acme.example",) for n in range(5)]
