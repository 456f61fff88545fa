"""The subject of a post, from the brand's taxonomy (topic -> phrases): the
topic with the most different phrases found wins.

A phrase is words in a row ("lost luggage", "refund*"), or two words near
each other: "bag|luggage ~ lost|missing" finds one of the first side within
a few words of one of the second, either way round, in one sentence. A word
that names a topic only in company ("bag", "email", "help") is written that
way, so it never decides a topic alone.

Where topics are found equally often, the trained topic model picks
among them when it knows them all, else the one listed first in the
taxonomy wins. A complaint that names no topic's phrases gets the model's
likeliest topic when the model is sure enough of it. The model only knows
the topics it was trained on (the taxonomy's examples, the labelled care
posts and the team's corrections); the phrases decide every other topic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from listener.phrases import PhraseIndex, tokens_of, words_of
from listener.topic_model import TopicModel

# A complaint naming no topic's phrases gets the model's topic only when the
# model is this sure of it among the topics it knows: below that, fewer than
# half its guesses were right on held-out posts of the airline it learned
# from, and most were wrong on other brands' posts.
MIN_GUESS_PROBABILITY = 0.8
# Two words are near each other with at most this many words between them.
NEAR = 4
NEAR_MARK = " ~ "
_SENTENCE_ENDS = frozenset(".!?;\n")
_CLAUSE_MARKS = frozenset(",:()")


@dataclass(frozen=True)
class TopicChoice:
    topic: str | None
    phrases: tuple[str, ...] = ()
    # How the model decided, when it did: "0.61 over delay" or "0.55".
    model: str | None = None

    @property
    def reason(self) -> str:
        found = ", ".join(repr(p) for p in self.phrases[:2])
        if self.model is None:
            return f"topic:{self.topic} ({found})"
        return f"topic:{self.topic} ({found + '; ' if found else ''}model {self.model})"


@dataclass(frozen=True)
class _Near:
    topic: str
    first: tuple[str, ...]
    second: tuple[str, ...]


class TopicPhrases:
    """Finds each topic's phrases in a text."""

    def __init__(self, taxonomy: Mapping[str, tuple[str, ...]]):
        self._in_a_row = PhraseIndex({topic: [p for p in phrases if NEAR_MARK not in p]
                                      for topic, phrases in taxonomy.items()})
        self._near = [_Near(topic, *(tuple(side.split("|")) for side in phrase.split(NEAR_MARK)))
                      for topic, phrases in taxonomy.items() for phrase in phrases if NEAR_MARK in phrase]
        self._terms = _Terms({term for rule in self._near for term in rule.first + rule.second})

    def find(self, text: str) -> dict[str, list[str]]:
        """Topic -> the different phrases found, in the order found; a pair
        of words near each other reads "lost … bag"."""
        found: dict[str, list[str]] = {}
        for words in _sentences(text):
            in_a_row: dict[str, list[tuple[int, int]]] = {}
            for topic, start, end in self._in_a_row.find_spans(words):
                in_a_row.setdefault(topic, []).append((start, end))
                seen = found.setdefault(topic, [])
                phrase = " ".join(words[start:end])
                if phrase not in seen:
                    seen.append(phrase)
            if self._near:
                self._find_near(words, found, in_a_row)
        return found

    def _find_near(self, words: list[str], found: dict[str, list[str]],
                   in_a_row: dict[str, list[tuple[int, int]]]) -> None:
        """Pairs of words near each other; a pair inside a phrase of its
        topic found in a row ("my account" for "my ~ account") is that
        phrase again, not another one."""
        spans = self._terms.spans(words)
        if sum(map(len, spans.values())) < 2:
            return
        for rule in self._near:
            first = [s for term in rule.first for s in spans.get(term, ())]
            second = [s for term in rule.second for s in spans.get(term, ())] if first else ()
            covered = in_a_row.get(rule.topic, ())
            pair = next(((a, b) for a in first for b in second
                         if a != b and max(b[0] - a[1], a[0] - b[1]) <= NEAR
                         and not any(start <= min(a[0], b[0]) and max(a[1], b[1]) <= end for start, end in covered)),
                        None)
            if pair is None:
                continue
            left, right = sorted(pair)
            shown = f"{' '.join(words[left[0]:left[1]])} … {' '.join(words[right[0]:right[1]])}"
            seen = found.setdefault(rule.topic, [])
            if shown not in seen:
                seen.append(shown)


