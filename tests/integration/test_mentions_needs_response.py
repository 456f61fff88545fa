"""The mentions stream shows and filters by the decision in force on whether
a post needs a response: a person's latest word (taking the post into a
ticket, marking its ticket no response needed), else the scorer's; and says
when a person overruled the scorer (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from store.mentions import MentionFilter, count_mentions, list_mentions
from store.models import Correction, Mention
from tests.integration.test_mentions import HOSTILE, api, listed, page_posts, post
from training.retrain import correction_examples


@pytest.fixture
def headers(world, client, ada):
    return api(world, client)


def stream_post(client, headers, mention_id: int) -> dict:
    answer = client.get("/api/v1/mentions", headers=headers).get_json()
    return next(m for m in answer["mentions"] if m["id"] == mention_id)


def ticket_of(world, mention_id: int) -> int:
    with world.db.sessions() as session:
        return session.get(Mention, mention_id).ticket_id


def needs_response_shown(html: str, mention_id: int) -> str:
    """The text of the post's "Needs a response" score, tags and spaces folded."""
    item = re.search(rf'data-mention="{mention_id}".*?</li>', html, re.S).group(0)
    shown = re.search(r"<dt>Needs a response</dt>\s*<dd>(.*?)</dd>", item, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", shown).split())


def test_a_post_a_person_took_needs_a_response_and_says_the_scorer_said_no(world, client, headers):
    taken = post(world, f"box sparking again {HOSTILE}", minutes_ago=5)
    post(world, "nice weather today", minutes_ago=3, handle="lou")

    assert client.post(f"/api/v1/mentions/{taken}/ticket", headers=headers).status_code == 201

    text = f"box sparking again {HOSTILE}"
    assert listed(client, headers, "?needs_response=yes") == [text]
    assert listed(client, headers, "?needs_response=no") == ["nice weather today"]
    shown = stream_post(client, headers, taken)
    assert (shown["needs_response"], shown["scorer_needs_response"], shown["needs_response_by"]) == (
        True, False, "person")
    assert shown["needs_response_corrected_by"] == "ada@example.com"
    assert shown["needs_response_corrected_at"] == "2026-01-05T09:00:00Z"
    html = client.get("/mentions").get_data(as_text=True)
    assert needs_response_shown(html, taken) == "yes — taken by Ada Lovelace; the scorer said no"
    assert page_posts(html)[1] == "box sparking again &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x " \
                                  "onerror=alert(2)&gt;"
    assert "<script>alert(1)" not in html
    assert page_posts(client.get("/mentions?needs_response=yes").get_data(as_text=True)) == [page_posts(html)[1]]
    on_ticket = client.get(f"/api/v1/tickets/{ticket_of(world, taken)}", headers=headers).get_json()["mentions"]
    assert [(m["needs_response"], m["scorer_needs_response"]) for m in on_ticket] == [(True, False)]


def test_a_ticketed_post_marked_no_response_needed_needs_none_and_says_the_scorer_said_yes(world, client, headers):
    ticket = world.ticket("just saying hi")
    world.ticket("my parcel is late", handle="pat")
    with world.db.sessions() as session:
        hello = session.scalar(select(Mention.id).where(Mention.ticket_id == ticket))

    assert client.post(f"/api/v1/tickets/{ticket}/no-response-needed", headers=headers).status_code == 200

    assert listed(client, headers, "?needs_response=no") == ["just saying hi"]
    assert listed(client, headers, "?needs_response=yes") == ["my parcel is late"]
    shown = stream_post(client, headers, hello)
    assert (shown["needs_response"], shown["scorer_needs_response"], shown["needs_response_by"],
            shown["needs_response_corrected_by"]) == (False, True, "person", "ada@example.com")
    html = client.get("/mentions").get_data(as_text=True)
    assert needs_response_shown(html, hello) == ("no — marked no response needed by Ada Lovelace; "
                                                 "the scorer said yes")


def test_a_post_nobody_corrected_keeps_the_scorers_word(world, client, headers):
    question = post(world, "a question for you", needs_response=True, minutes_ago=2)
    chatter = post(world, "nice weather", minutes_ago=1, handle="lou")

    for mention_id, said in ((question, True), (chatter, False)):
        shown = stream_post(client, headers, mention_id)
        assert (shown["needs_response"], shown["scorer_needs_response"], shown["needs_response_by"]) == (
            said, said, "scorer")
        assert shown["needs_response_corrected_by"] is shown["needs_response_corrected_at"] is None
    assert listed(client, headers, "?needs_response=yes") == ["a question for you"]
    assert listed(client, headers, "?needs_response=no") == ["nice weather"]
    html = client.get("/mentions").get_data(as_text=True)
    assert needs_response_shown(html, question) == "yes"
    assert needs_response_shown(html, chatter) == "no"


def test_the_latest_word_of_a_person_stands_even_when_it_takes_their_own_back(world, client, headers):
    taken = post(world, "box sparking, thanks for nothing", minutes_ago=5)
    client.post(f"/api/v1/mentions/{taken}/ticket", headers=headers)
    world.clock.advance(minutes=2)

    client.post(f"/api/v1/tickets/{ticket_of(world, taken)}/no-response-needed", headers=headers)

    assert listed(client, headers, "?needs_response=yes") == []
    assert listed(client, headers, "?needs_response=no") == ["box sparking, thanks for nothing"]
    shown = stream_post(client, headers, taken)
    assert (shown["needs_response"], shown["scorer_needs_response"], shown["needs_response_by"],
            shown["needs_response_corrected_at"]) == (False, False, "person", "2026-01-05T09:02:00Z")
    html = client.get("/mentions").get_data(as_text=True)
    assert needs_response_shown(html, taken) == ("no — marked no response needed by Ada Lovelace; "
                                                 "as the scorer said")
    with world.db.sessions() as session:
        assert session.scalars(select(Correction.corrected).order_by(Correction.id)).all() == ["True", "False"]
        assert [e.label for e in correction_examples(session).needs_response] == ["no"]


def test_the_count_and_text_search_follow_the_decision_in_force(world, client, headers):
    taken = post(world, "parcel smashed, second time", minutes_ago=4)
    post(world, "parcel arrived, thanks", minutes_ago=3, handle="lou")
    post(world, "parcel question: when?", needs_response=True, minutes_ago=2, handle="quinn")
    client.post(f"/api/v1/mentions/{taken}/ticket", headers=headers)

    with world.db.sessions() as session:
        for needed, texts in ((True, ["parcel question: when?", "parcel smashed, second time"]),
                              (False, ["parcel arrived, thanks"])):
            flt = MentionFilter(needs_response=needed, text="parcel")
            found, _ = list_mentions(session, flt, limit=10)
            assert [m.text for m in found] == texts
            assert count_mentions(session, flt) == len(texts)


def test_the_inbox_sweep_link_still_counts_the_posts_left_without_a_ticket(world, client, headers):
    taken = post(world, "box sparking", minutes_ago=10)
    post(world, "let pass", minutes_ago=5, handle="lou")
    client.post(f"/api/v1/mentions/{taken}/ticket", headers=headers)

    html = client.get("/inbox").get_data(as_text=True)

    link = re.search(r'<a href="([^"]+)" id="left-without-ticket">1 post in the last 24 h left without a ticket</a>',
                     html)
    assert link, html
    assert "needs_response" not in link.group(1)
    assert page_posts(client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)) == ["let pass"]
