"""The sources page: what is listened to and when a failing source tries again."""

from datetime import timedelta

from store.models import Source


def add_source(world, **fields):
    with world.db.transaction() as session:
        session.add(Source(platform="x", kind="mentions", credentials_ref="acme_x", poll_seconds=60, failures=0,
                           **fields))


def test_it_shows_a_backing_off_source_with_its_error_and_next_try(world, client):
    add_source(world, name="x-mentions", status="backing_off", last_error="X rate limit reached <429>",
               next_poll_at=world.clock.now() + timedelta(minutes=7), last_polled_at=world.clock.now())
    html = client.get("/sources").get_data(as_text=True)
    assert "x-mentions" in html and "backing off" in html
    assert "X rate limit reached &lt;429&gt;" in html
    assert (world.clock.now() + timedelta(minutes=7)).strftime("%H:%M:%S") in html


def test_it_shows_paused_sources_as_paused(world, client):
    add_source(world, name="old-search", status="ok", enabled=False)
    assert "paused" in client.get("/sources").get_data(as_text=True)


def test_it_needs_a_sign_in(world):
    response = world.client().get("/sources")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
