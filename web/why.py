"""One line of why for a post: its priority and the main reason the scorer
gave, read from the reasons it recorded ("Urgent: safety (smoking)")."""

from __future__ import annotations

import re
from collections.abc import Sequence

# "safety:fire ('smoking') +1.00", "keyword:charged twice (money) +0.25"
_HIT = re.compile(r"^(?P<kind>[a-z_]+):(?P<name>[^(]+?) \((?P<what>[^)]*)\) \+(?P<weight>\d+(?:\.\d+)?)$")
# "rule:on hold for 45 minutes -0.30, urgency +0.05"
_RULE = re.compile(r"^rule:(?P<phrase>.+?) [-+]\d")
# "complaint +0.30", "question +0.20", "needs a person: model 0.81 +0.20"
_WHY = re.compile(r"^(?P<why>[a-z][^:+]*(?:: model [\d.]+)?) \+\d+(?:\.\d+)?$")
_NOT_A_HIT = {"model", "vader", "negative", "topic", "followers", "history", "tier", "rating"}
_NO_ANSWER = "no response needed: "


def main_reason(reasons: Sequence[str]) -> str:
    """The reason that says most: the heaviest keyword or safety hit, else
    a care rule, else why the post needs an answer (or why not); "" when
    the reasons say none of these."""
    hits = []
    for reason in reasons:
        found = _HIT.match(reason)
        if found and found["kind"] not in _NOT_A_HIT:
            hits.append((float(found["weight"]), _hit_text(found)))
    if hits:
        return max(hits, key=lambda hit: hit[0])[1]
    for pattern in (_RULE, _WHY):
        for reason in reasons:
            found = pattern.match(reason)
            if found:
                return found[1]
    return next((r[len(_NO_ANSWER):] for r in reasons if r.startswith(_NO_ANSWER)), "")


def why_line(priority: str | None, reasons: Sequence[str]) -> str:
    """"Urgent: safety (smoking)", or "No answer needed: praise"."""
    head = priority.capitalize() if priority else "No answer needed"
    reason = main_reason(reasons)
    return f"{head}: {reason}" if reason else head


def _hit_text(found: re.Match) -> str:
    """A keyword hit reads as its class and phrase, "money (charged twice)";
    another hit as its kind and what matched, "safety (smoking)"."""
    if found["kind"] == "keyword":
        return f"{found['what']} ({found['name']})"
    kind, matched = found["kind"].replace("_", " "), found["what"].replace("'", "")
    return f"{kind} ({matched})"
