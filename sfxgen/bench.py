"""``sfxgen bench``: a benchmark (not a timed test) of the engine on one bundle.

Measured side by side in one run (absolute times on a shared 2-core machine are noisy; the
ratios are what to compare):
  * cold start to first audio: a fresh Python process imports sfxgen, opens the sessions and
    writes one 1 s file (wall clock, includes the interpreter start);
  * warm engine start (session creation) inside this process;
  * time per denoiser step: one CFG call (batch 2N) at N x duration;
  * real-time factor: N variations x duration seconds on a warm engine (median of repeats);
  * the vocoder on one generated batch, Griffin-Lim from a PGHI start vs from a random start
    (its cost next to the whole generate);
  * few-step sampler vs the papers' 1000-step DDPM at matched quality. Quality is compared
    on the generated log-mels (before the vocoder) over ``quality_seeds`` seeds: the Fréchet
    distance between the Gaussians fitted to their mel frames (FD, like FAD but on mel
    frames), next to the FD between two DDPM runs on disjoint seeds (the noise floor: what
    "same quality" looks like), plus the mean absolute difference of the mean log-mel spectrum;
  * batch throughput: 2K batches through one engine worker with every core, then through K
    workers with one thread each (K = cores; what ``render --workers`` and the eval use);
  * onnxruntime vs torch eager on the same weights: needs torch, so it is delegated to
    ``exporters.bench_torch.compare`` when that module and torch are installed;
  * with ``compare``: another bundle's warm generate and denoiser step, timed in alternation with
    this one's on the same request (what a new graph costs, e.g. a bigger denoiser).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from sfxgen import samplers
from sfxgen.engine import Engine
from sfxgen.mel import denormalize
from sfxgen.pghi import PhaseInit
from sfxgen.pipeline import plan_request
from sfxgen.request import GenerateRequest

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """What to measure."""

    bundle: Path  # bundle folder
    prompt: str = "heavy wooden door slams shut"
    variations: int = 4  # N of the RTF measurement
    duration: float = 4.0  # seconds of each variation
    repeats: int = 3  # warm runs; the median is reported
    threads: int = 1  # onnxruntime intra-op threads (1: comparable on a shared machine)
    providers: str = "auto"
    ddpm_steps: int = 1000  # the papers' reference sampler
    quality_seeds: int = 8  # seeds of the quality comparison
    quality_duration: float = 2.0  # seconds of each quality sample
    quality_steps: tuple[int, ...] = (10, 50)  # extra step counts of the fast sampler to compare (with the default)
    cold: bool = True  # run the cold-start subprocess
    throughput: bool = True  # compare one all-core worker with one worker per core on a queue of batches
    torch: bool = True  # try the onnxruntime vs torch comparison
    quality: bool = True  # the few-step vs DDPM quality comparison (the slowest part)
    compare: Path | None = None  # another bundle timed side by side with this one


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FD between Gaussians fitted to rows of a (n, d) and b (m, d): |mu_a - mu_b|^2 + Tr(Ca + Cb - 2 sqrt(Ca Cb))."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # sqrt(Ca Cb) via the symmetric form sqrt(sqrt(Ca) Cb sqrt(Ca)) (same trace), eigh only
    w, v = np.linalg.eigh(ca)
    sa = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    w2 = np.linalg.eigvalsh(sa @ cb @ sa)
    tr_sqrt = np.sqrt(np.clip(w2, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2.0 * tr_sqrt)


def _cold_start(bundle: Path, threads: int, out_dir: Path) -> dict[str, float]:
    code = f"""
import time, json, sys
from pathlib import Path
from sfxgen.engine import Engine
from sfxgen.request import GenerateRequest
t_import = time.perf_counter()
eng = Engine({str(bundle)!r}, num_threads={threads})
eng.start()
t_start = time.perf_counter()
eng.generate(GenerateRequest(prompt="door", variations=1, duration=1.0, seed=0, out_dir=Path({str(out_dir)!r}),
             overwrite=True))
