"""Assign tickets to agents: a snapshot of who can take work and the
choice, which store.tickets records with why."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, bindparam, cast, func, select
from sqlalchemy.orm import Session

from config.settings import RoutingSettings
from listener.keywords import HARM, SENSITIVE, class_in, harm_in
from listener.routing import Candidate, Choice, choose_agent
from store import tickets
from store.among import among_bound
from store.errors import Refused
from store.models import OPEN_STATUSES, PRESENCES, Agent, Mention, Ticket


# Each active agent with their open tickets, counted on the index of open
# tickets by assignee (the statuses written out, so that SQLite sees the
# index serves them; grouping every open ticket took three times as long);
# the active agents' rows locked, in the order of their ids. Built once:
# building them took longer than running them.
_OPEN_TICKETS = (select(func.count())
                 .where(Ticket.assignee_id == Agent.id,
                        Ticket.status.in_(bindparam("open", OPEN_STATUSES, expanding=True, literal_execute=True)))
                 .scalar_subquery())
ACTIVE_AGENTS = select(Agent, _OPEN_TICKETS).where(Agent.active.is_(True))
LOCK_ACTIVE_AGENTS = select(Agent.id).where(Agent.active.is_(True)).order_by(Agent.id).with_for_update()
# What a customer's history reads of a ticket (histories_of), and the
# tickets of some customers since a time, with or without one.
HISTORY_FIELDS = (Ticket.customer_id, Ticket.assignee_id, Ticket.created_at,
                  Ticket.first_response_breached | Ticket.next_response_breached | Ticket.resolution_breached)
_HISTORIES = (select(*HISTORY_FIELDS)
              .where(among_bound(Ticket.customer_id, "customers"), Ticket.created_at >= bindparam("since"))
              .order_by(Ticket.created_at, Ticket.id))
HISTORIES = {False: _HISTORIES, True: _HISTORIES.where(Ticket.id != bindparam("excluding"))}


def candidates(session: Session) -> list[Candidate]:
    return [candidate for _agent, candidate in _active_agents(session)]


def _active_agents(session: Session) -> list[tuple[Agent, Candidate]]:
    """Each active agent with what routing needs to know of them."""
    rows = session.execute(ACTIVE_AGENTS)
    return [
        (agent, Candidate(id=agent.id, role=agent.role, online=agent.presence == "online",
                          open_tickets=count, capacity=agent.capacity, last_assigned_at=agent.last_assigned_at,
                          platforms=tuple(agent.platforms or ()), team=agent.team))
        for agent, count in rows
    ]


@dataclass(frozen=True)
class History:
    """What a customer's recent tickets say about their next one."""

    previous_agent: int | None = None
    recent_complaints: int = 0
    recent_breach: bool = False


# A customer with no recent tickets (a History, which never changes, shared).
NO_HISTORY = History()


def customer_histories(session: Session, customer_ids: list[int], now: datetime,
                       settings: RoutingSettings, excluding: int | None = None) -> dict[int, History]:
    """Each customer's history, read in one query for a batch; `excluding`
    leaves out the ticket being routed."""
    return histories_of(session.execute(HISTORIES[excluding is not None], {
        "customers": list(customer_ids), "since": now - looked_back(settings), "excluding": excluding}), now, settings)


def looked_back(settings: RoutingSettings) -> timedelta:
    """How far back a customer's history goes."""
    return timedelta(days=max(settings.previous_agent_days, settings.repeat_complaint_days,
                              settings.recent_breach_days))


def histories_of(rows: Iterable[tuple], now: datetime, settings: RoutingSettings) -> dict[int, History]:
    """Each customer's history from their tickets' rows of HISTORY_FIELDS,
    oldest first; the tickets raised before it looks back are passed over."""
    since = now - looked_back(settings)
    histories: dict[int, History] = {}
    for customer_id, assignee_id, created_at, breached in rows:
        if created_at < since:
            continue
        age = now - created_at
        before = histories.get(customer_id, History())
        histories[customer_id] = History(
            previous_agent=(assignee_id if assignee_id is not None and age <= timedelta(days=settings.previous_agent_days)
                            else before.previous_agent),
            recent_complaints=before.recent_complaints + (age <= timedelta(days=settings.repeat_complaint_days)),
            recent_breach=before.recent_breach or (bool(breached) and age <= timedelta(days=settings.recent_breach_days)),
        )
    return histories


