"""The audit log: what is recorded, the admins' page and GET /api/v1/audit,
on SQLite and PostgreSQL."""

from datetime import timedelta

from sqlalchemy import select

from store.audit import record_audit
from store.models import AuditEntry


def audit_rows(world) -> list[AuditEntry]:
    with world.db.sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def recorded(world, count: int, *, actor: str = "system", action: str = "source_changed") -> None:
    """`count` entries a minute apart, the last one now."""
    start = world.clock.now() - timedelta(minutes=count - 1)
    with world.db.transaction() as session:
        for n in range(count):
            record_audit(session, actor, action, f"item {n}", now=start + timedelta(minutes=n), n=n)


def test_it_records_a_sign_in_by_email_with_how(world, ada):
    world.sign_in(world.client())

    [entry] = audit_rows(world)
    assert (entry.actor, entry.action, entry.at) == ("ada@example.com", "signed_in", world.clock.now())
    assert entry.detail["via"] == "form"


def test_it_records_a_failed_sign_in_by_email_and_never_the_password(world, ada):
    world.client().post("/login", data={"email": " Ada@Example.com", "password": "hunter2-secret"})
    world.client().post("/api/v1/tokens", json={"email": "nobody@example.com", "password": "hunter2-secret"})

    rows = audit_rows(world)
    assert [(e.actor, e.action, e.detail["via"]) for e in rows] == [
        ("ada@example.com", "sign_in_failed", "form"), ("nobody@example.com", "sign_in_failed", "api")]
    assert all("hunter2" not in repr((e.actor, e.target, e.detail)) for e in rows)


def test_it_records_a_sign_out(world, client):
    client.post("/logout")

    assert audit_rows(world)[-1].action == "signed_out"
    assert audit_rows(world)[-1].actor == "ada@example.com"


def test_it_records_tokens_issued_and_revoked(world, ada):
    client = world.client()
    auth = {"Authorization": f"Bearer {world.token(client)}"}
    [token] = client.get("/api/v1/tokens", headers=auth).get_json()["tokens"]

    client.delete(f"/api/v1/tokens/{token['id']}", headers=auth)

    actions = [(e.actor, e.action, e.target) for e in audit_rows(world)]
    assert actions[-2:] == [("ada@example.com", "token_issued", f"token {token['id']}"),
                            ("ada@example.com", "token_revoked", f"token {token['id']}")]


def test_it_shows_admins_the_log_newest_first(world, admin_client):
    recorded(world, 3)

    html = admin_client.get("/admin/audit").get_data(as_text=True)

    assert html.index("item 2") < html.index("item 1") < html.index("item 0")


def test_it_pages_the_log_a_hundred_entries_at_a_time(world, admin_client):
    recorded(world, 103)

    first = admin_client.get("/admin/audit?action=source_changed").get_data(as_text=True)
    second = admin_client.get("/admin/audit?action=source_changed&page=2").get_data(as_text=True)

    assert "item 102<" in first and "item 3<" in first and "item 2<" not in first
    assert "page=2" in first and "action=source_changed" in first
    assert "item 2<" in second and "item 0<" in second and "item 3<" not in second


def test_it_filters_the_page_by_actor_and_action(world, admin_client):
    recorded(world, 1, actor="bob@example.com", action="source_changed")
    recorded(world, 1, actor="bob@example.com", action="settings_changed")
    recorded(world, 1, actor="eve@example.com", action="source_changed")

    html = admin_client.get("/admin/audit?actor=bob@example.com&action=source_changed").get_data(as_text=True)

    assert "bob@example.com" in html and "eve@example.com" not in html
    assert html.count("<td>source_changed</td>") == 1 and "<td>settings_changed</td>" not in html


def test_it_escapes_what_was_typed_into_the_sign_in_form(world, admin, admin_client):
    world.client().post("/login", data={"email": "<script>alert(1)</script>", "password": "x"})

    html = admin_client.get("/admin/audit").get_data(as_text=True)

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_refuses_a_page_number_that_is_not_one(admin_client):
    response = admin_client.get("/admin/audit?page=0")

    assert response.status_code == 400


def test_it_refuses_the_page_to_agents(world, client):
    response = client.get("/admin/audit")

    assert response.status_code == 403
    assert "for admins" in response.get_data(as_text=True)


def test_it_sends_signed_out_visitors_to_sign_in(world):
    response = world.client().get("/admin/audit")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_it_shows_the_audit_link_to_admins_only(world, client, admin_client):
    assert 'href="/admin/audit"' not in client.get("/account").get_data(as_text=True)
    assert 'href="/admin/audit"' in admin_client.get("/account").get_data(as_text=True)


def test_it_gives_admins_the_log_as_json(world, admin_auth):
    recorded(world, 3, actor="bob@example.com")

    response = world.client().get("/api/v1/audit?actor=bob@example.com&limit=2&offset=1", headers=admin_auth)

    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3
    assert [e["target"] for e in body["entries"]] == ["item 1", "item 0"]
    assert body["entries"][0] == {"id": body["entries"][0]["id"], "at": "2026-01-05T08:59:00Z",
                                  "actor": "bob@example.com", "action": "source_changed", "target": "item 1",
                                  "detail": {"n": 1}}


def test_it_filters_the_json_log_by_action(world, admin_auth):
    body = world.client().get("/api/v1/audit?action=token_issued", headers=admin_auth).get_json()

    assert [(e["actor"], e["action"]) for e in body["entries"]] == [("grace@example.com", "token_issued")]


def test_it_refuses_the_json_log_to_agents(world, ada):
    client = world.client()
    auth = {"Authorization": f"Bearer {world.token(client)}"}

    response = client.get("/api/v1/audit", headers=auth)

    assert response.status_code == 403
    assert response.get_json() == {"error": {"status": 403, "message": "the audit log is for admins"}}


def test_it_refuses_a_bad_limit_on_the_json_log(world, admin_auth):
    response = world.client().get("/api/v1/audit?limit=0", headers=admin_auth)

    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("limit:")


def test_it_answers_an_empty_page_past_the_end_and_refuses_an_offset_too_large(world, admin_auth, admin_client):
    past_the_end = world.client().get("/api/v1/audit?offset=1000", headers=admin_auth)
    assert past_the_end.status_code == 200
    assert past_the_end.get_json()["entries"] == []

    too_large = world.client().get(f"/api/v1/audit?offset={10 ** 30}", headers=admin_auth)
    assert too_large.status_code == 400
    assert "offset" in too_large.get_json()["error"]["message"]
    assert admin_client.get(f"/admin/audit?page={10 ** 30}").status_code == 200
