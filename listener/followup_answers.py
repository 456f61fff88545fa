"""Read a customer's answer to our follow-up ("did our fix sort it out?
Reply yes or no"): a plain yes or no first, else the answer's sentiment."""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W\d_][\w']*")
HANDLE = re.compile(r"(?<![\w/])(@\w+|/?u/[\w-]+)")
YES = frozenset({"yes", "yep", "yeah", "yea", "yup", "sorted", "fixed", "resolved", "works", "working", "perfect",
                 "great", "thanks", "thank", "cheers", "ok", "okay", "sí", "si", "oui", "ja"})
YES_PAIRS = frozenset({"all good", "it does", "it did", "no problem", "no problems", "no issues", "no complaints"})
NO = frozenset({"no", "nope", "nah", "not", "never", "didn't", "doesn't", "isn't", "hasn't", "haven't", "won't",
                "non", "nein"})
# Words that mean the problem is back whatever else the answer says.
STILL_BROKEN = frozenset({"still", "broken", "again", "worse"})
NO_CONTACT = (
    re.compile(r"^\W*(stop|unsubscribe)\W*$"),
    re.compile(r"\b(do not|don't|dont|stop|quit)\s+(contact(ing)?|messag(e|ing)|tweet(ing)?|dm(ing)?)\s+me\b"),
    re.compile(r"\bleave me alone\b"),
)


def read_answer(text: str, sentiment: str) -> str | None:
    """'satisfied', 'unsatisfied', or None when the answer says neither.
    The first yes- or no-word decides, except that a problem still there
    ("still", "again", "broken", "worse") always means no."""
    words = WORD.findall(HANDLE.sub(" ", text).lower())
    if STILL_BROKEN.intersection(words):
        return "unsatisfied"
    for i, word in enumerate(words):
        if " ".join(words[i:i + 2]) in YES_PAIRS or word in YES:
            return "satisfied"
        if word in NO:
            return "unsatisfied"
    if sentiment == "negative":
        return "unsatisfied"
    if sentiment == "positive":
        return "satisfied"
    return None


def asks_not_to_be_contacted(text: str) -> bool:
    lowered = HANDLE.sub(" ", text).lower()
    return any(pattern.search(lowered) for pattern in NO_CONTACT)
