"""Training the sentiment and topic models: examples from the shared
labelled data and the team's corrections, a seeded split, a seeded fit,
and the figures used to compare two models. scikit-learn and numpy are
needed here only, never to score."""

from __future__ import annotations

import csv
import math
import random
from collections import Counter
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from listener.lexicons import vader
from listener.sentiment_model import LABELS, SentimentModel
from listener.text_features import bucket, features
from listener.topic_model import TopicModel

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
CARE_FILE = Path("customer-care") / "airline_dev.csv"
GENERAL_FILES = (Path("sentiment") / "tweeteval_sentiment" / "test_text.txt",
                 Path("sentiment") / "tweeteval_sentiment" / "test_labels.txt")
TWEETEVAL_LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
# The held-out part of the customer-care posts: fixed, so figures from
# different runs and models compare.
SPLIT_SEED = 2015
HELD_OUT_SHARE = 0.3
# General tweets teach words the care posts lack, but their idea of
# "negative" is not a complaint's: each counts for a fifth of a care post.
GENERAL_WEIGHT = 0.2
# A correction by the team is worth more than a crowd label.
CORRECTION_WEIGHT = 3.0
BITS = 18
ALPHA = 2e-5
EPOCHS = 30
# The topic model is smaller: a few hundred posts per topic teach it.
# Its regularisation was chosen by 5-fold cross-validation on the tuning part.
TOPIC_BITS = 16
TOPIC_ALPHA = 3e-4
# The crowd's complaint reasons on the care posts, in the default
# taxonomy's words. "Can't Tell" has no topic and is left out.
REASON_TOPICS = {
    "Late Flight": "delay",
    "longlines": "delay",
    "Cancelled Flight": "cancellation",
    "Lost Luggage": "lost_or_damaged",
    "Damaged Luggage": "lost_or_damaged",
    "Customer Service Issue": "staff_or_service",
    "Flight Attendant Complaints": "staff_or_service",
    "Flight Booking Problems": "booking_or_account",
    "Bad Flight": "product_defect",
}


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    weight: float = 1.0
    source: str = ""


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


class DataMissing(Exception):
    """The shared labelled data is not where it was looked for."""


def care_examples(data_dir: Path = DEFAULT_DATA_DIR) -> list[Example]:
    """Posts to brands with the crowd's sentiment label."""
    path = Path(data_dir) / CARE_FILE
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return [Example(row["text"], row["airline_sentiment"], source="care")
                    for row in csv.DictReader(f) if row["airline_sentiment"] in LABELS]
    except FileNotFoundError:
        raise DataMissing(f"no labelled customer-care posts at {path}") from None


def topic_examples(examples: Iterable[Example], data_dir: Path = DEFAULT_DATA_DIR) -> list[Example]:
    """The care posts among `examples` whose complaint reason maps to a
    topic, labelled with that topic."""
    with open(Path(data_dir) / CARE_FILE, newline="", encoding="utf-8") as f:
        reasons = {row["text"]: row["negativereason"] for row in csv.DictReader(f)}
    return [Example(e.text, REASON_TOPICS[reasons[e.text]], source="care") for e in examples
            if reasons.get(e.text) in REASON_TOPICS]


def general_examples(data_dir: Path = DEFAULT_DATA_DIR) -> list[Example]:
    """General tweets (TweetEval's test split), weighted down."""
    text_path, label_path = (Path(data_dir) / p for p in GENERAL_FILES)
    try:
        texts = text_path.read_text(encoding="utf-8").split("\n")
        labels = label_path.read_text(encoding="utf-8").split()
    except FileNotFoundError as error:
        raise DataMissing(f"no labelled tweets at {error.filename}") from None
    return [Example(text, TWEETEVAL_LABELS[label], GENERAL_WEIGHT, "general")
            for text, label in zip(texts, labels)]


def held_out_split(examples: Sequence[Example], seed: int = SPLIT_SEED,
                   share: float = HELD_OUT_SHARE) -> tuple[list[Example], list[Example]]:
    """(tuning, held out), each label split in the same proportion."""
    rng = random.Random(seed)
    tuning, held_out = [], []
    for label in sorted({e.label for e in examples}):
        group = [e for e in examples if e.label == label]
        rng.shuffle(group)
        cut = round(len(group) * share)
        held_out.extend(group[:cut])
        tuning.extend(group[cut:])
    return tuning, held_out


