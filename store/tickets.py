"""A ticket's life. Every change of a ticket's state is one function here
that checks the change is allowed, makes it and records its Event, so the
two never part. A change that is not allowed raises Refused before
anything changes. Decisions that need the listener or the responder
(which agent, whether a follow-up goes out) are made by the caller and
passed in as values. The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from store.answers import ANSWER_EVENTS, overlooked, post_states, waiting_for_answer
from store.bulk import column_names, insert_rows, row_of, take_ids
from store.corrections import record_correction
from store.errors import Refused
from store.events import record_event
from store.models import PRIORITIES, THANKS_POLICY, Agent, Incident, Mention, Reply, Ticket, keep_next_due_at
from store.new_tickets import NewTicket
from store.sla import RunningTarget, SlaClock

# A customer who says the fix did not work is answered at least this fast.
REOPENED_PRIORITY = "high"
MAX_SNOOZE = timedelta(days=30)
MAX_NOTE = 2000
MAX_HOW_ANSWERED = 500
MAX_TAKE_REASON = 500


@dataclass(frozen=True)
class FollowupPlan:
    """What the follow-up policy decided as the ticket is resolved: a
    follow-up due at a time by a channel, or none and why not."""

    due_at: datetime | None = None
    channel: str = "thread"
    # Why it goes in the thread when the policy asked for a direct message.
    channel_reason: str | None = None
    why_not: str | None = None


# The customer writes.

def raise_ticket(session: Session, mention: Mention, team: str, sla: SlaClock, now: datetime) -> Ticket:
    """A new post needs an answer and the customer has no open ticket: a
    new ticket, at the post's priority, with its response-time targets."""
    return _raise(session, mention, team, mention.priority, sla, "system", now)


def raise_unstored(session: Session, mention: Mention, team: str, sla: SlaClock, now: datetime,
                   asked_at: datetime) -> NewTicket:
    """As raise_ticket, for a post taken in with the rest of its page: the
    ticket is made in memory only (store.new_tickets), to be stored by
    write_raised with the page's other new tickets, and its events are held
    (store.events). The ticket is raised, and its clock runs, from
    `asked_at` (store.sla.asked_at)."""
    return _new_ticket(session, mention, team, mention.priority, sla, "system", now, asked_at=asked_at)


def write_raised(session: Session, raised: list[NewTicket]) -> None:
    """Store the tickets raise_unstored made, with their assignees, in one
    INSERT, keeping their inbox order as every write of a ticket keeps it;
    their ids are taken first, so their posts and events can name them."""
    if not raised:
        return
    for ticket, ticket_id in zip(raised, take_ids(session, Ticket, len(raised))):
        ticket.id = ticket_id
        keep_next_due_at(None, None, ticket)
    insert_rows(session, Ticket.__table__, column_names(Ticket),
                [row_of(ticket, Ticket.__mapper__) for ticket in raised])


def open_thanks_ticket(session: Session, mention: Mention, team: str, promoter: bool, now: datetime) -> Ticket:
    """Praise is thanked: the thank-you's own ticket, closed from the start
    and out of the response-time reports."""
    if mention.ticket is not None:
        raise Refused(f"the post is already on ticket {mention.ticket.id}", 409)
    ticket = Ticket(customer=mention.identity.customer, platform=mention.platform, status="closed",
                    priority="low", topic=mention.topic, sla_policy=THANKS_POLICY, created_at=now,
                    updated_at=now, resolved_at=now, team=team)
    session.add(ticket)
    mention.ticket = ticket
    session.flush()
    record_event(session, ticket, "thanked", now, mention=mention, promoter=promoter)
    return ticket


