"""Load and validate settings: defaults.toml, then a TOML file, then
CLOSELOOP_* environment variables. A bad value stops start-up with the key,
the value and what is allowed."""

from __future__ import annotations

import copy
import json
import os
import re
import tomllib
from collections.abc import Mapping
from functools import cache
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
    url: str = Field(
        min_length=1,
        description="The database: `sqlite:///PATH` (four slashes for an absolute path) or "
                    "`postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME`.")

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


# Characters of web.secret_key at least: `closeloop init` writes 64.
MIN_SECRET_KEY_LENGTH = 32


class WebSettings(Strict):
    host: str = Field(description="Address the web app listens on.")
    port: int = Field(ge=0, le=65535, description="Port the web app listens on.")
    secret_key: str = Field(
        description="Signs session cookies and CSRF tokens. Empty: a random key per start (everyone is signed out at "
                    "restart), which `closeloop serve` refuses with more than one web process; `closeloop init` writes"
                    " one. Set by hand: at least 32 random characters.")
    timezone: str = Field(description="IANA time zone the web shows times in, such as `Europe/Paris`.")
    secure_cookies: bool = Field(
        False,
        description="Send session cookies over https only; always so when alerts.base_url is https, which also sends "
                    "HSTS.")
    session_hours: float = Field(
        default=12, gt=0, le=720,
        description="A signed-in session ends after this many hours without a request of the person's "
                    "(the page's background refreshes do not count).")
    token_days: int = Field(
        default=90, ge=1, le=3650,
        description="API tokens stop working this many days after they are created.")
    workers: int = Field(
        default=0, ge=0, le=64,
        description="`closeloop serve`'s web processes; 0: two per core plus one.")
    request_timeout_seconds: float = Field(
        default=30, ge=5, le=300,
        description="`closeloop serve`: seconds one request may take before its process is replaced.")
    access_log: bool = Field(True, description="`closeloop serve`: a line per request on standard output.")
    trusted_proxies: int = Field(
        default=0, ge=0, le=5,
        description="Reverse proxies in front whose X-Forwarded-For, -Proto, -Host and -Port headers are believed "
                    "(nginx alone: 1); 0 believes none. Never more than there are, or clients can forge addresses.")
    settings_check_seconds: float = Field(
        gt=0,
        description="How often a web process looks for settings an admin changed in another process: a change reaches "
                    "every web process within this time.")
    media_max_bytes: int = Field(
        default=10_000_000, ge=10_000, le=200_000_000,
        description="Largest photo or video of a post the web app passes on from the platform.")
    media_timeout_seconds: float = Field(
        default=10, gt=0, le=60,
        description="Seconds to fetch a post's photo or video from the platform.")

    @field_validator("secret_key")
    @classmethod
    def long_enough_to_keep_secret(cls, value: str) -> str:
        """A short key can be guessed, and with it anyone can sign a session
        cookie as any agent."""
        if value and len(value) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"is {len(value)} characters long; a key that short can be guessed, and with it anyone "
                             f"can forge a sign-in. Use {MIN_SECRET_KEY_LENGTH} or more random characters, or leave "
                             "it empty and run `closeloop init`, which writes one")
        return value

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
    name: str = Field(min_length=1, description="The brand's name, as `{brand}` in messages.")


# A year: no care target is longer, and a due time past the calendar's end
# would leave every post at that priority unstorable.
MAX_TARGET_MINUTES = 525_600
# Ten years: the longest a rule looks back over a customer's history.
MAX_LOOK_BACK_DAYS = 3650


class MinutesPerPriority(Strict):
    urgent: int = Field(gt=0, le=MAX_TARGET_MINUTES, description="Minutes for an urgent ticket.")
    high: int = Field(gt=0, le=MAX_TARGET_MINUTES, description="Minutes for a high-priority ticket.")
    normal: int = Field(gt=0, le=MAX_TARGET_MINUTES, description="Minutes for a normal-priority ticket.")
    low: int = Field(gt=0, le=MAX_TARGET_MINUTES, description="Minutes for a low-priority ticket.")

    def for_priority(self, priority: str) -> int:
        return getattr(self, priority)


