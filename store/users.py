"""Admins' changes to the people who use closeloop: inviting them, their
role, team, load and skills, and switching their accounts off and on.
Every change is audited (never a password); a refusal changes nothing."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.platforms import PLATFORMS
from store.accounts import EMAIL_LENGTH, create_agent
from store.audit import record_audit
from store.errors import Refused
from store.models import ROLES, Agent, AuditEntry

MAX_CAPACITY = 200
NAME_LENGTH = 200
EDITABLE = ("role", "team", "capacity", "platforms", "languages", "active")
LANGUAGE_CODE = re.compile(r"[a-z]{2}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class Invitation:
    agent: Agent
    password: str  # for the inviting admin to pass on; stored only as a hash


def all_users(session: Session) -> list[Agent]:
    """Active people first, then by name."""
    return list(session.scalars(select(Agent).order_by(Agent.active.desc(), func.lower(Agent.name), Agent.id)))


def last_sign_ins(session: Session, agents: list[Agent]) -> dict[str, datetime]:
    """When each of the agents last signed in, by email, from the audit log."""
    emails = [agent.email for agent in agents]
    if not emails:
        return {}
    rows = session.execute(select(AuditEntry.actor, func.max(AuditEntry.at))
                           .where(AuditEntry.action == "signed_in", AuditEntry.actor.in_(emails))
                           .group_by(AuditEntry.actor))
    return {email: at for email, at in rows}


def invite_user(session: Session, *, name: Any, email: Any, role: Any, team: Any, capacity: Any,
                teams: Collection[str], by: Agent, now: datetime) -> Invitation:
    """A new account with a random one-time password."""
    name, email = _name(name), _new_email(session, email)
    role, team, capacity = _role(role), _team(team, teams), _capacity(capacity)
    password = secrets.token_urlsafe(12)
    agent = create_agent(session, name=name, email=email, password=password, role=role, team=team,
                         capacity=capacity, now=now)
    record_audit(session, by.email, "user_invited", agent.email, now=now, name=name, role=role, team=team,
                 capacity=capacity)
    return Invitation(agent, password)


def update_user(session: Session, agent: Agent, changes: dict[str, Any], *, teams: Collection[str], by: Agent,
                now: datetime) -> dict[str, list[Any]]:
    """Check every change, then apply them all; the answer holds what
    changed as {field: [old, new]}. A deactivated agent goes offline."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise Refused(f"{', '.join(unknown)} cannot be changed here; these can: {', '.join(EDITABLE)}")
    wanted = {field: _checked(field, value, agent, teams) for field, value in changes.items()}
    changed = {field: [getattr(agent, field), value] for field, value in wanted.items()
               if getattr(agent, field) != value}
    _keep_an_admin(session, agent, changed, by)
    for field, (_, value) in changed.items():
        setattr(agent, field, value)
    if "active" in changed:
        if not agent.active:
            agent.presence = "offline"
        record_audit(session, by.email, "user_deactivated" if not agent.active else "user_reactivated",
                     agent.email, now=now)
    details = {field: change for field, change in changed.items() if field != "active"}
    if details:
        record_audit(session, by.email, "user_updated", agent.email, now=now, changes=details)
    return changed


def _checked(field: str, value: Any, agent: Agent, teams: Collection[str]) -> Any:
    if field == "team":
        return agent.team if value == agent.team else _team(value, teams)
    if field == "active":
        if not isinstance(value, bool):
            raise Refused("active must be true or false")
        return value
    return {"role": _role, "capacity": _capacity, "platforms": _platforms, "languages": _languages}[field](value)


def _keep_an_admin(session: Session, agent: Agent, changed: dict[str, list[Any]], by: Agent) -> None:
    """An admin may not lock themselves out, and some active admin must remain."""
    if agent.id == by.id and changed.get("active") == [True, False]:
        raise Refused("you cannot deactivate your own account; another admin can", 409)
    if agent.id == by.id and "role" in changed:
        raise Refused("you cannot change your own role; another admin can", 409)
    after = {field: new for field, (_, new) in changed.items()}
    stays_admin = after.get("role", agent.role) == "admin" and after.get("active", agent.active)
    if agent.role != "admin" or not agent.active or stays_admin:
        return
    # All of them locked on PostgreSQL, in one order, so that two admins
    # removing each other at once cannot both succeed.
    admins = session.scalars(select(Agent.id).where(Agent.role == "admin", Agent.active.is_(True))
                             .order_by(Agent.id).with_for_update()).all()
    if not set(admins) - {agent.id}:
        raise Refused(f"{agent.email} is the last active admin; make someone else an admin first", 409)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refused("a name is needed")
    if len(value.strip()) > NAME_LENGTH:
        raise Refused(f"the name is longer than {NAME_LENGTH} characters")
    return value.strip()


def _new_email(session: Session, value: Any) -> str:
    """The email in lower case, when it looks like one and nobody has it, whatever its case."""
    email = value.strip().lower() if isinstance(value, str) else ""
    if not EMAIL.fullmatch(email) or len(email) > EMAIL_LENGTH:
        raise Refused(f"{value!r} is not an email address")
    if session.scalar(select(Agent.id).where(func.lower(Agent.email) == email)) is not None:
        raise Refused(f"someone already has the email {email}", 409)
    return email


def _role(value: Any) -> str:
    if value not in ROLES:
        raise Refused(f"role {value!r} is not one of {', '.join(ROLES)}")
    return value


def _team(value: Any, teams: Collection[str]) -> str:
    if not isinstance(value, str) or value not in teams:
        raise Refused(f"team {value!r} is not one of the configured teams: {', '.join(teams)}")
    return value


def _capacity(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CAPACITY:
        raise Refused(f"capacity must be a whole number from 0 to {MAX_CAPACITY}, not {value!r}")
    return value


def _platforms(value: Any) -> list[str]:
    """A subset of the platforms, in their usual order; empty means all."""
    if not isinstance(value, list) or not all(p in PLATFORMS for p in value):
        raise Refused(f"platforms must be a list of {', '.join(PLATFORMS)} (empty for all), not {value!r}")
    return [p for p in PLATFORMS if p in value]


def _languages(value: Any) -> list[str]:
    """Two-letter codes, lower case, each once."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise Refused(f"languages must be a list of two-letter codes such as en, not {value!r}")
    codes = [code.strip().lower() for code in value]
    wrong = [code for code in codes if not LANGUAGE_CODE.fullmatch(code)]
    if wrong:
        raise Refused(f"{', '.join(repr(c) for c in wrong)} is not a two-letter language code such as en")
    return list(dict.fromkeys(codes))
