"""`closeloop serve`: the web app in several processes under gunicorn,
started through gunicorn's public application API."""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

from config.settings import Settings

ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s request_id=%({x-request-id}o)s'


def default_workers() -> int:
    """Two web processes per core plus one, gunicorn's rule of thumb."""
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_options(settings: Settings, *, host: str, port: int, workers: int) -> dict:
    web = settings.web
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "timeout": int(web.request_timeout_seconds),
        "graceful_timeout": int(web.request_timeout_seconds),
        "accesslog": "-" if web.access_log else None,
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "proc_name": "closeloop-web",
        # Forwarded headers are read by ProxyFix, as web.trusted_proxies says; gunicorn reads none.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
        "child_exit": _child_exit,
    }


def _child_exit(_server, worker) -> None:
    """A web process that ended stops counting in the shared metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


class WebServer(BaseApplication):
    """Each process builds its own app (and database connections) after
    the fork."""

    def __init__(self, settings: Settings, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from closeloop.heap import tune_collections
        from web import create_app

        app = create_app(self.settings)
        tune_collections()
        return app
