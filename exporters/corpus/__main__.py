"""``python -m exporters.corpus build OUT_DIR [--cache DIR] [--sample-rate 24000] [--packages ...]``."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path

DEFAULT_CACHE = Path.home() / ".cache" / "sfxgen" / "corpus"


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``build`` (shared by ``python -m exporters.corpus`` and ``sfxgen corpus``)."""
    parser.add_argument("out_dir", type=Path, help="corpus folder (audio/, manifest.jsonl, report.json)")
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, help="where .deb files are downloaded and unpacked"
    )
    parser.add_argument("--sample-rate", type=int, default=24000, help="output sample rate in Hz")
    parser.add_argument("--packages", nargs="+", default=None, help="only these source packages (default: all)")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point (the ``sfxgen corpus`` CLI dispatches here)."""
    parser = argparse.ArgumentParser(prog="python -m exporters.corpus", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="fetch packages and build (or resume) the corpus")
    add_build_arguments(build)
    build.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from exporters.corpus.build import build_corpus  # deferred: keeps --help instant

    report = build_corpus(args.out_dir, args.cache, sample_rate=args.sample_rate, packages=args.packages)
    logging.getLogger(__name__).info(
        "wrote %s: %d clips, %.1f min, %d categories; excluded %s",
        args.out_dir, report.clips, report.minutes, report.categories, report.excluded,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
