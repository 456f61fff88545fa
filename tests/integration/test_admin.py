"""The admins' pages and API for users and sources, on SQLite and PostgreSQL."""

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from listener.polling import Poller
from store.errors import Refused
from store.models import Agent, AuditEntry, Source, Ticket
from store.users import update_user
from tests.integration.web_helpers import PASSWORD, csrf_token_in, make_world

HOSTILE = "<script>alert(1)</script>"
PAGES = ("/admin/users", "/admin/sources", "/admin/settings")
PAGE_POSTS = ("/admin/users", "/admin/users/1", "/admin/users/1/deactivate", "/admin/users/1/reactivate",
              "/admin/sources/1/pause", "/admin/sources/1/resume", "/admin/settings")
API_CALLS = (("get", "/api/v1/admin/users"), ("post", "/api/v1/admin/users"),
             ("patch", "/api/v1/admin/users/1"), ("get", "/api/v1/admin/sources"),
             ("post", "/api/v1/admin/sources/1/pause"), ("post", "/api/v1/admin/sources/1/resume"),
             ("get", "/api/v1/admin/settings"), ("put", "/api/v1/admin/settings"))


@pytest.fixture
def source(world):
    with world.db.transaction() as session:
        row = Source(name="x-mentions", platform="x", kind="mentions", target="@acme", credentials_ref="acme_x",
                     poll_seconds=60, failures=0, status="ok", enabled=True)
        session.add(row)
        session.flush()
        return row.id


def bearer(world, email):
    return {"Authorization": f"Bearer {world.token(world.client(), email)}"}


def agent_row(world, agent_id) -> Agent:
    with world.db.sessions() as session:
        return session.get(Agent, agent_id)


def audit_rows(world, *actions) -> list[AuditEntry]:
    with world.db.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions))
                                    .order_by(AuditEntry.id)))


def invite(client, **fields):
    form = {"name": "Linus Pauling", "email": "linus@example.com", "role": "agent", "team": "care",
            "capacity": "8", **fields}
    return client.post("/admin/users", data=form)


def shown_password(html: str) -> str:
    match = re.search(r'id="new-password" value="([^"]+)"', html)
    assert match, "the page shows no password"
    return match.group(1)


def page_text(client, path="/admin/users") -> str:
    return client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("role", ["agent", "senior", "manager"])
def test_every_admin_page_and_endpoint_refuses_everyone_but_admins(world, role):
    world.agent("Not Admin", "someone@example.com", role=role)
    client = world.client()
    world.sign_in(client, "someone@example.com")
    auth = bearer(world, "someone@example.com")

    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path in PAGE_POSTS:
        assert client.post(path).status_code == 403, path
    for method, path in API_CALLS:
        answer = getattr(client, method)(path, json={}, headers=auth)
        assert answer.status_code == 403, path
        assert answer.get_json()["error"] == {"status": 403, "message": "this is for admins"}
    assert 'href="/admin/users"' not in page_text(client, "/inbox")


def test_signed_out_visitors_are_sent_to_sign_in_and_the_api_asks_for_a_token(world):
    client = world.client()

    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path
    for method, path in API_CALLS:
        assert getattr(client, method)(path, json={}).status_code == 401, path


def test_admins_see_the_admin_link(admin_client):
    assert '<a href="/admin/users">Admin</a>' in page_text(admin_client, "/inbox")


def test_it_lists_everyone_with_their_last_sign_in(world, admin_client, ada):
    world.sign_in(world.client())

    html = page_text(admin_client)

    assert "Ada Lovelace" in html and "ada@example.com" in html and "Grace Hopper" in html
    assert world.clock.now().strftime("%Y-%m-%d %H:%M") in html


def test_an_invite_shows_a_one_time_password_once_and_it_signs_in(world, admin_client):
    answer = invite(admin_client, email="Linus@Example.com", role="senior")

    assert answer.status_code == 201
    html = answer.get_data(as_text=True)
    password = shown_password(html)
    assert "shown only this once" in html and "pass it on" in html
    assert password not in page_text(admin_client)
    with world.db.sessions() as session:
        linus = session.scalar(select(Agent).where(Agent.email == "linus@example.com"))
        assert (linus.name, linus.role, linus.team, linus.capacity) == ("Linus Pauling", "senior", "care", 8)
        assert password not in linus.password_hash
    [entry] = audit_rows(world, "user_invited")
    assert (entry.actor, entry.target) == ("grace@example.com", "linus@example.com")
    assert password not in repr(entry.detail)
    signed_in = world.client().post("/login", data={"email": "linus@example.com", "password": password})
    assert signed_in.status_code == 302 and "/login" not in signed_in.headers["Location"]


