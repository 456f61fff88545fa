"""A ticket's activity as sentences people read ("Raised as urgent: safety
(smoking)", "Assigned to Sasha Senior: senior: urgent", "Replied by Alex
Agent"): one function per kind of event, and a plain sentence for a kind
without one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from web.why import main_reason

# How the scorer's reason for a post that needs no answer begins.
LET_PASS = "no response needed: "


@dataclass(frozen=True)
class Reader:
    """What a sentence needs besides the event: agents' names by email,
    topics' labels, and local times of the ISO times in details."""

    names: Mapping[str, str]
    topic: Callable[[str | None], str]
    time: Callable[[datetime], str]

    def who(self, email: str | None) -> str:
        return self.names.get(email or "", email or "nobody")

    def at(self, iso: str | None) -> str:
        return self.time(datetime.fromisoformat(iso)) if iso else ""


def sentence(kind: str, detail: Mapping[str, Any] | None, actor: str, reader: Reader) -> str:
    """What happened, by whom when a person did it, and why when recorded."""
    said = SENTENCES.get(kind) or _purpose_sentence(kind) or _plain
    what, why = said(detail or {}, reader, kind)
    if actor != "system" and kind not in _NAMES_ACTOR:
        what += f" by {reader.who(actor)}"
    return f"{what}: {why}" if why else what


def _because(what: str, why: str | None = None) -> tuple[str, str | None]:
    return what, why


def _said(what: str, why_key: str | None = None):
    """The sentence of a kind that always reads `what`, with the detail
    under `why_key` as its why."""
    return lambda d, r, _kind: _because(what, d.get(why_key) if why_key else None)


def _raised(d, r, _kind):
    """Why the scorer raised it; for a post it let pass and a person took
    into a ticket, that the scorer let it pass and why."""
    reasons = d.get("reasons") or ()
    let_pass = next((reason[len(LET_PASS):] for reason in reasons if reason.startswith(LET_PASS)), None)
    why = main_reason(reasons) if let_pass is None else f"the scorer let it pass ({let_pass})"
    return _because(f"Raised as {d.get('priority', 'a ticket')}", why)


def _assigned(d, r, _kind):
    return _because(f"Assigned to {r.who(d.get('agent'))}", d.get("reason"))




def _reply_queued(d, r, _kind):
    return _because("Reply queued" + (" as a direct message" if d.get("channel") == "direct_message" else ""))


def _replied(d, r, _kind):
    return _because("Replied" + (" by direct message" if d.get("channel") == "direct_message" else ""))


def _reply_failed(d, r, _kind):
    attempts = d.get("attempts")
    after = f" after {attempts} attempt{'' if attempts == 1 else 's'}" if attempts else ""
    return _because(f"Reply failed{after}", d.get("error"))




def _snoozed(d, r, _kind):
    return _because(f"Snoozed until {r.at(d.get('until'))}")




def _reprioritized(d, r, _kind):
    return _because(f"Priority {d.get('before')} → {d.get('after')}", d.get("reason"))


def _topic_changed(d, r, _kind):
    text = f"Topic set to {r.topic(d.get('after'))}" if d.get("after") else "Topic cleared"
    return _because(text + (f" (was {r.topic(d['before'])})" if d.get("before") else ""), d.get("reason"))



def _resolved(d, r, _kind):
    left = len(d.get("left_unanswered") or ())
    return _because("Resolved" + (f", leaving {left} post{'' if left == 1 else 's'} unanswered" if left else ""))



def _taken_into_ticket(d, r, _kind):
    text = "Post taken from the mentions stream" + ("" if d.get("raised") else " into this ticket")
    return _because(text, d.get("reason"))


def _incident_linked(d, r, _kind):
    return _because(f"Linked to incident #{d.get('incident_id')}", d.get("why"))


def _followup_scheduled(d, r, _kind):
    channel = " by direct message" if d.get("channel") == "direct_message" else ""
    return _because(f"Follow-up scheduled{channel} for {r.at(d.get('due_at'))}", d.get("channel_reason"))






def _followup_answered(d, r, _kind):
    return _because("The customer answered the follow-up", d.get("outcome", "unclear"))


