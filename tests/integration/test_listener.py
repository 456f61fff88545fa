from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from connectors.base import ConnectorError, SkippedItem
from listener.in_force import hold
from listener.polling import Poller, sync_sources
from store.accounts import create_agent
from store.models import Customer, Event, Identity, Mention, QuarantinedPost, Source, Ticket
from store.sla import SlaClock
from store.tickets import FollowupPlan, resolve, wait_on_customer
from tests.integration.loop_helpers import ScriptedConnector, batch, post, rate_limited


@pytest.fixture
def configured(settings):
    return settings.model_copy(update={
        "accounts": {"acme_x": settings.accounts.get("acme_x") or _account()},
        "sources": (_source("x-mentions"), _source("x-search", kind="search", target="acme")),
    })


def resolve_now(session, ticket, clock):
    resolve(session, ticket, "robin@example.com", FollowupPlan(why_not="follow-ups are off"), clock.now())


def _account():
    from config.settings import AccountSettings

    return AccountSettings(platform="x", bearer_token="t")


def _source(name, kind="mentions", target=""):
    from config.settings import SourceSettings

    return SourceSettings(name=name, account="acme_x", kind=kind, target=target, poll_seconds=60)


class World:
    def __init__(self, db, settings, clock, connectors):
        self.db, self.clock = db, clock
        self.connectors = connectors
        self.poller = Poller(db, hold(settings), clock, self.connector_for)
        with db.transaction() as session:
            self.sources = {s.name: s.id for s in sync_sources(session, settings, clock.now())}

    def connector_for(self, account, platform):
        return self.connectors[self._polling]

    def poll(self, name="x-mentions", force=True):
        self._polling = name
        return self.poller.poll(self.sources[name], force=force)

    def count(self, model, *where):
        with self.db.transaction() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where))

    def source(self, name="x-mentions"):
        with self.db.transaction() as session:
            return session.get(Source, self.sources[name])

    def tickets(self):
        with self.db.transaction() as session:
            return session.scalars(select(Ticket).order_by(Ticket.id)).all()

    def agent(self, email, role="agent", presence="online", capacity=5):
        with self.db.transaction() as session:
            return create_agent(session, name=email.split("@")[0], email=email, password="pw", role=role,
                                presence=presence, capacity=capacity, now=self.clock.now()).id


def world(db, settings, clock, **connectors):
    return World(db, settings, clock, connectors)


def database_fails(w, monkeypatch):
    """Storing a batch fails: the database gives up (a lock not granted)."""
    def ingest(session, posts, now, source_id=None):
        raise OperationalError("INSERT INTO mentions ...", {}, Exception("database is locked"))

    monkeypatch.setattr(w.poller.live.now.intake, "ingest", ingest)


def score_fails_on(bad_text, w, monkeypatch):
    """Storing one post fails: the scorer raises on reading it."""
    original = w.poller.live.now.intake.scorer.read_many

    def read_many(texts):
        if bad_text in texts:
            raise RuntimeError("scorer failed")
        return original(texts)

    monkeypatch.setattr(w.poller.live.now.intake.scorer, "read_many", read_many)


def test_it_stores_each_post_once_and_raises_one_ticket(db, configured, clock):
    complaint = post("My order never arrived and support is useless.", external_id="1")
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(complaint), batch(complaint, cursor="c2"))})
    w.poll()
    second = w.poll()
    assert second.report.duplicates == 1
    assert w.count(Mention) == 1
    assert len(w.tickets()) == 1


def test_a_post_seen_by_two_sources_is_stored_once(db, configured, clock):
    complaint = post("Where is my refund? It has been weeks.", external_id="77")
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(complaint)),
                                        "x-search": ScriptedConnector(batch(complaint))})
    w.poll("x-mentions")
    w.poll("x-search")
    assert w.count(Mention) == 1
    assert w.count(Ticket) == 1


def test_it_advances_the_cursor_with_the_posts_it_stored(db, configured, clock):
    connector = ScriptedConnector(batch(post("Still waiting for my refund!"), cursor="500"))
    w = world(db, configured, clock, **{"x-mentions": connector})
    w.poll()
    w.poll()
    assert w.source().cursor == "500"
    assert connector.fetches[1][2] == "500"