class SlaPolicy(Strict):
    """Targets for tickets on some platforms or of some customer tiers;
    what it leaves out comes from the default targets."""

    name: str = Field(min_length=1, description="The policy's name, shown on its tickets.")
    platforms: tuple[str, ...] = Field((), description="Platforms it applies to; empty: all.")
    tiers: tuple[str, ...] = Field((), description="Customer tiers it applies to; empty: all.")
    first_response_minutes: MinutesPerPriority | None = Field(
        None,
        description="Its first-response targets; unset: the default ones.")
    next_response_minutes: MinutesPerPriority | None = Field(
        None,
        description="Its next-response targets; unset: the default ones.")
    resolution_minutes: MinutesPerPriority | None = Field(
        None,
        description="Its resolution targets; unset: the default ones.")

    def applies_to(self, platform: str, tier: str) -> bool:
        return ((not self.platforms or platform in self.platforms)
                and (not self.tiers or tier in self.tiers))


class SlaSettings(Strict):
    first_response_minutes: MinutesPerPriority = Field(description="Minutes to the first answer, per priority.")
    next_response_minutes: MinutesPerPriority = Field(
        description="Minutes to answer a customer who writes again, per priority.")
    resolution_minutes: MinutesPerPriority = Field(description="Minutes to resolve a ticket, per priority.")
    at_risk_share: float = Field(
        gt=0, lt=1,
        description="Share of a target's time after which a ticket with no answer is at risk.")
    check_seconds: float = Field(
        gt=0, le=30,
        description="How often targets are checked: a breach is noticed within this time.")
    policies: tuple[SlaPolicy, ...] = Field(
        (),
        description="Targets for some platforms or customer tiers; the first policy that applies to a ticket wins.")


class TeamSettings(Strict):
    """A team's business hours (none: 24/7), who hears about its tickets,
    which tickets it takes (by platform and topic; none: the first team
    takes what no other team takes), and whether its tickets are private
    to it (managers and admins see every team's)."""

    hours: dict[str, Any] | None = Field(
        None,
        description="Business hours (`timezone`, a list of `HH:MM-HH:MM` per weekday, `holidays`); unset: 24/7.")
    leads: tuple[str, ...] = Field(
        (),
        description="Emails of the people alerted when one of the team's tickets is at risk.")
    alert_emails: tuple[str, ...] = Field((), description="Addresses that hear about the team's breaches.")
    slack_webhook: str | None = Field(
        None,
        description="Slack incoming webhook (or `env:NAME` / `file:PATH`) the team's alerts are posted to.")
    slack_channel: str | None = Field(
        None, pattern=r"^[A-Z0-9]{2,30}$",
        description="The Slack channel ID (C0123ABCD) the team's alerts are posted to through alerts.slack_token; "
                    "later alerts about a ticket go in the thread of its first one. Takes the place of "
                    "slack_webhook, whose messages cannot be threaded.")
    platforms: tuple[Literal[PLATFORMS], ...] = Field(
        (),
        description="Platforms whose tickets the team takes; with topics empty too, the first team takes what no other"
                    " does.")
    topics: tuple[str, ...] = Field((), description="Topics whose tickets the team takes.")
    private: bool = Field(
        False,
        description="The team's tickets are seen only by its members (and managers and admins).")

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
    levels: tuple[Literal["senior", "manager"], ...] = Field(
        min_length=1,
        description="A breach escalates one level at a time: to a senior, then a manager.")
    reassign_if_away: bool = Field(
        description="An escalated ticket whose agent is not online goes to the least loaded agent online at the new "
                    "level.")
    offline_hands_back: bool = Field(
        description="Agents going offline hand their unanswered tickets back to the queue.")


