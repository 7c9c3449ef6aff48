"""ONNX export of each component to the bundle contract, and whole-bundle export with parity.

Graph I/O names follow :mod:`sfxgen.bundle` (dynamic batch and frames/tokens axes,
opset 17, TorchScript exporter ``dynamo=False``, weights inline). A bundle is only
reported as exported after every graph passed its parity check
(:mod:`exporters.parity`); fp16 / int8 variants replace the fp32 graph only where
their own parity holds.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from exporters import parity as par
from exporters.checkpoint import Checkpoint, CheckpointError, build_component, load_checkpoint
from exporters.configs import spec_of
from exporters.onnx_io import graph_spec, make_variant, onnx_export
from sfxgen import bundle as sb
from sfxgen.configs import MelConfig

log = logging.getLogger(__name__)


class ExportError(RuntimeError):
    """The export cannot proceed (mismatched components, failed parity, existing output)."""


@dataclasses.dataclass(frozen=True)
class QueryExport:
    """What the query-encoder exporter wrote into the bundle folder."""

    kind: sb.EncoderKind
    embed_dim: int  # E
    text: sb.GraphSpec
    tokenizer: sb.TokenizerSpec
    image: sb.GraphSpec | None = None
    image_size: int | None = None
    image_mean: tuple[float, ...] | None = None
    image_std: tuple[float, ...] | None = None


QueryExporter = Callable[[Path], QueryExport]  # writes the encoder graph(s) + tokenizer into a folder


def _onnx_export(module: nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str], dyn: dict) -> None:
    with torch.no_grad():
        onnx_export(module, args, path, inputs, outputs, dyn)


def export_denoiser(model: nn.Module, path: str | Path) -> sb.GraphSpec:
    """denoiser: x_t (N, M, T), t (N,), cond (N, E), cond_mask (N,) -> out (N, M, T)."""
    path, cfg = Path(path), model.config
    frames = 2 * cfg.frames_multiple
    args = (torch.randn(2, cfg.n_mels, frames), torch.tensor([10, 500]), torch.randn(2, cfg.cond_dim), torch.ones(2))
    dyn = {"x_t": {0: "batch", 2: "frames"}, "t": {0: "batch"}, "cond": {0: "batch"}, "cond_mask": {0: "batch"}}
    dyn["out"] = {0: "batch", 2: "frames"}
    _onnx_export(model, args, path, ["x_t", "t", "cond", "cond_mask"], ["out"], dyn)
    T = sb.TensorSpec
    inputs = [
        T("x_t", "float32", ("batch", cfg.n_mels, "frames")),
        T("t", "int64", ("batch",)),
        T("cond", "float32", ("batch", cfg.cond_dim)),
        T("cond_mask", "float32", ("batch",)),
    ]
    outputs = [T("out", "float32", ("batch", cfg.n_mels, "frames"))]
    return graph_spec(path, inputs, outputs, {**spec_of(model), "frames_multiple": cfg.frames_multiple})


def export_vocoder(model: nn.Module, path: str | Path) -> sb.GraphSpec:
    """vocoder: mel (N, M, T) natural-log mel -> spec_real, spec_imag (N, F, T), or magnitude (N, F, T)."""
    path, cfg = Path(path), model.config
    names = list(sb.VOCODER_OUTPUTS[sb.VocoderOutput(model.output)])
    dyn = {n: {0: "batch", 2: "frames"} for n in ["mel", *names]}
    _onnx_export(model, (torch.randn(2, cfg.n_mels, 9),), path, ["mel"], names, dyn)
    F = cfg.n_fft // 2 + 1
    T = sb.TensorSpec
    outputs = [T(n, "float32", ("batch", F, "frames")) for n in names]
    return graph_spec(path, [T("mel", "float32", ("batch", cfg.n_mels, "frames"))], outputs, spec_of(model))


def export_prior(model: nn.Module, path: str | Path) -> sb.GraphSpec:
    """prior: x_t (N, E), t (N,), text_embed (N, E), text_tokens (N, L, W), cond_mask (N,) -> out (N, E)."""
    path, cfg = Path(path), model.config
    L = min(5, cfg.max_tokens)
    args = (
        torch.randn(2, cfg.embed_dim),
        torch.tensor([10, 500]),
        torch.randn(2, cfg.embed_dim),
        torch.randn(2, L, cfg.token_dim),
        torch.ones(2),
    )
    names = ["x_t", "t", "text_embed", "text_tokens", "cond_mask"]
    dyn = {n: {0: "batch"} for n in [*names, "out"]}
    dyn["text_tokens"] = {0: "batch", 1: "tokens"}
    _onnx_export(model, args, path, names, ["out"], dyn)
    T, E = sb.TensorSpec, cfg.embed_dim
    inputs = [
        T("x_t", "float32", ("batch", E)),
        T("t", "int64", ("batch",)),
        T("text_embed", "float32", ("batch", E)),
        T("text_tokens", "float32", ("batch", "tokens", cfg.token_dim)),
        T("cond_mask", "float32", ("batch",)),
    ]
    return graph_spec(path, inputs, [T("out", "float32", ("batch", E))], spec_of(model))


def choose_precision(
    fp32_path: Path, precision: str, check: Callable[[Path, str], par.ParityReport]
) -> tuple[str, list[par.ParityReport]]:
    """Keep the smallest variant allowed by ``precision`` whose parity holds; replace the file in place.

    ``precision``: "fp32", "fp16", "int8" (that variant or fail) or "auto" (int8, then fp16, else fp32).
    """
    reports = [check(fp32_path, "fp32")]
    if not reports[0].ok:
        raise ExportError(f"parity failed for {fp32_path.name}: {reports[0]}")
    if precision == "fp32":
        return "fp32", reports
    wanted = ["int8", "fp16"] if precision == "auto" else [precision]
    with tempfile.TemporaryDirectory() as tmp:
        for p in wanted:
            try:
                variant = make_variant(fp32_path, p, Path(tmp) / f"{p}.onnx")
                rep = check(variant, p)
            except Exception as exc:  # a variant that does not even run is simply not kept
                log.warning("%s variant of %s failed: %s", p, fp32_path.name, exc)
                rep = par.ParityReport(reports[0].role, p, float("inf"), par.TOLERANCE[p], f"failed: {exc}")
            reports.append(rep)
            if rep.ok:
                shutil.copyfile(variant, fp32_path)
                return p, reports
    if precision != "auto":
        raise ExportError(f"{precision} variant of {fp32_path.name} fails parity: {reports[-1]}")
    return "fp32", reports


def _with_parity(spec: sb.GraphSpec, path: Path, precision: str, reports: list[par.ParityReport]) -> sb.GraphSpec:
    config = {**spec.config, "precision": precision, "parity": [r.to_json() for r in reports]}
    return dataclasses.replace(spec, sha256=sb.sha256_file(path), config=config)


def default_query_exporter(query: dict[str, Any], precision: str = "auto") -> QueryExporter:
    """The encoder engineer's exporter for the checkpoint's query encoder ({"type": "minilm"|"clip", "config"})."""
    kind = query.get("type")
    cfg = dict(query.get("config") or {})

    def export_minilm(out_dir: Path) -> QueryExport:
        from exporters.encoders.minilm import MiniLMConfig
        from exporters.encoders.minilm import export_minilm as _export

        graph, tok, _ = _export(out_dir, MiniLMConfig(**cfg), precision=precision)
        return QueryExport(sb.EncoderKind.MINILM, int(graph.outputs[0].shape[1]), graph, tok)

    def export_clip(out_dir: Path) -> QueryExport:
        from exporters.encoders.clip import ClipConfig
        from exporters.encoders.clip import export_clip as _export

        out = _export(ClipConfig(**cfg), out_dir, image=True, precision="fp32" if precision == "auto" else precision)
        prep = out["preprocess"]
        return QueryExport(
            sb.EncoderKind.CLIP, out["embed_dim"], out["text"], out["tokenizer"], out["image"],
            prep.image_size, tuple(prep.mean), tuple(prep.std),
        )  # fmt: skip

    if kind == "minilm":
        return export_minilm
    if kind == "clip":
        return export_clip
    raise ExportError(
        f"checkpoint query encoder {kind!r} cannot be exported; pass --text-encoder minilm or "
        "--text-encoder clip with --clip-checkpoint"
    )


def _check_vocoder(vocoder: nn.Module, mel: MelConfig) -> None:
    c = vocoder.config
    pairs = {
        "n_mels": (c.n_mels, mel.n_mels),
        "n_fft": (c.n_fft, mel.n_fft),
        "hop_length": (c.hop_length, mel.hop_length),
    }
    pairs["win_length"] = (c.win_length, mel.win_length)
    for key in ("sample_rate", "f_min", "f_max"):  # a magnitude post-net holds the filterbank's pseudo-inverse
        if hasattr(c, key):
            pairs[key] = (getattr(c, key), getattr(mel, key))
    bad = {k: v for k, v in pairs.items() if v[0] != v[1]}
    if bad:
        raise ExportError(f"vocoder does not match the denoiser's mel config: {bad} (vocoder, mel)")


def _as_ckpt(ckpt: Checkpoint | str | Path | None) -> Checkpoint | None:
    return ckpt if ckpt is None or isinstance(ckpt, Checkpoint) else load_checkpoint(ckpt)


def export_bundle(
    checkpoint: Checkpoint | str | Path,
    out_dir: str | Path,
    *,
    query_exporter: QueryExporter | None = None,
    vocoder_checkpoint: Checkpoint | str | Path | None = None,
    prior_checkpoint: Checkpoint | str | Path | None = None,
    precision: str = "fp32",
    use_ema: bool = True,
    bundle_id: str | None = None,
    defaults: sb.Defaults | None = None,
    license: str = "",
    data_card: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> tuple[sb.Bundle, list[par.ParityReport]]:
    """Write a complete bundle (encoder, denoiser, optional vocoder and prior) and validate it.

    The folder is built in a temporary sibling and renamed into place only after every
    parity check passed, so a failed export never leaves a half bundle behind.
    """
    main = _as_ckpt(checkpoint)
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ExportError(f"{out_dir} exists and is not empty; pass --overwrite or another --out")
    if main.diffusion is None:
        raise ExportError(f"{main.path or 'checkpoint'}: no diffusion config (is this a denoiser checkpoint?)")
    sources = {"denoiser": main}
    for role, extra in (("vocoder", _as_ckpt(vocoder_checkpoint)), ("prior", _as_ckpt(prior_checkpoint))):
        if extra is not None:
            sources[role] = extra
        elif role in main.components:
            sources[role] = main
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # 2 shared cores here; restored below
    reports: list[par.ParityReport] = []
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        query = (query_exporter or default_query_exporter(main.query, precision))(tmp)
        graphs = {sb.GraphRole.TEXT_ENCODER: query.text}
        if query.image is not None:
            graphs[sb.GraphRole.IMAGE_ENCODER] = query.image

        denoiser = build_component(main, "denoiser", use_ema)
        if denoiser.config.cond_dim != query.embed_dim:
            raise ExportError(
                f"denoiser cond_dim {denoiser.config.cond_dim} != text encoder embed dim {query.embed_dim}; "
                "export with the encoder the model was trained with"
            )
        path = tmp / "denoiser.onnx"
        spec = export_denoiser(denoiser, path)
        p, reps = choose_precision(
            path, precision, lambda f, pr: par.denoiser_parity(denoiser, f, main.diffusion, precision=pr)
        )
        graphs[sb.GraphRole.DENOISER] = _with_parity(spec, path, p, reps)
        reports += reps

        vocoder_output = None
        if "vocoder" in sources:
            vck = sources["vocoder"]
            vocoder = build_component(vck, "vocoder", use_ema)
            _check_vocoder(vocoder, main.mel)
            path = tmp / "vocoder.onnx"
            spec = export_vocoder(vocoder, path)
            p, reps = choose_precision(
                path, precision, lambda f, pr: par.vocoder_parity(vocoder, f, main.mel, precision=pr)
            )
            graphs[sb.GraphRole.VOCODER] = _with_parity(spec, path, p, reps)
            vocoder_output = sb.VocoderOutput(vocoder.output)
            reports += reps

        prior_spec = None
        if "prior" in sources:
            pck = sources["prior"]
            if pck.prior_diffusion is None:
                raise ExportError(f"{pck.path or 'checkpoint'}: prior component without a prior_diffusion config")
            prior = build_component(pck, "prior", use_ema)
            width = int(query.text.outputs[1].shape[-1])
            if (prior.config.embed_dim, prior.config.token_dim) != (query.embed_dim, width):
                raise ExportError(
                    f"prior (embed_dim, token_dim) {(prior.config.embed_dim, prior.config.token_dim)} != "
                    f"text encoder {(query.embed_dim, width)}"
                )
            path = tmp / "prior.onnx"
            spec = export_prior(prior, path)
            pd = pck.prior_diffusion
            p, reps = choose_precision(path, precision, lambda f, pr: par.prior_parity(prior, f, pd, precision=pr))
            graphs[sb.GraphRole.PRIOR] = _with_parity(spec, path, p, reps)
            prior_spec = sb.PriorSpec(schedule=pd.schedule, prediction=pd.prediction)
            reports += reps

        bundle = sb.Bundle(
            root=out_dir,
            bundle_id=bundle_id or f"sfxgen-{main.components['denoiser'].spec['type']}-step{main.step}",
            mel=main.mel,
            schedule=main.diffusion.schedule,
            prediction=main.diffusion.prediction,
            query=sb.QuerySpec(
                kind=query.kind,
                embed_dim=query.embed_dim,
                tokenizer=query.tokenizer,
                image_size=query.image_size,
                image_mean=query.image_mean,
                image_std=query.image_std,
                condition=str(main.query.get("condition", "text")),
            ),
            graphs=graphs,
            defaults=defaults or sb.Defaults(),
            vocoder_output=vocoder_output,
            prior=prior_spec,
            license=license,
            data_card=dict(data_card or {}),
            manifest_sha256="",
        )
        manifest = sb.bundle_to_json(bundle)
        manifest["created"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        (tmp / sb.MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        sb.load_bundle(tmp)  # validate before it goes into place
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        torch.set_num_threads(threads)
    for r in reports:
        log.info("parity %s %s: max abs %.3g <= %.3g (%s)", r.role, r.precision, r.max_abs, r.tolerance, r.detail)
    return sb.load_bundle(out_dir), reports


__all__ = [
    "CheckpointError",
    "ExportError",
    "QueryExport",
    "choose_precision",
    "export_bundle",
    "export_denoiser",
    "export_prior",
    "export_vocoder",
]
