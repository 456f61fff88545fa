"""The emulator's X API and control endpoints, spoken to over plain HTTP."""

import math
import re
import time

import pytest
import requests


BRAND_ID = "1600000000000000001"
BEARER = {"Authorization": "Bearer app-only-token"}
OAUTH = {"Authorization": 'OAuth oauth_consumer_key="ck", oauth_signature="anything"'}
ALL_FIELDS = {"expansions": "author_id", "user.fields": "public_metrics,verified",
              "tweet.fields": "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,"
                              "public_metrics"}


def add_post(server, text="my order is late", handle="maple_rider", **extra):
    body = {"author": {"handle": handle, "name": "Maple Rider", "followers": 312}, "text": text, **extra}
    response = requests.post(f"{server.url}/_emulator/x/posts", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def api(server, path, headers=BEARER, **params):
    return requests.get(f"{server.url}{path}", params=params, headers=headers, timeout=5)


def post_tweet(server, body, headers=OAUTH):
    return requests.post(f"{server.url}/2/tweets", json=body, headers=headers, timeout=5)


def mentions(server, **params):
    return api(server, f"/2/users/{BRAND_ID}/mentions", **params)


def search(server, query, **params):
    return api(server, "/2/tweets/search/recent", query=query, **params)


def test_it_reports_its_health(emulator):
    assert requests.get(f"{emulator.url}/_emulator/health", timeout=5).json() == {"ok": True}


def test_it_describes_the_brand_account(emulator):
    assert api(emulator, "/2/users/me").json() == {"data": {"id": BRAND_ID, "name": "Acme", "username": "acme"}}


@pytest.mark.parametrize("path", [
    "/2/users/me", f"/2/users/{BRAND_ID}/mentions", "/2/tweets/search/recent?query=acme",
    f"/2/users/{BRAND_ID}/tweets",
])
def test_it_refuses_api_calls_without_credentials(emulator, path):
    response = requests.get(f"{emulator.url}{path}", timeout=5)

    assert response.status_code == 401
    assert response.json() == {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank",
                               "status": 401}


def test_it_returns_only_the_default_fields_unless_asked(emulator):
    add_post(emulator)

    body = mentions(emulator).json()

    assert set(body["data"][0]) == {"id", "text", "edit_history_tweet_ids"}
    assert "includes" not in body


def test_it_returns_the_fields_and_authors_asked_for(emulator):
    first = add_post(emulator, "is this thing on")
    second = add_post(emulator, "hello again", handle="tinkerjune", in_reply_to=first)

    body = mentions(emulator, **ALL_FIELDS).json()

    reply = body["data"][0]
    assert reply["id"] == second
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": first}]
    assert reply["conversation_id"] == first
    assert reply["in_reply_to_user_id"] == body["includes"]["users"][1]["id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", reply["created_at"])
    assert "referenced_tweets" not in body["data"][1]
    users = {u["username"]: u for u in body["includes"]["users"]}
    assert users["maple_rider"]["public_metrics"]["followers_count"] == 312
    assert users["tinkerjune"]["verified"] is False
    assert body["meta"] == {"newest_id": second, "oldest_id": first, "result_count": 2}


def test_it_answers_an_empty_timeline_with_only_a_count(emulator):
    assert mentions(emulator).json() == {"meta": {"result_count": 0}}


def test_it_gives_increasing_numeric_ids(emulator):
    ids = [add_post(emulator, f"post {n}") for n in range(3)]

    assert ids[0] == "1900000000000000001"
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    assert len(set(ids)) == 3


def test_it_pages_mentions_newest_first_and_honours_since_id(emulator):
    ids = [add_post(emulator, f"post {n}") for n in range(12)]

    first = mentions(emulator, max_results=5, since_id=ids[1]).json()
    second = mentions(emulator, max_results=5, since_id=ids[1],
                      pagination_token=first["meta"]["next_token"]).json()

    assert [t["id"] for t in first["data"]] == ids[:1:-1][:5]
    assert [t["id"] for t in second["data"]] == ids[:1:-1][5:]
    assert "next_token" not in second["meta"]


@pytest.mark.parametrize("path, params", [
    (f"/2/users/{BRAND_ID}/mentions", {"max_results": 4}),
    (f"/2/users/{BRAND_ID}/mentions", {"max_results": 101}),
    (f"/2/users/{BRAND_ID}/mentions", {"since_id": "yesterday"}),
    (f"/2/users/{BRAND_ID}/mentions", {"pagination_token": "not-a-token"}),
    (f"/2/users/{BRAND_ID}/mentions", {"next_token": "tk1"}),
    (f"/2/users/{BRAND_ID}/mentions", {"tweet.fields": "created_at,mood"}),
    ("/2/tweets/search/recent", {"query": "acme", "max_results": 9}),
    ("/2/tweets/search/recent", {"query": "acme", "pagination_token": "tk1"}),
    ("/2/tweets/search/recent", {"query": "   "}),
    ("/2/tweets/search/recent", {}),
    ("/2/tweets/search/recent", {"query": "(acme OR"}),
])
def test_it_refuses_bad_query_parameters(emulator, path, params):
    response = api(emulator, path, **params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("query, expected", [
    ("kettle", ["kettle leaks", "Kettle and toaster broke"]),
    ("kettle toaster", ["Kettle and toaster broke"]),
    ("kettle -toaster", ["kettle leaks"]),
    ("leaks OR blender", ["kettle leaks", "blender is great"]),
    ('"toaster broke" lang:en -is:retweet', ["Kettle and toaster broke"]),
    ("from:tinkerjune", ["blender is great"]),
])
def test_it_searches_texts_with_simple_operators(emulator, query, expected):
    add_post(emulator, "kettle leaks")
    add_post(emulator, "Kettle and toaster broke")
    add_post(emulator, "blender is great", handle="tinkerjune")

    body = search(emulator, query).json()

    texts = [t["text"].removeprefix("@acme ") for t in body.get("data", [])]
    assert sorted(texts) == sorted(expected)


def test_it_finds_the_brands_replies_in_its_timeline(emulator):
    question = add_post(emulator)
    reply = post_tweet(emulator, {"text": "On it!", "reply": {"in_reply_to_tweet_id": question}}).json()

    body = api(emulator, f"/2/users/{BRAND_ID}/tweets", **{"tweet.fields": "referenced_tweets"}).json()

    reply_id = reply["data"]["id"]
    assert body["data"] == [{"id": reply_id, "text": "On it!", "edit_history_tweet_ids": [reply_id],
                             "referenced_tweets": [{"type": "replied_to", "id": question}]}]


def test_it_escapes_entities_in_api_texts_but_not_in_the_control_listing(emulator):
    add_post(emulator, "fish & chips <3")

    assert mentions(emulator).json()["data"][0]["text"] == "@acme fish &amp; chips &lt;3"
    listing = requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]
    assert listing[0]["text"] == "@acme fish & chips <3"


def test_it_posts_a_reply_as_the_brand_in_the_parents_conversation(emulator):
    question = add_post(emulator)

    response = post_tweet(emulator, {"text": "Sorry! DM us.", "reply": {"in_reply_to_tweet_id": question}})

    assert response.status_code == 201
    new_id = response.json()["data"]["id"]
    listing = requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]
    assert listing[-1] == {**listing[-1], "id": new_id, "in_reply_to": question, "conversation_id": question,
                           "by_brand": True}
    assert listing[-1]["author"]["id"] == BRAND_ID


