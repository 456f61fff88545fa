"""The rule that hides comments under the brand's posts by itself: one the
scorer took for spam (moderation.auto_hide_spam) or with one of
moderation.auto_hide_words. A scheduled pass looks at the comments that
arrived within moderation.auto_hide_lookback_minutes and were never
moderated, and queues a hide for each the rule matches, with the rule's
reason; the moderation outbox sends it. What it hid is listed on
/admin/moderation, where it can be undone; a comment whose hide was
undone has been moderated and is left alone."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from config.clock import Clock
from config.live import Live
from config.platforms import PLATFORMS
from config.settings import ModerationSettings
from connectors.registry import moderation_actions
from responder.moderation import platform_moderation
from store.db import Database
from store.models import Mention, ModerationAction
from store.moderation import queue_moderation

log = logging.getLogger(__name__)

# The reason the scorer gives a post it took for spam (listener.scoring).
SPAM_REASON = "no response needed: spam"
# Hides queued in one transaction.
CHUNK = 50


def why_hidden(text: str, reasons: list, rule: ModerationSettings) -> str | None:
    """Why the rule hides a comment with this text and these scoring
    reasons, or None when it does not."""
    if rule.auto_hide_spam:
        spam = next((r for r in reasons if isinstance(r, str) and r.startswith(SPAM_REASON)), None)
        if spam is not None:
            return spam.removeprefix("no response needed: ")
    lowered = " ".join(text.lower().split())
    for phrase in rule.auto_hide_words:
        if re.search(_pattern(phrase), lowered):
            return f"has {phrase!r}"
    return None


def _pattern(phrase: str) -> str:
    """A listed word or phrase as whole words; a trailing '*' lets the last word go on."""
    if phrase.endswith("*"):
        return rf"(?<!\w){re.escape(phrase[:-1])}\w*"
    return rf"(?<!\w){re.escape(phrase)}(?!\w)"


class AutoHide:
    """Run `run` as a singleton job; it returns how many hides it queued."""

    def __init__(self, db: Database, live: Live, clock: Clock):
        self.db = db
        self.live = live
        self.clock = clock

    def run(self) -> int:
        settings = self.live.settings
        rule = settings.moderation
        platforms = [p for p in PLATFORMS if "hide" in moderation_actions(p)]
        if not (rule.auto_hide_spam or rule.auto_hide_words) or not platforms:
            return 0
        now = self.clock.now()
        with self.db.transaction() as session:
            candidates = session.execute(
                select(Mention.id, Mention.text, Mention.reasons)
                .where(Mention.platform.in_(platforms), Mention.kind.in_(("comment", "reply")),
                       Mention.received_at >= now - timedelta(minutes=rule.auto_hide_lookback_minutes),
                       _never_moderated()).order_by(Mention.id)).all()
        matched = [(mention_id, why) for mention_id, text, reasons in candidates
                   if (why := why_hidden(text, reasons or [], rule)) is not None]
        queued = sum(self._hide(matched[start:start + CHUNK], settings, now)
                     for start in range(0, len(matched), CHUNK))
        if queued:
            log.info("the moderation rule queued %d hide(s)", queued)
        return queued

    def _hide(self, matched: list[tuple[int, str]], settings, now) -> int:
        """Queue the hides of one chunk in one short transaction, so that
        a wave of spam does not hold the database for long. A comment
        someone moderated meanwhile is left alone."""
        why = dict(matched)
        queued = 0
        with self.db.transaction() as session:
            mentions = session.scalars(select(Mention).where(Mention.id.in_(why), _never_moderated())
                                       .options(joinedload(Mention.source), joinedload(Mention.ticket))
                                       .order_by(Mention.id))
            for mention in mentions:
                moderation = platform_moderation(settings, mention)
                if moderation.why_not or "hide" not in moderation.offered:
                    continue
                queue_moderation(session, mention, "hide", settings=settings.moderation, moderation=moderation,
                                 by=None, reason=why[mention.id], now=now)
                queued += 1
        return queued


def _never_moderated():
    return ~exists().where(ModerationAction.mention_id == Mention.id)
