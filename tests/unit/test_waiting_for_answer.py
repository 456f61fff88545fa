"""waiting_for_answer gives the posts states_of says need an answer and
are not aside, in the same order, whether or not it takes its short way
(no reply and no event that bears on answers)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from store.answers import states_of, waiting_for_answer

START = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)


def _posts(rng: random.Random, count: int) -> list[SimpleNamespace]:
    """Posts of one customer in any order of time: complaints, praise, a
    high rating, reviews and replies under them or under each other."""
    posts = []
    for n in range(count):
        parent = rng.choice([None, None, *(p.external_id for p in posts), "ours-1"])
        posts.append(SimpleNamespace(
            id=n + 1, external_id=f"p{n}", kind=rng.choice(["post", "reply", "review", "direct_message"]),
            conversation_ref="c1", in_reply_to=parent, identity_id=7,
            created_at=START + timedelta(minutes=rng.randrange(5)), received_at=START + timedelta(minutes=n),
            rating=rng.choice([None, None, 2, 5]), sentiment=rng.choice(["negative", "neutral", "positive"]),
            needs_response=rng.random() < 0.7, priority="medium", urgency=0.5, topic="delivery"))
    return posts


def _expected(posts, replies, events) -> list:
    return [s.post for s in states_of(posts, replies, events) if s.needs_answer and not s.aside]


def test_without_replies_or_events_the_short_way_agrees_with_states_of():
    rng = random.Random(5)
    for _ in range(300):
        posts = _posts(rng, rng.randrange(8))
        assert waiting_for_answer(posts, [], []) == _expected(posts, [], [])


def test_with_a_reply_or_an_answer_given_elsewhere_it_is_states_of():
    rng = random.Random(6)
    for _ in range(100):
        posts = _posts(rng, rng.randrange(1, 8))
        target = rng.choice(posts)
        reply = SimpleNamespace(id=1, mention_id=target.id, purpose="answer", status="sent", agent=None,
                                created_at=START + timedelta(minutes=3), platform_reply_id="ours-1")
        elsewhere = SimpleNamespace(kind="answered_elsewhere", at=START + timedelta(minutes=2), actor="a@b.c",
                                    mention_id=None, detail={"how": "by phone"})
        for replies, events in (([reply], []), ([], [elsewhere])):
            assert waiting_for_answer(posts, replies, events) == _expected(posts, replies, events)
