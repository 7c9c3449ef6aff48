"""``sfxgen info``: the bundle, providers and versions."""

from __future__ import annotations

import argparse

HELP = "show the model bundle, onnxruntime providers and versions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sfxgen.commands.common import add_engine_arguments

    add_engine_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.add_argument("--no-verify", action="store_true", help="skip the sha256 check of the graphs")


def collect(args: argparse.Namespace) -> dict:
    import platform
    import sys

    import numpy as np
    import onnxruntime as ort

    import sfxgen
    from sfxgen.bundle import BundleError, load_bundle
    from sfxgen.paths import resolve_bundle
    from sfxgen.sessions import available_providers, choose_providers

    root = resolve_bundle(args.bundle)
    info: dict = {
        "sfxgen": sfxgen.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "onnxruntime": ort.__version__,
        "available_providers": available_providers(),
        "chosen_providers": choose_providers(args.providers),
        "bundle_path": str(root),
    }
    try:
        b = load_bundle(root, verify_checksums=not args.no_verify)
    except BundleError as exc:
        info["bundle_error"] = str(exc)
        return info
    info["bundle"] = {
        "id": b.bundle_id,
        "sha256": b.manifest_sha256,
        "sample_rate": b.mel.sample_rate,
        "n_mels": b.mel.n_mels,
        "hop_length": b.mel.hop_length,
        "prediction": b.prediction.value,
        "schedule": f"{b.schedule.kind.value}, T={b.schedule.num_train_steps}",
        "query": f"{b.query.kind.value} ({b.query.tokenizer.kind.value}), E={b.query.embed_dim}",
        "condition": b.query.condition,
        "graphs": {role.value: g.file for role, g in b.graphs.items()},
        "vocoder": b.vocoder_output.value if b.vocoder_output else "griffin-lim (numpy)",
        "prior": None if b.prior is None else f"{b.prior.num_steps} steps, {b.prior.candidates} candidates",
        "defaults": {
            "guidance": b.defaults.guidance,
            "steps": b.defaults.steps,
            "sampler": b.defaults.sampler,
            "duration": b.defaults.duration,
            "strength": b.defaults.strength,
        },
        "library": None
        if b.library is None
        else f"{b.library.entries} recordings ({b.library.license}), {b.library.file}",
        "license": b.license,
        "data_card": b.data_card,
    }
    return info


def run(args: argparse.Namespace) -> int:
    from sfxgen.commands.common import fail, print_json

    try:
        info = collect(args)
    except ValueError as exc:
        return fail(str(exc))
    if args.json:
        print_json(info)
    else:
        for key, value in info.items():
            if isinstance(value, dict):
                print(f"{key}:")
                for k, v in value.items():
                    print(f"  {k}: {v}")
            else:
                print(f"{key}: {value}")
    return 0 if "bundle" in info else 2