def _customer_wrote(d, r, _kind):
    if d.get("needs_response") is False:
        return _because("The customer wrote again", "no answer needed")
    return _because("The customer wrote again", main_reason(d.get("reasons") or ()))



def _thanked(d, r, _kind):
    return _because("Thanked for the praise" + (" (a promoter)" if d.get("promoter") else ""))


def _minutes(value) -> str:
    """Whole minutes as the due badges read them: a part of one is "<1 min", never "0 min"."""
    return "<1 min" if value == 0 else f"{value} min"


def _at_risk(d, r, _kind):
    return _because(f"{_target(d.get('target'))} at risk: {_minutes(d.get('minutes_left'))} left")


def _breached(d, r, _kind):
    return _because(f"{_target(d.get('target'))} target missed by {_minutes(d.get('minutes_over'))}")


def _escalated(d, r, _kind):
    return _because(f"Escalated to level {d.get('level')}", d.get("to"))


def _customer_linked(d, r, _kind):
    return _because(f"Customer #{d.get('was')} linked into customer #{d.get('into')}", d.get("why"))


_DONE = {"hide": "hidden", "unhide": "unhidden", "like": "liked", "unlike": "unliked", "delete": "deleted"}


def _by_rule(d) -> str:
    return " by the rule" if d.get("by") == "rule" else ""


def _moderation_requested(d, r, _kind):
    return _because(f"Asked to {d.get('action', 'moderate')} a comment{_by_rule(d)}", d.get("reason") or None)


def _moderated(d, r, _kind):
    return _because(f"Comment {_DONE.get(d.get('action'), 'moderated')}{_by_rule(d)}", d.get("reason") or None)


def _moderation_failed(d, r, _kind):
    return _because(f"{str(d.get('action', 'moderation')).capitalize()} of a comment failed{_by_rule(d)}",
                    d.get("error"))


def _target(name: str | None) -> str:
    return (name or "response").replace("_", " ").capitalize()


def _plain(d, r, kind):
    return _because(kind.replace("_", " ").capitalize())


_PURPOSES = {"followup": "Follow-up", "broadcast": "Incident update", "thanks": "Thank-you"}


def _purpose_sentence(kind: str):
    """Other replies than answers ("followup_queued", "thanks_sent")."""
    purpose, _, step = kind.rpartition("_")
    if purpose not in _PURPOSES or step not in ("queued", "sent"):
        return None
    return _said(f"{_PURPOSES[purpose]} {step}")


# One function per kind of event: (what happened, why or None).
SENTENCES = {
    "raised": _raised, "assigned": _assigned, "unassigned": _said("Unassigned", "reason"),
    "queued": _said("Left in the team queue", "reason"),
    "reply_queued": _reply_queued, "replied": _replied, "reply_failed": _reply_failed,
    "reply_retried": _said("Failed reply sent again"),
    "answered_elsewhere": _said("Answered outside closeloop", "how"), "snoozed": _snoozed,
    "woken": _said("Woken from snooze"), "pending": _said("Set to wait on the customer"),
    "reprioritized": _reprioritized, "topic_changed": _topic_changed,
    "note": _said("Internal note added"), "resolved": _resolved,
    "no_response_needed": _said("Marked as needing no response"),
    "taken_into_ticket": _taken_into_ticket, "incident_linked": _incident_linked,
    "followup_scheduled": _followup_scheduled, "followup_skipped": _said("No follow-up", "reason"),
    "followup_cancelled": _said("Follow-up cancelled", "reason"), "followup_failed": _said("Follow-up failed", "error"),
    "followup_unconfirmed": _said("Follow-up unanswered", "reason"), "followup_answered": _followup_answered,
    "customer_wrote": _customer_wrote, "reopened": _said("Reopened", "reason"), "thanked": _thanked,
    "at_risk": _at_risk, "breached": _breached, "escalated": _escalated, "customer_linked": _customer_linked,
    "moderation_requested": _moderation_requested, "moderated": _moderated, "moderation_failed": _moderation_failed,
}
# Kinds whose actor the sentence does not name ("Assigned to X by Y" is
# named in the reason "manual by Y").
_NAMES_ACTOR = {"assigned", "unassigned"}
