"""Test servers: a request log around a WSGI app, and a server that answers what a test scripts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RequestLog:
    """WSGI middleware that remembers each request's path and headers."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        with self._lock:
            self.requests.append(
                {
                    "path": environ.get("PATH_INFO", ""),
                    "query": environ.get("QUERY_STRING", ""),
                    "authorization": environ.get("HTTP_AUTHORIZATION", ""),
                    "client_request_id": environ.get("HTTP_X_CLIENT_REQUEST_ID", ""),
                }
            )
        return self.app(environ, start_response)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def paths(self) -> list[str]:
        return [request["path"] for request in self.requests]


class ScriptedServer:
    """An HTTP server on 127.0.0.1 whose answers a test sets: status, headers and raw body."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.body = b"{}"
        self.hits = 0
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                scripted.hits += 1
                self.send_response(scripted.status)
                for name, value in scripted.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(scripted.body)))
                self.end_headers()
                self.wfile.write(scripted.body)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.status, self.body = status, body
        self.headers = {"Content-Type": content_type}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