t_audio = time.perf_counter()
eng.close()
print(json.dumps({{"import": t_import, "start": t_start, "audio": t_audio}}))
"""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"cold-start run failed: {proc.stderr[-2000:]}")
    marks = json.loads(proc.stdout.strip().splitlines()[-1])
    # marks are perf_counter values of the child; report the child's own intervals and our wall clock
    return {
        "process_to_first_audio_s": wall,
        "engine_start_s": marks["start"] - marks["import"],
        "first_generation_s": marks["audio"] - marks["start"],
    }


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _log_mels(engine: Engine, prompt: str, seeds: list[int], duration: float, sampler: str, steps: int) -> np.ndarray:
    """Generated log-mels (N, M, T) of one batch (steps 1-5 of the pipeline, no vocoder)."""
    pipe = engine.pipeline
    assert pipe is not None
    with tempfile.TemporaryDirectory() as tmp:
        req = GenerateRequest(
            prompt=prompt, variations=len(seeds), duration=duration, sampler=sampler, steps=steps, out_dir=Path(tmp)
        )
        plan = plan_request(req, engine.bundle, seeds=seeds)
    cond = pipe.query.condition(plan.mode, prompt, plan.seeds)
    from sfxgen.schedule import spaced_timesteps

    rngs = [np.random.default_rng(s) for s in plan.seeds]
    x_T = samplers.randn(rngs, (engine.bundle.mel.n_mels, plan.num_frames))
    ts = spaced_timesteps(pipe.schedule.num_train_steps, plan.steps)
    x0 = samplers.sample(
        plan.sampler, pipe.denoiser_fn(cond, plan.guidance), x_T, pipe.schedule, ts, engine.bundle.prediction, rngs
    )
    return denormalize(x0, engine.bundle.mel)


def _vocoder_phase(engine: Engine, config: BenchConfig) -> dict[str, Any]:
    """Vocoder time on one generated batch: Griffin-Lim from PGHI (the default) vs from a random phase."""
    pipe = engine.pipeline
    assert pipe is not None
    b = engine.bundle
    seeds = list(range(config.variations))
    log_mel = _log_mels(engine, config.prompt, seeds, config.duration, b.defaults.sampler, b.defaults.steps)
    length = round(config.duration * b.mel.sample_rate)
    times = {p.value: _median_time(lambda p=p: pipe.vocoder(log_mel, length, p), config.repeats) for p in PhaseInit}
    return {"batch": f"{config.variations} x {config.duration:g} s", "kind": pipe.vocoder.kind, "time_s": times}


def _frames(log_mel: np.ndarray) -> np.ndarray:
    return np.moveaxis(log_mel, 1, 2).reshape(-1, log_mel.shape[1])  # (N * T, M)


def _torch_compare(bundle: Path, threads: int) -> dict[str, Any]:
    if importlib.util.find_spec("torch") is None:
        return {"status": "skipped: torch is not installed (runtime-only install)"}
    if importlib.util.find_spec("exporters") is None or importlib.util.find_spec("exporters.bench_torch") is None:
        return {"status": "skipped: exporters.bench_torch is not available in this checkout"}
    module = importlib.import_module("exporters.bench_torch")  # torch only here, never at import of sfxgen
    return dict(module.compare(bundle, threads=threads))


def _cpu_model() -> str:
    """CPU model name and its widest SIMD flags (Linux /proc/cpuinfo; else platform.processor())."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    name = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name")), "unknown")
    flags = next((ln.split(":", 1)[1].split() for ln in info.splitlines() if ln.startswith("flags")), [])
    simd = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if f in flags]
    mhz = next((ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("cpu MHz")), "")
    return f"{name} ({', '.join(simd) or 'no AVX2'}{f', {float(mhz):.0f} MHz' if mhz else ''})"


