"""The sign-in session's cookie, left alone by the page's own background
refreshes.

A session lasts `web.session_hours` after the person's last request, so
each response sends the cookie again with a later expiry. A background
refresh (the open ticket every 2 s, the list every 10 s, who else is
viewing) carries the cookie as it was when it left; answering it after an
action's answer would put back what that action changed, such as a notice
already shown ("Ticket 8 is resolved." on the next ticket) or a list filter
just saved. So a request marked with BACKGROUND_HEADER sends the cookie
only when it changed the session itself, and does not extend it."""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

BACKGROUND_HEADER = "X-Background"


class ForegroundRefreshedSessions(SecureCookieSessionInterface):
    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if request.headers.get(BACKGROUND_HEADER):
            return session.modified
        return super().should_set_cookie(app, session)
