"""The two sentiment lexicons, each behind one function: VADER (tuned for
short social text, with emoji and emphasis) and TextBlob's pattern
analyser. Both ship their word lists; nothing is fetched."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class LexiconScore:
    polarity: float
    negative: float = 0.0
    positive: float = 0.0


def vader(text: str) -> LexiconScore:
    scores = _vader().polarity_scores(text)
    return LexiconScore(scores["compound"], scores["neg"], scores["pos"])


def textblob(text: str) -> LexiconScore:
    return LexiconScore(float(_textblob().analyze(text).polarity))


@cache
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@cache
def _textblob():
    from textblob.en.sentiments import PatternAnalyzer

    return PatternAnalyzer()
