"""What a staffing would achieve: replay customer posts through the real
scorer, router and SLA clock with simulated agents, in simulated time.

Each post that needs an answer raises its own ticket, due when the SLA clock
says. Agents work the team's business hours (around the clock when it has
none), one ticket at a time, soonest due first; the answer goes out when the
handling time is over, and the ticket is then resolved. A ticket nobody can
take waits in the team queue, which is served soonest due first as soon as
an agent has room."""

from __future__ import annotations

import bisect
import csv
import heapq
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from config.platforms import PLATFORMS
from config.settings import PRIORITIES, Settings
from listener.assignment import History, senior_reason
from listener.routing import Candidate, choose_agent
from listener.scoring import Scorer
from listener.sentiment_model import trained_model_path
from store.models import Ticket
from store.sla import SlaClock

POLICIES = ("routing", "round_robin")
HANDLE_DISTRIBUTIONS = ("fixed", "exponential")
DEFAULT_PLATFORM = "x"
REQUIRED_FIELDS = ("created_at", "text")


class ArrivalsError(ValueError):
    """The arrivals file cannot be used; the message names the line and the problem."""


@dataclass(frozen=True)
class Arrival:
    line: int
    created_at: datetime
    text: str
    platform: str = DEFAULT_PLATFORM
    followers: int = 0
    rating: int | None = None
    customer: str | None = None
    tier: str = "standard"


def read_arrivals(path: Path) -> list[Arrival]:
    """The posts in a CSV file (with a header row) or a JSON Lines file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        records = _csv_records(path)
    elif suffix in (".jsonl", ".ndjson"):
        records = _jsonl_records(path)
    else:
        raise ArrivalsError(f"{path.name}: unknown format {suffix or '(no extension)'!r}; "
                            "name the file .csv or .jsonl")
    try:
        arrivals = [_arrival(line, record) for line, record in records]
    except ArrivalsError as error:
        raise ArrivalsError(f"{path.name}, {error}") from None
    except UnicodeDecodeError:
        raise ArrivalsError(f"{path.name}: not UTF-8 text") from None
    except csv.Error as error:
        raise ArrivalsError(f"{path.name}: not readable as CSV: {error}") from None
    if not arrivals:
        raise ArrivalsError(f"{path.name}: no arrivals in the file")
    return arrivals


def _csv_records(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        for name in REQUIRED_FIELDS:
            if name not in columns:
                raise ArrivalsError(f"line 1: missing column {name!r}; the columns are: {', '.join(columns) or 'none'}")
        line = reader.line_num + 1
        for row in reader:
            if None in row:
                raise ArrivalsError(f"line {line}: more values than the header has columns")
            if None in row.values():
                raise ArrivalsError(f"line {line}: fewer values than the header has columns")
            yield line, row
            line = reader.line_num + 1


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as f:
        for line, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                raise ArrivalsError(f"line {line}: not valid JSON: {error.msg}") from None
            if not isinstance(record, dict):
                raise ArrivalsError(f"line {line}: not a JSON object")
            for name in REQUIRED_FIELDS:
                if name not in record:
                    raise ArrivalsError(f"line {line}: missing field {name!r}")
            yield line, record


def _arrival(line: int, record: dict) -> Arrival:
    def problem(message: str) -> ArrivalsError:
        return ArrivalsError(f"line {line}: {message}")

    text = record["text"]
    if not isinstance(text, str):
        raise problem(f"text {text!r} is not a string")
    platform = _optional(record, "platform") or DEFAULT_PLATFORM
    if platform not in PLATFORMS:
        raise problem(f"platform {platform!r} is unknown; allowed: {', '.join(PLATFORMS)}")
    try:
        followers = _whole_number(record, "followers", 0, None)
        rating = _whole_number(record, "rating", 1, 5)
    except ValueError as error:
        raise problem(str(error)) from None
    customer = _optional(record, "customer")
    return Arrival(line=line, created_at=_moment(line, record["created_at"]), text=text, platform=platform,
                   followers=followers or 0, rating=rating, customer=None if customer is None else str(customer),
                   tier=str(_optional(record, "tier") or "standard"))


def _moment(line: int, value: object) -> datetime:
    example = "such as 2026-03-06T18:30:00Z or 2026-03-06T19:30:00+01:00"
    try:
        moment = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ArrivalsError(f"line {line}: created_at {value!r} is not an ISO 8601 date and time {example}")
    if moment.utcoffset() is None:
        raise ArrivalsError(f"line {line}: created_at {value!r} has no time zone; give one, {example}")
    return moment


def _optional(record: dict, name: str) -> object:
    """A field's value; an empty CSV cell or a JSON null counts as absent."""
    value = record.get(name)
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _whole_number(record: dict, name: str, lowest: int, highest: int | None) -> int | None:
    value = _optional(record, name)
    if value is None:
        return None
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    allowed = f"a whole number from {lowest}" + (f" to {highest}" if highest is not None else " up")
    if number is None or number < lowest or (highest is not None and number > highest):
        raise ValueError(f"{name} {value!r} is not {allowed}")
    return number


