"""``/sfxgen/preset``: find a pack, check it, and render it (or one sound) with :func:`sfxgen.render.render_pack`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sfxgen.presets import find_pack

log = logging.getLogger(__name__)


def resolve_pack(pack: str, presets_dir: Path | None) -> Path:
    """An absolute path to an existing pack, or a name looked up inside ``presets_dir``.

    Raises:
        ValueError: with what to fix (the pack is not found, or a name escapes ``presets_dir``).
    """
    p = Path(pack).expanduser()
    if p.is_absolute():
        if not p.exists():
            raise ValueError(f"<pack> {pack!r} does not exist")
        return p
    if presets_dir is None:
        raise ValueError(f"<pack> {pack!r} is a name but the bridge has no presets folder; send an absolute path")
    return find_pack(pack, presets_dir)


def check(render: Any, engine: Any, pack_path: Path, sound: str | None) -> None:
    """Validate the pack, the sound name and its requests against the bundle (writes nothing).

    Raises:
        ValueError: what is wrong (a :class:`sfxgen.presets.PackError`, listing the pack's sounds
            when ``sound`` matches none of them).
    """
    render.check_pack(pack_path, engine, None if sound is None else [sound])


def run(
    render: Any,
    engine: Any,
    pack_path: Path,
    dest: Path,
    sound: str | None,
    cancel: threading.Event,
    on_fraction: Callable[[float], None],
) -> list[Path]:
    """Render ``pack_path`` (or only its sound ``sound``) into ``dest``; resumable: verified files are kept.

    Returns the files the report lists (empty when cancelled).
    """

    def on_progress(done: int, total: int, _name: str | None = None) -> None:
        on_fraction(done / total if total else 1.0)

    dest.mkdir(parents=True, exist_ok=True)
    report = render.render_pack(
        pack_path,
        dest,
        engine,
        resume=True,
        on_progress=on_progress,
        cancel=cancel.is_set,
        sounds=None if sound is None else [sound],
    )
    if getattr(report, "cancelled", False):
        cancel.set()
        return []
    return [Path(f) if Path(f).is_absolute() else dest / f for f in report.files]
