"""Moderating comments on the brand's posts from the ticket page, the JSON
API and /admin/moderation, as each role may."""

import re

import pytest
from sqlalchemy import select

from config.settings import load_settings
from connectors.registry import ConnectorPool
from responder.moderation import ModerationOutbox
from store.models import Event, Mention, ModerationAction, Source, Ticket
from tests.connectors.emulated import control, listed
from tests.integration.web_helpers import PASSWORD, make_world

PAGE_ID = "1010"
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def world(db, clock, emulator):
    return make_world(db, clock, accounts={"fb": {"platform": "facebook", "base_url": emulator.url,
                                                  "page_id": PAGE_ID, "page_access_token": "page-token"}})


def facebook_comment(world, emulator, text="You are all idiots", under_page_post=True):
    """A ticket on a customer's comment under the page's post, on the
    emulator and in the store; (ticket id, post id, comment id)."""
    if under_page_post:
        root = control(emulator, "facebook/posts", {"kind": "post", "author": {"id": PAGE_ID}, "text": "New menu"})["id"]
    else:
        root = control(emulator, "facebook/posts", {"kind": "review", "author": {"name": "Sam"}, "text": "Good",
                                                    "rating": 5})["id"]
    comment = control(emulator, "facebook/posts", {"kind": "comment", "author": {"name": "Sam"}, "text": text,
                                                   "in_reply_to": root})["id"]
    ticket_id = world.ticket(text, platform="facebook", kind="comment")
    with world.db.transaction() as session:
        source = Source(name=f"fb-{comment}", platform="facebook", kind="comments", target=PAGE_ID,
                        credentials_ref="fb")
        mention = session.get(Ticket, ticket_id).mentions[0]
        mention.external_id, mention.conversation_ref, mention.source = comment, root, source
        return ticket_id, mention.id, comment


def send_moderation(world, emulator):
    settings = load_settings(env={}, overrides={"accounts": {"fb": {
        "platform": "facebook", "base_url": emulator.url, "page_id": PAGE_ID, "page_access_token": "t"}}})
    pool = ConnectorPool(settings.accounts, timeout=5)
    return ModerationOutbox(world.db, settings, world.clock, pool.for_account).send_due()


def actions(world):
    with world.db.sessions() as session:
        return session.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()


def signed_in(world, email, role, name):
    world.agent(name, email, role=role)
    client = world.client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    return client


def test_an_agent_hides_a_comment_from_the_ticket_page_and_sees_who_and_why(world, client, emulator):
    ticket_id, post_id, comment = facebook_comment(world, emulator)

    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f'action="/mentions/{post_id}/moderation"' in page
    assert re.search(r'value="hide" class="secondary">Hide<', page) and re.search(r'value="like"', page)
    assert "Delete…" not in page, "agents may not delete by default"

    answer = client.post(f"/mentions/{post_id}/moderation", data={"moderate": "hide", "reason": "abusive"},
                         follow_redirects=True)
    assert "Hiding the comment on Facebook" in answer.get_data(as_text=True)
    assert "Being hidden</span>\nby Ada Lovelace at" in answer.get_data(as_text=True)

    assert send_moderation(world, emulator) == 1
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert re.search(r'Hidden</span>\nby Ada Lovelace at <time [^>]+>\d\d:\d\d\xa0UTC</time>: abusive', page)
    assert re.search(r'value="unhide" class="secondary">Unhide<', page)
    assert next(p for p in listed(emulator, "facebook") if p["id"] == comment)["hidden"] is True
    assert [e.actor for e in world.events(ticket_id, "moderated")] == ["ada@example.com"]


def test_an_agent_cannot_delete_and_nothing_is_queued(world, client, emulator):
    ticket_id, post_id, _ = facebook_comment(world, emulator)

    page = client.post(f"/mentions/{post_id}/moderation", data={"moderate": "delete", "confirm": "yes"},
                       follow_redirects=True).get_data(as_text=True)

    assert "Nothing was done: only a senior or above may delete comments; your role is agent." in page
    assert actions(world) == []


def test_a_senior_deletes_only_with_the_confirmation(world, emulator):
    ticket_id, post_id, comment = facebook_comment(world, emulator)
    senior = signed_in(world, "sasha@example.com", "senior", "Sasha Senior")
    page = senior.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Delete…" in page and 'name="confirm" value="yes" required' in page

    refused = senior.post(f"/mentions/{post_id}/moderation", data={"moderate": "delete"}, follow_redirects=True)
    assert "cannot be undone: confirm the delete" in refused.get_data(as_text=True)
    assert actions(world) == []

    senior.post(f"/mentions/{post_id}/moderation", data={"moderate": "delete", "confirm": "yes", "reason": "threat"})
    send_moderation(world, emulator)
    assert comment not in [p["id"] for p in listed(emulator, "facebook")]
    page = senior.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert re.search(r"Deleted</span>\nby Sasha Senior at <time [^>]+>\d\d:\d\d\xa0UTC</time>: threat", page)
    assert 'value="hide"' not in page