def customer_wrote(session: Session, ticket: Ticket, mention: Mention, sla: SlaClock, now: datetime,
                   posts: list[Mention] | None = None, asked_at: datetime | None = None) -> None:
    """The customer wrote again: the post joins the ticket, which reopens
    if it was done and the post needs an answer. A snoozed ticket wakes, a
    more urgent post raises its priority, the topic follows the posts
    waiting for an answer, and our next answer is due, counted from
    `asked_at` (store.sla.asked_at; default now) as _clock_start bounds
    it. `posts`: the ticket's posts with this one, where the caller keeps
    them itself (rows with the columns store.answers reads, and a page's
    new posts, store.new_posts), rather than ticket.mentions."""
    since = _clock_start(ticket, asked_at, now)
    mention.ticket = ticket
    if not ticket.is_open and mention.needs_response:
        _reopen(ticket, now)
        record_event(session, ticket, "reopened", now, mention=mention,
                     reason="the customer wrote again in the conversation")
    ticket.snoozed_until = None
    record_event(session, ticket, "customer_wrote", now, mention=mention, needs_response=mention.needs_response,
                 reasons=list(mention.reasons))
    if not mention.needs_response:
        return
    tier = ticket.customer.tier or "standard"
    # A paused clock resumes first: a target counted from `since` below has not waited.
    sla.resume(ticket, since)
    if PRIORITIES.index(mention.priority) < PRIORITIES.index(ticket.priority):
        before = ticket.priority
        ticket.priority = mention.priority
        targets = sla.targets(mention.priority, ticket.platform, tier)
        if ticket.first_response_at is None:
            ticket.first_response_due_at = min(ticket.first_response_due_at,
                                               sla.due(since, targets.first_response, ticket.team))
        elif ticket.next_response_due_at is not None:
            ticket.next_response_due_at = min(ticket.next_response_due_at,
                                              sla.due(since, targets.next_response, ticket.team))
        ticket.resolution_due_at = min(ticket.resolution_due_at, sla.due(since, targets.resolution, ticket.team))
        record_event(session, ticket, "reprioritized", now, before=before, after=mention.priority,
                     reason=f"a new post scored {mention.priority}", mention=mention)
    _topic_follows_posts(session, ticket, now, posts)
    _clock_runs_again(ticket, sla, tier, now, since)


def awaits_followup_answer(session: Session, ticket: Ticket) -> bool:
    """The ticket is resolved and its follow-up reached the customer: what
    they write now is their answer to it."""
    return ticket.status == "resolved" and ticket.followup_state == "sent" and bool(session.scalar(
        select(exists().where(Reply.ticket_id == ticket.id, Reply.purpose == "followup", Reply.status == "sent"))))


def followup_answered(session: Session, ticket: Ticket, mention: Mention, outcome: str | None, sla: SlaClock,
                      now: datetime, posts: list[Mention] | None = None,
                      asked_at: datetime | None = None) -> str | None:
    """The customer answered the follow-up; `outcome` is how the listener
    read it: 'satisfied' closes the ticket, 'unsatisfied' reopens it at
    high priority or above, and an answer that says neither (None) reopens
    it only when it needs a response. Returns why it reopened, if it did.
    `posts` and `asked_at` as for customer_wrote."""
    if not awaits_followup_answer(session, ticket):
        raise Refused(f"ticket {ticket.id} awaits no answer to a follow-up", 409)
    since = _clock_start(ticket, asked_at, now)
    mention.ticket = ticket
    ticket.followup_answer = mention.text
    record_event(session, ticket, "customer_wrote", now, mention=mention, needs_response=mention.needs_response,
                 reasons=list(mention.reasons))
    record_event(session, ticket, "followup_answered", now, mention=mention, outcome=outcome or "unclear")
    if outcome == "satisfied":
        ticket.followup_state = "satisfied"
        ticket.followup_due_at = None
        _close(ticket, now)
        return None
    if outcome is None and not mention.needs_response:
        return None
    ticket.followup_state = "unsatisfied" if outcome else "unconfirmed"
    ticket.followup_due_at = None
    _reopen(ticket, now)
    reason = "the customer says the fix did not work" if outcome else "the customer wrote again after the follow-up"
    record_event(session, ticket, "reopened", now, mention=mention, reason=reason,
                 assignee=ticket.assignee.email if ticket.assignee else None)
    tier = ticket.customer.tier or "standard"
    if outcome and PRIORITIES.index(ticket.priority) > PRIORITIES.index(REOPENED_PRIORITY):
        before = ticket.priority
        sla.reprioritize(ticket, REOPENED_PRIORITY, tier)
        record_event(session, ticket, "reprioritized", now, mention=mention, before=before,
                     after=REOPENED_PRIORITY, reason=reason)
    _topic_follows_posts(session, ticket, now, posts)
    _clock_runs_again(ticket, sla, tier, now, since)
    return reason


# Who works on it.

def assign(session: Session, ticket: Ticket, agent: Agent, reason: str, now: datetime) -> None:
    """Routing or escalation chose the agent, for `reason`."""
    _require_open(ticket, "; reopen it to assign it")
    _set_assignee(ticket, agent, reason, now)
    record_event(session, ticket, "assigned", now, agent_id=agent.id, agent=agent.email, reason=reason)