@dataclass(frozen=True)
class Staffing:
    agents: int
    seniors: int
    capacity: int = 5
    handle_minutes: float = 6.0
    handle_distribution: str = "fixed"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.handle_distribution not in HANDLE_DISTRIBUTIONS:
            raise ValueError(f"handle_distribution {self.handle_distribution!r} is unknown; "
                             f"allowed: {', '.join(HANDLE_DISTRIBUTIONS)}")

    def handle_times(self, count: int) -> list[timedelta]:
        """One handling time per ticket, the same for every policy so that
        they are compared on the same work."""
        if self.handle_distribution == "fixed":
            return [timedelta(minutes=self.handle_minutes)] * count
        draw = random.Random(self.seed).expovariate
        return [timedelta(minutes=draw(1 / self.handle_minutes)) for _ in range(count)]


@dataclass(frozen=True)
class NewTicket:
    """A post that needs an answer, scored and timed as the listener would."""

    index: int
    arrival: Arrival
    record: Ticket

    @property
    def created_at(self) -> datetime:
        return self.arrival.created_at

    @property
    def due_at(self) -> datetime:
        return self.record.first_response_due_at


@dataclass(frozen=True)
class Outcome:
    """What happened to one ticket under one policy."""

    line: int
    created_at: datetime
    priority: str
    platform: str
    customer: str | None
    due_at: datetime
    assigned_at: datetime
    agent_id: int
    senior: bool
    reason: str
    first_response_at: datetime

    @property
    def within_target(self) -> bool:
        return self.first_response_at <= self.due_at

    @property
    def first_response_minutes(self) -> float:
        return (self.first_response_at - self.created_at) / timedelta(minutes=1)

    @property
    def queue_wait_minutes(self) -> float:
        return (self.assigned_at - self.created_at) / timedelta(minutes=1)


@dataclass(frozen=True)
class Simulation:
    arrivals: int
    outcomes: dict[str, list[Outcome]]

    @property
    def tickets(self) -> int:
        return len(next(iter(self.outcomes.values()), []))


def simulate(arrivals: list[Arrival], staffing: Staffing, settings: Settings) -> Simulation:
    """Each policy's outcomes, on the same tickets with the same handling times."""
    tickets = raise_tickets(arrivals, settings)
    handle = staffing.handle_times(len(tickets))
    return Simulation(len(arrivals), {policy: _Run(policy, tickets, handle, staffing, settings).outcomes()
                                      for policy in POLICIES})


