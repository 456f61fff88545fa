"""`closeloop check-accounts`: for each enabled source, the connector's
`check_access`: who the credentials sign in as and whether the source's
target is reachable with them, in one or two cheap calls. Nothing is
polled or stored: no post, no cursor, and Reddit's inbox stays unread."""

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
            found = pool.for_account(source.account, platform).check_access(source.kind, source.target, source.query)
        except ConnectorError as error:
            hint = HINTS.get(error.status)
            checks.append(SourceCheck(source.name, source.account, False,
                                      error.message + (f"\n    {hint}" if hint else "")))
            continue
        signed_in = f"signed in as {found.identity}; " if found.identity else ""
        checks.append(SourceCheck(source.name, source.account, found.ok, signed_in + found.detail))
    return checks
