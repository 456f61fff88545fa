"""The trained sentiment model: a linear model over hashed text features
plus VADER's scores, stored as one small JSON file and read once, with
the topic model (`topic_model.py`) and the needs-a-person model
(`needs_model.py`) beside it in the same file.

Weights are kept as 16-bit integers with one scale (compressed, then
base64 in the JSON). Prediction sums the weights of a post's features; the
weights of each word's own features are remembered, so a word seen before
costs one lookup, and so does a word pair seen before."""

from __future__ import annotations

import json
import math
import os
import tempfile
from array import array
from pathlib import Path

from config.settings import Settings
from listener.hashed_model import HashedModel
from listener.lexicons import LexiconScore
from listener.needs_model import NeedsResponseModel
from listener.text_features import bucket, pair_features, token_features, tokens
from listener.topic_model import TopicModel
from listener.weights import ModelFileError, pack_weights, unpack_weights

LABELS = ("negative", "neutral", "positive")
TRAINED_MODEL_NAME = "sentiment-model.json"
FORMAT = 1
SHIPPED_MODEL = Path(__file__).with_name("model") / "sentiment.json"


class SentimentModel(HashedModel):
    remember_at_most = 200_000

    def __init__(self, weights: array, bits: int, scale: float, bias: tuple[float, ...],
                 lexicon_weights: tuple[tuple[float, float, float], ...], info: dict | None = None,
                 topics: TopicModel | None = None, needs_response: NeedsResponseModel | None = None):
        if len(weights) != len(LABELS) << bits:
            raise ModelFileError(f"expected {len(LABELS) << bits} weights, found {len(weights)}")
        super().__init__(weights, bits, scale, info)
        self.bias = bias
        self.lexicon_weights = lexicon_weights
        self.topics = topics
        self.needs_response = needs_response

    def probabilities(self, text: str, lexicon: LexiconScore) -> tuple[float, float, float]:
        """P(negative), P(neutral), P(positive): one-vs-rest margins, each
        through the logistic function, normalised to sum to one."""
        margins = self.margins(text, lexicon)
        odds = [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, m)))) for m in margins]
        total = sum(odds)
        return odds[0] / total, odds[1] / total, odds[2] / total

    def margins(self, text: str, lexicon: LexiconScore) -> tuple[float, float, float]:
        words = tokens(text)
        remembered = self._remembered
        count = neg = neu = pos = 0
        for key in words:
            known = remembered.get(key)
            if known is None:
                known = self._remember(key, token_features(key))
            count += known[0]
            neg += known[1]
            neu += known[2]
            pos += known[3]
        for key in pair_features(words):
            known = remembered.get(key)
            if known is None:
                known = self._remember(key, (key,))
            count += 1
            neg += known[1]
            neu += known[2]
            pos += known[3]
        per_feature = self.scale / math.sqrt(count)
        dense = (lexicon.polarity, lexicon.negative, lexicon.positive)
        (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = self.lexicon_weights
        return (self.bias[0] + per_feature * neg + a0 * dense[0] + a1 * dense[1] + a2 * dense[2],
                self.bias[1] + per_feature * neu + b0 * dense[0] + b1 * dense[1] + b2 * dense[2],
                self.bias[2] + per_feature * pos + c0 * dense[0] + c1 * dense[1] + c2 * dense[2])

    def _remember(self, key: str, found: list[str] | tuple[str, ...]) -> tuple[int, int, int, int]:
        """The summed weights of a word's features (or of a word pair),
        kept for the next post that has it."""
        w = self.weights
        neg = neu = pos = 0
        for feature in found:
            at = 3 * bucket(feature, self.bits)
            neg += w[at]
            neu += w[at + 1]
            pos += w[at + 2]
        return self._keep(key, (len(found), neg, neu, pos))

    def to_dict(self) -> dict:
        data = {
            "format": FORMAT,
            "labels": list(LABELS),
            "bits": self.bits,
            "scale": self.scale,
            "bias": list(self.bias),
            "lexicon_weights": [list(row) for row in self.lexicon_weights],
            "weights": pack_weights(self.weights),
            "info": self.info,
        }
        if self.topics is not None:
            data["topics"] = self.topics.to_dict()
        if self.needs_response is not None:
            data["needs_response"] = self.needs_response.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> SentimentModel:
        if data.get("format") != FORMAT or tuple(data.get("labels", ())) != LABELS:
            raise ModelFileError(f"not a format-{FORMAT} sentiment model with labels {', '.join(LABELS)}")
        topics = TopicModel.from_dict(data["topics"]) if data.get("topics") else None
        needs = NeedsResponseModel.from_dict(data["needs_response"]) if data.get("needs_response") else None
        return cls(unpack_weights(data["weights"]), int(data["bits"]), float(data["scale"]), tuple(data["bias"]),
                   tuple(tuple(row) for row in data["lexicon_weights"]), data.get("info", {}), topics, needs)


def trained_model_path(settings: Settings) -> Path | None:
    """Where `closeloop retrain` keeps its model and the listener looks for
    it: scoring.model_path when set, else beside the SQLite database; None
    for a database server without model_path."""
    if settings.scoring.model_path:
        return Path(settings.scoring.model_path)
    database = sqlite_file(settings.database.url)
    return Path(database).resolve().parent / TRAINED_MODEL_NAME if database else None


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (`sqlite:///relative`, `sqlite:////absolute`,
    `sqlite+driver:///...?options`), or None for another database or an
    in-memory one. Read by hand so that scoring needs no database library."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.split("+")[0] != "sqlite" or not rest.startswith("/"):
        return None
    database = rest[1:].split("?")[0]
    return database if database and database != ":memory:" else None


def load_model(path: str | os.PathLike = SHIPPED_MODEL) -> SentimentModel:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return SentimentModel.from_dict(data)
    except FileNotFoundError:
        raise ModelFileError(f"no sentiment model at {str(path)!r}") from None
    except (ValueError, KeyError, TypeError, ModelFileError) as error:
        raise ModelFileError(f"{str(path)!r} is not a readable sentiment model: {error}") from None


def save_model(model: SentimentModel, path: str | os.PathLike) -> None:
    """Write the file next to its destination, then move it in place: a
    reader never sees half a model."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(model.to_dict(), f, separators=(",", ":"))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
