"""Moderating comments on the brand's posts: each action checked, queued and
sent once through the Facebook connector against the emulator, recorded
with who asked and why, and undone where the platform allows."""

import threading

import pytest
from sqlalchemy import select

from config.live import Live
from config.settings import load_settings
from connectors.base import ConnectorError
from connectors.registry import ConnectorPool
from responder.auto_hide import AutoHide, why_hidden
from responder.moderation import ModerationOutbox, request_moderation, undo
from store.accounts import create_agent
from store.errors import Refused
from store.models import Agent, Customer, Event, Identity, Mention, ModerationAction, Source, Ticket
from tests.connectors.emulated import api_calls, control, listed
from tests.integration.loop_helpers import ProcessDied

PAGE_ID = "1010"


@pytest.fixture
def settings(emulator):
    return load_settings(env={}, overrides={
        "accounts": {"fb": {"platform": "facebook", "base_url": emulator.url, "page_id": PAGE_ID,
                            "page_access_token": "page-token"}},
        "outbox": {"stale_send_seconds": 120},
        "moderation": {"auto_hide_words": ["idiot*", "scam"], "auto_hide_spam": True},
    })


@pytest.fixture
def pool(settings):
    return ConnectorPool(settings.accounts, timeout=5)


def on_page_post(emulator, text="You are all idiots and thieves") -> str:
    post = control(emulator, "facebook/posts", {"kind": "post", "author": {"id": PAGE_ID}, "text": "Autumn menu!"})
    return control(emulator, "facebook/posts", {"kind": "comment", "author": {"name": "Troll"}, "text": text,
                                                "in_reply_to": post["id"]})["id"]


def store_comment(db, clock, comment_id, text="You are all idiots and thieves", with_ticket=True,
                  conversation=None, kind="comment", reasons=()):
    now = clock.now()
    with db.transaction() as session:
        source = session.scalar(select(Source).where(Source.name == "fb-comments")) or Source(
            name="fb-comments", platform="facebook", kind="comments", target=PAGE_ID, credentials_ref="fb")
        customer = Customer(display_name="Troll", created_at=now)
        identity = Identity(customer=customer, platform="facebook", platform_user_id=f"u-{comment_id}",
                            name="Troll")
        ticket = Ticket(customer=customer, platform="facebook", status="new", priority="normal", created_at=now,
                        updated_at=now) if with_ticket else None
        mention = Mention(source=source, platform="facebook", external_id=comment_id, kind=kind,
                          conversation_ref=conversation or f"{PAGE_ID}_{comment_id.split('_')[0]}",
                          identity=identity, text=text, created_at=now, received_at=now, sentiment="negative",
                          polarity=-0.8, urgency=0.4, needs_response=with_ticket, reasons=list(reasons),
                          ticket=ticket)
        session.add(mention)
        session.flush()
        return mention.id


def agent(db, clock, role="agent", email=None):
    with db.transaction() as session:
        return create_agent(session, name=f"Alex {role}", email=email or f"{role}@example.com", password="pw",
                            role=role, now=clock.now()).id


def ask(db, clock, settings, mention_id, action, agent_id, reason="abusive", confirmed=False):
    with db.transaction() as session:
        who = session.get(Agent, agent_id) if agent_id else None
        return request_moderation(session, settings, session.get(Mention, mention_id), action, who, reason,
                                  clock.now(), confirmed=confirmed).id


def action(db, action_id) -> ModerationAction:
    with db.sessions() as session:
        return session.get(ModerationAction, action_id)


def shown(emulator, comment_id):
    return next((p for p in listed(emulator, "facebook") if p["id"] == comment_id), None)


def outbox(db, clock, settings, connector_for):
    return ModerationOutbox(db, settings, clock, connector_for)


def test_a_hide_is_sent_once_and_recorded_with_who_and_why(db, clock, emulator, settings, pool):
    comment = on_page_post(emulator)
    mention_id = store_comment(db, clock, comment)
    alex = agent(db, clock)

    hide = ask(db, clock, settings, mention_id, "hide", alex, reason="abusive")
    assert outbox(db, clock, settings, pool.for_account).send_due() == 1

    done = action(db, hide)
    assert (done.status, done.attempts, done.requested_by, done.reason) == ("done", 1, "agent@example.com", "abusive")
    assert shown(emulator, comment)["hidden"] is True
    with db.sessions() as session:
        events = session.scalars(select(Event).where(Event.mention_id == mention_id).order_by(Event.id)).all()
        assert [(e.kind, e.actor, e.detail["action"], e.detail["reason"]) for e in events] == [
            ("moderation_requested", "agent@example.com", "hide", "abusive"),
            ("moderated", "agent@example.com", "hide", "abusive")]


