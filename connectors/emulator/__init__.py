"""A local HTTP server imitating the part of each platform API that the
connectors use, for the demo and the end-to-end tests.

It imports nothing of closeloop but the platforms' emulator parts. Each
part lives in its platform's folder (`connectors/x/emulator.py`) with its
API and `/_emulator/<platform>/` control blueprints; Slack, outgoing
webhooks and mail are here. `app.py` holds what they share (state, injected
faults, the request log and the platform-neutral control endpoints) and
mounts every part; `server.py` runs it in a thread."""

from .app import create_app
from .server import EmulatorServer

__all__ = ["EmulatorServer", "create_app"]
