"""Agents' passwords and API tokens."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from store.models import ROLES, Agent, ApiToken


class AccountError(ValueError):
    """An agent's details are not acceptable."""


def create_agent(session: Session, *, name: str, email: str, password: str, role: str, now: datetime,
                 team: str = "care", capacity: int = 10, presence: str = "offline",
                 platforms: list[str] | None = None) -> Agent:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not password:
        raise AccountError("the password must not be empty")
    if session.scalar(select(Agent.id).where(Agent.email == email)) is not None:
        raise AccountError(f"an agent with email {email} already exists")
    agent = Agent(name=name, email=email, password_hash=generate_password_hash(password), role=role,
                  team=team, capacity=capacity, presence=presence, platforms=platforms or [],
                  languages=[], created_at=now)
    session.add(agent)
    session.flush()
    return agent


def authenticate(session: Session, email: str, password: str) -> Agent | None:
    agent = session.scalar(select(Agent).where(Agent.email == email.strip().lower()))
    if agent is None or not agent.active or not check_password_hash(agent.password_hash, password):
        return None
    return agent


def issue_token(session: Session, agent: Agent, now: datetime) -> str:
    """A new API token for `agent`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(agent=agent, token_hash=_hash(token), created_at=now))
    return token


def agent_for_token(session: Session, token: str, now: datetime) -> Agent | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.agent.active:
        return None
    row.last_used_at = now
    return row.agent


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