def test_a_hide_is_undone_by_an_unhide_on_the_platform(db, clock, emulator, settings, pool):
    comment = on_page_post(emulator)
    mention_id = store_comment(db, clock, comment)
    alex = agent(db, clock)
    hide = ask(db, clock, settings, mention_id, "hide", alex)
    with db.transaction() as session:
        unhide = undo(session, settings, hide, session.get(Agent, alex), "", clock.now()).id
    box = outbox(db, clock, settings, pool.for_account)

    assert box.send_due() == 1, "the unhide waits for the hide it undoes"
    assert box.send_due() == 1

    assert (action(db, unhide).action, action(db, unhide).undoes_id, action(db, unhide).status) == (
        "unhide", hide, "done")
    assert shown(emulator, comment)["hidden"] is False
    assert [c["params"] for c in api_calls(emulator, "facebook", f"/{comment}", method="POST")] == [
        {"is_hidden": "true"}, {"is_hidden": "false"}]


def test_a_like_and_its_undo_reach_the_platform(db, clock, emulator, settings, pool):
    comment = on_page_post(emulator, "Best coffee in town")
    mention_id = store_comment(db, clock, comment, text="Best coffee in town")
    alex = agent(db, clock)
    like = ask(db, clock, settings, mention_id, "like", alex, reason="")
    outbox(db, clock, settings, pool.for_account).send_due()
    assert shown(emulator, comment)["liked"] is True
    with db.transaction() as session:
        undo(session, settings, like, session.get(Agent, alex), "", clock.now())
    outbox(db, clock, settings, pool.for_account).send_due()
    assert shown(emulator, comment)["liked"] is False


def test_a_hide_is_done_once_when_the_sender_dies_mid_send(db, clock, emulator, settings, pool):
    comment = on_page_post(emulator)
    mention_id = store_comment(db, clock, comment)
    hide = ask(db, clock, settings, mention_id, "hide", agent(db, clock))

    def dies_after_sending(account, platform):
        connector = pool.for_account(account, platform)

        class Dying:
            def moderate(self, what, comment_id):
                connector.moderate(what, comment_id)
                raise ProcessDied()

        return Dying()

    with pytest.raises(ProcessDied):
        outbox(db, clock, settings, dies_after_sending).send_due()
    assert action(db, hide).status == "sending"
    assert shown(emulator, comment)["hidden"] is True

    restarted = outbox(db, clock, settings, pool.for_account)
    assert restarted.send_due() == 0
    clock.advance(seconds=121)
    assert restarted.send_due() == 1

    assert action(db, hide).status == "done"
    assert len(api_calls(emulator, "facebook", f"/{comment}", method="POST")) == 1
    assert [c["params"].get("fields") for c in api_calls(emulator, "facebook", f"/{comment}", method="GET")] == [
        "id,is_hidden,user_likes"]


def test_a_hide_that_timed_out_before_arriving_is_checked_then_sent(db, clock, emulator, settings, pool):
    comment = on_page_post(emulator)
    mention_id = store_comment(db, clock, comment)
    hide = ask(db, clock, settings, mention_id, "hide", agent(db, clock))
    calls = []

    def times_out_first(account, platform):
        connector = pool.for_account(account, platform)

        class TimesOut:
            def moderate(self, what, comment_id):
                calls.append(what)
                if len(calls) == 1:
                    raise ConnectorError("Facebook did not answer within 5 s while hiding the comment")
                connector.moderate(what, comment_id)

            def comment_state(self, comment_id):
                return connector.comment_state(comment_id)

        return TimesOut()

    box = outbox(db, clock, settings, times_out_first)
    box.send_due()
    first = action(db, hide)
    assert (first.status, first.outcome_unknown) == ("queued", True)
    clock.advance(minutes=5)
    box.send_due()

    assert action(db, hide).status == "done"
    assert calls == ["hide", "hide"]
    assert shown(emulator, comment)["hidden"] is True