def leave_queued(session: Session, ticket: Ticket, reason: str, now: datetime) -> None:
    """Nobody can take the ticket now: it waits in the team's queue."""
    _require_open(ticket)
    record_event(session, ticket, "queued", now, reason=reason)


def assign_by_hand(session: Session, ticket: Ticket, agent: Agent | None, by: Agent, now: datetime) -> None:
    """A person chose the assignee (None unassigns); over capacity is
    allowed, since they decided. Agents may take a ticket themselves;
    seniors and up may give it to anyone."""
    if by.role == "agent" and (agent is None or agent.id != by.id):
        raise Refused("agents can assign tickets to themselves only", 403)
    _require_open(ticket, "; reopen it to assign it")
    if agent is not None and not agent.active:
        raise Refused(f"{agent.email} is deactivated", 400)
    reason = f"manual by {by.name}"
    _set_assignee(ticket, agent, reason, now)
    record_event(session, ticket, "assigned" if agent else "unassigned", now, actor=by.email,
                 agent_id=agent.id if agent else None, agent=agent.email if agent else None, reason=reason)


def hand_back(session: Session, ticket: Ticket, agent: Agent, now: datetime) -> None:
    """The agent went offline: the ticket goes back to the queue."""
    if ticket.assignee_id != agent.id:
        raise Refused(f"ticket {ticket.id} is not assigned to {agent.email}", 409)
    _set_assignee(ticket, None, f"handed back: {agent.name} went offline", now)
    record_event(session, ticket, "unassigned", now, actor=agent.email, reason=f"{agent.name} went offline")


# Answers.

def reply_queued(session: Session, reply: Reply, now: datetime, **detail) -> None:
    """A reply went into the outbox; `detail` goes on the event."""
    kind = "reply_queued" if reply.purpose == "answer" else f"{reply.purpose}_queued"
    record_event(session, reply.ticket, kind, now, actor=_actor(reply.agent), mention=reply.mention,
                 reply_id=reply.id, channel=reply.channel, **detail)


def reply_sent(session: Session, reply: Reply, now: datetime) -> None:
    """The platform took the reply; an agent's answer, or an incident's
    update to the customer, meets the running response target."""
    if reply.status != "sent":
        raise Refused(f"reply {reply.id} is {reply.status}", 409)
    if reply.purpose in ("answer", "broadcast"):
        _answered(reply.ticket, now)
    record_event(session, reply.ticket, "replied" if reply.purpose == "answer" else f"{reply.purpose}_sent", now,
                 actor=_actor(reply.agent), reply_id=reply.id, platform_reply_id=reply.platform_reply_id,
                 url=reply.url, channel=reply.channel)


def reply_failed(session: Session, reply: Reply, now: datetime) -> None:
    """The reply will not be tried again; a follow-up that failed awaits no answer."""
    if reply.status != "failed":
        raise Refused(f"reply {reply.id} is {reply.status}", 409)
    ticket = reply.ticket
    record_event(session, ticket, "reply_failed", now, reply_id=reply.id, error=reply.last_error,
                 attempts=reply.attempts)
    if reply.purpose == "followup" and ticket.followup_state == "sent":
        ticket.followup_state = "failed"
        ticket.followup_due_at = None


def reply_retried(session: Session, reply: Reply, actor: str, answer_window: timedelta, now: datetime) -> None:
    """A failed reply is queued again; a follow-up waits `answer_window`
    from now for the customer's answer."""
    if reply.status != "queued":
        raise Refused(f"reply {reply.id} is {reply.status}", 409)
    ticket = reply.ticket
    if reply.purpose == "followup" and ticket.followup_state == "failed":
        ticket.followup_state = "sent"
        ticket.followup_due_at = now + answer_window
    record_event(session, ticket, "reply_retried", now, actor=actor, reply_id=reply.id)


def answered_elsewhere(session: Session, ticket: Ticket, how: str, actor: str, now: datetime) -> None:
    """The agent answered outside closeloop (the site has no reply API): the
    answer counts as the response, and how it was given is kept."""
    how = (how or "").strip()
    if not how:
        raise Refused("say how you answered, for example 'replied on the review site'", 400)
    if len(how) > MAX_HOW_ANSWERED:
        raise Refused(f"keep it under {MAX_HOW_ANSWERED} characters", 422)
    _require_open(ticket)
    _answered(ticket, now)
    record_event(session, ticket, "answered_elsewhere", now, actor=actor, how=how)


