"""The HTTP front: one ThreadingHTTPServer for both services and the admin API."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from statusmon_emulator.core import EmulatorCore, Reply

log = logging.getLogger("statusmon_emulator")

ADMIN_PREFIX = "/_emulator"


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], core: EmulatorCore) -> None:
        super().__init__(address, RequestHandler)
        self.core = core


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as boto3's connection pool expects
    # Headers and body go out in separate writes; without TCP_NODELAY every keep-alive call
    # would wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _dispatch(self, method: str) -> None:
        body = self._body()
        path = self.path.split("?", 1)[0]
        core = self.server.core
        if path.startswith(ADMIN_PREFIX):
            self._send(core.handle_admin(method, path, body))
        else:
            self._send(core.handle_aws(self.headers.get("X-Amz-Target", ""), body))

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)
