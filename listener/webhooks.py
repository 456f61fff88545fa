"""Webhook intake: a platform pushes posts to us. A delivery is checked
against the account's secret before anything is read, stored once (a
delivery may repeat, or overlap a poll), and taken in like a polled batch."""

from __future__ import annotations

import json
import logging
from collections import defaultdict

from sqlalchemy import select

from config.clock import Clock
from config.settings import AccountSettings, ConfigError, Settings
from connectors.base import MalformedPayload
from connectors.facebook.webhook import (SOURCE_KIND_OF_POST, SubscriptionRefused, parse_webhook, signature_is_valid,
                                         verify_subscription)
from listener.intake import IngestReport, Intake
from listener.quarantine import quarantine_item
from store.db import Database
from store.errors import Refused
from store.models import Source

log = logging.getLogger(__name__)

class FacebookWebhooks:
    """Takes the settings on every call, so accounts changed in the config
    file apply without a restart."""

    def __init__(self, db: Database, clock: Clock, intake: Intake):
        self.db = db
        self.clock = clock
        self.intake = intake

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
        try:
            posts, skipped = parse_webhook(json.loads(raw_body), self._credential(account, "page_id") or "")
        except (ValueError, MalformedPayload) as error:
            raise Refused(f"the delivery is not a page webhook: {error}", 400) from None
        now = self.clock.now()
        report = IngestReport()
        with self.db.transaction() as session:
            sources = self._sources(session, account_name)
            by_source = defaultdict(list)
            for post in posts:
                kind = SOURCE_KIND_OF_POST.get(post.kind)
                by_source[sources.get(kind) or next(iter(sources.values()))].append(post)
            for source_id, batch in by_source.items():
                report.add(self.intake.ingest(session, batch, now, source_id=source_id))
            for item in skipped:
                log.warning("facebook webhook for %s: quarantined an item: %s", account_name, item.reason)
                report.quarantined += quarantine_item(session, "facebook", item, next(iter(sources.values())), now)
        return report

    @staticmethod
    def _account(settings: Settings, name: str) -> AccountSettings:
        account = settings.accounts.get(name)
        if account is None or account.platform != "facebook":
            raise Refused(f"there is no facebook account {name!r}", 404)
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
            raise Refused(f"no enabled facebook source uses account {account_name!r}", 404)
        return {kind: source_id for kind, source_id in reversed(rows)}