def raise_tickets(arrivals: list[Arrival], settings: Settings) -> list[NewTicket]:
    """The arrivals that need an answer, in time order, with their priority
    and due time."""
    scorer = Scorer(settings.scoring, model_path=trained_model_path(settings))
    sla = SlaClock(settings)
    team = next(iter(settings.teams))
    scores = {}
    tickets = []
    for arrival in sorted(arrivals, key=lambda a: (a.created_at, a.line)):
        key = (arrival.text, arrival.followers, arrival.rating)
        if key not in scores:
            scores[key] = scorer.score(arrival.text, followers=arrival.followers, rating=arrival.rating)
        score = scores[key]
        if not score.needs_response:
            continue
        record = Ticket(platform=arrival.platform, priority=score.priority, team=team, status="new",
                        created_at=arrival.created_at, updated_at=arrival.created_at)
        sla.start(record, arrival.created_at, arrival.tier)
        tickets.append(NewTicket(len(tickets), arrival, record))
    return tickets


@dataclass
class _Agent:
    id: int
    senior: bool
    open: list[int] = field(default_factory=list)
    busy: bool = False
    last_assigned_at: datetime | None = None


@dataclass(frozen=True)
class _Assignment:
    at: datetime
    agent: _Agent
    reason: str


# At the same moment an answer frees room before a new post is routed.
_ANSWERED, _OPENS, _ARRIVED = 0, 1, 2


