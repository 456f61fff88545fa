"""Which class speaks which platform, imported on first use."""

import threading
from importlib import import_module

from config.settings import AccountSettings
from connectors.base import Connector
from connectors.budget import RequestBudget, mount_budget

CONNECTORS = {
    "x": "connectors.x.connector:XConnector",
    "facebook": "connectors.facebook.connector:FacebookConnector",
    "reddit": "connectors.reddit.connector:RedditConnector",
    "reviews": "connectors.reviews.connector:ReviewFeedConnector",
}

# Longest reply each platform accepts, in characters.
REPLY_LIMITS = {"x": 280, "facebook": 8000, "reddit": 10000, "reviews": 4000}
# Longest direct message, on the platforms where the brand can send one.
MESSAGE_LIMITS = {"x": 10000}


def connector_class(platform: str) -> type:
    try:
        path = CONNECTORS[platform]
    except KeyError:
        raise ValueError(f"no connector for platform {platform!r}") from None
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def build_connector(account: AccountSettings, *, timeout: float, name: str = "") -> Connector:
    connector = connector_class(account.platform).from_account(account, timeout=timeout)
    budget = (RequestBudget(f"account {name or account.platform}", account.request_budget,
                            account.budget_window_seconds) if account.request_budget else None)
    mount_budget(connector.session, budget)
    return connector


def reply_limit(platform: str) -> int:
    return REPLY_LIMITS[platform]


def can_message(platform: str) -> bool:
    """Whether the brand can write to a customer by direct message there."""
    return connector_class(platform).can_message


def message_limit(platform: str) -> int:
    return MESSAGE_LIMITS[platform]


def account_can_reply(account: AccountSettings) -> bool:
    return connector_class(account.platform).replies_with(account)


class ConnectorPool:
    """Connectors built once per account and shared by polling and sending."""

    def __init__(self, accounts: dict[str, AccountSettings], *, timeout: float):
        self.accounts = accounts
        self.timeout = timeout
        self._built: dict[str, Connector] = {}
        self._lock = threading.Lock()

    def update(self, accounts: dict[str, AccountSettings]) -> None:
        """Take new account settings; connectors of changed or removed
        accounts are built again on next use."""
        with self._lock:
            for name in list(self._built):
                if accounts.get(name) != self.accounts.get(name):
                    del self._built[name]
            self.accounts = accounts

    def for_account(self, name: str | None, platform: str) -> Connector:
        """The connector of account `name`, or of the first account on
        `platform` when no account is named."""
        if name is None:
            name = next((n for n, a in self.accounts.items() if a.platform == platform), None)
        if name not in self.accounts:
            raise KeyError(f"no account {name!r} for platform {platform!r} in the config")
        with self._lock:
            if name not in self._built:
                self._built[name] = build_connector(self.accounts[name], timeout=self.timeout, name=name)
            return self._built[name]
