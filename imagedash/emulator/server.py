"""Serve the emulator over HTTP from a thread or a process (wsgiref, threaded)."""

from __future__ import annotations

import contextlib
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connections when a dozen requests arrive at once.
    request_queue_size = 128


class _Handler(WSGIRequestHandler):
    def get_environ(self) -> dict:
        environ = super().get_environ()
        environ["emulator.socket"] = self.connection  # for the `reset` fault
        return environ

    def handle(self) -> None:
        # The connection was reset on purpose (a fault), or the client went away.
        with contextlib.suppress(OSError):
            super().handle()


class _QuietHandler(_Handler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_in_thread(app, host: str = "127.0.0.1", port: int = 0) -> tuple[WSGIServer, str]:
    """Start `app` on a background thread; returns the server and its base URL."""
    server = make_server(
        host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator", daemon=True
    )
    thread.start()
    return server, f"http://{host}:{server.server_port}"


def serve_forever(app, host: str, port: int, *, quiet: bool = False) -> None:
    handler = _QuietHandler if quiet else _Handler
    with make_server(
        host, port, app, server_class=_ThreadingServer, handler_class=handler
    ) as server:
        server.serve_forever()
