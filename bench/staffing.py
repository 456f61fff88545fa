"""What staffing would have achieved on real traffic: the tweets to two
airlines in ../shared/data/customer-care/airline_dev.csv (their own times,
texts and authors), replayed through `closeloop simulate`'s engine for 1 to
6 agents, under the routing policy and round-robin.

    .venv/bin/python bench/staffing.py [--handle-minutes 6] [--agents 1-6]
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from closeloop.simulate import Arrival, Staffing, simulate, summarize  # noqa: E402
from config import load_settings  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "customer-care" / "airline_dev.csv"


def airline_arrivals(path: Path = DATA) -> list[Arrival]:
    arrivals = []
    with open(path, newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            arrivals.append(Arrival(line=line, created_at=datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z"),
                                    text=row["text"], customer=row["name"]))
    return arrivals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handle-minutes", type=float, default=6.0)
    parser.add_argument("--agents", default="1-6", help="a range such as 1-6")
    args = parser.parse_args()
    low, high = (int(n) for n in args.agents.split("-"))
    arrivals = airline_arrivals()
    settings = load_settings(env={})
    span = max(a.created_at for a in arrivals) - min(a.created_at for a in arrivals)
    print(f"{len(arrivals)} tweets over {span.days} days {span.seconds // 3600} h; "
          f"{args.handle_minutes:g} min per answer; default targets (urgent 30, high 60, normal 240 min)")
    print(f"{'agents':>6} {'policy':<12} {'tickets':>7} {'within':>7} {'p50 min':>8} {'p90 min':>8} {'breaches':>8}")
    for agents in range(low, high + 1):
        staffing = Staffing(agents=agents, seniors=1 if agents > 1 else 0, handle_minutes=args.handle_minutes)
        run = simulate(arrivals, staffing, settings)
        for policy in ("routing", "round_robin"):
            s = summarize(run.outcomes[policy])
            within = "-" if s["within_target"] is None else f"{s['within_target']:.1%}"
            print(f"{agents:>6} {policy:<12} {s['tickets']:>7} {within:>7} {_minutes(s['first_response_p50_min'])}"
                  f" {_minutes(s['first_response_p90_min'])} {s['breaches']:>8}")


def _minutes(value: float | None) -> str:
    return f"{'-':>8}" if value is None else f"{value:>8.1f}"


if __name__ == "__main__":
    main()