def test_two_senders_at_once_hide_a_comment_once(db, clock, emulator, settings, pool):
    comment = on_page_post(emulator)
    hide = ask(db, clock, settings, store_comment(db, clock, comment), "hide", agent(db, clock))
    boxes = [outbox(db, clock, settings, pool.for_account) for _ in range(2)]
    barrier = threading.Barrier(2)
    handled = []

    def send(box):
        barrier.wait()
        handled.append(box.send_due())

    threads = [threading.Thread(target=send, args=(box,)) for box in boxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(handled) == [0, 1]
    assert action(db, hide).status == "done"
    assert len(api_calls(emulator, "facebook", f"/{comment}", method="POST")) == 1


def test_a_delete_needs_a_senior_and_a_confirmation_and_cannot_be_undone(db, clock, emulator, settings, pool):
    comment = on_page_post(emulator)
    mention_id = store_comment(db, clock, comment)

    with pytest.raises(Refused) as refused:
        ask(db, clock, settings, mention_id, "delete", agent(db, clock))
    assert refused.value.status == 403
    assert refused.value.message == "only a senior or above may delete comments; your role is agent"
    senior = agent(db, clock, "senior")
    with pytest.raises(Refused) as unconfirmed:
        ask(db, clock, settings, mention_id, "delete", senior)
    assert unconfirmed.value.status == 400 and "cannot be undone" in unconfirmed.value.message
    with db.sessions() as session:
        assert session.scalars(select(ModerationAction)).all() == []

    delete = ask(db, clock, settings, mention_id, "delete", senior, confirmed=True)
    outbox(db, clock, settings, pool.for_account).send_due()

    assert action(db, delete).status == "done"
    assert shown(emulator, comment) is None
    with db.transaction() as session, pytest.raises(Refused) as irreversible:
        undo(session, settings, delete, session.get(Agent, senior), "", clock.now())
    assert irreversible.value.status == 409


@pytest.mark.parametrize("kind, conversation, why", [
    ("comment", "4000001", "not on a post of the brand's Facebook page"),
    ("post", f"{PAGE_ID}_2000001", "only comments on the page's posts"),
])
def test_a_hide_of_what_is_not_under_the_brands_post_is_refused_before_anything_is_queued(
        db, clock, settings, kind, conversation, why):
    mention_id = store_comment(db, clock, "4000001_3000001", kind=kind, conversation=conversation)

    with pytest.raises(Refused) as refused:
        ask(db, clock, settings, mention_id, "hide", agent(db, clock))

    assert why in refused.value.message
    with db.sessions() as session:
        assert session.scalars(select(ModerationAction)).all() == []
        assert session.scalars(select(Event).where(Event.kind == "moderation_requested")).all() == []


def test_a_comment_is_not_hidden_twice_and_a_failed_hide_is_recorded(db, clock, emulator, settings, pool):
    control(emulator, "faults", {"platform": "facebook", "status": 403})
    comment = on_page_post(emulator)
    mention_id = store_comment(db, clock, comment)
    alex = agent(db, clock)
    hide = ask(db, clock, settings, mention_id, "hide", alex)
    with pytest.raises(Refused) as twice:
        ask(db, clock, settings, mention_id, "hide", alex)
    assert (twice.value.status, twice.value.message) == (409, "the comment is already hidden")

    outbox(db, clock, settings, pool.for_account).send_due()

    failed = action(db, hide)
    assert failed.status == "failed" and "pages_manage_engagement" in failed.last_error
    assert shown(emulator, comment)["hidden"] is False
    with db.sessions() as session:
        assert session.scalar(select(Event.kind).where(Event.kind == "moderation_failed")) == "moderation_failed"
    ask(db, clock, settings, mention_id, "hide", alex)


def test_the_rule_hides_spam_and_listed_words_on_the_brands_posts_and_its_hide_can_be_undone(
        db, clock, emulator, settings, pool):
    abusive = on_page_post(emulator, "what a bunch of IDIOTS")
    kind = on_page_post(emulator, "Lovely staff, thank you")
    spam = on_page_post(emulator, "f4f follow me")
    elsewhere = store_comment(db, clock, "4000001_3000009", text="scam", conversation="4000001", with_ticket=False)
    ids = {comment: store_comment(db, clock, comment, text=text, with_ticket=False, reasons=reasons)
           for comment, text, reasons in [(abusive, "what a bunch of IDIOTS", ()),
                                          (kind, "Lovely staff, thank you", ()),
                                          (spam, "f4f follow me", ("no response needed: spam ('f4f')",))]}
    rule = AutoHide(db, Live(_Made(settings)), clock)

    assert rule.run() == 2
    assert rule.run() == 0
    outbox(db, clock, settings, pool.for_account).send_due()

    assert [shown(emulator, c)["hidden"] for c in (abusive, kind, spam)] == [True, False, True]
    with db.sessions() as session:
        hides = session.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()
        assert [(h.mention_id, h.requested_by, h.reason) for h in hides] == [
            (ids[abusive], "rule", "has 'idiot*'"),
            (ids[spam], "rule", "spam ('f4f')")]
        assert elsewhere not in [h.mention_id for h in hides]

    with db.transaction() as session:
        undo(session, settings, hides[0].id, None, "not abuse", clock.now())
    outbox(db, clock, settings, pool.for_account).send_due()
    assert shown(emulator, abusive)["hidden"] is False
    assert rule.run() == 0


def test_the_rule_leaves_comments_older_than_its_lookback_alone(db, clock, settings):
    store_comment(db, clock, "2000001_3000001", text="scam scam", with_ticket=False)
    clock.advance(minutes=settings.moderation.auto_hide_lookback_minutes + 1)
    assert AutoHide(db, Live(_Made(settings)), clock).run() == 0


@pytest.mark.parametrize("text, reasons, expected", [
    ("You IDIOTS", [], "has 'idiot*'"),
    ("an idiotic idea", [], "has 'idiot*'"),
    ("scammer", [], None),
    ("this is a scam.", [], "has 'scam'"),
    ("follow4follow", ["no response needed: spam ('follow4follow')"], "spam ('follow4follow')"),
    ("my order is late", ["complaint +0.40"], None),
])
def test_what_the_rule_hides(settings, text, reasons, expected):
    assert why_hidden(text, reasons, settings.moderation) == expected


class _Made:
    """The least a Live needs: the settings in force."""

    def __init__(self, settings):
        self.settings = settings

    def changed(self, settings):
        return _Made(settings)
