"""Dialogs: UCS rename, video frame picker, preset-pack render with progress."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sfxgen.licences import unhonoured_message
from sfxgen.paths import default_presets
from ui import media

log = logging.getLogger(__name__)


def ucs_catids() -> list[str]:
    """The UCS CatIDs shipped with sfxgen, in list order."""
    from sfxgen.ucs import load_ucs

    return list(load_ucs())


def ucs_stem(catid: str, fxname: str, creator_id: str, source_id: str, take: int) -> str:
    """UCS file stem ``CatID_FXName_CreatorID_SourceID[_NN]``; raises UcsError naming the bad field."""
    from sfxgen.ucs import ucs_stem as stem

    return stem(catid, fxname, creator_id, source_id, take if take > 0 else None)


def retag_file(path: Path, target: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Rename ``path`` to ``target`` and write the dialog's UCS fields into its bext/iXML tags.

    CatID, its Category/SubCategory, FXName, CreatorID and SourceID come from ``fields`` (sanitised
    as in the file name); the other tags (description, keywords, library, ...) and the audio and recipe are kept.
    Atomic; an existing other ``target`` is never overwritten. Returns ``fields`` plus the
    UCS category and subcategory (what the history stores).
    """
    import dataclasses

    from sfxgen.ucs import lookup, sanitize_fxname, sanitize_id
    from sfxgen.wavfile import read_wav_metadata, retag_wav

    entry = lookup(fields["catid"])
    old = read_wav_metadata(path).tags
    tags = dataclasses.replace(
        old,
        catid=entry.catid,
        category=entry.category,
        subcategory=entry.subcategory,
        fxname=sanitize_fxname(fields["fxname"]),
        creator_id=sanitize_id(fields["creator_id"], "CreatorID"),
        source_id=sanitize_id(fields["source_id"], "SourceID"),
    )
    retag_wav(path, tags, target)
    return {**fields, "category": entry.category, "subcategory": entry.subcategory}


class RenameDialog(QDialog):
    """Edit UCS fields; the preview shows the new file name."""

    def __init__(self, path: Path, tags: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rename with UCS fields")
        self.path = Path(path)
        form = QFormLayout()
        self.catid = QComboBox()
        self.catid.setEditable(True)
        self.catid.addItems(ucs_catids())
        self.catid.setCurrentText(tags.get("catid", ""))
        self.fxname = QLineEdit(tags.get("fxname", ""))
        self.creator = QLineEdit(tags.get("creator_id", ""))
        self.source = QLineEdit(tags.get("source_id", ""))
        self.take = QSpinBox()
        self.take.setRange(0, 999)
        self.take.setValue(int(tags.get("take", 1) or 0))
        self.preview = QLabel()
        self.preview.setObjectName("mono")
        self.error = QLabel()
        self.error.setObjectName("error")
        for label, w in (
            ("CatID", self.catid),
            ("FX name", self.fxname),
            ("Creator ID", self.creator),
            ("Source ID", self.source),
            ("Take", self.take),
            ("File", self.preview),
        ):
            form.addRow(label, w)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        for w in (self.fxname, self.creator, self.source):
            w.textChanged.connect(self._update)
        self.catid.currentTextChanged.connect(self._update)
        self.take.valueChanged.connect(self._update)
        self._update()

    def tags(self) -> dict[str, Any]:
        return {
            "catid": self.catid.currentText().strip(),
            "fxname": self.fxname.text().strip(),
            "creator_id": self.creator.text().strip(),
            "source_id": self.source.text().strip(),
            "take": self.take.value(),
        }

    def new_path(self) -> Path:
        t = self.tags()
        return self.path.with_name(
            ucs_stem(t["catid"], t["fxname"], t["creator_id"], t["source_id"], t["take"]) + ".wav"
        )

    def _update(self) -> None:
        try:
            target = self.new_path()
            problem = "" if target == self.path or not target.exists() else f"{target.name} already exists"
        except Exception as exc:  # ucs_filename validates CatIDs and fields
            target, problem = None, str(exc)
        if not self.catid.currentText().strip() or not self.fxname.text().strip():
            problem = problem or "CatID and FX name are required"
        self.preview.setText(target.name if target is not None else "—")
        self.error.setText(problem)
        self.ok.setEnabled(not problem)


class FramePickerDialog(QDialog):
    """Scrub a video and pick the frame used as the image query."""

    def __init__(self, video: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Pick a frame — {Path(video).name}")
        self.video = Path(video)
        self.duration = max(media.video_duration(self.video), 0.0)
        self.view = QLabel()
        self.view.setMinimumSize(480, 270)
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, max(int(self.duration * 10), 0))  # 0.1 s steps
        self.time = QLabel("0.0 s")
        self.slider.valueChanged.connect(self._show)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.time)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        lay.addWidget(buttons)
        self.frame = None
        self._show(0)

    @property
    def seconds(self) -> float:
        return self.slider.value() / 10.0

    def _show(self, _value: int) -> None:
        from ui.results import to_qimage

        self.time.setText(f"{self.seconds:.1f} s")
        try:
            self.frame = media.video_frame(self.video, self.seconds)
        except Exception as exc:
            self.view.setText(f"cannot decode frame: {exc}")
            return
        import numpy as np

        rgba = np.concatenate([self.frame, np.full((*self.frame.shape[:2], 1), 255, np.uint8)], axis=-1)
        pix = QPixmap.fromImage(to_qimage(rgba))
        self.view.setPixmap(pix.scaled(self.view.size(), Qt.AspectRatioMode.KeepAspectRatio))


