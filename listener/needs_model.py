"""The trained needs-a-person model: whether a post needs someone of the
brand to answer it, learned as its own target from posts that brands of
many industries answered or left, complaints and praise. A logistic model
over the sentiment model's hashed text features plus VADER's scores, kept
inside the sentiment model's file.

The care rules decide first (a complaint, a question or request to us, a
keyword class, spam, our own posts, praise by the config); the model
decides the ordinary post (see `scoring.Scorer`)."""

from __future__ import annotations

import math
from array import array

from listener.hashed_model import HashedModel
from listener.lexicons import LexiconScore
from listener.text_features import bucket, pair_features, token_features, tokens
from listener.weights import ModelFileError, pack_weights, unpack_weights

# A post needs a person when the model finds that likelier than not; a post
# put to the brand ("you", "your", or opening with a handle) from a
# probability of NEEDS_A_PERSON_TO_US up: the highest threshold at which
# every fold of training brands in cross-validation finds 0.85 or more of
# the posts brands answered (`training.cross_validation` prints each fold
# at each threshold), so a brand the model never saw is held to the target
# as the worst fold is. Talk about the brand to others keeps the even odds:
# lowering that too took a tenth more of the chatter no one answers.
NEEDS_A_PERSON = 0.5
NEEDS_A_PERSON_TO_US = 0.25


class NeedsResponseModel(HashedModel):
    def __init__(self, weights: array, bits: int, scale: float, bias: float,
                 lexicon_weights: tuple[float, float, float], info: dict | None = None):
        if len(weights) != 1 << bits:
            raise ModelFileError(f"expected {1 << bits} needs-a-person weights, found {len(weights)}")
        if len(lexicon_weights) != 3:
            raise ModelFileError("a needs-a-person model needs three lexicon weights")
        super().__init__(weights, bits, scale, info)
        self.bias = bias
        self.lexicon_weights = lexicon_weights

    def probability(self, text: str, lexicon: LexiconScore) -> float:
        """P(the post needs a person)."""
        words = tokens(text)
        remembered = self._remembered
        count = total = 0
        for key in words:
            known = remembered.get(key) or self._remember(key, token_features(key))
            count += known[0]
            total += known[1]
        for key in pair_features(words):
            known = remembered.get(key) or self._remember(key, (key,))
            count += 1
            total += known[1]
        a, b, c = self.lexicon_weights
        margin = (self.bias + self.scale / math.sqrt(count) * total
                  + a * lexicon.polarity + b * lexicon.negative + c * lexicon.positive)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, margin))))

    def _remember(self, key: str, found: list[str] | tuple[str, ...]) -> tuple[int, int]:
        """The summed weight of a word's features (or of a word pair), kept
        for the next post that has it."""
        w = self.weights
        return self._keep(key, (len(found), sum(w[bucket(feature, self.bits)] for feature in found)))

    def to_dict(self) -> dict:
        return {"bits": self.bits, "scale": self.scale, "bias": self.bias,
                "lexicon_weights": list(self.lexicon_weights), "weights": pack_weights(self.weights),
                "info": self.info}

    @classmethod
    def from_dict(cls, data: dict) -> NeedsResponseModel:
        return cls(unpack_weights(data["weights"]), int(data["bits"]), float(data["scale"]), float(data["bias"]),
                   tuple(float(x) for x in data["lexicon_weights"]), data.get("info", {}))
