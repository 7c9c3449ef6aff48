"""``sfxgen info``: the bundle, providers and versions; ``sfxgen info FILE ...``: what sfxgen WAVs carry."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "show the model bundle, onnxruntime providers and versions, or what sfxgen WAV files carry"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sfxgen.commands.common import add_engine_arguments

    parser.add_argument(
        "files", nargs="*", type=Path, help="sfxgen WAV files: show their format, loudness, tags and recipe instead"
    )
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


def describe_file(meta) -> list[str]:
    """Lines a designer reads: format, level, UCS tags, how it was made and how to make it again."""
    from sfxgen.wavfile import recipe_summary

    fmt = f"{meta.sample_rate / 1000:g} kHz / {meta.bit_depth.bits}-bit {'stereo' if meta.channels == 2 else 'mono'}"
    if meta.loop:
        fmt += f", loops frames {meta.loop[0]}-{meta.loop[1]}"
    b = meta.bext
    level = ", ".join(
        f"{value:.1f} {unit}"
        for value, unit in ((b.get("loudness_value"), "LUFS"), (b.get("max_true_peak_level"), "dBTP"))
        if value is not None
    )
    t = meta.tags
    lines = [f"  {fmt}, {meta.duration:.3f} s" + (f"; {level}" if level else "")]
    if t.catid or t.fxname:
        lines.append(f"  UCS: {t.catid} {t.category_full} / {t.fxname}".rstrip())
    if t.description:
        lines.append(f"  description: {t.description}")
    if t.keywords:
        lines.append(f"  keywords: {', '.join(t.keywords)}")
    if meta.recipe is not None:
        lines.append(f"  made with: {recipe_summary(meta.recipe)}")
    else:
        lines.append("  no sfxgen recipe: not made by sfxgen, or its metadata was stripped")
    return lines


def show_files(args: argparse.Namespace) -> int:
    from sfxgen.commands.common import fail, print_json
    from sfxgen.wavfile import metadata_dict, read_wav_metadata

    found = {}
    for path in args.files:
        try:
            found[path] = read_wav_metadata(path)
        except FileNotFoundError:
            return fail(f"{path} does not exist; check the path")
        except (OSError, ValueError) as exc:  # WavFormatError and RecipeError are ValueErrors; they name the file
            return fail(str(exc) if str(path) in str(exc) else f"{path}: {exc}")
    if args.json:
        print_json({str(p): metadata_dict(m) for p, m in found.items()})
        return 0
    for path, meta in found.items():
        print(path)
        print("\n".join(describe_file(meta)))
    return 0


def run(args: argparse.Namespace) -> int:
    from sfxgen.commands.common import fail, print_json

    if args.files:
        return show_files(args)
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
