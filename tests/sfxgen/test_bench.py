"""Benchmark plumbing on the tiny bundle (numbers are not asserted: it is a benchmark) and the FD metric."""

from __future__ import annotations

import os

import numpy as np
import pytest

from sfxgen.bench import BenchConfig, format_table, frechet_distance, run_bench


def test_frechet_distance_matches_closed_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200_000, 2)) * [1.0, 2.0] + [0.0, 1.0]
    b = rng.standard_normal((200_000, 2)) * [1.5, 2.0] + [1.0, 1.0]
    # diagonal Gaussians: FD = |mu_a - mu_b|^2 + sum (s_a - s_b)^2 = 1 + 0.25
    assert abs(frechet_distance(a, b) - 1.25) < 0.03
    assert abs(frechet_distance(a, a)) < 1e-6


def test_bench_runs_and_prints_a_table(tiny_bundle):
    cfg = BenchConfig(
        bundle=tiny_bundle, variations=2, duration=0.5, repeats=1, ddpm_steps=40, quality_seeds=3,
        quality_duration=0.5, cold=False, torch=False, providers="cpu",
    )  # fmt: skip
    r = run_bench(cfg)
    assert r["provider"] == "CPUExecutionProvider"
    assert r["rtf"]["wall_s"] > 0 and r["denoiser_step_s"] > 0
    q = r["quality"]
    assert q["reference"] == "ddpm 40 steps" and q["fd_fast_vs_ddpm"] >= 0 and q["speedup"] > 1
    table = format_table(r)
    assert "denoiser step" in table and "target: 2 x 0.5 s warm" in table
    assert set(r["vocoder"]["time_s"]) == {"pghi", "random"} and "vocoder 2 x 0.5 s: PGHI start" in table
    assert [s["steps"] for s in q["sweep"]] == sorted({10, 50, r["rtf"]["steps"]})
    tp, cores = r["throughput"], os.cpu_count() or 1
    assert (tp["one_worker"]["workers"], tp["one_worker"]["threads"]) == (1, cores)
    assert (tp["per_core"]["workers"], tp["per_core"]["threads"]) == (cores, 1)
    assert tp["speedup"] == pytest.approx(tp["one_worker"]["wall_s"] / tp["per_core"]["wall_s"])
    assert f"throughput {2 * cores} x (2 x 0.5 s)" in table


def test_bench_times_another_bundle_side_by_side(tiny_bundle):
    cfg = BenchConfig(
        bundle=tiny_bundle, variations=2, duration=0.5, repeats=2, cold=False, torch=False, providers="cpu",
        throughput=False, quality=False, compare=tiny_bundle,
    )  # fmt: skip
    r = run_bench(cfg)
    vs = r["versus"]
    assert "quality" not in r and vs["shapes"]["this"] == vs["shapes"]["other"] == r["denoiser_step_shape"]
    assert vs["generate_ratio"] == pytest.approx(vs["generate_s"]["this"] / vs["generate_s"]["other"])
    assert vs["step_ratio"] == pytest.approx(vs["denoiser_step_s"]["this"] / vs["denoiser_step_s"]["other"])
    assert all(v > 0 for d in (vs["generate_s"], vs["denoiser_step_s"]) for v in d.values())
    table = format_table(r)
    assert f"generate 2 x 0.5 s: {r['bundle']['id']} / {vs['bundle']}" in table and "quality" not in table