def test_it_refuses_posting_with_an_app_only_token(emulator):
    question = add_post(emulator)

    response = post_tweet(emulator, {"text": "hi", "reply": {"in_reply_to_tweet_id": question}}, headers=BEARER)

    assert response.status_code == 403
    assert "Application-Only is forbidden" in response.json()["detail"]


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "   "}, {}, {"text": "x" * 281},
                                  {"text": "hi", "reply": {"in_reply_to_tweet_id": 42}}])
def test_it_refuses_a_post_without_valid_text_or_parent(emulator, body):
    response = post_tweet(emulator, body)

    assert response.status_code == 400
    assert response.json()["detail"]


def test_it_refuses_a_reply_to_a_deleted_post(emulator):
    question = add_post(emulator)
    assert requests.delete(f"{emulator.url}/_emulator/x/posts/{question}", timeout=5).status_code == 200

    response = post_tweet(emulator, {"text": "hi", "reply": {"in_reply_to_tweet_id": question}})

    assert response.status_code == 403
    assert response.json()["detail"] == "You attempted to reply to a Tweet that is deleted or not visible to you."
    assert mentions(emulator).json() == {"meta": {"result_count": 0}}


def test_it_says_when_a_deleted_post_does_not_exist(emulator):
    assert requests.delete(f"{emulator.url}/_emulator/x/posts/123", timeout=5).status_code == 404


def test_it_prefixes_the_brand_handle_only_when_missing(emulator):
    add_post(emulator, "no mention here")
    add_post(emulator, "dear @ACME, hello")

    texts = [p["text"] for p in requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]]

    assert texts == ["@acme no mention here", "dear @ACME, hello"]


def test_it_keeps_one_user_per_handle(emulator):
    add_post(emulator, "one", handle="tinkerjune")
    add_post(emulator, "two", handle="TinkerJune")

    listing = requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]

    assert listing[0]["author"]["id"] == listing[1]["author"]["id"]


