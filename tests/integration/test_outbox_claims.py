"""The outbox tells a definite failure from an unknown outcome, never takes
an earlier identical reply for the one it sends, and lets only the worker
that holds a claim record its outcome."""

from datetime import timedelta

from connectors.base import ConnectorError
from responder.delivery import Outcome
from responder.outbox import ReplyQueue
from tests.integration.loop_helpers import ScriptedConnector
from tests.integration.test_outbox import SETTINGS, outbox, queue, reply, ticket_id  # noqa: F401

THANKS = "Thanks, glad it is sorted!"


def test_a_reply_with_the_words_of_an_earlier_one_is_posted_after_a_definite_failure(db, clock, ticket_id):
    connector = ScriptedConnector()
    box = outbox(db, clock, connector)
    first = queue(db, clock, ticket_id, THANKS)
    box.send_due()
    second = queue(db, clock, ticket_id, THANKS)
    connector.post_errors.append(ConnectorError("X failed while posting a reply (500 Internal Server Error)",
                                                status=500))

    box.send_due()
    assert (reply(db, second).status, reply(db, second).outcome_unknown) == ("queued", False)
    clock.advance(minutes=1)
    box.send_due()

    assert [r[0] for r in connector.posted] == ["r1", "r2"]
    assert (reply(db, first).platform_reply_id, reply(db, second).platform_reply_id) == ("r1", "r2")


def test_a_look_up_does_not_take_an_earlier_identical_reply_for_this_one(db, clock, ticket_id):
    class TimesOutOnce(ScriptedConnector):
        timed_out = False

        def post_reply(self, in_reply_to, text):
            if self.posted and not self.timed_out:
                self.timed_out = True
                raise ConnectorError("X did not answer within 15 s while posting a reply")
            return super().post_reply(in_reply_to, text)

    connector = TimesOutOnce()
    box = outbox(db, clock, connector)
    queue(db, clock, ticket_id, THANKS)
    box.send_due()
    second = queue(db, clock, ticket_id, THANKS)

    box.send_due()
    assert reply(db, second).outcome_unknown is True
    clock.advance(minutes=1)
    box.send_due()

    assert reply(db, second).platform_reply_id == "r2"
    assert len(connector.posted) == 2


def test_a_reply_that_timed_out_and_did_post_is_found_and_not_posted_again(db, clock, ticket_id):
    class PostsThenTimesOut(ScriptedConnector):
        def post_reply(self, in_reply_to, text):
            posted = super().post_reply(in_reply_to, text)
            if len(self.posted) == 2:
                raise ConnectorError("X did not answer within 15 s while posting a reply")
            return posted

    connector = PostsThenTimesOut()
    box = outbox(db, clock, connector)
    queue(db, clock, ticket_id, THANKS)
    box.send_due()
    second = queue(db, clock, ticket_id, THANKS)
    box.send_due()
    clock.advance(minutes=1)
    box.send_due()

    assert reply(db, second).platform_reply_id == "r2"
    assert len(connector.posted) == 2


def test_a_worker_whose_claim_was_taken_over_records_nothing(db, clock, ticket_id):
    queue_ = ReplyQueue(db, SETTINGS)
    reply_id = queue(db, clock, ticket_id)
    [stale] = queue_.claim(reply_id, clock.now(), 1)
    clock.advance(seconds=SETTINGS.stale_send_seconds + 1)
    [current] = queue_.claim(reply_id, clock.now(), 1)

    failed = Outcome("queued", 1, error="503", next_attempt_at=clock.now() + timedelta(minutes=1))
    assert queue_.record(stale, failed, clock.now()) is False
    assert (reply(db, reply_id).status, reply(db, reply_id).attempts) == ("sending", 2)
    assert current.outcome_unknown is True

    assert queue_.record(current, failed, clock.now()) is True
    assert reply(db, reply_id).status == "queued"
