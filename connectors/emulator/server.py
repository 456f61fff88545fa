"""Run the emulator: in a background thread for tests and the demo, or in
the foreground (`closeloop emulator`)."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server

from .app import create_app

POLL_SECONDS = 0.05  # how soon stop() is noticed


class EmulatorServer:
    """The emulator on host:port; port 0 picks a free one (see `url`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, brand_handle: str = "acme",
                 brand_name: str = "Acme"):
        self.app = create_app(brand_handle, brand_name)
        self._server = make_server(host, port, self.app, threaded=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.server_port}"

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,),
                                        name="emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