def test_the_cursor_does_not_move_when_storing_fails_and_the_source_says_why(db, configured, clock, monkeypatch):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("Terrible service, still no refund."), post("Where is my parcel?"), cursor="900"))})
    database_fails(w, monkeypatch)

    outcome = w.poll()

    assert outcome.status == "backing_off"
    source = w.source()
    assert (source.cursor, source.status) == (None, "backing_off")
    assert source.last_error == "storing the batch failed: Exception: database is locked"
    assert w.count(Mention) == 0


def test_a_post_that_cannot_be_stored_is_quarantined_and_the_rest_and_the_cursor_go_on(db, configured, clock,
                                                                                        monkeypatch):
    bad = post("boom", "ann")
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("Terrible service, still no refund."), bad, post("Where is my parcel?", "ben"), cursor="900"))})
    score_fails_on("boom", w, monkeypatch)

    outcome = w.poll()

    assert (outcome.status, outcome.report.stored, outcome.report.quarantined) == ("ok", 2, 1)
    source = w.source()
    assert (source.cursor, source.status) == ("900", "ok")
    assert source.last_error.startswith("quarantined 1 post(s) that could not be stored")
    with db.transaction() as session:
        kept = session.scalars(select(QuarantinedPost)).one()
        assert (kept.platform, kept.external_id, kept.source_id) == ("x", bad.external_id, w.sources["x-mentions"])
        assert kept.reason == "RuntimeError: scorer failed"
        assert kept.post["text"] == "boom" and kept.raw == {"id": bad.external_id}
    assert w.count(Mention) == 2


def test_a_post_fetched_late_is_due_from_when_it_was_posted_and_history_from_when_listening_began(
        db, configured, clock):
    began = clock.now()
    late = replace(post("My refund never came and nobody answers.", "lee"), created_at=began + timedelta(minutes=10))
    history = post("The app crashed again and I lost my basket.", "kim")  # posted before the source was added
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(late, history))})
    clock.advance(minutes=50)
    w.poll()
    by_handle = {}
    with db.transaction() as session:
        for ticket in session.scalars(select(Ticket)):
            target = timedelta(minutes=configured.sla.first_response_minutes.for_priority(ticket.priority))
            raised_at = session.scalar(select(Event.at).where(Event.ticket_id == ticket.id, Event.kind == "raised"))
            by_handle[ticket.mentions[0].identity.handle] = (
                ticket.created_at, ticket.first_response_due_at - ticket.created_at == target, raised_at)
    assert by_handle == {"lee": (began + timedelta(minutes=10), True, clock.now()),
                         "kim": (began, True, clock.now())}


def test_a_follow_up_post_joins_the_customers_open_ticket(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("My parcel is lost, terrible.", "tom")),
        batch(post("Hello?? Anyone there? Still nothing.", "tom"), post("Worst app ever", "jo")))})
    w.poll()
    clock.advance(minutes=5)
    w.poll()
    tickets = w.tickets()
    assert len(tickets) == 2
    assert w.count(Mention, Mention.ticket_id == tickets[0].id) == 2
    assert w.count(Event, Event.kind == "customer_wrote") == 1


def test_a_more_urgent_follow_up_raises_the_priority_and_brings_the_due_time_forward(db, configured, clock):
    """The urgent post, written at 09:08 and fetched at 09:10, is due 30
    minutes after it was written."""
    fire = replace(post("Update: the heater you sold me caught fire!", "ann"),
                   created_at=clock.now() + timedelta(minutes=8))
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("How do I update my address?", "ann")), batch(fire))})
    w.poll()
    first_due = w.tickets()[0].first_response_due_at
    clock.advance(minutes=10)
    w.poll()
    ticket = w.tickets()[0]
    assert ticket.priority == "urgent"
    assert ticket.first_response_due_at == fire.created_at + timedelta(minutes=30)
    assert ticket.first_response_due_at < first_due
    assert w.count(Event, Event.kind == "reprioritized") == 1


