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
  left) and on its other posts (complaints found, praise and chatter taken),
  at each of a few thresholds of the model's probability for a post put to
  the brand, with the worst fold's share found: the shipped threshold is
  the highest at which every fold finds 0.85 or more of the posts brands
  answered.

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
from listener.needs_model import NEEDS_A_PERSON_TO_US
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
# The set of customer tweets whose label is whether a brand answered them,
# and the thresholds of the needs-a-person model tried on it for a post put
# to the brand.
ANSWERED = "twcs"
NEEDS_THRESHOLDS = (0.5, 0.4, 0.35, 0.3, 0.25, 0.2)


@dataclass(frozen=True)
class SentimentFold:
    measured_on: str
    macro_f1: float
    negative_precision: float


@dataclass(frozen=True)
class NeedsResult:
    found: float | None
    taken: float | None
    # The share found in each fold of brands with posts that needed a person.
    found_by_fold: tuple[float, ...] = ()


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
             weights: dict[str, float] = NEEDS_WEIGHTS, thresholds: Sequence[float] = (NEEDS_A_PERSON_TO_US,),
             **fit_options) -> dict[float, dict[str, NeedsResult]]:
    """Each set's posts of every fold, scored with the needs-a-person model
    fitted without that fold's brands and deciding at each of `thresholds`:
    the share found of those that needed a person, overall and in each
    fold, and taken of those that did not."""
    from training.fit import train_needs_response

    posts = [(name, p) for name in READERS if name not in EVALUATION_ONLY for p in data.training(name)
             if p.needs_response is not None]
    chatter = [Example(e.text, NO_NEED, weights["general"], "general") for e in general]
    gold: dict[str, list[bool]] = {}
    decided: dict[tuple[float, str], list[bool]] = {}
    by_fold: dict[tuple[float, str], list[float]] = {}
    for fold in brand_folds([p.brand for _, p in posts], folds):
        left_out = set(fold)
        examples = [e for n, (name, p) in enumerate(posts) if n not in left_out
                    for e in needs_examples([p], weights[name], name)]
        model = load_model()
        model.needs_response = train_needs_response(examples + chatter, **fit_options)
        measured = [posts[n] for n in fold]
        for name, post in measured:
            gold.setdefault(name, []).append(bool(post.needs_response))
        for threshold in thresholds:
            scores = Scorer(settings, model=model, needs_threshold=threshold).score_many([p.text for _, p in measured])
            in_fold: dict[str, list[bool]] = {}
            for (name, post), score in zip(measured, scores):
                decided.setdefault((threshold, name), []).append(score.needs_response)
                if post.needs_response:
                    in_fold.setdefault(name, []).append(score.needs_response)
            for name, found in in_fold.items():
                by_fold.setdefault((threshold, name), []).append(sum(found) / len(found))
    results: dict[float, dict[str, NeedsResult]] = {}
    for threshold in thresholds:
        for name in gold:
            found = needs_figures(gold[name], decided[threshold, name])
            results.setdefault(threshold, {})[name] = NeedsResult(
                found.recall, found.rate_not_needed, tuple(by_fold.get((threshold, name), ())))
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
    results = needs_cv(data, general, settings, folds, thresholds=sorted({NEEDS_A_PERSON_TO_US, *NEEDS_THRESHOLDS}))
    lines.append(f"needs a person at the shipped threshold {NEEDS_A_PERSON_TO_US}, {folds} folds of training brands "
                 f"(found of those needing one, taken of the rest):")
    for name, result in results[NEEDS_A_PERSON_TO_US].items():
        lines.append(f"  {name:<10}{_cell(result.found)}{_cell(result.taken)}")
    lines.append(f"needs a person by threshold: the customer tweets brands answered found (the worst fold), "
                 f"taken of those they left, and taken of the other sets' posts needing none:")
    for threshold, by_set in sorted(results.items(), reverse=True):
        tweets = by_set[ANSWERED]
        others = "".join(f"  {name} {_cell(result.taken).strip()}" for name, result in by_set.items()
                         if name != ANSWERED and result.taken is not None)
        lines.append(f"  {threshold:<6.2f}{_cell(tweets.found)} ({min(tweets.found_by_fold):.3f})"
                     f"{_cell(tweets.taken)}{others}")
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
