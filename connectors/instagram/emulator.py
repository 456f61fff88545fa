"""The Instagram Graph API as the Instagram connector uses it, under
/instagram and any version prefix (`/instagram/v27.0/...`; an Instagram
account's base_url in the emulator ends in /instagram): the account with
its mentioned_media and mentioned_comment fields, its media and the media
it is tagged in, comments with their replies (read and written), answers
to mentions, and its direct messages (`emulator_messenger`'s part with
platform=instagram); plus control endpoints under /_emulator/instagram/
to post media, comments and mentions, list them and send signed webhook
deliveries.

Like Instagram it leaves `from` out of a comment whose author is
restricted (and the username too where asked), answers errors in Graph's
shape and pages with `after` cursors."""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, jsonify, request

from connectors.emulator.app import control_error, emulator, iso_time, json_body, utc_now
from connectors.facebook.emulator import (GraphError, Person, check_call, created_time, graph_error,
                                          graph_time, make_cursor, read_cursor, whole_number)
from connectors.facebook.emulator_messenger import Brand, messaging_part, signed_delivery

PLATFORM = "instagram"
PREFIX = "/instagram"
IG_USER_ID = "17841400000000001"
MAX_TEXT_LENGTH = 2200
MAX_MESSAGE_LENGTH = 1000
MAX_LIMIT = 100
DEFAULT_LIMIT = 25
MEDIA_TYPES = ("IMAGE", "VIDEO", "CAROUSEL_ALBUM")
INSTAGRAM_URL = "https://www.instagram.com/"
MEDIA_FIELDS = ("id", "caption", "media_type", "media_url", "thumbnail_url", "permalink", "timestamp", "username",
                "comments_count", "like_count", "owner", "children", "comments", "media_product_type")
COMMENT_FIELDS = ("id", "text", "timestamp", "username", "from", "parent_id", "like_count", "replies", "media",
                  "hidden")
USER_FIELDS = ("id", "username", "name", "mentioned_media", "mentioned_comment", "media_count")
USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")


@dataclass(frozen=True)
class Media:
    id: str
    seq: int
    owner: Person
    caption: str
    media_type: str
    media_url: str
    created_at: datetime
    tags_brand: bool = False


@dataclass(frozen=True)
class Comment:
    """`restricted`: Instagram shows the comment without `from` (True),
    or without `from` and with a null username ("all")."""

    id: str
    seq: int
    media_id: str
    author: Person
    text: str
    created_at: datetime
    parent_id: str | None = None
    restricted: bool | str = False


class InstagramState:
    """The account, people, media and comments; hold `lock` to read or write."""

    def __init__(self, brand_handle: str, brand_name: str):
        self.lock = threading.RLock()
        self.account = Person(IG_USER_ID, brand_handle)
        self.brand_name = brand_name
        self._seq = itertools.count(1)
        self._media_numbers = itertools.count(17900000000000001)
        self._comment_numbers = itertools.count(17800000000000001)
        self._user_numbers = itertools.count(6000001)
        self._people: dict[str, Person] = {IG_USER_ID: self.account}
        self._ids_by_name: dict[str, str] = {brand_handle: IG_USER_ID}
        self.media: dict[str, Media] = {}
        self.comments: dict[str, Comment] = {}
        # Comments the account hid (emulator_moderation).
        self.hidden: set[str] = set()

    def person(self, username: str | None, person_id: str | None = None) -> Person:
        with self.lock:
            person_id = person_id or self._ids_by_name.get(username) or str(next(self._user_numbers))
            known = self._people.get(person_id)
            self._people[person_id] = Person(person_id, username or (known.name if known else f"user{person_id}"))
            self._ids_by_name[self._people[person_id].name] = person_id
            return self._people[person_id]

    def add_media(self, owner: Person, caption: str, media_type: str, media_url: str, tags_brand: bool,
                  created_at: datetime | None = None) -> Media:
        with self.lock:
            media = Media(str(next(self._media_numbers)), next(self._seq), owner, caption, media_type, media_url,
                          created_at or utc_now(), tags_brand)
            self.media[media.id] = media
            return media

    def add_comment(self, media_id: str, author: Person, text: str, parent_id: str | None = None,
                    created_at: datetime | None = None, restricted: bool | str = False) -> Comment:
        """A reply to a reply is filed under the comment it answers, as Instagram does."""
        with self.lock:
            parent = self.comments.get(parent_id or "")
            if parent is not None and parent.parent_id:
                parent_id = parent.parent_id
            comment = Comment(str(next(self._comment_numbers)), next(self._seq), media_id, author, text,
                              created_at or utc_now(), parent_id, restricted)
            self.comments[comment.id] = comment
            return comment

    def top_level(self, media_id: str) -> list[Comment]:
        return [c for c in self._ordered() if c.media_id == media_id and c.parent_id is None]

    def replies(self, comment_id: str) -> list[Comment]:
        return [c for c in self._ordered() if c.parent_id == comment_id]

    def _ordered(self) -> list[Comment]:
        return sorted(self.comments.values(), key=lambda c: (c.created_at, c.seq))


