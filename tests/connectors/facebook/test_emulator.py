"""The emulator's Graph API and Facebook control endpoints, spoken to over plain HTTP."""

import json
import threading
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from werkzeug.serving import make_server

from connectors.facebook.webhook import parse_webhook, signature_is_valid
from tests.connectors.emulated import add_fault

PAGE_ID = "1010"
TOKEN = {"access_token": "page-token"}
BEARER = {"Authorization": "Bearer page-token"}


def add(server, text="my order is late", kind="post", name="Maple Rider", **extra):
    body = {"kind": kind, "author": {"name": name}, "text": text, **extra}
    response = requests.post(f"{server.url}/_emulator/facebook/posts", json=body, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def graph(server, path, **params):
    return requests.get(f"{server.url}/v19.0/{path}", params={**TOKEN, **params}, timeout=5)


def comment(server, object_id, message, **extra):
    return requests.post(f"{server.url}/v19.0/{object_id}/comments", data={**TOKEN, "message": message, **extra},
                         timeout=5)


def control(server, method, path, **kwargs):
    return requests.request(method, f"{server.url}/_emulator/facebook{path}", timeout=10, **kwargs)



def error_of(response) -> dict:
    return response.json()["error"]


@pytest.fixture
def receiver():
    """A webhook endpoint on this machine that records what it is sent."""
    state = SimpleNamespace(received=[], status=200)

    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        state.received.append(SimpleNamespace(body=body, signature=environ.get("HTTP_X_HUB_SIGNATURE_256"),
                                              content_type=environ.get("CONTENT_TYPE")))
        start_response(f"{state.status} Answer", [("Content-Type", "text/plain")])
        return [b"received"]

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/webhooks/facebook"
    yield state
    server.shutdown()
    thread.join()
    server.server_close()


def test_it_describes_the_page(emulator):
    assert graph(emulator, "me").json() == {"id": PAGE_ID, "name": "Acme"}


@pytest.mark.parametrize("path", ["me", f"{PAGE_ID}/feed", f"{PAGE_ID}/ratings", "1010_2000001/comments"])
def test_it_refuses_api_calls_without_a_token(emulator, path):
    response = requests.get(f"{emulator.url}/v19.0/{path}", timeout=5)

    assert response.status_code == 400
    assert error_of(response)["code"] == 104
    assert error_of(response)["type"] == "OAuthException"


def test_it_takes_the_token_from_the_query_a_form_or_a_bearer_header(emulator):
    post = add(emulator)

    assert requests.get(f"{emulator.url}/v19.0/me", headers=BEARER, timeout=5).status_code == 200
    assert requests.get(f"{emulator.url}/v19.0/me", params=TOKEN, timeout=5).status_code == 200
    assert requests.post(f"{emulator.url}/v19.0/{post}/comments", data={**TOKEN, "message": "hi"},
                         timeout=5).status_code == 200
    assert requests.post(f"{emulator.url}/v19.0/{post}/comments", data={"message": "hi"},
                         timeout=5).status_code == 400


def test_it_returns_one_object_with_the_fields_asked_for(emulator):
    post = add(emulator, "the lid cracked")
    first = add(emulator, "mine too", kind="comment", in_reply_to=post)
    reply = add(emulator, "which model?", kind="comment", in_reply_to=first)

    assert graph(emulator, reply, fields="id,parent").json()["parent"]["id"] == first
    assert graph(emulator, post).json()["message"] == "the lid cracked"
    assert "nonexisting field (parent)" in error_of(graph(emulator, post, fields="parent"))["message"]
    assert error_of(graph(emulator, "1010_404"))["error_subcode"] == 33


def test_it_answers_under_any_graph_version(emulator):
    assert requests.get(f"{emulator.url}/v2.8/me", headers=BEARER, timeout=5).status_code == 200
    assert requests.get(f"{emulator.url}/v21.0/me", headers=BEARER, timeout=5).status_code == 200
    assert requests.get(f"{emulator.url}/v21/me", headers=BEARER, timeout=5).status_code == 404


def test_it_answers_an_unknown_path_like_graph(emulator):
    response = graph(emulator, f"{PAGE_ID}/posts")

    assert response.status_code == 400
    assert error_of(response)["code"] == 2500


def test_it_returns_only_the_default_fields_unless_asked(emulator):
    add(emulator)

    post = graph(emulator, f"{PAGE_ID}/feed").json()["data"][0]

    assert set(post) == {"id", "message", "created_time"}
    assert post["created_time"].endswith("+0000")


def test_it_returns_the_fields_asked_for(emulator):
    post_id = add(emulator, "is this thing on", name="Tinker June")

    post = graph(emulator, f"{PAGE_ID}/feed", fields="id,from{id,name},permalink_url").json()["data"][0]

    assert post == {"id": post_id, "from": {"name": "Tinker June", "id": post["from"]["id"]},
                    "permalink_url": f"https://www.facebook.com/1010/posts/{post_id.split('_')[1]}"}


def test_it_refuses_a_field_that_does_not_exist(emulator):
    response = graph(emulator, f"{PAGE_ID}/feed", fields="id,mood")

    assert response.status_code == 400
    assert error_of(response)["code"] == 100
    assert "nonexisting field (mood)" in error_of(response)["message"]


def test_it_pages_with_after_cursors_and_leaves_next_off_the_last_page(emulator):
    created = [add(emulator, f"post {n}") for n in range(5)]

    first = graph(emulator, f"{PAGE_ID}/feed", limit=2).json()
    second = requests.get(first["paging"]["next"], timeout=5).json()
    third = graph(emulator, f"{PAGE_ID}/feed", limit=2, after=second["paging"]["cursors"]["after"]).json()

    ids = [p["id"] for page in (first, second, third) for p in page["data"]]
    assert ids == created[::-1]
    assert parse_qs(urlparse(first["paging"]["next"]).query)["after"] == [first["paging"]["cursors"]["after"]]
    assert "next" in second["paging"]
    assert "next" not in third["paging"]
    assert set(third["paging"]["cursors"]) == {"before", "after"}


def test_it_pages_back_with_a_before_cursor(emulator):
    created = [add(emulator, f"post {n}") for n in range(4)]
    second = graph(emulator, f"{PAGE_ID}/feed", limit=2, after=graph(emulator, f"{PAGE_ID}/feed", limit=2)
                   .json()["paging"]["cursors"]["after"]).json()

    back = graph(emulator, f"{PAGE_ID}/feed", limit=2, before=second["paging"]["cursors"]["before"]).json()

    assert [p["id"] for p in back["data"]] == created[:1:-1]


def test_it_refuses_a_cursor_it_did_not_make(emulator):
    response = graph(emulator, f"{PAGE_ID}/feed", after="not-a-cursor")

    assert response.status_code == 400
    assert error_of(response)["code"] == 100


def test_it_filters_the_feed_by_time(emulator):
    now = int(time.time())
    old = add(emulator, "old", created_time=now - 3600)
    middle = add(emulator, "middle", created_time=now - 1800)
    new = add(emulator, "new")

    since = graph(emulator, f"{PAGE_ID}/feed", since=now - 1800).json()["data"]
    until = graph(emulator, f"{PAGE_ID}/feed", until=now - 1800).json()["data"]

    assert [p["id"] for p in since] == [new, middle]
    assert [p["id"] for p in until] == [middle, old]
    assert graph(emulator, f"{PAGE_ID}/feed", since="yesterday").status_code == 400


def test_it_dates_a_post_updated_when_it_is_commented_on(emulator):
    post = add(emulator, "hello", created_time=int(time.time()) - 3600)
    add(emulator, "a comment", kind="comment", in_reply_to=post)

    listed = graph(emulator, f"{PAGE_ID}/feed", fields="created_time,updated_time").json()["data"][0]

    assert listed["updated_time"] > listed["created_time"]


def test_it_lists_top_level_comments_or_the_whole_stream(emulator):
    post = add(emulator, "the lid cracked")
    first = add(emulator, "mine too", kind="comment", in_reply_to=post)
    reply = add(emulator, "which model?", kind="comment", in_reply_to=first, name="Oskar")
    second = add(emulator, "same here", kind="comment", in_reply_to=post)

    toplevel = graph(emulator, f"{post}/comments").json()["data"]
    stream = graph(emulator, f"{post}/comments", filter="stream", order="reverse_chronological",
                   fields="id,parent").json()["data"]

    assert [c["id"] for c in toplevel] == [first, second]
    assert set(toplevel[0]) == {"id", "message", "from", "created_time"}
    assert [c["id"] for c in stream] == [second, reply, first]
    assert stream[1]["parent"]["id"] == first
    assert "parent" not in stream[0]


def test_it_lists_the_replies_to_a_comment(emulator):
    post = add(emulator, "the lid cracked")
    first = add(emulator, "mine too", kind="comment", in_reply_to=post)
    reply = add(emulator, "which model?", kind="comment", in_reply_to=first)

    assert [c["id"] for c in graph(emulator, f"{first}/comments").json()["data"]] == [reply]


@pytest.mark.parametrize("params", [{"filter": "everything"}, {"order": "ranked"}, {"limit": "0"},
                                    {"limit": "many"}])
def test_it_refuses_a_bad_comments_parameter(emulator, params):
    post = add(emulator)

    response = graph(emulator, f"{post}/comments", **params)

    assert response.status_code == 400
    assert error_of(response)["code"] == 100


def test_it_posts_a_comment_as_the_page(emulator):
    post = add(emulator, "where is my parcel")

    response = comment(emulator, post, "We are looking into it!")

    assert response.status_code == 200
    comment_id = response.json()["id"]
    assert set(response.json()) == {"id"}
    listed = control(emulator, "GET", "/posts").json()["posts"]
    assert listed[-1] == {"id": comment_id, "kind": "comment", "text": "We are looking into it!",
                          "author": {"id": PAGE_ID, "name": "Acme"}, "in_reply_to": post, "post_id": post,
                          "created_at": listed[-1]["created_at"], "by_brand": True, "hidden": False,
                          "liked": False}


@pytest.mark.parametrize("message", ["", "   ", "x" * 8001])
def test_it_refuses_an_empty_or_overlong_comment(emulator, message):
    post = add(emulator)

    response = comment(emulator, post, message)

    assert response.status_code == 400
    assert error_of(response)["code"] == 100


def test_it_answers_a_comment_on_a_deleted_post_like_graph(emulator):
    post = add(emulator, "never mind")
    assert control(emulator, "DELETE", f"/posts/{post}").status_code == 200

    response = comment(emulator, post, "Glad it is sorted!")

    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["error_subcode"], error["type"]) == (100, 33, "GraphMethodException")
    assert f"Object with ID '{post}' does not exist" in error["message"]
    assert "Unsupported post request" in error["message"]


