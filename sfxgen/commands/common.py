"""Helpers shared by the runtime commands: bundle/provider options, progress bar, errors -> exit codes."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from sfxgen.paths import ENV_BUNDLE

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bundle", default=None, help=f"model bundle folder (default ${ENV_BUNDLE}, else models/default)"
    )
    parser.add_argument(
        "--providers", default="auto", choices=("auto", "cuda", "cpu"), help="onnxruntime provider (default auto)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="onnxruntime threads per session (default $OMP_NUM_THREADS / all)"
    )


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"sfxgen: {message}", file=sys.stderr)
    return code


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


@contextlib.contextmanager
def progress_bar(enabled: bool, desc: str) -> Iterator:
    """A tqdm bar on stderr when it is a terminal (and enabled); yields update(fraction)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda job, fraction: None
        return
    from tqdm import tqdm

    bar = tqdm(total=100, desc=desc, unit="%", file=sys.stderr, leave=False, bar_format="{l_bar}{bar}| {elapsed}")
    done = [0]

    def update(job: object, fraction: float) -> None:
        n = int(fraction * 100)
        if n > done[0]:
            bar.update(n - done[0])
            done[0] = n

    try:
        yield update
    finally:
        bar.close()
