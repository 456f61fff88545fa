"""Keyword classes found in a post: configured words that add urgency
(money, legal, churn...) and the harms that make a post urgent (fire,
injury, a data breach...).

A harm counts only where the text does not deny it: "no smoke at all",
"nobody was hurt" and "not burning anymore" are not reports of harm. A
denial is a negation just before the phrase in the same clause, with at
most a few small words between ("there's no more smoke"), or a word after
it saying the harm has gone ("smoke-free", "sparks stopped"). A harm told
as past and put right is no report either: a time long gone before it ("last
year", "months ago") and, after it in the same sentence, a turn ("but",
"now") to things working well ("the replacement works great")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
# A harm told as past and resolved: "last year ... burnt my hand, but the replacement works great".
_SENTENCE_ENDS = frozenset({".", "!", "?", "\n"})
_LONG_AGO = frozenset({"ago", "last", "previously", "once", "used"})
_LAST_WHAT = frozenset({"year", "month", "summer", "winter", "spring", "autumn", "fall", "christmas", "time"})
_TURNS = frozenset({"but", "now", "since", "though", "although"})
_PUT_RIGHT = frozenset({
    "works", "working", "fine", "great", "perfect", "perfectly", "brilliant", "lovely", "sorted", "resolved", "fixed",
    "good", "ok", "okay", "happy", "excellent", "flawless", "flawlessly",
})


# The kinds of keyword classes that routing reads in a post's reasons,
# which begin with the kind: harms, and customers who need particular care
# (bereavement, disability, a vulnerable person).
HARM, SENSITIVE = "safety", "sensitive"


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


def class_in(reasons: Iterable[str], kind: str) -> str | None:
    """The class of `kind` a post's scoring reasons name first ("fire"), if any."""
    for reason in reasons:
        if reason.startswith(f"{kind}:"):
            return reason[len(kind) + 1:].split(" ", 1)[0]
    return None


def harm_in(reasons: Iterable[str]) -> str | None:
    return class_in(reasons, HARM)


def routes_to_a_senior(reasons: Sequence[str]) -> bool:
    """Whether a post's reasons name a harm or a customer who needs particular care."""
    return harm_in(reasons) is not None or class_in(reasons, SENSITIVE) is not None


class KeywordFinder:
    def __init__(self, classes: Mapping[str, KeywordClass]):
        self._classes = dict(classes)
        self._safety = frozenset(name for name, c in classes.items() if c.kind == HARM)
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
    return _negated_before(tokens, start) or _gone_after(tokens, end) or _past_and_put_right(tokens, start, end)


def _past_and_put_right(tokens: list[str], start: int, end: int) -> bool:
    """Whether the harm's sentence places it long ago (before the harm, or
    after it and before the turn: "cut his hand months ago, but") and then
    turns to things working well, with no negation in that turn. A harm
    named in the turn itself is read on its own, and counts."""
    first = start
    while first > 0 and tokens[first - 1] not in _SENTENCE_ENDS:
        first -= 1
    at = end
    while at < len(tokens) and tokens[at] not in _SENTENCE_ENDS and tokens[at] not in _TURNS:
        at += 1
    if at == len(tokens) or tokens[at] not in _TURNS or not (
            _long_ago(tokens[first:start]) or _long_ago(tokens[end:at])):
        return False
    turn = []
    for token in tokens[at + 1:]:
        if token in _SENTENCE_ENDS:
            break
        turn.append(token)
    return any(word in _PUT_RIGHT for word in turn) and not any(word in _NEGATIONS for word in turn)


def _long_ago(words: list[str]) -> bool:
    """Whether the words place something long ago ("last year", "months ago", "used to")."""
    return "ago" in words or "previously" in words or "once" in words or any(
        word == "last" and following in _LAST_WHAT for word, following in zip(words, words[1:])) or any(
        word == "used" and following == "to" for word, following in zip(words, words[1:]))


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
