"""A TCP proxy that a test can cut: the outage a failover causes, on a local database.

``cut()`` closes every live connection (the client reads EOF, as when a primary dies) and stops
listening, so new connections are refused until ``restore()`` listens again on the same port.
``cut_for(seconds)`` does both from a timer thread and records when each really happened;
with ``after_replies`` it first waits until the server has answered that many times through the
proxy, so that the client is logged in and querying when the cut comes, however slowly it
started.

Run as a script, it cuts once and exits (docs/runbooks/probe.md):
``python tests/cli/tcp_proxy.py --upstream 127.0.0.1:5432 --port 15433 --cut-after 2
--cut-for 1.5 --stop-after 6``
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass
class Cut:
    started: float = 0.0  # time.monotonic() of the cut
    ended: float = 0.0  # time.monotonic() of the restore

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class CuttableProxy:
    def __init__(self, upstream_host: str, upstream_port: int, port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = port
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._accepting = threading.Event()
        self._threads: list[threading.Thread] = []
        self._replies = 0  # chunks relayed from the server to a client
        self._replied = threading.Condition(self._lock)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> CuttableProxy:
        self._listen()
        return self

    def close(self) -> None:
        self.cut()

    def __enter__(self) -> CuttableProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
        for thread in self._threads:
            thread.join(timeout=2)

    # --- the outage ----------------------------------------------------------------------------

    def cut(self) -> None:
        self._accepting.clear()
        with self._lock:
            listener, self._listener = self._listener, None
            live, self._sockets = self._sockets, set()
        if listener is not None:
            listener.close()
        for sock in live:
            # shutdown wakes the pump threads blocked in recv; the client reads EOF at once.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self._listen()

    def cut_for(
        self, seconds: float, *, after: float = 0.0, after_replies: int = 0
    ) -> tuple[Cut, threading.Thread]:
        cut = Cut()

        def run() -> None:
            with self._replied:
                self._replied.wait_for(lambda: self._replies >= after_replies, timeout=30)
            time.sleep(after)
            cut.started = time.monotonic()
            self.cut()
            time.sleep(seconds)
            self.restore()
            cut.ended = time.monotonic()

        thread = threading.Thread(target=run, name="cut-proxy", daemon=True)
        thread.start()
        return cut, thread

    # --- plumbing ------------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        # accept() is not woken by close() from another thread on Linux: poll instead.
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        self._accepting.set()
        self._spawn(self._accept_loop, listener)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._accepting.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.upstream, timeout=2)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    server.close()
                    return
                self._sockets.update((client, server))
            self._spawn(self._pump, client, server)
            self._spawn(self._pump, server, client, True)

    def _pump(self, source: socket.socket, sink: socket.socket, replies: bool = False) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                if replies:
                    with self._replied:
                        self._replies += 1
                        self._replied.notify_all()
        except OSError:
            pass
        finally:
            # Each socket is the source of one pump: close it here; shutting the other down
            # ends its pump, which closes it.
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            source.close()
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)


def main() -> None:
    parser = argparse.ArgumentParser(description="A TCP proxy that cuts itself once.")
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the database")
    parser.add_argument("--port", type=int, required=True, help="port to listen on (127.0.0.1)")
    parser.add_argument("--cut-after", type=float, default=2.0, help="seconds before the cut")
    parser.add_argument("--cut-for", type=float, default=1.5, help="seconds the cut lasts")
    parser.add_argument("--stop-after", type=float, default=6.0, help="seconds before exiting")
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")

    def say(what: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
        print(f"tcp_proxy: {what} at {stamp} UTC", file=sys.stderr, flush=True)

    with CuttableProxy(host, int(port), args.port) as proxy:
        say(f"listening on 127.0.0.1:{proxy.port} for {args.upstream}")
        time.sleep(args.cut_after)
        proxy.cut()
        say("cut")
        time.sleep(args.cut_for)
        proxy.restore()
        say(f"restored after {args.cut_for}s")
        time.sleep(max(0.0, args.stop_after - args.cut_after - args.cut_for))


if __name__ == "__main__":
    main()
