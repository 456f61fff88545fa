"""Who gets a ticket, and why. A pure choice over a snapshot of the agents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

_NEVER = datetime.min.replace(tzinfo=timezone.utc)


SENIOR_ROLES = ("senior", "manager", "admin")


@dataclass(frozen=True)
class Candidate:
    id: int
    role: str
    online: bool
    open_tickets: int
    capacity: int
    last_assigned_at: datetime | None = None
    platforms: tuple[str, ...] = ()
    team: str | None = None

    @property
    def is_senior(self) -> bool:
        return self.role in SENIOR_ROLES

    def can_take(self, platform: str) -> bool:
        return self.open_tickets < self.capacity and self.may_take(platform)

    def may_take(self, platform: str) -> bool:
        """Online and working this platform, whatever their load."""
        return self.online and (not self.platforms or platform in self.platforms)


@dataclass(frozen=True)
class Choice:
    agent_id: int | None
    reason: str


def choose_agent(platform: str, candidates: list[Candidate], *, previous_agent_id: int | None,
                 senior_reason: str | None, past_capacity: bool = False) -> Choice:
    """The previous agent of this customer when they can take it (and are
    senior, when the ticket needs one); a senior when `senior_reason` says
    why one is needed, and with `past_capacity` (a harm) an online senior
    even when every one is full, as a harm must not wait for room; else the
    least loaded agent, the one idle longest on a tie, a senior only when no
    one else has room, so that seniors keep room for the tickets that need
    them; else nobody, and the ticket waits in the queue."""
    available = [c for c in candidates if c.can_take(platform)]
    previous = next((c for c in available if c.id == previous_agent_id), None)
    if previous is not None and (previous.is_senior or senior_reason is None):
        return Choice(previous.id, "previous agent")
    if senior_reason is not None:
        seniors = [c for c in available if c.is_senior]
        if seniors:
            return Choice(_least_loaded(seniors).id, f"senior: {senior_reason}")
        full = [c for c in candidates if c.is_senior and c.may_take(platform)] if past_capacity else []
        if full:
            return Choice(_least_loaded(full).id, f"senior past capacity: {senior_reason}")
        missing = _why_no_senior(candidates)
        if previous is not None:
            return Choice(previous.id, f"previous agent ({missing})")
        if available:
            return Choice(_least_loaded(available).id, f"least loaded ({missing})")
    elif available:
        others = [c for c in available if not c.is_senior]
        return Choice(_least_loaded(others or available).id, "least loaded")
    return Choice(None, "nobody online with capacity: waiting in the team queue")


def _why_no_senior(candidates: list[Candidate]) -> str:
    if any(c.is_senior and c.online for c in candidates):
        return "no senior free"
    return "no senior online"


def _least_loaded(candidates: list[Candidate]) -> Candidate:
    return min(candidates, key=lambda c: (c.open_tickets, c.last_assigned_at or _NEVER, c.id))
