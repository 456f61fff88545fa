"""The emulator's page of one post, with the replies under it: where the
demo's "view on" links go."""

import pytest
import requests

POSTS = {
    "x": {"author": {"handle": "maria_k", "name": "Maria K.", "followers": 3}, "text": "Where is <b>my</b> order?"},
    "facebook": {"kind": "review", "author": {"name": "Ben"}, "text": "Crashes daily", "rating": 1},
    "reddit": {"kind": "post", "author": {"name": "kenji_t"}, "text": "Refund?", "subreddit": "acme", "title": "Hi"},
    "reviews": {"author": {"name": "Lena"}, "rating": 1, "text": "Awful"},
}


def post(emulator, platform: str) -> str:
    response = requests.post(f"{emulator.url}/_emulator/{platform}/posts", json=POSTS[platform], timeout=5)
    return response.json()["id"]


@pytest.mark.parametrize("platform", sorted(POSTS))
def test_each_platform_serves_a_page_of_its_post(emulator, platform):
    post_id = post(emulator, platform)

    page = requests.get(f"{emulator.url}/_emulator/{platform}/posts/{post_id}", timeout=5)

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'id="post-{post_id}"' in page.text
    assert POSTS[platform]["text"].replace("<", "&lt;").replace(">", "&gt;") in page.text


def test_the_page_shows_the_replies_under_the_post(emulator):
    first = post(emulator, "x")
    answer = requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "tom", "name": "Tom", "followers": 1}, "text": "Same here", "in_reply_to": first})

    page = requests.get(f"{emulator.url}/_emulator/x/posts/{first}", timeout=5).text

    assert "Replies (1)" in page and f'id="post-{answer.json()["id"]}"' in page


def test_an_unknown_post_or_platform_is_404(emulator):
    assert requests.get(f"{emulator.url}/_emulator/x/posts/404", timeout=5).status_code == 404
    assert requests.get(f"{emulator.url}/_emulator/myspace/posts/1", timeout=5).status_code == 404