class AlertSettings(Strict):
    interval_seconds: float = Field(gt=0, description="How often queued alerts are looked for.")
    max_attempts: int = Field(ge=1, description="Tries before an alert is marked failed.")
    backoff_seconds: float = Field(ge=0, description="Wait after a failed delivery, doubling each time.")
    timeout_seconds: float = Field(gt=0, description="Seconds one delivery may take.")
    base_url: str = Field(
        pattern=r"^https?://",
        description="Where links in alerts point: the address people use to reach the web app.")
    smtp_host: str = Field(description="Mail server for email alerts.")
    smtp_port: int = Field(ge=1, le=65535, description="Its port.")
    smtp_from: str = Field(pattern=r"@", description="Sender address of email alerts.")
    smtp_user: str | None = Field(None, description="User to sign in to the mail server as; unset: no sign-in.")
    smtp_password: str | None = Field(None, description="Its password, a reference (`env:NAME` or `file:PATH`).")
    smtp_starttls: bool = Field(False, description="Switch to TLS with STARTTLS before signing in.")
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

    enabled: bool = Field(description="Thank customers for praise that needs no answer.")
    template: str = Field(description="The thank-you; same placeholders as the follow-ups.")
    promoter_followers: int = Field(ge=0, description="A customer with at least this many followers is a promoter.")
    promoter_template: str = Field(description="What promoters get instead: the team's invitation.")

    @field_validator("template", "promoter_template")
    @classmethod
    def known_placeholders(cls, template: str, info) -> str:
        return _checked_template(info.field_name, template)


class FollowupSettings(Strict):
    """Checking back with customers after their ticket is resolved."""

    enabled: bool = Field(description="Send follow-ups.")
    delay_minutes: float = Field(gt=0, le=MAX_TARGET_MINUTES,
                                 description="Minutes after resolution the follow-up goes out.")
    answer_window_hours: float = Field(
        gt=0, le=MAX_TARGET_MINUTES / 60,
        description="No answer within this many hours closes the ticket as unconfirmed.")
    per_customer_days: int = Field(ge=0, le=MAX_LOOK_BACK_DAYS,
                                   description="At most one follow-up per customer within this many days.")
    sentiments: tuple[Literal["negative", "neutral", "positive"], ...] = Field(
        (),
        description="Sentiments of a ticket's first post that get one; empty: any.")
    priorities: tuple[Literal[PRIORITIES], ...] = Field((), description="Priorities that get one; empty: any.")
    topics: tuple[str, ...] = Field((), description="Topics that get one; empty: any.")
    platforms: tuple[Literal[PLATFORMS], ...] = Field((), description="Platforms that get one; empty: any.")
    check_seconds: float = Field(gt=0, description="How often due follow-ups are looked for.")
    templates: FrozenDict[str, str] = Field(
        description="The message by platform and language: `x.es`, then `x`, then `es`, then `default`. Placeholders: "
                    "{first_name} {topic} {agent_name} {ticket_ref} {brand}.")
    thanks: ThanksSettings = Field(description="Thank-yous in reply to praise.")
    channel: Literal["thread", "direct_message"] = Field(
        "thread",
        description="\"thread\", or \"direct_message\" where the platform lets the brand write to the customer (X); "
                    "elsewhere the thread.")

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

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="The webhook's name.")
    url: str = Field(pattern=r"^https?://", description="Where events are POSTed.")
    secret: str = Field(min_length=1, description="HMAC-SHA256 signing key, a reference (`env:NAME` or `file:PATH`).")
    events: tuple[Literal["raised", "assigned", "replied", "resolved", "breached"], ...] = Field(
        WEBHOOK_EVENTS,
        description="Ticket events sent.")
    enabled: bool = Field(True, description="Send events.")


