"""OSC bridge benchmark: request-to-done latency and throughput over real UDP on loopback.

Usage::

    python -m sfxgen.bench_osc --bundle DIR [--requests 50] [--duration 0.5] [--steps N] [--json OUT]
    python -m sfxgen.bench_osc --port 9000 ...      # against a bridge that is already running

Three measurements, each on the same engine:

- ``ping``: round trip of ``/sfxgen/ping`` (transport + routing, no engine);
- ``sequential``: one ``/sfxgen/generate`` at a time, request -> ``done`` latency (p50/p95), which is
  generation time plus bridge overhead; ``engine_only`` runs the same requests through
  ``Engine.generate`` directly, so ``overhead`` = bridge latency - engine latency;
- ``pipelined``: keep ``--window`` requests in flight (busy answers are retried after a short
  wait and counted): sustained done/s.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pythonosc.osc_message import OscMessage

from sfxgen.osc import addresses as A
from sfxgen.osc.codec import build_message

log = logging.getLogger(__name__)


class _Client:
    def __init__(self, host: str, port: int) -> None:
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.bind(("127.0.0.1", 0))

    def send(self, address: str, *args: Any) -> None:
        self.sock.sendto(build_message(address, args), self.addr)

    def recv(self, deadline: float) -> tuple[str, list[Any]] | None:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        self.sock.settimeout(left)
        try:
            msg = OscMessage(self.sock.recv(65535))
        except TimeoutError:
            return None
        return msg.address, list(msg.params)

    def wait(self, req_id: Any, addresses: tuple[str, ...], timeout: float) -> tuple[str, list[Any]]:
        deadline = time.monotonic() + timeout
        while (r := self.recv(deadline)) is not None:  # bounded by the deadline
            if r[0] in addresses and r[1] and r[1][0] == req_id:
                return r
        raise TimeoutError(f"no {addresses} for {req_id!r} within {timeout} s")


def _pcts(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {
        "p50_ms": 1000 * statistics.median(xs),
        "p95_ms": 1000 * xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))],
        "mean_ms": 1000 * statistics.fmean(xs),
    }


def _gen_args(req_id: str, i: int, ns: argparse.Namespace) -> list[Any]:
    args: list[Any] = [req_id, "wooden door slams shut", ns.duration, 1, i, -1]
    if ns.steps:
        args += ["steps", ns.steps]
    return args


def run_bench(host: str, port: int, ns: argparse.Namespace, engine: Any = None) -> dict[str, Any]:
    c = _Client(host, port)
    out: dict[str, Any] = {"requests": ns.requests, "duration_s": ns.duration, "steps": ns.steps}
    pings = []
    for i in range(max(20, ns.requests)):
        t0 = time.perf_counter()
        c.send(A.PING, f"t{i}")
        c.wait(f"t{i}", (A.PONG,), 5)
        pings.append(time.perf_counter() - t0)
    out["ping"] = _pcts(pings)

    for i in range(2):  # warm-up (first session runs, file system)
        c.send(A.GENERATE, *_gen_args(f"w{i}", i, ns))
        c.wait(f"w{i}", A.TERMINAL_REPLIES, 60)
    lat = []
    for i in range(ns.requests):
        t0 = time.perf_counter()
        c.send(A.GENERATE, *_gen_args(f"s{i}", i, ns))
        address, args = c.wait(f"s{i}", A.TERMINAL_REPLIES, 120)
        if address != A.DONE:
            raise RuntimeError(f"request s{i} answered {address} {args}")
        lat.append(time.perf_counter() - t0)
    out["sequential"] = _pcts(lat)

    if engine is not None:
        from sfxgen.request import GenerateRequest

        tmp = Path(tempfile.mkdtemp(prefix="sfxgen-bench-"))
        eng_lat = []
        for i in range(ns.requests):
            req = GenerateRequest(
                prompt="wooden door slams shut", duration=ns.duration, variations=1, seed=i, steps=ns.steps or None,
                out_dir=tmp, file_stems=(f"e{i}",),
            )  # fmt: skip
            t0 = time.perf_counter()
            engine.generate(req, timeout=120)
            eng_lat.append(time.perf_counter() - t0)
        out["engine_only"] = _pcts(eng_lat)
        out["overhead_p50_ms"] = out["sequential"]["p50_ms"] - out["engine_only"]["p50_ms"]

    # Pipelined: keep `window` in flight; busy -> retry the same request later.
    todo = [f"q{i}" for i in range(ns.requests * 2)]
    pending: set[str] = set()
    done = busy = 0
    t0 = time.perf_counter()
    deadline = time.monotonic() + 300
    while (todo or pending) and time.monotonic() < deadline:
        while todo and len(pending) < ns.window:
            rid = todo.pop()
            pending.add(rid)
            c.send(A.GENERATE, *_gen_args(rid, int(rid[1:]), ns))
        r = c.recv(time.monotonic() + 10)
        if r is None:
            break
        address, args = r
        if address in A.TERMINAL_REPLIES and args and args[0] in pending:
            pending.discard(args[0])
            if address == A.DONE:
                done += 1
            elif address == A.BUSY:
                busy += 1
                todo.append(args[0])
                time.sleep(0.005)
    wall = time.perf_counter() - t0
    out["pipelined"] = {
        "window": ns.window,
        "done": done,
        "busy_retries": busy,
        "seconds": wall,
        "done_per_s": done / wall,
    }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sfxgen.bench_osc", description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", help="start an in-process bridge on this bundle")
    ap.add_argument("--host", default=A.DEFAULT_HOST)
    ap.add_argument("--port", type=int, default=None, help="use a running bridge instead of --bundle")
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--duration", type=float, default=0.5)
    ap.add_argument("--steps", type=int, default=0, help="sampler steps (0 = bundle default)")
    ap.add_argument("--window", type=int, default=8, help="requests in flight in the pipelined run")
    ap.add_argument("--max-queue", type=int, default=16)
    ap.add_argument("--providers", default="cpu")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    ns = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if ns.port is not None:
        result = run_bench(ns.host, ns.port, ns)
    elif ns.bundle:
        from sfxgen.engine import Engine
        from sfxgen.osc.server import OscServer

        os.environ.setdefault("OMP_NUM_THREADS", "1")
        engine = Engine(ns.bundle, providers=ns.providers, max_queue=ns.max_queue, num_threads=1)
        engine.start()
        try:
            with OscServer(engine, tempfile.mkdtemp(prefix="sfxgen-bench-osc-"), port=0) as server:
                result = run_bench(*server.address, ns, engine=engine)
                result["provider"] = engine.provider
                result["bundle_id"] = engine.bundle.bundle_id
        finally:
            engine.close()
    else:
        ap.error("give --bundle DIR (in-process bridge) or --port P (running bridge)")
    text = json.dumps(result, indent=2)
    sys.stdout.write(text + "\n")
    if ns.json:
        ns.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
