"""Contact sheet of a rendered library: ``contact_sheet.html`` with one waveform PNG per file.

Waveforms are drawn with Pillow (min/max envelope per pixel column, the -1 dBFS line dashed),
so the runtime needs no matplotlib. PNGs live in ``contact/`` beside the sheet.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw

from sfxgen.licences import describe, licence_counts, unhonoured
from sfxgen.manifest import ManifestEntry, off_target
from sfxgen.wavfile import atomic_write_bytes

WIDTH, HEIGHT = 480, 72
BG, FG, GRID = (24, 26, 30), (110, 200, 160), (70, 74, 82)


def waveform_png(samples: np.ndarray, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """PNG bytes of a min/max waveform of ``samples`` (S,) or (S, C) in [-1, 1]."""
    x = np.asarray(samples, dtype=np.float64)
    x = x.mean(axis=1) if x.ndim == 2 else x
    img = Image.new("RGB", (width, height), BG)
    draw = ImageDraw.Draw(img)
    mid = (height - 1) / 2
    ceiling = 10 ** (-1 / 20)
    for y in (mid - ceiling * mid, mid + ceiling * mid):
        for x0 in range(0, width, 6):
            draw.line([(x0, y), (x0 + 2, y)], fill=GRID)
    if x.size:
        edges = np.linspace(0, x.size, width + 1).astype(int)
        for col in range(width):
            seg = x[edges[col] : max(edges[col + 1], edges[col] + 1)]
            lo, hi = float(seg.min()), float(seg.max())
            draw.line([(col, mid - hi * mid), (col, mid - lo * mid)], fill=FG)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def _fmt(v: float | None, unit: str) -> str:
    return "–" if v is None else f"{v:.1f} {unit}"


def licence_note(entries: Iterable[ManifestEntry], licence: str) -> str:
    """One paragraph: the declared licence and the licences of the recordings files started from."""
    counts = licence_counts(e.source_licence for e in entries)
    text = f"Licence declared by the pack: {licence}." if licence else "The pack declares no licence."
    if counts:
        text += (
            f" {sum(counts.values())} files are variations of library recordings, whose terms may apply to them: "
            f"{describe(counts)}."
        )
        missing = unhonoured(licence, counts)
        if missing:
            text += f" Not named by the declared licence: {', '.join(missing)}."
    return text


def write_contact_sheet(out_dir: Path, entries: Iterable[ManifestEntry], title: str, licence: str = "") -> Path:
    """Draw missing waveform PNGs and write ``out_dir/contact_sheet.html``; return its path."""
    out_dir = Path(out_dir)
    entries = list(entries)
    png_dir = out_dir / "contact"
    png_dir.mkdir(exist_ok=True)
    rows = []
    for e in sorted(entries, key=lambda e: e.order):
        wav = out_dir / e.file
        png = png_dir / (Path(e.file).stem + ".png")
        if wav.is_file() and not png.exists():
            x, _ = sf.read(wav, dtype="float64", always_2d=False)
            atomic_write_bytes(png, waveform_png(x), overwrite=True)
        rows.append(
            "<tr>"
            f'<td><img src="contact/{html.escape(png.name)}" width="{WIDTH}" height="{HEIGHT}" alt=""></td>'
            f'<td><a href="{html.escape(e.file)}">{html.escape(e.file)}</a><br>'
            f"<small>{html.escape(e.prompt)}</small>"
            + (
                f"<br><small>from {html.escape(e.source_clip)} ({html.escape(e.source_licence)})</small>"
                if e.source_clip
                else ""
            )
            + "</td>"
            f"<td>{html.escape(e.catid)}<br><small>{html.escape(e.category)}-{html.escape(e.subcategory)}</small></td>"
            f"<td>{e.seed}</td><td>{e.duration_s:.2f} s{_loop_note(e)}</td>"
            f"<td>{_fmt(e.sample_peak_dbfs, 'dBFS')}<br>{_fmt(e.true_peak_dbtp, 'dBTP')}</td>"
            f"<td>{_loudness(e)}</td>"
            "</tr>"
        )
    doc = (
        "<!doctype html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;background:#111;color:#ddd}table{border-collapse:collapse}"
        "td,th{padding:4px 8px;border-bottom:1px solid #333;vertical-align:top}a{color:#8cf}.warn{color:#fa5}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{len(rows)} files{_missed_note(entries)}</p>"
        f"<p>{html.escape(licence_note(entries, licence))}</p>"
        "<table><tr><th>waveform</th><th>file / prompt</th><th>CatID</th><th>seed</th><th>length</th>"
        "<th>peak</th><th>loudness</th></tr>\n" + "\n".join(rows) + "\n</table></body></html>\n"
    )
    path = out_dir / "contact_sheet.html"
    atomic_write_bytes(path, doc.encode("utf-8"), overwrite=True)
    return path


def _loop_note(e: ManifestEntry) -> str:
    """'stereo', 'loop' and the loop seam's level step under the duration; nothing for a mono one-shot."""
    notes = ["stereo"] if e.channels == 2 else []
    if e.loop:
        notes.append("loop" + ("" if e.loop_seam_db is None else f", seam {e.loop_seam_db:.1f} dB"))
    return f"<br><small>{' · '.join(notes)}</small>" if notes else ""


def _loudness(e: ManifestEntry) -> str:
    """The measured loudness; against the target, in the warning colour, when the file missed it."""
    if not off_target([e]):
        return _fmt(e.lufs, "LUFS")
    return f'<span class="warn">{_fmt(e.lufs, "LUFS")}<br><small>target {e.loudness_target:g}</small></span>'


def _missed_note(entries: list[ManifestEntry]) -> str:
    missed = off_target(entries)
    return f'; <span class="warn">{len(missed)} missed their loudness target</span>' if missed else ""