def senior_reason(ticket: Ticket, tier: str, history: History, settings: RoutingSettings,
                  reasons: Sequence[str] = ()) -> str | None:
    """Why this ticket needs a senior agent, if it does: first a harm its
    post reports (`reasons`: the post's scoring reasons), then its priority,
    a customer the post shows needs particular care, their tier and
    history."""
    post_reason = _senior_reason_of_post(ticket, settings, reasons)
    if post_reason is not None:
        return post_reason
    if tier in settings.senior_tiers:
        return tier
    if history.recent_breach:
        return "recent breach"
    if history.recent_complaints and settings.repeat_complaint_days:
        return "repeat complaint"
    return None


def _senior_reason_of_post(ticket: Ticket, settings: RoutingSettings, reasons: Sequence[str]) -> str | None:
    """Why the ticket's newest post calls for a senior: a harm it reports,
    the priority it gave the ticket, or a customer who needs particular care."""
    harm = harm_in(reasons)
    if harm is not None:
        return f"harm ({_in_words(harm)})"
    if ticket.priority in settings.senior_priorities:
        return ticket.priority
    sensitive = class_in(reasons, SENSITIVE)
    return None if sensitive is None else f"sensitive ({_in_words(sensitive)})"


def _in_words(keyword_class: str) -> str:
    """A keyword class as agents read it: "account takeover", not its
    config key "account_takeover"."""
    return keyword_class.replace("_", " ")


class Roster:
    """Who can take work, kept current while one transaction assigns many
    tickets, so the agents are read once per batch rather than per ticket.
    On PostgreSQL the agents' rows stay locked until the transaction ends."""

    def __init__(self, session: Session):
        if session.get_bind().dialect.name == "postgresql":
            # Assigners in other transactions wait here until this one
            # commits, so two of them never fill the same last slot.
            session.execute(LOCK_ACTIVE_AGENTS)
        active = _active_agents(session)
        self.agents = {agent.id: agent for agent, _candidate in active}
        self.candidates = {candidate.id: candidate for _agent, candidate in active}

    def anyone_free(self) -> bool:
        return any(c.online and c.open_tickets < c.capacity for c in self.candidates.values())

    def choose(self, ticket: Ticket, history: History, senior: str | None, past_capacity: bool = False) -> Choice:
        """Among the agents of the ticket's team."""
        team = [c for c in self.candidates.values() if c.team == ticket.team]
        return choose_agent(ticket.platform, team, previous_agent_id=history.previous_agent, senior_reason=senior,
                            past_capacity=past_capacity)

    def took(self, agent_id: int, now: datetime) -> None:
        c = self.candidates[agent_id]
        self.candidates[agent_id] = Candidate(
            id=c.id, role=c.role, online=c.online, open_tickets=c.open_tickets + 1, capacity=c.capacity,
            last_assigned_at=now, platforms=c.platforms, team=c.team)


def route(session: Session, ticket: Ticket, settings: RoutingSettings, now: datetime, *,
          roster: Roster | None = None, history: History | None = None, record_queued: bool = True,
          reasons: Sequence[str] = ()) -> Agent | None:
    """Assign the ticket if someone can take it, and record why. `reasons`:
    its post's scoring reasons; a harm among them goes to a senior past
    capacity."""
    roster = roster or Roster(session)
    if history is None:
        history = customer_histories(session, [ticket.customer_id], now, settings,
                                     excluding=ticket.id).get(ticket.customer_id, History())
    senior = senior_reason(ticket, ticket.customer.tier or "standard", history, settings, reasons)
    choice = roster.choose(ticket, history, senior, past_capacity=harm_in(reasons) is not None)
    if choice.agent_id is None:
        if record_queued:
            tickets.leave_queued(session, ticket, choice.reason, now)
        return None
    agent = roster.agents[choice.agent_id]
    tickets.assign(session, ticket, agent, choice.reason, now)
    roster.took(agent.id, now)
    return agent


