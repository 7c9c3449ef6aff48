"""``sfxgen regenerate FILE.wav``: replay the recipe stored in a file; report whether bit-identical."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "regenerate a WAV from the recipe in its metadata and check it is bit-identical"
EPILOG = (
    "Exit status 0 when the new file is bit-identical, or differs only by floating-point rounding "
    "(under -60 dBFS: onnxruntime's kernels differ between CPU types), else 1."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sfxgen.commands.common import add_engine_arguments

    parser.add_argument("file", type=Path, help="a WAV written by sfxgen")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default <file's folder>/regenerated)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file of the same name")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from sfxgen.bundle import BundleError, load_bundle
    from sfxgen.commands.common import EXIT_FAILED, fail, print_json
    from sfxgen.errors import RequestError
    from sfxgen.paths import resolve_bundle
    from sfxgen.pipeline import Pipeline
    from sfxgen.recipe import RecipeError
    from sfxgen.regenerate import regenerate
    from sfxgen.sessions import choose_providers
    from sfxgen.wavfile import WavFormatError

    out = args.out or args.file.parent / "regenerated"
    try:
        bundle = load_bundle(resolve_bundle(args.bundle))
        pipeline = Pipeline(bundle, choose_providers(args.providers), args.threads)
        regen = regenerate(pipeline, args.file, out, overwrite=args.overwrite)
    except (BundleError, RequestError, RecipeError, WavFormatError, ValueError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"could not write: {exc}", EXIT_FAILED)
    if args.json:
        print_json(
            {
                "source": str(regen.source),
                "file": str(regen.result.files[0]),
                "identical": regen.identical,
                "verdict": regen.verdict,
                "max_abs_diff": regen.max_abs_diff,
                "seed": regen.result.seeds[0],
            }
        )
    else:
        verdict = {
            "identical": "bit-identical",
            "rounding": f"equal within rounding (max |diff| {regen.max_abs_diff:.3g}, {regen.max_diff_dbfs:.0f} dBFS; "
            "not bit-identical, as expected on another kind of CPU)",
            "different": f"DIFFERENT (max |diff| {regen.max_abs_diff:.3g})",
        }[regen.verdict]
        print(f"{regen.result.files[0]}: {verdict} to {regen.source}")
    return EXIT_FAILED if regen.verdict == "different" else 0
