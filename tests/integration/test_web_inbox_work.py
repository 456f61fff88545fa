"""Working the inbox: filters and search, snoozing, saved views, bulk
actions, canned responses, the collision warning, and the same in the API."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from store.alerts import Recipient, queue_alerts
from store.models import CannedResponse, Correction, Reply, Ticket
from tests.integration.web_helpers import make_world

HOSTILE = "<script>alert(1)</script>"


def rows(html: str) -> list[str]:
    return re.findall(r'<td class="post"><a href="/tickets/\d+">(.*?)</a></td>', html)


@pytest.fixture
def manager(world):
    return world.agent("Grace Hopper", "grace@example.com", role="manager")


@pytest.fixture
def grace(world, manager):
    client = world.client()
    world.sign_in(client, "grace@example.com")
    return client


@pytest.fixture
def auth(world, ada):
    return {"Authorization": f"Bearer {world.token(world.client())}"}


def set_topic(world, ticket_id, topic):
    with world.db.transaction() as session:
        session.get(Ticket, ticket_id).topic = topic


def test_the_inbox_filters_by_topic_and_finds_text_names_and_handles(world, client):
    billing = world.ticket("Charged twice for one box", handle="bill")
    world.ticket("Parcel never came", handle="pat")
    set_topic(world, billing, "billing_or_refund")
    assert rows(client.get("/inbox?view=all&topic=billing_or_refund").get_data(as_text=True)) == ["Charged twice for one box"]
    assert rows(client.get("/inbox?view=all&topic=none").get_data(as_text=True)) == ["Parcel never came"]
    assert rows(client.get("/inbox?view=all&q=TWICE").get_data(as_text=True)) == ["Charged twice for one box"]
    assert rows(client.get("/inbox?view=all&q=pat").get_data(as_text=True)) == ["Parcel never came"]
    assert rows(client.get("/inbox?view=all&q=%40pat").get_data(as_text=True)) == ["Parcel never came"]
    assert rows(client.get("/inbox?view=all&q=100%25").get_data(as_text=True)) == []
    bad = client.get("/inbox?view=all&topic=weather")
    assert bad.status_code == 400 and "topic: &#39;weather&#39; is not allowed" in bad.get_data(as_text=True)


def test_the_team_queue_lists_unassigned_tickets(world, client, ada):
    world.ticket("nobody has me")
    world.ticket("ada has me", assignee_id=ada)
    assert rows(client.get("/inbox?view=queue").get_data(as_text=True)) == ["nobody has me"]


def test_a_snoozed_ticket_leaves_the_inbox_until_its_time(world, client):
    ticket_id = world.ticket("snooze me")
    until = (world.clock.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/tickets/{ticket_id}/snooze", data={"until": until}).status_code == 302
    assert rows(client.get("/inbox?view=all").get_data(as_text=True)) == []
    assert rows(client.get("/inbox?view=snoozed").get_data(as_text=True)) == ["snooze me"]
    world.clock.advance(hours=2, minutes=1)
    assert rows(client.get("/inbox?view=all").get_data(as_text=True)) == ["snooze me"]


def test_the_snooze_time_is_read_in_the_time_zone_the_page_names(db, clock):
    paris = make_world(db, clock, timezone="Europe/Paris")
    paris.agent()
    client = paris.client()
    paris.sign_in(client)
    ticket_id = paris.ticket("snooze me")
    form = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert '<label for="snooze-until">Snooze until (Europe/Paris)</label>' in form

    wake = (clock.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    until = wake.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/tickets/{ticket_id}/snooze", data={"until": until})

    with paris.db.transaction() as session:
        assert session.get(Ticket, ticket_id).snoozed_until == wake
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f"Snoozed until {until.replace('T', ' ')}\xa0UTC+1</span>" in page


def test_snoozing_into_the_past_is_refused(world, client):
    ticket_id = world.ticket("snooze me")
    past = (world.clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(f"/tickets/{ticket_id}/snooze", data={"until": past}, follow_redirects=True)
    assert "snooze until a time in the next 30 days" in page.get_data(as_text=True)


def test_the_rows_refresh_as_json_with_the_total(world, client):
    first = world.ticket("first post")
    data = client.get("/inbox/rows?view=all").get_json()
    assert (data["total"], data["ids"]) == (1, [first])
    second = world.ticket(f"second post {HOSTILE}")
    data = client.get("/inbox/rows?view=all").get_json()
    assert data["total"] == 2 and set(data["ids"]) == {first, second}
    assert HOSTILE not in data["html"] and "&lt;script&gt;" in data["html"]


def test_saved_views_are_kept_per_agent(world, client, grace):
    saved = client.post("/inbox/views", data={"name": "urgent on X", "query": "priority=urgent&platform=x&evil=1"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/inbox?priority=urgent&platform=x")
    page = client.get("/inbox?view=all").get_data(as_text=True)
    assert '<a href="/inbox?priority=urgent&amp;platform=x">urgent on X</a>' in page
    assert "urgent on X" not in grace.get("/inbox?view=all").get_data(as_text=True)
    view_id = int(re.search(r"/inbox/views/(\d+)/delete", page).group(1))
    grace.post(f"/inbox/views/{view_id}/delete")
    assert "urgent on X" in client.get("/inbox?view=all").get_data(as_text=True)
    client.post(f"/inbox/views/{view_id}/delete")
    assert "urgent on X" not in client.get("/inbox?view=all").get_data(as_text=True)


def test_bulk_actions_apply_to_each_ticket_and_report_refusals(world, client, ada):
    open_ids = [world.ticket(f"post {n}", handle=f"c{n}") for n in range(3)]
    done = world.ticket("already done", status="resolved")
    page = client.post("/inbox/bulk", data={"action": "resolve", "tickets": [*open_ids[:2], done]},
                       follow_redirects=True).get_data(as_text=True)
    assert "Done for 2 ticket(s)." in page
    assert f"Ticket {done} not changed: ticket {done} is already resolved." in page
    assert [world.ticket_status(t) for t in open_ids] == ["resolved", "resolved", "new"]

    client.post("/inbox/bulk", data={"action": "assign_me", "tickets": [open_ids[2]]})
    with world.db.transaction() as session:
        assert session.get(Ticket, open_ids[2]).assignee_id == ada


def test_agents_cannot_bulk_assign_to_others_and_bad_requests_change_nothing(world, client, manager):
    ticket_id = world.ticket("post")
    page = client.post("/inbox/bulk", data={"action": "assign", "agent": manager, "tickets": [ticket_id]},
                       follow_redirects=True).get_data(as_text=True)
    assert "agents can assign tickets to themselves only" in page
    page = client.post("/inbox/bulk", data={"action": "priority", "priority": "urgent", "tickets": [ticket_id]},
                       follow_redirects=True).get_data(as_text=True)
    assert "Nothing done: say why the priority changes." in page
    with world.db.transaction() as session:
        assert session.get(Ticket, ticket_id).assignee_id is None
        assert session.get(Ticket, ticket_id).priority == "normal"


def test_no_response_needed_resolves_without_a_follow_up_and_keeps_the_correction(world, client):
    ticket_id = world.ticket("just saying hi")
    client.post("/inbox/bulk", data={"action": "no_response", "tickets": [ticket_id]})
    assert world.ticket_status(ticket_id) == "resolved"
    with world.db.transaction() as session:
        correction = session.scalar(select(Correction))
        assert (correction.field, correction.original, correction.corrected) == ("needs_response", "True", "False")
        assert session.get(Ticket, ticket_id).followup_state is None


def test_managers_write_canned_responses_and_agents_use_them_filled_in(world, client, grace):
    bad = grace.post("/canned", data={"title": "Sorry", "body": "Hi {firstname}!"}, follow_redirects=True)
    assert "unknown placeholder {firstname}" in bad.get_data(as_text=True)
    long = grace.post("/canned", data={"title": "Long", "body": "a" * 5003}, follow_redirects=True)
    assert "the text counts 5003 characters, 3 too many; a canned response allows 5000" in long.get_data(as_text=True)
    grace.post("/canned", data={"title": "Sorry", "body": "Hi {first_name}, {agent_name} here about {ticket_ref}."})
    assert client.post("/canned", data={"title": "Mine", "body": "x"}).status_code == 403

    ticket_id = world.ticket("where is my parcel", handle="sam")
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f'<option value="Hi Sam, Ada here about #{ticket_id}.">Sorry</option>' in page


def test_a_second_answer_is_held_back_until_the_agent_confirms(world, client, grace, ada, manager):
    ticket_id = world.ticket("where is my parcel")
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    post_id = re.search(r'name="in_reply_to" id="in-reply-to" value="(\d+)"', page).group(1)
    grace.post(f"/tickets/{ticket_id}/replies", data={"body": "On its way!", "in_reply_to": post_id})

    held = client.post(f"/tickets/{ticket_id}/replies", data={"body": "Sorry, checking now", "in_reply_to": post_id},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Reply not sent: Grace Hopper answered post {post_id} already (reply 1)" in held
    assert ">Sorry, checking now</textarea>" in held and 'name="answer_again" value="1" required' in held
    assert len(world.replies()) == 1

    client.post(f"/tickets/{ticket_id}/replies", data={"body": "Sorry, checking now", "in_reply_to": post_id,
                                                       "answer_again": "1"})
    assert [r.body for r in world.replies()] == ["On its way!", "Sorry, checking now"]


def test_the_page_says_who_else_is_viewing_or_writing(world, client, grace):
    ticket_id = world.ticket("where is my parcel")
    grace.post(f"/tickets/{ticket_id}/presence", data={"composing": "1"})
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Grace Hopper is writing a reply" in page
    assert client.post(f"/tickets/{ticket_id}/presence", data={"composing": "0"}).get_json() == {
        "here": [{"name": "Grace Hopper", "composing": True}]}
    world.clock.advance(minutes=2)
    assert client.post(f"/tickets/{ticket_id}/presence", data={}).get_json() == {"here": []}


def test_next_ticket_goes_to_my_soonest_due_then_the_queue(world, client, ada):
    mine = world.ticket("mine", assignee_id=ada, due_in=30)
    later = world.ticket("mine later", assignee_id=ada, due_in=90)
    queued = world.ticket("queue", due_in=10)
    assert client.get(f"/tickets/{mine}/next").headers["Location"].endswith(f"/tickets/{later}")
    client.post(f"/tickets/{later}/resolve")
    client.post(f"/tickets/{mine}/resolve")
    assert client.get(f"/tickets/{mine}/next").headers["Location"].endswith(f"/tickets/{queued}")


def test_the_api_does_the_same_work(world, auth, manager):
    first, second = world.ticket("one", handle="a"), world.ticket("two", handle="b")
    api = world.client()
    response = api.post("/api/v1/tickets/bulk", headers=auth, json={"tickets": [first, second, 999],
                                                                    "action": "assign_me"})
    assert response.get_json() == {"done": [first, second],
                                   "refused": [{"ticket_id": 999, "why": "ticket 999 does not exist"}]}
    until = (world.clock.now() + timedelta(hours=1)).isoformat()
    snoozed = api.post(f"/api/v1/tickets/{first}/snooze", headers=auth, json={"until": until})
    assert snoozed.status_code == 200 and snoozed.get_json()["snoozed_until"] is not None
    assert [t["id"] for t in api.get("/api/v1/tickets", headers=auth).get_json()["tickets"]] == [second]
    assert api.post(f"/api/v1/tickets/{first}/snooze", headers=auth, json={"until": "soon"}).status_code == 400
    assert api.post(f"/api/v1/tickets/{second}/no-response-needed", headers=auth).get_json()["status"] == "resolved"

    view = api.post("/api/v1/views", headers=auth, json={"name": "mine", "query": "view=mine"})
    assert view.status_code == 201
    assert [v["name"] for v in api.get("/api/v1/views", headers=auth).get_json()["views"]] == ["mine"]
    assert api.delete(f"/api/v1/views/{view.get_json()['id']}", headers=auth).status_code == 204
    assert api.post("/api/v1/tickets/bulk", headers=auth, json={"tickets": [first], "action": "zap"}).status_code == 400


def test_canned_responses_in_the_api(world, auth, manager):
    api = world.client()
    manager_auth = {"Authorization": f"Bearer {world.token(api, 'grace@example.com')}"}
    assert api.post("/api/v1/canned-responses", headers=auth, json={"title": "x", "body": "y"}).status_code == 403
    created = api.post("/api/v1/canned-responses", headers=manager_auth, json={"title": "Thanks", "body": "Thanks!"})
    assert created.status_code == 201
    canned_id = created.get_json()["id"]
    bad = api.patch(f"/api/v1/canned-responses/{canned_id}", headers=manager_auth,
                    json={"title": "Thanks", "body": "Thanks {nme}"})
    assert bad.status_code == 422 and "unknown placeholder {nme}" in bad.get_json()["error"]["message"]
    assert [c["body"] for c in api.get("/api/v1/canned-responses", headers=auth).get_json()["canned_responses"]] == [
        "Thanks!"]
    assert api.delete(f"/api/v1/canned-responses/{canned_id}", headers=manager_auth).status_code == 204
    with world.db.transaction() as session:
        assert session.scalars(select(CannedResponse)).all() == []
        assert session.scalars(select(Reply)).all() == []


def test_the_api_retries_a_failed_reply_and_reads_and_clears_alerts(world, auth, ada):
    ticket_id = world.ticket("where is my parcel", assignee_id=ada)
    reply_id = world.failed_reply(ticket_id)
    api = world.client()
    retried = api.post(f"/api/v1/replies/{reply_id}/retry", headers=auth)
    assert retried.status_code == 200 and retried.get_json()["status"] == "queued"
    assert api.post(f"/api/v1/replies/{reply_id}/retry", headers=auth).status_code == 409

    with world.db.transaction() as session:
        queue_alerts(session, key="k1", kind="breached", ticket=session.get(Ticket, ticket_id),
                     recipients=[Recipient("web", "ada@example.com", ada)], subject="Ticket breached",
                     body=HOSTILE, link=None, now=world.clock.now())
    assert [a["subject"] for a in api.get("/api/v1/alerts?unread=1", headers=auth).get_json()["alerts"]] == [
        "Ticket breached"]
    assert api.post("/api/v1/alerts/read", headers=auth).get_json() == {"marked": 1}
    assert api.get("/api/v1/alerts?unread=1", headers=auth).get_json()["alerts"] == []


def test_internal_notes_stay_on_the_ticket_and_are_never_posted(world, client, auth):
    ticket_id = world.ticket("where is my parcel")
    client.post(f"/tickets/{ticket_id}/notes", data={"text": f"Courier says Tuesday {HOSTILE}"})
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Internal note" in page and "Courier says Tuesday &lt;script&gt;" in page and HOSTILE not in page
    empty = client.post(f"/tickets/{ticket_id}/notes", data={"text": "  "}, follow_redirects=True)
    assert "write the note" in empty.get_data(as_text=True)
    long = client.post(f"/tickets/{ticket_id}/notes", data={"text": "a" * 2001}, follow_redirects=True)
    assert "the note counts 2001 characters, 1 too many; a note allows 2000" in long.get_data(as_text=True)
    api = world.client()
    added = api.post(f"/api/v1/tickets/{ticket_id}/notes", headers=auth, json={"text": "Refund approved"})
    assert added.status_code == 200
    detail = api.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()
    assert [e["detail"]["text"] for e in detail["events"] if e["kind"] == "note"] == [
        f"Courier says Tuesday {HOSTILE}", "Refund approved"]
    assert world.replies() == []