def create_state(brand_handle: str, brand_name: str) -> InstagramState:
    return InstagramState(brand_handle, brand_name)


def ig_state() -> InstagramState:
    return emulator().platforms[PLATFORM]


api = Blueprint("instagram_api", __name__, url_prefix=PREFIX)
control = Blueprint("instagram_control", __name__, url_prefix=f"/_emulator/{PLATFORM}")
api.before_request(lambda: check_call(PLATFORM))
api.register_error_handler(GraphError, graph_error)


def _brand() -> Brand:
    state = ig_state()
    return Brand("instagram", "instagram", IG_USER_ID, state.brand_name, state.account.name, MAX_MESSAGE_LENGTH,
                 False, state.person)


blueprints = (api, control, *messaging_part(_brand, PLATFORM, PREFIX))


def missing(object_id: str) -> GraphError:
    verb = "get" if request.method == "GET" else "post"
    return GraphError(400, f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
                           "loaded due to missing permissions, or does not support this operation. Please read the "
                           "Graph API documentation at https://developers.facebook.com/docs/graph-api",
                      100, kind="GraphMethodException", subcode=33)


def split_fields(raw: str) -> list[str]:
    """Top-level names of a fields list, sub-selections kept with them."""
    names, depth, current = [], 0, ""
    for char in raw + ",":
        if char == "," and depth == 0:
            if current.strip():
                names.append(current.strip())
            current = ""
            continue
        depth += (char in "{(") - (char in "})")
        current += char
    return names


def asked(known: tuple[str, ...], defaults: tuple[str, ...], raw: str | None = None) -> list[str]:
    raw = request.args.get("fields") if raw is None else raw
    if raw is None:
        return list(defaults)
    fields = split_fields(raw)
    for field in fields:
        name = re.split(r"[{.(]", field)[0]
        if name not in known:
            raise GraphError(400, f"(#100) Tried accessing nonexisting field ({name})", 100)
    return fields


def sub_fields(field: str) -> str | None:
    """`replies{id,text}` -> "id,text"; None without a selection."""
    start = field.find("{")
    return field[start + 1:field.rfind("}")] if start >= 0 else None


def permalink(media: Media) -> str:
    return f"{INSTAGRAM_URL}p/{media.id[-11:]}/"


def media_json(state: InstagramState, media: Media, fields: list[str]) -> dict:
    full = {"id": media.id, "caption": media.caption, "media_type": media.media_type, "permalink": permalink(media),
            "timestamp": graph_time(media.created_at), "username": media.owner.name,
            "comments_count": len(state.top_level(media.id)) + sum(len(state.replies(c.id))
                                                                   for c in state.top_level(media.id)),
            "like_count": 0, "media_product_type": "FEED"}
    if media.media_url:
        full["media_url"] = media.media_url
    if media.media_type == "VIDEO" and media.media_url:
        full["thumbnail_url"] = media.media_url + ".jpg"
    if media.owner.id == IG_USER_ID:
        full["owner"] = {"id": IG_USER_ID}
    out = {}
    for field in fields:
        name = re.split(r"[{.(]", field)[0]
        if name == "children":
            if media.media_type == "CAROUSEL_ALBUM":
                child = {"media_type": "IMAGE", "media_url": media.media_url, "id": media.id + "1"}
                out["children"] = {"data": [child, {**child, "id": media.id + "2"}]}
        elif name == "comments":
            chosen = asked(COMMENT_FIELDS, ("id", "text", "timestamp"), sub_fields(field) or "id,text,timestamp")
            out["comments"] = {"data": [comment_json(state, c, chosen) for c in reversed(state.top_level(media.id))]}
        elif name in full:
            out[name] = full[name]
    return out


