import pytest

from tests.unit.test_activity_sentences import READER
from web.activity import sentence


@pytest.mark.parametrize(("kind", "detail", "actor", "expected"), [
    ("moderation_requested", {"action": "hide", "reason": "abusive"}, "alex@demo.local",
     "Asked to hide a comment by Alex Agent: abusive"),
    ("moderated", {"action": "hide", "reason": "abusive"}, "alex@demo.local", "Comment hidden by Alex Agent: abusive"),
    ("moderated", {"action": "hide", "reason": "spam ('f4f')", "by": "rule"}, "system",
     "Comment hidden by the rule: spam ('f4f')"),
    ("moderated", {"action": "like", "reason": ""}, "sam@demo.local", "Comment liked by Sam Senior"),
    ("moderation_failed", {"action": "delete", "reason": "", "error": "Facebook refused deleting the comment"},
     "sam@demo.local", "Delete of a comment failed by Sam Senior: Facebook refused deleting the comment"),
])
def test_a_moderation_reads_as_a_sentence_with_who_and_why(kind, detail, actor, expected):
    assert sentence(kind, detail, actor, READER) == expected