class SpikeSettings(Strict):
    """Alerts when a topic's negative posts rise well above their usual level."""

    enabled: bool = Field(description="Send spike alerts.")
    window_minutes: int = Field(
        ge=1, le=1440,
        description="The recent window, compared with the same window at the same time of day over the past "
                    "baseline_days.")
    baseline_days: int = Field(ge=1, le=90, description="Days of history the usual level is taken from.")
    sensitivity: float = Field(
        gt=0,
        description="How far above the usual level counts as a spike, in robust standard deviations.")
    min_count: int = Field(ge=1, description="The fewest posts that can ever be a spike.")
    check_seconds: float = Field(gt=0, description="How often spikes are looked for.")


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
    ("no smoke", "not burning anymore") does not count. A "sensitive" class
    names a customer who needs particular care (bereavement, disability,
    hardship): the post goes to a senior. Phrases in `ignore` never count
    ("smoked salmon" beside "smoked")."""

    kind: Literal["keyword", "safety", "sensitive"] = Field(
        "keyword",
        description="\"safety\" names a harm: the post reads as a complaint whatever its tone, a mention the text "
                    "denies does not count, and the post goes to a senior even past capacity. \"sensitive\" names a "
                    "customer who needs particular care (bereavement, disability, hardship): the post goes to a "
                    "senior.")
    weight: float = Field(ge=0, le=1, description="Urgency the class adds.")
    words: tuple[str, ...] = Field(
        min_length=1,
        description="Its words and phrases; a trailing `*` lets the last word go on (`reimburse*`).")
    ignore: tuple[str, ...] = Field((), description="Phrases that never count (\"smoked salmon\" beside \"smoked\").")

    @field_validator("words", "ignore")
    @classmethod
    def lowercase_words(cls, words: tuple[str, ...]) -> tuple[str, ...]:
        return _phrases(words)


class Topic(Strict):
    """One subject of the brand's taxonomy: the label people see, the
    phrases that name it (see listener.topics: words in a row, or two words
    near each other with `~`), and example posts the topic model learns
    from. `enabled = false` switches off a topic of the defaults."""

    label: str = Field(default="", max_length=60, description="What people see; empty: the topic's name in words.")
    phrases: tuple[str, ...] = Field(
        description="Words in a row, or two sides joined by `~` found near each other, each side alternatives joined "
                    "by `|` (`bag|luggage ~ lost|missing`).")
    examples: tuple[str, ...] = Field((), description="Example posts the topic model learns from.")
    enabled: bool = Field(True, description="false switches the topic off.")

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
    urgent: float = Field(ge=0, le=1, description="Urgency from which a post is urgent.")
    high: float = Field(ge=0, le=1, description="Urgency from which a post is high priority.")
    normal: float = Field(ge=0, le=1, description="Urgency from which a post is normal priority; below it, low.")

    @model_validator(mode="after")
    def ordered(self) -> PriorityThresholds:
        if not self.urgent >= self.high >= self.normal:
            raise ValueError("thresholds must satisfy urgent >= high >= normal")
        return self


class UrgencyWeights(Strict):
    """Urgency of a post that needs an answer: a base for why it needs one,
    plus what makes it more urgent."""

    complaint: float = Field(ge=0, le=1, description="Base urgency of a complaint.")
    question: float = Field(ge=0, le=1, description="Base urgency of a question or request.")
    praise: float = Field(ge=0, le=1, description="Base urgency of praise.")
    negative: float = Field(ge=0, le=1, description="Added times the strength of negative sentiment.")
    public: float = Field(ge=0, le=1, description="Added for a public post (not a direct message).")
    repeat_complaint: float = Field(
        ge=0, le=1,
        description="Added for a customer's second complaint within routing.repeat_complaint_days.")
    breached: float = Field(ge=0, le=1, description="Added when the customer's open ticket breached its target.")


# The polarity thresholds each scorer is read with unless the config sets
# them: VADER's are its authors', TextBlob's the first scorer's, care's were
# tuned on the tuning part of the shared customer-care posts.
SCORER_THRESHOLDS = {"care": (-0.35, 0.4), "vader": (-0.05, 0.05), "textblob": (-0.1, 0.2)}


def _is_topic_name(name: str) -> bool:
    return (0 < len(name) <= 50 and name.isascii() and name[0].isalpha()
            and all(c.islower() or c.isdigit() or c == "_" for c in name))


class ScoringSettings(Strict):
    scorer: Literal["care", "vader", "textblob"] = Field(
        description="\"care\": the trained model with VADER and the customer-care rules; \"vader\" or "
                    "\"textblob\": that lexicon's polarity alone.")
    model_path: str = Field(
        "",
        description="The care model file; empty: the one `closeloop retrain` keeps beside the SQLite database when "
                    "there is one, else the model shipped with closeloop.")
    negative_below: float | None = Field(
        default=None, ge=-1, le=1,
        description="Polarity below this is negative; unset: the scorer's own (care -0.35, vader -0.05, textblob "
                    "-0.1).")
    positive_above: float | None = Field(
        default=None, ge=-1, le=1,
        description="Polarity above this is positive; unset: the scorer's own (care 0.4, vader 0.05, textblob 0.2).")
    respond_to_questions: bool = Field(description="A question needs an answer.")
    respond_to_praise: bool = Field(description="Praise needs an answer.")
    languages_read: tuple[str, ...] = Field(
        description="The languages the scorer reads (two-letter ISO 639-1 codes); a post the platform says is in "
                    "another language needs a person, who reads it. Empty: every post is scored as the scorer reads "
                    "it.")
    priority_thresholds: PriorityThresholds = Field(
        description="A post whose urgency reaches one of these gets that priority.")
    reach_followers: int = Field(ge=0, description="Urgency is added for an author with at least this many followers.")
    reach_weight: float = Field(
        ge=0, le=1,
        description="Urgency added for an author with reach_followers followers or more.")
    urgency: UrgencyWeights = Field(
        description="Urgency of a post that needs an answer: a base for why it needs one, plus what makes it more "
                    "urgent.")
    tier_weights: FrozenDict[str, float] = Field(
        default={}, validate_default=True,
        description="Urgency added for a customer of each tier.")
    keywords: FrozenDict[str, KeywordClass] = Field(
        description="Keyword classes: any of their words or phrases adds the class's weight to the urgency and makes "
                    "the post need an answer.")
    topics: FrozenDict[str, Topic] = Field(
        description="The topic taxonomy: each topic's label, phrases and example posts.")
    spam: tuple[str, ...] = Field((), description="Words and phrases that make a post spam: no response needed.")

    @field_validator("languages_read")
    @classmethod
    def language_codes(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(code.strip().lower() for code in codes)
        for code in codes:
            if not re.fullmatch(r"[a-z]{2}", code):
                raise ValueError(f"{code!r} is not a two-letter language code (ISO 639-1), such as \"en\"")
        return codes

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
    previous_agent_days: int = Field(
        ge=0, le=MAX_LOOK_BACK_DAYS,
        description="A customer's new ticket goes back to the agent of their last ticket within this many days, when "
                    "that agent is online and has room.")
    senior_priorities: tuple[Literal[PRIORITIES], ...] = Field(description="Priorities that go to a senior agent.")
    senior_tiers: tuple[str, ...] = Field((), description="Customer tiers that go to a senior agent.")
    repeat_complaint_days: int = Field(
        ge=0, le=MAX_LOOK_BACK_DAYS,
        description="A second complaint within this many days goes to a senior (0: never).")
    recent_breach_days: int = Field(
        ge=0, le=MAX_LOOK_BACK_DAYS,
        description="A customer whose ticket breached its target within this many days goes to a senior.")


class ListenerSettings(Strict):
    default_poll_seconds: int = Field(ge=1, description="How often a source without poll_seconds is polled.")
    tick_seconds: float = Field(gt=0, description="How often the scheduler looks for sources that are due.")
    poll_threads: int = Field(
        ge=1, le=64,
        description="How many sources one worker polls at once; it leases no more than that, so more workers poll "
                    "more.")
    max_backoff_seconds: int = Field(ge=1, description="Longest wait before polling a failing source again.")
    request_timeout_seconds: float = Field(gt=0, le=120, description="Seconds a platform API call may take.")


class OutboxSettings(Strict):
    interval_seconds: float = Field(gt=0, description="How often queued replies are looked for.")
    max_attempts: int = Field(ge=1, description="Tries before a reply is marked failed.")
    backoff_seconds: float = Field(ge=0, description="Wait after a failed send, doubling each time.")
    max_backoff_seconds: float = Field(default=900, gt=0, description="Longest wait between two tries.")
    stale_send_seconds: float = Field(
        gt=0,
        description="A send not recorded after this long is checked against the platform before it is tried again; "
                    "longer than listener.request_timeout_seconds.")


ROLE_ORDER = ("agent", "senior", "manager", "admin")
MODERATION_ACTIONS = ("hide", "unhide", "like", "unlike", "delete")


class ModerationSettings(Strict):
    """Who may moderate comments on the brand's own posts, and the rule
    that hides some by itself. `hide_role` covers hiding, unhiding,
    liking and unliking; `delete_role` deleting, which cannot be undone.
    A role allows its holders and every role above it."""

    hide_role: Literal[ROLE_ORDER] = Field(
        "agent",
        description="Lowest role that may hide, unhide, like and unlike comments.")
    delete_role: Literal[ROLE_ORDER] = Field(
        "senior",
        description="Lowest role that may delete comments, which cannot be undone.")
    auto_hide_spam: bool = Field(
        False,
        description="Hide a comment under the brand's post by itself when the scorer takes it for spam.")
    auto_hide_words: tuple[str, ...] = Field(
        (),
        description="Hide a comment under the brand's post by itself when it has one of these words or phrases.")
    auto_hide_lookback_minutes: int = Field(
        default=60, ge=1, le=10080,
        description="How far back each pass of the rule looks for new comments.")
    check_seconds: float = Field(default=15, gt=0, description="How often the auto-hide rule runs.")
    max_attempts: int = Field(default=6, ge=1, description="Tries before a moderation action is marked failed.")
    backoff_seconds: float = Field(default=10, ge=0, description="Wait after a failed action, doubling each time.")
    max_backoff_seconds: float = Field(default=900, gt=0, description="Longest wait between two tries.")

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
    platform: Literal[PLATFORMS] = Field(
        description="The account's platform. Its other keys are the platform's credentials, as references (`env:NAME`,"
                    " `file:PATH`) or literals.")
    base_url: str | None = Field(None, description="The platform's API address; unset: the real one.")
    post_page: str | None = Field(
        default=None, pattern=r"^https?://[^ ]*\{id\}",
        description="Where people see one of this account's posts, `{id}` standing for its id; unset: the link the "
                    "platform gave.")
    request_budget: int | None = Field(
        default=None, ge=1,
        description="At most this many requests with these credentials per window (polls and replies together); unset:"
                    " none.")
    budget_window_seconds: int = Field(default=900, ge=1, description="The request budget's window.")

    def credential(self, key: str) -> str | None:
        value = (self.model_extra or {}).get(key)
        if value is None:
            return None
        return resolve_secret(str(value), key=key)

    def __repr__(self) -> str:
        return f"AccountSettings(platform={self.platform!r}, base_url={self.base_url!r}, credentials=<hidden>)"

    __str__ = __repr__


class SourceSettings(Strict):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="The source's name.")
    account: str = Field(description="The account it reads with.")
    kind: str = Field(
        description="What it reads: a kind the account's platform offers (mentions, search, page_posts, comments, "
                    "...).")
    target: str = Field("", description="What the kind reads from: a page, a subreddit, a search term, a feed.")
    query: str = Field("", description="Words to look for, for kinds that search.")
    poll_seconds: int | None = Field(
        default=None, ge=1,
        description="How often it is polled; unset: listener.default_poll_seconds.")
    enabled: bool = Field(True, description="Poll it.")
    request_budget: int | None = Field(
        default=None, ge=1,
        description="At most this many requests for this source's polls per window.")
    budget_window_seconds: int = Field(default=900, ge=1, description="The request budget's window.")


class LogSettings(Strict):
    format: Literal["text", "json"] = Field(
        "text",
        description="\"text\": a readable line per message; \"json\": one JSON object per line, for log collectors.")


class MetricsSettings(Strict):
    """GET /metrics in Prometheus' text format, answered only to a request
    that carries `token` (a reference: "env:NAME" or "file:PATH") as a
    bearer token; empty turns the endpoint off. Several processes on one
    host (`closeloop serve`, `closeloop worker`) add up their counts through
    files in `multiprocess_dir`; empty gives `closeloop serve` a temporary
    one of its own."""

    token: str = Field(
        "",
        description="Bearer token GET /metrics answers to, a reference (`env:NAME` or `file:PATH`); empty: no metrics "
                    "endpoint.")
    multiprocess_dir: str = Field(
        "",
        description="Where the processes on one host add up their counts; empty gives `closeloop serve` a temporary "
                    "folder of its own.")


# The settings admins may change from the web (stored in the database,
# applied over the file's).
WEB_EDITABLE = ("sla", "routing")


class Settings(Strict):
    database: DatabaseSettings = Field(description="Where closeloop keeps its records.")
    web: WebSettings = Field(
        description="The web app: where it listens, sign-in sessions and API tokens, `closeloop serve`'s processes.")
    brand: BrandSettings = Field(description="The brand closeloop answers for.")
    sla: SlaSettings = Field(
        description="Response-time targets per priority, and the policies that change them for some platforms or "
                    "customer tiers.")
    scoring: ScoringSettings = Field(
        description="How each post is scored: sentiment, whether it needs a person, urgency, priority and topic.")
    routing: RoutingSettings = Field(description="Which agent a new ticket goes to.")
    listener: ListenerSettings = Field(description="Polling the sources.")
    outbox: OutboxSettings = Field(description="Sending replies: how often, how many tries, how long between them.")
    teams: FrozenDict[str, TeamSettings] = Field(
        description="The care teams: their hours, who hears about their tickets and which tickets each takes.")
    escalation: EscalationSettings = Field(description="What a breached target does.")
    alerts: AlertSettings = Field(description="Staff alerts by email and Slack, and how their delivery is retried.")
    followups: FollowupSettings = Field(
        description="Checking back with customers after their ticket is resolved, and thanking them for praise.")
    spikes: SpikeSettings = Field(description="Alerts when a topic's negative posts rise well above their usual level.")
    webhooks: tuple[WebhookSettings, ...] = Field(
        (),
        description="Outgoing webhooks: ticket events POSTed as signed JSON.")
    accounts: FrozenDict[str, AccountSettings] = Field(
        default={}, validate_default=True,
        description="Platform accounts, by name: the platform, its API address and the credentials' references.")
    sources: tuple[SourceSettings, ...] = Field(
        (),
        description="What is polled: each source reads one kind of post from one account.")
    log: LogSettings = Field(LogSettings(), description="The log's format.")
    metrics: MetricsSettings = Field(MetricsSettings(), description="GET /metrics in Prometheus' text format.")
    moderation: ModerationSettings = Field(
        ModerationSettings(),
        description="Who may hide, like and delete comments on the brand's own posts, and the rule that hides some by "
                    "itself.")

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

    @model_validator(mode="after")
    def teams_take_known_topics(self) -> Settings:
        """A misspelt topic would leave a team, private ones too, without the tickets meant for it."""
        for name, team in self.teams.items():
            unknown = [topic for topic in team.topics if topic not in self.scoring.topics]
            if unknown:
                known = ", ".join(self.scoring.topics)
                raise ValueError(f"team {name!r} takes topic {unknown[0]!r}, which is not a topic (topics: {known})")
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
    data = copy.deepcopy(_defaults())
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


@cache
def _defaults() -> dict:
    """The shipped defaults, parsed once: parsing them was two thirds of
    building the settings, which a running process does again whenever its
    config file changes (config.watch)."""
    return _read_toml(DEFAULTS_FILE)


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
            lines.append(f"  {key}: unknown setting{_nearest_key(problem['loc'])}")
        elif problem["loc"] and _exists(data, problem["loc"]) and key not in UNSHOWN:
            value = problem.get("input")
            lines.append(f"  {key} = {value!r}: {message}")
        else:
            lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def _nearest_key(loc: tuple) -> str:
    """': did you mean ...?' naming the known key nearest a misspelt one
    (`timout` for `timeout`), else ': remove it' with the keys allowed there."""
    import difflib
    import typing

    annotation: Any = Settings
    for part in loc[:-1]:
        while typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return ""
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict and len(args) == 2:
            annotation = args[1]
        elif args:
            annotation = args[0]
        else:
            return ""
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return ""
    known = list(annotation.model_fields)
    nearest = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.75)
    if nearest:
        return f": did you mean {'.'.join(str(p) for p in (*loc[:-1], nearest[0]))}?"
    if len(known) <= 12:
        return f": remove it (allowed here: {', '.join(known)})"
    return ": remove it (docs/configuration.md lists every key)"


def _exists(data: Any, loc: tuple) -> bool:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, (list, tuple)) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True
