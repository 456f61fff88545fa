"""The subject of a post, from a configurable taxonomy (topic -> words and
phrases): the topic with the most different phrases found wins.

Where topics are found equally often, the trained topic model picks
among them when it knows them all, else the one listed first in the
taxonomy wins. A complaint that names no topic's words gets the model's
likeliest topic when the model is sure enough of it. The model only knows
the topics it was trained on (those of the labelled care posts and of
the team's corrections); the words decide every other topic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from listener.phrases import PhraseIndex
from listener.topic_model import TopicModel

# A complaint naming no topic's words gets the model's topic only when the
# model finds it likelier than all the others together: below that, the
# guess would mostly repeat which topics were common in its training posts.
MIN_GUESS_PROBABILITY = 0.5


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


class TopicChooser:
    def __init__(self, taxonomy: Mapping[str, tuple[str, ...]], model: TopicModel | None = None,
                 min_guess_probability: float = MIN_GUESS_PROBABILITY):
        self._phrases = PhraseIndex(taxonomy)
        self._rank = {topic: n for n, topic in enumerate(taxonomy)}
        self._model = model
        switched_on = {topic for topic, words in taxonomy.items() if words}
        self._known = frozenset(model.labels).intersection(switched_on) if model else frozenset()
        self._min_guess = min_guess_probability

    def choose(self, words: list[str], text: str = "", complaint: bool = False) -> TopicChoice:
        """The topic of a post, from its words (`phrases.words_of`); `text`
        is read by the model, which guesses only for a complaint."""
        found: dict[str, list[str]] = {}
        for topic, phrase in self._phrases.find_all(words):
            seen = found.setdefault(topic, [])
            if phrase not in seen:
                seen.append(phrase)
        if not found:
            return self._guess(text) if complaint and len(self._known) > 1 else TopicChoice(None)
        most = max(len(phrases) for phrases in found.values())
        tied = [topic for topic, phrases in found.items() if len(phrases) == most]
        if len(tied) > 1 and self._known.issuperset(tied):
            likely = self._model.probabilities(text)
            topic = max(tied, key=likely.__getitem__)
            others = ", ".join(t for t in tied if t != topic)
            return TopicChoice(topic, tuple(found[topic]), f"{likely[topic]:.2f} over {others}")
        topic = max(found, key=lambda t: (len(found[t]), -self._rank[t]))
        return TopicChoice(topic, tuple(found[topic]))

    def _guess(self, text: str) -> TopicChoice:
        likely = {t: p for t, p in self._model.probabilities(text).items() if t in self._known}
        total = sum(likely.values())
        topic = max(likely, key=likely.__getitem__)
        probability = likely[topic] / total
        if probability < self._min_guess:
            return TopicChoice(None)
        return TopicChoice(topic, (), f"{probability:.2f}")
