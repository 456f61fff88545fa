"""Five failed sign-ins for one email within 15 minutes lock that email out
for the rest of the window, on the form and the API alike, on SQLite and
PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from store.models import AuditEntry, LoginFailure
from tests.integration.web_helpers import PASSWORD, make_world


def fail_on_form(world, times: int, email: str = "ada@example.com", minutes_apart: float = 0) -> None:
    for _ in range(times):
        response = world.client().post("/login", data={"email": email, "password": "wrong"})
        assert response.status_code == 401
        world.clock.advance(minutes=minutes_apart)


def form_sign_in(world, email: str = "ada@example.com"):
    return world.client().post("/login", data={"email": email, "password": PASSWORD})


def api_sign_in(world, email: str = "ada@example.com"):
    return world.client().post("/api/v1/tokens", json={"email": email, "password": PASSWORD})


def test_it_refuses_the_right_password_on_the_form_after_five_failures(world, ada):
    fail_on_form(world, 5)

    response = form_sign_in(world)

    assert response.status_code == 429
    assert "Too many failed sign-ins for this email. Try again in 15 minute(s)." in response.get_data(as_text=True)
    assert world.client().get("/inbox").status_code == 302


def test_it_refuses_a_token_with_retry_after_once_the_email_is_locked(world, ada):
    fail_on_form(world, 5, minutes_apart=1)

    response = api_sign_in(world)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(10 * 60)
    assert response.get_json() == {"error": {
        "status": 429, "message": "too many failed sign-ins for this email; try again in 10 minute(s)"}}


def test_it_counts_failures_on_the_form_and_the_api_together(world, ada):
    fail_on_form(world, 3)
    for _ in range(2):
        assert world.client().post("/api/v1/tokens", json={"email": "ada@example.com", "password": "no"}
                                   ).status_code == 401

    assert form_sign_in(world).status_code == 429
    assert api_sign_in(world).status_code == 429


def test_it_allows_four_failures(world, ada):
    fail_on_form(world, 4)

    assert form_sign_in(world).status_code == 302


def test_it_compares_emails_without_regard_to_case(world, ada):
    fail_on_form(world, 5, email="ADA@Example.COM")

    assert form_sign_in(world).status_code == 429


def test_it_locks_only_the_email_that_failed(world, ada):
    world.agent("Grace Hopper", "grace@example.com")
    fail_on_form(world, 5)

    assert form_sign_in(world, "grace@example.com").status_code == 302


def test_it_lets_the_right_password_in_once_the_window_has_passed(world, ada):
    fail_on_form(world, 5)
    world.clock.advance(minutes=14, seconds=59)
    assert form_sign_in(world).status_code == 429

    world.clock.advance(seconds=1)

    assert form_sign_in(world).status_code == 302


def test_it_does_not_extend_the_lock_for_refused_attempts(world, ada):
    fail_on_form(world, 5)
    for _ in range(3):
        world.clock.advance(minutes=4)
        assert api_sign_in(world).status_code == 429

    world.clock.advance(minutes=3)

    assert api_sign_in(world).status_code == 201


def test_it_counts_only_the_failures_of_the_last_fifteen_minutes(world, ada):
    fail_on_form(world, 4)
    world.clock.advance(minutes=15)

    fail_on_form(world, 1)

    assert form_sign_in(world).status_code == 302


def test_it_forgets_the_failures_after_a_success(world, ada):
    fail_on_form(world, 4)
    assert form_sign_in(world).status_code == 302

    fail_on_form(world, 4)

    assert form_sign_in(world).status_code == 302


def test_it_records_refused_attempts_in_the_audit_log(world, ada):
    fail_on_form(world, 5)
    api_sign_in(world)

    with world.db.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["sign_in_failed"] * 5 + ["sign_in_throttled"]


def test_it_deletes_failures_older_than_the_window(world, ada):
    fail_on_form(world, 3, email="old@example.com")
    world.clock.advance(minutes=16)

    fail_on_form(world, 1)

    with world.db.sessions() as session:
        assert session.scalars(select(LoginFailure.email)).all() == ["ada@example.com"]


@pytest.mark.postgres
def test_parallel_wrong_passwords_check_exactly_the_limit(postgres_db, clock):
    """Thirty wrong passwords at once, from as many web requests: five are
    checked and refused as wrong, the other twenty-five are throttled."""
    world = make_world(postgres_db, clock)
    world.agent()
    start = threading.Barrier(30)

    def wrong_password(_):
        client = world.client()
        start.wait()
        return client.post("/api/v1/tokens", json={"email": "ada@example.com", "password": "wrong"}).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = sorted(pool.map(wrong_password, range(30)))

    assert answers == [401] * 5 + [429] * 25
    with postgres_db.sessions() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
        assert (actions.count("sign_in_failed"), actions.count("sign_in_throttled")) == (5, 25)
        assert len(session.scalars(select(LoginFailure.id)).all()) == 5
