"""Short, stable names for what went wrong with a probe's connection or query, to count errors
by kind."""

from __future__ import annotations

import socket
import ssl

# Substrings of libpq's and PyMySQL's messages (lower case), first match wins. The drivers raise
# one OperationalError class for all of them, so the text is all there is to go on.
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("refused", ("connection refused", "errno 111")),
    ("timeout", ("timeout expired", "timed out", "timeout")),
    (
        "dns",
        ("could not translate host name", "name or service not known", "nodename nor servname"),
    ),
    (
        # Something answered that is not the database (an HTTP proxy, another service).
        "protocol",
        ("expected authentication request", "received invalid response", "packet sequence"),
    ),
    (
        "auth",
        (
            "password authentication failed",
            "pam authentication failed",
            "access denied",
            "no pg_hba.conf entry",
            "authentication",
        ),
    ),
    (
        # The server is up but not serving: a primary shutting down or a standby being promoted.
        "not-accepting",
        (
            "the database system is",
            "server is shutting down",
            "terminating connection",
            "read-only",
            "read only",
        ),
    ),
    (
        "connection-lost",
        (
            "server closed the connection",
            "lost connection",
            "gone away",
            "connection reset",
            "broken pipe",
            "eof",
            "consuming input failed",
            "connection is closed",
            "connection is lost",
            "ssl syscall error",
            "ssl connection has been closed unexpectedly",
        ),
    ),
    ("tls", ("ssl", "certificate", "tls")),
)


def error_kind(error: BaseException) -> str:
    """A short, stable name for what went wrong, to count errors by kind."""
    if isinstance(error, ConnectionRefusedError):
        return "refused"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, socket.gaierror):
        return "dns"
    if isinstance(error, ssl.SSLError):
        return "tls"
    text = str(error).lower()
    for kind, needles in _KINDS:
        if any(needle in text for needle in needles):
            return kind
    if isinstance(error, ConnectionError):
        return "connection-lost"
    return f"other:{type(error).__name__}"


def error_text(error: BaseException) -> str:
    """The first line of the driver's message: libpq adds hints on further lines."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
