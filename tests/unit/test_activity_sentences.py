import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from web.activity import SENTENCES, Reader, sentence

READER = Reader(names={"alex@demo.local": "Alex Agent", "sam@demo.local": "Sam Senior"},
                topic=lambda name: {"billing_or_refund": "Billing or refund", "delivery": "Delivery"}.get(name, name),
                time=lambda moment: moment.strftime("%H:%M"))
BURNING = ["model:neutral 0.61", "safety:fire ('burning') +1.00", "complaint +0.30", "public +0.05"]


@pytest.mark.parametrize(("kind", "detail", "actor", "expected"), [
    ("raised", {"priority": "urgent", "reasons": BURNING}, "system", "Raised as urgent: safety (burning)"),
    ("raised", {"priority": "normal", "reasons": ["model:positive 0.92", "no response needed: praise"]},
     "alex@demo.local", "Raised as normal by Alex Agent: the scorer let it pass (praise)"),
    ("assigned", {"agent": "sam@demo.local", "reason": "senior: urgent"}, "system",
     "Assigned to Sam Senior: senior: urgent"),
    ("assigned", {"agent": "alex@demo.local", "reason": "manual by Sam Senior"}, "sam@demo.local",
     "Assigned to Alex Agent: manual by Sam Senior"),
    ("replied", {"reply_id": 3, "url": "http://x"}, "alex@demo.local", "Replied by Alex Agent"),
    ("reply_failed", {"error": "403 Forbidden", "attempts": 1}, "system", "Reply failed after 1 attempt: 403 Forbidden"),
    ("topic_changed", {"before": "delivery", "after": "billing_or_refund"}, "alex@demo.local",
     "Topic set to Billing or refund (was Delivery) by Alex Agent"),
    ("reprioritized", {"before": "normal", "after": "urgent", "reason": "press"}, "sam@demo.local",
     "Priority normal → urgent by Sam Senior: press"),
    ("snoozed", {"until": "2026-03-01T15:30:00+00:00"}, "alex@demo.local", "Snoozed until 15:30 by Alex Agent"),
    ("resolved", {"left_unanswered": [4, 5]}, "alex@demo.local", "Resolved, leaving 2 posts unanswered by Alex Agent"),
    ("breached", {"target": "first_response", "minutes_over": 3}, "system", "First response target missed by 3 min"),
    ("breached", {"target": "first_response", "minutes_over": 0}, "system", "First response target missed by <1 min"),
    ("at_risk", {"target": "first_response", "minutes_left": 0}, "system", "First response at risk: <1 min left"),
    ("followup_sent", {"reply_id": 9}, "system", "Follow-up sent"),
    ("customer_wrote", {"needs_response": False, "reasons": []}, "system", "The customer wrote again: no answer needed"),
])
def test_it_reads_each_event_as_a_sentence(kind, detail, actor, expected):
    assert sentence(kind, detail, actor, READER) == expected


def test_it_reads_a_kind_it_does_not_know_plainly_with_who_did_it():
    assert sentence("merged_elsewhere", {"odd": [1, 2]}, "alex@demo.local", READER) == "Merged elsewhere by Alex Agent"


def test_it_names_someone_it_does_not_know_by_their_email():
    assert sentence("pending", None, "gone@demo.local", READER) == "Set to wait on the customer by gone@demo.local"


def test_every_kind_the_store_records_has_its_own_sentence():
    store = Path(__file__).parents[2] / "store"
    source = (store / "tickets.py").read_text() + (store / "customers.py").read_text()
    kinds = set(re.findall(r'record_event\(session, [\w.]+, "(\w+)"', source))
    assert kinds and kinds <= set(SENTENCES)


def test_times_in_details_read_in_the_reader_zone():
    reader = Reader(names={}, topic=str, time=lambda m: m.astimezone(timezone.utc).strftime("%d %b %H:%M"))
    due = datetime(2026, 3, 1, 9, 5, tzinfo=timezone.utc).isoformat()
    assert sentence("followup_scheduled", {"due_at": due}, "system", reader) == "Follow-up scheduled for 01 Mar 09:05"
