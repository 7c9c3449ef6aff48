"""Decoding audio, video frames and images for training (soundfile, PyAV, Pillow).

Every loader returns float32 mono audio at the requested sample rate, or
raises :class:`MediaError` with a message that names the file and the cause;
the cache turns those into "skipped" entries instead of crashing a run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

AUDIO_EXTS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".opus", ".m4a")
VIDEO_EXTS = (".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v")
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


class MediaError(RuntimeError):
    """A file cannot be used for training; the message says why."""


def resample(wave: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """High-quality resampling with soxr (float32 in, float32 out)."""
    if sr_in == sr_out:
        return wave.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(wave.astype(np.float32, copy=False), sr_in, sr_out, quality="HQ").astype(np.float32)


def load_audio(path: Path, sample_rate: int, max_seconds: float | None = None) -> np.ndarray:
    """Mono float32 waveform (S,) at sample_rate from an audio file (or a video's audio track)."""
    path = Path(path)
    if path.suffix.lower() in VIDEO_EXTS:
        return load_video_audio(path, sample_rate, max_seconds)
    try:
        import soundfile as sf

        wave, sr = sf.read(str(path), dtype="float32", always_2d=True, frames=-1)
    except Exception as sf_exc:  # soundfile cannot read e.g. m4a/opus: fall back to PyAV
        try:
            return load_video_audio(path, sample_rate, max_seconds, need_video=False)
        except MediaError:
            raise MediaError(f"{path}: unreadable audio ({sf_exc})") from sf_exc
    if wave.size == 0:
        raise MediaError(f"{path}: empty audio file")
    if max_seconds is not None:
        wave = wave[: int(max_seconds * sr)]
    return resample(wave.mean(axis=1), int(sr), sample_rate)


def _open(path: Path):
    import av

    try:
        return av.open(str(path))
    except Exception as exc:  # av raises many error types (InvalidDataError, FileNotFoundError ...)
        raise MediaError(f"{path}: cannot open ({type(exc).__name__}: {exc})") from exc


def load_video_audio(
    path: Path, sample_rate: int, max_seconds: float | None = None, need_video: bool = True
) -> np.ndarray:
    """Decode the audio track of a media file with PyAV to mono float32 at sample_rate."""
    import av

    with _open(path) as container:
        if need_video and not container.streams.video:
            raise MediaError(
                f"{path}: audio-only file in a video folder (no video stream); "
                "use data.kind = 'audio_folder' for audio files, or remove it"
            )
        if not container.streams.audio:
            raise MediaError(f"{path}: has no audio track")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
        chunks: list[np.ndarray] = []
        limit = None if max_seconds is None else int(max_seconds * sample_rate)
        total = 0
        try:
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    total += chunks[-1].size
                if limit is not None and total >= limit:
                    break
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            if not chunks:
                raise MediaError(f"{path}: audio cannot be decoded ({exc})") from exc
            logger.warning("%s: audio decoding stopped early (%s); using the first %d samples", path, exc, total)
    if not chunks:
        raise MediaError(f"{path}: audio track decodes to nothing")
    wave = np.concatenate(chunks).astype(np.float32)
    return wave[:limit] if limit is not None else wave


def video_duration(path: Path) -> float:
    """Duration in seconds of a video's first video stream (falls back to the container)."""
    with _open(path) as container:
        if not container.streams.video:
            raise MediaError(
                f"{path}: audio-only file in a video folder (no video stream); "
                "use data.kind = 'audio_folder' for audio files, or remove it"
            )
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return container.duration / 1_000_000.0
    raise MediaError(f"{path}: unknown duration")


def video_frames(path: Path, times: list[float]) -> list:
    """PIL images of the frames shown at the given times (seconds), decoded in one pass."""
    wanted = sorted(range(len(times)), key=lambda i: times[i])
    out: list = [None] * len(times)
    with _open(path) as container:
        if not container.streams.video:
            raise MediaError(f"{path}: no video stream")
        stream = container.streams.video[0]
        k = 0
        last = None
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                while k < len(wanted) and frame.time > times[wanted[k]] + 1e-6 and last is not None:
                    out[wanted[k]] = last
                    k += 1
                last = frame.to_image()
                if k >= len(wanted):
                    break
        except Exception as exc:  # corrupt packet: keep what we have
            if last is None:
                raise MediaError(f"{path}: video cannot be decoded ({exc})") from exc
            logger.warning("%s: video decoding stopped early (%s)", path, exc)
        if last is None:
            raise MediaError(f"{path}: video has no decodable frames")
        while k < len(wanted):  # times past the last frame: the last frame
            out[wanted[k]] = last
            k += 1
    return out


def load_image(path: Path):
    """RGB PIL image (transparent pixels composited on white, as tuxpaint stamps need)."""
    from PIL import Image

    try:
        img = Image.open(path)
        img.load()
    except Exception as exc:
        raise MediaError(f"{path}: unreadable image ({exc})") from exc
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    return img.convert("RGB")
