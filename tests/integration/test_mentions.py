"""The mentions stream: every inbound post, ticketed or not, on a page and
in the API, with filters, cursor pages, private teams, and taking a post
the scorer let pass into a ticket (on SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from config import load_settings
from listener.scoring import Scorer
from store.mentions import SPAM_REASON
from store.models import Agent, Correction, Customer, Identity, Mention, Source, Ticket
from tests.integration.test_concurrent_intake import at_once
from tests.integration.web_helpers import make_world
from training.retrain import correction_examples

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
SPAM = (f"{SPAM_REASON} ('giveaway')",)
LET_PASS = ("no response needed: no complaint, question or request",)
EXTERNAL_IDS = itertools.count(1)


def post(world, text, *, minutes_ago=0.0, platform="x", handle="sam", name=None, sentiment="neutral",
         needs_response=False, topic=None, reasons=LET_PASS, source=None, ticket_id=None, customer_id=None) -> int:
    """A stored post, with a ticket only when `ticket_id` is given."""
    at = world.clock.now() - timedelta(minutes=minutes_ago)
    with world.db.transaction() as session:
        if customer_id is not None:
            identity = session.get(Customer, customer_id).identities[0]
        else:
            identity = session.scalar(select(Identity).where(Identity.platform == platform,
                                                             Identity.platform_user_id == f"u-{handle}"))
        if identity is None:
            customer = Customer(display_name=name or handle.title(), created_at=at)
            identity = Identity(customer=customer, platform=platform, platform_user_id=f"u-{handle}", handle=handle,
                                name=name or handle.title())
        source_id = session.scalar(select(Source.id).where(Source.name == source)) if source else None
        mention = Mention(platform=platform, external_id=f"p{next(EXTERNAL_IDS)}", kind="post", identity=identity,
                          text=text, url="", created_at=at, received_at=at, sentiment=sentiment, polarity=0.0,
                          urgency=0.0, needs_response=needs_response, priority="normal" if needs_response else None,
                          topic=topic, reasons=list(reasons), ticket_id=ticket_id, source_id=source_id)
        session.add(mention)
        session.flush()
        return mention.id


def add_source(world, name, platform="x"):
    with world.db.transaction() as session:
        session.add(Source(name=name, platform=platform, kind="mentions", credentials_ref="x-main"))


def api(world, client, email="ada@example.com"):
    return {"Authorization": f"Bearer {world.token(client, email)}"}


def listed(client, headers, query="") -> list[str]:
    response = client.get(f"/api/v1/mentions{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [m["text"] for m in response.get_json()["mentions"]]


def page_posts(html: str) -> list[str]:
    return re.findall(r'<p class="text">(.*?)</p>', html, re.S)


def go_online(world, agent_id):
    with world.db.transaction() as session:
        session.execute(update(Agent).where(Agent.id == agent_id).values(presence="online"))


@pytest.fixture
def headers(world, client, ada):
    return api(world, client)


def test_it_lists_every_post_newest_first_with_its_scores_reasons_and_ticket(world, client, headers):
    ticket = world.ticket("my parcel is late", handle="pat")
    post(world, "nice weather today", minutes_ago=5, handle="lou", name="Lou Reed")
    post(world, "parcel arrived smashed, second time", minutes_ago=1, sentiment="negative", topic="delivery")

    answer = client.get("/api/v1/mentions", headers=headers).get_json()

    assert [m["text"] for m in answer["mentions"]] == [
        "my parcel is late", "parcel arrived smashed, second time", "nice weather today"]
    assert answer["next_cursor"] is None
    first, smashed, weather = answer["mentions"]
    assert first["ticket"] == {"id": ticket, "status": "new"}
    assert smashed["ticket"] is None and smashed["needs_response"] is False
    assert (smashed["sentiment"], smashed["topic"], smashed["priority"]) == ("negative", "delivery", None)
    assert smashed["reasons"] == list(LET_PASS)
    assert weather["author"]["name"] == "Lou Reed" and weather["author"]["handle"] == "lou"
    assert weather["created_at"] == "2026-01-05T08:55:00Z" and weather["platform"] == "x"


def test_the_page_shows_every_post_escaped_with_a_ticket_link_or_a_take_button(world, client):
    ticket = world.ticket("my parcel is late", handle="pat")
    loose = post(world, f"hello {HOSTILE}", minutes_ago=3)

    html = client.get("/mentions").get_data(as_text=True)

    assert page_posts(html) == ["my parcel is late", "hello &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
                                                     "onerror=alert(2)&gt;"]
    assert "<script>alert(1)" not in html
    assert f'<a href="/tickets/{ticket}">Ticket #{ticket}</a>' in html
    assert f'name="mention" value="{loose}"' in html
    assert '<a href="/mentions">Mentions</a>' in html


def test_every_signed_in_role_has_the_page_in_the_navigation(world):
    for role in ("agent", "senior", "manager", "admin"):
        email = f"{role}@example.com"
        world.agent(role.title(), email, role=role)
        client = world.client()
        world.sign_in(client, email)
        html = client.get("/inbox").get_data(as_text=True)
        assert '<a href="/mentions">Mentions</a>' in html, role


def test_it_filters_by_each_field(world, client, headers):
    add_source(world, "x-mentions")
    add_source(world, "reddit-sub", platform="reddit")
    world.ticket("ticketed complaint", handle="pat")
    post(world, "reddit chatter", platform="reddit", handle="rod", source="reddit-sub", minutes_ago=1)
    post(world, "angry but let pass", sentiment="negative", topic="delay", source="x-mentions", minutes_ago=2)
    post(world, "win a phone", reasons=SPAM, minutes_ago=3)
    post(world, "a question for you", needs_response=True, handle="quinn", name="Quinn Fabray", minutes_ago=4)
    post(world, "old post", minutes_ago=60 * 30)

    def only(query):
        return listed(client, headers, query)

    assert only("?platform=reddit") == ["reddit chatter"]
    assert only("?source=x-mentions,reddit-sub") == ["reddit chatter", "angry but let pass"]
    assert only("?sentiment=negative") == ["ticketed complaint", "angry but let pass"]
    assert only("?needs_response=yes") == ["ticketed complaint", "a question for you"]
    assert only("?topic=delay") == ["angry but let pass"]
    assert "angry but let pass" not in only("?topic=none") and "win a phone" in only("?topic=none")
    assert only("?has_ticket=yes") == ["ticketed complaint"]
    assert "ticketed complaint" not in only("?has_ticket=no")
    assert only("?spam=yes") == ["win a phone"]
    assert "win a phone" not in only("?spam=no")
    assert only("?q=ANGRY") == ["angry but let pass"]
    assert only("?q=fabray") == ["a question for you"]
    assert only("?q=%40fabray") == ["a question for you"]
    assert only("?q=50%25") == []
    assert only("?until=2026-01-04T10:00:00Z") == ["old post"]
    assert only("?since=2026-01-05T08:57:30Z&has_ticket=no") == ["reddit chatter", "angry but let pass"]
    assert only("?since=2026-01-04&until=2026-01-05T08:56:30%2B00:00&spam=no") == ["a question for you", "old post"]
    assert only("?since=2026-01-04&until=2026-01-05T09:56:30+01:00&spam=no") == ["a question for you", "old post"]


@pytest.mark.parametrize("query, message", [
    ("platform=myspace", "platform: 'myspace' is not allowed"),
    ("source=nowhere", "source: 'nowhere' is not a source"),
    ("sentiment=angry", "sentiment: 'angry' is not allowed"),
    ("needs_response=maybe", "needs_response: 'maybe' is not allowed; use yes or no"),
    ("has_ticket=2", "has_ticket: '2' is not allowed; use yes or no"),
    ("topic=weather", "topic: 'weather' is not allowed"),
    ("since=yesterday", "since: 'yesterday' is not an ISO 8601 date or date-time"),
    ("since=2026-01-05&until=2026-01-04", "since: must be before 'until'"),
    ("limit=0", "limit: 0 is not allowed; use a whole number from 1 to 200"),
    ("limit=201", "limit: 201 is not allowed; use a whole number from 1 to 200"),
    ("cursor=bm90IGEgY3Vyc29y", "cursor: is not one this listing gave"),
    ("cursor=%25%25", "cursor: is not one this listing gave"),
    ("q=" + "x" * 201, "q: search for at most 200 characters"),
])
def test_a_bad_filter_is_refused_with_what_it_allows(world, client, headers, query, message):
    response = client.get(f"/api/v1/mentions?{query}", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(message)

    page = client.get(f"/mentions?{query}")
    assert page.status_code == 400
    assert message.replace("'", "&#39;") in page.get_data(as_text=True)


def test_pages_follow_each_other_by_cursor_and_new_posts_change_nothing(world, client, headers):
    for n in range(5):
        post(world, f"post {n}", minutes_ago=10 - n, handle=f"h{n}")
    post(world, "same time a", minutes_ago=20, handle="sa")
    post(world, "same time b", minutes_ago=20, handle="sb")

    first = client.get("/api/v1/mentions?limit=3", headers=headers).get_json()
    assert [m["text"] for m in first["mentions"]] == ["post 4", "post 3", "post 2"]
    world.clock.advance(minutes=1)
    post(world, "arrived between pages", handle="late")
    post(world, "arrived late but posted long ago", minutes_ago=15, handle="slow")
    second = client.get(f"/api/v1/mentions?limit=3&cursor={first['next_cursor']}", headers=headers).get_json()
    third = client.get(f"/api/v1/mentions?limit=3&cursor={second['next_cursor']}", headers=headers).get_json()

    assert [m["text"] for m in second["mentions"]] == ["post 1", "post 0", "arrived late but posted long ago"]
    assert [m["text"] for m in third["mentions"]] == ["same time b", "same time a"]
    assert third["next_cursor"] is None


def test_the_page_folds_its_filters_away_until_one_is_chosen(world, client):
    post(world, "a post")

    plain = client.get("/mentions?limit=20").get_data(as_text=True)
    chosen = client.get("/mentions?platform=x").get_data(as_text=True)
    refused = client.get("/mentions?since=yesterday").get_data(as_text=True)

    assert '<details class="stream-filter-bar">\n<summary>Filters</summary>' in plain
    assert '<details class="stream-filter-bar" open>\n<summary>Filters <span class="muted">(on)</span>' in chosen
    assert '<details class="stream-filter-bar" open>' in refused
    assert page_posts(plain) == page_posts(chosen) == ["a post"]


def test_the_time_filters_say_which_zone_they_are_read_in(sqlite_db, clock):
    world = make_world(sqlite_db, clock, timezone="Europe/Paris")
    world.agent()
    client = world.client()
    world.sign_in(client)

    html = client.get("/mentions?since=2026-01-05T08:00Z").get_data(as_text=True)

    assert '<label>Since (Europe/Paris)\n    <input type="datetime-local" name="since" value="2026-01-05T09:00">' in html
    assert "<label>Until (Europe/Paris)" in html

def test_the_page_links_to_older_posts_with_the_same_filters(world, client):
    for n in range(3):
        post(world, f"post {n}", minutes_ago=10 - n, handle=f"h{n}")

    html = client.get("/mentions?limit=2&spam=no").get_data(as_text=True)
    older = re.search(r'<a href="([^"]+)" rel="next">Older posts</a>', html).group(1).replace("&amp;", "&")
    html = client.get(older).get_data(as_text=True)

    assert page_posts(html) == ["post 0"]
    assert "spam=no" in older and "limit=2" in older
    assert '<a href="/mentions?spam=no&amp;limit=2">Newest</a>' in html


TEAMS = {"care": {}, "billing": {"topics": ["billing_or_refund"], "private": True}}


@pytest.fixture
def teams_world(db, clock):
    return make_world(db, clock, teams=TEAMS)


def agent_in(world, team, name, email, role="agent"):
    agent_id = world.agent(name, email, role=role)
    with world.db.transaction() as session:
        session.execute(update(Agent).where(Agent.id == agent_id).values(team=team))
    client = world.client()
    world.sign_in(client, email)
    return client, {"Authorization": f"Bearer {world.token(world.client(), email)}"}


def test_posts_on_a_private_teams_tickets_are_hidden_like_in_the_inbox(teams_world):
    world = teams_world
    billing = world.ticket("charged twice", handle="bill")
    with world.db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == billing).values(team="billing"))
    hidden = post(world, "and still no refund", minutes_ago=1, ticket_id=billing, handle="bill")
    world.ticket("parcel late", handle="pat")
    post(world, "loose post", minutes_ago=2, handle="lou")
    ada, ada_api = agent_in(world, "care", "Ada", "ada@example.com")
    bella, bella_api = agent_in(world, "billing", "Bella", "bella@example.com")
    grace, grace_api = agent_in(world, "care", "Grace", "grace@example.com", role="manager")

    assert listed(ada, ada_api) == ["parcel late", "loose post"]
    assert page_posts(ada.get("/mentions").get_data(as_text=True)) == ["parcel late", "loose post"]
    assert ada.post(f"/api/v1/mentions/{hidden}/ticket", headers=ada_api).status_code == 404
    everything = ["charged twice", "parcel late", "and still no refund", "loose post"]
    assert sorted(listed(bella, bella_api)) == sorted(everything)
    assert sorted(listed(grace, grace_api)) == sorted(everything)


def test_taking_a_post_raises_a_routed_ticket_with_who_and_why_and_a_correction(world, client, headers, ada):
    go_online(world, ada)
    missed = post(world, "my parcel arrived smashed, this is the second time", minutes_ago=30)

    response = client.post(f"/api/v1/mentions/{missed}/ticket", headers=headers,
                           json={"reason": "a damaged parcel, twice"})

    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    ticket_id = answer["ticket"]["id"]
    assert answer["raised"] is True and answer["mention_id"] == missed
    assert (answer["ticket"]["status"], answer["ticket"]["priority"]) == ("new", "normal")
    assert answer["ticket"]["assignee"]["email"] == "ada@example.com"
    raised, = world.events(ticket_id, "raised")
    taken, = world.events(ticket_id, "taken_into_ticket")
    assigned, = world.events(ticket_id, "assigned")
    assert raised.actor == taken.actor == "ada@example.com"
    assert taken.detail == {"raised": True, "reason": "a damaged parcel, twice"} and taken.mention_id == missed
    assert assigned.detail["reason"] == "least loaded"
    with world.db.sessions() as session:
        assert session.get(Mention, missed).ticket_id == ticket_id
        correction, = session.scalars(select(Correction))
        assert (correction.mention_id, correction.ticket_id, correction.agent_id) == (missed, ticket_id, ada)
        assert (correction.field, correction.original, correction.corrected) == ("needs_response", "False", "True")


def test_taking_a_post_threads_it_into_the_customers_open_ticket(world, client, headers):
    ticket = world.ticket("where is my order?", handle="maria")
    with world.db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket).values(
            status="pending", snoozed_until=world.clock.now() + timedelta(hours=2)))
    later = post(world, "still nothing, thanks a lot", customer_id=world.customer_of(ticket))

    response = client.post(f"/api/v1/mentions/{later}/ticket", headers=headers)

    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["raised"] is False and answer["ticket"]["id"] == ticket
    assert answer["ticket"]["status"] == "open" and answer["ticket"]["snoozed_until"] is None
    taken, = world.events(ticket, "taken_into_ticket")
    assert taken.detail == {"raised": False} and taken.actor == "ada@example.com"
    assert world.events(ticket, "raised") == []
    with world.db.sessions() as session:
        assert session.get(Mention, later).ticket_id == ticket
        assert session.scalars(select(Correction.corrected)).all() == ["True"]


@pytest.mark.postgres
def test_agents_taking_posts_at_the_same_moment_each_raise_their_ticket(postgres_db, clock):
    """The correction names its agent; written before the agents are locked
    for routing, it deadlocked one of two agents taking posts at once."""
    world = make_world(postgres_db, clock)
    agents = [("ada@example.com", "Ada"), ("bob@example.com", "Bob"), ("cy@example.com", "Cy")]
    tokens = []
    for email, name in agents:
        world.agent(name, email)
        tokens.append(api(world, world.client(), email))
    answers = []
    for round_ in range(8):
        posts = [post(world, f"round {round_}, post {n}", handle=f"h{round_}-{n}") for n in range(len(agents))]

        def take(n: int) -> None:
            answers.append(world.client().post(f"/api/v1/mentions/{posts[n]}/ticket", headers=tokens[n]).status_code)

        assert at_once(len(agents), take) == []
    assert answers == [201] * 8 * len(agents)
    with world.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 8 * len(agents)


def test_a_post_on_a_ticket_already_is_refused_naming_the_ticket(world, client, headers):
    ticket = world.ticket("my parcel is late")
    with world.db.sessions() as session:
        mention_id = session.scalar(select(Mention.id).where(Mention.ticket_id == ticket))

    response = client.post(f"/api/v1/mentions/{mention_id}/ticket", headers=headers, json={"reason": "again"})

    assert response.status_code == 409
    assert response.get_json()["error"] == {"status": 409, "message": f"the post is already on ticket {ticket}",
                                            "ticket_id": ticket}
    assert world.events(ticket, "taken_into_ticket") == []


def test_taking_refuses_an_unknown_post_and_a_bad_reason(world, client, headers):
    loose = post(world, "hello")
    assert client.post("/api/v1/mentions/999/ticket", headers=headers).status_code == 404
    assert client.post(f"/api/v1/mentions/{loose}/ticket", headers=headers, json={"reason": 5}).status_code == 400
    too_long = client.post(f"/api/v1/mentions/{loose}/ticket", headers=headers, json={"reason": "x" * 501})
    assert too_long.status_code == 400
    assert too_long.get_json()["error"]["message"] == "say why in at most 500 characters"
    with world.db.sessions() as session:
        assert session.get(Mention, loose).ticket_id is None
        assert session.scalars(select(Ticket)).all() == []


def test_the_page_takes_a_post_and_goes_back_to_the_same_listing(world, client):
    loose = post(world, "my heater is sparking <b>help</b>", sentiment="negative")

    response = client.post("/mentions/ticket", data={"mention": str(loose), "reason": "a harm",
                                                     "back": "/mentions?has_ticket=no"})

    assert response.status_code == 302 and response.location == "/mentions?has_ticket=no"
    html = client.get("/mentions").get_data(as_text=True)
    with world.db.sessions() as session:
        ticket_id = session.get(Mention, loose).ticket_id
    assert f"Raised ticket #{ticket_id} for Sam&#39;s post \u201cmy heater is sparking &lt;b&gt;help&lt;/b&gt;\u201d." in html
    assert f'<a href="/tickets/{ticket_id}">Ticket #{ticket_id}</a>' in html
    again = client.post("/mentions/ticket", data={"mention": str(loose), "back": "https://evil.example/"},
                        follow_redirects=True)
    assert f"Not taken into a ticket: the post is already on ticket {ticket_id}." in again.get_data(as_text=True)
    assert again.request.path == "/mentions"


def test_a_take_into_ticket_correction_is_a_positive_example_for_retraining(world, client, headers):
    missed = post(world, "box sparking and smoking, thanks for nothing")
    client.post(f"/api/v1/mentions/{missed}/ticket", headers=headers, json={"reason": "a harm"})

    with world.db.sessions() as session:
        examples = correction_examples(session).needs_response

    assert [(e.text, e.label, e.source) for e in examples] == [
        ("box sparking and smoking, thanks for nothing", "yes", "correction")]


def test_the_inbox_counts_the_posts_of_the_last_day_left_without_a_ticket(world, client):
    world.ticket("ticketed", handle="pat")
    post(world, "let pass one", minutes_ago=10)
    post(world, "let pass two", minutes_ago=60 * 23, handle="tim")
    post(world, "win a phone", reasons=SPAM, minutes_ago=5, handle="spammer")
    post(world, "the day before", minutes_ago=60 * 25, handle="old")

    html = client.get("/inbox").get_data(as_text=True)

    link = re.search(r'<a href="([^"]+)" id="left-without-ticket">2 posts in the last 24 h left without a ticket</a>',
                     html)
    assert link, html
    stream = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert page_posts(stream) == ["let pass one", "let pass two"]


def test_the_stream_knows_spam_by_the_scorers_reason():
    scorer = Scorer(load_settings(env={}).scoring)

    assert any(r.startswith(SPAM_REASON) for r in scorer.score("Giveaway: win a phone, details on my page").reasons)


def test_a_post_whose_customer_has_a_private_teams_open_ticket_is_neither_joined_to_it_nor_named(teams_world):
    world = teams_world
    billing = world.ticket("charged twice", handle="bill")
    with world.db.transaction() as session:
        session.execute(update(Ticket).where(Ticket.id == billing).values(team="billing"))
    loose = post(world, "and still no refund", customer_id=world.customer_of(billing))
    ada, ada_api = agent_in(world, "care", "Ada", "ada@example.com")
    grace, grace_api = agent_in(world, "care", "Grace", "grace@example.com", role="manager")

    refused = ada.post(f"/api/v1/mentions/{loose}/ticket", headers=ada_api)
    page = ada.post("/mentions/ticket", data={"mention": str(loose)}, follow_redirects=True).get_data(as_text=True)

    assert refused.status_code == 409
    assert refused.get_json()["error"] == {
        "status": 409, "message": "the customer has an open ticket with a private team you do not see; "
                                  "ask that team or a manager to take the post"}
    assert "Not taken into a ticket: the customer has an open ticket with a private team" in page
    assert str(billing) not in str(refused.get_json())
    with world.db.sessions() as session:
        assert session.get(Mention, loose).ticket_id is None
        assert session.scalars(select(Correction)).all() == []
    assert world.events(billing, "taken_into_ticket") == []
    joined = grace.post(f"/api/v1/mentions/{loose}/ticket", headers=grace_api)
    assert joined.status_code == 200 and joined.get_json()["ticket"]["id"] == billing
