"""UDP transport of the OSC bridge: one socket, one receive thread, one shared engine.

The transport is python-osc's own base, ``socketserver.UDPServer`` (what
``BlockingOSCUDPServer`` / ``ThreadingOSCUDPServer`` derive from), with python-osc
doing the packet parsing inside :class:`~sfxgen.osc.router.Router`. A single
receive thread is deliberate: routing a datagram only parses, checks and
queues (microseconds; the engine works on its own thread), so a thread per
datagram (``ThreadingMixIn``) would only add start-up cost, reorder a burst,
and let a 1000-datagram burst start 1000 threads. Bundle time tags are not
honoured (a far-future tag must not park a thread).

Replies go from the same socket to the sender, or to the sender's host at
``reply_port`` (Max's ``udpsend`` sends from a random port; its ``udpreceive``
listens on a fixed one). Socket errors on send (a client that vanished) are
logged and dropped: UDP has no connection to wait on, so one gone client
never blocks the others.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import socketserver
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sfxgen.osc import addresses as A
from sfxgen.osc.codec import build_message
from sfxgen.osc.router import Address, Router

log = logging.getLogger(__name__)

RECV_BUFFER_BYTES = 4 * 1024 * 1024  # absorbs a burst of ~1000 requests while the router catches up
MAX_DATAGRAM = 65535


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost"."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, _sock = self.request
        server: _UDPTransport = self.server  # type: ignore[assignment]
        host, port = self.client_address[:2]
        reply_to = (host, server.reply_port or port)
        try:
            server.router.handle_packet(data, reply_to)
        except Exception:  # Router.handle_packet never raises; belt and braces
            log.exception("packet from %s crashed the router", reply_to)


class _UDPTransport(socketserver.UDPServer):
    max_packet_size = MAX_DATAGRAM  # socketserver's default 8192 would cut long prompts
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], router: Router | None, reply_port: int | None) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.router = router  # type: ignore[assignment]
        self.reply_port = reply_port
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER_BYTES)
        except OSError:
            log.warning("could not enlarge the UDP receive buffer; large bursts may lose datagrams")
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.exception("unhandled error for a datagram from %s", client_address)


class OscServer:
    """The bridge: a UDP socket + :class:`Router` over one shared engine.

    Args:
        engine: a started :class:`sfxgen.engine.Engine` (the caller owns and closes it).
        out_dir: the only folder files are written into.
        host: bind address; loopback by default, anything else is warned about.
        port: UDP port (0 = pick a free one; see :attr:`address`).
        reply_port: send replies to the sender's host at this port instead of the sender's port.
        reply_files: write ``<out>/replies/<id>.json`` for every request.
        presets_dir: folder of preset packs for ``/sfxgen/preset <name>``.
        progress_interval: minimum seconds between progress replies of one request.
    """

    def __init__(
        self,
        engine: Any,
        out_dir: str | Path,
        *,
        host: str = A.DEFAULT_HOST,
        port: int = A.DEFAULT_PORT,
        reply_port: int | None = None,
        reply_files: bool = False,
        presets_dir: str | Path | None = None,
        progress_interval: float = A.PROGRESS_INTERVAL_S,
    ) -> None:
        if not is_loopback(host):
            log.warning(
                "binding the OSC bridge to %s: any machine that can reach this port can make it generate "
                "audio and write files into %s; there is no authentication. Use 127.0.0.1 unless you need it.",
                host,
                out_dir,
            )
        self._transport = _UDPTransport((host, port), None, reply_port)
        self.router = Router(
            engine,
            out_dir,
            self._send,
            reply_files=reply_files,
            presets_dir=presets_dir,
            progress_interval=progress_interval,
        )
        self._transport.router = self.router
        self._send_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def address(self) -> Address:
        """The bound (host, port)."""
        return self._transport.server_address[:2]

    def _send(self, reply_to: Address, address: str, args: Sequence[Any]) -> None:
        try:
            dgram = build_message(address, args)
        except Exception:
            log.exception("could not encode reply %s %r", address, list(args)[:4])
            return
        try:
            with self._send_lock:
                self._transport.socket.sendto(dgram, reply_to)
        except OSError as e:  # client gone, unreachable, buffer full: UDP is best effort
            log.debug("reply %s to %s not sent: %s", address, reply_to, e)

    def start(self) -> OscServer:
        """Serve on a background thread; returns self."""
        self._thread = threading.Thread(
            target=self._transport.serve_forever, kwargs={"poll_interval": 0.05}, name="osc-bridge", daemon=True
        )
        self._thread.start()
        log.info("sfxgen OSC bridge listening on %s:%d", *self.address)
        return self

    def close(self, reason: str = "bridge shut down") -> None:
        """Stop receiving, end every open request with an error reply, close the socket. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._transport.shutdown()
            self._thread.join(timeout=5)
        self.router.close(reason)
        self._transport.server_close()

    def __enter__(self) -> OscServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