def comment_json(state: InstagramState, comment: Comment, fields: list[str]) -> dict:
    full = {"id": comment.id, "text": comment.text, "timestamp": graph_time(comment.created_at), "like_count": 0,
            "media": {"id": comment.media_id}, "hidden": comment.id in state.hidden}
    full["username"] = None if comment.restricted == "all" else comment.author.name
    if not comment.restricted:
        full["from"] = {"id": comment.author.id, "username": comment.author.name}
    if comment.parent_id:
        full["parent_id"] = comment.parent_id
    out = {}
    for field in fields:
        name = re.split(r"[{.(]", field)[0]
        if name == "replies" and not comment.parent_id:
            chosen = asked(COMMENT_FIELDS, ("id", "text", "timestamp"), sub_fields(field) or "id,text,timestamp")
            out["replies"] = {"data": [comment_json(state, r, chosen) for r in state.replies(comment.id)]}
        elif name == "media" and sub_fields(field):
            media = state.media.get(comment.media_id)
            out["media"] = media_json(state, media, split_fields(sub_fields(field))) if media else full["media"]
        elif name in full:
            out[name] = full[name]
    return out


def page_of(items: list, render) -> dict:
    """One page of items (already newest first), paged with after cursors."""
    limit = whole_number("limit")
    if limit is not None and limit < 1:
        raise GraphError(400, "(#100) The parameter limit must be a positive integer", 100)
    limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    after = read_cursor("after")
    if after is not None:
        position = next((n for n, item in enumerate(items) if item.seq == after[1]), None)
        items = items[position + 1:] if position is not None else []
    page = items[:limit]
    if not page:
        return {"data": []}
    paging: dict = {"cursors": {"before": make_cursor(page[0]), "after": make_cursor(page[-1])}}
    if len(items) > limit:
        args = {k: v for k, v in request.args.items() if k != "after"}
        paging["next"] = f"{request.base_url}?{urlencode({**args, 'after': make_cursor(page[-1])})}"
    return {"data": [render(item) for item in page], "paging": paging}


def newest_first(items) -> list:
    return sorted(items, key=lambda i: (i.created_at, i.seq), reverse=True)


@api.get("/<graph_version:version>/<object_id>")
def graph_object(version: str, object_id: str):
    state = ig_state()
    with state.lock:
        if object_id == IG_USER_ID:
            return jsonify(account_json(state, asked(USER_FIELDS, ("id", "username"))))
        if object_id in state.media:
            return jsonify(media_json(state, state.media[object_id], asked(MEDIA_FIELDS, ("id",))))
        if object_id in state.comments:
            fields = asked(COMMENT_FIELDS, ("id", "text", "timestamp"))
            return jsonify(comment_json(state, state.comments[object_id], fields))
        raise missing(object_id)


def account_json(state: InstagramState, fields: list[str]) -> dict:
    """The account, with mentioned_media.media_id(X){...} and
    mentioned_comment.comment_id(X){...} read as Instagram does."""
    out = {}
    for field in fields:
        found = re.fullmatch(r"(mentioned_media|mentioned_comment)\.(media_id|comment_id)\(([0-9]+)\)(\{.*\})?", field)
        if found:
            out[found[1]] = mentioned(state, found[1], found[3], sub_fields(field))
        elif field in ("mentioned_media", "mentioned_comment"):
            raise GraphError(400, f"(#100) {field} needs {field}.{'media_id' if 'media' in field else 'comment_id'}"
                                  "(<id>)", 100)
        elif field in ("id", "username", "name", "media_count"):
            out[field] = {"id": IG_USER_ID, "username": state.account.name, "name": state.brand_name,
                          "media_count": sum(m.owner.id == IG_USER_ID for m in state.media.values())}[field]
    return out


def mentioned(state: InstagramState, field: str, object_id: str, selection: str | None) -> dict:
    if field == "mentioned_media":
        media = state.media.get(object_id)
        if media is None or not media.tags_brand:
            raise GraphError(400, "(#100) The media was not found or does not mention the account", 100,
                             subcode=2108006)
        return media_json(state, media, asked(MEDIA_FIELDS, ("id",), selection or "id"))
    comment = state.comments.get(object_id)
    if comment is None or f"@{state.account.name}" not in comment.text:
        raise GraphError(400, "(#100) The comment was not found or does not mention the account", 100,
                         subcode=2108006)
    return comment_json(state, comment, asked(COMMENT_FIELDS, ("id",), selection or "id"))


@api.get("/<graph_version:version>/<object_id>/media")
def account_media(version: str, object_id: str):
    return _account_media(object_id, lambda m: m.owner.id == IG_USER_ID)


@api.get("/<graph_version:version>/<object_id>/tags")
def tagged_media(version: str, object_id: str):
    return _account_media(object_id, lambda m: m.tags_brand and m.owner.id != IG_USER_ID)


def _account_media(object_id: str, keep):
    state = ig_state()
    with state.lock:
        if object_id != IG_USER_ID:
            raise missing(object_id)
        fields = asked(MEDIA_FIELDS, ("id",))
        found = newest_first(m for m in state.media.values() if keep(m))
        return jsonify(page_of(found, lambda m: media_json(state, m, fields)))


