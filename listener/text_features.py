"""The features the sentiment model reads: words, word pairs and the
character n-grams inside words, hashed into a fixed number of buckets.

Hashing keeps the model small and free of any vocabulary; crc32 is used
because Python's own string hash changes from one process to the next.
Training and prediction both take their features from here, so they
cannot drift apart."""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

_URL = re.compile(r"https?://\S+|www\.\S+", re.I)
_HANDLE = re.compile(r"@\w+")
_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[!?]+|\.\.\.+|…|[^\w\s.,;:'\"’()\[\]{}\-/\\|*&%#@+=<>_`~^]", re.U)
CHAR_NGRAMS = (3, 5)
START, END = "<s>", "</s>"


@lru_cache(maxsize=8)
def tokens(text: str) -> tuple[str, ...]:
    """Lower-case tokens with links, handles and digits made alike: a
    complaint about order 1234 reads like one about order 5678. The last
    few texts' tokens are kept: the sentiment, needs-a-person and topic
    models each read the same post."""
    if "http" in text or "www." in text:
        text = _URL.sub(" <url> ", text)
    if "@" in text:
        text = _HANDLE.sub(" <user> ", text)
    text = _DIGIT.sub("0", text)
    return tuple(t if t.isalnum() else _squeeze(t) for t in _TOKEN.findall(text.lower()))


def _squeeze(token: str) -> str:
    if token[0] in "!?":
        return token[:2]
    if token[0] in ".…":
        return "..."
    return token.replace("’", "'")


def token_features(token: str) -> list[str]:
    """The token itself and, for words, its character n-grams."""
    features = ["w:" + token]
    if len(token) > 1 and token[0].isalnum():
        padded = f" {token} "
        low, high = CHAR_NGRAMS
        for size in range(low, high + 1):
            features.extend("c:" + padded[i:i + size] for i in range(len(padded) - size + 1))
    return features


@lru_cache(maxsize=8)
def pair_features(words: tuple[str, ...]) -> tuple[str, ...]:
    """Each word pair, the text's start and end included; the last few
    texts' pairs are kept, like their tokens."""
    padded = (START, *words, END)
    return tuple("b:" + a + " " + b for a, b in zip(padded, padded[1:]))


def features(text: str) -> list[str]:
    words = tokens(text)
    found = [f for w in words for f in token_features(w)]
    found.extend(pair_features(words))
    return found


def bucket(feature: str, bits: int) -> int:
    return zlib.crc32(feature.encode("utf-8")) & ((1 << bits) - 1)
