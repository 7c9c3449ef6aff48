"""Image and video inputs for image queries, and sound files to vary (Qt-free).

A dropped image is used as is. A dropped video needs one frame: PyAV (``av``)
decodes it when installed; without it :func:`video_support` says what to do.
A dropped sound file becomes the start sound of the next generation.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".ogv"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff"}  # what libsndfile reads
AUDIO_FILTER = "Sounds (*.wav *.flac *.ogg *.oga *.aif *.aiff);;All files (*)"


def is_image(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def is_audio(path: str | Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_SUFFIXES


def video_support() -> str | None:
    """None when video frames can be decoded, else a message that says how to enable it."""
    if importlib.util.find_spec("av") is None:
        return "Video frames need PyAV: install it with `pip install av` (or drop a still image instead)"
    return None


def video_duration(path: str | Path) -> float:
    """Length of the first video stream in seconds (0.0 when unknown)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / 1_000_000.0
    return 0.0


def video_frame(path: str | Path, seconds: float) -> np.ndarray:
    """The first frame at or after ``seconds`` as RGB uint8 ``(H, W, 3)``."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if seconds > 0 and stream.time_base is not None:
            container.seek(int(seconds / stream.time_base), stream=stream, backward=True, any_frame=False)
        last = None
        for frame in container.decode(stream):
            last = frame
            if frame.time is None or frame.time >= seconds - 1e-3:
                break
        if last is None:
            raise ValueError(f"{path}: no video frame could be decoded")
        return last.to_ndarray(format="rgb24")


def save_frame(rgb: np.ndarray, cache_dir: str | Path, source: str | Path, seconds: float) -> Path:
    """Write a picked frame as PNG (named after the video and time) and return its path."""
    from PIL import Image

    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(f"{Path(source).resolve()}@{seconds:.3f}".encode()).hexdigest()[:12]
    out = cache_dir / f"{Path(source).stem}_{seconds:.2f}s_{key}.png"
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB").save(out)
    return out
