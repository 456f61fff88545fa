"""The emulator's review feeds, reply API and control endpoints, spoken to over plain HTTP."""

import xml.etree.ElementTree as ET

import pytest
import requests

from tests.connectors.emulated import add_fault

REVIEW_NS = "{https://example.com/ns/review/1.0}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"
BEARER = {"Authorization": "Bearer any-token"}


def add_review(server, text="the kettle leaks", rating=2, name="Wren Halloway", **extra) -> str:
    body = {"author": {"name": name}, "rating": rating, "text": text, **extra}
    response = requests.post(f"{server.url}/_emulator/reviews/posts", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def feed(server, name, headers=None, **params):
    return requests.get(f"{server.url}/reviews/{name}", params=params, headers=headers or {}, timeout=5)


def reply(server, review_id, text="Thanks for telling us.", headers=BEARER):
    return requests.post(f"{server.url}/reviews/{review_id}/replies", json={"text": text}, headers=headers,
                         timeout=5)


def listing(server) -> list[dict]:
    return requests.get(f"{server.url}/_emulator/reviews/posts", timeout=5).json()["posts"]



def test_it_serves_rss_with_the_rating_and_author_id_in_the_review_namespace(emulator):
    older = add_review(emulator, "dented", rating=2, title="Dented", created_at="2026-01-05T09:00:00+01:00")
    newer = add_review(emulator, "lovely", rating=5, name="Pip Marlowe")

    response = feed(emulator, "feed.xml")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    items = ET.fromstring(response.content).findall("channel/item")
    assert [i.findtext("guid") for i in items] == [newer, older]
    assert items[1].findtext("title") == "Dented"
    assert items[1].findtext("description") == "dented"
    assert items[1].findtext("pubDate") == "Mon, 05 Jan 2026 08:00:00 GMT"
    assert items[1].findtext(f"{REVIEW_NS}rating") == "2"
    assert items[1].findtext(f"{REVIEW_NS}author_id") == "reviewer-1"
    assert items[0].findtext(f"{REVIEW_NS}author_id") == "reviewer-2"
    assert items[1].findtext("link") == f"{emulator.url}/reviews/{older}"


def test_it_serves_atom_with_bare_ids_and_the_reviewers_uri(emulator):
    review = add_review(emulator, "boils fast", rating=4, created_at="2026-01-06T10:30:00Z")

    response = feed(emulator, "feed.atom")

    assert response.headers["Content-Type"].startswith("application/atom+xml")
    entry = ET.fromstring(response.content).find(f"{ATOM_NS}entry")
    assert entry.findtext(f"{ATOM_NS}id") == review
    assert entry.findtext(f"{ATOM_NS}published") == "2026-01-06T10:30:00.000Z"
    assert entry.findtext(f"{ATOM_NS}author/{ATOM_NS}name") == "Wren Halloway"
    assert entry.findtext(f"{ATOM_NS}author/{ATOM_NS}uri") == f"{emulator.url}/reviewers/reviewer-1"
    assert entry.findtext(f"{ATOM_NS}content") == "boils fast"
    assert entry.findtext(f"{REVIEW_NS}rating") == "4"


def test_it_serves_a_json_feed_with_the_review_extension(emulator):
    review = add_review(emulator, "too loud", rating=3, title="Loud")

    body = feed(emulator, "feed.json").json()

    assert body["version"] == "https://jsonfeed.org/version/1.1"
    item = body["items"][0]
    assert item["id"] == review
    assert item["title"] == "Loud"
    assert item["content_text"] == "too loud"
    assert item["authors"] == [{"name": "Wren Halloway"}]
    assert item["_review"] == {"rating": 3, "author_id": "reviewer-1"}


def test_it_serves_the_feeds_without_credentials_newest_first(emulator):
    ids = [add_review(emulator, f"review {n}", created_at=f"2026-01-0{n}T08:00:00Z") for n in (3, 1, 2)]

    body = feed(emulator, "feed.json").json()

    assert [item["id"] for item in body["items"]] == [ids[0], ids[2], ids[1]]


def test_it_serves_at_most_fifty_entries_or_the_limit_asked(emulator):
    ids = [add_review(emulator, f"review {n}") for n in range(55)]

    assert len(feed(emulator, "feed.json").json()["items"]) == 50
    assert [i["id"] for i in feed(emulator, "feed.json", limit=3).json()["items"]] == ids[:-4:-1]
    assert len(ET.fromstring(feed(emulator, "feed.xml", limit=2).content).findall("channel/item")) == 2


@pytest.mark.parametrize("limit", ["0", "51", "ten", "-1"])
def test_it_refuses_a_bad_limit(emulator, limit):
    response = feed(emulator, "feed.atom", limit=limit)

    assert response.status_code == 400
    assert "limit must be" in response.text


@pytest.mark.parametrize("name", ["feed.xml", "feed.atom", "feed.json"])
def test_it_answers_a_matching_conditional_request_with_304(emulator, name):
    add_review(emulator)
    first = feed(emulator, name)

    by_etag = feed(emulator, name, {"If-None-Match": first.headers["ETag"]})
    by_date = feed(emulator, name, {"If-Modified-Since": first.headers["Last-Modified"]})

    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_etag.headers["ETag"] == first.headers["ETag"]
    assert by_date.status_code == 304


def test_it_answers_in_full_once_the_feed_has_changed(emulator):
    add_review(emulator)
    first = feed(emulator, "feed.xml")
    add_review(emulator, "another one")

    second = feed(emulator, "feed.xml", {"If-None-Match": first.headers["ETag"]})

    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    assert len(ET.fromstring(second.content).findall("channel/item")) == 2


@pytest.mark.parametrize("path", ["/reviews/feed.xml", "/reviews/feed.json"])
def test_it_applies_a_rate_limit_fault_to_the_feeds_with_retry_after(emulator, path):
    add_fault(emulator, "reviews", status=429, retry_after=42.5)

    response = requests.get(f"{emulator.url}{path}", timeout=5)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "43"
    assert requests.get(f"{emulator.url}{path}", timeout=5).status_code == 200


def test_it_applies_faults_to_the_reply_api_as_json(emulator):
    review = add_review(emulator)
    add_fault(emulator, "reviews", status=503)

    response = reply(emulator, review)

    assert response.status_code == 503
    assert response.json() == {"error": "Service Unavailable"}
    assert [p for p in listing(emulator) if p["kind"] == "reply"] == []


def test_it_posts_and_lists_the_brands_replies(emulator):
    review = add_review(emulator)

    posted = reply(emulator, review, "Sorry! A new kettle is on its way.")
    replies = requests.get(f"{emulator.url}/reviews/{review}/replies", headers=BEARER, timeout=5).json()

    assert posted.status_code == 201
    new = posted.json()
    assert set(new) == {"id", "url"}
    assert new["url"] == f"{emulator.url}/reviews/{review}#reply-{new['id']}"
    assert [(r["id"], r["text"], r["url"]) for r in replies["replies"]] == [
        (new["id"], "Sorry! A new kettle is on its way.", new["url"])]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}])
