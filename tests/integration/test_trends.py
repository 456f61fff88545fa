"""The trends report (mentions per time bucket and topic or platform), its
API and its section of the dashboard, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from store import kept_figures
from store.models import Customer, Identity, KeptFigures, Mention
from store.trends import trends

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
_ids = itertools.count(1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def write(db, *posts: tuple[datetime, str | None, str, str, bool]) -> None:
    """Mentions as (written at, topic, platform, sentiment, needed a response)."""
    with db.transaction() as session:
        identity = Identity(customer=Customer(display_name="Maria", created_at=at(1, 0)), platform="x",
                            platform_user_id=f"u{next(_ids)}")
        for written, topic, platform, sentiment, needs_response in posts:
            session.add(Mention(platform=platform, external_id=f"t{next(_ids)}", kind="post", identity=identity,
                                text="hello", created_at=written, received_at=written, sentiment=sentiment,
                                polarity=0.0, urgency=0.1, needs_response=needs_response, topic=topic))


@pytest.fixture
def written(db):
    write_the_posts(db)


def write_the_posts(db) -> None:
    """Around midnight in Paris (UTC+1), three topics, two platforms."""
    write(db,
          (at(3, 22, 30), "delivery", "x", "negative", True),       # 3 January, 23:30 in Paris
          (at(3, 23, 30), "delivery", "x", "negative", True),       # 4 January, 00:30 in Paris
          (at(4, 10), "delivery", "facebook", "neutral", False),
          (at(4, 11), None, "x", "positive", False),
          (at(4, 12), "billing_or_refund", "x", "negative", False),
          (at(5, 8), "delivery", "reviews", "negative", True),
          (at(5, 9), "delivery", "x", "negative", True))            # at the end of the period: left out


def report(db, group_by: str = "topic") -> dict:
    with db.sessions() as session:
        return trends(session, at(3, 12), at(5, 9), group_by, PARIS, now=at(5, 9))


def test_it_counts_mentions_per_local_day_and_topic_with_no_topic_last(db, written):
    body = report(db)

    assert (body["bucket"], body["buckets"]) == ("day", ["2026-01-03", "2026-01-04", "2026-01-05"])
    assert [group["key"] for group in body["groups"]] == ["billing_or_refund", "delivery", None]
    delivery = body["groups"][1]
    assert delivery["mentions"] == [1, 2, 1]
    assert delivery["negative"] == [1, 1, 1]
    assert delivery["needed_response"] == [1, 1, 1]
    assert delivery["needed_response_share"] == [1.0, 0.5, 1.0]
    assert delivery["total"] == {"mentions": 4, "negative": 3, "needed_response": 3, "needed_response_share": 0.75}
    no_topic = body["groups"][2]
    assert (no_topic["mentions"], no_topic["negative"], no_topic["needed_response_share"]) == (
        [0, 1, 0], [0, 0, 0], [None, 0.0, None])


def test_it_groups_by_platform(db, written):
    body = report(db, "platform")

    assert {group["key"]: group["total"]["mentions"] for group in body["groups"]} == {
        "facebook": 1, "reviews": 1, "x": 4}
    assert [group["key"] for group in body["groups"]] == ["facebook", "reviews", "x"]


def test_an_unknown_grouping_is_refused(db):
    with pytest.raises(ValueError, match="group_by must be one of topic, platform"):
        report(db, "team")


@pytest.fixture
def mia(world):
    return world.agent("Mia Manager", "mia@example.com", role="manager")


@pytest.fixture
def token(world, mia):
    return {"Authorization": f"Bearer {world.token(world.client(), 'mia@example.com')}"}


def test_the_trends_api_returns_the_figures_per_day_and_group(world, token, written):
    response = world.client().get("/api/v1/reports/trends?from=2026-01-03&to=2026-01-04&group_by=platform",
                                  headers=token)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["from"], body["to"], body["group_by"], body["timezone"]) == (
        "2026-01-03T00:00:00Z", "2026-01-05T00:00:00Z", "platform", "UTC")
    assert (body["bucket"], body["buckets"]) == ("day", ["2026-01-03", "2026-01-04"])
    assert body["groups"] == [
        {"key": "facebook", "mentions": [0, 1], "negative": [0, 0], "needed_response": [0, 0],
         "needed_response_share": [None, 0.0],
         "total": {"mentions": 1, "negative": 0, "needed_response": 0, "needed_response_share": 0.0}},
        {"key": "x", "mentions": [2, 2], "negative": [2, 1], "needed_response": [2, 0],
         "needed_response_share": [1.0, 0.0],
         "total": {"mentions": 4, "negative": 3, "needed_response": 2, "needed_response_share": 0.5}},
    ]


def test_a_day_of_trends_is_bucketed_by_the_hour_and_a_few_hours_by_five_minutes(world, token, written):
    day = world.client().get("/api/v1/reports/trends?from=2026-01-04&to=2026-01-04", headers=token).get_json()
    hours = world.client().get("/api/v1/reports/trends?from=2026-01-04T10:00&to=2026-01-04T12:30",
                               headers=token).get_json()

    assert (day["bucket"], len(day["buckets"]), day["buckets"][10]) == ("hour", 24, "10:00")
    assert (hours["bucket"], len(hours["buckets"]), hours["buckets"][12]) == ("5min", 30, "11:00")
    assert [(g["key"], g["mentions"].index(1)) for g in hours["groups"]] == [
        ("billing_or_refund", 24), ("delivery", 0), (None, 12)]


def test_an_offset_whose_plus_the_query_string_turned_into_a_space_reads_as_sent(world, token, written):
    plain = world.client().get("/api/v1/reports/trends?from=2026-01-04T10:00:00+01:00&to=2026-01-04T12:30:00+01:00",
                               headers=token)
    encoded = world.client().get(
        "/api/v1/reports/trends?from=2026-01-04T10:00:00%2B01:00&to=2026-01-04T12:30:00%2B01:00", headers=token)

    assert plain.status_code == 200, plain.get_json()
    assert plain.get_json() == encoded.get_json()
    assert plain.get_json()["from"] == "2026-01-04T09:00:00Z"


def test_the_trends_api_defaults_to_the_last_seven_days_by_topic(world, token, written):
    body = world.client().get("/api/v1/reports/trends", headers=token).get_json()

    assert (body["from"], body["to"], body["group_by"]) == ("2025-12-29T09:00:00Z", "2026-01-05T09:00:00Z", "topic")
    assert body["buckets"][0] == "2025-12-29" and body["buckets"][-1] == "2026-01-05" and len(body["buckets"]) == 8
    assert [(group["key"], group["total"]["negative"]) for group in body["groups"]] == [
        ("billing_or_refund", 1), ("delivery", 3), (None, 0)]


@pytest.mark.parametrize(("query", "message"), [
    ("from=yesterday", "'from' must be an ISO 8601 date or date-time"),
    ("to=2026-13-01", "'to' must be an ISO 8601 date or date-time"),
    ("group_by=team", "'group_by' must be one of topic, platform"),
    ("from=2026-01-05&to=2026-01-01", "'from' must be before 'to'"),
])
def test_the_trends_api_refuses_a_bad_parameter_with_400_naming_it(world, token, query, message):
    response = world.client().get(f"/api/v1/reports/trends?{query}", headers=token)

    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(message)


def test_the_trends_api_is_for_leads_only(world, client, token):
    agent_token = {"Authorization": f"Bearer {world.token(world.client())}"}

    assert world.client().get("/api/v1/reports/trends", headers=agent_token).status_code == 403
    assert client.get("/api/v1/reports/trends").status_code == 403
    assert world.client().get("/api/v1/reports/trends").status_code == 401
    assert world.client().get("/api/v1/reports/trends", headers=token).status_code == 200


def test_the_dashboard_shows_negative_mentions_per_day_by_topic(world, mia, written):
    manager = world.client()
    world.sign_in(manager, "mia@example.com")

    html = manager.get("/dashboard?period=7d").get_data(as_text=True)

    section = html[html.index('<section id="trends"'):]
    row = re.search(r'<th scope="row">Delivery</th>(.*?)</tr>', section, re.S).group(1)
    assert re.findall(r'<td class="number">([^<]*)</td>', row) == ["4", "3", "3", "75.0 %"]
    assert '<th scope="row">no topic</th>' in section
    charts = json.loads(re.search(r'id="dashboard-charts">(.*?)</script>', html, re.S).group(1))
    by_topic = {series["label"]: series["data"] for series in charts["negative_by_topic"]["datasets"]}
    assert charts["negative_by_topic"]["labels"][-3:] == ["2026-01-03", "2026-01-04", "2026-01-05"]
    assert by_topic["Delivery"][-3:] == [2, 0, 1]
    assert by_topic["no topic"] == [0] * 8


def test_topic_names_are_escaped_on_the_dashboard(world, mia, db):
    write(db, (at(5, 8), "<img src=x onerror=alert(1)>", "x", "negative", True))
    manager = world.client()
    world.sign_in(manager, "mia@example.com")

    html = manager.get("/dashboard").get_data(as_text=True)

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html


def test_kept_days_take_a_late_post_and_a_changed_topic(postgres_db, monkeypatch):
    """On PostgreSQL whole past days are kept once counted; a post written
    on one of them but stored later, and a topic changed with straight SQL,
    mark them through the database's triggers and are counted."""
    db = postgres_db
    write_the_posts(db)
    monkeypatch.setattr(kept_figures, "GRACE_SECONDS", 0.0)
    with db.transaction() as session:
        before = trends(session, at(1, 0), at(5, 9), "topic", UTC, now=at(6, 0))
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(KeptFigures)) == 4 + 9  # days, then hours
    write(db, (at(4, 10, 30), "delivery", "x", "negative", True))
    with db.transaction() as session:
        session.execute(update(Mention).where(Mention.topic == "billing_or_refund").values(topic="delivery"))
    with db.transaction() as session:
        after = trends(session, at(1, 0), at(5, 9), "topic", UTC, now=at(6, 0))
    assert [group["key"] for group in before["groups"]] == ["billing_or_refund", "delivery", None]
    assert [group["key"] for group in after["groups"]] == ["delivery", None]
    assert after["groups"][0]["total"]["mentions"] == before["groups"][1]["total"]["mentions"] + 2
