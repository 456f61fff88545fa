"""What real Reddit answers do that tidy ones do not: moderator mail with no
author, admin and automatic messages with no author's fullname, and a new
comment answered without its permalink; and the user agent Reddit asks for."""

import json

from connectors.reddit.connector import RedditConnector, default_user_agent
from connectors.reddit.parse import parse_thing
from tests.connectors import emulated
from tests.connectors.reddit.test_connector import CREDENTIALS, FIXTURES, TOKEN, add, connector_for

MOD_MAIL = {"kind": "t4", "data": {
    "id": "6wtzw1", "name": "t4_6wtzw1", "body": "Your post was removed: rule 3.", "subject": "removed",
    "author": None, "author_fullname": None, "subreddit": "acmehelp", "dest": "acme", "parent_id": None,
    "first_message_name": None, "context": "", "distinguished": "moderator", "created_utc": 1767609000.0}}


def test_moderator_mail_is_from_the_subreddits_moderators():
    post = parse_thing(MOD_MAIL, "acme")

    assert (post.author.handle, post.author.platform_user_id) == ("moderator of r/acmehelp", "r/acmehelp")
    assert post.from_platform is True and post.by_brand is False
    assert post.kind == "direct_message"


def test_an_admin_message_is_from_reddit():
    admin = {"kind": "t4", "data": {**MOD_MAIL["data"], "author": "reddit", "subreddit": None,
                                    "distinguished": "admin", "name": "t4_6wtzw2", "id": "6wtzw2"}}

    post = parse_thing(admin, "acme")

    assert (post.author.handle, post.author.platform_user_id) == ("reddit", "reddit")
    assert post.from_platform is True


def test_a_customer_is_not_from_the_platform():
    customer = {"kind": "t4", "data": {**MOD_MAIL["data"], "author": "dev_waits", "author_fullname": "t2_8k2m1q",
                                       "subreddit": None}}

    assert parse_thing(customer, "acme").from_platform is False


def test_the_inbox_holds_moderator_mail_and_reddits_own_messages(emulator):
    add(emulator, "message", "Your post was removed", author="mod_anna", sent_as="moderators", subreddit="acmehelp")
    add(emulator, "message", "Welcome to Reddit", author="reddit_bot", sent_as="reddit")
    add(emulator, "message", "charged twice", author="dev_waits")

    batch = connector_for(emulator).fetch("mentions", "", None)

    assert [(p.author.handle, p.from_platform) for p in batch.posts] == [
        ("moderator of r/acmehelp", True), ("reddit", True), ("dev_waits", False)]
    assert batch.skipped == []


def test_a_comment_answered_without_its_permalink_gets_the_comments_address():
    body = json.loads((FIXTURES / "reply_answer_without_permalink.json").read_text(encoding="utf-8"))
    connector = emulated.replaying(RedditConnector(**CREDENTIALS), 200, body, also={"/api/v1/access_token": TOKEN})

    reply = connector.post_reply("t1_m0g7a10", "So sorry! Please message us your order number.")

    assert reply.url == "https://www.reddit.com/comments/1b7m0ff/_/m0k2b31/"


def test_the_default_user_agent_has_the_form_reddit_documents(emulator):
    connector = connector_for(emulator)
    connector.fetch("mentions", "", None)

    agent = connector.session.headers["User-Agent"]
    assert agent.startswith(default_user_agent("acme"))
    assert default_user_agent("acme").startswith("python:closeloop:v") and agent.split(" ")[1:3] == ["(by", "/u/acme)"]
