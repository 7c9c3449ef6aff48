"""``sfxgen panel``: open the desktop panel (PySide6 is imported only when the command runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "open the desktop panel (generate, audition, drag into the DAW)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundle", type=Path, default=None, help="model bundle folder (default: $SFXGEN_BUNDLE)")
    parser.add_argument("--out", type=Path, default=None, help="folder for generated WAVs (default: ~/Music/sfxgen)")
    parser.add_argument("--history", type=Path, default=None, help="history database (default: user data dir)")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads per session")


def run(args: argparse.Namespace) -> int:
    import importlib

    try:
        app = importlib.import_module("ui.app")  # the panel lives outside the runtime package
    except ImportError as exc:
        raise SystemExit(f"the panel needs PySide6 and sounddevice: pip install 'sfxgen[panel]' ({exc})") from exc
    return app.run(args)
