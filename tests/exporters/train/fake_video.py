"""Small real video files made with PyAV: a coloured picture per category with its tone."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

SR = 24000
# category -> (RGB colour, tone Hz)
SCENES = {"red_beep": ((220, 30, 30), 1000.0), "blue_hum": ((30, 30, 220), 120.0), "green_hiss": ((30, 200, 30), 0.0)}


def make_video(path: Path, colour: tuple[int, int, int], freq: float, seconds: float = 1.5, fps: int = 8) -> Path:
    """An mp4 (mpeg4 video + aac audio) of a flat picture with a moving square and a tone (freq 0 = noise)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(int(sum(colour) + freq))
    with av.open(str(path), "w") as out:
        v = out.add_stream("mpeg4", rate=fps)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = out.add_stream("aac", rate=SR)
        a.layout = "mono"
        for i in range(int(seconds * fps)):
            img = np.zeros((48, 64, 3), np.uint8)
            img[:] = colour
            img[10:20, 4 * i % 56 : 4 * i % 56 + 8] = 255
            for pkt in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in v.encode():
            out.mux(pkt)
        t = np.arange(int(seconds * SR)) / SR
        wave = 0.3 * np.sin(2 * np.pi * freq * t) if freq > 0 else 0.1 * rng.standard_normal(t.size)
        wave = wave.astype(np.float32)
        for s in range(0, wave.size, 1024):
            frame = av.AudioFrame.from_ndarray(wave[None, s : s + 1024], format="flt", layout="mono")
            frame.sample_rate = SR
            frame.pts = s
            for pkt in a.encode(frame):
                out.mux(pkt)
        for pkt in a.encode():
            out.mux(pkt)
    return path


def make_video_folder(root: Path, per_scene: int = 2) -> Path:
    """root/<category>/<category>_<i>.mp4 for every scene."""
    for cat, (colour, freq) in SCENES.items():
        for i in range(per_scene):
            make_video(Path(root) / cat / f"{cat}_{i}.mp4", colour, freq * (1 + 0.05 * i))
    return Path(root)
