"""The managers' dashboard and the reports API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from store.models import Event, Ticket
from tests.integration.web_helpers import make_world

NO_FIGURES = {"due": 0, "met": 0, "missed": 0, "achievement": None, "not_yet_due": 0}
VENDORED_CHART_JS = Path(__file__).parents[2] / "web" / "static" / "vendor" / "chart.umd.min.js"


@pytest.fixture
def mia(world):
    return world.agent("Mia Manager", "mia@example.com", role="manager")


@pytest.fixture
def manager(world, mia):
    """A browser session signed in as Mia, a manager."""
    client = world.client()
    world.sign_in(client, "mia@example.com")
    return client


@pytest.fixture
def token(world, mia):
    return {"Authorization": f"Bearer {world.token(world.client(), 'mia@example.com')}"}


def raised(world, ticket_id: int, *, answered_after: float | None = None, by: str = "ada@example.com") -> None:
    """The events of a ticket made by world.ticket: raised when it opened,
    and its first answer `answered_after` minutes later."""
    with world.db.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        session.add(Event(ticket=ticket, kind="raised", at=ticket.created_at,
                          detail={"first_response_due_at": ticket.first_response_due_at.isoformat()}))
        if answered_after is not None:
            ticket.first_response_at = ticket.created_at + timedelta(minutes=answered_after)
            ticket.status = "open"
            session.add(Event(ticket=ticket, kind="replied", actor=by, at=ticket.first_response_at))


@pytest.fixture
def figures(world, ada):
    """Two answered tickets, one within its 30-minute target, and one
    unanswered ticket 25 minutes past its due time."""
    within = world.ticket(opened_minutes_ago=60, due_in=-30)
    raised(world, within, answered_after=20)
    late = world.ticket(opened_minutes_ago=60, due_in=-30)
    raised(world, late, answered_after=50)
    overdue = world.ticket(opened_minutes_ago=90, due_in=-25, assignee_id=ada)
    raised(world, overdue)
    return {"within": within, "late": late, "overdue": overdue}


def test_a_manager_sees_response_times_risks_and_load_on_the_dashboard(manager, figures):
    response = manager.get("/dashboard")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    row = re.search(r'<th scope="row">X</th>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="number">([^<]*)</td>', row) == ["3", "1", "2", "33.3 %", "0", "50.0 min",
                                                                   "≥ 90.0 min"]
    assert f'href="/tickets/{figures["overdue"]}"' in html
    assert "25 min over" in html
    assert re.search(r"<td>Ada Lovelace</td>\s*<td>care</td>", html)
    assert re.search(r"1 / 10\s*</td>", html)


def test_the_dashboard_groups_by_assignee_by_name(manager, figures):
    html = manager.get("/dashboard?group_by=agent&period=7d").get_data(as_text=True)

    assert re.search(r'<th scope="row">Ada Lovelace</th>\s*<td class="number">1</td>', html)
    assert re.search(r'<th scope="row">unassigned</th>\s*<td class="number">2</td>', html)
    assert 'aria-current="page">Last 7 days</a>' in html


def test_the_dashboard_shows_each_target_and_defines_each_figure(manager, figures):
    html = manager.get("/dashboard?target=resolution").get_data(as_text=True)

    row = re.search(r'<th scope="row">X</th>(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="number">([^<]*)</td>', row) == ["0", "0", "0", "—", "3"]
    assert 'aria-current="page">Resolution</a>' in html
    assert "<dt>Achievement</dt><dd>met divided by met plus missed.</dd>" in html
    assert 'href="/api/v1/reports/sla.csv?group_by=platform&amp;from=' in html


def test_the_dashboard_shows_a_period_chosen_by_dates(manager, figures):
    html = manager.get("/dashboard?from=2026-01-01&to=2026-01-04").get_data(as_text=True)

    assert "From 2026-01-01 00:00\xa0UTC to 2026-01-05 00:00\xa0UTC." in html
    assert "No tickets in this period." in html


def test_a_bad_period_on_the_page_is_explained_and_the_last_day_shown(manager, figures):
    response = manager.get("/dashboard?period=year")

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "&#39;period&#39; must be one of 24h, 7d, 30d" in html
    assert '<th scope="row">X</th>' in html


def test_the_volume_chart_names_platforms_as_the_tables_do(manager, figures):
    html = manager.get("/dashboard").get_data(as_text=True)

    charts = json.loads(re.search(r'id="dashboard-charts">(.*?)</script>', html, re.S).group(1))
    assert [series["label"] for series in charts["volume"]["datasets"]] == ["X"]
    assert '<th scope="row">X</th>' in html


def test_the_dashboard_loads_chart_js_from_this_site_and_runs_no_inline_script(manager, figures):
    html = manager.get("/dashboard").get_data(as_text=True)

    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert 'src="/static/vendor/chart.umd.min.js"' in html
    assert 'src="/static/dashboard.js"' in html
    assert re.search(r'<script type="application/json" id="dashboard-charts">\{.*"within_target"', html)
    assert manager.get("/static/vendor/chart.umd.min.js").status_code == 200
    assert VENDORED_CHART_JS.read_text()[:40].startswith("/*!\n * Chart.js v4.6.1")
    assert "chart.umd.min.js" not in manager.get("/inbox").get_data(as_text=True)


def test_customer_text_is_escaped_on_the_dashboard(manager, world):
    ticket = world.ticket(handle="<script>alert(1)</script>", opened_minutes_ago=90, due_in=-10)
    raised(world, ticket)

    html = manager.get("/dashboard").get_data(as_text=True)

    assert "<Script>Alert(1)" not in html
    assert "&lt;Script&gt;Alert(1)&lt;/Script&gt; Jones" in html


def test_a_senior_may_see_the_dashboard(world):
    world.agent("Sam Senior", "sam@example.com", role="senior")
    client = world.client()
    world.sign_in(client, "sam@example.com")

    assert client.get("/dashboard").status_code == 200


def test_an_agent_gets_403_on_the_dashboard_and_the_reports_api(world, client):
    token = {"Authorization": f"Bearer {world.token(world.client())}"}

    assert client.get("/dashboard").status_code == 403
    for path in ("/api/v1/reports/sla", "/api/v1/reports/now"):
        response = world.client().get(path, headers=token)
        assert response.status_code == 403
        assert response.get_json()["error"]["status"] == 403
    assert client.get("/api/v1/reports/now").status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(world):
    response = world.client().get("/dashboard")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_nav_links_to_the_dashboard_for_managers_only(manager, client):
    assert 'href="/dashboard"' in manager.get("/inbox").get_data(as_text=True)
    assert 'href="/dashboard"' not in client.get("/inbox").get_data(as_text=True)


def test_the_sla_api_returns_the_figures_per_group_for_the_period(world, token, figures):
    response = world.client().get("/api/v1/reports/sla?from=2026-01-05&to=2026-01-05&group_by=agent", headers=token)

    assert response.status_code == 200
    assert response.get_json() == {
        "from": "2026-01-05T00:00:00Z",
        "to": "2026-01-06T00:00:00Z",
        "group_by": "agent",
        "groups": [
            {"key": "ada@example.com",
             "first_response": {"due": 1, "met": 0, "missed": 1, "achievement": 0.0, "not_yet_due": 0,
                                "median_min": 90.0, "median_at_least": True, "p90_min": 90.0, "p90_at_least": True,
                                "waiting": 1},
             "next_response": NO_FIGURES, "resolution": {**NO_FIGURES, "not_yet_due": 1}},
            {"key": None,
             "first_response": {"due": 2, "met": 1, "missed": 1, "achievement": 0.5, "not_yet_due": 0,
                                "median_min": 20.0, "median_at_least": False, "p90_min": 50.0,
                                "p90_at_least": False, "waiting": 0},
             "next_response": NO_FIGURES, "resolution": {**NO_FIGURES, "not_yet_due": 2}},
        ],
        "total": {"key": None,
                  "first_response": {"due": 3, "met": 1, "missed": 2, "achievement": 0.3333, "not_yet_due": 0,
                                     "median_min": 50.0, "median_at_least": False, "p90_min": 90.0,
                                     "p90_at_least": True, "waiting": 1},
                  "next_response": NO_FIGURES, "resolution": {**NO_FIGURES, "not_yet_due": 3}},
    }


def test_the_sla_csv_has_a_line_per_group_and_target_then_the_totals(world, token, figures):
    response = world.client().get("/api/v1/reports/sla.csv?group_by=agent", headers=token)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == ("group_by,key,target,due,met,missed,achievement,not_yet_due,median_min,median_at_least,"
                        "p90_min,p90_at_least,waiting")
    assert lines[1] == "agent,ada@example.com,first_response,1,0,1,0.0,0,90.0,True,90.0,True,1"
    assert lines[-3] == "all,,first_response,3,1,2,0.3333,0,50.0,False,90.0,True,1"
    assert len(lines) == 1 + 3 * 3


def test_the_sla_api_defaults_to_the_last_seven_days_by_platform(world, token, figures):
    body = world.client().get("/api/v1/reports/sla", headers=token).get_json()

    assert (body["from"], body["to"], body["group_by"]) == ("2025-12-29T09:00:00Z", "2026-01-05T09:00:00Z", "platform")
    assert [(g["key"], g["first_response"]["due"]) for g in body["groups"]] == [("x", 3)]


def test_the_sla_api_reads_dates_and_times_without_an_offset_as_local_time(db, clock, mia):
    paris = make_world(db, clock, timezone="Europe/Paris")
    client = paris.client()
    headers = {"Authorization": f"Bearer {paris.token(client, 'mia@example.com')}"}

    body = client.get("/api/v1/reports/sla?from=2026-01-05&to=2026-01-05T12:00", headers=headers).get_json()

    assert (body["from"], body["to"]) == ("2026-01-04T23:00:00Z", "2026-01-05T11:00:00Z")


@pytest.mark.parametrize(("query", "message"), [
    ("from=yesterday", "'from' must be an ISO 8601 date or date-time"),
    ("to=2026-13-01", "'to' must be an ISO 8601 date or date-time"),
    ("group_by=customer", "'group_by' must be one of platform, team, agent, priority, topic"),
    ("from=2026-01-05&to=2026-01-01", "'from' must be before 'to'"),
])
def test_the_sla_api_refuses_a_bad_parameter_with_400_saying_what_is_allowed(world, token, query, message):
    response = world.client().get(f"/api/v1/reports/sla?{query}", headers=token)

    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(message)


def test_the_now_api_lists_tickets_at_risk_and_each_agents_load(world, token, figures, ada):
    body = world.client().get("/api/v1/reports/now", headers=token).get_json()

    assert body["at"] == "2026-01-05T09:00:00Z"
    assert body["at_risk_and_breached"] == [{
        "ticket_id": figures["overdue"], "url": f"/tickets/{figures['overdue']}", "platform": "x",
        "priority": "normal", "team": "care", "customer": "Sam Jones", "target": "first_response",
        "state": "breached", "due_at": "2026-01-05T08:35:00Z", "minutes_over": 25, "minutes_left": None,
        "assignee_id": ada, "assignee": "Ada Lovelace",
    }]
    assert [(a["name"], a["open"], a["capacity"], a["over_capacity"]) for a in body["agent_load"]] == [
        ("Ada Lovelace", 1, 10, False), ("Mia Manager", 0, 10, False)]


def test_the_live_strip_counts_each_teams_open_breaching_and_soon_due_tickets(world, token, figures):
    soon = world.ticket(due_in=10)
    world.ticket(due_in=20)

    body = world.client().get("/api/v1/reports/now", headers=token).get_json()

    assert body["teams"] == [{
        "team": "care", "open": 5, "breaching": 1, "at_risk": 1,
        "oldest": {"ticket_id": figures["overdue"], "since": "2026-01-05T07:30:00Z", "waiting_min": 90,
                   "url": f"/tickets/{figures['overdue']}"},
        "links": {"open": "/inbox?team=care", "breaching": "/inbox?team=care&due=breached",
                  "at_risk": "/inbox?team=care&due=soon"},
    }]
    assert soon


def test_each_figure_of_the_strip_links_to_the_inbox_listing_those_tickets(manager, figures, world):
    soon = world.ticket(due_in=10)

    html = manager.get("/dashboard").get_data(as_text=True)
    assert '<a href="/inbox?team=care&amp;due=breached">1</a>' in html
    assert f'<a href="/tickets/{figures["overdue"]}">#{figures["overdue"]}</a>, 1 h 30 min' in html

    def listed(query):
        return set(map(int, re.findall(r'data-ticket="(\d+)"', manager.get(f"/inbox?{query}").get_data(as_text=True))))

    assert listed("team=care&due=breached") == {figures["overdue"]}
    assert listed("team=care&due=soon") == {soon}
    assert listed("team=other") == set()


def test_the_pages_live_refresh_reads_the_now_report_with_its_sign_in(manager, figures):
    response = manager.get("/api/v1/reports/now")

    assert response.status_code == 200
    assert [item["state"] for item in response.get_json()["at_risk_and_breached"]] == ["breached"]


def test_the_reports_api_answers_401_without_a_token_or_a_sign_in(world):
    response = world.client().get("/api/v1/reports/sla")

    assert response.status_code == 401
    assert response.get_json()["error"]["status"] == 401
