"""`sfxgen corpus build DIR`: the default model's training corpus from Debian sound packages.

A thin front over :mod:`exporters.corpus` (the same as ``python -m exporters.corpus``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "build (or resume) the training corpus from Debian SFX packages and the GM soundfont"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from exporters.corpus.__main__ import DEFAULT_CACHE

    sub = parser.add_subparsers(dest="corpus_command", required=True)
    build = sub.add_parser("build", help="fetch packages and build (or resume) the corpus")
    build.add_argument("out_dir", type=Path, help="corpus folder (audio/, manifest.jsonl, report.json)")
    build.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where .deb files are downloaded and unpacked")
    build.add_argument("--sample-rate", type=int, default=24000, help="output sample rate in Hz")
    build.add_argument("--packages", nargs="+", default=None, help="only these source packages (default: all)")


def run(args: argparse.Namespace) -> int:
    from exporters.corpus.__main__ import main

    argv = ["build", str(args.out_dir), "--cache", str(args.cache), "--sample-rate", str(args.sample_rate)]
    if args.packages:
        argv += ["--packages", *args.packages]
    return main(argv)
