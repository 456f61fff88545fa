"""A courtesy formula that ends a post ("thanks", "thank you", "please",
"cheers"): customers end complaints with one as often as praise, and a
sentiment model reading it takes "my screen arrived cracked. Thanks" for
praise. The scorer reads such a post once more without the formula.

Thanks that name what they are for ("thanks for the quick fix"), "no
thanks", "but thanks" (the customer is grateful despite the rest), thanks
for a problem solved ("working again now, thanks"), a question ("...?
Thanks!") and a post that is little more than the formula are left as
they are."""

from __future__ import annotations

import re

_TRAILING = re.compile(
    r"(?<![\w'])(?<!\bno\s)(?<!\bbut\s)(?<!\ba\s)"
    r"(?P<formula>thanks(?:\s+(?:so|very)\s+much|\s+a\s+lot)?|thank\s+(?:you|u)(?:\s+(?:so|very)\s+much)?|"
    r"thx|thnx|ty|cheers|please|pls|plz)"
    r"(?:[\s!.,:;~…()-]|@\w+|#\w+|https?://\S+|[^\x00-\x7f])*$", re.I)
_TRIGGERS = ("than", "thx", "thnx", "ty", "cheers", "pl")
_SOLVED = re.compile(
    r"(?<!not\s)(?<!n't\s)(?<!never\s)\b(?:solved|sorted|resolved?|fixed|helped|all\s+(?:set|good|sorted|working)|"
    r"(?:started|is|it's|its|now)\s+working|work(?:s|ing)\s+(?:now|again|fine)|(?:is|it's|its)\s+(?:ok|okay|fine|"
    r"delivered|here)|delivered\s+now|(?:has|have|just)\s+arrived|called\s+me|got\s+it)\b", re.I)
_WORD = re.compile(r"[^\W\d_]+")
_HANDLE = re.compile(r"@\w+")
# Only the end of a post is looked at.
_TAIL_CHARS = 120
# Fewer words than this before the formula, the formula is the post ("Great, thanks!").
MIN_WORDS_BEFORE = 2


def without_closing_courtesy(text: str) -> tuple[str, str] | None:
    """(the text before its closing courtesy, the formula), or None."""
    tail_at = max(0, len(text) - _TAIL_CHARS)
    tail = text[tail_at:].lower()
    if not any(t in tail for t in _TRIGGERS):
        return None
    found = _TRAILING.search(tail)
    if found is None:
        return None
    before = text[:tail_at + found.start()]
    if "?" in before or len(_WORD.findall(_HANDLE.sub(" ", before))) < MIN_WORDS_BEFORE or _SOLVED.search(before):
        return None
    return before, " ".join(found.group("formula").split())
