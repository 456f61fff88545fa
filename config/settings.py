"""Load and validate settings: defaults.toml, then a TOML file, then
CLOSELOOP_* environment variables. A bad value stops start-up with the key,
the value and what is allowed."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WrapSerializer, field_validator,
                      model_validator)

from config.business_hours import BusinessHours
from config.errors import ConfigError
from config.platforms import PLATFORMS
from config.secrets import resolve_secret

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")
ENV_PREFIX = "CLOSELOOP_"
PRIORITIES = ("urgent", "high", "normal", "low")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


K = TypeVar("K")
V = TypeVar("V")
# A mapping in the settings: read-only once validated, so settings are
# values that nothing changes in place; a plain dict when dumped.
FrozenDict = Annotated[dict[K, V], AfterValidator(MappingProxyType), WrapSerializer(lambda value, to: to(dict(value)))]


DATABASE_URL_FORMS = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME"


class DatabaseSettings(Strict):
    url: str = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def known_database(cls, url: str) -> str:
        """SQLite or PostgreSQL through psycopg 3; a plain postgresql:// URL
        (as hosting services hand out) is taken to mean psycopg 3. Read
        without SQLAlchemy, which commands that need no database never load."""
        scheme, separator, rest = url.partition("://")
        if not separator or not scheme or not rest:
            raise ValueError(f"is not a database URL; allowed: {DATABASE_URL_FORMS}")
        if scheme in ("postgres", "postgresql"):
            scheme, url = "postgresql+psycopg", f"postgresql+psycopg://{rest}"
        if scheme not in ("sqlite", "postgresql+psycopg"):
            raise ValueError(f"{scheme!r} is not a database closeloop runs on; allowed: {DATABASE_URL_FORMS}")
        if scheme == "sqlite" and not rest.removeprefix("/").split("?")[0]:
            raise ValueError("names no database file; write sqlite:///PATH (four slashes for an absolute path)")
        return url


class WebSettings(Strict):
    host: str
    port: int = Field(ge=0, le=65535)
    secret_key: str
    timezone: str
    # Session cookies only over https; always so when alerts.base_url (the
    # public address) is https, which also sends HSTS.
    secure_cookies: bool = False
    # A signed-in session ends after this many hours without a request.
    session_hours: float = Field(default=12, gt=0, le=720)
    # API tokens stop working this many days after they are created.
    token_days: int = Field(default=90, ge=1, le=3650)
    # `closeloop serve`: web processes (0: two per core plus one), seconds a
    # request may take before its process is replaced, a line per request.
    workers: int = Field(default=0, ge=0, le=64)
    request_timeout_seconds: float = Field(default=30, ge=5, le=300)
    access_log: bool = True
    # Reverse proxies in front (nginx alone: 1) whose X-Forwarded-For,
    # -Proto, -Host and -Port headers are believed; 0 believes none.
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    # How often a web process looks for settings an admin changed in another
    # process: a change reaches every web process within this time.
    settings_check_seconds: float = Field(gt=0)
    # Photos and videos of posts pass through the web app from the
    # platform: at most this large, fetched within this time.
    media_max_bytes: int = Field(default=10_000_000, ge=10_000, le=200_000_000)
    media_timeout_seconds: float = Field(default=10, gt=0, le=60)

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as 'UTC' or 'Europe/Paris'") from None
        return value


class BrandSettings(Strict):
    name: str = Field(min_length=1)


class MinutesPerPriority(Strict):
    urgent: int = Field(gt=0)
    high: int = Field(gt=0)
    normal: int = Field(gt=0)
    low: int = Field(gt=0)

    def for_priority(self, priority: str) -> int:
        return getattr(self, priority)


class SlaPolicy(Strict):
    """Targets for tickets on some platforms or of some customer tiers;
    what it leaves out comes from the default targets."""

    name: str = Field(min_length=1)
    platforms: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    first_response_minutes: MinutesPerPriority | None = None
    next_response_minutes: MinutesPerPriority | None = None
    resolution_minutes: MinutesPerPriority | None = None

    def applies_to(self, platform: str, tier: str) -> bool:
        return ((not self.platforms or platform in self.platforms)
                and (not self.tiers or tier in self.tiers))


class SlaSettings(Strict):
    first_response_minutes: MinutesPerPriority
    next_response_minutes: MinutesPerPriority
    resolution_minutes: MinutesPerPriority
    # Share of a target's time after which a ticket with no answer is at risk.
    at_risk_share: float = Field(gt=0, lt=1)
    # How often targets are checked: a breach is noticed within this time.
    check_seconds: float = Field(gt=0, le=30)
    # The first policy that applies to a ticket's platform and tier wins.
    policies: tuple[SlaPolicy, ...] = ()


class TeamSettings(Strict):
    """A team's business hours (none: 24/7), who hears about its tickets,
    which tickets it takes (by platform and topic; none: the first team
    takes what no other team takes), and whether its tickets are private
    to it (managers and admins see every team's)."""

    hours: dict[str, Any] | None = None
    leads: tuple[str, ...] = ()
    alert_emails: tuple[str, ...] = ()
    slack_webhook: str | None = None
    slack_channel: str | None = Field(
        None, pattern=r"^[A-Z0-9]{2,30}$",
        description="The Slack channel ID (C0123ABCD) the team's alerts are posted to through alerts.slack_token; "
                    "later alerts about a ticket go in the thread of its first one. Takes the place of "
                    "slack_webhook, whose messages cannot be threaded.")
    platforms: tuple[Literal[PLATFORMS], ...] = ()
    topics: tuple[str, ...] = ()
    private: bool = False

    def takes(self, platform: str, topic: str | None) -> bool:
        """Whether this team's rule picks the ticket; a team without a rule picks nothing."""
        if not self.platforms and not self.topics:
            return False
        return ((not self.platforms or platform in self.platforms)
                and (not self.topics or topic in self.topics))

    @field_validator("hours")
    @classmethod
    def valid_hours(cls, hours: dict | None) -> dict | None:
        if hours is not None:
            BusinessHours.from_spec(hours)
        return hours


class EscalationSettings(Strict):
    # A breach escalates one level at a time: first to a senior, then a manager.
    levels: tuple[Literal["senior", "manager"], ...] = Field(min_length=1)
    reassign_if_away: bool
    # Agents going offline hand their unanswered tickets back to the queue.
    offline_hands_back: bool


class AlertSettings(Strict):
    interval_seconds: float = Field(gt=0)
    max_attempts: int = Field(ge=1)
    backoff_seconds: float = Field(ge=0)
    timeout_seconds: float = Field(gt=0)
    # Where links in alerts point: the address people use to reach the web app.
    base_url: str = Field(pattern=r"^https?://")
    smtp_host: str
    smtp_port: int = Field(ge=1, le=65535)
    smtp_from: str = Field(pattern=r"@")
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    slack_token: str | None = Field(
        None, description="The Slack app's bot token (xoxb-..., or env:NAME / file:PATH) that posts alerts to "
                          "teams' slack_channel and to people who gave their Slack member ID.")
    slack_api_url: str = Field(
        "https://slack.com/api/", pattern=r"^https?://",
        description="Where Slack's Web API answers; only the emulator needs another.")
    digest_check_seconds: float = Field(
        60, gt=0, description="How often the daily digests are looked for; each person gets theirs once a day, "
                              "at the first look after their chosen hour.")


TEMPLATE_PLACEHOLDERS = ("first_name", "topic", "agent_name", "ticket_ref", "brand")


def template_placeholders(template: str) -> list[str]:
    """The names in a template's {placeholders}; a malformed or unknown one
    is refused with its name."""
    import string

    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as error:
        raise ValueError(f"is not a valid template ({error}); write placeholders as {{first_name}}") from None
    names = []
    for name, spec, conversion in fields:
        if name not in TEMPLATE_PLACEHOLDERS:
            allowed = ", ".join("{" + p + "}" for p in TEMPLATE_PLACEHOLDERS)
            raise ValueError(f"has an unknown placeholder {{{name}}}; allowed: {allowed}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format; write it as {{{name}}}")
        names.append(name)
    return names


def _is_language(code: str) -> bool:
    return len(code) == 2 and code.isascii() and code.isalpha() and code.islower()


def _checked_template(name: str, template: str) -> str:
    if not template.strip():
        raise ValueError(f"{name} is empty")
    try:
        template_placeholders(template)
    except ValueError as error:
        raise ValueError(f"{name} {error}") from None
    return template


class ThanksSettings(Strict):
    """A thank-you in reply to praise that needs no answer, and to promoters
    (customers who answered a follow-up satisfied, or with at least
    `promoter_followers` followers) the team's invitation instead."""

    enabled: bool
    template: str
    promoter_followers: int = Field(ge=0)
    promoter_template: str

    @field_validator("template", "promoter_template")
    @classmethod
    def known_placeholders(cls, template: str, info) -> str:
        return _checked_template(info.field_name, template)


class FollowupSettings(Strict):
    """Checking back with customers after their ticket is resolved."""

    enabled: bool
    delay_minutes: float = Field(gt=0)
    # No answer within this many hours closes the ticket as unconfirmed.
    answer_window_hours: float = Field(gt=0)
    # At most one follow-up per customer within this many days.
    per_customer_days: int = Field(ge=0)
    # Which resolved tickets get one; an empty list means any. `sentiments`
    # is the sentiment of the ticket's first post.
    sentiments: tuple[Literal["negative", "neutral", "positive"], ...] = ()
    priorities: tuple[Literal[PRIORITIES], ...] = ()
    topics: tuple[str, ...] = ()
    platforms: tuple[Literal[PLATFORMS], ...] = ()
    check_seconds: float = Field(gt=0)
    # The message by platform and language: "x.es", then "x", then "es",
    # then "default"; a language is a two-letter code, used when the
    # platform tells the customer's (X does).
    templates: FrozenDict[str, str]
    thanks: ThanksSettings
    # Where the follow-up goes: "thread", or "direct_message" where the
    # platform lets the brand message the customer (X); elsewhere the thread.
    channel: Literal["thread", "direct_message"] = "thread"

    @field_validator("templates")
    @classmethod
    def known_placeholders(cls, templates: Mapping[str, str]) -> Mapping[str, str]:
        if "default" not in templates:
            raise ValueError("needs a 'default' template")
        for key, template in templates.items():
            platform, _, language = key.partition(".")
            known = (key == "default" or (platform in PLATFORMS and (not language or _is_language(language)))
                     or (not language and _is_language(platform)))
            if not known:
                raise ValueError(f"template {key!r}: keys are 'default', a platform ({', '.join(PLATFORMS)}), a "
                                 "two-letter language such as 'es', or both, as 'x.es'")
            _checked_template(f"template {key!r}", template)
        return templates

    def template_for(self, platform: str, language: str | None = None) -> str:
        keys = [f"{platform}.{language}", platform, language] if language else [platform]
        return next((self.templates[key] for key in keys if key in self.templates), self.templates["default"])


WEBHOOK_EVENTS = ("raised", "assigned", "replied", "resolved", "breached")


class WebhookSettings(Strict):
    """An outgoing webhook: ticket events POSTed as JSON to `url`, signed
    with HMAC-SHA256 under `secret` (a reference: "env:NAME" or "file:PATH")."""

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    url: str = Field(pattern=r"^https?://")
    secret: str = Field(min_length=1)
    events: tuple[Literal["raised", "assigned", "replied", "resolved", "breached"], ...] = WEBHOOK_EVENTS
    enabled: bool = True


class SpikeSettings(Strict):
    """Alerts when a topic's negative posts rise well above their usual level."""

    enabled: bool
    # The recent window compared with the same window at the same time of
    # day over the past baseline_days.
    window_minutes: int = Field(ge=1, le=1440)
    baseline_days: int = Field(ge=1, le=90)
    # How far above the usual level counts as a spike, in robust standard
    # deviations, and the fewest posts that can ever be one.
    sensitivity: float = Field(gt=0)
    min_count: int = Field(ge=1)
    check_seconds: float = Field(gt=0)


def _phrases(words: tuple[str, ...]) -> tuple[str, ...]:
    """Lower-case words and phrases; a trailing '*' lets the last word go on."""
    cleaned = []
    for word in words:
        phrase = " ".join(word.split()).lower()
        if not any(c.isalnum() for c in phrase):
            raise ValueError(f"{word!r} is not a word or phrase")
        if "*" in phrase[:-1]:
            raise ValueError(f"{word!r}: '*' may only end a phrase")
        cleaned.append(phrase)
    return tuple(cleaned)


class KeywordClass(Strict):
    """Words that add `weight` to a post's urgency. A "safety" class names
    a harm: the post reads as a complaint, and a mention the text denies
    ("no smoke", "not burning anymore") does not count. Phrases in
    `ignore` never count ("smoked salmon" beside "smoked")."""

    kind: Literal["keyword", "safety"] = "keyword"
    weight: float = Field(ge=0, le=1)
    words: tuple[str, ...] = Field(min_length=1)
    ignore: tuple[str, ...] = ()

    @field_validator("words", "ignore")
    @classmethod
    def lowercase_words(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        return _phrases(words)


class Topic(Strict):
    """One subject of the brand's taxonomy: the label people see, the
    phrases that name it (see listener.topics: words in a row, or two words
    near each other with `~`), and example posts the topic model learns
    from. `enabled = false` switches off a topic of the defaults."""

    label: str = Field(default="", max_length=60)
    phrases: tuple[str, ...]
    examples: tuple[str, ...] = ()
    enabled: bool = True

    @field_validator("phrases")
    @classmethod
    def topic_phrases(cls, phrases: tuple[str, ...]) -> tuple[str, ...]:
        if not phrases:
            raise ValueError("a topic needs at least one phrase; set enabled = false to switch it off")
        return tuple(_topic_phrase(phrase) for phrase in phrases)

    @field_validator("examples")
    @classmethod
    def examples_have_words(cls, examples: tuple[str, ...]) -> tuple[str, ...]:
        for example in examples:
            if not any(c.isalnum() for c in example):
                raise ValueError(f"example {example!r} has no words")
        return examples


def _topic_phrase(phrase: str) -> str:
    """A phrase, or two sides joined by '~', each side alternatives joined
    by '|': "bag* ~ lost|missing|damaged"."""
    sides = phrase.split("~")
    if len(sides) > 2:
        raise ValueError(f"{phrase!r}: one '~' at most, between two words or phrases")
    if len(sides) == 1:
        if "|" in phrase:
            raise ValueError(f"{phrase!r}: '|' separates alternatives only beside a '~'")
        return _phrases((phrase,))[0]
    return " ~ ".join("|".join(_phrases(tuple(term.strip() for term in side.split("|")))) for side in sides)


class PriorityThresholds(Strict):
    urgent: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)
    normal: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def ordered(self) -> PriorityThresholds:
        if not self.urgent >= self.high >= self.normal:
            raise ValueError("thresholds must satisfy urgent >= high >= normal")
        return self


class UrgencyWeights(Strict):
    """Urgency of a post that needs an answer: a base for why it needs one,
    plus what makes it more urgent."""

    complaint: float = Field(ge=0, le=1)
    question: float = Field(ge=0, le=1)
    praise: float = Field(ge=0, le=1)
    negative: float = Field(ge=0, le=1)
    public: float = Field(ge=0, le=1)
    repeat_complaint: float = Field(ge=0, le=1)
    breached: float = Field(ge=0, le=1)


# The polarity thresholds each scorer is read with unless the config sets
# them: VADER's are its authors', TextBlob's the first scorer's, care's were
# tuned on the tuning part of the shared customer-care posts.
SCORER_THRESHOLDS = {"care": (-0.35, 0.4), "vader": (-0.05, 0.05), "textblob": (-0.1, 0.2)}


def _is_topic_name(name: str) -> bool:
    return (0 < len(name) <= 50 and name.isascii() and name[0].isalpha()
            and all(c.islower() or c.isdigit() or c == "_" for c in name))


class ScoringSettings(Strict):
    scorer: Literal["care", "vader", "textblob"]
    model_path: str = ""
    negative_below: float | None = Field(default=None, ge=-1, le=1)
    positive_above: float | None = Field(default=None, ge=-1, le=1)
    respond_to_questions: bool
    respond_to_praise: bool
    priority_thresholds: PriorityThresholds
    reach_followers: int = Field(ge=0)
    reach_weight: float = Field(ge=0, le=1)
    urgency: UrgencyWeights
    tier_weights: FrozenDict[str, float] = Field(default={}, validate_default=True)
    keywords: FrozenDict[str, KeywordClass]
    topics: FrozenDict[str, Topic]
    spam: tuple[str, ...] = ()

    @field_validator("tier_weights")
    @classmethod
    def weights_between_0_and_1(cls, weights: Mapping[str, float]) -> Mapping[str, float]:
        for tier, weight in weights.items():
            if not 0 <= weight <= 1:
                raise ValueError(f"tier {tier!r}: weight {weight} must be between 0 and 1")
        return MappingProxyType({tier.strip().lower(): weight for tier, weight in weights.items()})

    @field_validator("topics")
    @classmethod
    def topic_names(cls, topics: Mapping[str, Topic]) -> Mapping[str, Topic]:
        """Names fit the tickets' column; a topic without a label is shown by its name in words."""
        for name in topics:
            if not _is_topic_name(name):
                raise ValueError(f"topic name {name!r} must be lower-case letters, digits and _ "
                                 f"(at most 50, starting with a letter)")
        return MappingProxyType({name: topic if topic.label.strip() else topic.model_copy(
            update={"label": name.replace("_", " ").capitalize()}) for name, topic in topics.items()})

    @field_validator("spam")
    @classmethod
    def spam_phrases(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        return _phrases(words)

    @model_validator(mode="after")
    def ordered(self) -> ScoringSettings:
        negative_below, positive_above = self.sentiment_thresholds
        if negative_below > positive_above:
            raise ValueError(f"negative_below ({negative_below}) must not be above positive_above "
                             f"({positive_above})")
        return self

    @property
    def taxonomy(self) -> dict[str, tuple[str, ...]]:
        """The phrases of each topic in use, in the order listed."""
        return {name: topic.phrases for name, topic in self.topics.items() if topic.enabled}

    def topic_label(self, name: str) -> str:
        """The label people see; a topic no longer configured keeps its name."""
        topic = self.topics.get(name)
        return topic.label if topic else name

    @property
    def sentiment_thresholds(self) -> tuple[float, float]:
        """(negative below, positive above): the configured values, else the scorer's own."""
        negative_below, positive_above = SCORER_THRESHOLDS[self.scorer]
        return (negative_below if self.negative_below is None else self.negative_below,
                positive_above if self.positive_above is None else self.positive_above)


class RoutingSettings(Strict):
    previous_agent_days: int = Field(ge=0)
    senior_priorities: tuple[Literal[PRIORITIES], ...]
    senior_tiers: tuple[str, ...] = ()
    # A second complaint within this many days goes to a senior (0: never).
    repeat_complaint_days: int = Field(ge=0)
    # So does a customer whose ticket breached its target within this many days.
    recent_breach_days: int = Field(ge=0)


class ListenerSettings(Strict):
    default_poll_seconds: int = Field(ge=1)
    tick_seconds: float = Field(gt=0)
    max_backoff_seconds: int = Field(ge=1)
    request_timeout_seconds: float = Field(gt=0, le=120)


class OutboxSettings(Strict):
    interval_seconds: float = Field(gt=0)
    max_attempts: int = Field(ge=1)
    backoff_seconds: float = Field(ge=0)
    max_backoff_seconds: float = Field(default=900, gt=0)
    stale_send_seconds: float = Field(gt=0)


ROLE_ORDER = ("agent", "senior", "manager", "admin")
MODERATION_ACTIONS = ("hide", "unhide", "like", "unlike", "delete")


class ModerationSettings(Strict):
    """Who may moderate comments on the brand's own posts, and the rule
    that hides some by itself. `hide_role` covers hiding, unhiding,
    liking and unliking; `delete_role` deleting, which cannot be undone.
    A role allows its holders and every role above it."""

    hide_role: Literal[ROLE_ORDER] = "agent"
    delete_role: Literal[ROLE_ORDER] = "senior"
    # Hide a comment under the brand's post by itself when the scorer took
    # it for spam, or when it has one of these words or phrases.
    auto_hide_spam: bool = False
    auto_hide_words: tuple[str, ...] = ()
    # How far back each pass of the rule looks for new comments, and how often it runs.
    auto_hide_lookback_minutes: int = Field(default=60, ge=1, le=10080)
    check_seconds: float = Field(default=15, gt=0)
    # How a failed platform call is tried again (as the reply outbox's).
    max_attempts: int = Field(default=6, ge=1)
    backoff_seconds: float = Field(default=10, ge=0)
    max_backoff_seconds: float = Field(default=900, gt=0)

    @field_validator("auto_hide_words")
    @classmethod
    def lowercase_words(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        return _phrases(words)

    def role_for(self, action: str) -> str:
        return self.delete_role if action == "delete" else self.hide_role

    def allows(self, role: str, action: str) -> bool:
        """Whether someone with `role` may take `action`."""
        needed = self.role_for(action)
        return role in ROLE_ORDER and ROLE_ORDER.index(role) >= ROLE_ORDER.index(needed)


class AccountSettings(BaseModel):
    """One platform account. Besides platform and base_url it holds the
    platform's credential keys; their values are secret references
    ('env:NAME', 'file:PATH') or literals, resolved only when a connector
    is built."""

    model_config = ConfigDict(extra="allow", frozen=True)
    platform: Literal[PLATFORMS]
    base_url: str | None = None
    # Where people see one of this account's posts, "{id}" standing for its
    # id (the demo's emulator pages); unset, the link the platform gave.
    post_page: str | None = Field(default=None, pattern=r"^https?://[^ ]*\{id\}")
    # At most this many requests with these credentials per window (polls
    # and replies together); none when unset.
    request_budget: int | None = Field(default=None, ge=1)
    budget_window_seconds: int = Field(default=900, ge=1)

    def credential(self, key: str) -> str | None:
        value = (self.model_extra or {}).get(key)
        if value is None:
            return None
        return resolve_secret(str(value), key=key)

    def __repr__(self) -> str:
        return f"AccountSettings(platform={self.platform!r}, base_url={self.base_url!r}, credentials=<hidden>)"

    __str__ = __repr__


class SourceSettings(Strict):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    account: str
    kind: str
    target: str = ""
    query: str = ""
    poll_seconds: int | None = Field(default=None, ge=1)
    enabled: bool = True
    # At most this many requests for this source's polls per window.
    request_budget: int | None = Field(default=None, ge=1)
    budget_window_seconds: int = Field(default=900, ge=1)


class LogSettings(Strict):
    # "text": a readable line per message; "json": one JSON object per line,
    # for log collectors.
    format: Literal["text", "json"] = "text"


class MetricsSettings(Strict):
    """GET /metrics in Prometheus' text format, answered only to a request
    that carries `token` (a reference: "env:NAME" or "file:PATH") as a
    bearer token; empty turns the endpoint off. Several processes on one
    host (`closeloop serve`, `closeloop worker`) add up their counts through
    files in `multiprocess_dir`; empty gives `closeloop serve` a temporary
    one of its own."""

    token: str = ""
    multiprocess_dir: str = ""


# The settings admins may change from the web (stored in the database,
# applied over the file's).
WEB_EDITABLE = ("sla", "routing")


class Settings(Strict):
    database: DatabaseSettings
    web: WebSettings
    brand: BrandSettings
    sla: SlaSettings
    scoring: ScoringSettings
    routing: RoutingSettings
    listener: ListenerSettings
    outbox: OutboxSettings
    teams: FrozenDict[str, TeamSettings]
    escalation: EscalationSettings
    alerts: AlertSettings
    followups: FollowupSettings
    spikes: SpikeSettings
    webhooks: tuple[WebhookSettings, ...] = ()
    accounts: FrozenDict[str, AccountSettings] = Field(default={}, validate_default=True)
    sources: tuple[SourceSettings, ...] = ()
    log: LogSettings = LogSettings()
    metrics: MetricsSettings = MetricsSettings()
    moderation: ModerationSettings = ModerationSettings()

    @model_validator(mode="after")
    def timeouts_fit(self) -> Settings:
        if self.outbox.stale_send_seconds <= self.listener.request_timeout_seconds:
            raise ValueError(
                f"outbox.stale_send_seconds ({self.outbox.stale_send_seconds:g}) must be longer than "
                f"listener.request_timeout_seconds ({self.listener.request_timeout_seconds:g}): a send still "
                "waiting for the platform would be taken for a lost one")
        return self

    @model_validator(mode="after")
    def sources_are_consistent(self) -> Settings:
        names = [s.name for s in self.sources]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"source name {name!r} is used twice")
        hooks = [w.name for w in self.webhooks]
        for name in hooks:
            if hooks.count(name) > 1:
                raise ValueError(f"webhook name {name!r} is used twice")
        for source in self.sources:
            if source.account not in self.accounts:
                known = ", ".join(sorted(self.accounts)) or "none"
                raise ValueError(
                    f"source {source.name!r} names account {source.account!r}, "
                    f"which is not defined (accounts: {known})"
                )
        return self

    def poll_seconds(self, source: SourceSettings) -> int:
        return source.poll_seconds or self.listener.default_poll_seconds

    def with_overrides(self, overrides: dict[str, Any]) -> Settings:
        """These settings with `overrides` (the parts admins edit in the web)
        merged in and validated as a whole; raises ConfigError naming the
        key, the value and what is allowed."""
        unknown = sorted(set(overrides) - set(WEB_EDITABLE))
        if unknown:
            raise ConfigError(f"invalid configuration:\n  {unknown[0]}: cannot be changed from the web")
        data = deep_merge(self.model_dump(), overrides)
        try:
            return Settings.model_validate(data)
        except ValidationError as error:
            raise ConfigError(_explain(error, data)) from None

    def team_for(self, platform: str, topic: str | None) -> str:
        """The first team whose rule takes the ticket, else the first team."""
        return next((name for name, team in self.teams.items() if team.takes(platform, topic)), next(iter(self.teams)))

    def private_teams(self) -> tuple[str, ...]:
        return tuple(name for name, team in self.teams.items() if team.private)


def load_settings(
    path: str | os.PathLike | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build the settings from defaults, the file at `path` (or
    CLOSELOOP_CONFIG), the environment, then `overrides` (used by tests)."""
    env = dict(os.environ if env is None else env)
    data = _read_toml(DEFAULTS_FILE)
    path = path or env.get(ENV_PREFIX + "CONFIG")
    if path:
        data = deep_merge(data, _read_toml(Path(path)))
    data = deep_merge(data, _environment_overrides(env))
    if overrides:
        data = deep_merge(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_explain(error, data)) from None


def deep_merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {error}") from None


def _environment_overrides(env: dict[str, str]) -> dict:
    """CLOSELOOP_WEB__PORT=9000 sets web.port; a single underscore after a
    section name works too (CLOSELOOP_DATABASE_URL)."""
    sections = set(Settings.model_fields)
    result: dict = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        if parts[0] not in sections:
            head, _, rest = parts[0].partition("_")
            if head not in sections or not rest:
                continue
            parts = [head, rest, *parts[1:]]
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _parse_env_value(raw)
    return result


def _parse_env_value(raw: str) -> Any:
    if raw[:1] in "[{":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


# Values that may hold a password: an error names the key, never the value.
UNSHOWN = ("database.url", "web.secret_key", "metrics.token")


def _explain(error: ValidationError, data: dict) -> str:
    lines = ["invalid configuration:"]
    for problem in error.errors():
        key = ".".join(str(p) for p in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "missing":
            lines.append(f"  {key}: missing, it is required")
        elif problem["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown setting")
        elif problem["loc"] and _exists(data, problem["loc"]) and key not in UNSHOWN:
            value = problem.get("input")
            lines.append(f"  {key} = {value!r}: {message}")
        else:
            lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def _exists(data: Any, loc: tuple) -> bool:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, (list, tuple)) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True
