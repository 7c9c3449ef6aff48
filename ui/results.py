"""Results list: one compact row per variation with waveform + spectrogram thumbnails.

Rows are drag sources (file URLs of the finished WAVs), keyboard-navigable,
and carry a context menu for everything a designer does next with a take.
"""

from __future__ import annotations

import dataclasses
import html
import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from ui import drag, thumbs
from ui.theme import DIM

log = logging.getLogger(__name__)

WAVE_SIZE = QSize(300, 46)
SPEC_SIZE = QSize(150, 46)
ROW_HEIGHT = 58


@dataclasses.dataclass
class Variation:
    """One finished file as the panel shows it."""

    index: int  # 1-based position in the batch (keys 1-9)
    path: Path
    seed: int
    prompt: str
    duration: float  # seconds (of the file on disk)
    sample_rate: int
    recipe: Any = None  # the file's recipe: a dict of sfxgen.recipe.Recipe's fields (or a Recipe)
    history_id: int | None = None
    favourite: bool = False
    name: str = ""  # display name after a UCS rename
    tags: dict[str, Any] = dataclasses.field(default_factory=dict)


def recipe_field(recipe: Any, key: str, default: Any = None) -> Any:
    """One field of a take's recipe, a dict or a Recipe (``default`` when it has none, or no recipe)."""
    if isinstance(recipe, dict):
        return recipe.get(key, default)
    return getattr(recipe, key, default)


def source_recording(recipe: Any) -> tuple[str, str] | None:
    """(recording id, licence) of the library recording a take started from, or None."""
    clip = recipe_field(recipe, "source_clip")
    return (str(clip), str(recipe_field(recipe, "source_licence") or "licence unknown")) if clip else None


def loop_ms(recipe: Any) -> float:
    """A take's loop crossfade in ms; 0: not a loop (one-shots leave it out)."""
    return float((recipe_field(recipe, "finish") or {}).get("loop_crossfade_ms", 0.0))


def recipe_channels(recipe: Any) -> int:
    """A take's channels: 2 for stereo, else 1 (mono recipes leave it out)."""
    return 2 if recipe_field(recipe, "channels", 1) == 2 else 1


