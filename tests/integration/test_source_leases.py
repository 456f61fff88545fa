"""Sources are leased one by one: workers lease disjoint sources and poll
them at once, each no more than it has poll threads; a lease that is not
renewed is taken over, a dead worker's at once; a worker whose lease was
taken writes nothing, and replies are sent by several workers at once. A
single SQLite process polls as before."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from config.settings import AccountSettings, OutboxSettings, SourceSettings
from listener.in_force import hold
from listener.polling import Poller, sync_sources
from listener.schedule import DuePolls
from listener.source_leases import LeaseLost, SourceLeases
from responder.outbox import Outbox
from store.db import Database
from store.models import Mention, Reply, Source
from tests.integration.loop_helpers import ScriptedConnector, batch, post
from tests.integration.test_leader_lease import kill_connection
from tests.integration.test_outbox import queue, ticket_id  # noqa: F401

LEASE_SECONDS = 15
SOURCES = 6


@pytest.fixture
def configured(settings):
    return settings.model_copy(update={
        "accounts": {"acme_x": AccountSettings(platform="x", bearer_token="t")},
        "sources": tuple(SourceSettings(name=f"search-{n}", account="acme_x", kind="search", target=f"acme{n}",
                                        poll_seconds=60) for n in range(SOURCES)),
    })


@pytest.fixture
def two_workers(postgres_db, configured, clock):
    """Two engines on one PostgreSQL database, as two worker processes
    have, with the configured sources in it."""
    with postgres_db.transaction() as session:
        sync_sources(session, configured, clock.now())
    first, second = Database(postgres_db.url), Database(postgres_db.url)
    yield first, second
    first.dispose()
    second.dispose()


@pytest.fixture
def leases():
    """A worker's leases under a name; each lets its presence go after the test."""
    made = []

    def leases(db, name):
        made.append(SourceLeases(db, LEASE_SECONDS, holder=name))
        return made[-1]

    yield leases
    for worker in made:
        worker.presence.release()


def ids(leased) -> list[int]:
    return [source.id for source in leased]


def run_until_idle(workers: list[DuePolls], done) -> None:
    """Start the workers' polling, let it go on until `done()` and no poll
    runs, and stop it."""
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.tick()
        deadline = time.monotonic() + 30
        while not (done() and not any(worker.busy for worker in workers)):
            assert time.monotonic() < deadline, "the polls did not finish"
            time.sleep(0.01)
    finally:
        for worker in workers:
            worker.stop()


def holders(db) -> dict[str, str | None]:
    with db.transaction() as session:
        return dict(session.execute(select(Source.name, Source.leased_by)).all())


