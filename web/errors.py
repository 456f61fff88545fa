"""Error responses: JSON under /api/ and /webhooks/, a page everywhere else."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.context import services

JSON_PREFIXES = ("/api/", "/webhooks/")


def init_errors(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException):
    if request.path.startswith(JSON_PREFIXES):
        response = jsonify(error={"status": error.code, "message": error.description})
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
