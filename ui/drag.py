"""Hand finished files to a DAW or a file manager: drag, reveal, copy path.

A drag carries ``file://`` URLs of WAVs that already exist on disk (the engine
writes atomically before it reports a result), which REAPER, Ableton Live, Pro
Tools, Logic and every file manager accept. We refuse to start a drag for a
missing file rather than hand the DAW a dangling path.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDrag, QGuiApplication, QPixmap
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)


def existing_files(paths: Iterable[str | Path]) -> list[Path]:
    """Absolute paths of the files that exist, in order, without duplicates."""
    out: list[Path] = []
    for p in paths:
        path = Path(p).resolve()
        if path.is_file() and path not in out:
            out.append(path)
    return out


def file_mime_data(paths: Sequence[str | Path]) -> QMimeData:
    """Mime data with one file URL per existing file (plus the paths as text).

    Raises:
        FileNotFoundError: when none of ``paths`` exists.
    """
    files = existing_files(paths)
    if not files:
        raise FileNotFoundError(f"nothing to drag: none of these files exists: {', '.join(map(str, paths))}")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    mime.setText("\n".join(str(f) for f in files))
    return mime


def start_file_drag(source: QWidget, paths: Sequence[str | Path], pixmap: QPixmap | None = None) -> Qt.DropAction:
    """Run a copy drag of ``paths`` from ``source`` (blocks until the drop, as QDrag does)."""
    drag = QDrag(source)
    drag.setMimeData(file_mime_data(paths))
    if pixmap is not None and not pixmap.isNull():
        drag.setPixmap(pixmap)
    return drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)


def copy_paths(paths: Sequence[str | Path]) -> str:
    """Put the absolute paths (one per line) on the clipboard; returns the text."""
    text = "\n".join(str(Path(p).resolve()) for p in paths)
    QGuiApplication.clipboard().setText(text)
    return text


def reveal_in_folder(path: str | Path) -> bool:
    """Show ``path`` selected in the system file manager (its folder where selecting is not possible)."""
    path = Path(path).resolve()
    try:
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", str(path)])
            return True
        if sys.platform.startswith("win"):
            subprocess.Popen(["explorer", "/select,", str(path)])
            return True
    except OSError as exc:
        log.warning("cannot reveal %s: %s", path, exc)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
