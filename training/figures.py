"""The figures two models are compared by: accuracy, macro-F1, and
precision and recall of the negative label."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from listener.sentiment_model import LABELS
from training.examples import Example


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
