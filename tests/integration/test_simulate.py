"""`closeloop simulate`: replaying posts through the scorer, the router and
the SLA clock with simulated agents."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from closeloop.cli import main
from closeloop.simulate import Staffing, read_arrivals, simulate
from config import load_settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "simulate"
POLICY_KEYS = {"tickets", "within_target", "first_response_p50_min", "first_response_p90_min", "breaches",
               "tickets_by_priority", "breaches_by_priority", "max_queue_wait_min"}


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def report(fixture: str, *args: str, config: str | None = None) -> dict:
    before = ["--config", str(FIXTURES / config)] if config else []
    result = run(*before, "simulate", "--arrivals", str(FIXTURES / fixture), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_line(outcomes, line):
    return next(o for o in outcomes if o.line == line)


def test_the_json_report_gives_each_policy_its_share_percentiles_and_breaches():
    data = report("busy.jsonl", "--agents", "3")
    assert data["tickets"] > 0
    for policy in ("routing", "round_robin"):
        figures = data[policy]
        assert set(figures) == POLICY_KEYS
        assert figures["tickets"] == data["tickets"] == sum(figures["tickets_by_priority"].values())
        assert 0 <= figures["within_target"] <= 1
        assert 0 < figures["first_response_p50_min"] <= figures["first_response_p90_min"]
        assert figures["breaches"] == sum(figures["breaches_by_priority"].values())
        assert figures["breaches"] == round(figures["tickets"] * (1 - figures["within_target"]))
        assert figures["max_queue_wait_min"] >= 0


def test_more_agents_never_answer_fewer_tickets_within_target():
    shares = {policy: [report("busy.jsonl", "--agents", str(n))[policy]["within_target"] for n in range(1, 5)]
              for policy in ("routing", "round_robin")}
    for policy, share in shares.items():
        assert share == sorted(share), policy
        assert share[0] < 0.5 < share[-1], policy


def test_every_ticket_is_answered_within_target_at_a_quiet_time():
    data = report("quiet.csv", "--agents", "1")
    assert (data["arrivals"], data["tickets"]) == (4, 3)
    for policy in ("routing", "round_robin"):
        assert data[policy]["within_target"] == 1.0
        assert data[policy]["breaches"] == 0
        assert data[policy]["first_response_p90_min"] == 6.0
        assert data[policy]["max_queue_wait_min"] == 0.0


def test_praise_raises_no_tickets():
    data = report("praise.csv", "--agents", "2")
    assert (data["arrivals"], data["tickets"]) == (4, 0)
    for policy in ("routing", "round_robin"):
        assert data[policy]["tickets"] == data[policy]["breaches"] == 0
        assert data[policy]["within_target"] is None


def test_an_urgent_complaint_goes_to_a_senior_under_routing_but_not_under_round_robin(settings):
    result = simulate(read_arrivals(FIXTURES / "urgent_to_senior.jsonl"), Staffing(agents=3, seniors=1), settings)
    routed = by_line(result.outcomes["routing"], 3)
    assert routed.priority == "urgent"
    assert (routed.senior, routed.reason) == (True, "senior: urgent")
    assert by_line(result.outcomes["round_robin"], 3).senior is False


@pytest.mark.parametrize("capacity", [1, 5], ids=["from the team queue", "from the agent's own tickets"])
def test_the_soonest_due_ticket_is_answered_first(settings, capacity):
    arrivals = read_arrivals(FIXTURES / "urgent_to_senior.jsonl")
    outcomes = simulate(arrivals, Staffing(agents=1, seniors=0, capacity=capacity), settings).outcomes["routing"]
    question, urgent = by_line(outcomes, 2), by_line(outcomes, 3)
    assert urgent.due_at < question.due_at
    assert urgent.first_response_at == datetime(2026, 3, 3, 10, 12, tzinfo=timezone.utc)
    assert question.first_response_at == datetime(2026, 3, 3, 10, 18, tzinfo=timezone.utc)


def test_a_customer_writing_again_within_days_goes_to_a_senior(settings):
    arrivals = read_arrivals(FIXTURES / "returning_customer.jsonl")
    outcomes = simulate(arrivals, Staffing(agents=3, seniors=1), settings).outcomes["routing"]
    assert not by_line(outcomes, 2).senior
    again = by_line(outcomes, 3)
    assert (again.senior, again.reason) == (True, "senior: repeat complaint")


def test_without_the_repeat_complaint_rule_a_customer_goes_back_to_their_agent():
    settings = load_settings(env={}, overrides={"routing": {"repeat_complaint_days": 0}})
    arrivals = read_arrivals(FIXTURES / "returning_customer.jsonl")
    outcomes = simulate(arrivals, Staffing(agents=3, seniors=1), settings).outcomes["routing"]
    first, again = by_line(outcomes, 2), by_line(outcomes, 3)
    assert (again.agent_id, again.reason) == (first.agent_id, "previous agent")
    assert not again.senior


def test_the_table_compares_routing_with_round_robin():
    result = run("simulate", "--arrivals", str(FIXTURES / "busy.jsonl"), "--agents", "3", "--seniors", "1")
    assert result.exit_code == 0, result.output
    header, table = result.output.splitlines()[0], result.output.splitlines()[1:]
    assert header.startswith("160 posts, 140 needing an answer; 3 agents (1 senior), capacity 5")
    assert table[0].split() == ["routing", "round-robin"]
    assert [line.split("  ")[0] for line in table[1:6]] == [
        "tickets", "within target", "first response p50", "first response p90", "breaches"]
    assert table[-1].startswith("max queue wait")


@pytest.mark.parametrize("fixture, problem", [
    ("missing_text_column.csv", "missing_text_column.csv, line 1: missing column 'text'; the columns are: created_at"),
    ("bad_date.jsonl", "bad_date.jsonl, line 3: created_at 'last Tuesday' is not an ISO 8601 date and time"),
    ("unknown_platform.csv", "unknown_platform.csv, line 3: platform 'myspace' is unknown"),
    ("naive_time.csv", "naive_time.csv, line 3: created_at '2026-03-03 10:05' has no time zone"),
])
def test_a_malformed_file_is_refused_naming_the_line_and_the_problem(fixture, problem):
    result = run("simulate", "--arrivals", str(FIXTURES / fixture), "--agents", "2")
    assert result.exit_code == 2
    assert problem in result.output


def test_more_seniors_than_agents_are_refused():
    result = run("simulate", "--arrivals", str(FIXTURES / "quiet.csv"), "--agents", "2", "--seniors", "3")
    assert result.exit_code == 2
    assert "3 is more than --agents (2)" in result.output


def test_arrivals_are_replayed_in_time_order_whatever_the_order_of_the_file(settings):
    result = simulate(read_arrivals(FIXTURES / "quiet.csv"), Staffing(agents=1, seniors=0), settings)
    assert [o.line for o in result.outcomes["routing"]] == [3, 4, 2]
    assert [o.created_at.hour for o in result.outcomes["routing"]] == [10, 13, 16]


def test_business_hours_make_a_friday_evening_post_due_on_monday(settings):
    arrivals = read_arrivals(FIXTURES / "friday_evening.csv")
    weekdays = load_settings(FIXTURES / "mon_fri_hours.toml", env={})
    around_the_clock, = simulate(arrivals, Staffing(agents=1, seniors=0), settings).outcomes["routing"]
    office, = simulate(arrivals, Staffing(agents=1, seniors=0), weekdays).outcomes["routing"]
    assert around_the_clock.due_at == datetime(2026, 3, 6, 23, 0, tzinfo=timezone.utc)
    assert office.due_at == datetime(2026, 3, 9, 13, 0, tzinfo=timezone.utc)
    assert office.first_response_at == datetime(2026, 3, 9, 9, 6, tzinfo=timezone.utc)

    data = report("friday_evening.csv", "--agents", "1", config="mon_fri_hours.toml")
    assert data["routing"]["within_target"] == 1.0
    assert data["routing"]["first_response_p50_min"] == (2 * 24 + 14) * 60 + 6


def test_exponential_handling_times_are_reproducible_with_a_seed():
    fixed = report("busy.jsonl", "--agents", "3")
    first = report("busy.jsonl", "--agents", "3", "--handle-distribution", "exponential", "--seed", "4")
    again = report("busy.jsonl", "--agents", "3", "--handle-distribution", "exponential", "--seed", "4")
    other = report("busy.jsonl", "--agents", "3", "--handle-distribution", "exponential", "--seed", "5")
    assert first == again
    assert first["routing"] != fixed["routing"]
    assert first["routing"] != other["routing"]