def give_to_a_senior(session: Session, ticket: Ticket, settings: RoutingSettings, now: datetime,
                     roster_of: Callable[[], Roster], reasons: Sequence[str] = ()) -> Agent | None:
    """A ticket a later post raised to a priority that needs a senior, or
    whose later post (`reasons`: its scoring reasons) reports a harm or a
    customer who needs particular care, goes to a senior of its team who
    can take it (for a harm, past capacity); it stays where it is when its
    agent is a senior already or no senior is free. The roster, which locks
    the agents on PostgreSQL, is asked for only then."""
    why = _senior_reason_of_post(ticket, settings, reasons) if ticket.is_open else None
    if why is None:
        return None
    roster = roster_of()
    assignee = roster.candidates.get(ticket.assignee_id)
    if assignee is not None and assignee.is_senior:
        return None
    seniors = [c for c in roster.candidates.values() if c.is_senior and c.team == ticket.team]
    choice = choose_agent(ticket.platform, seniors, previous_agent_id=None, senior_reason=why,
                          past_capacity=harm_in(reasons) is not None)
    if choice.agent_id is None:
        return None
    agent = roster.agents[choice.agent_id]
    tickets.assign(session, ticket, agent, choice.reason, now)
    roster.took(agent.id, now)
    return agent


def route_waiting_tickets(session: Session, settings: RoutingSettings, now: datetime) -> int:
    """Give queued tickets, soonest due first, to agents who can now take them."""
    roster = Roster(session)
    if not roster.anyone_free():
        return 0
    waiting = session.scalars(
        select(Ticket)
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_(None))
        .order_by(Ticket.first_response_due_at, Ticket.id)
    ).all()
    routed_by = reasons_routed_by(session, [ticket.id for ticket in waiting])
    assigned = 0
    for ticket in waiting:
        if route(session, ticket, settings, now, roster=roster, record_queued=False,
                 reasons=routed_by.get(ticket.id, ())) is not None:
            assigned += 1
            if not roster.anyone_free():
                break
    return assigned


def reasons_routed_by(session: Session, ticket_ids: list[int]) -> dict[int, list[str]]:
    """The scoring reasons of these tickets' posts that routing reads: the
    harms and the customers who need particular care they report."""
    if not ticket_ids:
        return {}
    text = cast(Mention.reasons, String)
    rows = session.execute(select(Mention.ticket_id, Mention.reasons)
                           .where(among_bound(Mention.ticket_id, "tickets"),
                                  text.like(f'%"{HARM}:%') | text.like(f'%"{SENSITIVE}:%'))
                           .order_by(Mention.id), {"tickets": ticket_ids})
    routed_by: dict[int, list[str]] = defaultdict(list)
    for ticket_id, reasons in rows:
        routed_by[ticket_id] += [r for r in reasons or () if r.startswith((f"{HARM}:", f"{SENSITIVE}:"))]
    return routed_by


def hand_back(session: Session, agent: Agent, now: datetime, *, every_open: bool = False,
              of_teams: Collection[str] | None = None) -> list[Ticket]:
    """The agent went offline: their unanswered tickets go back to the queue
    (and on to whoever is free at the next routing round); with
    `every_open`, for an agent who will not come back, all their open ones;
    `of_teams` keeps to those teams' tickets."""
    waiting = (Ticket.status.in_(OPEN_STATUSES) if every_open else
               Ticket.status.in_(("new", "open"))
               & ((Ticket.first_response_at.is_(None)) | (Ticket.next_response_due_at.is_not(None))))
    if of_teams is not None:
        waiting = waiting & Ticket.team.in_(list(of_teams))
    unanswered = session.scalars(select(Ticket).where(Ticket.assignee_id == agent.id, waiting)).all()
    for ticket in unanswered:
        tickets.hand_back(session, ticket, agent, now)
    return list(unanswered)


def set_presence(session: Session, agent: Agent, presence: str, now: datetime, hands_back: bool) -> list[Ticket]:
    """Change an agent's presence; going offline may hand tickets back."""
    if presence not in PRESENCES:
        raise Refused(f"presence must be one of {', '.join(PRESENCES)}, not {presence!r}", 400)
    agent.presence = presence
    if presence == "offline" and hands_back:
        return hand_back(session, agent, now)
    return []