def to_qimage(rgba: np.ndarray) -> QImage:
    """Copy an ``(H, W, 4)`` uint8 RGBA array into a QImage."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    h, w, _ = rgba.shape
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def thumbnails(path: Path) -> tuple[QPixmap, QPixmap, float, int]:
    """Waveform and spectrogram pixmaps, duration (s) and sample rate of ``path``."""
    samples, sr = thumbs.load_mono(path)
    wave = to_qimage(thumbs.waveform_rgba(samples, WAVE_SIZE.width(), WAVE_SIZE.height()))
    spec = to_qimage(thumbs.spectrogram_rgba(samples, sr, SPEC_SIZE.width(), SPEC_SIZE.height()))
    return QPixmap.fromImage(wave), QPixmap.fromImage(spec), samples.size / sr, sr


class VariationRow(QWidget):
    """The widget drawn for one :class:`Variation`."""

    def __init__(self, v: Variation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("variationRow")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 10, 4)
        lay.setSpacing(10)
        self.badge = QLabel(str(v.index) if v.index <= 9 else "·")
        self.badge.setObjectName("badge")
        self.badge.setFixedSize(22, 22)
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setToolTip(f"press {v.index} to play" if v.index <= 9 else "")
        lay.addWidget(self.badge)
        self.wave = QLabel()
        self.wave.setObjectName("waveThumb")
        self.wave.setFixedSize(WAVE_SIZE)
        self.spec = QLabel()
        self.spec.setObjectName("specThumb")
        self.spec.setFixedSize(SPEC_SIZE)
        try:
            wave, spec, duration, sr = thumbnails(v.path)
            self.wave.setPixmap(wave)
            self.spec.setPixmap(spec)
            v.duration, v.sample_rate = duration, sr
        except Exception as exc:  # a file deleted behind our back: show the row, say why
            self.wave.setText(f"cannot read file: {exc}")
        lay.addWidget(self.wave)
        lay.addWidget(self.spec)
        text = QVBoxLayout()
        text.setSpacing(1)
        self.title = QLabel()
        self.title.setObjectName("rowTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.meta = QLabel()
        self.meta.setObjectName("rowMeta")
        text.addWidget(self.title)
        text.addWidget(self.meta)
        lay.addLayout(text, 1)
        self.star = QLabel()
        self.star.setObjectName("star")
        lay.addWidget(self.star)
        self.update_from(v)

    def update_from(self, v: Variation) -> None:
        title = html.escape(v.name or v.prompt or "(image query)")
        note = ""
        kind = " ".join(k for k, on in (("stereo", recipe_channels(v.recipe) == 2), ("loop", loop_ms(v.recipe))) if on)
        dim = [kind] if kind else []  # a stereo take, a loop that plays end to start without a seam
        source = source_recording(v.recipe)
        if source:  # a variation of a library recording: say whose terms may come with it
            dim.insert(0, html.escape(source[1]))
            note = f"\nstarted from library recording {source[0]} ({source[1]}); its terms may apply to this file"
        if dim:
            title += f'  <span style="color:{DIM}; font-weight:400">· {" · ".join(dim)}</span>'
        self.title.setText(title)
        self.title.setToolTip(v.prompt + note)
        khz = f"{v.sample_rate / 1000:g} kHz" if v.sample_rate else ""
        self.meta.setText(f"seed {v.seed}    {v.duration:.2f} s    {khz}    {v.path.suffix[1:].upper()}")
        self.meta.setToolTip(str(v.path) + note)
        self.star.setText("★" if v.favourite else "")


class ResultsView(QListWidget):
    """List of variations; drag rows out as files, context menu for the rest."""

    play_requested = Signal(object)  # Variation
    favourite_toggled = Signal(object)
    rename_requested = Signal(object)
    regenerate_same = Signal(object)
    regenerate_new = Signal(object)
    more_like_this = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("results")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setUniformItemSizes(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemActivated.connect(lambda item: self.play_requested.emit(self.variation(item)))
        self._variations: list[Variation] = []

    # -- content ---------------------------------------------------------------------------------------------
    def set_variations(self, variations: list[Variation]) -> None:
        self.clear()
        self._variations = []
        for v in variations:
            self.add_variation(v)
        if self.count():
            self.setCurrentRow(0)

    def add_variation(self, v: Variation) -> None:
        item = QListWidgetItem(self)
        item.setSizeHint(QSize(0, ROW_HEIGHT))
        item.setData(Qt.ItemDataRole.UserRole, len(self._variations))
        item.setToolTip(f"{v.prompt}\n{v.path}\ndrag into your DAW · space plays · right-click for more")
        self._variations.append(v)
        self.setItemWidget(item, VariationRow(v))

    def variations(self) -> list[Variation]:
        return list(self._variations)

    def variation(self, item: QListWidgetItem | None) -> Variation | None:
        if item is None:
            return None
        return self._variations[int(item.data(Qt.ItemDataRole.UserRole))]

    def selected_variations(self) -> list[Variation]:
        return [v for v in (self.variation(i) for i in self.selectedItems()) if v is not None]

    def current_variation(self) -> Variation | None:
        return self.variation(self.currentItem())

    def by_number(self, n: int) -> Variation | None:
        """Variation shown with badge ``n`` (1-based), selecting its row."""
        if 1 <= n <= self.count():
            self.setCurrentRow(n - 1)
            return self._variations[n - 1]
        return None

    def refresh(self, v: Variation) -> None:
        i = self._variations.index(v)
        row = self.itemWidget(self.item(i))
        if isinstance(row, VariationRow):
            row.update_from(v)

    # -- drag ------------------------------------------------------------------------------------------------
    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain"]

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:  # called by QListWidget's startDrag
        paths = [v.path for v in (self.variation(i) for i in items) if v is not None]
        try:
            return drag.file_mime_data(paths)
        except FileNotFoundError as exc:
            log.warning("%s", exc)
            return QMimeData()

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    # -- context menu ----------------------------------------------------------------------------------------
    def _menu(self, pos: QPoint) -> None:
        v = self.variation(self.itemAt(pos))
        if v is None:
            return
        menu = QMenu(self)
        entries: list[tuple[str, str, Any]] = [
            ("Play", "Space", lambda: self.play_requested.emit(v)),
            ("Unfavourite" if v.favourite else "Favourite", "F", lambda: self.favourite_toggled.emit(v)),
            ("Rename (UCS)…", "F2", lambda: self.rename_requested.emit(v)),
            ("", "", None),
            ("Regenerate, same seed", "R", lambda: self.regenerate_same.emit(v)),
            ("Regenerate, new seed", "Shift+R", lambda: self.regenerate_new.emit(v)),
            ("More like this", "M", lambda: self.more_like_this.emit(v)),
            ("", "", None),
            ("Reveal in folder", "", lambda: drag.reveal_in_folder(v.path)),
            ("Copy path", "Ctrl+C", lambda: drag.copy_paths([x.path for x in self.selected_variations()] or [v.path])),
        ]
        for label, keys, fn in entries:
            if fn is None:
                menu.addSeparator()
                continue
            act = QAction(label + (f"\t{keys}" if keys else ""), menu)
            act.triggered.connect(fn)
            menu.addAction(act)
        menu.exec(self.viewport().mapToGlobal(pos))
