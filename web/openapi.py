"""The OpenAPI 3.1 description of the JSON API, served without a token at
GET /api/v1/openapi.json.

OPERATIONS holds one entry per route under /api/v1, keyed by method and path
as OpenAPI writes them (`{ticket_id}` for Flask's `<int:ticket_id>`): adding
a route is adding its entry, and tests/integration/test_openapi.py fails
while a route has no entry or an entry no route. `api_description()` adds
what every entry shares: the path parameters (whole numbers), the bearer
token and the JSON errors.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify

from config.platforms import PLATFORMS
from config.settings import MAX_LOOK_BACK_DAYS, MAX_TARGET_MINUTES, TEMPLATE_PLACEHOLDERS
from store.models import (INCIDENT_STATUSES, MEDIA_KINDS, PRESENCES, PRIORITIES, REPLY_CHANNELS, REPLY_STATUSES,
                          ROLES, TICKET_STATUSES)
from store.models import MODERATION_ACTIONS, MODERATION_STATUSES
from store.moderation import MAX_REASON
from store.outcomes import OUTCOME_GROUPINGS
from store.queries import COUNT_CAP, TEXT_COUNT_CAP
from store.reports import AT_RISK_SHOWN
from store.sla_figures import GROUPINGS
from store.users import MAX_CAPACITY
from store.trends import TREND_GROUPINGS
from store.accounts import EMAIL_LENGTH
from store.canned import MAX_BODY as CANNED_BODY, MAX_TITLE as CANNED_TITLE
from store.customers import TIERS
from store.incidents import MAX_KEYWORD, MAX_KEYWORDS, MAX_TITLE as INCIDENT_TITLE
from store.users import NAME_LENGTH
from store.views import MAX_NAME as VIEW_NAME, MAX_QUERY as VIEW_QUERY
from listener.sentiment_model import LABELS
from web.bulk import BULK_ACTIONS, MAX_BULK
from web.filters import MAX_ID, MAX_LIMIT, MAX_TEXT, MAX_TICKET_OFFSET, MIN_INT
from web.incidents import MAX_LINKED_AT_ONCE

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
NUMBER: Schema = {"type": "number"}
TIME: Schema = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601"}
ANY_OBJECT: Schema = {"type": "object", "additionalProperties": True}


# What every string the server takes in must match: the databases cannot store a NUL character.
NO_NUL = "^[^\\x00]*$"
# The same, with at least one character that is not white space.
NOT_BLANK = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
# An address as store/users.py takes it: something, @, something, no white space (as Python counts it).
SPACE_OR_AT = "@\\x00-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
EMAIL_PATTERN = f"^[^{SPACE_OR_AT}]+@[^{SPACE_OR_AT}]+$"
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
MOMENT: Schema = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}


def text(max_length: int | None = None, *, blank: bool = True) -> Schema:
    """A string the server takes in, at most `max_length` characters; not
    `blank` means it needs a character besides white space."""
    schema: Schema = {"type": "string", "pattern": NO_NUL if blank else NOT_BLANK}
    if not blank:
        schema["minLength"] = 1
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def template(max_length: int | None = None, *, note: str = "") -> Schema:
    """Text with {placeholders} (see config/settings.py), a brace itself
    written twice, and something besides white space; at most
    `max_length` characters, when given. `note` adds to the description
    what the schema cannot say."""
    placeholder = "\\{(?:" + "|".join(TEMPLATE_PLACEHOLDERS) + ")\\}|\\{\\{|\\}\\}"
    piece, seen = f"(?:[^{{}}\\x00]|{placeholder})", f"(?:[^{{}}\\s\\x00]|{placeholder})"
    schema: Schema = {"type": "string", "minLength": 1, "pattern": f"^{piece}*{seen}{piece}*$",
                      "description": f"Placeholders: {', '.join('{' + p + '}' for p in TEMPLATE_PLACEHOLDERS)}"
                                     f"{'; ' + note if note else ''}"}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def choice_list(values: tuple[str, ...]) -> Schema:
    """A query parameter of one value or several separated by commas."""
    return {"type": "array", "items": enum_of(values), "minItems": 1}


def strict(schema: Schema) -> Schema:
    """A request's schema as strict as the server: objects take no other
    properties, whole numbers fit the database's integers and strings hold
    no NUL character, unless the schema says otherwise already."""
    if not isinstance(schema, dict):
        return schema
    out = {key: [strict(s) for s in value] if key in ("anyOf", "oneOf", "allOf") else
           strict(value) if key == "items" else value for key, value in schema.items()}
    if "properties" in out:
        out["properties"] = {name: strict(s) for name, s in out["properties"].items()}
        out.setdefault("additionalProperties", False)
    kinds = out.get("type") if isinstance(out.get("type"), list) else [out.get("type")]
    if "integer" in kinds:
        out.setdefault("minimum", MIN_INT)
        out.setdefault("maximum", MAX_ID)
    if "string" in kinds and not {"enum", "const", "format", "anyOf", "pattern"} & set(out):
        out["pattern"] = NO_NUL
    return out


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def enum_of(values: tuple[str, ...]) -> Schema:
    return {"type": "string", "enum": list(values)}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(required: tuple[str, ...] = (), **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def query(name: str, description: str, schema: Schema = STRING) -> dict[str, Any]:
    """A query parameter; a list is sent as its values separated by commas."""
    param = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if schema.get("type") == "array":
        param.update(style="form", explode=False)
    return param


def operation(tag: str, summary: str, answer: Schema | None, *, status: int = 200, description: str = "",
              parameters: tuple[dict[str, Any], ...] = (), body: Schema | None = None, body_required: bool = True,
              errors: tuple[int, ...] = (), public: bool = False) -> dict[str, Any]:
    """One route; `answer` None means an empty answer (204). `errors` are
    the statuses it may refuse with besides 401 (unless `public`), 400 (with
    a body or query) and 404 (with an id)."""
    refusals = set(errors) | ({400} if body or parameters else set()) | (set() if public else {401})
    success: dict[str, Any] = {"description": summary}
    if answer is not None:
        success["content"] = {"application/json": {"schema": answer}}
    spec: dict[str, Any] = {
        "tags": [tag],
        "summary": summary,
        "parameters": [{**p, "schema": strict(p["schema"])} for p in parameters],
        "responses": {
            str(status): success,
            **{str(code): {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"} for code in sorted(refusals)},
        },
    }
    if description:
        spec["description"] = description
    if body is not None:
        spec["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": strict(body)}}}
    if public:
        spec["security"] = []
    return spec


def csv_download(summary: str, parameters: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """A report for leads as a streamed CSV file."""
    spec = operation("Reports", summary, None, parameters=parameters, errors=(403,))
    spec["responses"]["200"]["content"] = {"text/csv": {"schema": STRING}}
    return spec



ERROR_RESPONSES = {
    400: ("BadRequest", "The request is malformed or a value is not allowed; the message names it."),
    401: ("Unauthorized", "No valid API token: send 'Authorization: Bearer <token>'."),
    403: ("Forbidden", "The caller's role may not do this."),
    404: ("NotFound", "There is no such record."),
    409: ("Conflict", "The record's state does not allow this now."),
    422: ("Unprocessable", "The request is well formed but cannot be carried out as asked."),
    429: ("TooManyRequests", "Too many failed sign-ins for this email; wait for Retry-After seconds."),
}

SCHEMAS: dict[str, Schema] = {
    "Error": obj(("error",), error=obj(
        ("status", "message"), status=INTEGER, message=STRING,
        unanswered={**array(INTEGER), "description": "A refused resolve: the posts that still need an answer"},
        answered_by={**nullable(INTEGER), "description": "A refused second answer: the reply that answered the "
                     "post (null when it was answered outside closeloop)"})),
    "NewToken": obj(("token",), token={**STRING, "description": "Shown only in this answer."}),
    "Token": obj(("id", "created_at", "last_used_at", "revoked_at", "expires_at"), id=INTEGER, created_at=TIME,
                 last_used_at=nullable(TIME), revoked_at=nullable(TIME), expires_at=TIME),
    "AuditEntry": obj(("id", "at", "actor", "action", "target", "detail"), id=INTEGER, at=TIME,
                      actor={**STRING, "description": "An agent's email, or the email tried when signing in"},
                      action={**STRING, "examples": ["signed_in", "sign_in_failed", "token_revoked"]},
                      target=STRING, detail=ANY_OBJECT),
    "AgentRef": nullable(obj(("id", "email", "name"), id=INTEGER, email=STRING, name=STRING)),
    "Ticket": obj(
        ("id", "status", "priority", "platform", "customer", "assignee", "created_at", "breached"),
        id=INTEGER, status=enum_of(TICKET_STATUSES), priority=enum_of(PRIORITIES), topic=nullable(STRING),
        team=STRING, platform=STRING,
        customer=obj(("id", "display_name"), id=INTEGER, display_name=STRING), assignee=ref("AgentRef"),
        assignment_reason=nullable(STRING), created_at=TIME, first_response_due_at=nullable(TIME),
        first_response_at=nullable(TIME), next_response_due_at=nullable(TIME), resolution_due_at=nullable(TIME),
        resolved_at=nullable(TIME), snoozed_until=nullable(TIME), incident_id=nullable(INTEGER),
        followup_state=nullable(STRING), followup_due_at=nullable(TIME),
        followup_answer=nullable(STRING), breached=BOOLEAN, time_left_seconds=nullable(INTEGER)),
    "TicketDetail": {"allOf": [ref("Ticket"), obj(
        ("customer", "mentions", "replies", "events", "posts_needing_answer", "answers_needed", "default_target"),
        customer=ref("Customer"), mentions=array(ref("TicketMention")), replies=array(ref("Reply")),
        events=array(ref("Event")),
        posts_needing_answer={**array(INTEGER), "description": "The posts (mention ids) that need an answer"},
        answers_needed={**INTEGER, "description": "The answers they need: one answer serves a conversation of "
                        "direct messages, or a thread the customer wrote in parts"},
        default_target={**nullable(INTEGER), "description": "The post a reply without in_reply_to answers"})]},
    "ModerationAction": obj(
        ("id", "mention_id", "action", "requested_by", "reason", "status", "attempts", "undoes", "last_error",
         "created_at", "done_at"),
        id=INTEGER, mention_id=INTEGER, action=enum_of(MODERATION_ACTIONS),
        requested_by={**STRING, "description": "The email of who asked, or \"rule\" for the rule that hides by itself"},
        reason=STRING, status=enum_of(MODERATION_STATUSES), attempts=INTEGER,
        undoes={**nullable(INTEGER), "description": "The action this one takes back (an unhide of a hide)"},
        last_error=nullable(STRING), created_at=TIME, done_at=nullable(TIME)),
    "CommentModeration": obj(
        ("mention_id", "hidden", "liked", "deleted", "actions"), mention_id=INTEGER,
        hidden={**BOOLEAN, "description": "Hidden, or being hidden, by the brand"}, liked=BOOLEAN, deleted=BOOLEAN,
        actions={**array(ref("ModerationAction")), "description": "Every action on the comment, oldest first"}),
    "Customer": obj(("id", "display_name", "identities"), id=INTEGER, display_name=STRING, tier=nullable(STRING),
                    email=nullable(STRING), crm_id=nullable(STRING), contact_opt_out=BOOLEAN,
                    identities=array(obj(platform=STRING, platform_user_id=STRING, handle=nullable(STRING),
                                         name=nullable(STRING), followers=nullable(INTEGER),
                                         verified=nullable(BOOLEAN)))),
    "Mention": obj(("id", "platform", "kind", "text", "created_at"), id=INTEGER, external_id=STRING,
                   platform=STRING, kind=STRING, text={**STRING, "description": "The customer's words, untrusted"},
                   url=nullable(STRING), author=ANY_OBJECT, created_at=TIME, sentiment=nullable(STRING),
                   polarity=nullable(NUMBER), urgency=nullable(NUMBER),
                   needs_response={**nullable(BOOLEAN), "description": "Whether a person should answer, by the "
                                   "decision in force: a person's latest word, else the scorer's"},
                   scorer_needs_response={**nullable(BOOLEAN), "description": "What the scorer said, whatever a "
                                          "person decided since"},
                   priority=nullable(STRING), topic=nullable(STRING), reasons=array(STRING),
                   media=array(ref("Media"))),
    "Media": obj(
        ("position", "kind", "alt_text", "url", "preview_url", "not_shown"), position=INTEGER,
        kind=enum_of(MEDIA_KINDS), alt_text={**STRING, "description": "The customer's description, untrusted"},
        width=nullable(INTEGER), height=nullable(INTEGER), size_bytes=nullable(INTEGER),
        url={**nullable(STRING), "description": "The file through closeloop's media proxy (sign in or send the "
             "token); null when the platform gives only a preview (X's videos)"},
        preview_url={**nullable(STRING), "description": "A still image through the proxy: a photo itself or a "
                     "video's preview"},
        not_shown={**nullable(STRING), "description": "Why the proxy will not pass it on (an address that is not "
                   "the platform's, too large), when known without fetching it"}),
    "TicketMention": {"allOf": [ref("Mention"), obj(
        ("needs_answer", "answer"), needs_answer=BOOLEAN,
        answer=nullable(obj(("by", "at", "status"), by={**nullable(STRING), "description": "The agent, or null "
                                                        "for closeloop's own message"},
                            at=TIME, reply_id=nullable(INTEGER),
                            status={**STRING, "examples": ["queued", "sent", "answered_elsewhere"]},
                            url=nullable(STRING), how=nullable(STRING))))]},
    "Post": obj(("id", "external_id", "kind", "text", "created_at"), id=INTEGER, external_id=STRING, kind=STRING,
                url=nullable(STRING), text=STRING, created_at=TIME),
    "StreamMention": {"allOf": [ref("Mention"), obj(
        ("received_at", "source", "ticket", "needs_response", "scorer_needs_response", "needs_response_by",
         "needs_response_corrected_by", "needs_response_corrected_at"), received_at=TIME, source=nullable(STRING),
        ticket=nullable(obj(("id", "status"), id=INTEGER, status=enum_of(TICKET_STATUSES))),
        needs_response={**BOOLEAN, "description": "The decision in force: a person's latest word (taking the post "
                        "into a ticket says yes, marking its ticket no response needed says no), else the "
                        "scorer's"},
        scorer_needs_response={**BOOLEAN, "description": "What the scorer said, whatever a person decided since"},
        needs_response_by={**enum_of(("scorer", "person")), "description": "Who made the decision in force"},
        needs_response_corrected_by={**nullable(STRING), "description": "The email of the person who decided; "
                                     "null when the scorer's word stands"},
        needs_response_corrected_at={**nullable(TIME), "description": "When the person decided"})]},
    "AlertGroup": obj(("id", "kind", "subject", "body", "link", "ticket_ids", "created_at", "unread", "alerts"),
                      id=INTEGER, kind=STRING, subject=STRING, body=STRING, link=nullable(STRING),
                      ticket_ids=array(INTEGER), created_at=TIME, unread=BOOLEAN,
                      alerts=array(obj(("id", "ticket_id", "subject", "link", "created_at", "read_at"),
                                       id=INTEGER, ticket_id=nullable(INTEGER), subject=STRING,
                                       link=nullable(STRING), created_at=TIME, read_at=nullable(TIME)))),
    "Reply": obj(("id", "ticket_id", "body", "status"), id=INTEGER, ticket_id=INTEGER,
                 in_reply_to={**INTEGER, "description": "The post (mention id) it answers"}, purpose=STRING,
                 channel={**enum_of(REPLY_CHANNELS), "description": "Under the customer's post (thread) or by "
                          "direct message to the customer"},
                 body=STRING, status=enum_of(REPLY_STATUSES), attempts=INTEGER, platform_reply_id=nullable(STRING),
                 url=nullable(STRING), last_error=nullable(STRING), created_at=TIME, sent_at=nullable(TIME)),
    "Event": obj(("kind", "actor", "at"), kind=STRING, actor=STRING, detail=ANY_OBJECT, at=TIME),
    "Incident": obj(("id", "title", "status"), id=INTEGER, title=STRING, status=enum_of(INCIDENT_STATUSES),
                    topic=nullable(STRING), keywords=array(STRING), since=nullable(TIME), opened_by=STRING,
                    opened_at=TIME, fixed_at=nullable(TIME), fixed_by=nullable(STRING),
                    update_message=nullable(STRING), linked_tickets=INTEGER, open_tickets=INTEGER,
                    customers=INTEGER, platforms={"type": "object", "additionalProperties": INTEGER}),
    "SavedView": obj(("id", "name", "query", "created_at"), id=INTEGER, name=STRING,
                     query={**STRING, "description": "The inbox's query string"}, created_at=TIME),
    "CannedResponse": obj(("id", "title", "body"), id=INTEGER, title=STRING, body=STRING,
                          created_by=nullable(STRING), updated_at=nullable(TIME)),
    "IncidentDetail": {"allOf": [ref("Incident"), obj(("tickets",), tickets=array(ANY_OBJECT))]},
    "User": obj(("id", "name", "email", "role", "team", "active"), id=INTEGER, name=STRING, email=STRING,
                role=enum_of(ROLES), team=STRING, capacity=INTEGER,
                platforms={**array(enum_of(PLATFORMS)), "description": "Empty: all platforms"},
                languages=array(STRING), presence=enum_of(PRESENCES), active=BOOLEAN, created_at=TIME,
                last_signed_in_at=nullable(TIME)),
    "AdminSource": obj(("id", "name", "platform", "kind", "status", "enabled"), id=INTEGER, name=STRING,
                       platform=STRING, kind=STRING, target=STRING, query=STRING,
                       status=enum_of(("new", "ok", "backing_off", "broken")),
                       enabled={**BOOLEAN, "description": "Listed and enabled in the config file"},
                       last_polled_at=nullable(TIME), next_poll_at=nullable(TIME), last_error=nullable(STRING),
                       paused_at=nullable(TIME), paused_by=nullable(STRING)),
}

COMPONENTS = {
    "schemas": SCHEMAS,
    "responses": {
        name: {"description": description, "content": {"application/json": {"schema": ref("Error")}}}
        for name, description in ERROR_RESPONSES.values()
    },
    "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer",
                                        "description": "A token from POST /api/v1/tokens or the Account page."}},
}
COMPONENTS["responses"]["TooManyRequests"]["headers"] = {
    "Retry-After": {"description": "Seconds until sign-ins for this email are accepted again", "schema": INTEGER}}

LIMIT: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}
LIMIT_PARAM = query("limit", "How many, 1 to 200 (default 50)", LIMIT)
PAGE = (LIMIT_PARAM,
        query("offset", "How many to skip (default 0)", {"type": "integer", "minimum": 0, "maximum": MAX_ID}))
PERIOD = (query("from", "Start: an ISO 8601 date or date-time; no offset means the web's time zone; before `to`",
                MOMENT),
          query("to", "End (a date includes that whole day); default now, and the period 7 days", MOMENT))
CHOICES_HINT = "one value or several separated by commas"
YES_OR_NO = enum_of(("yes", "no"))

TOPIC_FILTER = query("topic", f"The configured scoring topics ('none' for no topic), {CHOICES_HINT}",
                     {**array(text(blank=False)), "minItems": 1})
TICKET_FILTERS = (
    query("status", f"Ticket statuses, {CHOICES_HINT} (default: the open ones)", choice_list(TICKET_STATUSES)),
    query("priority", f"Priorities, {CHOICES_HINT}", choice_list(PRIORITIES)),
    query("platform", f"Platforms, {CHOICES_HINT}", choice_list(PLATFORMS)),
    TOPIC_FILTER,
    query("assignee", "An agent id, 'me' or 'none'", {"type": "string", "pattern": "^(me|none|[1-9][0-9]{0,8})$"}),
    query("q", "Text to find in the posts, the customer's name or handle", text(MAX_TEXT)),
    query("snoozed", "1 lists only the snoozed tickets, which are otherwise left out"),
)

TAKE_INTO_TICKET = operation(
    "Mentions", "Take a post into a ticket: a new one (201), or the customer's open one (200)",
    obj(("ticket", "raised", "mention_id"), ticket=ref("Ticket"), raised=BOOLEAN, mention_id=INTEGER), status=201,
    description="For a post the scorer let pass. A new ticket is routed like any other; either way who took it "
                "and why are recorded, and a needs_response correction is kept for retraining. A post on a ticket "
                "already is refused (409) with that ticket's id as `error.ticket_id`, and so is a post whose "
                "customer's open ticket is a private team's the caller does not see (409, naming no ticket).",
    body=obj(reason={**text(500), "description": "Why it needs a person (optional)"}), errors=(409,))
TAKE_INTO_TICKET["requestBody"]["required"] = False
TAKE_INTO_TICKET["responses"]["200"] = {"description": "The post joined the customer's open ticket",
                                        **TAKE_INTO_TICKET["responses"]["201"]}


def minutes_per_priority(required: tuple[str, ...] = PRIORITIES) -> Schema:
    """Minutes for each priority, whole, above 0 and at most a year."""
    return obj(required, **{priority: {**INTEGER, "minimum": 1, "maximum": MAX_TARGET_MINUTES}
                            for priority in PRIORITIES})


def sla_shape(required: tuple[str, ...], *, change: bool) -> Schema:
    """config/settings.py's SlaSettings as the API shows it; as a `change`,
    what is not given keeps its value, down to a single priority, and the
    check interval and policies may be given too."""
    minutes = minutes_per_priority(() if change else PRIORITIES)
    shape = obj(required, first_response_minutes=minutes, next_response_minutes=minutes, resolution_minutes=minutes,
                at_risk_share={**NUMBER, "exclusiveMinimum": 0, "exclusiveMaximum": 1})
    if change:
        shape["properties"].update(check_seconds={**NUMBER, "exclusiveMinimum": 0, "maximum": 30},
                                   policies=array(SLA_POLICY))
    return shape


def routing_shape(required: tuple[str, ...]) -> Schema:
    """config/settings.py's RoutingSettings."""
    days = {**INTEGER, "minimum": 0, "maximum": MAX_LOOK_BACK_DAYS}
    return obj(required, previous_agent_days=days, senior_priorities=array(enum_of(PRIORITIES)),
               senior_tiers=array(text()), repeat_complaint_days=days, recent_breach_days=days)


