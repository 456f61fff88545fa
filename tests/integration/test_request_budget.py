"""A source or an account never sends more requests than its budget per window."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from config.settings import AccountSettings, SourceSettings
from connectors.base import ConnectorError
from connectors.budget import RequestBudget
from connectors.registry import ConnectorPool
from listener.in_force import hold
from listener.polling import Poller, sync_sources
from store.models import Mention, Source


class Ticking:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_budget_refuses_the_request_over_its_limit_until_the_window_moves():
    clock = Ticking()
    budget = RequestBudget("source s", limit=2, window=60, clock=clock)
    budget.spend()
    clock.now += 10
    budget.spend()
    with pytest.raises(ConnectorError) as refused:
        budget.spend()
    assert refused.value.retry_after == pytest.approx(50)
    assert "budget of 2 requests per 60 s" in refused.value.message
    clock.now += 50.5
    budget.spend()
    assert budget.remaining() == 0


def add_posts(emulator, count):
    for n in range(count):
        requests.post(f"{emulator.url}/_emulator/x/posts", timeout=5, json={
            "author": {"handle": f"c{n}", "name": f"C {n}", "followers": 1}, "text": f"Order {n} is late, awful"})


def account(emulator, **budget):
    return AccountSettings(platform="x", base_url=emulator.url, bearer_token="t", user_id="1600000000000000001",
                           **budget)


def test_an_accounts_budget_covers_every_request_made_with_it(emulator):
    pool = ConnectorPool({"acme_x": account(emulator, request_budget=2, budget_window_seconds=600)}, timeout=5)
    connector = pool.for_account("acme_x", "x")
    connector.fetch("mentions", "", None)
    connector.fetch("mentions", "", None)
    with pytest.raises(ConnectorError, match="account acme_x used its budget of 2 requests per 600 s"):
        connector.fetch("mentions", "", None)
    assert len(requests.get(f"{emulator.url}/_emulator/x/requests", timeout=5).json()["requests"]) == 2


def test_a_source_over_its_budget_backs_off_and_stores_nothing_half_read(db, settings, clock, emulator):
    add_posts(emulator, 25)
    settings = settings.model_copy(update={
        "accounts": {"acme_x": account(emulator)},
        "sources": (SourceSettings(name="x-mentions", account="acme_x", kind="mentions", request_budget=2,
                                   budget_window_seconds=900),),
    })
    pool = ConnectorPool(settings.accounts, timeout=5)
    pool.for_account("acme_x", "x").page_size = 10
    poller = Poller(db, hold(settings), clock, pool.for_account)
    with db.transaction() as session:
        source_id = sync_sources(session, settings, clock.now())[0].id

    outcome = poller.poll(source_id)

    assert outcome.status == "backing_off"
    assert "source x-mentions used its budget of 2 requests per 900 s" in outcome.error
    assert outcome.next_poll_at > clock.now() + timedelta(seconds=800)
    assert len(requests.get(f"{emulator.url}/_emulator/x/requests", timeout=5).json()["requests"]) == 2
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Mention)) == 0
        assert session.get(Source, source_id).cursor is None


@pytest.mark.parametrize("platform", ["reddit", "reviews"])
def test_a_spent_budget_keeps_its_wait_through_every_client_library(emulator, platform):
    from connectors.reddit import emulator as reddit_emulator

    credentials = {
        "reddit": {"client_id": reddit_emulator.CLIENT_ID, "client_secret": reddit_emulator.CLIENT_SECRET,
                   "username": "acme", "password": reddit_emulator.PASSWORD},
        "reviews": {},
    }[platform]
    pool = ConnectorPool({"a": AccountSettings(platform=platform, base_url=emulator.url, request_budget=1,
                                               budget_window_seconds=300, **credentials)}, timeout=5)
    connector = pool.for_account("a", platform)
    kind, target = {"reddit": ("comments", "acme"), "reviews": ("feed", "/reviews/feed.json")}[platform]
    with pytest.raises(ConnectorError) as spent:
        for _ in range(3):
            connector.fetch(kind, target, None)
    assert spent.value.retry_after is not None and 0 < spent.value.retry_after <= 300
    assert "used its budget of 1 requests per 300 s" in spent.value.message
