"""Webhook intake: a platform pushes posts to us. A delivery is checked
against the account's secret before anything is read, stored once (a
delivery may repeat, or overlap a poll), and taken in like a polled batch.
Facebook pages and Instagram accounts deliver alike (one Meta app)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from config.clock import Clock
from config.platforms import LABELS
from config.settings import AccountSettings, ConfigError, Settings
from connectors.base import ConnectorError, InboundPost, MalformedPayload
from connectors.facebook import webhook as page_webhook
from connectors.facebook.webhook import SubscriptionRefused, signature_is_valid, verify_subscription
from connectors.instagram import webhook as instagram_webhook
from connectors.registry import build_connector
from listener.intake import IngestReport, Intake
from listener.quarantine import quarantine_item
from store.db import Database
from store.errors import Refused
from store.models import Identity, Source

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class _Deliveries:
    """How one platform's deliveries are read: the parser, the account key
    naming the brand's id in them, the source kind of a post, and the
    mentions that name only ids (read back through the connector)."""

    parse: Callable
    brand_key: str
    source_kind_of: Callable[[InboundPost], str | None]
    mentions_of: Callable | None = None


DELIVERIES = {
    "facebook": _Deliveries(page_webhook.parse_webhook, "page_id",
                            lambda post: page_webhook.SOURCE_KIND_OF_POST.get(post.kind)),
    "instagram": _Deliveries(instagram_webhook.parse_webhook, "ig_user_id", instagram_webhook.source_kind_of,
                             instagram_webhook.mentions_of),
}


class MetaWebhooks:
    """Takes the settings on every call, so accounts changed in the config
    file apply without a restart."""

    def __init__(self, db: Database, clock: Clock, intake: Intake, platform: str = "facebook"):
        self.db = db
        self.clock = clock
        self.intake = intake
        self.platform = platform
        self.deliveries = DELIVERIES[platform]

    def handshake(self, settings: Settings, account_name: str, params) -> str:
        """Answer Facebook's subscription check with its challenge."""
        account = self._account(settings, account_name)
        try:
            return verify_subscription(params, self._credential(account, "verify_token") or "")
        except SubscriptionRefused as refused:
            raise Refused(str(refused), 403) from None

    def deliver(self, settings: Settings, account_name: str, raw_body: bytes, signature: str | None) -> IngestReport:
        """Check the signature on the raw bytes, then store what is new."""
        account = self._account(settings, account_name)
        app_secret = self._credential(account, "app_secret")
        if not app_secret:
            raise Refused(f"account {account_name!r} has no app_secret to check deliveries with", 403)
        if not signature_is_valid(raw_body, signature, app_secret):
            raise Refused("the X-Hub-Signature-256 header is missing or does not match the body", 403)
        brand_id = self._credential(account, self.deliveries.brand_key) or ""
        try:
            payload = json.loads(raw_body)
            posts, skipped = self.deliveries.parse(payload, brand_id)
            mentioned = self.deliveries.mentions_of(payload, brand_id) if self.deliveries.mentions_of else []
        except (ValueError, MalformedPayload) as error:
            raise Refused(f"the delivery is not a {self.platform} webhook: {error}", 400) from None
        posts += self._mentioned(settings, account, mentioned)
        now = self.clock.now()
        report = IngestReport()
        with self.db.transaction() as session:
            sources = self._sources(session, account_name)
            posts = [_with_known_author(session, post) for post in posts]
            by_source = defaultdict(list)
            for post in posts:
                kind = self.deliveries.source_kind_of(post)
                by_source[sources.get(kind) or next(iter(sources.values()))].append(post)
            for source_id, batch in by_source.items():
                report.add(self.intake.ingest(session, batch, now, source_id=source_id))
            for item in skipped:
                log.warning("%s webhook for %s: quarantined an item: %s", self.platform, account_name, item.reason)
                report.quarantined += quarantine_item(session, self.platform, item, next(iter(sources.values())),
                                                      now)
        return report

    def _mentioned(self, settings: Settings, account: AccountSettings,
                   mentioned: list[tuple[str, str | None]]) -> list[InboundPost]:
        """The posts that mentions name by id, read from the platform. When
        that fails nothing is stored and the platform delivers again."""
        if not mentioned:
            return []
        try:
            connector = build_connector(account, timeout=settings.listener.request_timeout_seconds)
            batches = [connector.fetch_mentioned(media_id, comment_id) for media_id, comment_id in mentioned]
        except ConnectorError as error:
            raise Refused(f"the mentions in the delivery could not be read: {error.message}", 503) from None
        return [post for batch in batches for post in batch.posts]

    def _account(self, settings: Settings, name: str) -> AccountSettings:
        account = settings.accounts.get(name)
        if account is None or account.platform != self.platform:
            raise Refused(f"there is no {self.platform} account {name!r}", 404)
        return account

    @staticmethod
    def _credential(account: AccountSettings, key: str) -> str | None:
        try:
            return account.credential(key)
        except ConfigError as error:
            raise Refused(f"the account's {key} cannot be read: {error}", 503) from None

    def _sources(self, session, account_name: str) -> dict[str, int]:
        """The account's enabled sources by kind; a delivery needs one."""
        rows = session.execute(select(Source.kind, Source.id).where(
            Source.credentials_ref == account_name, Source.enabled.is_(True)).order_by(Source.id)).all()
        if not rows:
            raise Refused(f"no enabled {self.platform} source uses account {account_name!r}", 404)
        return {kind: source_id for kind, source_id in reversed(rows)}


def _with_known_author(session, post: InboundPost) -> InboundPost:
    """A direct message delivered by webhook names its sender by id only:
    the name stored for that id is kept (a poll of the conversations gives
    it), or the sender is named by the id until one does."""
    author = post.author
    if author.handle or author.name:
        return post
    known = session.scalar(select(Identity).where(Identity.platform == post.platform,
                                                  Identity.platform_user_id == author.platform_user_id))
    if known is not None:
        named = dataclasses.replace(author, handle=known.handle, name=known.name, followers=known.followers,
                                    verified=known.verified)
    else:
        label = f"{LABELS.get(post.platform, post.platform)} user {author.platform_user_id}"
        named = dataclasses.replace(author, name=label)
    return dataclasses.replace(post, author=named)
