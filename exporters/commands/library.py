"""`sfxgen library BUNDLE --corpus DIR`: ship a corpus's training recordings in a bundle as generation seeds."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "add a sound library (the corpus's training recordings) to a bundle, for library-seeded generation"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from exporters.library import LibraryConfig

    d = LibraryConfig()
    parser.add_argument("bundle", type=Path, help="bundle folder to add library.npz to (bundle.json is updated)")
    parser.add_argument("--corpus", type=Path, required=True, help="corpus folder with manifest.jsonl")
    parser.add_argument("--split", default=d.split, help=f"corpus split to take recordings from (default {d.split})")
    parser.add_argument(
        "--max-seconds", type=float, default=d.max_seconds, help=f"seconds kept per recording (default {d.max_seconds})"
    )
    parser.add_argument(
        "--strength",
        type=float,
        default=d.strength,
        help=f"the bundle's default strength for prompts, (0, 1]; 1 keeps generation from noise (default {d.strength})",
    )


def run(args: argparse.Namespace) -> int:
    from exporters.library import LibraryConfig, build_library
    from sfxgen.bundle import BundleError
    from sfxgen.commands.common import fail

    if not 0.0 < args.strength <= 1.0:
        return fail(f"--strength {args.strength} must be in (0, 1] (1 keeps generation from noise by default)")
    if args.max_seconds <= 0:
        return fail(f"--max-seconds {args.max_seconds} must be positive")
    if not (args.corpus / "manifest.jsonl").is_file():
        return fail(f"{args.corpus} has no manifest.jsonl; pass a folder made by `sfxgen corpus build`")
    config = LibraryConfig(split=args.split, max_seconds=args.max_seconds, strength=args.strength)
    try:
        library = build_library(args.bundle, args.corpus, config)
    except (BundleError, ValueError) as exc:
        return fail(str(exc))
    print(f"{args.bundle}: library of {len(library)} recordings, default strength {args.strength:g}")
    return 0