@pytest.mark.postgres
def test_two_workers_lease_disjoint_sources(two_workers, leases, clock):
    a, b = leases(two_workers[0], "a:1"), leases(two_workers[1], "b:2")
    taken = {}
    start = threading.Barrier(2)

    def take(worker):
        start.wait(timeout=10)
        taken[worker.holder] = ids(worker.take_due(clock.now(), SOURCES // 2))

    threads = [threading.Thread(target=take, args=(worker,)) for worker in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not set(taken["a:1"]) & set(taken["b:2"])
    assert len(taken["a:1"]) + len(taken["b:2"]) == SOURCES
    assert a.take_due(clock.now(), SOURCES) == [] and b.take_due(clock.now(), SOURCES) == []
    assert sorted(holders(two_workers[0]).values()) == ["a:1"] * len(taken["a:1"]) + ["b:2"] * len(taken["b:2"])


@pytest.mark.postgres
def test_an_expired_lease_is_taken_over_and_a_renewed_one_is_not(two_workers, leases, clock):
    """As the leases of a worker that hangs: it is still there, but it
    stopped renewing them."""
    a, b = leases(two_workers[0], "a:1"), leases(two_workers[1], "b:2")
    held = ids(a.take_due(clock.now(), SOURCES))
    clock.advance(seconds=LEASE_SECONDS - 1)
    a.renew(held[:2], clock.now())
    assert b.take_due(clock.now(), SOURCES) == []

    clock.advance(seconds=2)

    assert a.take_due(clock.now(), SOURCES, polling=held) == []
    assert ids(b.take_due(clock.now(), SOURCES)) == held[2:]
    assert sorted(holders(two_workers[0]).values()) == ["a:1", "a:1"] + ["b:2"] * (SOURCES - 2)


@pytest.mark.postgres
def test_a_dead_workers_leases_are_free_at_once(two_workers, leases, clock):
    a, b = leases(two_workers[0], "a:1"), leases(two_workers[1], "b:2")
    held = ids(a.take_due(clock.now(), SOURCES))
    assert b.take_due(clock.now(), SOURCES) == []

    kill_connection(a.presence, two_workers[1])

    assert ids(b.take_due(clock.now(), SOURCES)) == held
    assert set(holders(two_workers[0]).values()) == {"b:2"}


@pytest.mark.postgres
def test_each_worker_leases_no_more_sources_than_it_has_poll_threads(two_workers, configured, leases, clock):
    """Polls that wait on the platform hold every thread: each worker
    holds two leases, and the sources left wait for a free thread."""
    release = threading.Event()

    class WaitsForRelease(ScriptedConnector):
        def fetch(self, kind, target, cursor, query=""):
            self.fetches.append((kind, target, cursor))
            release.wait(timeout=10)
            return batch(cursor="1")

    connector = WaitsForRelease()
    workers = [DuePolls(Poller(db, hold(configured), clock, lambda account, platform: connector,
                               leases=leases(db, f"worker-{n}:{n}")), threads=2)
               for n, db in enumerate(two_workers)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.tick()
        held = holders(two_workers[0])
    finally:
        release.set()
        for worker in workers:
            worker.stop()

    assert sorted(filter(None, held.values())) == ["worker-0:0"] * 2 + ["worker-1:1"] * 2
    assert [worker.busy for worker in workers] == [0, 0]


@pytest.mark.postgres
def test_a_stale_holder_cannot_advance_the_cursor_nor_store_its_batch(two_workers, configured, leases, clock):
    refund = post("Where is my refund? Awful.", external_id="701")
    connector = ScriptedConnector(batch(refund, cursor="701"))
    stale = Poller(two_workers[0], hold(configured), clock, lambda account, platform: connector,
                   leases=leases(two_workers[0], "a:1"))
    [source] = stale.leases.take_due(clock.now(), 1)
    source_id = source.id
    clock.advance(seconds=LEASE_SECONDS + 1)
    assert ids(leases(two_workers[1], "b:2").take_due(clock.now(), 1)) == [source_id]

    outcome = stale.poll_leased(source, clock.now())

    assert outcome.status == "taken over"
    with two_workers[1].transaction() as session:
        source = session.get(Source, source_id)
        assert (source.cursor, source.leased_by, source.last_polled_at) == (None, "b:2", None)
        assert session.scalars(select(Mention)).all() == []


@pytest.mark.postgres
def test_a_lease_being_committed_is_neither_taken_nor_waited_for(two_workers, leases, clock):
    a, b = leases(two_workers[0], "a:1"), leases(two_workers[1], "b:2")
    [source_id] = ids(a.take_due(clock.now(), 1))
    clock.advance(seconds=LEASE_SECONDS + 1)
    with two_workers[0].transaction() as session:
        a.hold_for_commit(session, source_id)
        assert source_id not in ids(b.take_due(clock.now(), SOURCES))
        leases(two_workers[1], "a:1").renew([source_id], clock.now())  # passes over the locked row, never waits
        a.give_back(session.get(Source, source_id))
    with pytest.raises(LeaseLost):
        with two_workers[0].transaction() as session:
            a.hold_for_commit(session, source_id)


@pytest.mark.postgres
def test_two_workers_poll_their_sources_at_once(two_workers, configured, leases, clock):
    """Each worker polls one source at a time; both polls wait for each
    other inside the platform call, so they pass only if they overlap."""
    both_fetching = threading.Barrier(2)

    class WaitsForTheOther(ScriptedConnector):
        def fetch(self, kind, target, cursor, query=""):
            self.fetches.append((kind, target, cursor))
            both_fetching.wait(timeout=10)
            return batch(post(f"{target}: my parcel is late, awful"), cursor="1")

    connector = WaitsForTheOther()
    workers = [DuePolls(Poller(db, hold(configured), clock, lambda account, platform: connector,
                               leases=leases(db, f"worker-{n}:{n}")), threads=1)
               for n, db in enumerate(two_workers)]

    run_until_idle(workers, lambda: len(connector.fetches) == SOURCES)

    with two_workers[0].transaction() as session:
        sources = session.scalars(select(Source)).all()
        assert all(s.status == "ok" and s.leased_by is None for s in sources)
        assert len(session.scalars(select(Mention)).all()) == SOURCES


@pytest.fixture
def db(postgres_db):
    """The outbox's fixtures here run on PostgreSQL, where several workers send."""
    return postgres_db


@pytest.mark.postgres
def test_two_workers_send_replies_at_once(db, clock, ticket_id):  # noqa: F811
    both_sending = threading.Barrier(2)

    class WaitsForTheOther(ScriptedConnector):
        def post_reply(self, in_reply_to, text):
            both_sending.wait(timeout=10)
            return super().post_reply(in_reply_to, text)

    connector = WaitsForTheOther()
    first, second = queue(db, clock, ticket_id, "First answer."), queue(db, clock, ticket_id, "Second answer.")
    settings = OutboxSettings(interval_seconds=1, max_attempts=3, backoff_seconds=10, stale_send_seconds=120)
    engines = [Database(db.url), Database(db.url)]
    outboxes = [Outbox(engine, settings, clock, lambda account, platform: connector) for engine in engines]
    try:
        threads = [threading.Thread(target=_send_one, args=(box,)) for box in outboxes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        for engine in engines:
            engine.dispose()

    assert sorted(text for _, _, text in connector.posted) == ["First answer.", "Second answer."]
    with db.transaction() as session:
        assert {session.get(Reply, r).status for r in (first, second)} == {"sent"}


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_single_process_polls_every_due_source_and_then_waits(request, engine, configured, clock):
    db = request.getfixturevalue("sqlite_db" if engine == "sqlite" else "postgres_db")
    connector = ScriptedConnector(*[batch(post(f"Parcel {n} is late, awful"), cursor=str(n)) for n in range(SOURCES)])
    poller = Poller(db, hold(configured), clock, lambda account, platform: connector)
    with db.transaction() as session:
        sync_sources(session, configured, clock.now())
    polls = DuePolls(poller, threads=2)

    run_until_idle([polls], lambda: len(connector.fetches) == SOURCES)

    with db.transaction() as session:
        sources = session.scalars(select(Source)).all()
        assert all(s.status == "ok" and s.leased_by is None for s in sources)
        assert {s.next_poll_at for s in sources} == {clock.now() + timedelta(seconds=60)}
        assert len(session.scalars(select(Mention)).all()) == SOURCES
    run_until_idle([polls], lambda: True)
    assert len(connector.fetches) == SOURCES
    with db.transaction() as session:
        session.execute(update(Source).values(next_poll_at=clock.now()))
    run_until_idle([polls], lambda: len(connector.fetches) == 2 * SOURCES)


def _send_one(outbox: Outbox) -> None:
    """Look for due replies until one is tried: a worker whose look came
    while the other held both rows finds none at first, as it would in a
    tick of its own."""
    deadline = time.monotonic() + 20
    while not outbox.send_due() and time.monotonic() < deadline:
        time.sleep(0.05)
