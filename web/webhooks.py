"""Endpoints the platforms push to. No sign-in and no CSRF token: each
delivery proves itself with the account's secret, checked by the listener."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from listener.webhooks import WebhookRefused
from web.context import services

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@bp.get("/facebook/<account>")
def facebook_handshake(account: str):
    try:
        challenge = services().webhooks.handshake(services().settings, account, request.args)
    except WebhookRefused as refused:
        abort(refused.status, description=refused.message)
    return Response(challenge, mimetype="text/plain")


@bp.post("/facebook/<account>")
def facebook_delivery(account: str):
    try:
        report = services().webhooks.deliver(services().settings, account, request.get_data(cache=False),
                                             request.headers.get("X-Hub-Signature-256"))
    except WebhookRefused as refused:
        abort(refused.status, description=refused.message)
    return jsonify(stored=report.stored, duplicates=report.duplicates, tickets_raised=report.tickets_raised)
