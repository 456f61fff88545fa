"""Which class speaks which platform, imported on first use, and what the
rest of closeloop reads about a platform. Each platform's facts are
declared once, on its connector class: its name, the longest reply and
direct message, the kinds of source it can be listened to for, whether it
can reply and send direct messages.

Adding a platform is one new folder, `connectors/<name>/` (its connector,
parser, emulator part and recorded payloads), and one line naming its
connector class in `config/platforms.py` (there so that every package can
read the platforms' names)."""

import threading
from importlib import import_module

from config.errors import ConfigError
from config.platforms import CONNECTORS
from config.settings import AccountSettings, Settings
from connectors.base import Connector
from connectors.budget import RequestBudget, mount_budget
from connectors.moderation import StoredPost
from connectors.media import MediaHosts, hosts_of


def connector_class(platform: str) -> type:
    try:
        path = CONNECTORS[platform]
    except KeyError:
        raise ValueError(f"no connector for platform {platform!r}") from None
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def account_keys(platform: str) -> tuple[str, ...]:
    """The credentials and options an account of the platform may hold."""
    return connector_class(platform).account_keys


def reply_limit(platform: str) -> int:
    return connector_class(platform).max_reply_length


def weighs_characters(platform: str) -> bool:
    """Whether the platform counts some characters of a reply as more than
    one: its connector class says how (`reply_length`)."""
    return hasattr(connector_class(platform), "reply_length")


def reply_length(platform: str, text: str) -> int:
    """A reply's length as the platform counts it against its limit."""
    return connector_class(platform).reply_length(text) if weighs_characters(platform) else len(text)


def can_message(platform: str) -> bool:
    """Whether the brand can write to a customer by direct message there."""
    return connector_class(platform).can_message


def message_limit(platform: str) -> int:
    return connector_class(platform).max_message_length


def media_hosts(platform: str, accounts: dict[str, AccountSettings]) -> MediaHosts:
    """Where the platform's photos and videos may be fetched from: the hosts
    its connector declares (`media_hosts`; a platform that declares none
    serves them only at its accounts' addresses) and the addresses its
    accounts are pointed at (`base_url`: an emulator)."""
    declared = getattr(connector_class(platform), "media_hosts", ())
    return hosts_of(declared, [a.base_url for a in accounts.values() if a.platform == platform and a.base_url])


def moderation_actions(platform: str) -> frozenset[str]:
    """What closeloop can do to comments under the brand's posts there
    (hide, unhide, like, unlike, delete); empty where it moderates nothing."""
    return getattr(connector_class(platform), "moderation_actions", frozenset())


def why_not_moderated(account: AccountSettings, post: StoredPost) -> str | None:
    """Why this account cannot moderate `post`, or None when it can: only
    comments under the brand's own posts or page can be."""
    if not moderation_actions(account.platform):
        return f"closeloop does not moderate posts on {account.platform}"
    return connector_class(account.platform).why_not_moderated(account, post)


def account_can_reply(account: AccountSettings) -> bool:
    return connector_class(account.platform).replies_with(account)


def check_sources(settings: Settings) -> None:
    """Every source's kind is one its platform's connector offers, with the
    target and query that kind needs; else ConfigError naming the source,
    the value and what is allowed. Run wherever settings are taken in."""
    for source in settings.sources:
        platform = settings.accounts[source.account].platform
        kinds = connector_class(platform).source_kinds
        kind = kinds.get(source.kind)
        if kind is None:
            problem = f"kind {source.kind!r} is not one of {platform}'s: {', '.join(kinds)}"
        elif kind.target is not None and not source.target.strip():
            problem = f"{platform} {source.kind} sources need a target: {kind.target}"
        elif kind.needs_query and not source.query.strip():
            problem = f"{platform} {source.kind} sources need a query"
        else:
            continue
        raise ConfigError(f"invalid configuration:\n  source {source.name!r}: {problem}")


def build_connector(account: AccountSettings, *, timeout: float, name: str = "") -> Connector:
    connector = connector_class(account.platform).from_account(account, timeout=timeout)
    budget = (RequestBudget(f"account {name or account.platform}", account.request_budget,
                            account.budget_window_seconds) if account.request_budget else None)
    mount_budget(connector.session, budget)
    return connector


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