# An agent's changes.

def snooze(session: Session, ticket: Ticket, until: datetime | None, actor: str, now: datetime) -> None:
    """Out of the inbox until `until` (None wakes it now); the customer
    writing again brings it back sooner. The response-time clock runs on."""
    _require_open(ticket)
    if until is not None and not now < until <= now + MAX_SNOOZE:
        raise Refused(f"snooze until a time in the next {MAX_SNOOZE.days} days", 400)
    ticket.snoozed_until = until
    ticket.updated_at = now
    record_event(session, ticket, "snoozed" if until else "woken", now, actor=actor,
                 until=until.isoformat() if until else None)


def wait_on_customer(session: Session, ticket: Ticket, actor: str, now: datetime) -> None:
    """The ticket waits on the customer: its clock stops until they write."""
    _require_open(ticket)
    SlaClock.pause(ticket, now)
    ticket.status = "pending"
    ticket.updated_at = now
    record_event(session, ticket, "pending", now, actor=actor)


def change_priority(session: Session, ticket: Ticket, priority: str, reason: str, by: Agent, sla: SlaClock,
                    now: datetime) -> None:
    """A new priority recomputes the due times; the reason is recorded and
    the scorer's priority kept as a correction."""
    if priority not in PRIORITIES:
        raise Refused(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}", 400)
    if not reason.strip():
        raise Refused("say why the priority changes", 400)
    _require_open(ticket)
    before = ticket.priority
    sla.reprioritize(ticket, priority, ticket.customer.tier or "standard")
    ticket.updated_at = now
    due = ticket.first_response_due_at
    record_event(session, ticket, "reprioritized", now, actor=by.email, before=before, after=priority,
                 reason=reason.strip(), first_response_due_at=due.isoformat() if due else None)
    if ticket.mentions:
        record_correction(session, ticket.mentions[0], "priority", priority, by, now)


def change_topic(session: Session, ticket: Ticket, topic: str, topics: tuple[str, ...], by: Agent,
                 now: datetime) -> None:
    """Another of `topics`, or none with ""; it holds from now on, whatever
    the customer writes. The post the ticket had its topic from (else its
    first) keeps the correction of the scorer."""
    if topic and topic not in topics:
        raise Refused(f"topic must be one of {', '.join(topics)}, or empty for none", 400)
    before = ticket.topic
    if (topic or None) == before:
        return
    ticket.topic = topic or None
    ticket.updated_at = now
    record_event(session, ticket, "topic_changed", now, actor=by.email, before=before, after=ticket.topic)
    if ticket.mentions:
        source = next((m for m in ticket.mentions if before is not None and m.topic == before), ticket.mentions[0])
        record_correction(session, source, "topic", topic or "none", by, now)


def add_note(session: Session, ticket: Ticket, text: str, actor: str, now: datetime) -> None:
    """An internal note for the team: kept on the ticket, never posted."""
    text = (text or "").strip()
    if not text:
        raise Refused("write the note", 400)
    if len(text) > MAX_NOTE:
        raise Refused(f"the note counts {len(text)} characters, {len(text) - MAX_NOTE} too many; a note allows "
                      f"{MAX_NOTE}", 400)
    record_event(session, ticket, "note", now, actor=actor, text=text)


def resolve(session: Session, ticket: Ticket, actor: str, followup: FollowupPlan, now: datetime,
            force: bool = False) -> None:
    """Resolve the ticket, and schedule its follow-up or record why it gets
    none. Refused while posts of a customer who wrote several still need
    an answer (see store.answers.overlooked), unless `force`: the posts
    left unanswered are named on the event."""
    waiting = [p.id for p in overlooked(post_states(ticket))] if ticket.is_open else []
    if waiting and not force:
        raise Refused(f"{_posts(len(waiting))} still need an answer; answer them, or resolve anyway", 409,
                      unanswered=waiting)
    _resolve(ticket, now)
    record_event(session, ticket, "resolved", now, actor=actor, **({"left_unanswered": waiting} if waiting else {}))
    if followup.why_not is not None:
        ticket.followup_state = None
        ticket.followup_due_at = None
        record_event(session, ticket, "followup_skipped", now, reason=followup.why_not)
        return
    ticket.followup_state = "scheduled"
    ticket.followup_due_at = followup.due_at
    ticket.followup_answer = None
    reason = {"channel_reason": followup.channel_reason} if followup.channel_reason else {}
    record_event(session, ticket, "followup_scheduled", now, due_at=followup.due_at.isoformat(),
                 channel=followup.channel, **reason)


