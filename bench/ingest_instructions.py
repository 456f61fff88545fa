"""The listener's pipeline against the scorer alone, counted in machine
instructions rather than seconds, which a busy machine does not move.

    .venv/bin/python bench/ingest_instructions.py [--mentions 1000]

Runs this file three times under valgrind's cachegrind (Debian's
`valgrind` package): the setup alone (imports, an SQLite database, five
agents), the setup and the scorer alone on the posts' texts, and the setup
and the whole pipeline on the posts as bench/ingest.py feeds them (the
scorer alone scoring each page's texts together, as intake reads them); the
setup's count is taken off the other two. Slow: a few minutes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COUNTED = re.compile(r"I\s+refs:\s+([\d,]+)")


def run(what: str, mentions: int) -> None:
    """One of the three runs, inside valgrind."""
    import store.accounts
    from config import FrozenClock, load_settings
    from connectors.x.parse import batch_from_pages
    from listener.intake import Intake
    from listener.scoring import Scorer
    from store.db import Database

    from ingest import BRAND_USER_ID, add_agents, generate_pages

    # Password hashing is made slow on purpose and is no part of intake.
    store.accounts.generate_password_hash = lambda password: "not a hash"
    settings = load_settings(env={})
    pages = generate_pages(mentions, 100, mentions // 4)
    clock = FrozenClock()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        db.migrate()
        add_agents(db, clock)
        intake, scorer = Intake(settings), Scorer(settings.scoring)
        if what == "scorer":
            for page in pages:
                scorer.score_many([tweet["text"] for tweet in page["data"]])
        elif what == "pipeline":
            for page in pages:
                batch = batch_from_pages([page], None, BRAND_USER_ID)
                with db.transaction() as session:
                    intake.ingest(session, batch.posts, clock.now())
                clock.advance(seconds=1)
        db.dispose()


def counted(what: str, mentions: int) -> int:
    done = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                           sys.executable, __file__, "--run", what, "--mentions", str(mentions)],
                          capture_output=True, text=True, check=True)
    return int(COUNTED.search(done.stderr).group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1000)
    parser.add_argument("--run", choices=("setup", "scorer", "pipeline"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run, args.mentions)
        return
    setup = counted("setup", args.mentions)
    scorer = counted("scorer", args.mentions) - setup
    pipeline = counted("pipeline", args.mentions) - setup
    print(f"{args.mentions} mentions, millions of instructions: scorer alone {scorer / 1e6:,.0f}, "
          f"whole pipeline {pipeline / 1e6:,.0f} ({scorer / pipeline:.1%} of it the scorer's); "
          f"the rest {(pipeline - scorer) / args.mentions / 1e3:,.0f} thousand a post")


if __name__ == "__main__":
    main()