def test_it_deletes_a_post_with_its_comments(emulator):
    post = add(emulator, "a post")
    add(emulator, "a comment", kind="comment", in_reply_to=post)
    kept = add(emulator, "another post")

    control(emulator, "DELETE", f"/posts/{post}")

    assert [p["id"] for p in control(emulator, "GET", "/posts").json()["posts"]] == [kept]
    assert "Unsupported get request" in error_of(graph(emulator, f"{post}/comments"))["message"]
    assert control(emulator, "DELETE", f"/posts/{post}").status_code == 404


def test_it_lists_recommendations_newest_first_with_their_stories(emulator):
    happy = add(emulator, "Lovely kettle", kind="review", rating=4)
    unhappy = add(emulator, "Never again", kind="review", name="Oskar", recommendation_type="negative")

    ratings = graph(emulator, f"{PAGE_ID}/ratings",
                    fields="created_time,recommendation_type,review_text,reviewer,open_graph_story").json()["data"]

    assert [(r["open_graph_story"]["id"], r["recommendation_type"]) for r in ratings] == [
        (unhappy, "negative"), (happy, "positive")]
    assert ratings[0]["reviewer"]["name"] == "Oskar"
    assert ratings[0]["review_text"] == "Never again"


def test_it_answers_an_edge_on_the_wrong_object_like_graph(emulator):
    post = add(emulator)

    on_post = graph(emulator, f"{post}/feed")
    unknown = graph(emulator, "2020/ratings")

    assert "nonexisting field (feed) on node type (Post)" in error_of(on_post)["message"]
    assert error_of(unknown)["error_subcode"] == 33


