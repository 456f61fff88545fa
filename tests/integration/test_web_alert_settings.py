"""Alert settings in the web (a person's own in /account/alerts, anyone's
and the role defaults in /admin/alerts), the grouped alerts API, the trends
CSV and the response-time achievement in /metrics."""

from __future__ import annotations

import inspect

import pytest

from config import load_settings
from store.alert_preferences import preferences_for
from store.alerts import Recipient, queue_alerts
from store.models import Agent, AuditEntry, Ticket
from tests import TEST_SECRET_KEY
from web import create_app
from web.dashboard import trend_rows

MINE = {"channels": ["web"], "kinds": ["breached", "escalated"], "scope": "team", "timezone": "Europe/Paris",
        "digest": "on", "digest_hour": "18", "quiet_from": "22:00", "quiet_until": "07:00"}


def preferences(world, agent_id):
    with world.db.transaction() as session:
        return preferences_for(session, [session.get(Agent, agent_id)])[agent_id]


def test_a_person_sets_their_own_alerts_and_can_go_back_to_the_roles(world, client, ada):
    page = client.get("/account/alerts").get_data(as_text=True)
    assert "These settings are closeloop&#39;s default." in page
    assert "breaches and escalations still reach managers and admins at once" in page
    response = client.post("/account/alerts", data=MINE)
    assert response.status_code == 302
    saved = preferences(world, ada)
    assert (saved.source, saved.channels, saved.kinds, saved.scope) == ("own", ("web",), ("breached", "escalated"),
                                                                        "team")
    assert (saved.digest, saved.digest_hour, saved.timezone) == (True, 18, "Europe/Paris")
    assert (saved.quiet_from, saved.quiet_until) == ("22:00", "07:00")
    client.post("/account/alerts/reset")
    assert preferences(world, ada).source == "default"


@pytest.mark.parametrize("change, why", [
    ({"timezone": "Mars/Olympus"}, "is not a time zone name"),
    ({"quiet_until": ""}, "quiet hours need both a start and an end"),
    ({"channels": ["web", "pager"]}, "&#39;pager&#39; is not one of web, email, slack"),
    ({"channels": ["slack"]}, "Slack alerts need your Slack member ID"),
    ({"slack_user": "bob"}, "must be a Slack member ID"),
    ({"digest_hour": "25"}, "digest_hour must be a whole hour from 0 to 23"),
])
def test_bad_alert_settings_are_refused_and_change_nothing(world, client, ada, change, why):
    response = client.post("/account/alerts", data={**MINE, **change}, follow_redirects=True)
    assert why in response.get_data(as_text=True)
    assert preferences(world, ada).source == "default"


def test_an_admin_sets_a_roles_default_and_a_persons_alerts(world, admin_client, ada):
    assert admin_client.post("/admin/alerts/roles/agent", data={**MINE, "channels": ["web", "email"]}).status_code == 302
    assert preferences(world, ada).source == "role"
    assert preferences(world, ada).channels == ("web", "email")
    admin_client.post(f"/admin/alerts/people/{ada}", data={**MINE, "channels": ["slack"], "slack_user": "U0ADA"})
    mine = preferences(world, ada)
    assert (mine.source, mine.channels, mine.slack_user) == ("own", ("slack",), "U0ADA")
    page = admin_client.get("/admin/alerts").get_data(as_text=True)
    assert "Ada Lovelace" in page and "their own choice" in page
    with world.db.transaction() as session:
        assert {e.action for e in session.query(AuditEntry)} >= {"alert_defaults_changed", "alert_settings_changed"}
    assert admin_client.post("/admin/alerts/roles/boss", data=MINE).status_code == 404


def test_only_admins_set_other_peoples_alerts(client, ada):
    assert client.get("/admin/alerts").status_code == 403
    assert client.post(f"/admin/alerts/people/{ada}", data=MINE).status_code == 403


def test_the_alerts_api_groups_alerts_as_the_app_does(world, client, ada):
    auth = {"Authorization": f"Bearer {world.token(world.client())}"}
    tickets = [world.ticket() for _ in range(3)]
    for n, ticket_id in enumerate(tickets):
        with world.db.transaction() as session:
            queue_alerts(session, key=f"at_risk:{ticket_id}", kind="at_risk", ticket=session.get(Ticket, ticket_id),
                         recipients=[Recipient("web", "ada@example.com", ada)], subject=f"Ticket {ticket_id} at risk",
                         body="soon", link=f"/tickets/{ticket_id}", now=world.clock.now())
        world.clock.advance(seconds=40 if n == 0 else 90)
    items = client.get("/api/v1/alerts", headers=auth).get_json()["alerts"]
    assert [item["ticket_ids"] for item in items] == [[tickets[2]], tickets[:2]]
    assert items[1]["subject"] == f"2 tickets at risk: #{tickets[0]}, #{tickets[1]}"
    assert [a["id"] for a in items[1]["alerts"]] == sorted(a["id"] for a in items[1]["alerts"])
    assert items[0]["unread"] is True and items[0]["link"] == f"/tickets/{tickets[2]}"


def test_the_trends_csv_streams_one_line_per_bucket_and_topic(world, client, ada):
    world.agent("Mia Manager", "mia@example.com", role="manager")
    token = {"Authorization": f"Bearer {world.token(world.client(), 'mia@example.com')}"}
    world.ticket("My parcel is late", opened_minutes_ago=30)
    start, end = "2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z"
    response = world.client().get(f"/api/v1/reports/trends.csv?from={start}&to={end}", headers=token)
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "5min (UTC),topic,mentions,negative,needed_response,needed_response_share"
    assert len(lines) == 1 + 12 and sum(int(line.split(",")[2]) for line in lines[1:]) == 1
    assert inspect.isgenerator(trend_rows({"buckets": [], "groups": []}))


def test_the_dashboard_links_the_trends_csv(world):
    world.agent("Mia Manager", "mia@example.com", role="manager")
    client = world.client()
    world.sign_in(client, "mia@example.com")
    world.ticket("My parcel is late", opened_minutes_ago=30)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/api/v1/reports/trends.csv?from=' in html


def test_metrics_give_the_achievement_per_platform_and_target_read_once_a_minute(world, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN_FOR_TEST", "s3cret")
    settings = load_settings(env={}, overrides={"database": {"url": world.db.url},
                                                "web": {"secret_key": TEST_SECRET_KEY},
                                                "metrics": {"token": "env:METRICS_TOKEN_FOR_TEST"}})
    client = create_app(settings, db=world.db, clock=world.clock).test_client()

    def scrape():
        return client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).get_data(as_text=True)

    world.ticket(opened_minutes_ago=60, due_in=-30)
    assert 'closeloop_sla_achievement{platform="x",target="first_response"} 0.0' in scrape()
    world.ticket(opened_minutes_ago=60, due_in=-30, platform="reddit", handle="rita")
    assert 'closeloop_sla_achievement{platform="reddit"' not in scrape()
    world.clock.advance(minutes=1)
    assert 'closeloop_sla_achievement{platform="reddit",target="first_response"} 0.0' in scrape()
