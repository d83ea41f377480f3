"""Where ``serve`` listens: the host and port checked and bound before the model loads, so
that a port in use or a host that needs a token is one line at once, not after seconds
of loading; and the bound socket handed to uvicorn (``--port 0``: a free port, known
before the record is written)."""

from __future__ import annotations

import errno
import ipaddress
import socket

from gpt_is_you.serving.errors import ServeError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000  # the usual port of local OpenAI-compatible servers; 0 picks a free one
TOKEN_VARIABLE = "GPT_IS_YOU_SERVE_TOKEN"


def is_loopback(host: str) -> bool:
    """Only this machine can reach ``host``: localhost, 127.0.0.0/8, ::1."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost may lead anywhere
        return False


def check_token(host: str, token: str | None) -> None:
    """Anyone who can reach a server on another address can talk to the model (and use
    the machine): there, a token is required."""
    if token is None and not is_loopback(host):
        raise ServeError(
            f"serving on {host} lets other machines in: set a token with --token or "
            f"{TOKEN_VARIABLE} (clients send it as their API key), or serve on 127.0.0.1"
        )


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening; the refusals as one line."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError):
        raise ServeError(f"no address named {host!r} on this machine: check --host") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise ServeError(_refusal(e, host, port)) from None
    return sock


def _refusal(error: OSError, host: str, port: int) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is in use (another server?): choose another with "
            "--port N (0 picks a free one)"
        )
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port}: choose one above 1023 with --port N"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: check --host"
    return f"cannot listen on {host} port {port}: {error.strerror or error}"
