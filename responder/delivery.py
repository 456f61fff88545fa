"""The outbox machine that replies, staff alerts and outgoing webhooks share:
claim due work, send it, record the outcome, retry after a backoff.

Each outbox supplies two things. Its queue says where the work lives:
which keys are due, how the work under a key is claimed (a compare-and-set
that this worker must win before it acts; on PostgreSQL the due rows other
workers hold are skipped) and how an outcome is written. Its sender says how
one piece of work is sent, and whether a send whose outcome is unknown can
be found on the other side. Whatever goes wrong in a send is a
DeliveryError, permanent when the sender's rule says trying again cannot
help. The rest is decided here, the same way for every outbox."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Literal, Protocol, TypeVar

from sqlalchemy import ColumnElement, Update, select, update
from sqlalchemy.orm import Session

from config.clock import Clock
from connectors.backoff import Backoff
from connectors.base import ConnectorError

log = logging.getLogger(__name__)

W = TypeVar("W")
R = TypeVar("R")
T = TypeVar("T")

class DeliveryError(Exception):
    """A send that did not happen, or may not have. `permanent`: trying
    again cannot help; `retry_after`: how long the other side asked us to
    wait; `may_have_arrived`: false when the other side answered that it
    failed (a definite failure), so the next attempt need not look first."""

    def __init__(self, message: str, permanent: bool = False, retry_after: float | None = None,
                 may_have_arrived: bool = True):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.may_have_arrived = may_have_arrived


@dataclass(frozen=True)
class Attempt(Generic[W]):
    """A piece of work this worker claimed. `failures`: how many attempts
    before this one failed in a row; `outcome_unknown`: an earlier attempt
    may have arrived (it was cut off, or its outcome was never recorded)."""

    work: W
    failures: int = 0
    outcome_unknown: bool = False


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """How an attempt ended: "sent", "queued" (to be tried again at
    next_attempt_at) or "failed" (given up). `failures` counts the failures
    in a row with this attempt: 0 once sent. `unknown`: a failed attempt,
    or an earlier one it could not check, may have arrived; the next
    attempt looks for it first."""

    status: Literal["sent", "queued", "failed"]
    failures: int
    result: R | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    unknown: bool = False


class Queue(Protocol[W, R]):
    def due(self, now: datetime, limit: int) -> Iterable[Hashable]:
        """The keys of the work that is due; `limit` bounds how much of it one run sends."""

    def claim(self, key: Hashable, now: datetime, limit: int) -> list[Attempt[W]]:
        """The work under `key` this worker won, up to `limit` pieces to be
        sent in this order; empty when another worker was first or there is
        nothing to send."""

    def record(self, attempt: Attempt[W], outcome: Outcome[R], now: datetime) -> bool:
        """Write the outcome. False when this worker no longer holds the
        claim, which ends it."""


class Sender(Generic[W, R]):
    def send(self, work: W) -> R:
        """Send once; raise DeliveryError when it did not (or may not have) arrived."""
        raise NotImplementedError

    def find(self, work: W) -> R | None:
        """What an earlier attempt whose outcome is unknown delivered, when
        the other side can be asked; None sends again."""
        return None


@dataclass
class Tally:
    tried: int = 0
    sent: int = 0


class DeliveryMachine(Generic[W, R]):
    """Run `send_due` from a scheduled job: it never raises (an Exception),
    whatever goes wrong is logged and, where it can be, recorded."""

    def __init__(self, name: str, queue: Queue[W, R], sender: Sender[W, R], backoff: Backoff, clock: Clock,
                 max_attempts: int | None = None):
        self.name = name
        self.queue = queue
        self.sender = sender
        self.backoff = backoff
        self.clock = clock
        self.max_attempts = max_attempts

    def send_due(self, limit: int) -> Tally:
        tally = Tally()
        try:
            keys = list(self.queue.due(self.clock.now(), limit))
        except Exception:
            log.exception("%s: cannot look for work to send", self.name)
            return tally
        for key in keys:
            try:
                self._send_claimed(key, limit, tally)
            except Exception:
                log.exception("%s %s could not be handled", self.name, key)
        return tally

    def _send_claimed(self, key: Hashable, limit: int, tally: Tally) -> None:
        """Send the work under `key` in order; the first failure, or the
        claim lost, leaves the rest for later."""
        for attempt in self.queue.claim(key, self.clock.now(), limit):
            outcome = self.attempt(key, attempt)
            held = self.queue.record(attempt, outcome, self.clock.now())
            tally.tried += 1
            tally.sent += outcome.status == "sent"
            if outcome.status != "sent" or not held:
                return

    def attempt(self, key: Hashable, attempt: Attempt[W]) -> Outcome[R]:
        """Send once, after looking for an earlier attempt that may have
        arrived, and decide what comes next. The outcome stays unknown when
        this attempt may have arrived, or when the look-up for an earlier
        one did not finish."""
        unchecked = attempt.outcome_unknown
        try:
            if unchecked:
                found = self.sender.find(attempt.work)
                if found is not None:
                    log.info("%s %s had already arrived; not sending it again", self.name, key)
                    return Outcome("sent", 0, result=found)
                unchecked = False
            return Outcome("sent", 0, result=self.sender.send(attempt.work))
        except DeliveryError as error:
            return self._failure(key, attempt, error, unknown=unchecked or error.may_have_arrived)
        except Exception as error:  # a bug must not stop the outbox
            log.exception("%s %s: sending failed unexpectedly", self.name, key)
            return self._failure(key, attempt, DeliveryError(f"unexpected error: {error}"), unknown=True)

    def _failure(self, key: Hashable, attempt: Attempt[W], error: DeliveryError, unknown: bool) -> Outcome[R]:
        failures = attempt.failures + 1
        if error.permanent or (self.max_attempts is not None and failures >= self.max_attempts):
            log.warning("%s %s failed: %s", self.name, key, error.message)
            return Outcome("failed", failures, error=error.message, unknown=unknown)
        delay = self.backoff.seconds(failures, error.retry_after)
        log.info("%s %s will be tried again in %.0f s: %s", self.name, key, delay, error.message)
        return Outcome("queued", failures, error=error.message,
                       next_attempt_at=self.clock.now() + timedelta(seconds=delay), unknown=unknown)


def won(session: Session, compare_and_set: Update) -> bool:
    """Run a compare-and-set UPDATE of one row: True when this worker won it."""
    return session.execute(compare_and_set.execution_options(synchronize_session=False)).rowcount == 1


def claim_row(session: Session, model: type[T], row_id: int, due: ColumnElement[bool], now: datetime
              ) -> tuple[T, int, bool] | None:
    """Mark an outbox row (a reply, a moderation action) as being sent, if
    no other worker did first: the row, its attempts before this claim,
    and whether its last attempt may have arrived (left `sending`, or
    marked unknown), so that it is looked up before it is sent again.
    None when another worker has it. On PostgreSQL the row stays locked
    (others skip it) until the claim commits, and the compare-and-set on
    the attempts decides in any case."""
    row = session.scalar(select(model).where(model.id == row_id).with_for_update(skip_locked=True))
    if row is None:
        return None
    attempts, unknown = row.attempts, row.status == "sending" or row.outcome_unknown
    if not won(session, update(model).where(model.id == row_id, due, model.attempts == attempts)
               .values(status="sending", claimed_at=now, attempts=model.attempts + 1)):
        return None
    return row, attempts, unknown


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """An HTTP answer's Retry-After in seconds, when it gives a number."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


@contextmanager
def connector_errors() -> Iterator[None]:
    """The one place where a connector's error becomes a DeliveryError. A
    platform that answered with an error status did not do it; a call that
    got no answer may have."""
    try:
        yield
    except ConnectorError as error:
        raise DeliveryError(error.message, permanent=error.permanent, retry_after=error.retry_after,
                            may_have_arrived=error.status is None) from None
