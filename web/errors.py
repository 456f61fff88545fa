"""Error responses: JSON under /api/ and /webhooks/, a page everywhere else.
A refusal (store.errors.Refused) undoes the request's changes and answers
with its status; a page view marked with `on_refusal` flashes it and sends
the browser back instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from store.errors import Refused
from web.context import db_session, services

JSON_PREFIXES = ("/api/", "/webhooks/")


@dataclass(frozen=True)
class RefusalPage:
    message: str
    back: str | Callable[..., str]

    def url(self) -> str:
        args = request.view_args or {}
        if callable(self.back):
            return self.back(**args)
        takes = next(current_app.url_map.iter_rules(self.back)).arguments
        return url_for(self.back, **{name: value for name, value in args.items() if name in takes})


def on_refusal(message: str, back: str | Callable[..., str]):
    """Mark a page view: its refusals are flashed as `message` ("{}" stands
    for why) and the browser goes to `back`: an endpoint, given those of
    the view's arguments it takes, or a function of the view's arguments
    returning an address."""

    def mark(view):
        view.refusal_page = RefusalPage(message, back)
        return view

    return mark


def init_errors(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Refused, _refused)


def _without_its_full_stop(why: str, message: str) -> str:
    """A reason already ending in a full stop, put where the message ends in one, is not stopped twice."""
    return why.removesuffix(".") if message.endswith("{}.") else why


def _refused(error: Refused):
    db_session().rollback()
    page = getattr(current_app.view_functions.get(request.endpoint), "refusal_page", None)
    if page is not None and not request.path.startswith(JSON_PREFIXES):
        flash(page.message.format(_without_its_full_stop(error.message, page.message)), "error")
        return redirect(page.url())
    return _http_error(default_exceptions.get(error.status, InternalServerError)(description=error.message),
                       **error.detail)


def _http_error(error: HTTPException, **detail):
    if request.path.startswith(JSON_PREFIXES):
        response = jsonify(error={"status": error.code, "message": error.description, **detail})
        response.status_code = error.code
        if error.code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="closeloop"'
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
    if error.code >= 500:
        return _server_error_page(error)
    return render_template("error.html", error=error), error.code


def _server_error_page(error: HTTPException):
    """Rendered without the context processors, which look up the signed-in
    agent in the database that may be what failed."""
    page = current_app.jinja_env.get_template("error.html").render(
        error=error, bare=True, brand=services().settings.brand.name)
    return page, error.code


def _csrf_error(error: CSRFError):
    message = "The form was sent without a valid security token. Go back, reload the page and try again."
    return render_template("error.html", error=error, message=message), 400
