"""Which of a customer's posts on a ticket have been answered, and which
still need an answer.

A post is answered by a reply under it that is queued, being sent or sent
(an agent's answer, an incident's update or a thank-you; a follow-up asks
about the fix and answers nothing, a failed reply answers nothing). That
reply also answers the customer's own earlier posts that the post
continues (a thread they wrote in several parts), and, for a direct
message, the earlier direct messages of that conversation: it reads as the
answer to all of them. A post the customer writes after it, in the same
thread or not, needs its own answer. An answer recorded as given outside
closeloop (a site without a reply API) answers every post received before
it. A post needs an answer when the scorer said it needs a response, or a
person took it into the ticket, and nothing answers it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from store.models import Event, Mention, Reply, Ticket

ANSWERING_PURPOSES = ("answer", "broadcast", "thanks")
# The events that bear on answers: one given outside closeloop, and a post a
# person took into the ticket (the scorer said it needed no response).
ANSWER_EVENTS = ("answered_elsewhere", "taken_into_ticket")
# A review rated this high is praise, whatever its words.
PRAISE_RATING = 4


@dataclass(frozen=True)
class Answer:
    """What answered a post: a reply, or an answer given outside closeloop
    (`how`). `by` is the agent's name, None for closeloop's own messages."""

    at: datetime
    by: str | None
    reply: Reply | None = None
    how: str | None = None


@dataclass(frozen=True)
class PostState:
    post: Mention
    answer: Answer | None
    # The post wants an answer of its own (answered or not yet).
    wanted: bool
    # Praise, or the customer's reply under a review (theirs or ours on it):
    # never answered by default while another post waits.
    aside: bool

    @property
    def needs_answer(self) -> bool:
        return self.wanted and self.answer is None


def post_states(ticket: Ticket) -> list[PostState]:
    """Each post of the ticket, oldest first, with what answered it."""
    return states_of(ticket.mentions, ticket.replies, [e for e in ticket.events if e.kind in ANSWER_EVENTS])


def states_of(posts: Iterable[Mention], replies: Iterable[Reply], events: Iterable[Event]) -> list[PostState]:
    """`events`: the ticket's events of ANSWER_EVENTS kinds."""
    posts = sorted(posts, key=lambda p: (p.created_at, p.id))
    events = list(events)
    taken = {e.mention_id for e in events if e.kind == "taken_into_ticket"}
    by_external = {p.external_id: p for p in posts}
    by_id = {p.id: p for p in posts}
    answers: dict[int, Answer] = {}
    for reply in sorted(replies, key=lambda r: r.id):
        target = by_id.get(reply.mention_id)
        if target is None or reply.purpose not in ANSWERING_PURPOSES or reply.status == "failed":
            continue
        answer = Answer(reply.created_at, reply.agent.name if reply.agent else None, reply=reply)
        for post in _answered_by(reply, target, posts, by_external):
            answers.setdefault(post.id, answer)
    for event in sorted((e for e in events if e.kind == "answered_elsewhere"), key=lambda e: e.at):
        for post in posts:
            if post.received_at <= event.at:
                answers.setdefault(post.id, Answer(event.at, event.actor, how=event.detail.get("how")))
    ours = {r.platform_reply_id: by_id.get(r.mention_id) for r in replies if r.platform_reply_id}
    return [PostState(p, answers.get(p.id), p.needs_response or p.id in taken, _is_aside(p, by_external, ours))
            for p in posts]


def waiting_for_answer(posts: Iterable[Mention], replies: list[Reply], events: list[Event]) -> list[Mention]:
    """The posts that need an answer and are not aside, oldest first, as
    states_of tells; `events` as for states_of. Where no reply and no event
    bears on answers (most tickets a page of posts joins), a post waits when
    the scorer said it needs a response: the rest of states_of's work is
    left out."""
    if replies or events:
        return [s.post for s in states_of(posts, replies, events) if s.needs_answer and not s.aside]
    posts = sorted(posts, key=lambda p: (p.created_at, p.id))
    wanted = [p for p in posts if p.needs_response]
    if not wanted:
        return []
    by_external = {p.external_id: p for p in posts}
    return [p for p in wanted if not _is_aside(p, by_external, {})]


