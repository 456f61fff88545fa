"""`closeloop check-accounts`: each enabled source read once through its
connector with the configured credentials, before going live. Nothing is
stored: no post, no cursor, and Reddit's inbox stays unread."""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import Settings
from connectors.base import ConnectorError
from connectors.registry import ConnectorPool

HINTS = {
    401: "the platform does not accept these credentials: a token that is wrong, expired or revoked",
    403: "the credentials are accepted but lack a permission or access tier this source needs "
         "(docs/production.md lists them per platform)",
    429: "the account is over its rate limit now; try again later",
}


@dataclass(frozen=True)
class SourceCheck:
    source: str
    account: str
    ok: bool
    detail: str


def check_accounts(settings: Settings) -> list[SourceCheck]:
    pool = ConnectorPool(settings.accounts, timeout=settings.listener.request_timeout_seconds)
    checks = []
    for source in settings.sources:
        if not source.enabled:
            continue
        platform = settings.accounts[source.account].platform
        try:
            batch = pool.for_account(source.account, platform).fetch(source.kind, source.target, None, source.query)
        except ConnectorError as error:
            hint = HINTS.get(error.status)
            checks.append(SourceCheck(source.name, source.account, False,
                                      f"{error.message}" + (f"\n    {hint}" if hint else "")))
            continue
        found = f"{len(batch.posts)} post(s) readable"
        if batch.errors:
            found += f"; the platform also said: {'; '.join(batch.errors)}"
        checks.append(SourceCheck(source.name, source.account, True, found))
    return checks
