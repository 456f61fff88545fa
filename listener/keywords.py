"""Keyword classes found in a post: configured words that add urgency
(money, legal, churn...) and the harms that make a post urgent (fire,
injury, a data breach...).

A harm counts only where the text does not deny it: "no smoke at all",
"nobody was hurt" and "not burning anymore" are not reports of harm. A
denial is a negation just before the phrase in the same clause, with at
most a few small words between ("there's no more smoke"), or a word after
it saying the harm has gone ("smoke-free", "sparks stopped")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from config.settings import KeywordClass
from listener.phrases import PhraseIndex, tokens_of

_NEGATIONS = frozenset({
    "no", "not", "never", "without", "nothing", "none", "nobody", "noone", "neither", "nor", "zero", "stopped",
    "isn't", "wasn't", "aren't", "weren't", "didn't", "doesn't", "don't", "hasn't", "haven't", "hadn't", "won't",
    "wouldn't", "isnt", "wasnt", "arent", "werent", "didnt", "doesnt", "dont", "hasnt", "havent", "wont",
})
_GONE = frozenset({"anymore", "free", "stopped", "gone", "cleared"})
# Words that may stand between a negation and what it denies.
_SMALL = frozenset({
    "a", "an", "the", "any", "more", "longer", "sign", "signs", "of", "trace", "real", "visible", "even", "at", "all",
    "been", "being", "get", "got", "gets", "getting", "was", "were", "is", "are", "has", "have", "had", "it", "one",
    "really", "there", "smell", "see", "seen",
})
_MOST_BETWEEN = 3


@dataclass(frozen=True)
class KeywordHit:
    name: str
    kind: str
    phrase: str
    weight: float

    @property
    def reason(self) -> str:
        if self.kind == "keyword":
            return f"keyword:{self.phrase} ({self.name}) +{self.weight:.2f}"
        return f"{self.kind}:{self.name} ({self.phrase!r}) +{self.weight:.2f}"


class KeywordFinder:
    def __init__(self, classes: Mapping[str, KeywordClass]):
        self._classes = dict(classes)
        self._safety = frozenset(name for name, c in classes.items() if c.kind == "safety")
        self._index = PhraseIndex({name: c.words for name, c in classes.items()},
                                  ignore=[phrase for c in classes.values() for phrase in c.ignore])

    def find(self, text: str, words: list[str]) -> tuple[KeywordHit, ...]:
        """The first phrase found of each class, in the order found; `words`
        are the text's (`phrases.words_of`). A text naming a harm is read
        again clause by clause, to see whether it denies the harm."""
        found = self._index.find_spans(words)
        if any(name in self._safety for name, _, _ in found):
            words = tokens_of(text)
            found = [(name, start, end) for name, start, end in self._index.find_spans(words)
                     if name not in self._safety or not _denied(words, start, end)]
        hits: dict[str, KeywordHit] = {}
        for name, start, end in found:
            if name not in hits:
                keyword = self._classes[name]
                hits[name] = KeywordHit(name, keyword.kind, " ".join(words[start:end]), keyword.weight)
        return tuple(hits.values())


def _denied(tokens: list[str], start: int, end: int) -> bool:
    return _negated_before(tokens, start) or _gone_after(tokens, end)


def _negated_before(tokens: list[str], start: int) -> bool:
    at = start - 1
    while at >= 0 and start - at <= _MOST_BETWEEN + 1:
        if tokens[at] in _NEGATIONS:
            return True
        if tokens[at] not in _SMALL:
            return False
        at -= 1
    return False


def _gone_after(tokens: list[str], end: int) -> bool:
    at = end
    while at < len(tokens) and at - end <= _MOST_BETWEEN:
        if tokens[at] in _GONE or (tokens[at] == "any" and tokens[at + 1:at + 2] == ["more"]):
            return True
        if tokens[at] not in _SMALL:
            return False
        at += 1
    return False
