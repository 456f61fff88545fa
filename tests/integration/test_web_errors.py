"""Error responses: a page for people, JSON under /api/, even when the
database is what failed."""

import pytest

from store.db import Database
from tests.integration.web_helpers import make_world


@pytest.fixture
def broken(tmp_path, clock):
    """An app whose database cannot be opened, answering errors as in production."""
    world = make_world(Database(f"sqlite:///{tmp_path}/missing/dir/closeloop.db"), clock)
    world.app.testing = False
    return world


def test_it_shows_an_error_page_when_the_database_fails_during_a_page(broken):
    client = broken.client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"

    response = client.get("/inbox")

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "<h1>500 · Internal Server Error</h1>" in html
    assert "Sign out" not in html


def test_it_answers_server_errors_under_the_api_in_json(broken):
    response = broken.client().post("/api/v1/tokens", json={"email": "ada@example.com", "password": "x"})

    assert response.status_code == 500
    assert response.get_json()["error"]["status"] == 500


def test_it_shows_a_page_for_an_unknown_address(sqlite_db, clock):
    response = make_world(sqlite_db, clock).client().get("/no-such-page")

    assert response.status_code == 404
    assert "<h1>404 · Not Found</h1>" in response.get_data(as_text=True)
