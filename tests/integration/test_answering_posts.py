"""Answering a chosen post: which posts are answered and which wait, the
post a reply goes to by default, `in_reply_to` and `force` in the API and
the web, and resolving a ticket whose posts still wait; on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from store.models import Event, Mention, Reply, Ticket

COMPLAINTS = ("I want a refund for order 4471", "Order 5120 is a week late", "Cancel my subscription please",
              "I cannot log in since the update")


@pytest.fixture
def auth(world, ada):
    return {"Authorization": f"Bearer {world.token(world.client())}"}


def add_post(world, ticket_id: int, text: str, *, minutes_later: float, sentiment: str = "negative",
             needs_response: bool = True, kind: str = "post", rating: int | None = None,
             in_reply_to: str | None = None, conversation: str | None = None, on_ticket: bool = True) -> int:
    """Another post of the ticket's customer, `minutes_later` than the
    first (and on no ticket unless `on_ticket`); the clock moves on to it."""
    with world.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        first = ticket.mentions[0]
        at = first.created_at + timedelta(minutes=minutes_later)
        if at > world.clock.now():
            world.clock.advance(seconds=(at - world.clock.now()).total_seconds())
        mention = Mention(platform=ticket.platform, external_id=f"{ticket_id}-{minutes_later}", kind=kind,
                          identity=first.identity, text=text, url=f"https://x.example/p/{ticket_id}-{minutes_later}",
                          rating=rating, in_reply_to=in_reply_to, conversation_ref=conversation, created_at=at,
                          received_at=at, sentiment=sentiment, polarity=-0.5 if sentiment == "negative" else 0.6,
                          urgency=0.4, needs_response=needs_response, priority="normal", reasons=[],
                          ticket=ticket if on_ticket else None)
        session.add(mention)
        session.flush()
        return mention.id


def post_ids(world, ticket_id: int) -> list[int]:
    with world.db.sessions() as session:
        return [m.id for m in session.get(Ticket, ticket_id).mentions]


def external_id(world, mention_id: int) -> str:
    with world.db.sessions() as session:
        return session.get(Mention, mention_id).external_id


def kenji(world) -> tuple[int, list[int]]:
    """Four separate complaints of one customer, threaded into one ticket."""
    ticket_id = world.ticket(COMPLAINTS[0], handle="kenji_t")
    for minutes, text in enumerate(COMPLAINTS[1:], start=1):
        add_post(world, ticket_id, text, minutes_later=minutes)
    return ticket_id, post_ids(world, ticket_id)


def answer(client, auth, ticket_id, body="Sorry about this, sorting it now.", **fields):
    return client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": body, **fields}, headers=auth)


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_the_api_answers_an_older_post_and_says_which(world, client, auth):
    ticket_id, posts = kenji(world)

    response = answer(client, auth, ticket_id, in_reply_to=posts[0])

    assert response.status_code == 202
    queued = response.get_json()
    assert queued["in_reply_to"] == posts[0]
    assert (queued["post"]["id"], queued["post"]["text"]) == (posts[0], COMPLAINTS[0])
    assert [r.mention_id for r in world.replies()] == [posts[0]]
    assert client.get(f"/api/v1/replies/{queued['id']}", headers=auth).get_json()["in_reply_to"] == posts[0]


def test_the_api_refuses_an_unknown_post_and_another_tickets_post_and_queues_nothing(world, client, auth):
    ticket_id, _ = kenji(world)
    other_post = post_ids(world, world.ticket("Someone else's parcel is late", handle="sofia_m"))[0]

    unknown = answer(client, auth, ticket_id, in_reply_to=999)
    others = answer(client, auth, ticket_id, in_reply_to=other_post)
    malformed = answer(client, auth, ticket_id, in_reply_to="the first one")

    assert (unknown.status_code, error_of(unknown)["message"]) == (
        422, f"ticket {ticket_id} has no post 999: answer one of its own posts")
    assert (others.status_code, error_of(others)["message"]) == (
        422, f"ticket {ticket_id} has no post {other_post}: answer one of its own posts")
    assert malformed.status_code == 400 and "'in_reply_to'" in error_of(malformed)["message"]
    assert world.replies() == []


def test_a_post_answered_already_is_answered_again_only_with_force(world, client, auth):
    ticket_id, posts = kenji(world)
    first = answer(client, auth, ticket_id, in_reply_to=posts[1]).get_json()

    again = answer(client, auth, ticket_id, body="Any news?", in_reply_to=posts[1])
    forced = answer(client, auth, ticket_id, body="Any news?", in_reply_to=posts[1], force=True)

    assert again.status_code == 409
    assert error_of(again)["message"] == (f"Ada Lovelace answered post {posts[1]} already (reply {first['id']}); "
                                          "a second answer must be confirmed (force)")
    assert error_of(again)["answered_by"] == first["id"]
    assert forced.status_code == 202 and forced.get_json()["in_reply_to"] == posts[1]
    assert [r.body for r in world.replies()] == ["Sorry about this, sorting it now.", "Any news?"]


def test_a_retried_request_with_its_idempotency_key_is_not_an_answer_again(world, client, auth):
    ticket_id, posts = kenji(world)
    headers = {**auth, "Idempotency-Key": "answer-1"}

    first = client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "Hi", "in_reply_to": posts[0]},
                        headers=headers)
    retried = client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"body": "Hi", "in_reply_to": posts[0]},
                          headers=headers)

    assert retried.status_code == 202 and retried.get_json()["id"] == first.get_json()["id"]
    assert len(world.replies()) == 1


def test_by_default_the_newest_waiting_post_is_answered_then_the_next(world, client, auth):
    ticket_id, posts = kenji(world)

    answered = [answer(client, auth, ticket_id).get_json()["in_reply_to"] for _ in posts]

    assert answered == posts[::-1]
    fallback = answer(client, auth, ticket_id, force=True)
    assert fallback.get_json()["in_reply_to"] == posts[-1]


def test_the_default_skips_praise_and_a_reply_under_a_review_while_a_complaint_waits(world, client, auth):
    ticket_id = world.ticket("The app crashes every time I open my orders", platform="facebook", handle="ben")
    review = add_post(world, ticket_id, "Five stars, great boxes", minutes_later=1, kind="review", rating=5,
                      sentiment="positive", needs_response=False)
    add_post(world, ticket_id, "Could you tell the team?", minutes_later=2, kind="reply", sentiment="neutral",
             in_reply_to=external_id(world, review))
    add_post(world, ticket_id, "Love the new colours, nice work", minutes_later=3, sentiment="positive",
             needs_response=False)
    complaint = post_ids(world, ticket_id)[0]

    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()
    queued = answer(client, auth, ticket_id).get_json()

    assert detail["default_target"] == complaint
    assert queued["in_reply_to"] == complaint


def test_praise_is_answered_by_default_only_when_nothing_else_waits(world, client, auth):
    ticket_id = world.ticket("My box arrived broken", handle="lena")
    add_post(world, ticket_id, "Five stars, lovely support", minutes_later=5, kind="review", rating=5,
             sentiment="positive", needs_response=False)
    complaint, review = post_ids(world, ticket_id)

    assert answer(client, auth, ticket_id).get_json()["in_reply_to"] == complaint
    assert answer(client, auth, ticket_id, body="Thank you!").get_json()["in_reply_to"] == review


def test_the_inbox_row_shows_the_complaint_not_the_praise_written_after_it(world, client, auth):
    ticket_id = world.ticket("On hold for 45 minutes, worst service ever", handle="noor")
    add_post(world, ticket_id, "Loving the new colours, nice work", minutes_later=2, sentiment="positive",
             needs_response=False)
    web = world.client()
    world.sign_in(web)

    waiting = web.get("/inbox?view=all").get_data(as_text=True)
    answer(client, auth, ticket_id)
    answered = web.get("/inbox?view=all").get_data(as_text=True)

    assert "On hold for 45 minutes" in waiting and "Loving the new colours" not in waiting
    assert "Loving the new colours" in answered and "On hold for 45 minutes" not in answered


def test_the_count_of_posts_needing_an_answer_shows_in_the_inbox_the_ticket_and_the_api(world, client, auth):
    ticket_id, posts = kenji(world)
    answer(client, auth, ticket_id, in_reply_to=posts[3])
    web = world.client()
    world.sign_in(web)

    inbox = web.get("/inbox?view=all").get_data(as_text=True)
    page = web.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()

    assert "3 posts need an answer" in inbox
    assert "3 posts need an answer" in page
    assert (detail["answers_needed"], detail["posts_needing_answer"]) == (3, posts[:3])
    assert [m["needs_answer"] for m in detail["mentions"]] == [True, True, True, False]
    answered = detail["mentions"][3]["answer"]
    assert (answered["by"], answered["status"], answered["reply_id"]) == ("Ada Lovelace", "queued", 1)


def test_a_single_waiting_post_shows_no_count(world, client):
    ticket_id = world.ticket("Where is my parcel?")

    assert "need an answer" not in client.get("/inbox").get_data(as_text=True)
    assert "need an answer" not in client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_the_api_refuses_to_resolve_while_posts_wait_unless_forced(world, client, auth):
    ticket_id, posts = kenji(world)
    answer(client, auth, ticket_id, in_reply_to=posts[3])

    refused = client.post(f"/api/v1/tickets/{ticket_id}/resolve", headers=auth)
    forced = client.post(f"/api/v1/tickets/{ticket_id}/resolve", json={"force": True}, headers=auth)

    assert refused.status_code == 409
    assert error_of(refused)["unanswered"] == posts[:3]
    assert error_of(refused)["message"] == "3 posts still need an answer; answer them, or resolve anyway"
    assert forced.status_code == 200 and forced.get_json()["status"] == "resolved"
    [event] = world.events(ticket_id, "resolved")
    assert event.detail["left_unanswered"] == posts[:3]


def test_a_ticket_whose_posts_are_all_answered_resolves_without_force(world, client, auth):
    ticket_id, posts = kenji(world)
    for post in posts:
        answer(client, auth, ticket_id, in_reply_to=post)

    resolved = client.post(f"/api/v1/tickets/{ticket_id}/resolve", headers=auth)

    assert resolved.status_code == 200
    [event] = world.events(ticket_id, "resolved")
    assert "left_unanswered" not in event.detail


def test_bulk_resolve_reports_tickets_with_waiting_posts_unless_forced(world, client, auth):
    waiting, _ = kenji(world)
    single = world.ticket("Where is my parcel?", handle="maria")

    first = client.post("/api/v1/tickets/bulk", json={"tickets": [waiting, single], "action": "resolve"},
                        headers=auth).get_json()
    forced = client.post("/api/v1/tickets/bulk", json={"tickets": [waiting], "action": "resolve", "force": True},
                         headers=auth).get_json()

    assert first["done"] == [single]
    assert [r["ticket_id"] for r in first["refused"]] == [waiting]
    assert "4 posts still need an answer" in first["refused"][0]["why"]
    assert forced == {"done": [waiting], "refused": []}


def test_the_web_lists_the_waiting_posts_before_resolving_and_resolves_when_confirmed(world, client):
    ticket_id, posts = kenji(world)

    refused = client.post(f"/tickets/{ticket_id}/resolve", follow_redirects=True).get_data(as_text=True)

    assert "Not done: 4 posts still need an answer" in refused
    listed = re.search(r'id="resolve-confirm".*?</div>', refused, re.S).group(0)
    assert [f'href="#post-{post}"' in listed for post in posts] == [True] * 4
    assert world.ticket_status(ticket_id) == "new"
    client.post(f"/tickets/{ticket_id}/resolve", data={"force": "1"})
    assert world.ticket_status(ticket_id) == "resolved"


def test_the_reply_box_says_which_post_it_answers_and_each_post_its_state(world, client):
    ticket_id, posts = kenji(world)
    client.post(f"/tickets/{ticket_id}/replies", data={"body": "Refund on its way", "in_reply_to": posts[0]})

    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    chosen = client.get(f"/tickets/{ticket_id}?answer={posts[0]}").get_data(as_text=True)

    assert 'Answering: <q id="answering-text">I cannot log in since the update</q>' in page
    assert f'name="in_reply_to" id="in-reply-to" value="{posts[3]}"' in page
    assert page.count("Needs an answer") == 3
    assert len(re.findall(r"Answer queued</span>\s+by Ada Lovelace", page)) == 1
    assert 'Answering: <q id="answering-text">I want a refund for order 4471</q>' in chosen
    assert 'name="answer_again" value="1" required' in chosen


def test_the_reply_box_names_the_day_of_a_post_written_on_another_day(world, client):
    ticket_id = world.ticket("Is anyone there? Still no refund.", opened_minutes_ago=2 * 24 * 60)

    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)

    assert '<span id="answering-time">3 Jan 09:00\xa0UTC</span>' in page
    assert 'data-time="3 Jan 09:00\xa0UTC"' in page

def test_the_web_sends_the_answer_under_the_chosen_post(world, client):
    ticket_id, posts = kenji(world)

    client.post(f"/tickets/{ticket_id}/replies", data={"body": "Your refund is on its way", "in_reply_to": posts[0]})

    assert [(r.mention_id, r.body) for r in world.replies()] == [(posts[0], "Your refund is on its way")]


def test_one_answer_by_direct_message_answers_the_conversation_before_it(world, client, auth):
    ticket_id = world.ticket("hi", kind="direct_message")
    add_post(world, ticket_id, "my order 4471 never came", minutes_later=1, kind="direct_message")
    later = add_post(world, ticket_id, "where is it??", minutes_later=2, kind="direct_message")

    queued = answer(client, auth, ticket_id).get_json()
    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()

    assert queued["in_reply_to"] == later
    assert detail["posts_needing_answer"] == [] and detail["answers_needed"] == 0
    with world.db.sessions() as session:
        assert session.get(Reply, queued["id"]).channel == "direct_message"


def test_an_answer_under_the_last_part_of_a_thread_answers_its_parts_and_a_later_post_waits(world, client, auth):
    ticket_id = world.ticket("1/2 My heater arrived with a cracked case")
    first = post_ids(world, ticket_id)[0]
    second = add_post(world, ticket_id, "2/2 and it smells of burning", minutes_later=1,
                      in_reply_to=external_id(world, first), kind="reply")
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()["answers_needed"] == 1

    answer(client, auth, ticket_id, in_reply_to=second)
    later = add_post(world, ticket_id, "still waiting for the refund", minutes_later=10,
                     in_reply_to=external_id(world, second), kind="reply")

    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()
    assert detail["posts_needing_answer"] == [later]


def test_an_answer_given_outside_closeloop_answers_the_posts_before_it(world, client, auth):
    ticket_id, posts = kenji(world)

    client.post(f"/api/v1/tickets/{ticket_id}/answered-elsewhere", json={"how": "phoned him"}, headers=auth)

    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()
    assert detail["posts_needing_answer"] == []
    assert detail["mentions"][0]["answer"]["how"] == "phoned him"
    assert client.post(f"/api/v1/tickets/{ticket_id}/resolve", headers=auth).status_code == 200


def test_a_post_a_person_took_into_the_ticket_needs_an_answer(world, client, auth):
    ticket_id = world.ticket("Where is my parcel?")
    answer(client, auth, ticket_id)
    passed = add_post(world, ticket_id, "ok whatever, my account is locked again", minutes_later=3, sentiment="neutral",
                      needs_response=False, on_ticket=False)

    taken = client.post(f"/api/v1/mentions/{passed}/ticket", headers=auth)

    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()
    assert taken.status_code == 200
    assert (detail["posts_needing_answer"], detail["default_target"]) == ([passed], passed)


def test_a_failed_reply_leaves_its_post_waiting(world, client, auth):
    ticket_id = world.ticket("Where is my parcel?")
    world.failed_reply(ticket_id)

    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth).get_json()

    assert detail["posts_needing_answer"] == post_ids(world, ticket_id)
    assert answer(client, auth, ticket_id).status_code == 202


def test_events_record_the_post_each_answer_went_to(world, client, auth):
    ticket_id, posts = kenji(world)

    answer(client, auth, ticket_id, in_reply_to=posts[1])

    with world.db.sessions() as session:
        [queued] = session.query(Event).filter_by(ticket_id=ticket_id, kind="reply_queued").all()
        assert queued.mention_id == posts[1]


def test_the_api_description_names_the_post_answered_and_force(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    reply = paths["/api/v1/tickets/{ticket_id}/replies"]["post"]
    sent = reply["requestBody"]["content"]["application/json"]["schema"]["properties"]
    answered = reply["responses"]["202"]["content"]["application/json"]["schema"]
    resolve = paths["/api/v1/tickets/{ticket_id}/resolve"]["post"]
    assert {"in_reply_to", "force"} <= set(sent)
    assert {"in_reply_to", "post"} <= set(answered["required"])
    assert resolve["requestBody"]["required"] is False
    assert "force" in resolve["requestBody"]["content"]["application/json"]["schema"]["properties"]
