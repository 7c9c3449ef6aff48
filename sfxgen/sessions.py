"""onnxruntime session creation: execution provider choice (CUDA -> CPU, reported) and thread pinning."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import onnxruntime as ort

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
PROVIDER_CHOICES = ("auto", "cuda", "cpu")


def available_providers() -> list[str]:
    return list(ort.get_available_providers())


def choose_providers(preference: str = "auto") -> list[str]:
    """Provider list for a preference: "auto" (CUDA if present, else CPU), "cuda" (must be present), "cpu".

    Raises:
        ValueError: unknown preference, or "cuda" asked on a machine whose onnxruntime has no CUDA.
    """
    pref = preference.lower()
    if pref not in PROVIDER_CHOICES:
        raise ValueError(f"providers must be one of {PROVIDER_CHOICES}, got {preference!r}")
    have = available_providers()
    if pref == "cpu":
        return [CPU]
    if CUDA in have:
        return [CUDA, CPU]
    if pref == "cuda":
        raise ValueError(
            f"CUDA was asked for but onnxruntime offers only {have}; install onnxruntime-gpu or use --providers cpu"
        )
    return [CPU]


def default_num_threads() -> int:
    """Threads per session: $SFXGEN_THREADS, else $OMP_NUM_THREADS, else 0 (onnxruntime decides)."""
    for var in ("SFXGEN_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 0


def session_options(num_threads: int | None = None) -> ort.SessionOptions:
    """Options with intra-op threads pinned (None -> :func:`default_num_threads`), sequential execution."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = default_num_threads() if num_threads is None else int(num_threads)
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # errors only: no warnings on stderr for every session
    return opts


def make_session(path: Path, providers: list[str], num_threads: int | None = None) -> ort.InferenceSession:
    """Open one graph; raises RuntimeError naming the file when onnxruntime cannot load it."""
    try:
        return ort.InferenceSession(str(path), session_options(num_threads), providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise RuntimeError(
            f"{path}: onnxruntime cannot load this graph ({exc}); re-export or re-copy the bundle"
        ) from exc


def session_provider(session: ort.InferenceSession) -> str:
    """The provider a session actually runs on (the first of its providers)."""
    return session.get_providers()[0]
