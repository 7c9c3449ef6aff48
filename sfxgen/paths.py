"""Where things are by default: the model bundle and the preset packs."""

from __future__ import annotations

import os
from pathlib import Path

ENV_BUNDLE = "SFXGEN_BUNDLE"
PACKAGE_DIR = Path(__file__).resolve().parent


def default_bundle() -> Path:
    """$SFXGEN_BUNDLE, else ``models/default`` of the repository (or next to an installed package)."""
    env = os.environ.get(ENV_BUNDLE)
    if env:
        return Path(env).expanduser()
    for base in (PACKAGE_DIR.parent, PACKAGE_DIR):
        candidate = base / "models" / "default"
        if (candidate / "bundle.json").is_file():
            return candidate
    return PACKAGE_DIR.parent / "models" / "default"


def resolve_bundle(arg: str | os.PathLike | None) -> Path:
    """The bundle folder from a --bundle argument (None -> :func:`default_bundle`)."""
    return Path(arg).expanduser() if arg else default_bundle()


def default_presets() -> Path | None:
    """The repository's ``presets/`` folder (or one next to an installed package); None when there is none."""
    for base in (PACKAGE_DIR.parent, PACKAGE_DIR):
        candidate = base / "presets"
        if candidate.is_dir():
            return candidate
    return None
