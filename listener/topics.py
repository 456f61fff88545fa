"""The subject of a post, from a configurable taxonomy (topic -> words and
phrases): the topic with the most different phrases found wins, and of
topics found equally often, the one listed first in the taxonomy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from listener.phrases import PhraseIndex


@dataclass(frozen=True)
class TopicChoice:
    topic: str | None
    phrases: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return f"topic:{self.topic} ({', '.join(repr(p) for p in self.phrases[:2])})"


class TopicChooser:
    def __init__(self, taxonomy: Mapping[str, tuple[str, ...]]):
        self._phrases = PhraseIndex(taxonomy)
        self._rank = {topic: n for n, topic in enumerate(taxonomy)}

    def choose(self, words: list[str]) -> TopicChoice:
        """The topic of a post, from its words (`phrases.words_of`)."""
        found: dict[str, list[str]] = {}
        for topic, phrase in self._phrases.find_all(words):
            seen = found.setdefault(topic, [])
            if phrase not in seen:
                seen.append(phrase)
        if not found:
            return TopicChoice(None)
        topic = max(found, key=lambda t: (len(found[t]), -self._rank[t]))
        return TopicChoice(topic, tuple(found[topic]))