def test_a_more_urgent_post_on_a_pending_ticket_is_due_from_when_it_was_written(db, configured, clock):
    """The ticket waits on Ann from 09:00; two hours on she writes of a
    fire. The urgent answer is due 30 minutes after she wrote, not pushed
    back again by the two hours the ticket waited on her."""
    fire = replace(post("Update: the heater you sold me caught fire!", "ann"),
                   created_at=clock.now() + timedelta(hours=2))
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("How do I update my address?", "ann")), batch(fire))})
    w.poll()
    with db.transaction() as session:
        wait_on_customer(session, session.scalars(select(Ticket)).one(), "robin@example.com", clock.now())
    clock.advance(hours=2)
    w.poll()
    ticket = w.tickets()[0]
    assert (ticket.status, ticket.priority) == ("open", "urgent")
    assert ticket.first_response_due_at == fire.created_at + timedelta(minutes=30)


def heater_catches_fire(db, configured, clock):
    return world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("How do I update my address?", "ann")),
        batch(post("Update: the heater you sold me caught fire!", "ann")))})


def test_a_ticket_a_follow_up_makes_urgent_goes_from_its_agent_to_a_senior(db, configured, clock):
    w = heater_catches_fire(db, configured, clock)
    junior = w.agent("junior@example.com")
    w.poll()
    senior = w.agent("senior@example.com", role="senior")
    assert w.tickets()[0].assignee_id == junior
    clock.advance(minutes=10)
    w.poll()
    ticket = w.tickets()[0]
    assert (ticket.assignee_id, ticket.assignment_reason) == (senior, "senior: harm (fire)")
    with db.transaction() as session:
        assigned = session.scalars(select(Event).where(Event.kind == "assigned").order_by(Event.id)).all()
        assert [e.detail["agent"] for e in assigned] == ["junior@example.com", "senior@example.com"]


def test_a_ticket_made_urgent_stays_with_its_agent_when_no_senior_is_free(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("How do I update my address?", "ann")),
        batch(post("I will sue you, my lawyer is on it, you stole my money", "ann")))})
    junior = w.agent("junior@example.com")
    w.agent("away@example.com", role="senior", presence="away")
    w.poll()
    w.agent("full@example.com", role="senior", capacity=0)
    clock.advance(minutes=10)
    w.poll()
    ticket = w.tickets()[0]
    assert (ticket.priority, ticket.assignee_id, ticket.assignment_reason) == ("urgent", junior, "least loaded")


def test_a_harm_goes_to_a_senior_even_when_every_senior_is_full(db, configured, clock):
    w = heater_catches_fire(db, configured, clock)
    junior = w.agent("junior@example.com")
    w.agent("away@example.com", role="senior", presence="away")
    w.poll()
    full = w.agent("full@example.com", role="senior", capacity=0)
    clock.advance(minutes=10)
    w.poll()
    ticket = w.tickets()[0]
    assert junior != full
    assert (ticket.assignee_id, ticket.assignment_reason) == (full, "senior past capacity: harm (fire)")


def test_a_new_harm_goes_to_a_full_senior_and_an_ordinary_urgent_post_does_not(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(
        post("Your charger caught fire in my kitchen!", "cat"),
        post("I will sue you, my lawyer is on it, you stole my money", "dan")))})
    junior = w.agent("junior@example.com")
    full = w.agent("full@example.com", role="senior", capacity=0)
    w.poll()
    by_handle = {}
    with db.transaction() as session:
        for ticket in session.scalars(select(Ticket)):
            by_handle[ticket.mentions[0].identity.handle] = (ticket.priority, ticket.assignee_id,
                                                             ticket.assignment_reason)
    assert by_handle == {"cat": ("urgent", full, "senior past capacity: harm (fire)"),
                         "dan": ("urgent", junior, "least loaded (no senior free)")}


def test_a_bereaved_customer_goes_to_a_senior_with_room_and_waits_for_none_past_capacity(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("My husband passed away and you keep sending him letters", "eve")),
        batch(post("My wife passed away, please stop the direct debit", "fay")))})
    junior = w.agent("junior@example.com")
    senior = w.agent("senior@example.com", role="senior", capacity=1)
    w.poll()
    w.poll()
    assert [(t.assignee_id, t.assignment_reason) for t in w.tickets()] == [
        (senior, "senior: sensitive (bereavement)"), (junior, "least loaded (no senior free)")]


