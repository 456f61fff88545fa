"""`closeloop check-accounts` asks each platform who the credentials are and
whether each source's target is reachable, and says what to fix: a revoked
token, a missing permission or access tier, a feed that does not answer.
It polls nothing and stores nothing."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from closeloop.account_check import check_accounts
from closeloop.cli import main
from closeloop.demo import demo_settings
from store.models import Mention, Source

PLATFORMS = ("x", "facebook", "instagram", "reddit")
WHO = {"x": "signed in as @acme (id 1600000000000000001)", "facebook": "signed in as page Acme (id 1010)",
       "instagram": "signed in as @acme (id 17841400000000001)", "reddit": "signed in as u/acme (id "}
REVOKED = {"x": ("X rejected the credentials of this account", "wrong, expired or revoked"),
           "facebook": ("Facebook rejected the page access token", "code 190", "generate a new page access token"),
           "instagram": ("Instagram rejected the page access token", "code 190", "generate a new page access token"),
           "reddit": ("Reddit rejected the app's credentials", "check client_id and client_secret")}


@pytest.fixture
def settings(emulator):
    return demo_settings(database_url="sqlite:///unused.db", emulator_url=emulator.url, port=0)


def fault(emulator, platform: str, status: int) -> None:
    requests.post(f"{emulator.url}/_emulator/faults", timeout=5,
                  json={"platform": platform, "status": status, "count": 50}).raise_for_status()


def control(emulator, path: str, body: dict) -> None:
    requests.put(f"{emulator.url}/_emulator/{path}", json=body, timeout=5).raise_for_status()


def results_for(settings, platform: str) -> dict:
    return {c.source: c for c in check_accounts(settings) if settings.accounts[c.account].platform == platform}


def calls(emulator, platform: str) -> list[tuple[str, str]]:
    found = requests.get(f"{emulator.url}/_emulator/{platform}/requests", timeout=5).json()["requests"]
    return [(r["method"], r["path"]) for r in found]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_good_credentials_name_the_account_and_what_is_readable(settings, platform):
    checks = results_for(settings, platform)
    assert checks and all(c.ok for c in checks.values()), checks
    assert all(c.detail.startswith(WHO[platform]) and c.detail.endswith("readable") for c in checks.values()), checks


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_revoked_token_is_named_as_one(settings, emulator, platform):
    fault(emulator, platform, 401)
    checks = results_for(settings, platform)
    assert checks and not any(c.ok for c in checks.values())
    assert all(all(words in c.detail for words in REVOKED[platform]) for c in checks.values()), checks


def test_an_x_app_without_the_access_tier_is_told_which_tier_to_add(settings, emulator):
    fault(emulator, "x", 403)
    checks = results_for(settings, "x")
    assert checks and not any(c.ok for c in checks.values())
    for check in checks.values():
        assert "X refused looking up the signed-in account (403" in check.detail
        assert "the X app's access tier does not include this endpoint" in check.detail
        assert "need the Basic tier or above" in check.detail


@pytest.mark.parametrize("platform", ("facebook", "instagram"))
def test_a_graph_token_without_a_permission_is_told_which_one(settings, emulator, platform):
    fault(emulator, platform, 403)
    checks = results_for(settings, platform)
    assert checks and not any(c.ok for c in checks.values())
    assert all("(code 10: (#10)" in c.detail and "lacks pages_read_engagement" in c.detail
               and "generate a new page access token" in c.detail for c in checks.values()), checks


@pytest.mark.parametrize("platform, permission", [("facebook", "pages_messaging"),
                                                  ("instagram", "instagram_manage_messages")])
def test_messages_without_the_messaging_permission_fail_alone(settings, emulator, platform, permission):
    control(emulator, f"{platform}/messaging-permission", {"granted": False})
    checks = results_for(settings, platform)
    messages = checks.pop(f"{platform}-messages")
    assert not messages.ok
    assert messages.detail.startswith(WHO[platform] + "; ")
    assert f"(code 200: (#200) Requires {permission} permission" in messages.detail
    assert f"the page access token lacks {permission}; grant the app" in messages.detail
    assert permission in messages.detail.rpartition("grant the app")[2]
    assert checks and all(c.ok for c in checks.values()), checks


def test_a_private_subreddit_says_whom_its_moderators_must_approve(settings, emulator):
    control(emulator, "reddit/subreddits/acme", {"private": True})
    checks = results_for(settings, "reddit")
    assert checks.pop("reddit-mentions").ok
    assert checks and not any(c.ok for c in checks.values())
    assert all(c.detail.startswith(WHO["reddit"]) and "r/acme's about page (403" in c.detail
               and "ask its moderators to add u/acme as an approved user" in c.detail for c in checks.values())


def test_a_review_feed_that_answers_passes_and_one_that_does_not_fails(settings, emulator):
    requests.post(f"{emulator.url}/_emulator/reviews/posts", timeout=5,
                  json={"author": {"name": "Ana"}, "rating": 2, "text": "Slow delivery"}).raise_for_status()
    good = results_for(settings, "reviews")["review-feed"]
    assert good.ok and good.detail.endswith("/reviews/feed.xml answers with 1 review(s)"), good
    fault(emulator, "reviews", 403)
    refused = results_for(settings, "reviews")["review-feed"]
    assert not refused.ok
    assert "answered 403" in refused.detail and "the feed may have moved or be private" in refused.detail
    requests.delete(f"{emulator.url}/_emulator/faults", timeout=5).raise_for_status()
    fault(emulator, "reviews", 503)
    down = results_for(settings, "reviews")["review-feed"]
    assert not down.ok and "answered 503" in down.detail


def test_nothing_is_polled_or_marked_read(settings, emulator):
    for platform, body in (("x", {"author": {"handle": "tom"}, "text": "@acme refund still missing"}),
                           ("reddit", {"kind": "mention", "author": {"name": "tom"}, "text": "u/acme help",
                                       "subreddit": "acme"})):
        requests.post(f"{emulator.url}/_emulator/{platform}/posts", json=body, timeout=5).raise_for_status()
    assert all(c.ok for c in check_accounts(settings))
    assert not any("/mentions" in path for _, path in calls(emulator, "x"))
    reddit = calls(emulator, "reddit")
    assert not any(path.startswith(("/message/", "/api/read_message")) for _, path in reddit), reddit
    unread = requests.get(f"{emulator.url}/_emulator/reddit/posts", timeout=5).json()["posts"]
    assert any(post.get("unread") for post in unread), unread


def test_the_command_reports_each_source_stores_nothing_and_fails_when_one_does(tmp_path, emulator, sqlite_db):
    requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "tom", "name": "Tom", "followers": 5}, "text": "@acme Refund still missing"})
    with sqlite_db.transaction() as session:
        session.add(Source(name="x-mentions", platform="x", kind="mentions", credentials_ref="acme_x", cursor="7",
                           status="ok"))
    config = tmp_path / "closeloop.toml"
    config.write_text(f'[database]\nurl = "{sqlite_db.url}"\n\n[accounts.acme_x]\nplatform = "x"\n'
                      f'base_url = "{emulator.url}"\nconsumer_key = "k"\nconsumer_secret = "s"\n'
                      'access_token = "t"\naccess_token_secret = "ts"\n\n'
                      '[[sources]]\nname = "x-mentions"\naccount = "acme_x"\nkind = "mentions"\n')
    good = CliRunner().invoke(main, ["--config", str(config), "check-accounts"])
    assert good.exit_code == 0, good.output
    assert ("x-mentions (account acme_x): ok: signed in as @acme (id 1600000000000000001); mentions readable"
            in good.output)
    fault(emulator, "x", 401)
    bad = CliRunner().invoke(main, ["--config", str(config), "check-accounts"])
    assert bad.exit_code == 1
    assert "x-mentions (account acme_x): FAILED: X rejected the credentials of this account (401" in bad.output
    with sqlite_db.transaction() as session:
        assert session.query(Mention).count() == 0
        source = session.query(Source).one()
        assert (source.cursor, source.status, source.last_polled_at, source.last_error) == ("7", "ok", None, None)
