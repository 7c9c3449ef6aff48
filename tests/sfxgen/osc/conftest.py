"""Real engine (tiny bundle) + real UDP bridge on 127.0.0.1 + python-osc clients, every wait bounded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pythonosc.osc_message import OscMessage
from pythonosc.udp_client import SimpleUDPClient

from sfxgen.engine import Engine
from sfxgen.osc.server import OscServer

TERMINAL = ("/sfxgen/done", "/sfxgen/error", "/sfxgen/busy")


class Client:
    """A python-osc client whose own socket also receives the bridge's replies (on a reader thread)."""

    def __init__(self, port: int) -> None:
        self.osc = SimpleUDPClient("127.0.0.1", port)
        sock: socket.socket = self.osc._sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.05)
        self.replies: list[tuple[str, list[Any]]] = []
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.osc._sock.recv(65535)
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return
            msg = OscMessage(data)
            with self._cv:
                self.replies.append((msg.address, list(msg.params)))
                self._cv.notify_all()

    def send(self, address: str, *args: Any) -> None:
        self.osc.send_message(address, list(args))

    def send_raw(self, data: bytes) -> None:
        self.osc._sock.sendto(data, (self.osc._address, self.osc._port))

    def wait_for(self, pred: Callable[[list[tuple[str, list[Any]]]], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cv:
            while not pred(self.replies):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def about(self, req_id: Any) -> list[tuple[str, list[Any]]]:
        with self._cv:
            return [(a, p) for a, p in self.replies if p and p[0] == req_id]

    def terminal(self, req_id: Any, timeout: float = 10.0) -> tuple[str, list[Any]]:
        """The one done/error/busy reply of req_id (asserts it arrives)."""
        ok = self.wait_for(lambda rs: any(a in TERMINAL and p and p[0] == req_id for a, p in rs), timeout)
        assert ok, f"no terminal reply for {req_id!r} in {timeout} s; got {self.about(req_id)}"
        return next((a, p) for a, p in self.about(req_id) if a in TERMINAL)

    def request(self, address: str, *args: Any, timeout: float = 10.0) -> tuple[str, list[Any]]:
        self.send(address, *args)
        return self.terminal(args[0], timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.osc._sock.close()


@pytest.fixture(scope="module")
def engine(tiny_bundle_full: Path) -> Iterator[Engine]:
    eng = Engine(tiny_bundle_full, providers="cpu", max_queue=16, num_threads=1)
    eng.start()
    yield eng
    eng.close()


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def bridge(engine: Engine, out_dir: Path) -> Iterator[OscServer]:
    server = OscServer(engine, out_dir, port=0, progress_interval=0.0).start()
    yield server
    server.close()


@pytest.fixture
def client_for() -> Iterator[Callable[[int], Client]]:
    """Clients of a bridge on a given port, closed after the test."""
    made: list[Client] = []

    def make(port: int) -> Client:
        c = Client(port)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client_factory(bridge: OscServer, client_for: Callable[[int], Client]) -> Callable[[], Client]:
    return lambda: client_for(bridge.address[1])


@pytest.fixture
def client(client_factory: Callable[[], Client]) -> Client:
    return client_factory()
