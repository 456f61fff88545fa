"""A local HTTP server imitating the part of each platform API that the
connectors use, for the demo and the end-to-end tests.

It imports nothing else from closeloop. Each platform is a sibling module
(`x.py`) with its API and `/_emulator/<platform>/` control blueprints;
`app.py` holds what they share (state, injected faults, the request log and
the platform-neutral control endpoints); `server.py` runs it in a thread."""

from .app import create_app
from .server import EmulatorServer

__all__ = ["EmulatorServer", "create_app"]