def test_an_email_someone_has_is_refused_whatever_its_case(world, admin_client, admin_auth, ada):
    page = admin_client.post("/admin/users", data={"name": "Ada Again", "email": "ADA@example.com ",
                                                   "role": "agent", "team": "care", "capacity": "5"},
                             follow_redirects=True)
    api = admin_client.post("/api/v1/admin/users", json={"name": "Ada Again", "email": "Ada@Example.COM"},
                            headers=admin_auth)

    assert "Nobody was invited: someone already has the email ada@example.com." in page.get_data(as_text=True)
    assert api.status_code == 409
    assert api.get_json()["error"]["message"] == "someone already has the email ada@example.com"
    with world.db.sessions() as session:
        assert len(session.scalars(select(Agent)).all()) == 2
    assert audit_rows(world, "user_invited") == []


@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-email", "'not-an-email' is not an email address"),
    ("team", "sales", "team 'sales' is not one of the configured teams: care"),
    ("capacity", "201", "capacity must be a whole number from 0 to 200, not 201"),
    ("role", "owner", "role 'owner' is not one of agent, senior, manager, admin"),
    ("name", " ", "a name is needed"),
])
def test_an_invite_with_a_bad_value_is_refused(world, admin_client, field, value, message):
    page = admin_client.post("/admin/users", data={"name": "Linus Pauling", "email": "linus@example.com",
                                                   "role": "agent", "team": "care", "capacity": "8",
                                                   field: value}, follow_redirects=True)

    assert escape(f"Nobody was invited: {message}.") in page.get_data(as_text=True)
    assert audit_rows(world, "user_invited") == []


@pytest.mark.parametrize("form, message", [
    ({"capacity": "201"}, "capacity must be a whole number from 0 to 200, not 201"),
    ({"capacity": "-1"}, "capacity must be a whole number from 0 to 200, not '-1'"),
    ({"capacity": "ten"}, "capacity must be a whole number from 0 to 200, not 'ten'"),
    ({"role": "owner"}, "role 'owner' is not one of agent, senior, manager, admin"),
    ({"team": "sales"}, "team 'sales' is not one of the configured teams: care"),
    ({"platforms": ["x", "myspace"]}, "platforms must be a list of x, facebook, reddit, reviews"),
    ({"languages": "en, english"}, "'english' is not a two-letter language code such as en"),
])
def test_an_edit_with_a_bad_value_is_refused_and_changes_nothing(world, admin_client, ada, form, message):
    good = {"role": "senior", "team": "care", "capacity": "12", "platforms": ["facebook"], "languages": "en, de"}

    page = admin_client.post(f"/admin/users/{ada}", data={**good, **form}, follow_redirects=True)

    assert escape(f"Nothing was changed: {message}") in page.get_data(as_text=True)
    row = agent_row(world, ada)
    assert (row.role, row.capacity, row.platforms, row.languages) == ("agent", 10, [], [])
    assert audit_rows(world, "user_updated") == []


def test_an_edit_saves_role_team_capacity_platforms_and_languages(world, admin_client, ada):
    page = admin_client.post(f"/admin/users/{ada}", data={
        "role": "senior", "team": "care", "capacity": "0", "platforms": ["reddit", "x"], "languages": "EN, de,"},
        follow_redirects=True)

    assert "Saved Ada Lovelace." in page.get_data(as_text=True)
    row = agent_row(world, ada)
    assert (row.role, row.capacity, row.platforms, row.languages) == ("senior", 0, ["x", "reddit"], ["en", "de"])
    [entry] = audit_rows(world, "user_updated")
    assert (entry.actor, entry.target) == ("grace@example.com", "ada@example.com")
    assert entry.detail["changes"] == {"role": ["agent", "senior"], "capacity": [10, 0],
                                       "platforms": [[], ["x", "reddit"]], "languages": [[], ["en", "de"]]}


