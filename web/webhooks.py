"""Endpoints the platforms push to. No sign-in and no CSRF token: each
delivery proves itself with the account's secret, checked by the listener."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from config.settings import Settings
from listener.webhooks import FacebookWebhooks
from web.context import services

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _facebook() -> tuple[FacebookWebhooks, Settings]:
    """Facebook's intake with the settings in force, both read at once."""
    svc = services()
    in_force = svc.live.now
    return FacebookWebhooks(svc.db, svc.clock, in_force.intake), in_force.settings


@bp.get("/facebook/<account>")
def facebook_handshake(account: str):
    webhooks, settings = _facebook()
    challenge = webhooks.handshake(settings, account, request.args)
    return Response(challenge, mimetype="text/plain")


@bp.post("/facebook/<account>")
def facebook_delivery(account: str):
    webhooks, settings = _facebook()
    report = webhooks.deliver(settings, account, request.get_data(cache=False),
                              request.headers.get("X-Hub-Signature-256"))
    return jsonify(stored=report.stored, duplicates=report.duplicates, tickets_raised=report.tickets_raised,
                   quarantined=report.quarantined)
