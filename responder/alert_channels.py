"""The channels an alert reaches staff through: Slack (an incoming webhook,
or the Web API's chat.postMessage, which can thread) and email (web alerts
are read in the app). Each channel is one class with
`send(message)`; whatever goes wrong becomes a DeliveryError, permanent when
trying again cannot help (a revoked webhook, an address the mail server
refuses). Client-library types and exceptions do not leave this module."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from config.clock import Clock
from config.secrets import resolve_secret
from config.settings import AlertSettings
from responder.delivery import DeliveryError, retry_after_seconds

SLACK_SECTION_LIMIT = 3000
# Web API errors that the same call cannot get past by trying again.
SLACK_PERMANENT_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                          "no_permission", "missing_scope", "channel_not_found", "not_in_channel", "is_archived",
                          "user_not_found", "invalid_blocks", "msg_too_long", "no_text", "invalid_arguments",
                          "thread_not_found"}


@dataclass(frozen=True)
class Message:
    """An alert as it was when it was claimed; `link` is absolute."""

    alert_id: int
    recipient: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    # The Slack thread to post in: the first message about its ticket there.
    thread: SlackPost | None = None


@dataclass(frozen=True)
class SlackTarget:
    """Where the Web API posts: a channel ID, or a member ID (Slack then
    uses the app's direct messages with that person)."""

    channel: str
    token: str
    api_url: str = "https://slack.com/api/"


@dataclass(frozen=True)
class SlackPost:
    """A message Slack accepted: the channel it is in and its `ts`, which
    later messages name as their `thread_ts`."""

    channel: str
    ts: str
    # False for a message posted in an earlier one's thread.
    starts_thread: bool = True


class WebChannel:
    def send(self, message: Message) -> None:
        """Web alerts are read from their rows in the app: nothing to send."""


class SlackChannel:
    """The recipient is a team's name or "@" and a person's member ID;
    `target_for` gives a webhook URL or a SlackTarget, and raises
    LookupError when there is none. URLs and tokens are secrets: they
    never appear in an error. `send` answers where the message is when
    Slack says (the Web API), for later ones to thread under it."""

    def __init__(self, target_for: Callable[[str], str | SlackTarget], timeout: float):
        self.target_for = target_for
        self.timeout = timeout

    def send(self, message: Message) -> SlackPost | None:
        target = self._target(message.recipient)
        if isinstance(target, SlackTarget):
            return self._post(target, message)
        # No retry handlers: the outbox retries later instead of sleeping here.
        client = WebhookClient(target, timeout=self.timeout, retry_handlers=[])
        try:
            response = client.send(text=slack_text(message), blocks=slack_blocks(message))
        except OSError as error:  # urllib's URLError, refused connections, timeouts
            raise DeliveryError(f"cannot reach Slack: {getattr(error, 'reason', error)}") from None
        check_slack_answer(response.status_code, response.body, response.headers)
        return None

    def _post(self, target: SlackTarget, message: Message) -> SlackPost:
        client = WebClient(token=target.token, base_url=target.api_url, timeout=int(max(1, self.timeout)),
                           retry_handlers=[])
        thread = message.thread
        try:
            try:
                response = self._call(client, target.channel, message, thread)
            except SlackApiError as error:
                if thread is None or error.response.get("error") != "thread_not_found":
                    raise
                # The first message was deleted: this one starts the conversation again.
                thread = None
                response = self._call(client, target.channel, message, None)
        except SlackApiError as error:
            raise slack_api_refusal(error.response.status_code, error.response.get("error"),
                                    error.response.headers) from None
        except OSError as error:
            raise DeliveryError(f"cannot reach Slack: {getattr(error, 'reason', error)}") from None
        return SlackPost(str(response["channel"]), str(response["ts"]), starts_thread=thread is None)

    @staticmethod
    def _call(client: WebClient, channel: str, message: Message, thread: SlackPost | None):
        return client.chat_postMessage(channel=thread.channel if thread else channel,
                                       thread_ts=thread.ts if thread else None,
                                       text=slack_text(message), blocks=slack_blocks(message), unfurl_links=False)

    def _target(self, name: str) -> str | SlackTarget:
        try:
            target = self.target_for(name)
        except LookupError:
            raise DeliveryError(f"no Slack webhook for {name!r}", permanent=True) from None
        except DeliveryError:
            raise
        except Exception as error:
            raise DeliveryError(f"cannot find the Slack webhook for {name!r}: {error}") from None
        if isinstance(target, SlackTarget):
            return target
        parts = urlsplit(target or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DeliveryError(f"the Slack webhook for {name!r} is not an http(s) URL", permanent=True)
        return target


def slack_escape(text: str) -> str:
    """Slack reads <...> as links and mentions (<!channel> would ping a
    whole channel): untrusted text must not be able to write them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(message: Message) -> str:
    """The short text shown in notifications."""
    subject = slack_escape(message.subject)
    return f"{subject}\n{message.link}" if message.link else subject


def slack_blocks(message: Message) -> list[dict]:
    section = f"*{slack_escape(message.subject)}*\n{slack_escape(message.body)}"
    if len(section) > SLACK_SECTION_LIMIT:
        section = section[:SLACK_SECTION_LIMIT - 1] + "…"
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": section}}]
    if message.link:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open ticket"}, "url": message.link},
        ]})
    return blocks


def check_slack_answer(status: int, body: str, headers: Mapping[str, str]) -> None:
    """429 waits for Retry-After, another 4xx is permanent (invalid_token,
    no_service, channel_is_archived), anything else is tried again."""
    if 200 <= status < 300:
        return
    detail = f"Slack answered {status} {(body or '').strip()[:200]}".rstrip()
    if status == 429:
        raise DeliveryError(detail, retry_after=retry_after_seconds(headers))
    raise DeliveryError(detail, permanent=400 <= status < 500)


def slack_api_refusal(status: int, error: str | None, headers: Mapping[str, str]) -> DeliveryError:
    """The Web API answers 200 with ok=false and an error word, or 429
    (ratelimited) with Retry-After."""
    detail = f"Slack answered {error or status}"
    if status == 429 or error == "ratelimited":
        return DeliveryError(detail, retry_after=retry_after_seconds(headers or {}), may_have_arrived=False)
    return DeliveryError(detail, permanent=error in SLACK_PERMANENT_ERRORS, may_have_arrived=status >= 500)


class EmailChannel:
    """Plain-text mail through the configured SMTP server: 4xx and lost
    connections are tried again, 5xx is permanent."""

    def __init__(self, settings: AlertSettings, clock: Clock):
        self.settings = settings
        self.clock = clock

    def send(self, message: Message) -> None:
        email = self.compose(message)
        try:
            self._submit(email)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise smtp_refusal(code, reply) from None
        except smtplib.SMTPResponseException as error:
            raise smtp_refusal(error.smtp_code, error.smtp_error) from None
        except smtplib.SMTPNotSupportedError as error:
            raise DeliveryError(f"the mail server does not support this: {error}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as error:
            where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
            raise DeliveryError(f"cannot reach the mail server {where}: {error}") from None

    def compose(self, message: Message) -> EmailMessage:
        """The Message-ID is the same on every attempt, so a mail client
        can hide the copy should an alert be sent twice."""
        domain = self.settings.smtp_from.rpartition("@")[2] or "localhost"
        email = EmailMessage()
        try:
            email["From"] = self.settings.smtp_from
            email["To"] = message.recipient
            email["Subject"] = " ".join(message.subject.split())
        except ValueError as error:
            raise DeliveryError(f"cannot write this email: {error}", permanent=True) from None
        email["Date"] = format_datetime(self.clock.now())
        email["Message-ID"] = f"<alert.{message.alert_id}.{message.created_at.timestamp():.0f}@{domain}>"
        email.set_content(f"{message.body}\n\n{message.link}\n" if message.link else f"{message.body}\n")
        return email

    def _submit(self, email: EmailMessage) -> None:
        settings = self.settings
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
        try:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = resolve_secret(settings.smtp_password or "", key="alerts.smtp_password")
                smtp.login(settings.smtp_user, password)
            smtp.send_message(email)
        finally:
            quit_quietly(smtp)


def quit_quietly(smtp: smtplib.SMTP) -> None:
    """Once the message is accepted, a failing QUIT must not make it look unsent."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def smtp_refusal(code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return DeliveryError(f"the mail server answered {code} {text}", permanent=500 <= code < 600)
