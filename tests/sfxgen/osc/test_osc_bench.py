"""The OSC benchmark runs end to end (numbers are reported, not asserted against a time)."""

from __future__ import annotations

import argparse

from sfxgen.bench_osc import run_bench


def test_bench_reports_latency_and_throughput(bridge, engine):
    ns = argparse.Namespace(requests=3, duration=0.25, steps=2, window=4)
    result = run_bench(*bridge.address, ns, engine=engine)
    for key in ("ping", "sequential", "engine_only"):
        assert 0 < result[key]["p50_ms"] <= result[key]["p95_ms"]
    assert result["pipelined"]["done"] == 6 and result["pipelined"]["done_per_s"] > 0
    assert result["sequential"]["p50_ms"] > result["ping"]["p50_ms"]  # generation costs more than a ping
