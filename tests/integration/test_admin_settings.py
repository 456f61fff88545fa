"""Admins change response-time targets and routing rules in the web: checked
as a whole, stored, and taken up by the web and the worker."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from closeloop.runtime import Runtime
from store.models import AuditEntry
from store.overrides import save_overrides, stored_overrides
from tests.integration.web_helpers import make_world

TARGETS = {f"{target}.{priority}": str(minutes)
           for target, row in (("first_response_minutes", (15, 60, 240, 1440)),
                               ("next_response_minutes", (30, 60, 240, 1440)),
                               ("resolution_minutes", (1440, 1440, 4320, 10080)))
           for priority, minutes in zip(("urgent", "high", "normal", "low"), row)}
ROUTING = {"previous_agent_days": "30", "senior_priorities": ["urgent", "high"], "senior_tiers": "vip, gold",
           "repeat_complaint_days": "3", "recent_breach_days": "30", "at_risk_share": "0.75"}


def in_force(world):
    return world.app.extensions["closeloop"].settings


@contextmanager
def reads_of_overrides(db):
    """The statements sent to the database that read the stored settings changes."""
    reads = []

    def record(connection, cursor, statement, parameters, context, executemany):
        if "settings_overrides" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield reads
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_an_admin_changes_targets_and_routing_and_the_web_takes_them_up(world, admin_client):
    saved = admin_client.post("/admin/settings", data={**TARGETS, **ROUTING}, follow_redirects=True)
    assert "Saved: new tickets and checks use these now." in saved.get_data(as_text=True)
    admin_client.get("/admin/settings")
    settings = in_force(world)
    assert settings.sla.first_response_minutes.urgent == 15
    assert settings.routing.senior_priorities == ("urgent", "high")
    assert settings.routing.senior_tiers == ("vip", "gold")
    assert 'value="15"' in admin_client.get("/admin/settings").get_data(as_text=True)
    with world.db.transaction() as session:
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "settings_changed"))


@pytest.mark.parametrize("field, value, message", [
    ("first_response_minutes.urgent", "-5", "sla.first_response_minutes.urgent = &#39;-5&#39;"),
    ("resolution_minutes.low", "soon", "sla.resolution_minutes.low = &#39;soon&#39;"),
    ("at_risk_share", "2", "sla.at_risk_share = &#39;2&#39;"),
    ("first_response_minutes.urgent", "100000000000",
     "sla.first_response_minutes.urgent = &#39;100000000000&#39;: Input should be less than or equal to 525600"),
    ("previous_agent_days", "99999999", "routing.previous_agent_days = &#39;99999999&#39;"),
])
def test_a_bad_value_is_refused_naming_it_and_nothing_changes(world, admin_client, field, value, message):
    page = admin_client.post("/admin/settings", data={**TARGETS, **ROUTING, field: value},
                             follow_redirects=True).get_data(as_text=True)
    assert "Nothing was changed" in page and message in page
    with world.db.transaction() as session:
        assert stored_overrides(session) == {}
    assert in_force(world).sla.first_response_minutes.urgent == 30


def test_the_api_changes_part_of_the_settings(world, admin_auth):
    auth = admin_auth
    api = world.client()
    changed = api.put("/api/v1/admin/settings", headers=auth, json={"routing": {"repeat_complaint_days": 7}})
    assert changed.status_code == 200
    assert changed.get_json()["routing"]["repeat_complaint_days"] == 7
    assert changed.get_json()["sla"]["first_response_minutes"]["urgent"] == 30
    bad = api.put("/api/v1/admin/settings", headers=auth, json={"sla": {"first_response_minutes": {"urgent": 0}}})
    assert bad.status_code == 422
    assert "sla.first_response_minutes.urgent = 0" in bad.get_json()["error"]["message"]
    assert api.put("/api/v1/admin/settings", headers=auth, json={"database": {}}).status_code == 400
    assert api.get("/api/v1/admin/settings", headers=auth).get_json()["routing"]["repeat_complaint_days"] == 7

    vip = {"name": "vip", "tiers": ["vip"], "first_response_minutes": {"urgent": 10, "high": 20, "normal": 40,
                                                                        "low": 120}}
    assert api.put("/api/v1/admin/settings", headers=auth, json={"sla": {"policies": [vip]}}).status_code == 200
    api.get("/api/v1/admin/settings", headers=auth)
    assert in_force(world).sla.policies[0].first_response_minutes.urgent == 10


def test_the_worker_takes_up_the_change(db, settings, clock):
    runtime = Runtime(settings, db=db, clock=clock)
    try:
        with db.transaction() as session:
            save_overrides(session, settings, {"sla": {"first_response_minutes": {"urgent": 12}},
                                               "routing": {"senior_priorities": ["urgent", "high"]}},
                           "grace@example.com", clock.now())
        runtime.reload_config()
        running = runtime.live.now
        assert running.intake.sla.targets("urgent", "x", "standard").first_response.total_seconds() == 12 * 60
        assert running.sla_watch.sla.targets("urgent", "x", "standard").first_response.total_seconds() == 12 * 60
        assert running.settings.routing.senior_priorities == ("urgent", "high")
    finally:
        runtime.stop()


def test_requests_do_not_read_the_stored_settings_changes(world, admin_client, admin_auth):
    admin_client.get("/admin/settings")
    with reads_of_overrides(world.db) as reads:
        admin_client.get("/admin/settings")
        world.client().get("/api/v1/admin/settings", headers=admin_auth)
        world.client().get("/healthz")
    assert reads == []


def test_a_change_saved_in_one_web_process_reaches_another_within_the_check_interval(world, admin_auth):
    other = make_world(world.db, world.clock)
    reader = other.client()

    def repeat_complaint_days():
        return reader.get("/api/v1/admin/settings", headers=admin_auth).get_json()["routing"]["repeat_complaint_days"]

    assert repeat_complaint_days() == 3
    saved = world.client().put("/api/v1/admin/settings", headers=admin_auth, json={"routing": {"repeat_complaint_days": 9}})
    assert saved.get_json()["routing"]["repeat_complaint_days"] == 9
    assert repeat_complaint_days() == 3
    world.clock.advance(seconds=in_force(other).web.settings_check_seconds)
    assert repeat_complaint_days() == 9
    assert in_force(other).routing.repeat_complaint_days == 9