def _answered_by(reply: Reply, target: Mention, posts: list[Mention], by_external: dict[str, Mention]) -> list[Mention]:
    answered = [target]
    if target.kind == "direct_message":
        answered += [p for p in posts if p.kind == "direct_message" and p is not target
                     and p.conversation_ref == target.conversation_ref and p.received_at <= reply.created_at]
    parent = by_external.get(target.in_reply_to or "")
    while parent is not None and parent.identity_id == target.identity_id and parent not in answered:
        answered.append(parent)
        parent = by_external.get(parent.in_reply_to or "")
    return answered


def _is_aside(post: Mention, by_external: dict[str, Mention], ours: dict[str, Mention | None]) -> bool:
    if post.sentiment == "positive" or (post.rating is not None and post.rating >= PRAISE_RATING):
        return True
    parent = by_external.get(post.in_reply_to or "") or ours.get(post.in_reply_to or "")
    return parent is not None and parent.kind == "review"


def default_target(states: list[PostState]) -> Mention | None:
    """The post an answer goes to unless the agent picks another: the newest
    that needs an answer, a complaint or question before praise or a reply
    under a review; with none waiting, the newest post."""
    waiting = [s for s in states if s.needs_answer]
    for group in ([s for s in waiting if not s.aside], waiting, states):
        if group:
            return group[-1].post
    return None


def unanswered(states: list[PostState]) -> list[Mention]:
    return [s.post for s in states if s.needs_answer]


def answers_needed(states: list[PostState]) -> int:
    """How many answers the waiting posts need: one each, except that one
    answer serves a conversation of direct messages or a thread the
    customer wrote in parts."""
    return _answers_for([s.post for s in states if s.needs_answer], states)


def overlooked(states: list[PostState]) -> list[Mention]:
    """The posts resolving the ticket now would leave without an answer by
    accident: those still waiting, when several of the customer's posts
    needed an answer of their own. (With one, the agent resolving the
    ticket has it in front of them.)"""
    if _answers_for([s.post for s in states if s.wanted], states) < 2:
        return []
    return unanswered(states)


def _answers_for(posts: list[Mention], states: list[PostState]) -> int:
    by_external = {s.post.external_id: s.post for s in states}
    return len({_answered_together(p, by_external) for p in posts})


def _answered_together(post: Mention, by_external: dict[str, Mention]) -> tuple[str, str | None]:
    if post.kind == "direct_message":
        return "direct_message", post.conversation_ref
    thread = [post]
    parent = by_external.get(post.in_reply_to or "")
    while parent is not None and parent.identity_id == post.identity_id and parent not in thread:
        thread.append(parent)
        parent = by_external.get(parent.in_reply_to or "")
    return "thread", thread[-1].external_id


@dataclass(frozen=True)
class InboxLine:
    """What a ticket's row in a list shows: the post an answer would go to
    (the one the agent must read first: a complaint, not the praise written
    after it) and how many answers its posts need, counted where it has
    more than one post (a row of one post shows no count)."""

    post: Mention
    answers_needed: int


def inbox_lines(session: Session, posts: dict[int, list[Mention]]) -> dict[int, InboxLine]:
    """An InboxLine for each ticket of `posts` (ticket id to its posts,
    oldest first) that has one; two queries read the answers of the
    tickets of more than one post."""
    lines = {ticket_id: InboxLine(listed[0], 0)
             for ticket_id, listed in posts.items() if len(listed) == 1}
    shared = [ticket_id for ticket_id, listed in posts.items() if len(listed) > 1]
    if not shared:
        return lines
    replies = session.scalars(select(Reply).options(joinedload(Reply.agent)).where(Reply.ticket_id.in_(shared)))
    events = session.scalars(select(Event).where(Event.ticket_id.in_(shared), Event.kind.in_(ANSWER_EVENTS)))
    grouped: dict[int, tuple[list, list]] = {t: ([], []) for t in shared}
    for index, rows in enumerate((replies, events)):
        for row in rows:
            grouped[row.ticket_id][index].append(row)
    for ticket_id, lists in grouped.items():
        states = states_of(posts[ticket_id], *lists)
        lines[ticket_id] = InboxLine(default_target(states), answers_needed(states))
    return lines