def test_it_answers_a_rate_limit_fault_with_the_time_to_regain_access(emulator):
    add_fault(emulator, "facebook", status=429, retry_after=61)

    response = graph(emulator, "me")

    assert response.status_code == 400
    assert error_of(response)["code"] == 4
    assert error_of(response)["message"] == "(#4) Application request limit reached"
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert usage[PAGE_ID][0]["estimated_time_to_regain_access"] == 2
    assert graph(emulator, "me").status_code == 200


@pytest.mark.parametrize("status, http_status, code", [(401, 400, 190), (403, 403, 10)])
def test_it_answers_an_auth_fault_in_graphs_shape(emulator, status, http_status, code):
    add_fault(emulator, "facebook", status=status)

    response = graph(emulator, f"{PAGE_ID}/feed")

    assert response.status_code == http_status
    assert error_of(response)["code"] == code
    assert error_of(response)["type"] == "OAuthException"


@pytest.mark.parametrize("status", [500, 503])
def test_it_answers_a_server_fault_with_an_html_page(emulator, status):
    post = add(emulator)
    add_fault(emulator, "facebook", status=status)

    response = comment(emulator, post, "hello")

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Sorry, something went wrong" in response.text
    assert len(control(emulator, "GET", "/posts").json()["posts"]) == 1