def test_it_wants_a_bearer_token_for_the_reply_api(emulator, headers):
    review = add_review(emulator)

    posted = reply(emulator, review, headers=headers)
    listed = requests.get(f"{emulator.url}/reviews/{review}/replies", headers=headers, timeout=5)

    assert posted.status_code == 401 and listed.status_code == 401
    assert "Bearer" in posted.json()["error"]


def test_it_answers_404_for_an_unknown_or_deleted_review(emulator):
    review = add_review(emulator)
    requests.delete(f"{emulator.url}/_emulator/reviews/posts/{review}", timeout=5)

    for review_id in (review, "4999999"):
        posted = reply(emulator, review_id)
        listed = requests.get(f"{emulator.url}/reviews/{review_id}/replies", headers=BEARER, timeout=5)
        assert posted.status_code == 404 and listed.status_code == 404
        assert posted.json() == {"error": f"review {review_id} does not exist or was deleted"}


@pytest.mark.parametrize("text", ["", "   ", 42, "x" * 4001])
def test_it_refuses_a_reply_without_valid_text(emulator, text):
    review = add_review(emulator)

    response = reply(emulator, review, text)

    assert response.status_code == 400
    assert response.json()["error"]


def test_it_lists_reviews_and_replies_oldest_first(emulator):
    review = add_review(emulator, "lid broke", rating=1, title="Broken", created_at="2026-01-05T09:00:00Z")
    answer = reply(emulator, review, "We are on it.").json()["id"]

    posts = listing(emulator)

    assert posts[0] == {"id": review, "kind": "review", "title": "Broken", "text": "lid broke", "rating": 1,
                        "author": {"id": "reviewer-1", "name": "Wren Halloway"}, "in_reply_to": None,
                        "created_at": "2026-01-05T09:00:00.000Z", "by_brand": False}
    assert {k: posts[1][k] for k in ("id", "kind", "text", "in_reply_to", "by_brand")} == {
        "id": answer, "kind": "reply", "text": "We are on it.", "in_reply_to": review, "by_brand": True}
    assert posts[1]["author"]["name"] == "Acme"