def test_the_api_edits_and_refuses_with_json_errors(world, admin_auth, ada):
    client = world.client()
    url = f"/api/v1/admin/users/{ada}"

    changed = client.patch(url, json={"capacity": 25, "platforms": [], "languages": ["fr"]}, headers=admin_auth)
    assert changed.status_code == 200
    user = changed.get_json()["user"]
    assert (user["id"], user["capacity"], user["platforms"], user["languages"]) == (ada, 25, [], ["fr"])
    for body, status in (({}, 400), ({"email": "new@example.com"}, 400), ([1], 400), ({"capacity": True}, 422),
                         ({"capacity": 3.5}, 422), ({"active": "no"}, 422), ({"languages": "fr"}, 422),
                         ({"team": None}, 422)):
        answer = client.patch(url, json=body, headers=admin_auth)
        assert answer.status_code == status, body
        assert answer.get_json()["error"]["status"] == status
    assert client.patch("/api/v1/admin/users/999", json={"capacity": 1}, headers=admin_auth).status_code == 404
    assert agent_row(world, ada).capacity == 25


def test_the_api_lists_and_invites_users(world, admin_auth):
    client = world.client()

    invited = client.post("/api/v1/admin/users", json={"name": "Linus Pauling", "email": "linus@example.com"},
                          headers=admin_auth)

    assert invited.status_code == 201
    body = invited.get_json()
    assert {k: body["user"][k] for k in ("email", "role", "team", "capacity", "active")} == {
        "email": "linus@example.com", "role": "agent", "team": "care", "capacity": 10, "active": True}
    token = client.post("/api/v1/tokens", json={"email": "linus@example.com", "password": body["password"]})
    assert token.status_code == 201
    users = client.get("/api/v1/admin/users", headers=admin_auth).get_json()["users"]
    assert [(u["email"], u["last_signed_in_at"] is not None) for u in users] == [
        ("grace@example.com", True), ("linus@example.com", True)]


def test_a_deactivated_agent_cannot_sign_in_or_use_a_token_and_their_tickets_go_back(world, admin_client, ada):
    ada_browser = world.client()
    world.sign_in(ada_browser)
    ada_token = bearer(world, "ada@example.com")
    unanswered = world.ticket("still waiting", assignee_id=ada)
    answered = world.ticket("thanks, let me know", status="open", assignee_id=ada)
    resolved = world.ticket("all sorted", status="resolved", assignee_id=ada)
    with world.db.transaction() as session:
        session.get(Ticket, answered).first_response_at = world.clock.now()

    page = admin_client.post(f"/admin/users/{ada}/deactivate", follow_redirects=True)

    html = page.get_data(as_text=True)
    assert "Ada Lovelace is deactivated" in html and "2 open ticket(s) went back to the queue." in html
    assert world.sign_in(world.client()).status_code == 401
    assert world.client().get("/api/v1/tickets", headers=ada_token).status_code == 401
    assert ada_browser.get("/inbox").status_code == 302
    with world.db.sessions() as session:
        assignees = [session.get(Ticket, t).assignee_id for t in (unanswered, answered, resolved)]
        assert assignees == [None, None, ada]
        assert session.get(Agent, ada).presence == "offline"
    assert len(world.events(unanswered, "unassigned")) == 1
    [deactivated] = audit_rows(world, "user_deactivated")
    [handed] = audit_rows(world, "tickets_handed_back")
    assert (deactivated.actor, deactivated.target) == ("grace@example.com", "ada@example.com")
    assert sorted(handed.detail["tickets"]) == [unanswered, answered]

    admin_client.post(f"/admin/users/{ada}/reactivate")
    assert world.sign_in(world.client()).status_code == 302
    assert len(audit_rows(world, "user_reactivated")) == 1


def test_the_api_deactivates_and_answers_with_the_tickets_handed_back(world, admin_auth, ada):
    ticket_id = world.ticket(assignee_id=ada)

    answer = world.client().patch(f"/api/v1/admin/users/{ada}", json={"active": False}, headers=admin_auth)

    assert answer.status_code == 200
    assert (answer.get_json()["user"]["active"], answer.get_json()["handed_back"]) == (False, [ticket_id])


def test_an_admin_cannot_deactivate_or_demote_themselves(world, admin_client, admin_auth, admin):
    deactivated = admin_client.post(f"/admin/users/{admin}/deactivate", follow_redirects=True)
    demoted = admin_client.post(f"/admin/users/{admin}", data={"role": "agent", "team": "care", "capacity": "10"},
                                follow_redirects=True)
    api = world.client().patch(f"/api/v1/admin/users/{admin}", json={"active": False}, headers=admin_auth)

    assert ("Nothing was changed: you cannot deactivate your own account; another admin can."
            in deactivated.get_data(as_text=True))
    assert "Nothing was changed: you cannot change your own role; another admin can." in demoted.get_data(
        as_text=True)
    assert api.status_code == 409
    row = agent_row(world, admin)
    assert (row.role, row.active) == ("admin", True)


