"""Endpoints the platforms push to. No sign-in and no CSRF token: each
delivery proves itself with the account's secret, checked by the listener."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from config.settings import Settings
from listener.webhooks import MetaWebhooks
from web.context import services

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
META_PLATFORMS = "facebook,instagram"


def _meta(platform: str) -> tuple[MetaWebhooks, Settings]:
    """A Meta platform's intake with the settings in force, both read at once."""
    svc = services()
    in_force = svc.live.now
    return MetaWebhooks(svc.db, svc.clock, in_force.intake, platform), in_force.settings


@bp.get(f"/<any({META_PLATFORMS}):platform>/<account>")
def meta_handshake(platform: str, account: str):
    webhooks, settings = _meta(platform)
    challenge = webhooks.handshake(settings, account, request.args)
    return Response(challenge, mimetype="text/plain")


@bp.post(f"/<any({META_PLATFORMS}):platform>/<account>")
def meta_delivery(platform: str, account: str):
    webhooks, settings = _meta(platform)
    report = webhooks.deliver(settings, account, request.get_data(cache=False),
                              request.headers.get("X-Hub-Signature-256"))
    return jsonify(stored=report.stored, duplicates=report.duplicates, tickets_raised=report.tickets_raised,
                   quarantined=report.quarantined)