def test_it_gives_one_reviewer_one_id(emulator):
    add_review(emulator, "first", name="Pip Marlowe")
    add_review(emulator, "second", name="pip marlowe")
    add_review(emulator, "third", name="Juno Ashgrove")

    assert [p["author"]["id"] for p in listing(emulator)] == ["reviewer-1", "reviewer-1", "reviewer-2"]


@pytest.mark.parametrize("body, message", [
    ([], "the body must be a JSON object"),
    ({"rating": 3, "text": "hi"}, "author must be an object"),
    ({"author": {"name": " "}, "rating": 3, "text": "hi"}, "author must be an object"),
    ({"author": "Wren", "rating": 3, "text": "hi"}, "author must be an object"),
    ({"author": {"name": "Wren"}, "text": "hi"}, "rating must be"),
    ({"author": {"name": "Wren"}, "rating": 0, "text": "hi"}, "rating must be"),
    ({"author": {"name": "Wren"}, "rating": 6, "text": "hi"}, "rating must be"),
    ({"author": {"name": "Wren"}, "rating": 4.5, "text": "hi"}, "rating must be"),
    ({"author": {"name": "Wren"}, "rating": True, "text": "hi"}, "rating must be"),
    ({"author": {"name": "Wren"}, "rating": 3}, "text must be"),
    ({"author": {"name": "Wren"}, "rating": 3, "text": "  "}, "text must be"),
    ({"author": {"name": "Wren"}, "rating": 3, "text": "hi", "title": 7}, "title must be"),
    ({"author": {"name": "Wren"}, "rating": 3, "text": "hi", "created_at": "2026-01-05T09:00:00"}, "created_at"),
    ({"author": {"name": "Wren"}, "rating": 3, "text": "hi", "created_at": "yesterday"}, "created_at"),
])
def test_it_refuses_a_bad_review(emulator, body, message):
    response = requests.post(f"{emulator.url}/_emulator/reviews/posts", json=body, timeout=5)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert listing(emulator) == []


def test_it_deletes_a_review_from_the_feeds_with_its_replies(emulator):
    kept = add_review(emulator, "keep me")
    gone = add_review(emulator, "delete me")
    reply(emulator, gone)

    response = requests.delete(f"{emulator.url}/_emulator/reviews/posts/{gone}", timeout=5)

    assert response.status_code == 200
    assert [item["id"] for item in feed(emulator, "feed.json").json()["items"]] == [kept]
    assert [p["id"] for p in listing(emulator)] == [kept]


def test_it_refuses_to_delete_an_unknown_post(emulator):
    response = requests.delete(f"{emulator.url}/_emulator/reviews/posts/4999999", timeout=5)

    assert response.status_code == 404
    assert "does not exist" in response.json()["error"]


def test_it_logs_the_api_calls_it_receives(emulator):
    review = add_review(emulator)
    feed(emulator, "feed.xml", limit=5)
    reply(emulator, review)

    calls = requests.get(f"{emulator.url}/_emulator/reviews/requests", timeout=5).json()["requests"]

    assert [(c["method"], c["path"], c["params"]) for c in calls] == [
        ("GET", "/reviews/feed.xml", {"limit": "5"}), ("POST", f"/reviews/{review}/replies", {})]
