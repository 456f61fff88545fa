"""Signing in and out of the pages, and CSRF protection of forms."""

import pytest
from tests.integration.web_helpers import PASSWORD, csrf_token_in, make_world


@pytest.fixture
def world(sqlite_db, clock):
    world = make_world(sqlite_db, clock)
    world.agent()
    return world


def test_it_redirects_anonymous_visitors_to_the_login_page(world):
    response = world.client().get("/inbox")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_it_redirects_the_root_to_the_inbox(world):
    client = world.client()
    world.sign_in(client)

    response = client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"


def test_it_shows_a_login_form_with_labelled_fields(world):
    html = world.client().get("/login").get_data(as_text=True)

    assert '<label for="email">' in html and 'name="email"' in html
    assert '<label for="password">' in html and 'name="password"' in html


def test_it_signs_an_agent_in_with_the_right_password(world):
    client = world.client()

    response = world.sign_in(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    page = client.get("/inbox")
    assert page.status_code == 200
    assert "Ada Lovelace" in page.get_data(as_text=True)


def test_it_sets_an_httponly_samesite_session_cookie(world):
    response = world.sign_in(world.client())

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_it_refuses_a_wrong_password_and_stays_signed_out(world):
    client = world.client()

    response = client.post("/login", data={"email": "ada@example.com", "password": "wrong"})

    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_it_returns_to_the_page_asked_for_after_signing_in(world):
    client = world.client()

    response = client.post("/login?next=/tickets/7", data={"email": "ada@example.com", "password": PASSWORD})

    assert response.headers["Location"] == "/tickets/7"


def test_it_never_sends_a_signed_in_agent_to_another_site(world):
    client = world.client()

    response = client.post("/login?next=https://evil.example/phish",
                           data={"email": "ada@example.com", "password": PASSWORD})

    assert response.headers["Location"] == "/inbox"


def test_it_signs_out_with_a_post(world):
    client = world.client()
    world.sign_in(client)

    response = client.post("/logout")

    assert response.status_code == 302
    assert client.get("/inbox").status_code == 302


def test_it_refuses_a_form_post_without_a_csrf_token(sqlite_db, clock):
    world = make_world(sqlite_db, clock, csrf=True)
    world.agent()
    ticket_id = world.ticket()
    client = world.client()
    sign_in_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "ada@example.com", "password": PASSWORD,
                                "csrf_token": csrf_token_in(sign_in_page)})

    response = client.post(f"/tickets/{ticket_id}/replies", data={"body": "Hello"})

    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert world.replies() == []


def test_it_accepts_a_form_post_with_its_csrf_token(sqlite_db, clock):
    world = make_world(sqlite_db, clock, csrf=True)
    world.agent()
    client = world.client()
    token = csrf_token_in(client.get("/login").get_data(as_text=True))

    response = client.post("/login", data={"email": "ada@example.com", "password": PASSWORD,
                                           "csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"


def test_it_does_not_ask_the_json_api_for_a_csrf_token(sqlite_db, clock):
    world = make_world(sqlite_db, clock, csrf=True)
    world.agent()

    response = world.client().post("/api/v1/tokens", json={"email": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 201


def test_behind_https_the_session_cookie_is_secure_and_hsts_is_sent(sqlite_db, clock):
    world = make_world(sqlite_db, clock, alerts={"base_url": "https://care.example.com"})
    world.agent()
    client = world.client()

    response = world.sign_in(client)

    assert "Secure" in response.headers["Set-Cookie"]
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_over_plain_http_the_cookie_is_not_secure_and_no_hsts_is_sent(world):
    response = world.sign_in(world.client())

    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_a_session_lasts_the_configured_hours(sqlite_db, clock):
    world = make_world(sqlite_db, clock, web={"session_hours": 2})
    world.agent()

    response = world.sign_in(world.client())

    assert "Expires=" in response.headers["Set-Cookie"]
    assert world.app.permanent_session_lifetime.total_seconds() == 7200