@api.get("/<graph_version:version>/<object_id>/comments")
def media_comments(version: str, object_id: str):
    state = ig_state()
    with state.lock:
        if object_id not in state.media:
            raise missing(object_id)
        fields = asked(COMMENT_FIELDS, ("id", "text", "timestamp"))
        found = newest_first(state.top_level(object_id))
        return jsonify(page_of(found, lambda c: comment_json(state, c, fields)))


@api.get("/<graph_version:version>/<object_id>/replies")
def comment_replies(version: str, object_id: str):
    state = ig_state()
    with state.lock:
        if object_id not in state.comments:
            raise missing(object_id)
        fields = asked(COMMENT_FIELDS, ("id", "text", "timestamp"))
        return jsonify(page_of(state.replies(object_id), lambda c: comment_json(state, c, fields)))


def _message() -> str:
    message = request.form.get("message", request.args.get("message"))
    if not isinstance(message, str) or not message.strip():
        raise GraphError(400, "(#100) The parameter message is required", 100)
    if len(message) > MAX_TEXT_LENGTH:
        raise GraphError(400, f"(#100) The comment can have at most {MAX_TEXT_LENGTH} characters", 100,
                         subcode=2207007)
    return message


@api.post("/<graph_version:version>/<object_id>/replies")
def reply(version: str, object_id: str):
    """Reply as the account under a comment on its media."""
    message = _message()
    state = ig_state()
    with state.lock:
        comment = state.comments.get(object_id)
        if comment is None:
            raise missing(object_id)
        made = state.add_comment(comment.media_id, state.account, message, parent_id=comment.id)
    return jsonify({"id": made.id})


@api.post("/<graph_version:version>/<object_id>/mentions")
def answer_mention(version: str, object_id: str):
    """Comment as the account on media it is tagged in, or reply to a
    comment that mentions it."""
    message = _message()
    state = ig_state()
    with state.lock:
        if object_id != IG_USER_ID:
            raise missing(object_id)
        media = state.media.get(request.form.get("media_id", ""))
        if media is None:
            raise GraphError(400, "(#100) The parameter media_id is required and must be a media the account "
                                  "is mentioned in", 100)
        comment_id = request.form.get("comment_id")
        if comment_id is not None and state.comments.get(comment_id) is None:
            raise missing(comment_id)
        made = state.add_comment(media.id, state.account, message, parent_id=comment_id)
    return jsonify({"id": made.id})


@api.route("/<graph_version:version>/<path:rest>", methods=["GET", "POST", "DELETE"])
def unknown_path(version: str, rest: str):
    raise GraphError(400, f"Unknown path components: /{rest}", 2500)


def _author(body: dict, state: InstagramState) -> Person | str:
    author = body.get("author")
    if author is None:
        return state.account
    if not isinstance(author, dict):
        return "author must be an object with a username and optionally an id"
    username, author_id = author.get("username"), author.get("id")
    if author_id is not None and (not isinstance(author_id, str) or not re.fullmatch(r"[0-9]{1,20}", author_id)):
        return "author.id must be a string of 1 to 20 digits"
    if author_id is None and (not isinstance(username, str) or not USERNAME.match(username)):
        return "author.username must be 1 to 30 letters, digits, dots or underscores"
    return state.person(username, author_id)