def test_praise_is_stored_without_a_ticket(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(post("Love the new app, great job!")))})
    w.poll()
    assert w.count(Mention) == 1
    assert w.count(Ticket) == 0


def test_a_post_the_platform_says_is_in_a_language_the_scorer_does_not_read_goes_to_a_person(db, configured, clock):
    praise_in_portuguese = replace(post("Ótimo atendimento, obrigado!", "ana"), language="pt")
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(
        praise_in_portuguese, replace(post("Love the new app, great job!", "bea"), language="en")))})
    w.poll()
    assert w.count(Mention) == 2
    [ticket] = w.tickets()
    with db.transaction() as session:
        mention = session.scalar(select(Mention).where(Mention.ticket_id == ticket.id))
        assert mention.language == "pt"
        assert any(r.startswith("in a language the scorer does not read (pt)") for r in mention.reasons)


def test_our_own_posts_never_raise_a_ticket(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("Sorry to hear that, we are on it!", "acme", by_brand=True)))})
    w.poll()
    assert w.count(Mention) == 0
    assert w.count(Ticket) == 0


def test_a_ticket_records_why_it_was_raised_and_scores_are_kept(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("I want a refund, this is the worst purchase ever.")))})
    w.poll()
    with db.transaction() as session:
        mention = session.scalar(select(Mention))
        raised = session.scalar(select(Event).where(Event.kind == "raised"))
        assert mention.sentiment == "negative"
        assert "keyword:refund (money) +0.25" in mention.reasons
        assert raised.detail["reasons"] == mention.reasons
        assert raised.detail["priority"] == mention.priority


def test_it_routes_to_the_customers_previous_agent(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("My parcel is lost, terrible.", "tom")),
        batch(post("Another problem: wrong item delivered, awful.", "tom")))})
    robin = w.agent("robin@example.com")
    w.poll()
    with db.transaction() as session:
        resolve_now(session, session.scalar(select(Ticket)), clock)
    w.agent("zoe@example.com")
    clock.advance(days=5)
    w.poll()
    tickets = w.tickets()
    assert [t.assignee_id for t in tickets] == [robin, robin]
    assert tickets[1].assignment_reason == "previous agent"


def test_a_repeat_complaint_goes_to_a_senior(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("My parcel is lost, terrible.", "tom")),
        batch(post("Now the replacement is broken too. Awful.", "tom")))})
    w.agent("robin@example.com")
    w.poll()
    with db.transaction() as session:
        resolve_now(session, session.scalar(select(Ticket)), clock)
    senior = w.agent("sam@example.com", role="senior")
    clock.advance(days=1)
    w.poll()
    assert (w.tickets()[1].assignee_id, w.tickets()[1].assignment_reason) == (senior, "senior: repeat complaint")


def test_a_vip_customer_goes_to_a_senior(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("Where is my refund?", "vip")), batch(post("Still waiting. Terrible.", "vip2")))})
    w.agent("robin@example.com")
    senior = w.agent("sam@example.com", role="senior")
    with db.transaction() as session:
        session.add(Identity(customer=Customer(display_name="V", tier="vip", created_at=clock.now()),
                             platform="x", platform_user_id="u-vip2", handle="vip2"))
    w.poll()
    w.poll()
    reasons = [(t.assignee_id, t.assignment_reason) for t in w.tickets()]
    assert reasons[1] == (senior, "senior: vip")
    assert reasons[0][1] == "least loaded"


def test_an_urgent_ticket_goes_to_an_online_senior(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("I will sue you, my lawyer is on it, you stole my money")))})
    w.agent("junior@example.com")
    senior = w.agent("senior@example.com", role="senior")
    w.agent("away-senior@example.com", role="senior", presence="away")
    w.poll()
    ticket = w.tickets()[0]
    assert (ticket.assignee_id, ticket.assignment_reason) == (senior, "senior: urgent")