def no_response_needed(session: Session, ticket: Ticket, by: Agent, now: datetime) -> None:
    """The scorer raised a ticket nobody needs to answer: it is resolved
    without a follow-up, and the correction is kept for retraining, unless
    someone answered it (then the post did need a person)."""
    _resolve(ticket, now)
    record_event(session, ticket, "no_response_needed", now, actor=by.email)
    record_event(session, ticket, "followup_skipped", now, reason="no response was needed")
    if ticket.mentions and ticket.first_response_at is None:
        record_correction(session, ticket.mentions[0], "needs_response", "False", by, now)


def take_into_ticket(session: Session, mention: Mention, into: Ticket | None, team: str, priority: str,
                     sla: SlaClock, by: Agent, reason: str, now: datetime) -> Ticket:
    """A person says a post the scorer let pass needs an answer: it joins
    `into` (the customer's open ticket), whose clock then runs for our
    answer, or raises a ticket for `team` at `priority`. Who took it and
    why are recorded, and so is the correction of the scorer."""
    reason = (reason or "").strip()
    if len(reason) > MAX_TAKE_REASON:
        raise Refused(f"say why in at most {MAX_TAKE_REASON} characters", 400)
    if into is None:
        ticket = _raise(session, mention, team, priority, sla, by.email, now)
    else:
        _require_unticketed(mention)
        _require_open(into)
        ticket = into
        mention.ticket = ticket
        ticket.snoozed_until = None
        _clock_runs_again(ticket, sla, ticket.customer.tier or "standard", now, now)
    record_event(session, ticket, "taken_into_ticket", now, actor=by.email, mention=mention,
                 raised=into is None, **({"reason": reason} if reason else {}))
    if into is not None:
        _topic_follows_posts(session, ticket, now)
    session.flush()
    record_correction(session, mention, "needs_response", "True", by, now)
    return ticket


def link_to_incident(session: Session, ticket: Ticket, incident: Incident, actor: str, why: str,
                     now: datetime) -> bool:
    """Link the ticket to an open incident; False when it already is."""
    if incident.status != "open":
        raise Refused(f"incident {incident.id} is {incident.status}; open a new one", 409)
    if ticket.incident_id == incident.id:
        return False
    if ticket.incident_id is not None:
        raise Refused(f"ticket {ticket.id} is already in incident {ticket.incident_id}", 409)
    ticket.incident = incident
    ticket.updated_at = now
    record_event(session, ticket, "incident_linked", now, actor=actor, incident_id=incident.id, why=why)
    return True


# The follow-up after resolution.

def claim_due_followup(session: Session, ticket_id: int, answer_window: timedelta, now: datetime) -> Ticket | None:
    """The scheduled follow-up is due and goes out now, then waits
    `answer_window` for the customer's answer: a compare-and-set, so only
    one worker takes it (None for the others). The taker queues it (the
    outbox records that), or cancels it or records it failed."""
    return _compare_and_set_followup(session, ticket_id, "scheduled", now, followup_state="sent",
                                     followup_due_at=now + answer_window)


def cancel_followup(session: Session, ticket: Ticket, reason: str, now: datetime, actor: str = "system") -> None:
    if ticket.followup_state not in ("scheduled", "sent"):
        raise Refused(f"ticket {ticket.id} has no follow-up to cancel", 409)
    ticket.followup_state = "cancelled"
    ticket.followup_due_at = None
    record_event(session, ticket, "followup_cancelled", now, actor=actor, reason=reason)


def followup_failed(session: Session, ticket: Ticket, error: str, now: datetime) -> None:
    """A follow-up just taken cannot be sent (its text is too long)."""
    if ticket.followup_state != "sent":
        raise Refused(f"ticket {ticket.id} has no follow-up going out", 409)
    ticket.followup_state = "failed"
    ticket.followup_due_at = None
    record_event(session, ticket, "followup_failed", now, error=error)


