"""API tokens listed and revoked, through the API and the Account page, on
SQLite and PostgreSQL."""

import pytest

from tests.integration.web_helpers import PASSWORD, csrf_token_in, make_world


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(world, ada):
    return world.client()


@pytest.fixture
def grace(world):
    return world.agent("Grace Hopper", "grace@example.com")


def listed(api, token: str) -> list[dict]:
    response = api.get("/api/v1/tokens", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["tokens"]


def test_it_lists_the_callers_own_tokens_newest_first_without_the_secret(world, api, grace):
    first = world.token(api)
    world.clock.advance(minutes=5)
    second = world.token(api)
    world.token(api, "grace@example.com")

    tokens = listed(api, second)

    assert [set(t) for t in tokens] == [{"id", "created_at", "last_used_at", "revoked_at", "expires_at"}] * 2
    assert [t["created_at"] for t in tokens] == ["2026-01-05T09:05:00Z", "2026-01-05T09:00:00Z"]
    assert tokens[0]["last_used_at"] == "2026-01-05T09:05:00Z" and tokens[1]["last_used_at"] is None
    assert [t["expires_at"] for t in tokens] == ["2026-04-05T09:05:00Z", "2026-04-05T09:00:00Z"]
    assert first not in str(tokens) and second not in str(tokens)


def test_a_token_stops_working_when_it_expires(world, api):
    token = world.token(api)
    world.clock.advance(days=89, hours=23)
    assert api.get("/api/v1/tickets", headers=bearer(token)).status_code == 200
    world.clock.advance(hours=1)

    refused = api.get("/api/v1/tickets", headers=bearer(token))

    assert refused.status_code == 401
    assert refused.get_json()["error"]["message"] == "the API token is not valid, was revoked or has expired"


def test_the_token_lifetime_is_a_setting(sqlite_db, clock):
    world = make_world(sqlite_db, clock, web={"token_days": 7})
    world.agent()
    api = world.client()

    [token] = listed(api, world.token(api))

    assert token["expires_at"] == "2026-01-12T09:00:00Z"


def test_it_revokes_a_token_which_then_gets_401_at_once(world, api):
    token, other = world.token(api), world.token(api)
    token_id = listed(api, token)[-1]["id"]

    response = api.delete(f"/api/v1/tokens/{token_id}", headers=bearer(other))

    assert response.status_code == 200
    assert response.get_json()["revoked_at"] == "2026-01-05T09:00:00Z"
    refused = api.get("/api/v1/tickets", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["message"] == "the API token is not valid, was revoked or has expired"
    assert api.get("/api/v1/tickets", headers=bearer(other)).status_code == 200


def test_it_lets_a_token_revoke_itself(world, api):
    token = world.token(api)
    [mine] = listed(api, token)

    assert api.delete(f"/api/v1/tokens/{mine['id']}", headers=bearer(token)).status_code == 200
    assert api.get("/api/v1/tokens", headers=bearer(token)).status_code == 401


def test_it_answers_404_for_another_agents_token_and_leaves_it_working(world, api, grace):
    mine = world.token(api)
    hers = world.token(api, "grace@example.com")
    [her_token] = listed(api, hers)

    response = api.delete(f"/api/v1/tokens/{her_token['id']}", headers=bearer(mine))

    assert response.status_code == 404
    assert response.get_json() == {"error": {"status": 404, "message": f"token {her_token['id']} does not exist"}}
    assert api.get("/api/v1/tickets", headers=bearer(hers)).status_code == 200


def test_it_answers_404_for_a_token_that_does_not_exist(world, api):
    assert api.delete("/api/v1/tokens/999", headers=bearer(world.token(api))).status_code == 404


def test_it_lets_an_admin_revoke_anyones_token(world, api):
    world.agent("Grace Hopper", "grace@example.com", role="admin")
    mine = world.token(api)
    [my_token] = listed(api, mine)
    admin = world.token(api, "grace@example.com")

    response = api.delete(f"/api/v1/tokens/{my_token['id']}", headers=bearer(admin))

    assert response.status_code == 200
    assert api.get("/api/v1/tickets", headers=bearer(mine)).status_code == 401


def test_it_keeps_revoking_twice_harmless(world, api):
    token, other = world.token(api), world.token(api)
    token_id = listed(api, token)[-1]["id"]
    api.delete(f"/api/v1/tokens/{token_id}", headers=bearer(other))
    world.clock.advance(minutes=1)

    again = api.delete(f"/api/v1/tokens/{token_id}", headers=bearer(other))

    assert again.status_code == 200
    assert again.get_json()["revoked_at"] == "2026-01-05T09:00:00Z"


def test_it_asks_for_a_token_to_list_tokens(api):
    assert api.get("/api/v1/tokens").status_code == 401


def test_it_shows_the_account_page_with_the_agents_tokens(world, client, ada):
    world.token(world.client())

    html = client.get("/account").get_data(as_text=True)

    assert "ada@example.com" in html
    assert "#1" in html and "Revoke" in html and "never" in html
    assert "Expires" in html and "active" in html


def test_the_account_page_shows_an_expired_token_as_expired_without_revoke(world, client):
    world.token(world.client())
    world.clock.advance(days=91)

    html = client.get("/account").get_data(as_text=True)

    assert "expired" in html and "Revoke" not in html


def test_it_shows_a_new_token_once_and_the_token_works(world, client):
    response = client.post("/account/tokens")

    assert response.status_code == 201
    token = response.get_data(as_text=True).split('id="new-token" value="')[1].split('"')[0]
    assert world.client().get("/api/v1/tickets", headers=bearer(token)).status_code == 200
    assert token not in client.get("/account").get_data(as_text=True)


def test_it_revokes_a_token_from_the_account_page(world, client):
    token = world.token(world.client())

    response = client.post("/account/tokens/1/revoke")

    assert response.status_code == 302
    assert "Token 1 is revoked" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert world.client().get("/api/v1/tickets", headers=bearer(token)).status_code == 401


def test_it_answers_404_when_revoking_someone_elses_token_from_the_page(world, client, grace):
    hers = world.token(world.client(), "grace@example.com")

    assert client.post("/account/tokens/1/revoke").status_code == 404
    assert world.client().get("/api/v1/tickets", headers=bearer(hers)).status_code == 200


def test_it_sends_signed_out_visitors_from_the_account_page_to_sign_in(world):
    response = world.client().get("/account")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_it_protects_the_account_forms_with_csrf(sqlite_db, clock):
    world = make_world(sqlite_db, clock, csrf=True)
    world.agent()
    client = world.client()
    client.post("/login", data={"email": "ada@example.com", "password": PASSWORD,
                                "csrf_token": csrf_token_in(client.get("/login").get_data(as_text=True))})

    assert client.post("/account/tokens").status_code == 400
    page = client.get("/account").get_data(as_text=True)
    created = client.post("/account/tokens", data={"csrf_token": csrf_token_in(page)})
    assert created.status_code == 201
    assert client.post("/account/tokens/1/revoke").status_code == 400
    revoked = client.post("/account/tokens/1/revoke", data={"csrf_token": csrf_token_in(page)})
    assert revoked.status_code == 302


def test_an_agent_changes_their_password_and_a_wrong_current_one_changes_nothing(world, ada):
    client = world.client()
    world.sign_in(client)
    wrong = client.post("/account/password", data={"current_password": "nope", "new_password": "a new long one",
                                                   "repeat_password": "a new long one"}, follow_redirects=True)
    assert "the current password is not right" in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "short",
                                                   "repeat_password": "short"}, follow_redirects=True)
    assert "at least 10 characters" in short.get_data(as_text=True)
    for worst, reason in (("ada@example.com", "does not contain your email"), ("Password123", "most common")):
        refused = client.post("/account/password", data={"current_password": PASSWORD, "new_password": worst,
                                                         "repeat_password": worst}, follow_redirects=True)
        assert reason in refused.get_data(as_text=True)
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": "a new long one",
                                           "repeat_password": "a new long one"})
    assert world.client().post("/api/v1/tokens", json={"email": "ada@example.com",
                                                       "password": PASSWORD}).status_code == 401
    assert world.client().post("/api/v1/tokens", json={"email": "ada@example.com",
                                                       "password": "a new long one"}).status_code == 201
