"""Seeded fits of the sentiment, topic and needs-a-person models by logistic regression
(scikit-learn's averaged SGD) over the same hashed features the models
score with; the same examples and seed give the same model."""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import SGDClassifier

from listener.lexicons import vader
from listener.needs_model import NeedsResponseModel
from listener.sentiment_model import LABELS, SentimentModel
from listener.text_features import bucket, features
from listener.topic_model import TopicModel
from training.examples import NEEDS, NO_NEED, Example

BITS = 18
ALPHA = 2e-5
EPOCHS = 30
# Taken off the fitted negative intercept: the crowd's "negative" is broader
# than a complaint (a stock price, a news story), and a model fitted to it
# calls too much negative. Chosen by cross-validation over the two training
# brands with a sentiment label (fitted on one, measured on the other, the
# whole scorer deciding): mean macro-F1 0.663 with none, 0.675 with 0.125,
# 0.674 with 0.25.
NEGATIVE_OFFSET = 0.125
# The topic model is smaller: a few hundred posts per topic teach it.
# Its regularisation was chosen by 5-fold cross-validation on the tuning part.
TOPIC_BITS = 16
TOPIC_ALPHA = 3e-4
# The needs-a-person model has one output: 16 bits hold it. Its
# regularisation was chosen by cross-validation over the training brands.
NEEDS_BITS = 16
NEEDS_ALPHA = 3e-5


def train(examples: Sequence[Example], seed: int = 0, *, bits: int = BITS, alpha: float = ALPHA,
          epochs: int = EPOCHS, negative_offset: float = NEGATIVE_OFFSET) -> SentimentModel:
    """Fit the sentiment model, its negative intercept lowered by
    `negative_offset`; the same examples and seed give the same model."""
    labels = [e.label for e in examples]
    missing = set(LABELS) - set(labels)
    if missing:
        raise ValueError(f"training needs examples of every label; none for: {', '.join(sorted(missing))}")
    coef, intercept = _fit(feature_matrix([e.text for e in examples], bits), examples, LABELS, seed, alpha, epochs)
    negative = LABELS.index("negative")
    intercept[negative] = _stable(intercept[negative] - negative_offset)
    width = 1 << bits
    weights, scale = _quantize(coef[:, :width])
    info = {"seed": seed, "bits": bits, "alpha": alpha, "epochs": epochs, "negative_offset": negative_offset,
            "examples": dict(Counter(e.source or "other" for e in examples))}
    return SentimentModel(weights, bits, scale, tuple(intercept),
                          tuple(tuple(_stable(x) for x in row) for row in coef[:, width:]), info)


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


def train_needs_response(examples: Sequence[Example], seed: int = 0, *, bits: int = NEEDS_BITS,
                         alpha: float = NEEDS_ALPHA, epochs: int = EPOCHS) -> NeedsResponseModel:
    """Fit the needs-a-person model on posts labelled NEEDS or NO_NEED."""
    found = {e.label for e in examples}
    if found != {NEEDS, NO_NEED}:
        raise ValueError(f"training whether a post needs a person needs posts that do and posts that do not; "
                         f"found: {', '.join(sorted(found)) or 'none'}")
    coef, intercept = _fit(feature_matrix([e.text for e in examples], bits), examples, (NO_NEED, NEEDS), seed,
                           alpha, epochs)
    width = 1 << bits
    weights, scale = _quantize(coef[1:, :width])
    info = {"seed": seed, "bits": bits, "alpha": alpha, "epochs": epochs,
            "examples": dict(Counter(e.source or "other" for e in examples))}
    return NeedsResponseModel(weights, bits, scale, intercept[1], tuple(_stable(x) for x in coef[1, width:]), info)


def _fit(matrix, examples: Sequence[Example], labels: Sequence[str], seed: int, alpha: float, epochs: int):
    """Seeded logistic regression by averaged SGD: (coefficients, intercepts),
    a row per label in the order of `labels`."""
    classifier = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, average=True,
                               random_state=seed)
    classifier.fit(matrix, np.array([e.label for e in examples]),
                   sample_weight=np.array([e.weight for e in examples]))
    coef, intercept = classifier.coef_, classifier.intercept_
    if len(classifier.classes_) == 2:  # one row, for the second label: the first's is its negation
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    order = [list(classifier.classes_).index(label) for label in labels]
    return coef[order], [_stable(b) for b in intercept[order]]


def _quantize(hashed) -> tuple[array, float]:
    """Weights as 16-bit integers, bucket by bucket, and their one scale."""
    scale = _stable(float(np.abs(hashed).max()) / 32767) or 1.0
    weights = array("h")
    weights.frombytes(np.rint(hashed.T / scale).astype(np.int16).ravel().tobytes())
    return weights, scale


def _stable(value: float) -> float:
    """`value` to 12 significant digits: the last bits of a fit differ
    between machines' numerical libraries, and the shipped model file is
    rebuilt byte for byte."""
    return float(f"{float(value):.12g}")


def feature_matrix(texts: Sequence[str], bits: int = BITS, *, lexicon: bool = True):
    """Rows of hashed features, each worth 1/sqrt(count), then (with
    `lexicon`) VADER's compound, negative and positive scores: what
    SentimentModel.margins and TopicModel.probabilities sum."""
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