def followup_unanswered(session: Session, ticket_id: int, reason: str, now: datetime) -> Ticket | None:
    """The customer did not answer the follow-up in time: it is
    unconfirmed and the ticket closes. A compare-and-set, so once only
    (None when another worker did it)."""
    ticket = _compare_and_set_followup(session, ticket_id, "sent", now, followup_state="unconfirmed",
                                       followup_due_at=None)
    if ticket is None:
        return None
    if ticket.status == "resolved":
        _close(ticket, now)
    record_event(session, ticket, "followup_unconfirmed", now, reason=reason)
    return ticket


# Response-time targets.

def announce_at_risk(session: Session, ticket: Ticket, running: RunningTarget, now: datetime) -> int:
    """The running target is near its due time; announced once per due
    time. Returns the minutes left."""
    if ticket.at_risk_announced_for == running.due_at:
        raise Refused(f"ticket {ticket.id} was announced at risk already", 409)
    ticket.at_risk_announced_for = running.due_at
    minutes = max(0, round((running.due_at - now).total_seconds() / 60))
    record_event(session, ticket, "at_risk", now, target=running.name, due_at=running.due_at.isoformat(),
                 minutes_left=minutes)
    return minutes


def announce_breach(session: Session, ticket: Ticket, target: str, due_at: datetime, now: datetime) -> int:
    """The target ('first_response', 'next_response' or 'resolution') was
    missed; announced once per due time. Returns the minutes over."""
    if target == "resolution":
        if ticket.resolution_breached:
            raise Refused(f"ticket {ticket.id}'s resolution breach was announced already", 409)
        ticket.resolution_breached = True
    else:
        if ticket.breach_announced_for == due_at:
            raise Refused(f"ticket {ticket.id}'s breach was announced already", 409)
        if target == "first_response":
            ticket.first_response_breached = True
        else:
            ticket.next_response_breached = True
        ticket.breach_announced_for = due_at
    minutes_over = max(0, round((now - due_at).total_seconds() / 60))
    record_event(session, ticket, "breached", now, target=target, due_at=due_at.isoformat(),
                 minutes_over=minutes_over)
    return minutes_over


def escalate(session: Session, ticket: Ticket, levels: tuple[str, ...], now: datetime) -> bool:
    """One level up the escalation `levels`; False at the top already."""
    if ticket.escalation_level >= len(levels):
        return False
    ticket.escalation_level += 1
    record_event(session, ticket, "escalated", now, level=ticket.escalation_level,
                 to=levels[ticket.escalation_level - 1])
    return True


# The state changes the transitions above share.

def _require_open(ticket: Ticket, hint: str = "") -> None:
    if not ticket.is_open:
        raise Refused(f"ticket {ticket.id} is {ticket.status}{hint}", 409)


def _require_unticketed(mention: Mention) -> None:
    if mention.ticket is not None:
        raise Refused(f"the post is already on ticket {mention.ticket.id}", 409, ticket_id=mention.ticket.id)


def _raise(session: Session, mention: Mention, team: str, priority: str, sla: SlaClock, actor: str,
           now: datetime) -> Ticket:
    return _new_ticket(session, mention, team, priority, sla, actor, now, add=True)


def _new_ticket(session: Session, mention: Mention, team: str, priority: str, sla: SlaClock, actor: str,
                now: datetime, add: bool = False, asked_at: datetime | None = None) -> Ticket | NewTicket:
    """The post's new ticket with its "raised" event; added to the session
    when `add`, else made in memory only (a NewTicket), whose posts are the
    caller's to keep. Its clock starts at `asked_at` (default: now)."""
    _require_unticketed(mention)
    customer = mention.identity.customer
    started = asked_at or now
    values = dict(customer=customer, platform=mention.platform, status="new", priority=priority,
                  topic=mention.topic, team=team, escalation_level=0, created_at=started, updated_at=now)
    ticket = Ticket(**values) if add else NewTicket(assignee=None, incident=None, **values)
    sla.start(ticket, started, customer.tier or "standard")
    if add:
        session.add(ticket)
    mention.ticket = ticket
    record_event(session, ticket, "raised", now, actor=actor, mention=mention, priority=priority,
                 urgency=mention.urgency, sentiment=mention.sentiment, reasons=list(mention.reasons),
                 sla_policy=ticket.sla_policy, first_response_due_at=ticket.first_response_due_at.isoformat())
    return ticket


