"""The trained topic model: a linear model over the same hashed text
features as the sentiment model, one set of weights per topic it was
trained on. It is kept inside the sentiment model's file.

The keyword taxonomy decides a post's topic; the model only breaks a tie
between topics found equally often and names the likeliest topic of a
complaint that names none (see `topics.TopicChooser`)."""

from __future__ import annotations

import math
from array import array

from listener.hashed_model import HashedModel
from listener.text_features import bucket, pair_features, token_features, tokens
from listener.weights import ModelFileError, pack_weights, unpack_weights


class TopicModel(HashedModel):
    def __init__(self, labels: tuple[str, ...], weights: array, bits: int, scale: float,
                 bias: tuple[float, ...], info: dict | None = None):
        if len(labels) < 2 or len(bias) != len(labels):
            raise ModelFileError("a topic model needs two topics or more and a bias for each")
        if len(weights) != len(labels) << bits:
            raise ModelFileError(f"expected {len(labels) << bits} topic weights, found {len(weights)}")
        super().__init__(weights, bits, scale, info)
        self.labels = labels
        self.bias = bias

    def probabilities(self, text: str) -> dict[str, float]:
        """Each topic's probability: one-vs-rest margins, each through the
        logistic function, normalised to sum to one."""
        words = tokens(text)
        remembered = self._remembered
        known = [remembered.get(word) or self._remember(word, token_features(word)) for word in words]
        known += [remembered.get(pair) or self._remember(pair, (pair,)) for pair in pair_features(words)]
        count = sum(k[0] for k in known)
        sums = [sum(column) for column in zip(*(k[1] for k in known))]
        per_feature = self.scale / math.sqrt(count) if count else 0.0
        odds = [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, b + per_feature * s))))
                for b, s in zip(self.bias, sums)]
        total = sum(odds)
        return {label: o / total for label, o in zip(self.labels, odds)}

    def _remember(self, key: str, found: list[str] | tuple[str, ...]) -> tuple[int, tuple[int, ...]]:
        """The summed weights of a word's features (or of a word pair), per
        topic, kept for the next post that has it."""
        size, weights = len(self.labels), self.weights
        rows = [weights[size * b:size * b + size] for b in (bucket(feature, self.bits) for feature in found)]
        return self._keep(key, (len(found), tuple(sum(column) for column in zip(*rows))))

    def to_dict(self) -> dict:
        return {"labels": list(self.labels), "bits": self.bits, "scale": self.scale, "bias": list(self.bias),
                "weights": pack_weights(self.weights), "info": self.info}

    @classmethod
    def from_dict(cls, data: dict) -> TopicModel:
        return cls(tuple(str(label) for label in data["labels"]), unpack_weights(data["weights"]),
                   int(data["bits"]), float(data["scale"]), tuple(float(b) for b in data["bias"]),
                   data.get("info", {}))