class _Run:
    """One policy's replay: events in time order, nothing sleeps."""

    def __init__(self, policy: str, tickets: list[NewTicket], handle: list[timedelta], staffing: Staffing,
                 settings: Settings):
        self.policy = policy
        self.tickets = tickets
        self.handle = handle
        self.capacity = staffing.capacity
        self.routing = settings.routing
        self.sla = SlaClock(settings)
        self.team = next(iter(settings.teams))
        self.agents = [_Agent(id=n, senior=n <= staffing.seniors) for n in range(1, staffing.agents + 1)]
        self.turn = 0
        self.queue: list[tuple[datetime, int]] = []
        self.events: list[tuple[datetime, int, int, int]] = []
        self.assigned: list[_Assignment | None] = [None] * len(tickets)
        self.answered_at: list[datetime | None] = [None] * len(tickets)
        self.earlier: dict[str, list[int]] = {}

    def outcomes(self) -> list[Outcome]:
        for ticket in self.tickets:
            heapq.heappush(self.events, (ticket.created_at, _ARRIVED, ticket.index, 0))
        while self.events:
            now, kind, index, agent_id = heapq.heappop(self.events)
            if kind == _ARRIVED:
                self._arrived(self.tickets[index], now)
            elif kind == _ANSWERED:
                self._answered(self.agents[agent_id - 1], index, now)
            else:
                agent = self.agents[agent_id - 1]
                agent.busy = False
                self._work(agent, now)
        return [self._outcome(ticket) for ticket in self.tickets]

    def _arrived(self, ticket: NewTicket, now: datetime) -> None:
        if not self._assign(ticket, now):
            heapq.heappush(self.queue, (ticket.due_at, ticket.index))
        if ticket.arrival.customer is not None:
            self.earlier.setdefault(ticket.arrival.customer, []).append(ticket.index)

    def _answered(self, agent: _Agent, index: int, now: datetime) -> None:
        self.answered_at[index] = now
        agent.open.remove(index)
        agent.busy = False
        while self.queue and self._assign(self.tickets[self.queue[0][1]], now):
            heapq.heappop(self.queue)
        self._work(agent, now)

    def _assign(self, ticket: NewTicket, now: datetime) -> bool:
        agent, reason = self._choose(ticket, now)
        if agent is None:
            return False
        agent.open.append(ticket.index)
        agent.last_assigned_at = now
        self.assigned[ticket.index] = _Assignment(now, agent, reason)
        self._work(agent, now)
        return True

    def _choose(self, ticket: NewTicket, now: datetime) -> tuple[_Agent | None, str]:
        if self.policy == "round_robin":
            return self._next_in_turn()
        history = self._history(ticket, now)
        candidates = [Candidate(id=a.id, role="senior" if a.senior else "agent", online=True,
                                open_tickets=len(a.open), capacity=self.capacity, last_assigned_at=a.last_assigned_at)
                      for a in self.agents]
        choice = choose_agent(ticket.arrival.platform, candidates, previous_agent_id=history.previous_agent,
                              senior_reason=senior_reason(ticket.record, ticket.arrival.tier, history, self.routing))
        return (None if choice.agent_id is None else self.agents[choice.agent_id - 1]), choice.reason

    def _next_in_turn(self) -> tuple[_Agent | None, str]:
        count = len(self.agents)
        for step in range(count):
            agent = self.agents[(self.turn + step) % count]
            if len(agent.open) < self.capacity:
                self.turn = (self.turn + step + 1) % count
                return agent, "round robin"
        return None, "nobody with capacity: waiting in the team queue"

    def _history(self, ticket: NewTicket, now: datetime) -> History:
        """What the customer's earlier tickets say, as the listener would read
        it from the database at this moment."""
        customer = ticket.arrival.customer
        if customer is None:
            return History()
        settings = self.routing
        window = timedelta(days=max(settings.previous_agent_days, settings.repeat_complaint_days,
                                    settings.recent_breach_days))
        theirs = self.earlier.get(customer, [])
        previous_agent, complaint, breach = None, False, False
        for index in reversed(theirs[:bisect.bisect_left(theirs, ticket.index)]):
            earlier = self.tickets[index]
            age = now - earlier.created_at
            if age > window:
                break
            assignment = self.assigned[index]
            if previous_agent is None and assignment and age <= timedelta(days=settings.previous_agent_days):
                previous_agent = assignment.agent.id
            complaint = complaint or age <= timedelta(days=settings.repeat_complaint_days)
            answered_at = self.answered_at[index]
            breached = earlier.due_at < now and (answered_at is None or answered_at > earlier.due_at)
            breach = breach or (breached and age <= timedelta(days=settings.recent_breach_days))
        return History(previous_agent, complaint, breach)

    def _work(self, agent: _Agent, now: datetime) -> None:
        """An idle agent with tickets starts the soonest due one, or waits for
        the team's next opening."""
        if agent.busy or not agent.open:
            return
        agent.busy = True
        opens = self.sla.due(now, timedelta(0), self.team)
        if opens > now:
            heapq.heappush(self.events, (opens, _OPENS, 0, agent.id))
            return
        index = min(agent.open, key=lambda i: (self.tickets[i].due_at, i))
        done = self.sla.due(now, self.handle[index], self.team)
        heapq.heappush(self.events, (done, _ANSWERED, index, agent.id))

    def _outcome(self, ticket: NewTicket) -> Outcome:
        assignment = self.assigned[ticket.index]
        return Outcome(line=ticket.arrival.line, created_at=ticket.created_at, priority=ticket.record.priority,
                       platform=ticket.arrival.platform, customer=ticket.arrival.customer, due_at=ticket.due_at,
                       assigned_at=assignment.at, agent_id=assignment.agent.id, senior=assignment.agent.senior,
                       reason=assignment.reason, first_response_at=self.answered_at[ticket.index])


def summarize(outcomes: list[Outcome]) -> dict:
    """The figures a manager reads: share within target, first-response
    percentiles, breaches in all and per priority, and the longest wait in
    the queue. Shares and percentiles are None when there are no tickets."""
    count = len(outcomes)
    within = sum(o.within_target for o in outcomes)
    minutes = sorted(o.first_response_minutes for o in outcomes)
    return {
        "tickets": count,
        "within_target": round(within / count, 4) if count else None,
        "first_response_p50_min": _percentile(minutes, 0.5),
        "first_response_p90_min": _percentile(minutes, 0.9),
        "breaches": count - within,
        "tickets_by_priority": {p: sum(o.priority == p for o in outcomes) for p in PRIORITIES},
        "breaches_by_priority": {p: sum(o.priority == p and not o.within_target for o in outcomes)
                                 for p in PRIORITIES},
        "max_queue_wait_min": round(max((o.queue_wait_minutes for o in outcomes), default=0.0), 2),
    }


def _percentile(ordered: list[float], share: float) -> float | None:
    """Nearest rank: the smallest value that at least `share` of them do not exceed."""
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 2)