def test_an_admin_may_demote_another_admin_but_not_the_last_active_one(world, admin, admin_client):
    other = world.agent("Alan Turing", "alan@example.com", role="admin")
    assert admin_client.post(f"/admin/users/{other}", data={"role": "manager"}).status_code == 302
    assert agent_row(world, other).role == "manager"

    with world.db.transaction() as session, pytest.raises(Refused, match="grace@example.com is the last "
                                                                           "active admin") as refused:
        update_user(session, session.get(Agent, admin), {"active": False}, teams=("care",),
                    by=session.get(Agent, other), now=world.clock.now())
    assert refused.value.status == 409
    assert agent_row(world, admin).active


def test_pause_and_resume_are_recorded_and_the_poller_skips_a_paused_source(world, admin_client, source):
    page = admin_client.post(f"/admin/sources/{source}/pause", follow_redirects=True)
    assert "x-mentions is paused" in page.get_data(as_text=True)
    assert "by grace@example.com" in page_text(admin_client, "/admin/sources")
    live = world.app.extensions["closeloop"].live

    def no_connector(account, platform):
        raise AssertionError("a paused source was polled")

    outcome = Poller(world.db, live, world.clock, no_connector).poll(source, force=True)

    assert outcome.status == "paused"
    world.clock.advance(minutes=30)
    admin_client.post(f"/admin/sources/{source}/resume")
    with world.db.sessions() as session:
        row = session.get(Source, source)
        assert (row.paused_at, row.paused_by) == (None, None)
        # What was posted while paused was nobody's to answer yet: clocks run from the resumption.
        assert row.listening_since == world.clock.now()
    assert [(e.action, e.actor, e.target) for e in audit_rows(world, "source_paused", "source_resumed")] == [
        ("source_paused", "grace@example.com", "x-mentions"), ("source_resumed", "grace@example.com", "x-mentions")]


def test_the_api_lists_pauses_and_resumes_sources_without_credentials(world, admin_auth, source):
    client = world.client()

    paused = client.post(f"/api/v1/admin/sources/{source}/pause", headers=admin_auth).get_json()["source"]
    again = client.post(f"/api/v1/admin/sources/{source}/pause", headers=admin_auth).get_json()["source"]
    listed = client.get("/api/v1/admin/sources", headers=admin_auth).get_json()["sources"]
    resumed = client.post(f"/api/v1/admin/sources/{source}/resume", headers=admin_auth).get_json()["source"]

    assert paused["paused_by"] == "grace@example.com" and paused["paused_at"] == again["paused_at"]
    assert [(s["name"], s["target"], s["enabled"]) for s in listed] == [("x-mentions", "@acme", True)]
    assert "acme_x" not in repr(listed)
    assert resumed["paused_at"] is None
    assert len(audit_rows(world, "source_paused")) == 1
    assert client.post("/api/v1/admin/sources/999/pause", headers=admin_auth).status_code == 404


def test_the_sources_page_explains_where_sources_and_credentials_live(admin_client, source):
    html = page_text(admin_client, "/admin/sources")

    assert "added, changed and removed in the config file" in html and "without a restart" in html
    assert "never appear here" in html and "acme_x" not in html


def test_names_and_errors_are_shown_as_text(world, admin_client, source):
    world.agent(HOSTILE, "mallory@example.com")
    with world.db.transaction() as session:
        session.get(Source, source).last_error = HOSTILE

    for path in ("/admin/users", "/admin/sources"):
        html = page_text(admin_client, path)
        assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_the_pages_need_a_csrf_token_and_the_api_does_not(sqlite_db, clock):
    world = make_world(sqlite_db, clock, csrf=True)
    ada = world.agent()
    world.agent("Grace Hopper", "grace@example.com", role="admin")
    client = world.client()
    client.post("/login", data={"email": "grace@example.com", "password": PASSWORD,
                                "csrf_token": csrf_token_in(client.get("/login").get_data(as_text=True))})

    assert client.post(f"/admin/users/{ada}/deactivate").status_code == 400
    token = csrf_token_in(page_text(client))
    assert client.post(f"/admin/users/{ada}/deactivate", data={"csrf_token": token}).status_code == 302
    auth = bearer(world, "grace@example.com")
    assert world.client().patch(f"/api/v1/admin/users/{ada}", json={"active": True}, headers=auth).status_code == 200
