"""`closeloop check-accounts` reads each source once with its account's
credentials and says what to fix: a revoked token (401), a missing
permission (403), for each platform."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from closeloop.account_check import check_accounts
from closeloop.cli import main
from closeloop.demo import demo_settings
from store.models import Mention

PLATFORMS = ("x", "facebook", "reddit")


@pytest.fixture
def settings(emulator):
    return demo_settings(database_url="sqlite:///unused.db", emulator_url=emulator.url, port=0)


def fault(emulator, platform: str, status: int) -> None:
    requests.post(f"{emulator.url}/_emulator/faults", timeout=5,
                  json={"platform": platform, "status": status, "count": 50})


def results_for(settings, platform: str):
    return [c for c in check_accounts(settings) if settings.accounts[c.account].platform == platform]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_good_credentials_pass(settings, platform):
    checks = results_for(settings, platform)
    assert checks and all(c.ok for c in checks), checks
    assert all("readable" in c.detail for c in checks)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_revoked_token_is_named_as_one(settings, emulator, platform):
    fault(emulator, platform, 401)
    checks = results_for(settings, platform)
    assert checks and not any(c.ok for c in checks)
    # Graph answers a revoked token with its own error (400, code 190), which the connector explains.
    assert all("wrong, expired or revoked" in c.detail or "generate a new page access token" in c.detail
               for c in checks), checks


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_missing_permission_is_named_as_one(settings, emulator, platform):
    fault(emulator, platform, 403)
    checks = results_for(settings, platform)
    assert checks and not any(c.ok for c in checks)
    assert all("lack a permission or access tier" in c.detail for c in checks), checks


def test_the_command_reports_each_source_and_fails_when_one_does(tmp_path, emulator, sqlite_db):
    requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
        "author": {"handle": "tom", "name": "Tom", "followers": 5}, "text": "Refund still missing"})
    config = tmp_path / "closeloop.toml"
    config.write_text(f'[database]\nurl = "{sqlite_db.url}"\n\n[accounts.acme_x]\nplatform = "x"\n'
                      f'base_url = "{emulator.url}"\nconsumer_key = "k"\nconsumer_secret = "s"\n'
                      'access_token = "t"\naccess_token_secret = "ts"\n\n'
                      '[[sources]]\nname = "x-mentions"\naccount = "acme_x"\nkind = "mentions"\n')
    good = CliRunner().invoke(main, ["--config", str(config), "check-accounts"])
    assert good.exit_code == 0, good.output
    assert "x-mentions (account acme_x): ok: 1 post(s) readable" in good.output
    with sqlite_db.transaction() as session:
        assert session.query(Mention).count() == 0
    fault(emulator, "x", 401)
    bad = CliRunner().invoke(main, ["--config", str(config), "check-accounts"])
    assert bad.exit_code == 1
    assert "x-mentions (account acme_x): FAILED:" in bad.output