def test_a_ticket_waits_in_the_queue_until_someone_comes_online(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(post("Still no refund, awful.")))})
    w.poll()
    assert w.tickets()[0].assignee_id is None
    agent = w.agent("late@example.com")
    assert w.poller.route_waiting() == 1
    assert w.tickets()[0].assignee_id == agent


def test_a_queued_harm_goes_to_a_senior_who_comes_online_full(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(
        post("Your charger caught fire in my kitchen!", "cat"), post("How do I change my address?", "dan")))})
    w.poll()
    assert [t.assignee_id for t in w.tickets()] == [None, None]
    full = w.agent("full@example.com", role="senior", capacity=0)
    junior = w.agent("junior@example.com")
    assert w.poller.route_waiting() == 2
    assert [(t.assignee_id, t.assignment_reason) for t in w.tickets()] == [
        (full, "senior past capacity: harm (fire)"), (junior, "least loaded")]


def test_it_never_assigns_beyond_capacity(db, configured, clock):
    posts = [post(f"Order {n} never arrived, terrible!", f"customer{n}") for n in range(3)]
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(*posts))})
    agent = w.agent("small@example.com", capacity=2)
    w.poll()
    assert [t.assignee_id for t in w.tickets()] == [agent, agent, None]


def test_it_waits_until_the_rate_limit_resets(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(rate_limited(120), batch(post("Refund please!")))})
    outcome = w.poll()
    source = w.source()
    assert source.status == "backing_off"
    assert "429" in source.last_error
    assert clock.now() + timedelta(seconds=120) <= source.next_poll_at <= clock.now() + timedelta(seconds=132)
    assert w.poll(force=False).status == "not due"
    clock.advance(seconds=133)
    assert w.poll(force=False).status == "ok"
    assert outcome.status == "backing_off"
    assert w.source().status == "ok" and w.source().last_error is None


def test_it_marks_the_source_broken_on_401_and_the_others_go_on(db, configured, clock):
    w = world(db, configured, clock, **{
        "x-mentions": ScriptedConnector(ConnectorError("X rejected the credentials (401)", permanent=True)),
        "x-search": ScriptedConnector(batch(post("Outage again? Nothing loads.")))})
    w.poll("x-mentions")
    w.poll("x-search")
    assert w.source("x-mentions").status == "broken"
    assert "401" in w.source("x-mentions").last_error
    assert w.source("x-search").status == "ok"
    assert w.count(Mention) == 1


def test_transient_failures_back_off_longer_each_time(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        ConnectorError("503"), ConnectorError("503"), ConnectorError("503"))})
    delays = []
    for _ in range(3):
        w.poll()
        delays.append((w.source().next_poll_at - clock.now()).total_seconds())
    assert delays[0] < delays[1] < delays[2]
    assert w.source().failures == 3


def test_a_malformed_item_is_skipped_and_the_rest_of_the_batch_is_stored(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(batch(
        post("Terrible, my parcel is lost."), post("Where is my refund?"),
        skipped=[SkippedItem(raw={"id": "x"}, reason="tweet x has no author")]))})
    w.poll()
    assert w.count(Mention) == 2
    assert "tweet x has no author" in w.source().last_error
    assert w.source().status == "ok"


def test_sources_removed_from_the_config_are_disabled_and_keep_their_cursor(db, configured, clock):
    w = world(db, configured, clock, **{"x-search": ScriptedConnector(batch(post("Broken again"), cursor="42"))})
    w.poll("x-search")
    fewer = configured.model_copy(update={"sources": configured.sources[:1]})
    with db.transaction() as session:
        sync_sources(session, fewer, clock.now())
    assert not w.source("x-search").enabled
    assert w.source("x-search").cursor == "42"
    assert w.poll("x-search").status == "disabled"


def test_a_source_enabled_again_is_listened_to_from_then_and_one_left_enabled_keeps_its_start(
        db, configured, clock):
    w = world(db, configured, clock)
    began = clock.now()
    clock.advance(hours=1)
    off = configured.model_copy(update={"sources": (configured.sources[0],
                                                    configured.sources[1].model_copy(update={"enabled": False}))})
    for settings in (configured, off, configured):
        with db.transaction() as session:
            sync_sources(session, settings, clock.now())
    assert w.source("x-mentions").listening_since == began
    assert w.source("x-search").listening_since == clock.now()


