"""The photos and videos of the posts listened to, fetched from the
platform when someone looks at them: only from the hosts the platform
serves media from, of a type a browser shows safely, up to the size the
settings allow. A refusal is logged with its reason."""

from __future__ import annotations

import logging
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

import requests

from config.settings import Settings
from connectors.media import MediaFile, MediaHosts, MediaRefused, fetch_media, readable_size
from connectors.registry import media_hosts

log = logging.getLogger(__name__)

__all__ = ["MediaFile", "MediaRefused", "allowed_hosts", "open_media", "refusal_before_fetching"]


# One connection pool for every fetch of this process; platforms' cookies are not kept.
_session = requests.Session()
_session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
# The hosts of each platform for the settings in force, worked out once per settings value.
_hosts: dict[str, tuple[Settings, MediaHosts]] = {}


def allowed_hosts(settings: Settings, platform: str) -> MediaHosts:
    """The platform's media hosts, its accounts' addresses, and for sources
    whose target is an address (review feeds), that address's origin."""
    known = _hosts.get(platform)
    if known is not None and known[0] is settings:
        return known[1]
    hosts = media_hosts(platform, settings.accounts)
    targets = [s.target for s in settings.sources
               if s.account in settings.accounts and settings.accounts[s.account].platform == platform]
    origins = {(p.scheme, p.netloc.lower()) for p in map(urlsplit, targets)
               if p.scheme in ("http", "https") and p.netloc}
    hosts = MediaHosts(hosts.names, hosts.origins | origins)
    _hosts[platform] = (settings, hosts)
    return hosts


def refusal_before_fetching(settings: Settings, platform: str, url: str, size_bytes: int | None) -> str | None:
    """Why the media will not be shown, when that is known without fetching
    it (an address that is not the platform's, a size the platform gave
    above the limit); else None."""
    if not allowed_hosts(settings, platform).allow(url):
        return f"not {platform}'s address"
    if size_bytes is not None and size_bytes > settings.web.media_max_bytes:
        return f"larger than {readable_size(settings.web.media_max_bytes)} ({readable_size(size_bytes)})"
    return None


def open_media(settings: Settings, platform: str, url: str, *, what: str,
               session: requests.Session | None = None) -> MediaFile:
    """The file at `url` on `platform`; MediaRefused (logged, naming `what`
    was asked for) when it is not passed on."""
    try:
        return fetch_media(url, allowed_hosts(settings, platform), max_bytes=settings.web.media_max_bytes,
                           timeout=settings.web.media_timeout_seconds, session=session or _session)
    except MediaRefused as refusal:
        log.warning("%s on %s not shown: %s", what, platform, refusal.reason)
        raise