def _topic_follows_posts(session: Session, ticket: Ticket, now: datetime,
                         posts: list[Mention] | None = None) -> None:
    """The ticket takes the topic of its most severe post still waiting for
    an answer (by priority, then urgency; of equals, the earlier), unless a
    person set the topic: then it stays as they set it. `posts`: the
    ticket's posts, when not ticket.mentions."""
    if any(e.kind == "topic_changed" and e.actor != "system" for e in ticket.events):
        return
    if posts is None:
        if any(post.id is None for post in ticket.mentions):
            session.flush()  # the posts just added need their ids
        posts = ticket.mentions
    waiting = [post for post in waiting_for_answer(posts, ticket.replies,
                                                   [e for e in ticket.events if e.kind in ANSWER_EVENTS])
               if post.topic]
    if not waiting:
        return
    post = min(waiting, key=lambda p: (_severity(p.priority), -(p.urgency or 0.0)))
    if post.topic == ticket.topic:
        return
    before = ticket.topic
    ticket.topic = post.topic
    ticket.updated_at = now
    record_event(session, ticket, "topic_changed", now, mention=post, before=before, after=post.topic,
                 reason="the topic of the most severe post waiting for an answer")


def _severity(priority: str | None) -> int:
    return PRIORITIES.index(priority) if priority in PRIORITIES else len(PRIORITIES)


def _set_assignee(ticket: Ticket, agent: Agent | None, reason: str, now: datetime) -> None:
    ticket.assignee = agent
    ticket.assignee_id = agent.id if agent else None
    ticket.assignment_reason = reason
    if agent is not None:
        agent.last_assigned_at = now
    ticket.updated_at = now


def _answered(ticket: Ticket, now: datetime) -> None:
    SlaClock.answered(ticket, now)
    if ticket.status == "new":
        ticket.status = "open"
    ticket.updated_at = now


def _clock_start(ticket: Ticket, asked_at: datetime | None, now: datetime) -> datetime:
    """When a later post of the customer's starts our next answer's clock:
    when they asked (a post fetched late has waited since), but never
    before the ticket last changed (our last answer, a pause, a
    resolution: a target does not start before the one before it ended),
    nor after now. A change made now is the page being taken (a ticket it
    raised, an earlier post of it reopening it): what bounds then is when
    the clock that post started runs from (sla_started_at)."""
    if asked_at is None:
        return now
    before_now = [moment for moment in (ticket.updated_at, ticket.paused_at, ticket.resolved_at)
                  if moment is not None and moment < now]
    changed = max(moment for moment in (ticket.created_at, ticket.sla_started_at, *before_now) if moment is not None)
    return min(now, max(asked_at, changed))


def _clock_runs_again(ticket: Ticket, sla: SlaClock, tier: str, now: datetime, since: datetime) -> None:
    """The customer wrote: a paused clock resumes, and our next answer is
    due, from `since` (_clock_start)."""
    sla.customer_wrote(ticket, since, tier)
    if ticket.status == "pending":
        ticket.status = "open"
    ticket.updated_at = now


def _resolve(ticket: Ticket, now: datetime) -> None:
    if not ticket.is_open:
        raise Refused(f"ticket {ticket.id} is already {ticket.status}", 409)
    ticket.status = "resolved"
    ticket.resolved_at = now
    ticket.next_response_due_at = None
    ticket.paused_at = None
    ticket.resolution_breached = ticket.resolution_due_at is not None and now > ticket.resolution_due_at
    ticket.updated_at = now


def _close(ticket: Ticket, now: datetime) -> None:
    if ticket.status != "resolved":
        raise Refused(f"ticket {ticket.id} is {ticket.status}; only a resolved ticket can be closed", 409)
    ticket.status = "closed"
    ticket.updated_at = now


def _reopen(ticket: Ticket, now: datetime) -> None:
    if ticket.is_open:
        raise Refused(f"ticket {ticket.id} is already {ticket.status}", 409)
    ticket.status = "open"
    ticket.resolved_at = None
    ticket.paused_at = None
    ticket.updated_at = now


def _compare_and_set_followup(session: Session, ticket_id: int, state: str, now: datetime,
                              **values) -> Ticket | None:
    won = session.execute(
        update(Ticket).where(Ticket.id == ticket_id, Ticket.followup_state == state, Ticket.followup_due_at <= now)
        .values(**values).execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        return None
    ticket = session.get(Ticket, ticket_id)
    session.refresh(ticket)
    return ticket


def _posts(count: int) -> str:
    return "1 post" if count == 1 else f"{count} posts"


def _actor(agent: Agent | None) -> str:
    return agent.email if agent else "system"
