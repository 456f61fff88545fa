"""Agents' passwords, sign-in throttling and API tokens."""

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from store.audit import record_audit
from store.errors import Refused
from store.models import ROLES, Agent, ApiToken, LoginFailure
from store.passwords import check_password

SIGN_IN_WINDOW = timedelta(minutes=15)
MAX_FAILED_SIGN_INS = 5
EMAIL_LENGTH = 320
SIGN_IN_LOCK_SPACE = 1


class SignInThrottled(Exception):
    """Too many failed sign-ins for one email: refused for `wait` more."""

    def __init__(self, wait: timedelta):
        self.retry_after_seconds = max(1, math.ceil(wait.total_seconds()))
        self.minutes = math.ceil(self.retry_after_seconds / 60)
        super().__init__(f"too many failed sign-ins; try again in {self.minutes} minute(s)")


def create_agent(session: Session, *, name: str, email: str, password: str, role: str, now: datetime,
                 team: str = "care", capacity: int = 10, presence: str = "offline",
                 platforms: list[str] | None = None) -> Agent:
    email = email.strip().lower()
    if "@" not in email:
        raise Refused(f"{email!r} is not an email address")
    if role not in ROLES:
        raise Refused(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not password:
        raise Refused("the password must not be empty")
    if session.scalar(select(Agent.id).where(Agent.email == email)) is not None:
        raise Refused(f"an agent with email {email} already exists", 409)
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


def sign_in(session: Session, email: str, password: str, now: datetime, **detail: Any) -> Agent | None:
    """The agent with this email and password, or None.

    After MAX_FAILED_SIGN_INS failures for one email within SIGN_IN_WINDOW,
    every attempt for it raises SignInThrottled, whatever the password, until
    the oldest of them leaves the window; refused attempts do not extend it.
    A success forgets the email's failures. Each outcome is audited with
    `detail` (never the password); the caller commits, refusals included.
    """
    email = email.strip().lower()[:EMAIL_LENGTH]
    _one_sign_in_at_a_time(session, email)
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - SIGN_IN_WINDOW))
    failures = session.scalars(select(LoginFailure.at).where(LoginFailure.email == email)
                               .order_by(LoginFailure.at)).all()
    if len(failures) >= MAX_FAILED_SIGN_INS:
        record_audit(session, email, "sign_in_throttled", now=now, **detail)
        raise SignInThrottled(failures[-MAX_FAILED_SIGN_INS] + SIGN_IN_WINDOW - now)
    agent = authenticate(session, email, password)
    if agent is None:
        session.add(LoginFailure(email=email, at=now))
        record_audit(session, email, "sign_in_failed", now=now, **detail)
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    record_audit(session, agent.email, "signed_in", now=now, **detail)
    return agent


def _one_sign_in_at_a_time(session: Session, email: str) -> None:
    """Attempts for one email wait for each other until the caller commits,
    so that each counts the failures before it. SQLite's transactions
    already run one at a time (BEGIN IMMEDIATE); PostgreSQL takes a lock
    on the email, in the two-key space apart from the workers' leases."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:email))"),
                        {"space": SIGN_IN_LOCK_SPACE, "email": email})


def change_password(session: Session, agent: Agent, current: str, new: str, now: datetime) -> None:
    """Refused, changing nothing, when the current password is wrong or the
    new one breaks the password policy."""
    if not check_password_hash(agent.password_hash, current or ""):
        raise Refused("the current password is not right")
    check_password(new, agent.email)
    agent.password_hash = generate_password_hash(new)
    record_audit(session, agent.email, "password_changed", now=now)


def issue_token(session: Session, agent: Agent, now: datetime, lifetime: timedelta) -> str:
    """A new API token for `agent`, working for `lifetime`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(agent=agent, token_hash=_hash(token), created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    record_audit(session, agent.email, "token_issued", f"token {row.id}", now=now)
    return token


def agent_for_token(session: Session, token: str, now: datetime) -> Agent | None:
    row = session.scalar(select(ApiToken).options(joinedload(ApiToken.agent, innerjoin=True))
                         .where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None),
                                ApiToken.expires_at > now))
    if row is None or not row.agent.active:
        return None
    row.last_used_at = now
    return row.agent


def tokens_of(session: Session, agent: Agent) -> list[ApiToken]:
    """The agent's tokens, revoked ones included, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.agent_id == agent.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, token_id: int, by: Agent, now: datetime) -> ApiToken | None:
    """Revoke `by`'s own token, or anyone's when `by` is an admin; None when
    there is no such token for `by`. Revoking twice changes nothing."""
    row = session.get(ApiToken, token_id)
    if row is None or (row.agent_id != by.id and by.role != "admin"):
        return None
    if row.revoked_at is None:
        row.revoked_at = now
        record_audit(session, by.email, "token_revoked", f"token {row.id}", now=now, owner=row.agent.email)
    return row


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