def test_it_answers_a_timeout_fault_late_with_a_503(emulator, sleeps):
    add_fault(emulator, "facebook", status="timeout", seconds=0.5)

    response = graph(emulator, "me")

    assert sleeps == [0.5]
    assert response.status_code == 503


def test_it_logs_api_calls_without_the_token(emulator):
    graph(emulator, f"{PAGE_ID}/feed", fields="id")

    calls = control(emulator, "GET", "/requests").json()["requests"]

    assert calls[-1]["path"] == "/v19.0/1010/feed"
    assert calls[-1]["params"] == {"fields": "id"}


@pytest.mark.parametrize("body, reason", [
    ({"author": {"name": "A"}, "text": "hi", "kind": "story"}, "kind must be one of"),
    ({"text": "hi"}, "author must be an object"),
    ({"author": {"name": " "}, "text": "hi"}, "author.name"),
    ({"author": {"name": "A", "id": 42}, "text": "hi"}, "author.id"),
    ({"author": {"name": "A"}, "text": ""}, "text must be a non-empty string"),
    ({"author": {"name": "A"}, "text": "x" * 8001}, "at most 8000"),
    ({"author": {"name": "A"}, "text": "hi", "kind": "comment"}, "needs in_reply_to"),
    ({"author": {"name": "A"}, "text": "hi", "kind": "comment", "in_reply_to": "1010_9"}, "not a known post"),
    ({"author": {"name": "A"}, "text": "hi", "in_reply_to": "1010_9"}, "takes no in_reply_to"),
    ({"author": {"name": "A"}, "text": "hi", "created_time": "last week"}, "created_time"),
    ({"author": {"name": "A"}, "text": "hi", "created_time": 4102444800}, "future"),
    ({"author": {"name": "A"}, "text": "ok", "kind": "review"}, "needs a rating"),
    ({"author": {"name": "A"}, "text": "ok", "kind": "review", "rating": 3}, "rating 3"),
    ({"author": {"name": "A"}, "text": "ok", "kind": "review", "rating": 6}, "from 1 to 5"),
    ({"author": {"name": "A"}, "text": "ok", "kind": "review", "recommendation_type": "meh"}, "positive"),
    ({"author": {"name": "A"}, "text": "ok", "kind": "review", "rating": 5, "recommendation_type": "negative"},
     "does not agree"),
    ({"author": {"id": PAGE_ID}, "text": "ok", "kind": "review", "rating": 5}, "cannot recommend itself"),
])
def test_it_refuses_a_bad_post_body_with_a_message(emulator, body, reason):
    response = control(emulator, "POST", "/posts", json=body)

    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_it_refuses_a_body_that_is_not_a_json_object(emulator):
    response = control(emulator, "POST", "/posts", data="[]", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert control(emulator, "GET", "/posts").json()["posts"] == []


def test_it_lists_every_post_oldest_first_including_replies_made_through_the_api(emulator):
    post = add(emulator, "where is my order", name="Tinker June")
    review = add(emulator, "slow shipping", kind="review", rating=2, created_time=int(time.time()) - 600)
    reply = comment(emulator, post, "On its way!").json()["id"]

    listed = control(emulator, "GET", "/posts").json()["posts"]

    assert [p["id"] for p in listed] == [review, post, reply]
    assert listed[0]["kind"] == "review" and listed[0]["recommendation_type"] == "negative"
    assert listed[1]["author"]["name"] == "Tinker June" and listed[1]["by_brand"] is False
    assert listed[2]["in_reply_to"] == post and listed[2]["by_brand"] is True


def test_it_keeps_one_id_per_author_name_unless_given_one(emulator):
    add(emulator, "one", name="Tinker June")
    add(emulator, "two", name="Tinker June")
    control(emulator, "POST", "/posts", json={"author": {"name": "Tinker June", "id": "777"}, "text": "three"})

    ids = [p["author"]["id"] for p in control(emulator, "GET", "/posts").json()["posts"]]

    assert ids[0] == ids[1] != ids[2] == "777"


def test_it_delivers_a_signed_webhook_for_posts_comments_replies_and_reviews(emulator, receiver):
    post = add(emulator, "the grinder stopped", name="Keiko")
    first = add(emulator, "mine too", kind="comment", in_reply_to=post, name="Rui")
    reply = add(emulator, "which model?", kind="comment", in_reply_to=first, name="Keiko")
    review = add(emulator, "checkout failed", kind="review", rating=1, name="Olu")

    response = control(emulator, "POST", "/webhook-deliveries",
                       json={"url": receiver.url, "post_ids": [post, first, reply, review]})

    assert response.json() == {"status": 200, "body": "received"}
    delivered = receiver.received[0]
    assert delivered.content_type == "application/json"
    assert signature_is_valid(delivered.body, delivered.signature, "emulator-app-secret")
    posts, skipped = parse_webhook(json.loads(delivered.body), PAGE_ID)
    assert skipped == []
    assert [(p.external_id, p.kind, p.in_reply_to) for p in posts] == [
        (post, "post", None), (first, "comment", post), (reply, "reply", first), (review, "review", None)]
    assert posts[3].rating == 1


def test_it_signs_with_the_app_secret_it_is_given_or_a_wrong_one(emulator, receiver):
    post = add(emulator)

    control(emulator, "POST", "/webhook-deliveries", json={"url": receiver.url, "post_ids": [post],
                                                           "app_secret": "ours"})
    control(emulator, "POST", "/webhook-deliveries", json={"url": receiver.url, "post_ids": [post],
                                                           "app_secret": "ours", "signature": "bad"})

    good, bad = receiver.received
    assert signature_is_valid(good.body, good.signature, "ours")
    assert bad.signature.startswith("sha256=")
    assert not signature_is_valid(bad.body, bad.signature, "ours")


def test_it_passes_back_what_the_receiver_answered(emulator, receiver):
    receiver.status = 403
    post = add(emulator)

    response = control(emulator, "POST", "/webhook-deliveries", json={"url": receiver.url, "post_ids": [post]})

    assert response.status_code == 200
    assert response.json() == {"status": 403, "body": "received"}


def test_it_reports_a_receiver_it_cannot_reach(emulator):
    post = add(emulator)

    response = control(emulator, "POST", "/webhook-deliveries",
                       json={"url": "http://127.0.0.1:9/webhooks/facebook", "post_ids": [post]})

    assert response.status_code == 502
    assert "could not be reached" in response.json()["error"]


@pytest.mark.parametrize("body, reason", [
    ({"post_ids": ["1010_2000001"]}, "url"),
    ({"url": "ftp://127.0.0.1/x", "post_ids": ["1010_2000001"]}, "url"),
    ({"url": "http://127.0.0.1:9/x", "post_ids": []}, "post_ids"),
    ({"url": "http://127.0.0.1:9/x", "post_ids": ["1010_999"]}, "unknown post ids: 1010_999"),
    ({"url": "http://127.0.0.1:9/x", "post_ids": ["1010_2000001"], "app_secret": ""}, "app_secret"),
    ({"url": "http://127.0.0.1:9/x", "post_ids": ["1010_2000001"], "signature": "none"}, "signature"),
])
def test_it_refuses_a_bad_delivery_request(emulator, body, reason):
    add(emulator)

    response = control(emulator, "POST", "/webhook-deliveries", json=body)

    assert response.status_code == 400
    assert reason in response.json()["error"]
