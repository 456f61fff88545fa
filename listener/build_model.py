"""Rebuild the shipped sentiment and topic models from the shared labelled data:

    .venv/bin/python -m listener.build_model [--seed 0] [--data-dir ../shared/data]

The fit is seeded, so the same data and seed give the same file. The model
sees only the tuning part of the customer-care posts; the held-out part is
left for bench/score_eval.py and `closeloop retrain`. The topic model
learns from the tuning posts whose complaint reason maps to a topic."""

from __future__ import annotations

import argparse
from pathlib import Path

from listener.sentiment_model import SHIPPED_MODEL, save_model
from listener.training import DEFAULT_DATA_DIR, shipped_examples, shipped_topic_examples, train, train_topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    examples, _ = shipped_examples(args.data_dir)
    model = train(examples, seed=args.seed)
    model.topics = train_topics(shipped_topic_examples(args.data_dir)[0], seed=args.seed)
    save_model(model, SHIPPED_MODEL)
    print(f"wrote {SHIPPED_MODEL} ({SHIPPED_MODEL.stat().st_size / 1024:,.0f} KiB) from {model.info['examples']}, "
          f"topics from {model.topics.info['examples']}")


if __name__ == "__main__":
    main()
