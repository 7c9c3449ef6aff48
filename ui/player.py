"""Audition through sounddevice (PortAudio), failing soft.

Without PortAudio, without an output device, or when playback itself fails,
the player reports a plain message on :attr:`Player.message` and stays
usable as an object: every call becomes a no-op, and the rest of the panel
(generate, drag, history) works as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import soundfile as sf
from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

NO_AUDIO_HINT = "audition is off; generating, dragging and history still work"


def load_sounddevice() -> ModuleType:
    """Import sounddevice; raises OSError when the PortAudio library is missing."""
    import sounddevice

    return sounddevice


class Player(QObject):
    """Plays one file at a time on the chosen output device.

    Args:
        loader: returns the sounddevice module (injected in tests).
    """

    message = Signal(str)  # status text for the user
    playing = Signal(str)  # path now playing
    stopped = Signal()

    def __init__(self, loader: Callable[[], ModuleType] = load_sounddevice, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sd: Any = None
        self.device: int | None = None  # output device index; None = system default
        self.loop = False
        self.error: str | None = None  # why audio is unavailable, None when it works
        self._cache: dict[Path, tuple[int, np.ndarray, int]] = {}  # path -> (mtime_ns, (S, C) samples, rate)
        self._current: Path | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._check_done)
        try:
            sd = loader()
            outputs = [d for d in sd.query_devices() if int(d.get("max_output_channels", 0)) > 0]
            if not outputs:
                raise RuntimeError("no audio output device found")
            self._sd = sd
        except Exception as exc:  # ImportError, OSError (no PortAudio), PortAudioError, no device
            self.error = f"No audio output ({_short(exc)}): {NO_AUDIO_HINT}"
            log.info("audio unavailable: %s", exc)

    @property
    def available(self) -> bool:
        return self._sd is not None

    def output_devices(self) -> list[tuple[int, str]]:
        """``(index, name)`` of every output device (empty when audio is unavailable)."""
        if self._sd is None:
            return []
        try:
            return [
                (i, f"{d['name']} ({self._sd.query_hostapis(d['hostapi'])['name']})")
                for i, d in enumerate(self._sd.query_devices())
                if int(d.get("max_output_channels", 0)) > 0
            ]
        except Exception as exc:
            self._fail(exc)
            return []

    def set_device(self, index: int | None) -> None:
        self.device = index

    def set_loop(self, loop: bool) -> None:
        self.loop = bool(loop)
        if self._current is not None:
            self.play(self._current)

    def play(self, path: str | Path) -> bool:
        """Start ``path`` (stopping whatever plays); False when it could not play."""
        path = Path(path)
        if self._sd is None:
            self.message.emit(self.error or f"No audio output: {NO_AUDIO_HINT}")
            return False
        try:
            data, sr = self._load(path)
            self._sd.stop()
            self._sd.play(data, sr, device=self.device, loop=self.loop)
        except Exception as exc:
            self._fail(exc, path)
            return False
        self._current = path
        self._poll.start()
        self.playing.emit(str(path))
        self.message.emit(f"Playing {path.name}" + (" (loop)" if self.loop else ""))
        return True

    def stop(self) -> None:
        self._current = None
        self._poll.stop()
        if self._sd is not None:
            try:
                self._sd.stop()
            except Exception as exc:
                self._fail(exc)
        self.stopped.emit()

    def _load(self, path: Path) -> tuple[np.ndarray, int]:
        key = path.resolve()
        stamp = key.stat().st_mtime_ns
        hit = self._cache.get(key)
        if hit is None or hit[0] != stamp:
            data, sr = sf.read(str(key), dtype="float32", always_2d=True)  # (S, C)
            hit = self._cache[key] = (stamp, data, int(sr))
        return hit[1], hit[2]

    def _check_done(self) -> None:
        if self._sd is None or self._current is None:
            self._poll.stop()
            return
        try:
            active = self._sd.get_stream().active
        except Exception:
            active = False
        if not active:
            self._current = None
            self._poll.stop()
            self.stopped.emit()

    def _fail(self, exc: BaseException, path: Path | None = None) -> None:
        what = f"Cannot play {path.name}" if path is not None else "Audio error"
        text = f"{what}: {_short(exc)}"
        log.warning(text)
        self.message.emit(text)


def _short(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
