"""One bad post, a race or a platform's odd case never blocks a source nor
loses a post: text is made storable where it is parsed, a post that still
cannot be stored is quarantined while its batch and its cursor go on, and
a cursor never moves back. On both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from config.settings import AccountSettings, SourceSettings
from connectors.base import Batch
from connectors.reddit.parse import oldest_first, parse_children
from connectors.x.parse import batch_from_pages
from listener.in_force import hold
from listener.intake import Intake
from listener.polling import Poller, sync_sources
from listener.quarantine import retry_quarantined
from listener.source_leases import SourceLeases
from store.models import Mention, QuarantinedPost, Source
from store.quarantine import dismiss, quarantine_counts
from tests.integration.loop_helpers import ScriptedConnector, batch, post

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"


@pytest.fixture
def sources(settings):
    return settings.model_copy(update={
        "accounts": {"acme_x": AccountSettings(platform="x", bearer_token="t"),
                     "acme_reddit": AccountSettings(platform="reddit", client_id="c", client_secret="s",
                                                    username="acme", password="p")},
        "sources": (SourceSettings(name="x-mentions", account="acme_x", kind="mentions"),
                    SourceSettings(name="reddit-inbox", account="acme_reddit", kind="mentions")),
    })


class Sources:
    def __init__(self, db, settings, clock, **connectors):
        self.db, self.connectors = db, connectors
        self.poller = Poller(db, hold(settings), clock, lambda account, platform: self.connectors[self.polling])
        with db.transaction() as session:
            self.ids = {s.name: s.id for s in sync_sources(session, settings, clock.now())}

    def poll(self, name):
        self.polling = name
        return self.poller.poll(self.ids[name], force=True)

    def source(self, name):
        with self.db.transaction() as session:
            return session.get(Source, self.ids[name])

    def texts(self):
        with self.db.transaction() as session:
            return dict(session.execute(select(Mention.external_id, Mention.text)).all())

    def quarantined(self):
        with self.db.transaction() as session:
            return list(session.scalars(select(QuarantinedPost).order_by(QuarantinedPost.id)))


def x_page(*texts):
    page = json.loads((CONNECTORS / "x" / "fixtures" / "mentions_page.json").read_text(encoding="utf-8"))
    page["data"] = [dict(page["data"][0], id=str(1900000000000000200 + n), text=text) for n, text in enumerate(texts)]
    page["meta"] = {"newest_id": page["data"][-1]["id"], "result_count": len(texts)}
    return page


def reddit_batch(*bodies):
    listing = json.loads((CONNECTORS / "reddit" / "fixtures" / "unread_inbox.json").read_text(encoding="utf-8"))
    first = listing["data"]["children"][1]
    children = [{"kind": "t4", "data": dict(first["data"], name=f"t4_{n}ab", id=f"{n}ab", body=body)}
                for n, body in enumerate(bodies, start=1)]
    posts, skipped = parse_children(json.loads(json.dumps(children)), "acme")
    return Batch(posts=oldest_first(posts), cursor=children[-1]["data"]["name"], skipped=skipped)


def test_a_post_with_a_nul_byte_no_longer_blocks_its_x_source(db, sources, clock):
    page = x_page("@acme my order \x00 never came", "@acme and the refund?")
    world = Sources(db, sources, clock, **{"x-mentions": ScriptedConnector(batch_from_pages([page], None, "1"))})

    outcome = world.poll("x-mentions")

    assert (outcome.status, outcome.report.stored) == ("ok", 2)
    assert world.texts()["1900000000000000200"] == "@acme my order \ufffd never came"
    assert world.source("x-mentions").cursor == "1900000000000000201"
    with db.transaction() as session:
        raw = session.scalar(select(Mention.raw).where(Mention.external_id == "1900000000000000200"))
    assert raw["tweet"]["text"] == "@acme my order \x00 never came"


def test_a_post_with_a_lone_surrogate_no_longer_blocks_its_reddit_source(db, sources, clock):
    world = Sources(db, sources, clock, **{"reddit-inbox": ScriptedConnector(
        reddit_batch("charged twice \ud800 for order 4471", "still waiting"))})

    outcome = world.poll("reddit-inbox")

    assert (outcome.status, outcome.report.stored) == ("ok", 2)
    assert world.texts()["t4_1ab"] == "charged twice \ufffd for order 4471"
    assert world.source("reddit-inbox").cursor == "t4_2ab"


def test_a_malformed_item_is_quarantined_with_its_raw_and_reason(db, sources, clock):
    page = x_page("@acme broken kettle", "@acme and a broken lid")
    page["data"][0]["created_at"] = "yesterday"
    world = Sources(db, sources, clock, **{"x-mentions": ScriptedConnector(batch_from_pages([page], None, "1"))})

    outcome = world.poll("x-mentions")

    assert (outcome.report.stored, outcome.report.quarantined) == (1, 1)
    [kept] = world.quarantined()
    assert (kept.platform, kept.external_id, kept.post) == ("x", "1900000000000000200", None)
    assert kept.reason == "tweet 1900000000000000200 has no valid created_at: 'yesterday'"
    assert kept.raw["created_at"] == "yesterday"
    assert world.source("x-mentions").cursor == "1900000000000000201"
    with db.transaction() as session:
        assert quarantine_counts(session) == {"x": 1}


def test_a_quarantined_post_is_stored_by_a_retry_after_the_fix(db, sources, clock, monkeypatch):
    bad = post("boom", "ann")
    world = Sources(db, sources, clock, **{"x-mentions": ScriptedConnector(batch(bad, post("Refund please!")))})
    intake = world.poller.live.now.intake
    read_many = intake.scorer.read_many

    def failing(texts):
        if "boom" in texts:
            raise RuntimeError("scorer failed")
        return read_many(texts)

    monkeypatch.setattr(intake.scorer, "read_many", failing)
    world.poll("x-mentions")
    [kept] = world.quarantined()
    with db.transaction() as session:
        again = retry_quarantined(session, intake, kept.id, clock.now())
    assert (again.stored, again.quarantined) == (0, 1)
    assert world.quarantined()[0].failures == 2

    monkeypatch.setattr(intake.scorer, "read_many", read_many)
    with db.transaction() as session:
        report = retry_quarantined(session, intake, kept.id, clock.now())

    assert report.stored == 1
    assert world.quarantined() == []
    assert world.texts()[bad.external_id] == "boom"


def test_a_post_stored_after_all_leaves_the_quarantine(db, sources, clock):
    page = x_page("@acme broken kettle")
    page["data"][0]["created_at"] = "yesterday"
    later = x_page("@acme broken kettle")
    world = Sources(db, sources, clock, **{"x-mentions": ScriptedConnector(
        batch_from_pages([page], None, "1"), batch_from_pages([later], None, "1"))})

    world.poll("x-mentions")
    world.poll("x-mentions")

    assert world.quarantined() == []
    assert list(world.texts()) == ["1900000000000000200"]


def test_a_batch_taken_again_post_by_post_writes_no_author_that_did_not_change(db, settings, clock, monkeypatch):
    """A write locks the author's row until commit: two intakes of
    overlapping batches that each hold an author and wait for the other's
    post deadlock on PostgreSQL."""
    intake = Intake(settings)
    with db.transaction() as session:
        intake.ingest(session, [post("Where is my parcel?", "ann")], clock.now())
    read_many = intake.scorer.read_many

    def failing(texts):
        if "boom" in texts:
            raise RuntimeError("scorer failed")
        return read_many(texts)

    monkeypatch.setattr(intake.scorer, "read_many", failing)
    updates = []
    listener = lambda conn, cursor, statement, *args: updates.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with db.transaction() as session:
            report = intake.ingest(session, [post("boom", "ann"), post("Still no parcel.", "ann")], clock.now())
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)

    assert (report.stored, report.quarantined) == (1, 1)
    assert [s for s in updates if s.startswith("UPDATE identities")] == []


def test_an_admin_dismisses_a_quarantined_item(db, sources, clock):
    page = x_page("@acme broken kettle")
    page["data"][0]["author_id"] = "404"
    world = Sources(db, sources, clock, **{"x-mentions": ScriptedConnector(batch_from_pages([page], None, "1"))})
    world.poll("x-mentions")
    [kept] = world.quarantined()

    with db.transaction() as session:
        dismiss(session, kept.id, "grace@example.com", clock.now())

    assert world.quarantined() == []


def test_a_poll_whose_source_another_worker_took_over_meanwhile_writes_nothing(db, sources, clock):
    """A worker that stalled past its lease finds the source polled by
    another from the same cursor: it stores nothing of its batch and the
    cursor stays where the other put it, so a cursor never moves back."""
    refund = post("Where is my refund?", external_id="501")
    stale = batch(refund, cursor="500")
    fresh = batch(refund, post("The app is down again", external_id="600"), cursor="600")
    connector = ScriptedConnector(stale, fresh)
    world = Sources(db, sources, clock, **{"x-mentions": connector})
    other = Poller(db, world.poller.live, clock, world.poller.connector_for,
                   leases=SourceLeases(db, seconds=15, holder="other-host:2"))
    fetch = connector.fetch

    def stall_past_the_lease(*args):
        fetched = fetch(*args)
        if connector.script:
            clock.advance(seconds=world.poller.leases.length.total_seconds() + 1)
            assert other.poll(world.ids["x-mentions"]).status == "ok"
        return fetched

    connector.fetch = stall_past_the_lease
    outcome = world.poll("x-mentions")

    assert outcome.status == "taken over"
    assert world.source("x-mentions").cursor == "600"
    assert world.source("x-mentions").leased_by is None
    assert sorted(world.texts()) == ["501", "600"]


def moderator_mail(name, body):
    return {"kind": "t4", "data": {
        "id": name[3:], "name": name, "body": body, "subject": "from the moderators", "author": None,
        "author_fullname": None, "subreddit": "acmehelp", "dest": "acme", "parent_id": None,
        "first_message_name": None, "context": "", "distinguished": "moderator", "created_utc": 1767609000.0}}


def test_moderator_mail_is_stored_and_needs_a_response_only_when_a_keyword_rule_says_so(db, sources, clock):
    posts, skipped = parse_children([
        moderator_mail("t4_1mm", "Your post was removed, this is terrible and useless, rule 3."),
        moderator_mail("t4_2mm", "A user reports that your heater caught fire in their kitchen."),
    ], "acme")
    world = Sources(db, sources, clock, **{"reddit-inbox": ScriptedConnector(
        Batch(posts=oldest_first(posts), cursor="t4_2mm", skipped=skipped))})

    outcome = world.poll("reddit-inbox")

    assert (outcome.report.stored, outcome.report.tickets_raised) == (2, 1)
    with db.transaction() as session:
        stored = {m.external_id: m for m in session.scalars(select(Mention))}
        assert {m.identity.handle for m in stored.values()} == {"moderator of r/acmehelp"}
        assert stored["t4_1mm"].needs_response is False
        assert stored["t4_2mm"].needs_response is True


def test_errors_the_platform_reported_beside_its_data_are_recorded_on_the_source(db, sources, clock):
    page = x_page("@acme my order never came")
    page["errors"] = [{"detail": "Could not find tweet with referenced_tweets.id: [1].", "title": "Not Found Error"}]
    world = Sources(db, sources, clock, **{"x-mentions": ScriptedConnector(batch_from_pages([page], None, "1"))})

    outcome = world.poll("x-mentions")

    assert (outcome.status, outcome.report.stored) == ("ok", 1)
    assert world.source("x-mentions").last_error == (
        "the platform reported 1 error(s) beside its data: Could not find tweet with referenced_tweets.id: [1].")
