"""What real X answers do that tidy ones do not: authors missing from the
includes, errors beside the data, and long posts cut unless `note_tweet`
is asked for. Through the emulator, which does all three, and its API."""

import requests

from connectors.x.parse import batch_from_pages
from tests.connectors.emulated import api_calls, control
from tests.connectors.x.test_connector import BRAND_ID, connector_for

LONG = "My order 4471 arrived broken. " * 12 + "And nobody answers the phone."


def add_post(server, text, handle="maple_rider", **author):
    body = {"author": {"handle": handle, "name": handle.title(), "followers": 10, **author}, "text": text}
    return control(server, "x/posts", body)["id"]


def test_an_author_left_out_of_the_includes_is_looked_up_in_one_call(emulator):
    first = add_post(emulator, "my kettle leaks", handle="hidden_one", left_out_of_includes=True)
    second = add_post(emulator, "mine too", handle="hidden_two", left_out_of_includes=True)
    third = add_post(emulator, "and mine", handle="visible")

    batch = connector_for(emulator).fetch("mentions", "", None)

    assert [(p.external_id, p.author.handle) for p in batch.posts] == [
        (first, "hidden_one"), (second, "hidden_two"), (third, "visible")]
    lookups = api_calls(emulator, "x", "/2/users")
    assert len(lookups) == 1
    assert len(lookups[0]["params"]["ids"].split(",")) == 2
    assert batch.skipped == [] and batch.errors == []


def test_a_post_whose_author_x_cannot_find_is_skipped_and_the_cursor_still_covers_it(emulator):
    kept = add_post(emulator, "where is my refund")
    lost = add_post(emulator, "my account", handle="gone_user", suspended=True)

    batch = connector_for(emulator).fetch("mentions", "", None)

    assert [p.external_id for p in batch.posts] == [kept]
    assert [(item.external_id, item.reason) for item in batch.skipped] == [
        (lost, f"tweet {lost}: author {batch.skipped[0].raw['author_id']} is not in includes.users")]
    assert batch.cursor == lost
    assert len(batch.errors) == 1 and "Could not find user" in batch.errors[0]


def test_errors_beside_the_data_are_kept_and_not_fatal():
    page = {"data": [{"id": "1900000000000000501", "text": "@acme hi", "author_id": "7",
                      "created_at": "2026-01-05T09:00:00.000Z"}],
            "includes": {"users": [{"id": "7", "username": "ann", "name": "Ann"}]},
            "errors": [{"title": "Authorization Error", "detail": "Sorry, you are not authorized to see the "
                        "Tweet with referenced_tweets.id: [1900000000000000400].", "resource_type": "tweet"}],
            "meta": {"newest_id": "1900000000000000501", "result_count": 1}}

    batch = batch_from_pages([page], None, BRAND_ID)

    assert [p.external_id for p in batch.posts] == ["1900000000000000501"]
    assert batch.errors == ["Sorry, you are not authorized to see the Tweet with referenced_tweets.id: "
                            "[1900000000000000400]."]


def test_a_long_post_arrives_whole_through_note_tweet(emulator):
    add_post(emulator, LONG)

    post = connector_for(emulator).fetch("mentions", "", None).posts[0]

    assert post.text == f"@acme {LONG}"
    assert len(post.text) > 280
    assert "note_tweet" in api_calls(emulator, "x", "/mentions")[0]["params"]["tweet.fields"]


def test_the_emulator_cuts_a_long_post_unless_note_tweet_is_asked_for(emulator):
    add_post(emulator, LONG)
    url = f"{emulator.url}/2/users/{BRAND_ID}/mentions"
    headers = {"Authorization": "Bearer t"}

    plain = requests.get(url, headers=headers, timeout=5).json()["data"][0]
    noted = requests.get(url, params={"tweet.fields": "note_tweet"}, headers=headers, timeout=5).json()["data"][0]

    assert len(plain["text"]) == 280 and "note_tweet" not in plain
    assert noted["note_tweet"]["text"] == f"@acme {LONG}"


def test_the_emulators_users_look_up_answers_the_found_and_the_missing(emulator):
    add_post(emulator, "hello", handle="found_one", left_out_of_includes=True)
    add_post(emulator, "hello", handle="gone_one", suspended=True)
    posts = requests.get(f"{emulator.url}/_emulator/x/posts", timeout=5).json()["posts"]
    found, gone = (p["author"]["id"] for p in posts)

    body = requests.get(f"{emulator.url}/2/users", params={"ids": f"{found},{gone}"},
                        headers={"Authorization": "Bearer t"}, timeout=5).json()

    assert [u["username"] for u in body["data"]] == ["found_one"]
    assert [(e["resource_id"], e["title"]) for e in body["errors"]] == [(gone, "Not Found Error")]