class RenderDialog(QDialog):
    """Render a preset pack through the engine worker, with progress and cancel."""

    render_done = Signal(str)  # "finished" | "failed" | "cancelled", after the dialog updated

    def __init__(self, controller: Any, default_out: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Render preset pack")
        self.resize(620, 380)
        self.controller = controller
        self.token: int | None = None
        self.pack = QLineEdit()
        self.pack.setPlaceholderText("presets/<pack>.toml")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse_pack)
        self.out = QLineEdit(str(default_out))
        browse_out = QPushButton("…")
        browse_out.clicked.connect(self._browse_out)
        form = QFormLayout()
        for label, edit, btn in (("Pack", self.pack, browse), ("Output folder", self.out, browse_out)):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(btn)
            form.addRow(label, row)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFormat("%p %")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setObjectName("mono")
        self.start = QPushButton("Render")
        self.start.setObjectName("primary")
        self.start.clicked.connect(self.start_render)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_render)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.start, self.cancel_btn, close):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.bar)
        lay.addWidget(self.log, 1)
        lay.addLayout(buttons)
        w = controller.worker
        w.started.connect(self._on_started)
        w.progress.connect(self._on_progress)
        w.render_message.connect(self._on_message)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        self._presets = default_presets()
        first = sorted(self._presets.glob("*.toml")) if self._presets else []
        if first:
            self.pack.setText(str(first[0]))

    def _browse_pack(self) -> None:
        start = self.pack.text() or str(self._presets or "")
        path, _ = QFileDialog.getOpenFileName(self, "Preset pack", start, "Packs (*.toml)")
        if path:
            self.pack.setText(path)

    def _browse_out(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.out.text())
        if path:
            self.out.setText(path)

    def start_render(self) -> None:
        pack = Path(self.pack.text().strip())
        if not pack.is_file():
            self._on_message(-1, f"pack not found: {pack}")
            return
        self.bar.setValue(0)
        self.start.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.token = self.controller.render_pack(pack, Path(self.out.text().strip()))

    def cancel_render(self) -> None:
        if self.token is not None:
            self.controller.cancel(self.token)

    def reject(self) -> None:
        self.cancel_render()
        super().reject()

    def _mine(self, token: int) -> bool:
        return token == self.token

    def _on_started(self, token: int) -> None:
        if self._mine(token):
            self._on_message(token, f"rendering {self.pack.text()} → {self.out.text()}")

    def _on_progress(self, token: int, fraction: float) -> None:
        if self._mine(token):
            self.bar.setValue(round(fraction * 1000))

    def _on_message(self, token: int, text: str) -> None:
        if token == -1 or self._mine(token):
            self.log.appendPlainText(text)

    def _done(self, text: str, outcome: str) -> None:
        self.log.appendPlainText(text)
        self.start.setEnabled(True)
        self.cancel_btn.setEnabled(False)
        self.token = None
        self.render_done.emit(outcome)

    def _on_finished(self, token: int, report: Any) -> None:
        if self._mine(token):
            self.bar.setValue(1000)
            if report.unhonoured_licences:
                self.log.appendPlainText("licence: " + unhonoured_message(report.unhonoured_licences, report.license))
            if report.off_target:
                self.log.appendPlainText(
                    f"loudness: {len(report.off_target)} files missed their target (see the contact sheet): "
                    + ", ".join(report.off_target[:5])
                    + (" ..." if len(report.off_target) > 5 else "")
                )
            self._done(
                f"done: {report.rendered} rendered, {report.skipped} already there, {report.total} files "
                f"in {report.seconds:.1f} s → {report.out_dir}",
                "finished",
            )

    def _on_failed(self, token: int, message: str) -> None:
        if self._mine(token):
            self._done(f"failed: {message}", "failed")

    def _on_cancelled(self, token: int) -> None:
        if self._mine(token):
            self._done("cancelled (rendered files are kept; render again to resume)", "cancelled")
