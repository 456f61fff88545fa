"""The figures two models are compared by: accuracy, macro-F1, and
precision and recall of the negative label; for whether a post needs a
person, the share found of the posts that need one and the share taken of
those that do not."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from listener.sentiment_model import LABELS
from training.datasets import Post
from training.examples import NEEDS, Example

# The negative precision and recall asked of the scorer together.
NEGATIVE_TARGET = 0.88


@dataclass(frozen=True)
class Figures:
    count: int
    accuracy: float
    macro_f1: float
    negative_precision: float
    negative_recall: float

    def as_dict(self) -> dict:
        return {"count": self.count, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "negative_precision": round(self.negative_precision, 4),
                "negative_recall": round(self.negative_recall, 4)}


def figures(gold: Sequence[str], predicted: Sequence[str]) -> Figures:
    """Accuracy, macro-F1 over the labels present, and precision and recall
    of the negative label."""
    pairs = list(zip(gold, predicted))
    present = [label for label in LABELS if label in set(gold)]

    def precision_recall(label: str) -> tuple[float, float]:
        hits = sum(1 for g, p in pairs if g == p == label)
        said = sum(1 for _, p in pairs if p == label)
        real = sum(1 for g, _ in pairs if g == label)
        return (hits / said if said else 0.0), (hits / real if real else 0.0)

    f1s = []
    for label in present:
        p, r = precision_recall(label)
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    negative_precision, negative_recall = precision_recall("negative")
    return Figures(
        count=len(pairs),
        accuracy=sum(1 for g, p in pairs if g == p) / len(pairs) if pairs else 0.0,
        macro_f1=sum(f1s) / len(f1s) if f1s else 0.0,
        negative_precision=negative_precision,
        negative_recall=negative_recall,
    )


def evaluate(predict: Callable[[str], str], examples: Iterable[Example]) -> Figures:
    examples = list(examples)
    return figures([e.label for e in examples], [predict(e.text) for e in examples])


@dataclass(frozen=True)
class NeedsFigures:
    needed: int
    recall: float | None
    not_needed: int
    # The share of the posts that need no one taken as needing someone.
    rate_not_needed: float | None

    @property
    def balanced_accuracy(self) -> float:
        """The mean of the share right among the posts that need a person
        and among those that do not (either alone when the other is absent)."""
        parts = [x for x in (self.recall, None if self.rate_not_needed is None else 1 - self.rate_not_needed)
                 if x is not None]
        return sum(parts) / len(parts) if parts else 0.0


def needs_figures(gold: Sequence[bool], predicted: Sequence[bool]) -> NeedsFigures:
    found = [p for g, p in zip(gold, predicted) if g]
    taken = [p for g, p in zip(gold, predicted) if not g]
    return NeedsFigures(len(found), sum(found) / len(found) if found else None,
                        len(taken), sum(taken) / len(taken) if taken else None)


def evaluate_needs(predict: Callable[[str], bool], examples: Iterable[Example]) -> NeedsFigures:
    examples = list(examples)
    return needs_figures([e.label == NEEDS for e in examples], [predict(e.text) for e in examples])


def negative_tradeoff(posts: Sequence[Post], polarity: Sequence[float],
                      target: float = NEGATIVE_TARGET) -> tuple[float, float]:
    """Moving the negative threshold alone: the best precision with recall
    at least `target`, and the best recall with precision at least `target`."""
    scored = sorted((value, p.sentiment == "negative" if p.sentiment else bool(p.complaint))
                    for value, p in zip(polarity, posts))
    negatives = sum(1 for _, negative in scored if negative)
    best_precision = best_recall = hits = 0.0
    for taken, (_, negative) in enumerate(scored, start=1):
        hits += negative
        precision, recall = hits / taken, hits / negatives
        if recall >= target:
            best_precision = max(best_precision, precision)
        if precision >= target:
            best_recall = max(best_recall, recall)
    return best_precision, best_recall
