"""Cross-validation over the training brands, grouped by brand: how a change
to the scorer's models or weights is chosen, never by the held-out figures.

    .venv/bin/python -m training.cross_validation [--data-dir ../shared/data] [--folds 5]

- Sentiment: the model is fitted on one of the two training brands with a
  sentiment label (the airline, Apple) plus the general tweets and measured
  on the other, the whole scorer deciding: macro-F1 and the best negative
  precision at recall >= 0.88, each brand's and their mean.
- Needs a person: the training brands of every set that says whether a post
  needed one, in folds of whole brands; the model is refitted without each
  fold and measured, the whole scorer deciding, on that fold's customer
  tweets (the share found of those brands answered and taken of those they
  left) and on its other posts (complaints found, praise and chatter taken).

The held-out brands and the evaluation-only sets take no part."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config import load_settings
from config.settings import ScoringSettings
from listener.scoring import Scorer
from listener.sentiment_model import load_model
from training import missing_libraries
from training.datasets import EVALUATION_ONLY, READERS, DataMissing
from training.examples import (
    DEFAULT_DATA_DIR,
    NEEDS_WEIGHTS,
    NO_NEED,
    Example,
    LabelledData,
    general_examples,
    labelled_data,
    needs_examples,
    sentiment_examples,
)
from training.figures import NEGATIVE_TARGET, figures, needs_figures, negative_tradeoff

SENTIMENT_BRANDS = {"airline": "care", "apple": "apple"}


@dataclass(frozen=True)
class SentimentFold:
    measured_on: str
    macro_f1: float
    negative_precision: float


@dataclass(frozen=True)
class NeedsResult:
    found: float | None
    taken: float | None


def brand_folds(brands: Sequence[str], folds: int) -> list[list[int]]:
    """The positions of `brands` in `folds` folds of whole brands: the
    brands by their number of posts, largest first, each to the fold with
    the fewest posts so far (ties by name, so the folds are fixed). A post
    without a brand is a brand of its own."""
    counts = Counter(brand or f"#{n}" for n, brand in enumerate(brands))
    sizes = [0] * folds
    fold_of = {}
    for brand, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        fold = min(range(folds), key=lambda n: (sizes[n], n))
        fold_of[brand] = fold
        sizes[fold] += count
    members: list[list[int]] = [[] for _ in range(folds)]
    for n, brand in enumerate(brands):
        members[fold_of[brand or f"#{n}"]].append(n)
    return members


def sentiment_cv(data: LabelledData, general: list[Example], settings: ScoringSettings,
                 **fit_options) -> list[SentimentFold]:
    """Fitted on one training brand with a sentiment label, measured on the
    other, each way round."""
    from training.fit import train

    sets = {name: [p for p in data.training(name) if p.sentiment] for name in SENTIMENT_BRANDS}
    results = []
    for fitted, measured in (("airline", "apple"), ("apple", "airline")):
        model = train(sentiment_examples(sets[fitted], SENTIMENT_BRANDS[fitted]) + general, **fit_options)
        posts = sets[measured]
        scores = Scorer(settings, model=model).score_many([p.text for p in posts])
        found = figures([p.sentiment for p in posts], [s.sentiment for s in scores])
        precision, _ = negative_tradeoff(posts, [s.polarity for s in scores])
        results.append(SentimentFold(measured, found.macro_f1, precision))
    return results


def needs_cv(data: LabelledData, general: list[Example], settings: ScoringSettings, folds: int = 5,
             weights: dict[str, float] = NEEDS_WEIGHTS, **fit_options) -> dict[str, NeedsResult]:
    """Each set's posts of every fold, scored with the needs-a-person model
    fitted without that fold's brands: the share found of those that
    needed a person and taken of those that did not."""
    from training.fit import train_needs_response

    posts = [(name, p) for name in READERS if name not in EVALUATION_ONLY for p in data.training(name)
             if p.needs_response is not None]
    chatter = [Example(e.text, NO_NEED, weights["general"], "general") for e in general]
    gold: dict[str, list[bool]] = {}
    decided: dict[str, list[bool]] = {}
    for fold in brand_folds([p.brand for _, p in posts], folds):
        left_out = set(fold)
        examples = [e for n, (name, p) in enumerate(posts) if n not in left_out
                    for e in needs_examples([p], weights[name], name)]
        model = load_model()
        model.needs_response = train_needs_response(examples + chatter, **fit_options)
        measured = [posts[n] for n in fold]
        scores = Scorer(settings, model=model).score_many([p.text for _, p in measured])
        for (name, post), score in zip(measured, scores):
            gold.setdefault(name, []).append(bool(post.needs_response))
            decided.setdefault(name, []).append(score.needs_response)
    results = {}
    for name in gold:
        found = needs_figures(gold[name], decided[name])
        results[name] = NeedsResult(found.recall, found.rate_not_needed)
    return results


def _cell(value: float | None) -> str:
    return f"{'-':>8}" if value is None else f"{value:>8.3f}"


def report(data_dir: Path, folds: int) -> list[str]:
    data = labelled_data(data_dir)
    general = general_examples(data_dir)
    settings = load_settings(env={}).scoring
    sentiment = sentiment_cv(data, general, settings)
    lines = [f"sentiment, fitted on one training brand and measured on the other "
             f"(macro-F1, negative precision at recall >= {NEGATIVE_TARGET}):"]
    for fold in sentiment:
        lines.append(f"  {fold.measured_on:<10}{_cell(fold.macro_f1)}{_cell(fold.negative_precision)}")
    lines.append(f"  {'mean':<10}{_cell(sum(f.macro_f1 for f in sentiment) / len(sentiment))}"
                 f"{_cell(sum(f.negative_precision for f in sentiment) / len(sentiment))}")
    lines.append(f"needs a person, {folds} folds of training brands (found of those needing one, taken of the rest):")
    for name, result in needs_cv(data, general, settings, folds).items():
        lines.append(f"  {name:<10}{_cell(result.found)}{_cell(result.taken)}")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    if problem := missing_libraries():
        sys.exit(problem)
    try:
        lines = report(args.data_dir, args.folds)
    except DataMissing as error:
        sys.exit(f"{error}; pass --data-dir")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