def run_bench(config: BenchConfig) -> dict[str, Any]:
    """Run every measurement; returns a JSON-ready dict."""
    os.environ.setdefault("OMP_NUM_THREADS", str(config.threads))
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "cpu": _cpu_model(),
            "python": sys.version.split()[0],
        },
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(config).items()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if config.cold:
            results["cold_start"] = _cold_start(config.bundle, config.threads, out / "cold")
        t0 = time.perf_counter()
        engine = Engine(config.bundle, providers=config.providers, num_threads=config.threads)
        engine.start()
        results["warm_engine_start_s"] = time.perf_counter() - t0
        results["provider"] = engine.provider
        b = engine.bundle
        results["bundle"] = {"id": b.bundle_id, "sha256": b.manifest_sha256, "vocoder": engine.pipeline.vocoder.kind}
        try:
            n, dur = config.variations, config.duration
            timers = _Timers(engine, config, out)
            timers.generate()  # warm-up
            wall = _median_time(timers.generate, config.repeats)
            results["rtf"] = {
                "batch": f"{n} x {dur:g} s",
                "wall_s": wall,
                "rtf": wall / (n * dur),  # compute seconds per second of audio
                "steps": b.defaults.steps,
                "sampler": b.defaults.sampler,
                "strength": b.defaults.strength if b.library is not None else 1.0,  # < 1: ceil(steps * it) steps run
            }
            timers.step()
            results["denoiser_step_s"] = _median_time(timers.step, max(5, config.repeats))
            results["denoiser_step_shape"] = timers.shape
            if config.compare is not None:
                results["versus"] = _versus(timers, config, out)
            results["vocoder"] = _vocoder_phase(engine, config)
            if config.quality:
                results["quality"] = _quality(engine, config)
        finally:
            engine.close()
        if config.throughput:
            results["throughput"] = _throughput(config, out / "throughput")
    if config.torch:
        try:
            results["onnxruntime_vs_torch"] = _torch_compare(config.bundle, config.threads)
        except Exception as exc:  # a benchmark reports, it does not crash on an optional part
            results["onnxruntime_vs_torch"] = {"status": f"failed: {type(exc).__name__}: {exc}"}
    results["targets"] = _targets(results)
    return results


