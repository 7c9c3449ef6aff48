"""`sfxgen corpus build DIR`: the default model's training corpus from Debian sound packages.

A thin front over :mod:`exporters.corpus` (the same as ``python -m exporters.corpus``).
"""

from __future__ import annotations

import argparse

HELP = "build (or resume) the training corpus from Debian SFX packages and the GM soundfont"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from exporters.corpus.__main__ import add_build_arguments

    sub = parser.add_subparsers(dest="corpus_command", required=True)
    build = sub.add_parser("build", help="fetch packages and build (or resume) the corpus")
    add_build_arguments(build)


def run(args: argparse.Namespace) -> int:
    from exporters.corpus.__main__ import main

    argv = ["build", str(args.out_dir), "--cache", str(args.cache), "--sample-rate", str(args.sample_rate)]
    if args.packages:
        argv += ["--packages", *args.packages]
    return main(argv)