def test_the_api_moderates_as_the_token_holders_role_allows(world, emulator):
    ticket_id, post_id, _ = facebook_comment(world, emulator)
    world.agent()
    auth = {"Authorization": f"Bearer {world.token(world.client())}"}
    client = world.client()

    refused = client.post(f"/api/v1/mentions/{post_id}/moderation", json={"action": "delete", "confirm": True},
                          headers=auth)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == "only a senior or above may delete comments; your role is agent"
    assert actions(world) == []

    queued = client.post(f"/api/v1/mentions/{post_id}/moderation", json={"action": "hide", "reason": "abusive"},
                         headers=auth)
    assert queued.status_code == 202
    assert {k: queued.get_json()[k] for k in ("action", "status", "requested_by", "reason")} == {
        "action": "hide", "status": "queued", "requested_by": "ada@example.com", "reason": "abusive"}
    again = client.post(f"/api/v1/mentions/{post_id}/moderation", json={"action": "hide"}, headers=auth)
    assert again.status_code == 409

    send_moderation(world, emulator)
    state = client.get(f"/api/v1/mentions/{post_id}/moderation", headers=auth).get_json()
    assert (state["hidden"], state["liked"], state["deleted"]) == (True, False, False)
    assert [a["status"] for a in state["actions"]] == ["done"]


def test_a_comment_not_under_the_brands_post_is_refused_and_shows_no_buttons(world, client, emulator):
    ticket_id, post_id, _ = facebook_comment(world, emulator, under_page_post=False)
    auth = {"Authorization": f"Bearer {world.token(world.client())}"}

    assert f"/mentions/{post_id}/moderation" not in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    refused = world.client().post(f"/api/v1/mentions/{post_id}/moderation", json={"action": "hide"}, headers=auth)

    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == "this comment is not on a post of the brand's Facebook page"
    assert actions(world) == []


def test_the_log_lists_what_was_hidden_and_undoes_it(world, client, emulator):
    ticket_id, post_id, comment = facebook_comment(world, emulator, text=HOSTILE)
    client.post(f"/mentions/{post_id}/moderation", data={"moderate": "hide", "reason": "abusive"})
    send_moderation(world, emulator)

    log = client.get("/admin/moderation").get_data(as_text=True)
    assert HOSTILE not in log and "&lt;script&gt;alert(1)&lt;/script&gt;" in log
    hide = actions(world)[0]
    assert f'action="/moderation/{hide.id}/undo"' in log

    client.post(f"/moderation/{hide.id}/undo", data={"from": "log"})
    send_moderation(world, emulator)

    unhide = actions(world)[-1]
    assert (unhide.action, unhide.undoes_id, unhide.status) == ("unhide", hide.id, "done")
    assert next(p for p in listed(emulator, "facebook") if p["id"] == comment)["hidden"] is False
    assert f'action="/moderation/{hide.id}/undo"' not in client.get("/admin/moderation").get_data(as_text=True)
    with world.db.sessions() as session:
        kinds = session.scalars(select(Event.kind).where(Event.ticket_id == ticket_id, Event.mention_id == post_id)
                                .order_by(Event.id)).all()
    assert kinds == ["moderation_requested", "moderated", "moderation_requested", "moderated"]


def test_a_post_that_does_not_exist_is_404(world, client):
    auth = {"Authorization": f"Bearer {world.token(world.client())}"}
    assert world.client().post("/api/v1/mentions/999/moderation", json={"action": "hide"},
                               headers=auth).status_code == 404
    assert client.post("/mentions/999/moderation", data={"moderate": "hide"}).status_code == 404


def test_an_unknown_action_is_refused_and_nothing_is_queued(world, client, emulator):
    ticket_id, post_id, _ = facebook_comment(world, emulator)
    client.post(f"/mentions/{post_id}/moderation", data={"moderate": "explode"})
    with world.db.sessions() as session:
        assert session.get(Mention, post_id).text == "You are all idiots"
    assert actions(world) == []


def test_admins_reach_the_log_from_the_admin_pages_and_agents_see_it_without_them(world, client, emulator):
    world.agent("Grace Hopper", "grace@example.com", role="admin")
    admin = world.client()
    admin.post("/login", data={"email": "grace@example.com", "password": PASSWORD})

    assert '<a href="/admin/moderation">Moderation</a>' in admin.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/moderation" aria-current="page"' in admin.get("/admin/moderation").get_data(as_text=True)
    page = client.get("/admin/moderation")
    assert page.status_code == 200 and "/admin/users" not in page.get_data(as_text=True)