SLA_POLICY = obj(("name",), name=text(blank=False), platforms=array(text()), tiers=array(text()),
                 first_response_minutes=minutes_per_priority(), next_response_minutes=minutes_per_priority(),
                 resolution_minutes=minutes_per_priority())
SETTINGS = obj(("sla", "routing"),
               sla=sla_shape(("first_response_minutes", "next_response_minutes", "resolution_minutes",
                              "at_risk_share"), change=False),
               routing=routing_shape(("previous_agent_days", "senior_priorities", "senior_tiers",
                                      "repeat_complaint_days", "recent_breach_days")))
SETTINGS_CHANGE = {**obj(sla=sla_shape((), change=True), routing=routing_shape(())), "minProperties": 1}

BULK_TICKETS = {**array(ID), "minItems": 1, "maxItems": MAX_BULK}
BULK_BODY = {"oneOf": [
    obj(("tickets", "action"), tickets=BULK_TICKETS, force=BOOLEAN,
        action=enum_of(tuple(a for a in BULK_ACTIONS if a not in ("assign", "priority")))),
    obj(("tickets", "action", "agent"), tickets=BULK_TICKETS, force=BOOLEAN, action={"const": "assign"},
        agent={**ID, "description": "An active agent"}),
    obj(("tickets", "action", "priority", "reason"), tickets=BULK_TICKETS, force=BOOLEAN,
        action={"const": "priority"}, priority=enum_of(PRIORITIES), reason=text(blank=False))]}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/api/v1/openapi.json"): operation(
        "API", "This description of the API", ANY_OBJECT, public=True),
    ("post", "/api/v1/tokens"): operation(
        "Tokens", "Issue a token for an email and password", ref("NewToken"), status=201, public=True,
        description="After 5 failed sign-ins for one email within 15 minutes, that email is refused (429) for "
                    "the rest of the window, whatever the password.",
        body=obj(("email", "password"), email=text(blank=False), password=text(blank=False)), errors=(401, 429)),
    ("get", "/api/v1/tokens"): operation(
        "Tokens", "The caller's tokens, revoked ones included", obj(("tokens",), tokens=array(ref("Token")))),
    ("delete", "/api/v1/tokens/{token_id}"): operation(
        "Tokens", "Revoke a token", ref("Token"),
        description="The caller's own token; admins may revoke anyone's. It stops working at once."),
    ("get", "/api/v1/audit"): operation(
        "Audit", "The audit log, newest first (admins only)",
        obj(("entries", "total"), entries=array(ref("AuditEntry")), total=INTEGER),
        parameters=(query("actor", "Only this actor (exact match)", text()),
                    query("action", "Only this action (exact match)", text()), *PAGE),
        errors=(403,)),
    ("get", "/api/v1/tickets"): operation(
        "Tickets", "Tickets, soonest due first",
        obj(("tickets", "total", "total_exact", "next_cursor"), tickets=array(ref("Ticket")),
            total={**INTEGER, "description": f"How many match, counted up to {COUNT_CAP}, or up to "
                                             f"{TEXT_COUNT_CAP} when `q` searches text"},
            total_exact={**BOOLEAN, "description": "False when more match than were counted"},
            next_cursor={**nullable(STRING), "description": "Pass as `cursor` for the next page; null on the last"}),
        description=f"Pages after the first few are read by `cursor`: `offset` goes up to {MAX_TICKET_OFFSET}.",
        parameters=(*TICKET_FILTERS, LIMIT_PARAM,
                    query("offset", f"How many to skip, 0 to {MAX_TICKET_OFFSET} (default 0)",
                          {"type": "integer", "minimum": 0, "maximum": MAX_TICKET_OFFSET}),
                    query("cursor", "Where the page starts: the `next_cursor` of the page before", text()))),
    ("get", "/api/v1/tickets/{ticket_id}"): operation(
        "Tickets", "A ticket with its customer, posts, replies and events", ref("TicketDetail")),
    ("post", "/api/v1/tickets/{ticket_id}/replies"): operation(
        "Tickets", "Queue an answer to one of the ticket's posts",
        obj(("id", "status", "ticket_id", "in_reply_to", "post"), id=INTEGER, status=enum_of(REPLY_STATUSES),
            ticket_id=INTEGER, in_reply_to=INTEGER, post=ref("Post")),
        description="`in_reply_to` names the post (a mention id of this ticket; another ticket's or an unknown "
                    "one is refused with 422). Without it, the answer goes to the newest post that needs one, a "
                    "complaint or question before praise or a reply under a review, else the newest post. A post "
                    "answered already is refused with 409 unless `force` is true.",
        status=202, errors=(409, 422),
        body=obj(("body",), body={**text(blank=False), "description": "At most the platform's length for a reply"},
                 in_reply_to=INTEGER, force=BOOLEAN),
        parameters=({"name": "Idempotency-Key", "in": "header", "required": False, "schema": STRING,
                     "description": "The same key again returns the reply already queued"},)),
    ("post", "/api/v1/tickets/{ticket_id}/answered-elsewhere"): operation(
        "Tickets", "Record that the customer was answered outside closeloop", ref("Ticket"),
        body=obj(("how",), how=text(blank=False)), errors=(409, 422)),
    ("post", "/api/v1/tickets/{ticket_id}/resolve"): operation(
        "Tickets", "Resolve a ticket", ref("Ticket"),
        description="When the customer wrote several posts that need an answer and some still wait, refused with "
                    "409 listing them in `unanswered`, unless `force` is true.",
        body=obj(force=BOOLEAN), body_required=False, errors=(400, 403, 409)),
    ("post", "/api/v1/tickets/{ticket_id}/assign"): operation(
        "Tickets", "Assign a ticket, or unassign it with null", ref("Ticket"),
        body=obj(("agent",), agent={"oneOf": [ID, {"const": "me"}, {"type": "null"}]}), errors=(403, 409)),
    ("post", "/api/v1/tickets/{ticket_id}/priority"): operation(
        "Tickets", "Change a ticket's priority", ref("Ticket"),
        body=obj(("priority", "reason"), priority=enum_of(PRIORITIES), reason=text(blank=False)), errors=(403, 409)),
    ("post", "/api/v1/tickets/{ticket_id}/pending"): operation(
        "Tickets", "Wait on the customer: the response clock stops until they write", ref("Ticket"),
        errors=(400, 403, 409)),
    ("post", "/api/v1/tickets/bulk"): operation(
        "Tickets", "Act on many tickets at once",
        obj(("done", "refused"), done=array(INTEGER), refused=array(obj(ticket_id=INTEGER, why=STRING))),
        description="`agent` is needed by assign, `priority` and `reason` by priority. Each ticket is done or "
                    "refused with why; resolve refuses a ticket whose posts still need an answer unless `force` "
                    "is true.",
        body=BULK_BODY, errors=(422,)),
    ("post", "/api/v1/tickets/{ticket_id}/snooze"): operation(
        "Tickets", "Snooze a ticket until a time, or wake it with null", ref("Ticket"),
        description="The customer writing again brings it back sooner; the response-time clock runs on.",
        body=obj(("until",), until=nullable(TIME)), errors=(409,)),
    ("post", "/api/v1/tickets/{ticket_id}/no-response-needed"): operation(
        "Tickets", "Resolve a ticket nobody needs to answer, without a follow-up", ref("Ticket"),
        description="The correction is kept for retraining the scorer.", errors=(400, 409)),
    ("post", "/api/v1/tickets/{ticket_id}/topic"): operation(
        "Tickets", "Put a ticket under another scoring topic, or none with \"\"", ref("Ticket"),
        description="The correction is kept for retraining the scorer.", body=obj(("topic",), topic=STRING),
        errors=(409,)),
    ("get", "/api/v1/mentions"): operation(
        "Mentions", "Every inbound post, ticketed or not, newest first",
        obj(("mentions", "next_cursor"), mentions=array(ref("StreamMention")), next_cursor={
            **nullable(STRING), "description": "Send it as `cursor` for the next page; null on the last page"}),
        description="Our own posts are not stored, so never listed. Posts on tickets of another team's private "
                    "team are left out. Pages follow one another by `cursor`, so posts arriving in between "
                    "neither repeat nor skip any.",
        parameters=(query("platform", f"Platforms, {CHOICES_HINT}", choice_list(PLATFORMS)),
                    query("source", f"The configured sources' names, {CHOICES_HINT}"),
                    query("sentiment", f"Sentiments, {CHOICES_HINT}", choice_list(LABELS)),
                    query("needs_response", "Whether a person should answer, by the decision in force: a "
                                            "person's latest word, else the scorer's", YES_OR_NO),
                    TOPIC_FILTER,
                    query("has_ticket", "Whether the post is on a ticket", YES_OR_NO),
                    query("spam", "Whether the scorer took the post for spam", YES_OR_NO),
                    query("q", "Text to find in the post, the author's name or handle", text(MAX_TEXT)),
                    query("since", "Posted at or after: an ISO 8601 date or date-time; no offset means the web's "
                                   "time zone; before `until`", MOMENT),
                    query("until", "Posted before, as `since`", MOMENT),
                    query("limit", "How many, 1 to 200 (default 50)", LIMIT),
                    query("cursor", "Where to go on from: `next_cursor` of the page before"))),
    ("post", "/api/v1/mentions/{mention_id}/ticket"): TAKE_INTO_TICKET,
    ("get", "/api/v1/mentions/{mention_id}/moderation"): operation(
        "Mentions", "A comment's moderation: hidden, liked or deleted by the brand, and every action on it",
        ref("CommentModeration")),
    ("post", "/api/v1/mentions/{mention_id}/moderation"): operation(
        "Mentions", "Hide, unhide, like, unlike or delete a comment under the brand's own post",
        ref("ModerationAction"), status=202,
        description="The action is queued and sent to the platform once by the moderation outbox. Only comments "
                    "under the brand's own posts or page can be moderated, on platforms that offer the action, "
                    "and not with an action the comment already shows (409 otherwise); moderation.hide_role may "
                    "hide, unhide, like and unlike, moderation.delete_role may delete (403 otherwise). A delete "
                    "cannot be undone and needs `confirm: true`.",
        body={"oneOf": [
            obj(("action",), action=enum_of(tuple(a for a in MODERATION_ACTIONS if a != "delete")),
                reason=text(MAX_REASON), confirm=BOOLEAN),
            obj(("action", "confirm"), action={"const": "delete"}, reason=text(MAX_REASON), confirm={"const": True}),
        ]},
        errors=(403, 409)),
    ("get", "/api/v1/replies/{reply_id}"): operation(
        "Tickets", "A reply and whether it was sent", ref("Reply")),
    ("put", "/api/v1/agents/me/presence"): operation(
        "Agents", "Set the caller's presence",
        obj(("presence", "handed_back"), presence=enum_of(PRESENCES), handed_back=array(INTEGER)),
        description="Going offline may hand unanswered tickets back; `handed_back` lists them.",
        body=obj(("presence",), presence=enum_of(PRESENCES))),
    ("get", "/api/v1/views"): operation(
        "Agents", "The caller's saved inbox views", obj(("views",), views=array(ref("SavedView")))),
    ("post", "/api/v1/views"): operation(
        "Agents", "Save an inbox view", ref("SavedView"), status=201,
        body=obj(("name",), name=text(VIEW_NAME, blank=False), query=text(VIEW_QUERY)), errors=(422,)),
    ("delete", "/api/v1/views/{view_id}"): operation(
        "Agents", "Delete one of the caller's saved views", None, status=204),
    ("get", "/api/v1/canned-responses"): operation(
        "Canned responses", "All canned responses",
        obj(("canned_responses",), canned_responses=array(ref("CannedResponse")))),
    ("post", "/api/v1/canned-responses"): operation(
        "Canned responses", "Write a canned response (managers and admins)", ref("CannedResponse"), status=201,
        body=obj(("title", "body"), title=text(CANNED_TITLE, blank=False), body=template(CANNED_BODY)),
        errors=(403, 409, 422)),
    ("patch", "/api/v1/canned-responses/{canned_id}"): operation(
        "Canned responses", "Rewrite a canned response (managers and admins)", ref("CannedResponse"),
        body=obj(("title", "body"), title=text(CANNED_TITLE, blank=False), body=template(CANNED_BODY)),
        errors=(403, 409, 422)),
    ("delete", "/api/v1/canned-responses/{canned_id}"): operation(
        "Canned responses", "Delete a canned response (managers and admins)", None, status=204, errors=(403,)),
    ("patch", "/api/v1/customers/{customer_id}"): operation(
        "Customers", "Update a customer's details", ref("Customer"),
        description="A customer with the same email or CRM id is the same person: the two are linked.",
        body={**obj(email={**text(EMAIL_LENGTH), "description": "An email address, or \"\" for none",
                           "anyOf": [{"maxLength": 0}, {"pattern": "@"}]},
                    crm_id=text(), tier=enum_of(TIERS), contact_opt_out=BOOLEAN), "minProperties": 1}),
    ("post", "/api/v1/customers/{customer_id}/link"): operation(
        "Customers", "Link another customer into this one (the same person)", ref("Customer"),
        body=obj(("customer",), customer=ID)),
    ("get", "/api/v1/incidents"): operation(
        "Incidents", "Incidents, newest first", obj(("incidents",), incidents=array(ref("Incident"))),
        parameters=(query("status", "Only open or fixed ones", enum_of(INCIDENT_STATUSES)),)),
    ("post", "/api/v1/incidents"): operation(
        "Incidents", "Open an incident (managers and admins)", ref("IncidentDetail"), status=201,
        description="With a topic or keywords, the open tickets that match join now, and new matching tickets "
                    "join while it is open.",
        body=obj(("title",), title=text(INCIDENT_TITLE, blank=False), topic=text(),
                 keywords={**array(text(MAX_KEYWORD)), "maxItems": MAX_KEYWORDS}, since=TIME),
        errors=(403, 409, 422)),
    ("get", "/api/v1/incidents/{incident_id}"): operation(
        "Incidents", "An incident with its tickets and their updates", ref("IncidentDetail")),
    ("post", "/api/v1/incidents/{incident_id}/tickets"): operation(
        "Incidents", "Link tickets to an incident (managers and admins)",
        obj(("linked", "incident"), linked=array(INTEGER), incident=ref("Incident")),
        body=obj(("tickets",), tickets={**array(ID), "minItems": 1, "maxItems": MAX_LINKED_AT_ONCE}),
        errors=(403, 409, 422)),
    ("post", "/api/v1/incidents/{incident_id}/fix"): operation(
        "Incidents", "Send the fix's update to every linked customer and resolve the tickets",
        obj(("queued", "resolved", "unreachable", "left_open", "incident"), queued=array(INTEGER),
            resolved=array(INTEGER), unreachable=array(obj(ticket_id=INTEGER, why=STRING)),
            left_open=array(obj(ticket_id=INTEGER, waiting=array(INTEGER))), incident=ref("Incident")),
        body=obj(("message",), message=template(note="at most the length each linked ticket's platform allows a "
                                                     "reply")),
        errors=(403, 409, 422)),
    ("post", "/api/v1/incidents/{incident_id}/retry"): operation(
        "Incidents", "Queue again the updates that failed", obj(("retried",), retried=array(INTEGER)),
        errors=(403, 409, 422)),
    ("get", "/api/v1/reports/sla"): operation(
        "Reports", "First-response, next-response and resolution figures per group and in total (senior agents, "
        "managers, admins)",
        obj(("from", "to", "group_by", "groups", "total"), **{"from": TIME}, to=TIME, group_by=enum_of(GROUPINGS),
            groups=array(ANY_OBJECT), total=ANY_OBJECT),
        description="Per target: `due` (met plus missed in the period), `met` (answered by the due time, counted "
                    "when answered), `missed` (answered late or not at all, counted at the due time), "
                    "`achievement` (met / (met + missed)) and `not_yet_due` (open, its target still running). "
                    "First response adds the median and 90th percentile wait of the tickets raised in the "
                    "period, a ticket still waiting counting its wait so far (`*_at_least` when the figure is "
                    "such a wait).",
        parameters=(*PERIOD, query("group_by", "How to group (default platform)", enum_of(GROUPINGS))),
        errors=(403,)),
    ("get", "/api/v1/tickets.csv"): csv_download(
        "Every ticket the filters of /api/v1/tickets list, oldest first, as CSV streamed row by row",
        parameters=TICKET_FILTERS),
    ("get", "/api/v1/reports/sla.csv"): csv_download(
        "The figures of /api/v1/reports/sla as CSV, one line per group and target, then the totals",
        parameters=(*PERIOD, query("group_by", "How to group (default platform)", enum_of(GROUPINGS)))),
    ("get", "/api/v1/reports/volume.csv"): csv_download(
        "Tickets raised and mentions written per platform and time bucket (5 minutes, hour or local day) as CSV",
        parameters=PERIOD),
    ("get", "/api/v1/reports/trends"): operation(
        "Reports", "Mentions, negative ones and those needing a response, per time bucket and group",
        obj(("from", "to", "group_by", "timezone", "bucket", "buckets", "groups"), **{"from": TIME}, to=TIME,
            group_by=enum_of(TREND_GROUPINGS), timezone=STRING, bucket=enum_of(("5min", "hour", "day")),
            buckets=array(STRING), groups=array(ANY_OBJECT)),
        description="Buckets of 5 minutes up to a 6-hour period, of an hour up to a day, of a local day beyond; "
                    "`buckets` are their local labels.",
        parameters=(*PERIOD, query("group_by", "How to group (default topic)", enum_of(TREND_GROUPINGS))),
        errors=(403,)),
    ("get", "/api/v1/reports/trends.csv"): csv_download(
        "The trends of /api/v1/reports/trends as CSV, bucketed as the dashboard shows them: one line per time "
        "bucket and group, streamed",
        parameters=(*PERIOD, query("group_by", "How to group (default topic)", enum_of(TREND_GROUPINGS)))),
    ("get", "/api/v1/reports/outcomes"): operation(
        "Reports", "Follow-up answers, satisfaction, reopen rate and turned-around customers per group",
        obj(("from", "to", "group_by", "groups"), **{"from": TIME}, to=TIME, group_by=enum_of(OUTCOME_GROUPINGS),
            groups=array(ANY_OBJECT)),
        parameters=(*PERIOD, query("group_by", "How to group (default agent)", enum_of(OUTCOME_GROUPINGS))),
        errors=(403,)),
    ("get", "/api/v1/reports/corrections"): operation(
        "Reports", "How often agents overruled the scorer, per platform and per topic",
        obj(("from", "to", "by_platform", "by_topic"), **{"from": TIME}, to=TIME, by_platform=array(ANY_OBJECT),
            by_topic=array(ANY_OBJECT)),
        parameters=PERIOD, errors=(403,)),
    ("get", "/api/v1/reports/now"): operation(
        "Reports", "Tickets at risk or breached now, and each agent's load",
        obj(("at", "at_risk_and_breached", "at_risk_and_breached_total", "at_risk_and_breached_total_exact",
             "agent_load"), at=TIME,
            at_risk_and_breached={**array(ANY_OBJECT), "description": f"The {AT_RISK_SHOWN} most overdue at most"},
            at_risk_and_breached_total={**INTEGER, "description": f"How many, counted up to {COUNT_CAP}"},
            at_risk_and_breached_total_exact={**BOOLEAN, "description": f"False when more than {COUNT_CAP}"},
            agent_load=array(ANY_OBJECT)),
        errors=(403,)),
    ("get", "/api/v1/admin/users"): operation(
        "Admin", "Everyone who can sign in, or could (admins only)", obj(("users",), users=array(ref("User"))),
        errors=(403,)),
    ("post", "/api/v1/admin/users"): operation(
        "Admin", "Invite someone with a one-time password (admins only)",
        obj(("user", "password"), user=ref("User"), password={**STRING, "description": "Shown only in this answer"}),
        status=201,
        description="`role` defaults to agent, `team` to the first configured team, `capacity` to 10. An email "
                    "someone already has, in any case, is refused (409).",
        body=obj(("name", "email"), name=text(NAME_LENGTH, blank=False),
                 email={**text(EMAIL_LENGTH), "pattern": EMAIL_PATTERN}, role=enum_of(ROLES),
                 team={**STRING, "description": "One of the configured teams"},
                 capacity={**INTEGER, "minimum": 0, "maximum": MAX_CAPACITY}),
        errors=(403, 409, 422)),
    ("patch", "/api/v1/admin/users/{agent_id}"): operation(
        "Admin", "Change someone's role, team, load, skills or whether they may sign in (admins only)",
        obj(("user", "handed_back"), user=ref("User"), handed_back=array(INTEGER)),
        description="Deactivating someone stops their sign-ins and API tokens and hands their unanswered tickets "
                    "back to the queue (`handed_back`). Admins cannot deactivate themselves or change their own "
                    "role, and the last active admin stays one (409).",
        body=obj(role=enum_of(ROLES), team=STRING, capacity={**INTEGER, "minimum": 0, "maximum": MAX_CAPACITY},
                 platforms={**array(enum_of(PLATFORMS)), "description": "Empty: all platforms"},
                 languages={**array({"type": "string", "pattern": "^[a-z]{2}$"}),
                            "description": "Two-letter codes such as en"}, active=BOOLEAN) | {"minProperties": 1},
        errors=(403, 409, 422)),
    ("get", "/api/v1/admin/sources"): operation(
        "Admin", "Every source with its state and whether it is paused (admins only)",
        obj(("sources",), sources=array(ref("AdminSource"))), errors=(403,)),
    ("post", "/api/v1/admin/sources/{source_id}/pause"): operation(
        "Admin", "Pause a source: it is not polled until resumed (admins only)",
        obj(("source",), source=ref("AdminSource")), errors=(403,)),
    ("post", "/api/v1/admin/sources/{source_id}/resume"): operation(
        "Admin", "Resume a paused source (admins only)", obj(("source",), source=ref("AdminSource")),
        errors=(403,)),
    ("post", "/api/v1/tickets/{ticket_id}/notes"): operation(
        "Tickets", "Add an internal note; it is never posted", ref("Ticket"),
        body=obj(("text",), text=text(2000, blank=False)), errors=(409,)),
    ("post", "/api/v1/replies/{reply_id}/retry"): operation(
        "Tickets", "Queue a failed reply again", ref("Reply"), errors=(409,)),
    ("get", "/api/v1/alerts"): operation(
        "Alerts", "The caller's alerts, newest first, grouped as in the app",
        obj(("alerts",), alerts=array(ref("AlertGroup"))),
        description="The alerts of one kind that came within a minute are one item listing its tickets "
                    "(`ticket_ids`) and its alerts (`alerts`).",
        parameters=(query("unread", "1 for the unread ones only"),)),
    ("post", "/api/v1/alerts/read"): operation(
        "Alerts", "Mark all the caller's alerts as read", obj(("marked",), marked=INTEGER)),
    ("get", "/api/v1/admin/settings"): operation(
        "Admin", "Response-time targets and routing rules in force (admins only)", SETTINGS, errors=(403,)),
    ("put", "/api/v1/admin/settings"): operation(
        "Admin", "Change response-time targets and routing rules (admins only)", SETTINGS,
        description="`sla` and `routing` in the config file's shape; parts not given keep their values. The "
                    "result is validated as a whole; a value not allowed is refused (422) naming the key, the "
                    "value and what is allowed, and nothing changes.",
        body=SETTINGS_CHANGE, errors=(403, 422)),
}


def api_description() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), spec in OPERATIONS.items():
        paths.setdefault(path, {})[method] = _with_path_parameters(path, spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": "closeloop JSON API", "version": "1",
                 "description": "Tickets, replies, incidents and reports for scripts and integrations. "
                                "Times are UTC, ISO 8601. Errors are JSON: {\"error\": {\"status\", \"message\"}}."},
        "paths": paths,
        "components": COMPONENTS,
        "security": [{"bearerToken": []}],
    }


def _with_path_parameters(path: str, spec: dict[str, Any]) -> dict[str, Any]:
    names = re.findall(r"{(\w+)}", path)
    if not names:
        return spec
    ids = [{"name": name, "in": "path", "required": True, "schema": INTEGER} for name in names]
    return {**spec, "parameters": ids + spec["parameters"],
            "responses": {**spec["responses"], "404": {"$ref": "#/components/responses/NotFound"}}}


@bp.get("/openapi.json")
def document():
    return jsonify(api_description())
