"""1000 requests in one burst: every one is answered exactly once (done, error or busy), none lost."""

from __future__ import annotations

import collections
import time
from pathlib import Path

from sfxgen.engine import Engine
from sfxgen.osc.server import OscServer

TERMINAL = ("/sfxgen/done", "/sfxgen/error", "/sfxgen/busy")
N = 1000


def test_burst_of_1000_none_lost(client, bridge, out_dir):
    t0 = time.monotonic()
    for i in range(N):
        if i % 10 == 9:
            client.send("/sfxgen/generate", f"b{i}", "door", 99.0)  # invalid duration -> error
        else:
            client.send("/sfxgen/generate", f"b{i}", "door", 0.25, 1, i, -1, "steps", 2)
    sent = time.monotonic() - t0

    def all_answered(rs) -> bool:
        return sum(a in TERMINAL for a, _ in rs) >= N

    assert client.wait_for(all_answered, 45), f"{sum(a in TERMINAL for a, _ in client.replies)} of {N} answered"
    time.sleep(0.2)  # any duplicate would arrive now
    terminal = collections.Counter()
    per_id = collections.Counter()
    accepted = set()
    for address, args in client.replies:
        if address in TERMINAL:
            terminal[address] += 1
            per_id[args[0]] += 1
        elif address == "/sfxgen/accepted":
            accepted.add(args[0])
    assert set(per_id) == {f"b{i}" for i in range(N)}  # none lost
    assert set(per_id.values()) == {1}  # none answered twice
    assert terminal["/sfxgen/error"] == N // 10  # exactly the invalid ones
    assert terminal["/sfxgen/done"] + terminal["/sfxgen/busy"] == N - N // 10
    assert terminal["/sfxgen/done"] == len(accepted) >= 17  # the queue (16) + the running job, at least
    done_files = [Path(p) for a, args in client.replies if a == "/sfxgen/done" for p in args[1:]]
    assert len(done_files) == terminal["/sfxgen/done"] and all(f.is_file() for f in done_files)
    assert bridge.router.counts["received"] == N
    print(
        f"\nburst: sent {N} in {sent * 1000:.0f} ms; done {terminal['/sfxgen/done']}, "
        f"busy {terminal['/sfxgen/busy']}, error {terminal['/sfxgen/error']}"
    )


def test_burst_on_a_two_worker_engine_none_lost(tiny_bundle_full, tmp_path, client_for):
    """Done callbacks arrive from two worker threads at once: still one answer per request, distinct files."""
    n = 200
    with Engine(tiny_bundle_full, providers="cpu", max_queue=16, num_threads=1, workers=2) as engine:
        server = OscServer(engine, tmp_path / "out", port=0, progress_interval=0.0).start()
        try:
            client = client_for(server.address[1])
            for i in range(n):
                client.send("/sfxgen/generate", f"w{i}", "door", 0.25, 1, i, -1, "steps", 2)
            ok = client.wait_for(lambda rs: sum(a in TERMINAL for a, _ in rs) >= n, 45)
            assert ok, f"{sum(a in TERMINAL for a, _ in client.replies)} of {n} answered"
            time.sleep(0.2)  # any duplicate would arrive now
            per_id = collections.Counter(args[0] for a, args in client.replies if a in TERMINAL)
            assert set(per_id) == {f"w{i}" for i in range(n)} and set(per_id.values()) == {1}
            done = [Path(p) for a, args in client.replies if a == "/sfxgen/done" for p in args[1:]]
            assert len(done) >= 18 and len(set(done)) == len(done) and all(f.is_file() for f in done)
        finally:
            server.close()