def test_a_post_stored_by_another_process_meanwhile_is_skipped_and_the_rest_kept(db, configured, clock, monkeypatch):
    w = world(db, configured, clock)
    intake = w.poller.live.now.intake
    raced = post("My refund never came, awful.", "ann", external_id="9001")
    with db.transaction() as session:
        intake.ingest(session, [raced], clock.now())
    original = intake._new_posts
    calls = []

    def miss_the_race_once(session, posts):
        calls.append(1)
        if len(calls) == 1:
            fresh, report = original(session, [])
            return list(posts), report
        return original(session, posts)

    monkeypatch.setattr(intake, "_new_posts", miss_the_race_once)
    with db.transaction() as session:
        report = intake.ingest(session, [raced, post("The app is down again, terrible!", "ben")], clock.now())
    assert (report.stored, report.duplicates) == (1, 1)
    assert w.count(Mention) == 2
    assert w.count(Ticket) == 2


def test_a_batch_is_acknowledged_only_after_its_posts_are_committed(db, configured, clock, monkeypatch):
    seen_at_acknowledge = []

    def acknowledge():
        seen_at_acknowledge.append(w.count(Mention))

    failing = replace(batch(post("Still waiting on my refund, awful.")), acknowledge=acknowledge)
    good = replace(batch(post("Still waiting on my refund, awful.")), acknowledge=acknowledge)
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(failing, good)})
    with monkeypatch.context() as patched:
        database_fails(w, patched)
        w.poll()
    assert seen_at_acknowledge == []
    w.poll()
    assert seen_at_acknowledge == [1]


def answered(w, db, clock):
    """The first ticket, answered on the platform; the answer's id there."""
    from config.settings import OutboxSettings
    from responder.outbox import Outbox, queue_reply

    w.poll()
    platform = ScriptedConnector()
    with db.transaction() as session:
        ticket = session.scalar(select(Ticket))
        queue_reply(session, ticket, "Sorry! A new one is on its way.", None, clock.now())
    Outbox(db, OutboxSettings(interval_seconds=1, max_attempts=3, backoff_seconds=1, stale_send_seconds=60),
           clock, lambda account, p: platform).send_due()
    return platform.posted[0][0]


def test_a_harm_written_while_an_answer_is_owed_brings_that_answer_forward(db, configured, clock):
    """Answered once; the customer asks when a replacement ships (an answer
    is owed at the ticket's priority), then five minutes later writes that
    the heater caught fire: the owed answer is due by the urgent target
    from then."""
    connector = ScriptedConnector(batch(post("My parcel is lost, terrible.", "tom")))
    w = world(db, configured, clock, **{"x-mentions": connector})
    answered(w, db, clock)
    connector.script.append(batch(replace(post("When will the replacement ship?", "tom"), created_at=clock.now())))
    w.poll()
    owed = w.tickets()[0].next_response_due_at
    clock.advance(minutes=5)
    fire = replace(post("Update: the heater you sold me caught fire!", "tom"), created_at=clock.now())
    connector.script.append(batch(fire))
    w.poll()

    ticket = w.tickets()[0]
    urgent = SlaClock(configured).targets("urgent", "x", "standard").next_response
    assert ticket.priority == "urgent"
    assert ticket.next_response_due_at == fire.created_at + urgent < owed


def answered_and_resolved(w, db, clock, handle="tom"):
    """A ticket for `handle`, answered on the platform as r1 and resolved."""
    our_reply = answered(w, db, clock)
    with db.transaction() as session:
        resolve_now(session, session.scalar(select(Ticket)), clock)
    clock.advance(hours=3)
    return our_reply


def test_a_reply_to_our_answer_reopens_the_same_ticket(db, configured, clock):
    connector = ScriptedConnector(batch(post("My parcel is lost, terrible.", "tom")))
    w = world(db, configured, clock, **{"x-mentions": connector})
    our_reply = answered_and_resolved(w, db, clock)
    written_now = replace(post("It still hasn't arrived, this is awful.", "tom", in_reply_to=our_reply),
                          created_at=clock.now())
    connector.script.append(batch(written_now))
    w.poll()
    tickets = w.tickets()
    assert len(tickets) == 1
    assert tickets[0].status == "open"
    assert tickets[0].due_at() == clock.now() + timedelta(minutes=60)
    assert w.count(Event, Event.kind == "reopened") == 1


