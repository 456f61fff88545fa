"""`closeloop simulate`: what a given staffing would achieve on a file of
past or expected posts, under the routing policy and under round-robin."""

from __future__ import annotations

from pathlib import Path

import click

from closeloop.cli_settings import settings_of

POLICY_TITLES = {"routing": "routing", "round_robin": "round-robin"}


class BadInput(click.ClickException):
    exit_code = 2


@click.command()
@click.option("--arrivals", "arrivals_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The posts to replay: a .csv file with a header row, or a .jsonl file.")
@click.option("--agents", type=click.IntRange(min=1), required=True, help="How many agents, seniors included.")
@click.option("--seniors", type=click.IntRange(min=0), default=None, show_default="1 when --agents > 1, else 0",
              help="How many of the agents are seniors.")
@click.option("--capacity", type=click.IntRange(min=1), default=5, show_default=True,
              help="Open tickets an agent may hold at once.")
@click.option("--handle-minutes", type=click.FloatRange(min=0, min_open=True), default=6.0, show_default=True,
              help="Time an agent takes to answer a ticket (the mean, when exponential).")
@click.option("--handle-distribution", type=click.Choice(["fixed", "exponential"]), default="fixed",
              show_default=True, help="Whether every answer takes --handle-minutes, or a random time around it.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for exponential handling times.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.pass_context
def simulate(ctx: click.Context, arrivals_path: Path, agents: int, seniors: int | None, capacity: int,
             handle_minutes: float, handle_distribution: str, seed: int, as_json: bool) -> None:
    """Replay posts through the real scorer, router and SLA clock with
    simulated agents, and report what share would be answered within
    target, under the routing policy and under plain round-robin.

    \b
    Each post is a CSV row or a JSON line with these fields:
      created_at  required; ISO 8601 with a time zone, e.g. 2026-03-06T18:30:00Z
                  (a time without a zone is refused)
      text        required; what the customer wrote
      platform    x, facebook, reddit or reviews; x when absent
      followers   the author's followers; 0 when absent
      rating      a review's stars, 1 to 5
      customer    who wrote it: their earlier tickets steer routing
      tier        the customer's tier (standard when absent), for SLA
                  policies and the senior rule

    Posts need not be in time order. Each post that needs an answer is its
    own ticket. Agents work the first team's business hours from the config
    (around the clock when it has none), one ticket at a time, soonest due
    first; an answer goes out when its handling time is over. First
    response times are in clock minutes."""
    from closeloop.simulate import ArrivalsError, Staffing, read_arrivals, summarize
    from closeloop.simulate import simulate as run_simulation

    if seniors is None:
        seniors = 1 if agents > 1 else 0
    if seniors > agents:
        raise click.BadParameter(f"{seniors} is more than --agents ({agents})", param_hint="--seniors")
    settings = settings_of(ctx)
    try:
        arrivals = read_arrivals(arrivals_path)
    except ArrivalsError as error:
        raise BadInput(str(error)) from None
    staffing = Staffing(agents=agents, seniors=seniors, capacity=capacity, handle_minutes=handle_minutes,
                        handle_distribution=handle_distribution, seed=seed)
    try:
        result = run_simulation(arrivals, staffing, settings)
    except ValueError as error:
        raise BadInput(f"cannot simulate: {error}") from None
    summaries = {policy: summarize(outcomes) for policy, outcomes in result.outcomes.items()}
    if as_json:
        import json

        click.echo(json.dumps({"arrivals": result.arrivals, "tickets": result.tickets, "agents": agents,
                               "seniors": seniors, "capacity": capacity, "handle_minutes": handle_minutes,
                               "handle_distribution": handle_distribution, **summaries}, indent=2))
        return
    click.echo(f"{_count(result.arrivals, 'post')}, {result.tickets} needing an answer; "
               f"{_count(agents, 'agent')} ({seniors} senior), capacity {capacity}; "
               f"{handle_minutes:g} min per answer ({handle_distribution})")
    click.echo(_table(summaries))


def _table(summaries: dict[str, dict]) -> str:
    policies = list(summaries)
    rows = [("", *(POLICY_TITLES[p] for p in policies))]
    figures = list(summaries.values())
    rows.append(("tickets", *(str(s["tickets"]) for s in figures)))
    rows.append(("within target", *(_share(s["within_target"]) for s in figures)))
    rows.append(("first response p50", *(_minutes(s["first_response_p50_min"]) for s in figures)))
    rows.append(("first response p90", *(_minutes(s["first_response_p90_min"]) for s in figures)))
    rows.append(("breaches", *(str(s["breaches"]) for s in figures)))
    for priority, count in figures[0]["tickets_by_priority"].items():
        if count:
            rows.append((f"  {priority}", *(f'{s["breaches_by_priority"][priority]} of {count}' for s in figures)))
    rows.append(("max queue wait", *(_minutes(s["max_queue_wait_min"]) for s in figures)))
    first = max(len(row[0]) for row in rows)
    widths = [max(len(row[i]) for row in rows) for i in range(1, len(rows[0]))]
    return "\n".join(row[0].ljust(first) + "".join("  " + cell.rjust(width) for cell, width in zip(row[1:], widths))
                     for row in rows)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} min"
