"""GET /metrics: Prometheus' text format for the bearer of metrics.token,
counted from the records at each scrape."""

from __future__ import annotations

import pytest

from config import load_settings
from tests import TEST_SECRET_KEY
from web import create_app


@pytest.fixture
def scrape(world, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN_FOR_TEST", "s3cret")
    settings = load_settings(env={}, overrides={"database": {"url": world.db.url},
                                                "web": {"secret_key": TEST_SECRET_KEY},
                                                "metrics": {"token": "env:METRICS_TOKEN_FOR_TEST"}})
    client = create_app(settings, db=world.db, clock=world.clock).test_client()

    def get(token: str | None = "s3cret"):
        return client.get("/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
    return get


def test_there_is_no_metrics_endpoint_without_a_token(world):
    assert world.client().get("/metrics").status_code == 404


def test_only_the_token_bearer_is_answered(scrape):
    assert scrape(None).status_code == 401
    assert scrape("guess").status_code == 401
    assert scrape().status_code == 200


def test_a_scrape_without_the_token_is_told_what_to_send_in_a_line(scrape):
    missing, wrong = scrape(None), scrape("guess")
    assert missing.get_data(as_text=True).startswith("the bearer token is missing: send 'Authorization: Bearer")
    assert wrong.get_data(as_text=True).startswith("the bearer token was not the one in metrics.token")
    assert "s3cret" not in wrong.get_data(as_text=True)
    assert wrong.headers["WWW-Authenticate"] == "Bearer" and wrong.mimetype == "text/plain"


def test_the_figures_follow_the_records(world, scrape):
    before = scrape().get_data(as_text=True)
    assert "closeloop_tickets_open 0.0" in before
    assert "closeloop_outbox_depth 0.0" in before
    world.ticket("My order never arrived")
    after = scrape().get_data(as_text=True)
    assert "closeloop_tickets_open 1.0" in after
    assert 'closeloop_tickets_raised_total{platform="x"} 1.0' in after
    assert 'closeloop_posts_ingested_total{platform="x"} 1.0' in after
    assert 'closeloop_request_seconds_count{endpoint="metrics.metrics",method="GET"}' in after