def test_an_urgent_post_written_before_the_resolution_counts_from_no_earlier_than_it(db, configured, clock):
    """Tom's ticket is answered, resolved half an hour later, and three
    hours on he writes again; the same page brings an urgent post he wrote
    ten minutes before it was resolved. The ticket reopens, and the urgent
    resolution target does not start before the resolution it follows."""
    connector = ScriptedConnector(batch(post("My parcel is lost, terrible.", "tom")))
    w = world(db, configured, clock, **{"x-mentions": connector})
    our_reply = answered(w, db, clock)
    clock.advance(minutes=30)
    with db.transaction() as session:
        resolve_now(session, session.scalar(select(Ticket)), clock)
    resolved_at = clock.now()
    clock.advance(hours=3)
    again = replace(post("It still hasn't arrived, this is awful.", "tom", in_reply_to=our_reply),
                    created_at=clock.now())
    fire = replace(post("Update: the heater you sold me caught fire!", "tom", in_reply_to=our_reply),
                   created_at=resolved_at - timedelta(minutes=10))
    connector.script.append(batch(again, fire, cursor="c2"))
    w.poll()
    ticket = w.tickets()[0]
    urgent = SlaClock(configured).targets("urgent", "x", "standard")
    assert (ticket.status, ticket.priority) == ("open", "urgent")
    assert ticket.resolution_due_at >= resolved_at + urgent.resolution


def test_a_thank_you_to_our_answer_joins_the_ticket_without_reopening_it(db, configured, clock):
    connector = ScriptedConnector(batch(post("My parcel is lost, terrible.", "tom")))
    w = world(db, configured, clock, **{"x-mentions": connector})
    our_reply = answered_and_resolved(w, db, clock)
    connector.script.append(batch(post("Got it, thanks a lot!", "tom", in_reply_to=our_reply)))
    w.poll()
    assert [t.status for t in w.tickets()] == ["resolved"]
    assert w.count(Mention, Mention.ticket_id == w.tickets()[0].id) == 2


def test_a_plain_answer_to_our_reply_on_an_open_ticket_needs_a_person(db, configured, clock):
    connector = ScriptedConnector(batch(post("My parcel is lost, terrible.", "tom")))
    w = world(db, configured, clock, **{"x-mentions": connector})
    our_reply = answered(w, db, clock)
    connector.script.append(batch(post("it was the branch by the station", "tom", in_reply_to=our_reply),
                                  post("it was the branch by the station", "jo")))
    w.poll()
    ticket_id = w.tickets()[0].id
    with db.transaction() as session:
        told, other = (session.scalar(select(Mention).where(Mention.text.like("it was%"), Mention.identity.has(
            Identity.platform_user_id == f"u-{handle}"))) for handle in ("tom", "jo"))
        assert told.needs_response and "answers our reply +0.20" in told.reasons
        assert told.ticket_id == ticket_id
        assert "answers our reply +0.20" not in other.reasons


def test_someone_else_replying_to_our_answer_gets_their_own_ticket(db, configured, clock):
    connector = ScriptedConnector(batch(post("My parcel is lost, terrible.", "tom")))
    w = world(db, configured, clock, **{"x-mentions": connector})
    our_reply = answered_and_resolved(w, db, clock)
    connector.script.append(batch(post("Same here, mine is lost too. Awful.", "jo", in_reply_to=our_reply)))
    w.poll()
    assert [t.status for t in w.tickets()] == ["resolved", "new"]


def test_a_ticket_assigned_from_the_queue_is_not_its_own_repeat_complaint(db, configured, clock):
    w = world(db, configured, clock, **{"x-mentions": ScriptedConnector(
        batch(post("How do I change the address on my order?")))})
    w.poll()
    w.agent("sam@example.com", role="senior")
    w.poller.route_waiting()
    assert w.tickets()[0].assignment_reason == "least loaded"