def shipped_examples(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[list[Example], list[Example]]:
    """(training examples, held-out care posts) for the shipped model."""
    tuning, held_out = held_out_split(care_examples(data_dir))
    return tuning + general_examples(data_dir), held_out


def shipped_topic_examples(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[list[Example], list[Example]]:
    """(training examples, held-out posts) for the shipped topic model:
    the same split of the care posts as the sentiment model's."""
    tuning, held_out = held_out_split(care_examples(data_dir))
    return topic_examples(tuning, data_dir), topic_examples(held_out, data_dir)


def correction_example(text: str, field: str, original: str | None, corrected: str) -> Example | None:
    """The label an agent's correction implies, if it implies one: a new
    sentiment is one; "needs a response" means a complaint, "no response
    needed" on a post the scorer took for a complaint means it was not one."""
    if field == "sentiment" and corrected in LABELS:
        return Example(text, corrected, CORRECTION_WEIGHT, "correction")
    if field == "needs_response":
        wanted = corrected.strip().lower() in ("true", "1", "yes")
        if wanted:
            return Example(text, "negative", CORRECTION_WEIGHT, "correction")
        if original is not None and original.strip().lower() in ("true", "1", "yes"):
            return Example(text, "neutral", CORRECTION_WEIGHT, "correction")
    return None


def topic_correction_example(text: str, field: str, corrected: str, topics: Iterable[str]) -> Example | None:
    """An agent's choice of topic, when it is one of `topics`."""
    if field == "topic" and corrected in set(topics):
        return Example(text, corrected, CORRECTION_WEIGHT, "correction")
    return None


def train(examples: Sequence[Example], seed: int = 0, *, bits: int = BITS, alpha: float = ALPHA,
          epochs: int = EPOCHS) -> SentimentModel:
    """Fit the sentiment model; the same examples and seed give the same model."""
    labels = [e.label for e in examples]
    missing = set(LABELS) - set(labels)
    if missing:
        raise ValueError(f"training needs examples of every label; none for: {', '.join(sorted(missing))}")
    coef, intercept = _fit(feature_matrix([e.text for e in examples], bits), examples, LABELS, seed, alpha, epochs)
    width = 1 << bits
    weights, scale = _quantize(coef[:, :width])
    info = {"seed": seed, "bits": bits, "alpha": alpha, "epochs": epochs,
            "examples": dict(Counter(e.source or "other" for e in examples))}
    return SentimentModel(weights, bits, scale, tuple(intercept),
                          tuple(tuple(float(x) for x in row) for row in coef[:, width:]), info)


def train_topics(examples: Sequence[Example], seed: int = 0, *, bits: int = TOPIC_BITS,
                 alpha: float = TOPIC_ALPHA, epochs: int = EPOCHS) -> TopicModel:
    """Fit the topic model on posts labelled with their topic."""
    labels = tuple(sorted({e.label for e in examples}))
    if len(labels) < 2:
        raise ValueError(f"training topics needs two topics or more; found: {', '.join(labels) or 'none'}")
    matrix = feature_matrix([e.text for e in examples], bits, lexicon=False)
    coef, intercept = _fit(matrix, examples, labels, seed, alpha, epochs)
    weights, scale = _quantize(coef)
    info = {"seed": seed, "bits": bits, "alpha": alpha, "epochs": epochs,
            "examples": dict(Counter(e.label for e in examples))}
    return TopicModel(labels, weights, bits, scale, tuple(intercept), info)


def _fit(matrix, examples: Sequence[Example], labels: Sequence[str], seed: int, alpha: float, epochs: int):
    """Seeded logistic regression by averaged SGD: (coefficients, intercepts),
    a row per label in the order of `labels`."""
    import numpy as np
    from sklearn.linear_model import SGDClassifier

    classifier = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, average=True,
                               random_state=seed)
    classifier.fit(matrix, np.array([e.label for e in examples]),
                   sample_weight=np.array([e.weight for e in examples]))
    coef, intercept = classifier.coef_, classifier.intercept_
    if len(classifier.classes_) == 2:  # one row, for the second label: the first's is its negation
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    order = [list(classifier.classes_).index(label) for label in labels]
    return coef[order], [float(b) for b in intercept[order]]


def _quantize(hashed) -> tuple[array, float]:
    """Weights as 16-bit integers, bucket by bucket, and their one scale."""
    import numpy as np

    scale = float(np.abs(hashed).max()) / 32767 or 1.0
    weights = array("h")
    weights.frombytes(np.rint(hashed.T / scale).astype(np.int16).ravel().tobytes())
    return weights, scale


def feature_matrix(texts: Sequence[str], bits: int = BITS, *, lexicon: bool = True):
    """Rows of hashed features, each worth 1/sqrt(count), then (with
    `lexicon`) VADER's compound, negative and positive scores: what
    SentimentModel.margins and TopicModel.probabilities sum."""
    import numpy as np
    from scipy.sparse import csr_matrix

    width = 1 << bits
    rows, columns, values = [], [], []
    for row, text in enumerate(texts):
        found = features(text)
        share = 1.0 / math.sqrt(len(found))
        for feature in found:
            rows.append(row)
            columns.append(bucket(feature, bits))
            values.append(share)
        if not lexicon:
            continue
        score = vader(text)
        for offset, value in enumerate((score.polarity, score.negative, score.positive)):
            rows.append(row)
            columns.append(width + offset)
            values.append(value)
    return csr_matrix((np.array(values), (np.array(rows), np.array(columns))),
                      shape=(len(texts), width + 3 if lexicon else width))


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
