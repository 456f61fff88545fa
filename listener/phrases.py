"""Configured words and phrases in named groups (keyword classes, topics,
spam), found by looking a post's words up in a table rather than trying
hundreds of patterns at every character.

A phrase matches whole words, case aside; a trailing `*` lets its last
word go on ("cancel*" finds cancelled and cancellation). Punctuation inside
a phrase separates words, as in the text ("check-in" finds "check in").
Phrases to ignore hide the words they cover from every group ("sparkling"
beside "spark*")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Words, and the marks that end a clause: no phrase holds a mark, so none
# runs from one clause into the next.
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.,;:!?()\n]")
_IGNORED = ""


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def tokens_of(text: str) -> list[str]:
    """The words of the text with its clause marks (`. , ; : ! ? ( )` and line ends) among them."""
    return _TOKEN.findall(text.lower().replace("’", "'"))


class PhraseIndex:
    def __init__(self, groups: Mapping[str, Iterable[str]], ignore: Iterable[str] = ()):
        self._exact: dict[str, str] = {}
        self._stems: dict[str, str] = {}
        self._stem_lengths: set[int] = set()
        shapes: dict[str, set[tuple[int, int]]] = {}
        for group, phrases in [(_IGNORED, ignore), *groups.items()]:
            for phrase in phrases:
                words = words_of(phrase)
                if not words:
                    continue
                stem = phrase.endswith("*")
                (self._stems if stem else self._exact).setdefault(" ".join(words), group)
                if len(words) > 1:
                    shapes.setdefault(words[0], set()).add((len(words), len(words[-1]) if stem else 0))
                elif stem:
                    self._stem_lengths.add(len(words[0]))
        # The shapes of the phrases of two words or more, by first word, the
        # longest first: (size, 0) is an exact phrase, (size, n) a stem of n letters.
        self._longer = {word: sorted(sizes, reverse=True) for word, sizes in shapes.items()}
        self._single: dict[str, str | None] = {}

    def find_all(self, words: list[str]) -> list[tuple[str, str]]:
        """(group, the words found) for each phrase in the text, left to
        right; where phrases overlap, the longest one starting first wins."""
        return [(group, " ".join(words[start:end])) for group, start, end in self.find_spans(words)]

    def find_spans(self, words: list[str]) -> list[tuple[str, int, int]]:
        """(group, start, end) of each phrase found, as `find_all`."""
        found = []
        at, end = 0, len(words)
        while at < end:
            group, size = self._longer_at(words, at) if words[at] in self._longer else (None, 1)
            if group is None:
                word = words[at]
                group = self._single[word] if word in self._single else self._one(word)
            if group:
                found.append((group, at, at + size))
            at += 1 if group is None else size
        return found

    def _longer_at(self, words: list[str], at: int) -> tuple[str | None, int]:
        for size, stem_length in self._longer[words[at]]:
            if at + size > len(words):
                continue
            if stem_length == 0:
                group = self._exact.get(" ".join(words[at:at + size]))
            elif len(words[at + size - 1]) >= stem_length:
                group = self._stems.get(" ".join(words[at:at + size - 1] + [words[at + size - 1][:stem_length]]))
            else:
                group = None
            if group is not None:
                return group, size
        return None, 1

    def _one(self, word: str) -> str | None:
        """The group of a one-word phrase matching the word, remembered."""
        group = self._exact.get(word)
        if group is None:
            for length in sorted(self._stem_lengths, reverse=True):
                if len(word) >= length and word[:length] in self._stems:
                    group = self._stems[word[:length]]
                    break
        if len(self._single) > 100_000:
            self._single.clear()
        self._single[word] = group
        return group