@control.post("/posts")
def add_post():
    """A comment (kind "comment", the default: on `in_reply_to`, a media or
    comment id, else the account's newest media, made when there is none),
    a media of the account or a customer's (kind "media", `tags_brand`
    to tag the account), or a customer's media that tags the account
    (kind "mention"). `restricted` hides a comment's `from` (true) or its
    username too ("all"); `created_time`
    dates it in the past. Answers the id the connector knows it by."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    kind = body.get("kind", "comment")
    if kind not in ("comment", "media", "mention"):
        return control_error(f"kind must be comment, media or mention, not {kind!r}")
    text = body.get("text", "")
    if not isinstance(text, str) or len(text) > MAX_TEXT_LENGTH:
        return control_error(f"text must be a string of at most {MAX_TEXT_LENGTH} characters")
    moment, problem = created_time(body)
    if problem:
        return control_error(problem)
    state = ig_state()
    with state.lock:
        author = _author(body, state)
        if isinstance(author, str):
            return control_error(author)
        if kind == "comment":
            return _add_comment(state, body, author, text, moment)
        media_type, url = body.get("media_type", "IMAGE"), body.get("media_url", "")
        if media_type not in MEDIA_TYPES or not isinstance(url, str):
            return control_error(f"media_type must be one of {', '.join(MEDIA_TYPES)} and media_url a string")
        tags = kind == "mention" or body.get("tags_brand") is True
        if kind == "mention" and author.id == IG_USER_ID:
            return control_error("a mention is a customer's media: give an author")
        media = state.add_media(author, text, media_type, url, tags, moment)
    return jsonify({"id": f"mention_{media.id}" if kind == "mention" else media.id, "media_id": media.id}), 201


def _add_comment(state: InstagramState, body: dict, author: Person, text: str, moment: datetime | None):
    if not text.strip():
        return control_error("a comment needs a text")
    target = body.get("in_reply_to")
    parent = None
    if target is None:
        own = newest_first(m for m in state.media.values() if m.owner.id == IG_USER_ID)
        media = own[0] if own else state.add_media(state.account, "", "IMAGE", "", False)
    elif target in state.media:
        media = state.media[target]
    elif target in state.comments:
        parent = state.comments[target]
        media = state.media[parent.media_id]
    else:
        return control_error(f"in_reply_to {target!r} is not a known media or comment")
    restricted = body.get("restricted", False)
    if restricted not in (True, False, "all"):
        return control_error("restricted must be true, false or \"all\"")
    comment = state.add_comment(media.id, author, text, parent.id if parent else None, moment, restricted)
    return jsonify({"id": comment.id, "media_id": media.id}), 201


@control.get("/posts")
def list_posts():
    """Media and comments, oldest first, in the shape the post page reads."""
    state = ig_state()
    with state.lock:
        shown = {m.id: (f"mention_{m.id}" if m.tags_brand and m.owner.id != IG_USER_ID else m.id)
                 for m in state.media.values()}
        items = [{"id": shown[m.id], "kind": "post", "text": m.caption, "media_url": m.media_url,
                  "media_type": m.media_type, "author": {"name": m.owner.name, "handle": m.owner.name},
                  "in_reply_to": None, "created_at": iso_time(m.created_at), "by_brand": m.owner.id == IG_USER_ID,
                  "_at": (m.created_at, m.seq)} for m in state.media.values()]
        items += [{"id": c.id, "kind": "reply" if c.parent_id else "comment", "text": c.text,
                   "author": {"name": "" if c.restricted == "all" else c.author.name,
                              "handle": "" if c.restricted == "all" else c.author.name},
                   "in_reply_to": c.parent_id or shown[c.media_id], "post_id": shown[c.media_id],
                   "created_at": iso_time(c.created_at), "by_brand": c.author.id == IG_USER_ID,
                   "hidden": c.id in state.hidden, "_at": (c.created_at, c.seq)} for c in state.comments.values()]
    items.sort(key=lambda item: item.pop("_at"))
    return jsonify({"posts": items})


@control.post("/webhook-deliveries")
def deliver_webhook():
    """POST a signed `object: "instagram"` delivery to `url`: a `comments`
    change for each comment id in `post_ids`, a `mentions` change for each
    mention id ("mention_<media id>") or a comment that mentions the account."""
    body = json_body()
    if body is None:
        return control_error("the body must be a JSON object")
    ids = body.get("post_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return control_error("post_ids must be a non-empty list of comment or mention ids")
    state = ig_state()
    changes = []
    with state.lock:
        for item_id in ids:
            change = _change(state, item_id)
            if change is None:
                return control_error(f"unknown comment or mention id: {item_id}")
            changes.append(change)
    if not isinstance(body.get("url"), str) or not re.match(r"^https?://[^/\s]+", body["url"]):
        return control_error("url must be an http:// or https:// address")
    delivery = {"object": "instagram", "entry": [{"id": IG_USER_ID, "time": int(utc_now().timestamp()),
                                                  "changes": changes}]}
    return signed_delivery(body["url"], delivery, body)


def _change(state: InstagramState, item_id: str) -> dict | None:
    if item_id.startswith("mention_") and item_id[len("mention_"):] in state.media:
        return {"field": "mentions", "value": {"media_id": item_id[len("mention_"):]}}
    comment = state.comments.get(item_id)
    if comment is None:
        return None
    if comment.author.id != IG_USER_ID and state.media[comment.media_id].owner.id != IG_USER_ID:
        return {"field": "mentions", "value": {"media_id": comment.media_id, "comment_id": comment.id}}
    value = {"from": {"id": comment.author.id, "username": comment.author.name},
             "media": {"id": comment.media_id, "media_product_type": "FEED"}, "id": comment.id, "text": comment.text}
    if comment.parent_id:
        value["parent_id"] = comment.parent_id
    return {"field": "comments", "value": value}
