"""What the fake services share: a real HTTP server on 127.0.0.1 (a free port), a thread
per connection, keep-alive as the clients' connection pools expect, and every
connection it holds shut when the test is done with it."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), handler)

    def track(self, sock: socket.socket, opened: bool) -> None:
        with self._open_lock:
            (self._open.add if opened else self._open.discard)(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a test closing its client, a cut stream) is no error.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def serve(self) -> LocalServer:
        """Answer requests in a thread of its own from now on."""
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.close_connections()
        self.server_close()

    def close_connections(self) -> None:
        # Keep-alive connections would hold their threads until the client lets go.
        with self._open_lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()


class KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the clients' connection pools expect
    timeout = 30
    server: LocalServer

    def setup(self) -> None:
        super().setup()
        # Without this, a reply written in two sends (head, then body) waits out the
        # client's delayed ACK: some 40 ms a request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the tests read what the fake recorded instead
