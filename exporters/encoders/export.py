"""ONNX export of the query encoders, with parity checks against torch.

``export_text_encoder`` / ``export_image_encoder`` write one graph honouring the
text_encoder / image_encoder contract of :mod:`sfxgen.bundle` and return its
:class:`~sfxgen.bundle.GraphSpec`. Before returning they run the torch module
and the ONNX graph (onnxruntime, CPU, 1 thread) on the same inputs and raise
:class:`ParityError` when the max abs difference exceeds ``atol``.

Smaller variants (fp16 weights, int8 dynamic quantisation) are measured on the
same feeds by cosine of the embedding against the fp32 graph; ``precision="auto"``
keeps the smallest one whose minimum cosine is >= ``min_cosine``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from exporters.onnx_io import PRECISIONS, graph_spec, make_variant, onnx_export, ort_session
from sfxgen.bundle import GraphSpec, TensorSpec

logger = logging.getLogger(__name__)


class ParityError(RuntimeError):
    """The exported graph does not reproduce the torch module within tolerance."""


@dataclasses.dataclass(frozen=True)
class VariantReport:
    """Size and parity of one precision variant against the fp32 graph."""

    precision: str  # "fp32" | "fp16" | "int8"
    bytes: int  # file size
    min_cosine: float  # worst-case cosine of the embedding vs fp32 over the parity feeds
    max_abs: float  # max abs difference of the embedding vs fp32


def _run_torch(module: torch.nn.Module, feeds: Mapping[str, np.ndarray], names: list[str]) -> list[np.ndarray]:
    with torch.inference_mode():
        out = module(*[torch.from_numpy(feeds[n]) for n in names])
    out = out if isinstance(out, tuple) else (out,)
    return [o.float().numpy() for o in out]


def _torch_export(
    module: torch.nn.Module,
    feeds: Mapping[str, np.ndarray],
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]],
    path: Path,
) -> None:
    args = tuple(torch.from_numpy(feeds[n]) for n in input_names)
    # grad enabled: nn.MultiheadAttention otherwise takes its fused fast path, which ONNX cannot export
    with torch.inference_mode(False), torch.enable_grad():
        onnx_export(module, args, path, input_names, output_names, dynamic_axes)


def _cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)


def measure_variants(
    fp32_path: Path, feeds_list: list[Mapping[str, np.ndarray]], embed_name: str, precisions=("fp16", "int8")
) -> list[VariantReport]:
    """Size and embedding cosine vs fp32 of each variant over several feed batches."""
    ref_sess = ort_session(fp32_path)
    refs = [ref_sess.run([embed_name], dict(f))[0] for f in feeds_list]
    reports = [VariantReport("fp32", fp32_path.stat().st_size, 1.0, 0.0)]
    with tempfile.TemporaryDirectory() as tmp:
        for p in precisions:
            path = make_variant(fp32_path, p, Path(tmp) / f"{p}.onnx")
            sess = ort_session(path)
            outs = [sess.run([embed_name], dict(f))[0] for f in feeds_list]
            cos = min(float(_cosine_rows(o, r).min()) for o, r in zip(outs, refs))
            mad = max(float(np.abs(o - r).max()) for o, r in zip(outs, refs))
            reports.append(VariantReport(p, path.stat().st_size, cos, mad))
            logger.info("variant %s: %.1f MB, min cosine %.6f", p, path.stat().st_size / 1e6, cos)
    return reports


def _export_checked(
    module: torch.nn.Module,
    out_path: Path,
    feeds: Mapping[str, np.ndarray],
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]],
    atol: float,
) -> float:
    module = module.eval()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    _torch_export(module, feeds, input_names, output_names, dynamic_axes, out_path)
    ref = _run_torch(module, feeds, input_names)
    got = ort_session(out_path).run(output_names, {n: feeds[n] for n in input_names})
    diff = max(float(np.abs(r - g).max()) for r, g in zip(ref, got))
    logger.info("%s: ONNX vs torch max abs diff %.3g (atol %.1g)", out_path.name, diff, atol)
    if not diff <= atol:
        raise ParityError(f"{out_path}: ONNX vs torch max abs diff {diff:.3g} > {atol:g}; the export is not faithful")
    return diff


def _choose_precision(
    fp32_path: Path,
    precision: str,
    parity_feeds: list[Mapping[str, np.ndarray]],
    embed_name: str,
    min_cosine: float,
) -> tuple[Path, list[VariantReport], str]:
    """Replace the fp32 graph by the requested / smallest passing variant; returns (path, reports, precision kept)."""
    if precision == "fp32":
        return fp32_path, [], "fp32"
    wanted = ("fp16", "int8") if precision == "auto" else (precision,)
    if precision not in ("auto", *PRECISIONS):
        raise ValueError(f"precision must be 'auto' or one of {PRECISIONS}, got {precision!r}")
    reports = measure_variants(fp32_path, parity_feeds, embed_name, wanted)
    passing = [r for r in reports if r.min_cosine >= min_cosine]
    best = min(passing, key=lambda r: r.bytes)
    if precision != "auto" and best.precision != precision:
        bad = next(r for r in reports if r.precision == precision)
        raise ParityError(
            f"{fp32_path.name}: {precision} variant has min cosine {bad.min_cosine:.5f} < {min_cosine}; "
            "use fp32 or auto"
        )
    if best.precision == "fp32":
        return fp32_path, reports, "fp32"
    final = make_variant(fp32_path, best.precision, fp32_path.with_suffix(".tmp.onnx"))
    os.replace(final, fp32_path)
    return fp32_path, reports, best.precision


def export_text_encoder(
    module: torch.nn.Module,
    out_dir: str | Path,
    feeds: Mapping[str, np.ndarray],
    *,
    config: dict[str, Any],
    file: str = "text_encoder.onnx",
    atol: float = 1e-4,
    precision: str = "fp32",
    parity_feeds: list[Mapping[str, np.ndarray]] | None = None,
    min_cosine: float = 0.995,
) -> tuple[GraphSpec, list[VariantReport]]:
    """Export a text encoder (input_ids [+ attention_mask] -> text_embed, text_tokens).

    Args:
        module: returns ``(text_embed (N, E), text_tokens (N, L, W))``; its forward takes
            ``input_ids`` and, when ``"attention_mask" in feeds``, ``attention_mask``.
        out_dir: bundle folder; the graph is written to ``out_dir / file``.
        feeds: example tokenizer output (int64 arrays) used for tracing and the fp32 parity check.
        config: the ``{"type", "config"}`` recorded in the GraphSpec.
        atol: max abs difference allowed between torch and the fp32 ONNX graph.
        precision: "fp32", "fp16", "int8", or "auto" (smallest variant with cosine >= min_cosine).
        parity_feeds: feed batches for the variant cosine check (defaults to ``[feeds]``).
    """
    input_names = ["input_ids"] + (["attention_mask"] if "attention_mask" in feeds else [])
    output_names = ["text_embed", "text_tokens"]
    dyn = {n: {0: "batch", 1: "tokens"} for n in input_names}
    dyn |= {"text_embed": {0: "batch"}, "text_tokens": {0: "batch", 1: "tokens"}}
    path = Path(out_dir) / file
    _export_checked(module, path, feeds, input_names, output_names, dyn, atol)
    path, reports, kept = _choose_precision(path, precision, parity_feeds or [feeds], "text_embed", min_cosine)
    embed, tokens = _run_torch(module, feeds, input_names)
    L = feeds["input_ids"].shape[1]
    spec = graph_spec(
        path,
        [TensorSpec(n, "int64", ("batch", L)) for n in input_names],
        [
            TensorSpec("text_embed", "float32", ("batch", int(embed.shape[1]))),
            TensorSpec("text_tokens", "float32", ("batch", L, int(tokens.shape[2]))),
        ],
        {**config, "precision": kept},
    )
    return spec, reports


def export_image_encoder(
    module: torch.nn.Module,
    out_dir: str | Path,
    pixel_values: np.ndarray,
    *,
    config: dict[str, Any],
    file: str = "image_encoder.onnx",
    atol: float = 1e-4,
    precision: str = "fp32",
    min_cosine: float = 0.995,
) -> tuple[GraphSpec, list[VariantReport]]:
    """Export an image encoder (pixel_values (N, 3, H, W) -> image_embed (N, E)); see export_text_encoder."""
    feeds = {"pixel_values": np.ascontiguousarray(pixel_values, np.float32)}
    dyn = {"pixel_values": {0: "batch"}, "image_embed": {0: "batch"}}
    path = Path(out_dir) / file
    _export_checked(module, path, feeds, ["pixel_values"], ["image_embed"], dyn, atol)
    path, reports, kept = _choose_precision(path, precision, [feeds], "image_embed", min_cosine)
    (embed,) = _run_torch(module, feeds, ["pixel_values"])
    _, c, h, w = feeds["pixel_values"].shape
    spec = graph_spec(
        path,
        [TensorSpec("pixel_values", "float32", ("batch", c, h, w))],
        [TensorSpec("image_embed", "float32", ("batch", int(embed.shape[1])))],
        {**config, "precision": kept},
    )
    return spec, reports
