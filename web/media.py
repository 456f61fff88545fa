"""The photos and videos of posts, passed on from the platform through the
web app (the agent's browser never loads them from the platform): for a
signed-in person, or an API token, that may see the post's ticket.

A file the proxy will not pass on is answered 422 with the reason in
plain text, which the page shows in place of the thumbnail."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, abort, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from listener.media import MediaFile, MediaRefused, open_media, refusal_before_fetching
from store.accounts import agent_for_token
from store.models import Agent, Mention, MentionMedia
from web.access import can_see
from web.context import db_session, now, services

log = logging.getLogger(__name__)

bp = Blueprint("media", __name__)

# The file is shown, never run: a document it might pretend to be gets no
# scripts, plugins or same-origin rights.
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Shown:
    """How the page shows one attached file: the proxied addresses of its
    thumbnail and of the file itself, or why it is not shown."""

    media: MentionMedia
    thumbnail_url: str
    full_url: str
    not_shown: str | None

    @property
    def is_video(self) -> bool:
        return self.media.kind == "video"


def shown(mention: Mention, item: MentionMedia) -> Shown:
    settings = services().settings
    source = item.url or item.preview_url
    why = refusal_before_fetching(settings, mention.platform, source, item.size_bytes)
    if why is None and item.preview_url and item.preview_url != source:
        why = refusal_before_fetching(settings, mention.platform, item.preview_url, None)
    has_thumbnail = bool(item.preview_url) or item.kind != "video"
    return Shown(
        media=item,
        thumbnail_url=url_for("media.file", mention_id=mention.id, position=item.position, variant="thumbnail")
        if has_thumbnail else "",
        full_url=url_for("media.file", mention_id=mention.id, position=item.position, variant="file")
        if item.url else "",
        not_shown=why,
    )


def media_json(mention: Mention) -> list[dict]:
    """A post's media for the API: proxied addresses, never the platform's."""
    out = []
    for item in mention.media:
        view = shown(mention, item)
        out.append({"position": item.position, "kind": item.kind, "alt_text": item.alt_text,
                    "width": item.width, "height": item.height, "size_bytes": item.size_bytes,
                    "url": view.full_url or None, "preview_url": view.thumbnail_url or None,
                    "not_shown": view.not_shown})
    return out


@bp.get("/media/<int:mention_id>/<int:position>/<any(file, thumbnail):variant>")
def file(mention_id: int, position: int, variant: str):
    """The file itself, or the still image that stands for it (a video's
    preview; a photo is its own)."""
    agent = _viewer()
    session = db_session()
    item = session.scalar(select(MentionMedia).where(MentionMedia.mention_id == mention_id,
                                                     MentionMedia.position == position))
    mention = session.scalar(select(Mention).options(selectinload(Mention.ticket))
                             .where(Mention.id == mention_id)) if item else None
    if mention is None or (mention.ticket is not None and not can_see(agent, mention.ticket, services().settings)):
        abort(404, description="No such photo or video.")
    url = item.url if variant == "file" else (item.preview_url or (item.url if item.kind != "video" else ""))
    if not url:
        abort(404, description=f"This {item.kind} has no {'file' if variant == 'file' else 'preview'}.")
    what = f"media {position} of post {mention_id}"
    settings = services().settings
    session.close()
    try:
        why = refusal_before_fetching(settings, mention.platform, url, item.size_bytes if variant == "file" else None)
        if why is not None:
            log.warning("%s on %s not shown: %s", what, mention.platform, why)
            raise MediaRefused(why)
        fetched = open_media(settings, mention.platform, url, what=what)
    except MediaRefused as refusal:
        return _not_shown(refusal.reason)
    return _passed_on(fetched, what)


def _viewer() -> Agent:
    """The signed-in person, or the API token's agent; else 401."""
    if current_user.is_authenticated:
        return current_user.agent
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    agent = agent_for_token(db_session(), token.strip(), now()) if scheme.lower() == "bearer" and token else None
    if agent is None:
        abort(401, description="sign in, or send an API token as 'Authorization: Bearer <token>'")
    db_session().commit()
    return agent


def _passed_on(fetched: MediaFile, what: str) -> Response:
    response = Response(_body(fetched, what), status=200, mimetype=fetched.content_type, direct_passthrough=True)
    if fetched.length is not None:
        response.content_length = fetched.length
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response.call_on_close(fetched.close)
    return response


def _body(fetched: MediaFile, what: str) -> Iterator[bytes]:
    """The body as it arrives; cut short (and logged) when the platform
    sends more than it announced."""
    try:
        yield from fetched.chunks
    except MediaRefused as refusal:
        log.warning("%s cut short: %s", what, refusal.reason)
    finally:
        fetched.close()


def _not_shown(reason: str) -> Response:
    response = Response(f"not shown: {reason}", status=422, mimetype="text/plain")
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["Cache-Control"] = "no-store"
    return response


def init_media(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(shown, "shown_media")
