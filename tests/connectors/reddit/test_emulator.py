"""The emulator's Reddit API and control endpoints, spoken to over plain HTTP."""

import time

import pytest
import requests
from prawcore.rate_limit import RateLimiter

from connectors.emulator import EmulatorServer
from connectors.reddit.emulator import CLIENT_ID, CLIENT_SECRET, PASSWORD

APP = (CLIENT_ID, CLIENT_SECRET)


def get_token(server, auth=APP, **form) -> requests.Response:
    data = {"grant_type": "password", "username": "acme", "password": PASSWORD, **form}
    return requests.post(f"{server.url}/api/v1/access_token", auth=auth, data=data, timeout=5)


@pytest.fixture(scope="module")
def untouched():
    """One emulator for the tests whose calls must change nothing."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def bearer(emulator):
    return {"Authorization": f"bearer {get_token(emulator).json()['access_token']}"}


def api(server, headers, path, method="GET", **params):
    if method == "POST":
        return requests.post(f"{server.url}{path}", data=params, headers=headers, timeout=5)
    return requests.get(f"{server.url}{path}", params=params, headers=headers, timeout=5)


def add(server, kind="mention", text="my kettle leaks", author="maple_rider", **extra):
    response = requests.post(f"{server.url}/_emulator/reddit/posts",
                             json={"kind": kind, "author": {"name": author}, "text": text, **extra}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def names(response) -> list[str]:
    return [child["data"]["name"] for child in response.json()["data"]["children"]]


def control_posts(server) -> dict[str, dict]:
    posts = requests.get(f"{server.url}/_emulator/reddit/posts", timeout=5).json()["posts"]
    return {p["id"]: p for p in posts}


def test_it_issues_a_token_to_the_brands_script_app(emulator):
    response = get_token(emulator)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 86400, "*")


def test_it_refuses_an_unknown_app_with_401(emulator):
    response = get_token(emulator, auth=(CLIENT_ID, "wrong"))

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized", "error": 401}


@pytest.mark.parametrize("form", [{"password": "wrong"}, {"username": "someone_else"}])
def test_it_answers_invalid_grant_for_wrong_user_credentials_as_reddit_does(emulator, form):
    response = get_token(emulator, **form)

    assert response.status_code == 200
    assert response.json() == {"error": "invalid_grant"}


def test_it_refuses_a_grant_other_than_password(emulator):
    assert get_token(emulator, grant_type="client_credentials").json() == {"error": "unsupported_grant_type"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "bearer not-issued"}, {"Authorization": "Basic eDp5"}])
@pytest.mark.parametrize("path", ["/api/v1/me", "/message/unread/", "/r/acme/search/?q=kettle",
                                  "/r/acme/comments/", "/user/acme/comments", "/api/info/?id=t1_m0a0000"])
def test_it_refuses_api_calls_without_a_valid_token(untouched, path, headers):
    response = requests.get(f"{untouched.url}{path}", headers=headers, timeout=5)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized", "error": 401}
    assert response.headers["www-authenticate"] == 'Bearer realm="reddit", error="invalid_token"'


def test_it_describes_the_brand_user(emulator, bearer):
    body = api(emulator, bearer, "/api/v1/me").json()

    assert body["name"] == "acme"
    assert body["id"].isalnum()


def test_its_rate_limit_headers_never_make_prawcore_wait(emulator, bearer):
    limiter = RateLimiter(window_size=600)

    for _ in range(30):
        response = api(emulator, bearer, "/api/v1/me")
        limiter.update(response_headers=response.headers)

    assert float(response.headers["x-ratelimit-remaining"]) > 900
    assert int(response.headers["x-ratelimit-used"]) >= 30
    assert limiter.next_request_timestamp_ns <= time.monotonic_ns()


def test_it_lists_a_mention_in_the_unread_inbox_as_reddit_shows_it(emulator, bearer):
    mention = add(emulator, text="where is my order?", subreddit="kitchengear")

    response = api(emulator, bearer, "/message/unread/", mark="False", limit="100")

    assert response.json()["kind"] == "Listing"
    child = response.json()["data"]["children"][0]
    data = child["data"]
    assert child["kind"] == "t1"
    assert data["name"] == mention
    assert data["body"] == "u/acme where is my order?"
    assert (data["type"], data["subject"], data["was_comment"], data["new"]) == (
        "username_mention", "username mention", True, True)
    assert data["context"].startswith(f"/r/kitchengear/comments/{data['parent_id'][3:]}/discussion/{data['id']}/")
    assert data["author_fullname"].startswith("t2_")
    assert "link_id" not in data and "permalink" not in data


def test_it_keeps_a_mention_the_customer_wrote_as_it_is(emulator):
    mention = add(emulator, text="hey /u/ACME help")

    assert control_posts(emulator)[mention]["text"] == "hey /u/ACME help"


def test_it_tells_the_brand_of_an_answer_to_its_comment_and_of_a_private_message(emulator, bearer):
    mention = add(emulator)
    posted = api(emulator, bearer, "/api/comment/", "POST", thing_id=mention, text="Which model?", api_type="json")
    ours = posted.json()["json"]["data"]["things"][0]["data"]["name"]
    reply = add(emulator, "comment", "the big one", in_reply_to=ours)
    message = add(emulator, "message", "private question", title="billing")

    children = api(emulator, bearer, "/message/unread/").json()["data"]["children"]

    by_name = {c["data"]["name"]: c for c in children}
    assert list(by_name) == [message, reply, mention]
    assert by_name[reply]["data"]["type"] == "comment_reply"
    assert by_name[message]["kind"] == "t4"
    assert (by_name[message]["data"]["subject"], by_name[message]["data"]["dest"]) == ("billing", "acme")


def test_it_leaves_comments_that_do_not_concern_the_brand_out_of_its_inbox(emulator, bearer):
    add(emulator, "comment", "just chatting")

    assert names(api(emulator, bearer, "/message/unread/")) == []


def test_it_marks_inbox_items_read(emulator, bearer):
    first, second, third = add(emulator, text="one"), add(emulator, text="two"), add(emulator, text="three")

    response = api(emulator, bearer, "/api/read_message/", "POST", id=f"{first},{third}", api_type="json")

    assert response.json() == {}
    assert names(api(emulator, bearer, "/message/unread/")) == [second]
    assert control_posts(emulator)[first]["unread"] is False


def test_it_pages_a_listing_with_after_and_before(emulator, bearer):
    created = [add(emulator, text=f"n{n}") for n in range(5)]
    newest_first = created[::-1]

    first = api(emulator, bearer, "/message/unread/", limit="2")
    second = api(emulator, bearer, "/message/unread/", limit="2", after=first.json()["data"]["after"])
    back = api(emulator, bearer, "/message/unread/", limit="2", before=created[0])

    assert names(first) == newest_first[:2]
    assert names(second) == newest_first[2:4]
    assert second.json()["data"]["before"] == newest_first[2]
    assert names(back) == newest_first[2:4]
    assert back.json()["data"]["before"] == newest_first[2]


def test_it_answers_an_empty_page_for_an_anchor_that_is_gone(emulator, bearer):
    created = [add(emulator, text=f"n{n}") for n in range(3)]
    requests.delete(f"{emulator.url}/_emulator/reddit/posts/{created[1]}", timeout=5)

    response = api(emulator, bearer, "/message/unread/", after=created[1])

    assert names(response) == []
    assert response.json()["data"]["after"] is None


def test_it_gives_pages_of_at_most_100_and_25_unless_asked(emulator, bearer):
    for n in range(110):
        add(emulator, text=f"n{n}")

    def size(**params) -> int:
        return len(names(api(emulator, bearer, "/message/unread/", **params)))

    assert (size(limit="1024"), size(), size(limit="7"), size(limit="lots")) == (100, 25, 7, 25)


def test_it_searches_posts_of_the_subreddits_asked_by_words_phrases_and_or(emulator, bearer):
    kettle = add(emulator, "post", "it leaks at the base", title="Kettle trouble")
    heater = add(emulator, "post", "smells like burning", title="Heater", subreddit="acmehelp")
    add(emulator, "post", "my kettle leaks too", title="Teapot", subreddit="teapots")
    add(emulator, "post", "burning like smells", title="Words in the wrong order")

    def search(query, subreddits="acme+acmehelp"):
        return names(api(emulator, bearer, f"/r/{subreddits}/search/", q=query, sort="new", t="week",
                         restrict_sr="True", syntax="lucene"))

    assert search("KETTLE leaks") == [kettle]
    assert search('"smells like burning" OR kettle') == [heater, kettle]
    assert search("kettle", "all") == [*search("kettle", "teapots"), kettle]
    assert search("toaster") == []


def test_it_renders_a_found_post_as_reddit_does(emulator, bearer):
    post = add(emulator, "post", "it leaks", title="Kettle trouble!")

    data = api(emulator, bearer, "/r/acme/search/", q="kettle").json()["data"]["children"][0]["data"]

    assert data["name"] == post
    assert (data["title"], data["selftext"], data["subreddit"]) == ("Kettle trouble!", "it leaks", "acme")
    assert data["permalink"] == f"/r/acme/comments/{post[3:]}/kettle_trouble/"
    assert isinstance(data["created_utc"], float)


@pytest.mark.parametrize("params", [{"sort": "newest"}, {"t": "fortnight"}])
def test_it_refuses_a_search_with_an_unknown_sort_or_time(emulator, bearer, params):
    response = api(emulator, bearer, "/r/acme/search/", q="kettle", **params)

    assert response.status_code == 400
    assert response.json() == {"message": "Bad Request", "error": 400}


def test_it_lists_new_comments_of_the_subreddits_asked(emulator, bearer):
    post = add(emulator, "post", "thread")
    ours = add(emulator, "comment", "first", in_reply_to=post)
    elsewhere = add(emulator, "post", "thread", subreddit="teapots")
    add(emulator, "comment", "not here", in_reply_to=elsewhere)
    newer = add(emulator, "comment", "second", in_reply_to=ours)

    response = api(emulator, bearer, "/r/acme+acmehelp/comments/", limit="100")

    assert names(response) == [newer, ours]
    data = response.json()["data"]["children"][0]["data"]
    assert (data["link_id"], data["parent_id"]) == (post, ours)
    assert data["permalink"].endswith(f"/{newer[3:]}/")


def test_it_answers_404_for_a_subreddit_name_that_cannot_be(emulator, bearer):
    assert api(emulator, bearer, "/r/a/comments/").status_code == 404


def test_it_posts_a_comment_as_the_brand(emulator, bearer):
    post = add(emulator, "post", "heater smells")

    response = api(emulator, bearer, "/api/comment/", "POST", thing_id=post, text="Please unplug it.",
                   api_type="json")

    body = response.json()["json"]
    assert body["errors"] == []
    thing = body["data"]["things"][0]
    assert thing["kind"] == "t1"
    assert (thing["data"]["parent_id"], thing["data"]["author"], thing["data"]["body"]) == (
        post, "acme", "Please unplug it.")
    listed = control_posts(emulator)[thing["data"]["name"]]
    assert (listed["in_reply_to"], listed["by_brand"], listed["kind"]) == (post, True, "comment")


def test_it_answers_a_private_message_with_a_message(emulator, bearer):
    message = add(emulator, "message", "charged twice", title="billing")

    thing = api(emulator, bearer, "/api/comment/", "POST", thing_id=message, text="Refunded.").json()[
        "json"]["data"]["things"][0]

    assert thing["kind"] == "t4"
    assert (thing["data"]["dest"], thing["data"]["subject"], thing["data"]["parent_id"]) == (
        "maple_rider", "re: billing", message)
    assert names(api(emulator, bearer, "/message/sent/")) == [thing["data"]["name"]]


@pytest.mark.parametrize("kind, error", [
    ("mention", ["DELETED_COMMENT", "that comment has been deleted", "parent"]),
    ("post", ["DELETED_LINK", "the link you are commenting on has been deleted", "parent"]),
])
def test_it_refuses_a_reply_to_a_deleted_thing_inside_a_200_answer(emulator, bearer, kind, error):
    parent = add(emulator, kind)
    requests.delete(f"{emulator.url}/_emulator/reddit/posts/{parent}", timeout=5)

    response = api(emulator, bearer, "/api/comment/", "POST", thing_id=parent, text="Hello")

    assert response.status_code == 200
    assert response.json() == {"json": {"errors": [error]}}


@pytest.mark.parametrize("text, error", [(" ", "NO_TEXT"), ("x" * 10001, "TOO_LONG")])
def test_it_refuses_an_empty_or_too_long_comment(emulator, bearer, text, error):
    response = api(emulator, bearer, "/api/comment/", "POST", thing_id=add(emulator), text=text)

    assert response.json()["json"]["errors"][0][0] == error


def test_it_returns_things_by_fullname(emulator, bearer):
    post = add(emulator, "post", "thread")
    comment = add(emulator, "comment", "hello", in_reply_to=post)

    response = api(emulator, bearer, "/api/info/", id=f"{comment},t1_zzzzz,{post}")

    assert names(response) == [comment, post]
    assert [c["kind"] for c in response.json()["data"]["children"]] == ["t1", "t3"]


def test_it_lists_a_users_comments_newest_first(emulator, bearer):
    first = add(emulator)
    api(emulator, bearer, "/api/comment/", "POST", thing_id=first, text="one")
    api(emulator, bearer, "/api/comment/", "POST", thing_id=first, text="two")

    response = api(emulator, bearer, "/user/acme/comments", sort="new", limit="100")

    assert [c["data"]["body"] for c in response.json()["data"]["children"]] == ["two", "one"]
    assert api(emulator, bearer, "/user/nobody_here/comments").status_code == 404


def test_it_fails_the_next_call_with_an_injected_429_and_its_wait(emulator, bearer):
    requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "reddit", "status": 429,
                                                            "retry_after": 42.5}, timeout=5)

    response = api(emulator, bearer, "/message/unread/")

    assert response.status_code == 429
    assert response.json() == {"message": "Too Many Requests", "error": 429}
    assert response.headers["Retry-After"] == "43"
    assert (response.headers["x-ratelimit-remaining"], response.headers["x-ratelimit-reset"]) == ("0.0", "43")
    assert api(emulator, bearer, "/message/unread/").status_code == 200


@pytest.mark.parametrize("status", [401, 403, 500, 503])
def test_it_fails_calls_with_injected_errors_in_reddits_shape(emulator, bearer, status):
    requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "reddit", "status": status}, timeout=5)

    response = api(emulator, bearer, "/api/v1/me")

    assert response.status_code == status
    assert response.json()["error"] == status
    assert ("www-authenticate" in response.headers) is (status == 401)


def test_it_fails_a_token_request_with_an_injected_fault_too(emulator):
    requests.post(f"{emulator.url}/_emulator/faults", json={"platform": "reddit", "status": 503}, timeout=5)

    assert get_token(emulator).status_code == 503
    assert get_token(emulator).status_code == 200


def test_it_logs_api_calls_with_their_fields_but_never_the_password(emulator, bearer):
    mention = add(emulator)
    api(emulator, bearer, "/api/comment/", "POST", thing_id=mention, text="Hello")

    calls = requests.get(f"{emulator.url}/_emulator/reddit/requests", timeout=5).json()["requests"]

    assert [c["path"] for c in calls] == ["/api/v1/access_token", "/api/comment/"]
    assert calls[0]["params"] == {}
    assert calls[1]["params"] == {"thing_id": mention, "text": "Hello"}


def test_it_lists_every_post_oldest_first_with_the_brands_replies(emulator, bearer):
    post = add(emulator, "post", "heater smells", title="Heater", author="lena_k")
    api(emulator, bearer, "/api/comment/", "POST", thing_id=post, text="Unplug it.")

    posts = list(control_posts(emulator).values())

    assert [(p["kind"], p["author"]["name"], p["by_brand"]) for p in posts] == [
        ("post", "lena_k", False), ("comment", "acme", True)]
    assert set(posts[1]) >= {"id", "kind", "text", "author", "in_reply_to", "created_at", "by_brand"}
    assert posts[1]["created_at"].endswith("Z")


def test_it_starts_a_thread_for_a_comment_that_answers_nothing(emulator):
    comment = add(emulator, "comment", "hello", title="Questions about heaters", subreddit="acmehelp")

    posts = control_posts(emulator)

    thread = posts[comment]["conversation_id"]
    assert posts[comment]["in_reply_to"] == thread
    assert (posts[thread]["title"], posts[thread]["subreddit"], posts[thread]["author"]["name"]) == (
        "Questions about heaters", "acmehelp", "maple_rider")


def test_it_deletes_a_post_and_hides_it_from_listings(emulator, bearer):
    mention = add(emulator)

    assert requests.delete(f"{emulator.url}/_emulator/reddit/posts/{mention}", timeout=5).status_code == 200
    assert mention not in control_posts(emulator)
    assert names(api(emulator, bearer, "/message/unread/")) == []
    assert requests.delete(f"{emulator.url}/_emulator/reddit/posts/{mention}", timeout=5).status_code == 404


@pytest.mark.parametrize("body, message", [
    ([], "the body must be a JSON object"),
    ({"kind": "tweet", "author": {"name": "maple_rider"}, "text": "hi"}, "kind must be one of"),
    ({"kind": "post", "author": "maple_rider", "text": "hi"}, "author must be an object"),
    ({"kind": "post", "author": {"name": "x"}, "text": "hi"}, "3 to 20 letters"),
    ({"kind": "post", "author": {"name": "Acme"}, "text": "hi"}, "is the brand's"),
    ({"kind": "post", "author": {"name": "maple_rider"}, "text": " "}, "text must be a non-empty string"),
    ({"kind": "comment", "author": {"name": "maple_rider"}, "text": "x" * 10001}, "at most 10000 characters"),
    ({"kind": "post", "author": {"name": "maple_rider"}, "text": "hi", "title": 3}, "title must be"),
    ({"kind": "post", "author": {"name": "maple_rider"}, "text": "hi", "subreddit": "r/acme"}, "subreddit must"),
    ({"kind": "comment", "author": {"name": "maple_rider"}, "text": "hi", "in_reply_to": "12"}, "a fullname"),
    ({"kind": "comment", "author": {"name": "maple_rider"}, "text": "hi", "in_reply_to": "t3_zzzzz"},
     "not a known post"),
    ({"kind": "message", "author": {"name": "maple_rider"}, "text": "hi", "subreddit": "acme"}, "no subreddit"),
])
def test_it_refuses_a_post_it_cannot_create(untouched, body, message):
    response = requests.post(f"{untouched.url}/_emulator/reddit/posts", json=body, timeout=5)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert control_posts(untouched) == {}


def test_it_refuses_a_post_that_answers_something_or_a_comment_that_answers_a_message(emulator):
    post = add(emulator, "post", "thread")
    message = add(emulator, "message", "private")
    before = control_posts(emulator)

    as_reply = requests.post(f"{emulator.url}/_emulator/reddit/posts", timeout=5, json={
        "kind": "post", "author": {"name": "tinkerjune"}, "text": "hi", "in_reply_to": post})
    on_message = requests.post(f"{emulator.url}/_emulator/reddit/posts", timeout=5, json={
        "kind": "comment", "author": {"name": "tinkerjune"}, "text": "hi", "in_reply_to": message})
    elsewhere = requests.post(f"{emulator.url}/_emulator/reddit/posts", timeout=5, json={
        "kind": "comment", "author": {"name": "tinkerjune"}, "text": "hi", "in_reply_to": post,
        "subreddit": "teapots"})

    assert [r.status_code for r in (as_reply, on_message, elsewhere)] == [400, 400, 400]
    assert "in r/acme, not r/teapots" in elsewhere.json()["error"]
    assert control_posts(emulator) == before