class _Timers:
    """The two timed calls of a bundle: a whole warm generate, and one CFG denoiser step at its shape."""

    def __init__(self, engine: Engine, config: BenchConfig, out: Path) -> None:
        self.engine, self.config, self.out = engine, config, out
        self.counter = iter(range(1_000_000))
        b = engine.bundle
        n, dur = config.variations, config.duration
        plan = plan_request(
            GenerateRequest(prompt=config.prompt, variations=n, duration=dur, seed=0, out_dir=out, overwrite=True), b
        )
        cond = engine.pipeline.query.condition(plan.mode, config.prompt, plan.seeds)
        self._fn = engine.pipeline.denoiser_fn(cond, plan.guidance)
        self._x = np.random.default_rng(0).standard_normal((n, b.mel.n_mels, plan.num_frames))  # (N, M, T)
        self._t = np.full(n, b.schedule.num_train_steps // 2, np.int64)
        self.shape = f"({2 * n if plan.guidance != 1.0 else n}, {b.mel.n_mels}, {plan.num_frames})"

    def generate(self) -> None:
        n = self.config.variations
        req = GenerateRequest(
            prompt=self.config.prompt,
            variations=n,
            duration=self.config.duration,
            seed=next(self.counter) * n,
            out_dir=self.out,
            overwrite=True,
        )
        self.engine.generate(req)

    def step(self) -> None:
        self._fn(self._x, self._t)


def _versus(ours: _Timers, config: BenchConfig, out: Path) -> dict[str, Any]:
    """This bundle and ``config.compare`` on the same request, timed in alternation (so drift hits both)."""
    other = Engine(config.compare, providers=config.providers, num_threads=config.threads)
    other.start()
    try:
        theirs = _Timers(other, config, out / "versus")
        theirs.generate()  # warm-up
        theirs.step()
        times: dict[str, dict[str, list[float]]] = {
            "generate": {"this": [], "other": []},
            "step": {"this": [], "other": []},
        }
        for what, rounds in (("generate", config.repeats), ("step", max(5, config.repeats))):
            for _ in range(rounds):
                for name, timers in (("this", ours), ("other", theirs)):
                    times[what][name].append(_median_time(getattr(timers, what), 1))
        med = {what: {k: statistics.median(v) for k, v in d.items()} for what, d in times.items()}
        return {
            "bundle": other.bundle.bundle_id,
            "generate_s": med["generate"],
            "denoiser_step_s": med["step"],
            "generate_ratio": med["generate"]["this"] / med["generate"]["other"],
            "step_ratio": med["step"]["this"] / med["step"]["other"],
            "shapes": {"this": ours.shape, "other": theirs.shape},
        }
    finally:
        other.close()


def _quality(engine: Engine, config: BenchConfig) -> dict[str, Any]:
    b = engine.bundle
    k = config.quality_seeds
    seeds_a = list(range(10_000, 10_000 + k))
    seeds_b = list(range(20_000, 20_000 + k))
    fast = (b.defaults.sampler, b.defaults.steps)
    ddpm = ("ddpm", min(config.ddpm_steps, b.schedule.num_train_steps))
    t0 = time.perf_counter()
    mel_fast = _log_mels(engine, config.prompt, seeds_a, config.quality_duration, *fast)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    mel_ddpm_a = _log_mels(engine, config.prompt, seeds_a, config.quality_duration, *ddpm)
    t_ddpm = time.perf_counter() - t0
    mel_ddpm_b = _log_mels(engine, config.prompt, seeds_b, config.quality_duration, *ddpm)
    fa, da, db = _frames(mel_fast), _frames(mel_ddpm_a), _frames(mel_ddpm_b)
    sweep = []
    for steps in sorted({*config.quality_steps, fast[1]}):
        t0 = time.perf_counter()
        mel = _log_mels(engine, config.prompt, seeds_a, config.quality_duration, fast[0], steps)
        elapsed = time.perf_counter() - t0
        sweep.append({"steps": steps, "fd_vs_ddpm": frechet_distance(_frames(mel), da), "time_s": elapsed})
    return {
        "sweep": sweep,
        "method": "Frechet distance between Gaussians fitted to generated log-mel frames (before the vocoder); "
        "noise floor = FD between two DDPM runs on disjoint seeds",
        "fast": f"{fast[0]} {fast[1]} steps",
        "reference": f"{ddpm[0]} {ddpm[1]} steps",
        "seeds": k,
        "fd_fast_vs_ddpm": frechet_distance(fa, da),
        "fd_ddpm_vs_ddpm_floor": frechet_distance(da, db),
        "mean_spectrum_l1_fast_vs_ddpm": float(np.abs(fa.mean(0) - da.mean(0)).mean()),
        "mean_spectrum_l1_floor": float(np.abs(da.mean(0) - db.mean(0)).mean()),
        "time_fast_s": t_fast,
        "time_ddpm_s": t_ddpm,
        "speedup": t_ddpm / t_fast,
    }


def _throughput(config: BenchConfig, out: Path) -> dict[str, Any]:
    """Wall time of 2K queued batches: one worker with K threads vs K workers with one thread each."""
    cores = os.cpu_count() or 1
    n, dur = config.variations, config.quality_duration
    runs = {}
    for label, workers, threads in (("one_worker", 1, cores), ("per_core", cores, 1)):
        requests = [
            GenerateRequest(
                prompt=config.prompt, variations=n, duration=dur, seed=i * n, out_dir=out / label, overwrite=True
            )
            for i in range(2 * cores)
        ]
        with Engine(
            config.bundle, providers=config.providers, num_threads=threads, workers=workers, max_queue=len(requests)
        ) as engine:
            for job in [engine.submit(r) for r in requests[:workers]]:  # warm every worker's sessions
                job.result()
            t0 = time.perf_counter()
            for job in [engine.submit(r) for r in requests]:
                job.result()
            runs[label] = {"workers": workers, "threads": threads, "wall_s": time.perf_counter() - t0}
    return {
        "batches": f"{2 * cores} x ({n} x {dur:g} s)",
        **runs,
        "speedup": runs["one_worker"]["wall_s"] / runs["per_core"]["wall_s"],
    }


def _targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    gpu = r.get("provider") == "CUDAExecutionProvider"
    if "rtf" in r:
        limit = 0.3 if gpu else 3.0
        out.append(
            {
                "target": f"{r['rtf']['batch']} warm < {limit} s",
                "value": r["rtf"]["wall_s"],
                "ok": r["rtf"]["wall_s"] < limit,
            }
        )
    if "cold_start" in r:
        v = r["cold_start"]["process_to_first_audio_s"]
        out.append({"target": "cold start to first audio < 5 s", "value": v, "ok": v < 5.0})
    speed = r.get("onnxruntime_vs_torch", {}).get("speedup")
    if speed is not None:
        out.append({"target": "onnxruntime >= 1.5x torch eager", "value": speed, "ok": speed >= 1.5})
    return out


def _quality_rows(q: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(f"quality: FD {q['fast']} vs {q['reference']}", f"{q['fd_fast_vs_ddpm']:.4f}")]
    rows.append(("quality: FD floor (DDPM vs DDPM, other seeds)", f"{q['fd_ddpm_vs_ddpm_floor']:.4f}"))
    rows.append(
        (
            "quality: mean-spectrum L1 (fast / floor)",
            f"{q['mean_spectrum_l1_fast_vs_ddpm']:.4f} / {q['mean_spectrum_l1_floor']:.4f}",
        )
    )
    name = q["fast"].split()[0]
    for s in q.get("sweep", []):
        rows.append((f"  {name} {s['steps']} steps: FD vs DDPM / time", f"{s['fd_vs_ddpm']:.4f} / {s['time_s']:.3f} s"))
    rows.append(
        (
            f"time {q['fast']} vs {q['reference']}",
            f"{q['time_fast_s']:.3f} s vs {q['time_ddpm_s']:.3f} s ({q['speedup']:.1f}x)",
        )
    )
    return rows


def format_table(r: dict[str, Any]) -> str:
    """A plain-text table of the results."""
    rows: list[tuple[str, str]] = [
        ("bundle", f"{r['bundle']['id']} (vocoder: {r['bundle']['vocoder']})"),
        ("machine", f"{r['machine'].get('cpu', '?')}, {r['machine']['cpu_count']} cores"),
        ("provider / threads", f"{r['provider']} / {r['config']['threads']}"),
    ]
    if "cold_start" in r:
        c = r["cold_start"]
        rows.append(("cold start: process -> first audio", f"{c['process_to_first_audio_s']:.3f} s"))
        rows.append(
            ("  of which engine start / first job", f"{c['engine_start_s']:.3f} s / {c['first_generation_s']:.3f} s")
        )
    rows.append(("warm engine start (sessions)", f"{r['warm_engine_start_s']:.3f} s"))
    rows.append((f"denoiser step {r['denoiser_step_shape']}", f"{1000 * r['denoiser_step_s']:.2f} ms"))
    t = r["rtf"]
    rows.append(
        (f"generate {t['batch']} ({t['sampler']} {t['steps']} steps)", f"{t['wall_s']:.3f} s  (RTF {t['rtf']:.4f})")
    )
    if "vocoder" in r:
        v = r["vocoder"]["time_s"]
        rows.append(
            (
                f"vocoder {r['vocoder']['batch']}: PGHI start / random start",
                f"{v['pghi']:.3f} s / {v['random']:.3f} s ({v['pghi'] / v['random']:.2f}x)",
            )
        )
    if "versus" in r:
        vs, this = r["versus"], r["bundle"]["id"]
        g, st = vs["generate_s"], vs["denoiser_step_s"]
        rows.append(
            (
                f"generate {t['batch']}: {this} / {vs['bundle']}",
                f"{g['this']:.3f} s / {g['other']:.3f} s ({vs['generate_ratio']:.2f}x)",
            )
        )
        rows.append(
            (
                f"denoiser step {vs['shapes']['this']}: {this} / {vs['bundle']}",
                f"{1000 * st['this']:.2f} ms / {1000 * st['other']:.2f} ms ({vs['step_ratio']:.2f}x)",
            )
        )
    q = r.get("quality", {})
    if q:
        rows.extend(_quality_rows(q))
    if "throughput" in r:
        tp = r["throughput"]
        one, per = tp["one_worker"], tp["per_core"]
        rows.append(
            (
                f"throughput {tp['batches']}: 1 worker x {one['threads']} threads / {per['workers']} workers x 1",
                f"{one['wall_s']:.3f} s / {per['wall_s']:.3f} s ({tp['speedup']:.2f}x)",
            )
        )
    tv = r.get("onnxruntime_vs_torch", {})
    if "speedup" in tv:
        rows.append(("onnxruntime vs torch eager (denoiser)", f"{tv['speedup']:.2f}x"))
        if "conv_s" in tv:
            c = tv["conv_s"]
            rows.append(
                (
                    "  convolutions: onnxruntime / torch",
                    f"{1000 * c['onnxruntime']:.1f} / {1000 * c['torch_eager']:.1f} ms ({tv['conv_speedup']:.2f}x)",
                )
            )
            rows.append(("  everything else", f"{tv['other_speedup']:.2f}x"))
    elif tv:
        rows.append(("onnxruntime vs torch eager", tv.get("status", "")))
    for tgt in r.get("targets", []):
        rows.append((f"target: {tgt['target']}", f"{tgt['value']:.3f}  {'OK' if tgt['ok'] else 'MISSED'}"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
