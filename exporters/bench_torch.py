"""onnxruntime vs torch eager on the same denoiser weights (called lazily by ``sfxgen bench``).

The bundle's denoiser graph records the ``{"type", "config"}`` spec of the torch module it was
exported from, so the module is rebuilt here. Weights: a training checkpoint's (EMA) weights
when given; else those ONNX initializers that match a parameter by name, and every other
tensor (folded away by the exporter, or zero-initialised like the output conv) re-drawn at
random so the output is not trivially zero. That module is exported again with the bundle
exporter (``exporters.export.export_denoiser``), so torch and onnxruntime run exactly the same
weights (``max_abs_diff`` shows it). Both run one thread, interleaved, on the input shape of
a 4 x 4 s CFG step; the bundle's own graph is timed too. Each runtime's profiler then splits its
time into convolutions and everything else, so the ratio can be read per kind of work: this
denoiser is convolution-bound, and both runtimes' fp32 convolutions run at about the same speed.
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper

from exporters.configs import build
from sfxgen.bundle import GraphRole, load_bundle
from sfxgen.pipeline import frames_for
from sfxgen.sessions import CPU, make_session

log = logging.getLogger(__name__)


def _load_initializers(model: torch.nn.Module, onnx_path: Path) -> tuple[int, int]:
    """Copy non-zero ONNX initializers into the module's state dict by name, re-draw the rest at random.

    Returns (tensors copied, tensors in the state dict).
    """
    inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(onnx_path)).graph.initializer}
    state = model.state_dict()
    loaded = 0
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in state.items():
            if name in inits and tuple(inits[name].shape) == tuple(tensor.shape) and np.any(inits[name]):
                tensor.copy_(torch.from_numpy(inits[name].copy()))
                loaded += 1
            elif tensor.is_floating_point():
                fan_in = max(1, tensor[0].numel()) if tensor.ndim > 1 else 1
                tensor.copy_(torch.randn(tensor.shape, generator=gen) / fan_in**0.5)
    return loaded, len(state)


def _ort_conv_share(graph: bytes, feeds: dict[str, np.ndarray], threads: int, runs: int = 3) -> float:
    """Fraction of onnxruntime's kernel time spent in Conv nodes (from its profiler)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        opts.profile_file_prefix = str(Path(tmp) / "ort")
        session = ort.InferenceSession(graph, opts, providers=["CPUExecutionProvider"])
        for _ in range(runs):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    kernels = [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]
    conv = sum(e["dur"] for e in kernels if e["args"].get("op_name") in ("Conv", "FusedConv", "NchwcConv"))
    return conv / max(1, sum(e["dur"] for e in kernels))


def _torch_conv_share(model: torch.nn.Module, args: list[torch.Tensor], runs: int = 3) -> float:
    """Fraction of torch eager's CPU time spent in aten::convolution (from its profiler)."""
    from torch.profiler import ProfilerActivity, profile

    with torch.inference_mode(), profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(runs):
            model(*args)
    averages = prof.key_averages()
    total = sum(a.self_cpu_time_total for a in averages)
    conv = sum(a.cpu_time_total for a in averages if a.key == "aten::convolution")
    return conv / max(1e-9, total)


def compare(
    bundle: str | Path,
    threads: int = 1,
    variations: int = 4,
    duration: float = 4.0,
    repeats: int = 7,
    checkpoint: str | Path | None = None,
) -> dict[str, Any]:
    """Time one CFG denoiser call (batch 2N) in onnxruntime and in torch eager; JSON-ready dict."""
    torch.set_num_threads(threads)
    b = load_bundle(bundle)
    graph_config = b.graphs[GraphRole.DENOISER].config  # {"type", "config"} plus export facts (precision, parity, ...)
    spec = {k: graph_config[k] for k in ("type", "config") if k in graph_config}
    from exporters.configs import REGISTRY

    if spec.get("type") not in REGISTRY or "config" not in spec:
        return {"status": f"skipped: the bundle's denoiser ({spec.get('type')!r}) is not a registered torch module"}
    if checkpoint is not None:
        from exporters.checkpoint import build_component, load_checkpoint

        model = build_component(load_checkpoint(checkpoint), "denoiser", expect=spec)
        weights = "checkpoint (EMA)"
    else:
        model = build(spec, "bundle denoiser").eval()
        loaded, total = _load_initializers(model, b.path(GraphRole.DENOISER))
        weights = f"{loaded}/{total} tensors from the bundle graph by name, the rest random"
    from exporters.export import export_denoiser

    with tempfile.TemporaryDirectory() as tmp:
        export_denoiser(model, Path(tmp) / "denoiser.onnx")
        session = make_session(Path(tmp) / "denoiser.onnx", [CPU], threads)
        graph = (Path(tmp) / "denoiser.onnx").read_bytes()  # profiled again below, without a second export
    bundle_session = make_session(b.path(GraphRole.DENOISER), [CPU], threads)
    n = 2 * variations
    frames = frames_for(round(duration * b.mel.sample_rate), b)
    rng = np.random.default_rng(0)
    feeds = {
        "x_t": rng.standard_normal((n, b.mel.n_mels, frames)).astype(np.float32),
        "t": np.full(n, b.schedule.num_train_steps // 2, np.int64),
        "cond": rng.standard_normal((n, b.query.embed_dim)).astype(np.float32),
        "cond_mask": np.r_[np.ones(n // 2), np.zeros(n - n // 2)].astype(np.float32),
    }
    targs = [torch.from_numpy(v) for v in feeds.values()]

    def run_ort() -> np.ndarray:
        return session.run(["out"], feeds)[0]

    def run_torch() -> np.ndarray:
        with torch.inference_mode():
            return model(*targs).numpy()

    def run_bundle() -> np.ndarray:
        return bundle_session.run(["out"], feeds)[0]

    out_ort, out_torch = run_ort(), run_torch()  # warm-up, and the same-weights check
    run_bundle()
    t_ort, t_torch, t_bundle = [], [], []
    for _ in range(repeats):  # interleaved so all see the same machine load
        for fn, times in ((run_ort, t_ort), (run_torch, t_torch), (run_bundle, t_bundle)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    ort_s, torch_s = statistics.median(t_ort), statistics.median(t_torch)
    ort_conv = _ort_conv_share(graph, feeds, threads) * ort_s
    torch_conv = _torch_conv_share(model, targs) * torch_s
    return {
        "status": "ok",
        "shape": f"({n}, {b.mel.n_mels}, {frames})",
        "weights": weights,
        "max_abs_diff": float(np.abs(out_ort - out_torch).max()),
        "output_abs_mean": float(np.abs(out_torch).mean()),
        "bundle_graph_s": statistics.median(t_bundle),
        "onnxruntime_s": ort_s,
        "torch_eager_s": torch_s,
        "speedup": torch_s / ort_s,
        "conv_s": {"onnxruntime": ort_conv, "torch_eager": torch_conv},  # the medians split by each profiler
        "conv_speedup": torch_conv / ort_conv,
        "other_speedup": (torch_s - torch_conv) / max(1e-9, ort_s - ort_conv),
        "threads": threads,
    }
