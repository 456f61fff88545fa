"""The outbox machine's backoff and its record step, with a fake queue and sender."""

import random
from datetime import timedelta

import pytest

from config.clock import FrozenClock
from connectors.backoff import Backoff
from responder.delivery import Attempt, DeliveryError, DeliveryMachine, Sender


def test_the_backoff_doubles_after_each_failure_in_a_row():
    backoff = Backoff(first=10, cap=1000, jitter=0)

    assert [backoff.seconds(n) for n in range(1, 6)] == [10, 20, 40, 80, 160]


def test_the_backoff_stops_growing_at_its_cap():
    backoff = Backoff(first=10, cap=60, jitter=0)

    assert [backoff.seconds(n) for n in (3, 4, 5, 50)] == [40, 60, 60, 60]


def test_the_jitter_only_shortens_a_wait_and_by_at_most_its_share():
    backoff = Backoff(first=10, cap=60, jitter=0.2, rng=random.Random(7))

    waits = [backoff.seconds(n) for n in (1, 4) for _ in range(200)]

    assert all(8 <= wait <= 10 for wait in waits[:200])
    assert all(48 <= wait <= 60 for wait in waits[200:])
    assert len(set(waits)) == len(waits)


def test_the_same_seed_gives_the_same_waits():
    def waits(seed):
        backoff = Backoff(first=10, cap=60, rng=random.Random(seed))
        return [backoff.seconds(n) for n in range(1, 8)]

    assert waits(3) == waits(3)
    assert waits(3) != waits(4)


def test_a_retry_after_the_other_side_gave_wins_over_the_backoff():
    backoff = Backoff(first=10, cap=60)

    assert backoff.seconds(1, retry_after=300) == 300
    assert backoff.seconds(5, retry_after=2) == 2
    assert backoff.seconds(1, retry_after=10 ** 9) == 86400


class FakeQueue:
    """Work items keyed by name; keeps the failures in a row and the outcomes recorded."""

    def __init__(self, *names, outcome_unknown=False):
        self.failures = {name: 0 for name in names}
        self.outcome_unknown = outcome_unknown
        self.recorded = []

    def due(self, now, limit):
        return list(self.failures)[:limit]

    def claim(self, name, now, limit):
        return [Attempt(name, self.failures[name], self.outcome_unknown)]

    def record(self, attempt, outcome, now):
        self.failures[attempt.work] = outcome.failures
        self.recorded.append((attempt.work, outcome))
        return True


class FakeSender(Sender):
    def __init__(self, *script, found=None):
        self.script = list(script)
        self.found = found
        self.sent = []

    def send(self, work):
        step = self.script.pop(0) if self.script else f"sent {work}"
        if isinstance(step, BaseException):
            raise step
        self.sent.append(work)
        return step

    def find(self, work):
        return self.found


@pytest.fixture
def clock():
    return FrozenClock()


def machine(queue, sender, clock, max_attempts=3):
    return DeliveryMachine("item", queue, sender, Backoff(first=10, cap=60, jitter=0), clock, max_attempts)


def outcomes(queue):
    return [outcome for _, outcome in queue.recorded]


def test_a_send_that_arrives_is_recorded_sent_with_what_the_sender_returned(clock):
    queue = FakeQueue("a")

    tally = machine(queue, FakeSender(), clock).send_due(10)

    [outcome] = outcomes(queue)
    assert (outcome.status, outcome.result, outcome.failures, outcome.error) == ("sent", "sent a", 0, None)
    assert (tally.tried, tally.sent) == (1, 1)


def test_a_transient_failure_is_queued_for_after_the_backoff(clock):
    queue = FakeQueue("a")

    machine(queue, FakeSender(DeliveryError("503")), clock).send_due(10)

    [outcome] = outcomes(queue)
    assert (outcome.status, outcome.failures, outcome.error) == ("queued", 1, "503")
    assert outcome.next_attempt_at == clock.now() + timedelta(seconds=10)


def test_a_permanent_failure_is_given_up_at_once(clock):
    queue = FakeQueue("a")

    machine(queue, FakeSender(DeliveryError("403 suspended", permanent=True)), clock).send_due(10)

    [outcome] = outcomes(queue)
    assert (outcome.status, outcome.failures, outcome.error, outcome.next_attempt_at) == (
        "failed", 1, "403 suspended", None)


def test_the_last_allowed_attempt_gives_up(clock):
    queue = FakeQueue("a")
    box = machine(queue, FakeSender(*[DeliveryError("503")] * 3), clock)

    for _ in range(3):
        box.send_due(10)

    assert [(o.status, o.failures) for o in outcomes(queue)] == [("queued", 1), ("queued", 2), ("failed", 3)]


def test_an_unexpected_error_is_a_transient_failure_and_the_rest_go_on(clock):
    queue = FakeQueue("a", "b")

    tally = machine(queue, FakeSender(RuntimeError("bug")), clock).send_due(10)

    assert [(work, o.status, o.error) for work, o in queue.recorded] == [
        ("a", "queued", "unexpected error: bug"), ("b", "sent", None)]
    assert (tally.tried, tally.sent) == (2, 1)


def test_a_send_whose_outcome_is_unknown_is_looked_up_and_not_sent_again(clock):
    queue = FakeQueue("a", outcome_unknown=True)
    sender = FakeSender(found="already there")

    machine(queue, sender, clock).send_due(10)

    [outcome] = outcomes(queue)
    assert (outcome.status, outcome.result) == ("sent", "already there")
    assert sender.sent == []


def test_a_send_whose_outcome_is_unknown_and_not_found_is_sent(clock):
    queue = FakeQueue("a", outcome_unknown=True)
    sender = FakeSender()

    machine(queue, sender, clock).send_due(10)

    assert sender.sent == ["a"]


def test_a_success_starts_the_backoff_again_from_the_first_wait(clock):
    queue = FakeQueue("a")
    box = machine(queue, FakeSender(DeliveryError("503"), DeliveryError("503"), "ok", DeliveryError("503")),
                  clock, max_attempts=None)

    for _ in range(4):
        box.send_due(10)

    waits = [o.next_attempt_at - clock.now() if o.next_attempt_at else None for o in outcomes(queue)]
    assert waits == [timedelta(seconds=10), timedelta(seconds=20), None, timedelta(seconds=10)]


class Batch(FakeQueue):
    """One key whose claim holds three items to be sent in order."""

    def __init__(self, held=True):
        super().__init__()
        self.held = held

    def due(self, now, limit):
        return ["endpoint"]

    def claim(self, key, now, limit):
        return [Attempt(n) for n in ("e1", "e2", "e3")]

    def record(self, attempt, outcome, now):
        super().record(attempt, outcome, now)
        return self.held


def test_a_claim_of_several_items_stops_at_the_first_failure(clock):
    queue = Batch()
    sender = FakeSender("ok", DeliveryError("500"))

    tally = machine(queue, sender, clock).send_due(10)

    assert [(work, o.status) for work, o in queue.recorded] == [("e1", "sent"), ("e2", "queued")]
    assert (tally.tried, tally.sent) == (2, 1)


def test_a_claim_lost_meanwhile_leaves_the_rest_to_the_worker_that_holds_it(clock):
    queue = Batch(held=False)
    sender = FakeSender()

    machine(queue, sender, clock).send_due(10)

    assert sender.sent == ["e1"]
