"""GET /healthz: the database, the scheduler and each source, no sign-in."""

from datetime import timedelta

from alembic import command

from store.db import Database, alembic_config
from store.models import Source
from tests.integration.web_helpers import make_world

# The revision before sources gained the column /healthz reads with them
# (0021, listening_since): its queries fail there.
BEFORE_SOURCES_LISTENED = "0020"


def test_it_reports_the_database_scheduler_and_sources(sqlite_db, clock):
    world = make_world(sqlite_db, clock, scheduler_status=lambda: {"running": True, "jobs": [{"id": "outbox"}]})
    with sqlite_db.transaction() as session:
        session.add(Source(name="x-mentions", platform="x", kind="mentions", credentials_ref="acme_x",
                           status="broken", enabled=True, last_error="401 from X: token revoked",
                           last_polled_at=clock.now(), next_poll_at=clock.now() + timedelta(minutes=1)))

    response = world.client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {
        "ok": True,
        "database": "ok",
        "scheduler": {"running": True, "jobs": [{"id": "outbox"}]},
        "sources": [{
            "name": "x-mentions", "platform": "x", "kind": "mentions", "status": "broken", "enabled": True,
            "last_polled_at": "2026-01-05T09:00:00Z", "next_poll_at": "2026-01-05T09:01:00Z",
            "last_error": "401 from X: token revoked",
        }],
        "sources_failing": ["x-mentions"],
        "quarantined": {},
    }


def test_it_reports_the_scheduler_as_not_running_without_one(sqlite_db, clock):
    body = make_world(sqlite_db, clock).client().get("/healthz").get_json()

    assert body["scheduler"] == {"running": False}
    assert body["sources"] == []


def test_it_answers_503_with_the_reason_when_the_database_is_down(tmp_path, clock):
    world = make_world(Database(f"sqlite:///{tmp_path}/missing/dir/closeloop.db"), clock)

    response = world.client().get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["ok"] is False
    assert "unable to open database file" in body["database"]


def test_it_is_ready_when_the_database_answers_with_the_schema_up_to_date(sqlite_db, clock):
    response = make_world(sqlite_db, clock).client().get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"ready": True, "database": "ok"}


def test_it_is_not_ready_while_the_database_is_down(tmp_path, clock):
    world = make_world(Database(f"sqlite:///{tmp_path}/missing/dir/closeloop.db"), clock)

    response = world.client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["ready"] is False
    assert "unable to open database file" in response.get_json()["database"]


def test_it_is_not_ready_on_a_schema_that_is_not_migrated(tmp_path, clock):
    world = make_world(Database(f"sqlite:///{tmp_path}/empty.db"), clock)

    response = world.client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {"ready": False,
                                   "database": "the schema is not up to date: run `closeloop migrate`"}


def test_it_names_the_command_to_run_when_the_schema_is_older_than_the_code(tmp_path, clock):
    """Web processes never migrate: between an install and `closeloop migrate`
    their queries fail on a missing column, which is not what to report."""
    url = f"sqlite:///{tmp_path}/older.db"
    command.upgrade(alembic_config(url), BEFORE_SOURCES_LISTENED)
    world = make_world(Database(url), clock)

    response = world.client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["database"] == "the schema is not up to date: run `closeloop migrate`"
