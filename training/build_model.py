"""Rebuild the shipped sentiment, topic and needs-a-person models from the shared labelled data:

    .venv/bin/python -m training.build_model [--seed 0] [--data-dir ../shared/data]

The fit is seeded, so the same data and seed give the same file. The models
see only the posts to the training brands; the held-out brands (a seeded
draw per industry, see training/brands.py) and the evaluation-only sets
are left for bench/score_eval.py and `closeloop retrain`. The topic model
learns from the training posts whose complaint reason maps to a topic and
from the default taxonomy's examples; the needs-a-person model from every
set that says whether a post needed a person."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config import load_settings
from listener.sentiment_model import SHIPPED_MODEL, SentimentModel, save_model
from training import missing_libraries
from training.examples import (DEFAULT_DATA_DIR, DataMissing, shipped_examples, shipped_needs_examples,
                               shipped_topic_examples, taxonomy_examples)


def build(data_dir: Path = DEFAULT_DATA_DIR, seed: int = 0) -> SentimentModel:
    """The shipped model, topics and needs-a-person model inside, fitted on
    the training brands of the labelled data in `data_dir`."""
    from training.fit import train, train_needs_response, train_topics  # only now: it imports those libraries

    examples, _ = shipped_examples(data_dir)
    topic_examples, _ = shipped_topic_examples(data_dir)
    needs_examples, _ = shipped_needs_examples(data_dir)
    model = train(examples, seed=seed)
    model.topics = train_topics(topic_examples + taxonomy_examples(load_settings(env={}).scoring.topics), seed=seed)
    model.needs_response = train_needs_response(needs_examples, seed=seed)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    if problem := missing_libraries():
        sys.exit(problem)
    try:
        model = build(args.data_dir, args.seed)
    except DataMissing as error:
        sys.exit(f"{error}; pass --data-dir")
    save_model(model, SHIPPED_MODEL)
    print(f"wrote {SHIPPED_MODEL} ({SHIPPED_MODEL.stat().st_size / 1024:,.0f} KiB) from {model.info['examples']}, "
          f"topics from {model.topics.info['examples']}, needs a person from {model.needs_response.info['examples']}")


if __name__ == "__main__":
    main()