class _Terms:
    """The words and phrases of the near pairs, found wherever they are: a
    word is every term it matches ("update" is both "update" and "update*"),
    so one pair's term never hides another's."""

    def __init__(self, terms: set[str]):
        self._exact: dict[str, list[str]] = {}
        self._stems: dict[str, list[str]] = {}
        longer = []
        for term in terms:
            words = words_of(term)
            if len(words) > 1:
                longer.append(term)
            else:
                (self._stems if term.endswith("*") else self._exact).setdefault(words[0], []).append(term)
        self._stem_lengths = sorted({len(stem) for stem in self._stems}, reverse=True)
        self._longer = PhraseIndex({term: (term,) for term in longer})
        self._of_word: dict[str, tuple[str, ...]] = {}

    def spans(self, words: list[str]) -> dict[str, list[tuple[int, int]]]:
        """Term -> (start, end) of each place it is found."""
        found: dict[str, list[tuple[int, int]]] = {}
        for term, start, end in self._longer.find_spans(words):
            found.setdefault(term, []).append((start, end))
        for at, word in enumerate(words):
            terms = self._of_word.get(word)
            if terms is None:
                terms = self._terms_of(word)
            for term in terms:
                found.setdefault(term, []).append((at, at + 1))
        return found

    def _terms_of(self, word: str) -> tuple[str, ...]:
        terms = list(self._exact.get(word, ()))
        for length in self._stem_lengths:
            if len(word) >= length:
                terms += self._stems.get(word[:length], ())
        if len(self._of_word) > 100_000:
            self._of_word.clear()
        self._of_word[word] = found = tuple(terms)
        return found


class TopicChooser:
    def __init__(self, taxonomy: Mapping[str, tuple[str, ...]], model: TopicModel | None = None,
                 min_guess_probability: float = MIN_GUESS_PROBABILITY):
        self._phrases = TopicPhrases(taxonomy)
        self._rank = {topic: n for n, topic in enumerate(taxonomy)}
        self._model = model
        self._known = frozenset(model.labels).intersection(taxonomy) if model else frozenset()
        self._min_guess = min_guess_probability

    def choose(self, text: str, complaint: bool = False) -> TopicChoice:
        """The topic of a post; the model guesses only for a complaint."""
        found = self._phrases.find(text)
        if not found:
            return self._guess(text) if complaint and len(self._known) > 1 else TopicChoice(None)
        most = max(len(phrases) for phrases in found.values())
        tied = [topic for topic, phrases in found.items() if len(phrases) == most]
        if len(tied) > 1 and self._known.issuperset(tied):
            likely = self._model.probabilities(text)
            topic = max(tied, key=likely.__getitem__)
            others = ", ".join(t for t in tied if t != topic)
            return TopicChoice(topic, tuple(found[topic]), f"{likely[topic]:.2f} over {others}")
        topic = min(tied, key=self._rank.__getitem__)
        return TopicChoice(topic, tuple(found[topic]))

    def _guess(self, text: str) -> TopicChoice:
        likely = {t: p for t, p in self._model.probabilities(text).items() if t in self._known}
        total = sum(likely.values())
        topic = max(likely, key=likely.__getitem__)
        probability = likely[topic] / total
        if probability < self._min_guess:
            return TopicChoice(None)
        return TopicChoice(topic, (), f"{probability:.2f}")


def _sentences(text: str) -> list[list[str]]:
    """The words of each sentence; commas and the like only separate words."""
    sentences: list[list[str]] = [[]]
    for token in tokens_of(text):
        if token in _SENTENCE_ENDS:
            if sentences[-1]:
                sentences.append([])
        elif token not in _CLAUSE_MARKS:
            sentences[-1].append(token)
    return [words for words in sentences if words]