@pytest.mark.parametrize("body, message", [
    ("not json", "JSON object"),
    ({"text": "no author"}, "author"),
    ({"author": {"handle": "has space"}, "text": "hi"}, "author.handle"),
    ({"author": {"handle": "acme"}, "text": "hi"}, "brand"),
    ({"author": {"handle": "jo", "followers": -1}, "text": "hi"}, "author.followers"),
    ({"author": {"handle": "jo"}, "text": ""}, "text"),
    ({"author": {"handle": "jo"}, "text": "hi", "in_reply_to": "1900000000000009999"}, "in_reply_to"),
])
def test_it_refuses_a_bad_control_post(emulator, body, message):
    if isinstance(body, str):
        response = requests.post(f"{emulator.url}/_emulator/x/posts", data=body, timeout=5)
    else:
        response = requests.post(f"{emulator.url}/_emulator/x/posts", json=body, timeout=5)

    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize("body, message", [
    ({"platform": "myspace", "status": 500}, "platform"),
    ({"platform": "x", "status": 404}, "status"),
    ({"platform": "x", "status": True}, "status"),
    ({"platform": "x", "status": 500, "count": 0}, "count"),
    ({"platform": "x", "status": 429, "retry_after": "soon"}, "retry_after"),
    ({"platform": "x", "status": "timeout", "seconds": 1000}, "seconds"),
    ([], "JSON object"),
])
def test_it_refuses_a_bad_fault(emulator, body, message):
    response = requests.post(f"{emulator.url}/_emulator/faults", json=body, timeout=5)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert requests.get(f"{emulator.url}/_emulator/faults", timeout=5).json() == {"faults": []}


def test_it_fails_exactly_the_next_calls_it_was_told_to(emulator):
    requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "x", "status": 503, "count": 2}, timeout=5)

    statuses = [api(emulator, "/2/users/me").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_it_sends_rate_limit_headers_with_a_429(emulator):
    requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "x", "status": 429, "retry_after": 90},
                  timeout=5)

    before = time.time()
    response = mentions(emulator)
    after = time.time()

    assert response.status_code == 429
    assert response.headers["x-rate-limit-remaining"] == "0"
    assert math.ceil(before + 90) <= int(response.headers["x-rate-limit-reset"]) <= math.ceil(after + 90)
    assert response.json()["title"] == "Too Many Requests"


def test_it_sends_rate_limit_headers_with_every_answer(emulator):
    first, second = mentions(emulator), mentions(emulator)

    assert int(first.headers["x-rate-limit-limit"]) > 0
    assert int(second.headers["x-rate-limit-remaining"]) == int(first.headers["x-rate-limit-remaining"]) - 1
    assert int(first.headers["x-rate-limit-reset"]) > time.time()


def test_it_lists_and_clears_pending_faults(emulator):
    requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "x", "status": 500, "count": 3}, timeout=5)

    listed = requests.get(f"{emulator.url}/_emulator/faults", timeout=5).json()["faults"]
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5)

    assert [(f["platform"], f["status"], f["count"]) for f in listed] == [("x", 500, 3)]
    assert api(emulator, "/2/users/me").status_code == 200


def test_it_logs_the_api_calls_it_received(emulator):
    mentions(emulator, since_id="1900000000000000005", max_results=5)

    calls = requests.get(f"{emulator.url}/_emulator/x/requests", timeout=5).json()["requests"]

    assert calls[-1]["method"] == "GET"
    assert calls[-1]["path"] == f"/2/users/{BRAND_ID}/mentions"
    assert calls[-1]["params"] == {"since_id": "1900000000000000005", "max_results": "5"}


def test_a_fault_rate_fails_about_that_share_of_calls_until_cleared(emulator):
    set_rate = requests.post(f"{emulator.url}/_emulator/faults", timeout=5, json={
        "platform": "*", "rate": 0.5, "statuses": [500, 503], "retry_after": 1})
    assert set_rate.status_code == 201
    statuses = [requests.get(f"{emulator.url}/2/users/me", headers=BEARER, timeout=5).status_code
                for _ in range(200)]
    failed = sum(s in (500, 503) for s in statuses)
    assert 60 <= failed <= 140
    assert set(statuses) <= {200, 500, 503}
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5)
    assert all(requests.get(f"{emulator.url}/2/users/me", headers=BEARER, timeout=5).status_code == 200
               for _ in range(20))


@pytest.mark.parametrize("body, message", [
    ({"platform": "*", "rate": 1.5, "statuses": [500]}, "rate must be a number from 0 to 1"),
    ({"platform": "x", "rate": 0.2, "statuses": []}, "statuses must be a non-empty list"),
    ({"platform": "x", "rate": 0.2, "statuses": [418]}, "statuses must be a non-empty list"),
    ({"platform": "*", "status": 500, "count": 1}, "unknown platform '*'"),
])
def test_a_bad_fault_rate_is_refused(emulator, body, message):
    response = requests.post(f"{emulator.url}/_emulator/faults", json=body, timeout=5)
    assert response.status_code == 400
    assert message in response.json()["error"]
