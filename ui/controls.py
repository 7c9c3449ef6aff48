"""Side panel: prompt (with history completion), blend, image drop, start sound, generation settings."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sfxgen.request import slugify
from ui import media
from ui.results import loop_ms

SAMPLERS = ("dpmpp_2m", "ddim", "ddpm")
MAX_UI_SEED = 2**31 - 1
NO_START_SOUND = "none: from noise"
LIBRARY_START = "a library recording"  # the bundle ships a sound library: prompts start from its nearest recording
STRENGTH_AUTO = "auto"  # the strength box's lowest value: None, the pipeline's default
LOOP_OFF = "off"  # the loop box's lowest value: 0 ms, no loop


class DropZone(QLabel):
    """Accepts a dropped image or video file; emits its path."""

    dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(56)
        self.setWordWrap(True)
        self.show_empty()

    def show_empty(self) -> None:
        self.setPixmap(QPixmap())
        self.setText("drop an image or a video here\nfor an image query")

    def show_image(self, path: Path) -> None:
        pix = QPixmap(str(path))
        if pix.isNull():
            self.setText(path.name)
        else:
            self.setPixmap(pix.scaledToHeight(72, Qt.TransformationMode.SmoothTransformation))

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            self.setProperty("active", True)
            self.style().polish(self)
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: Any) -> None:
        self.setProperty("active", False)
        self.style().polish(self)

    def dropEvent(self, event: Any) -> None:
        self.dragLeaveEvent(event)
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.dropped.emit(urls[0])


def _section(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("section")
    return label


class ControlPanel(QFrame):
    """Everything that shapes the next request; :meth:`request` builds it."""

    generate_clicked = Signal()
    cancel_clicked = Signal()
    image_dropped = Signal(str)
    vary_clicked = Signal()  # "Vary a sound…": the window asks for a file

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidePanel")
        self.setFixedWidth(330)
        self.image: Path | None = None
        self.init_audio: Path | None = None  # start sound (SDEdit) or None
        self._no_start = NO_START_SOUND  # what the start row says without a start sound
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 10)
        lay.setSpacing(5)

        lay.addWidget(_section("Prompt"))
        self.prompt = QLineEdit()
        self.prompt.setObjectName("prompt")
        self.prompt.setPlaceholderText("heavy wooden door slams shut")
        self.prompt.setClearButtonEnabled(True)
        self._prompt_model = QStringListModel(self)
        completer = QCompleter(self._prompt_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.prompt.setCompleter(completer)
        self.prompt.returnPressed.connect(self.generate_clicked)
        lay.addWidget(self.prompt)

        lay.addWidget(_section("Blend"))
        self.blend_prompt = QLineEdit()
        self.blend_prompt.setPlaceholderText("second prompt (optional)")
        self.blend_prompt.setCompleter(QCompleter(self._prompt_model, self))
        lay.addWidget(self.blend_prompt)
        row = QHBoxLayout()
        self.blend = QSlider(Qt.Orientation.Horizontal)
        self.blend.setRange(0, 100)
        self.blend_label = QLabel("0 %")
        self.blend_label.setFixedWidth(40)
        self.blend_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.blend.valueChanged.connect(lambda v: self.blend_label.setText(f"{v} %"))
        row.addWidget(self.blend, 1)
        row.addWidget(self.blend_label)
        lay.addLayout(row)

        lay.addWidget(_section("Image query"))
        self.drop = DropZone()
        self.drop.dropped.connect(self.image_dropped)
        lay.addWidget(self.drop)
        self.clear_image_btn = QPushButton("Clear image")
        self.clear_image_btn.clicked.connect(self.clear_image)
        self.clear_image_btn.setVisible(False)
        lay.addWidget(self.clear_image_btn)

        lay.addWidget(_section("Settings"))
        form = QFormLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(4)
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.25, 30.0)
        self.duration.setSingleStep(0.25)
        self.duration.setSuffix(" s")
        self.duration.setValue(2.0)
        self.variations = QSpinBox()
        self.variations.setRange(1, 64)
        self.variations.setValue(4)
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(0.0, 50.0)
        self.guidance.setSingleStep(0.1)
        self.guidance.setValue(1.5)
        self.steps = QSpinBox()
        self.steps.setRange(1, 1000)
        self.steps.setValue(25)
        self.sampler = QComboBox()
        self.sampler.addItems(SAMPLERS)
        self.strength = _strength_box()
        self.loop = _loop_box()
        self.stereo = QCheckBox("stereo")
        self.stereo.setToolTip(
            "stereo takes for ambiences and textures: two decorrelated draws of each variation, left and right"
        )
        loop_row = QHBoxLayout()
        loop_row.addWidget(self.loop, 1)
        loop_row.addWidget(self.stereo)
        init_row = self._build_init_row()
        seed_row = QHBoxLayout()
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_UI_SEED)
        self.seed.setValue(random.randrange(MAX_UI_SEED))
        self.seed_lock = QCheckBox("lock")
        self.seed_lock.setToolTip("keep this seed for the next generation (else a new seed each time)")
        dice = QToolButton()
        dice.setText("⟳")
        dice.setToolTip("new seed")
        dice.clicked.connect(self.new_seed)
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.seed_lock)
        seed_row.addWidget(dice)
        for label, w in (
            ("Duration", self.duration),
            ("Variations", self.variations),
            ("Guidance", self.guidance),
            ("Steps", self.steps),
            ("Sampler", self.sampler),
        ):
            form.addRow(label, w)
        form.addRow("Seed", seed_row)
        form.addRow("Start", init_row)
        form.addRow("Strength", self.strength)
        form.addRow("Loop", loop_row)
        lay.addLayout(form)

        lay.addStretch(1)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        buttons = QHBoxLayout()
        self.generate_btn = QPushButton("Generate")
        self.generate_btn.setObjectName("primary")
        self.generate_btn.setToolTip("Ctrl+Enter (or Enter in the prompt)")
        self.generate_btn.clicked.connect(self.generate_clicked)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("Esc")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_clicked)
        buttons.addWidget(self.generate_btn, 1)
        buttons.addWidget(self.cancel_btn)
        lay.addLayout(buttons)
        hint = QLabel("Space play · 1-9 variation · L loop · F fav · R regen · M more like this · V vary")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        lay.addWidget(hint)

    def _build_init_row(self) -> QHBoxLayout:
        """File name of the start sound, "Vary a sound…" and a clear button."""
        row = QHBoxLayout()
        self.init_label = QLabel(self._no_start)
        self.init_label.setObjectName("hint")
        self.init_label.setMinimumWidth(60)
        self.vary_btn = QToolButton()
        self.vary_btn.setText("Vary a sound…")
        self.vary_btn.setToolTip("make variations of a sound file (WAV, FLAC, OGG); or drop one onto the panel")
        self.vary_btn.clicked.connect(self.vary_clicked)
        self.clear_init_btn = QToolButton()
        self.clear_init_btn.setText("✕")
        self.clear_init_btn.setToolTip("clear the start sound: generate from the prompt alone")
        self.clear_init_btn.clicked.connect(self.clear_init_audio)
        self.clear_init_btn.setVisible(False)
        row.addWidget(self.init_label, 1)
        row.addWidget(self.vary_btn)
        row.addWidget(self.clear_init_btn)
        return row

    # -- state -----------------------------------------------------------------------------------------------
    def set_prompt_history(self, prompts: list[str]) -> None:
        self._prompt_model.setStringList(prompts)

    def prompt_history(self) -> list[str]:
        return self._prompt_model.stringList()

    def set_busy(self, busy: bool) -> None:
        self.generate_btn.setEnabled(not busy)
        self.cancel_btn.setEnabled(busy)

    def new_seed(self) -> int:
        self.seed.setValue(random.randrange(MAX_UI_SEED))
        return self.seed.value()

    def set_image(self, path: Path) -> None:
        self.image = Path(path)
        self.drop.show_image(self.image)
        self.drop.setToolTip(str(self.image))
        self.clear_image_btn.setVisible(True)

    def clear_image(self) -> None:
        self.image = None
        self.drop.show_empty()
        self.drop.setToolTip("")
        self.clear_image_btn.setVisible(False)

    def set_init_audio(self, path: Path, seconds: float | None = None) -> None:
        """Vary ``path`` next; ``seconds`` (its length) becomes the duration when given."""
        self.init_audio = Path(path)
        self.init_label.setText(self.init_audio.name)
        self.init_label.setToolTip(str(self.init_audio))
        self.clear_init_btn.setVisible(True)
        if seconds is not None:
            self.duration.setValue(seconds)  # clamped to the box's 0.25 .. 30 s

    def clear_init_audio(self) -> None:
        """Back to generation from the prompt alone."""
        self.init_audio = None
        self.init_label.setText(self._no_start)
        self.init_label.setToolTip("")
        self.clear_init_btn.setVisible(False)

    def strength_value(self) -> float | None:
        """The strength box as a request value: None for "auto"."""
        value = float(self.strength.value())
        return None if value <= self.strength.minimum() else value

    def set_strength(self, value: float | None) -> None:
        """A strength in (0, 1], or None for "auto"."""
        self.strength.setValue(self.strength.minimum() if value is None else float(value))

    def apply_defaults(self, defaults: Any, library_entries: int = 0) -> None:
        """Bundle defaults (sfxgen.bundle.Defaults) into the settings; library_entries: its sound library's size."""
        self.set_strength(None)
        library = float(getattr(defaults, "strength", 1.0)) if library_entries else 1.0
        self._no_start = LIBRARY_START if library < 1.0 else NO_START_SOUND
        if self.init_audio is None:
            self.init_label.setText(self._no_start)
        self.init_label.setToolTip(
            f"prompts start from the nearest of this bundle's {library_entries} recordings, redrawn at strength "
            f"{library:g} (Strength 1: from pure noise)"
            if library < 1.0
            else ""
        )
        self.strength.setToolTip(
            "how much of the start sound to redraw (1: from pure noise); "
            f"auto: 0.6 with a start sound, else {library:g} for this bundle"
        )
        self.guidance.setValue(float(defaults.guidance))
        self.steps.setValue(int(defaults.steps))
        if defaults.sampler in SAMPLERS:
            self.sampler.setCurrentText(defaults.sampler)
        self.duration.setValue(float(defaults.duration))

    def apply_recipe(self, recipe: dict[str, Any]) -> None:
        """Load a stored recipe back into the controls (history → settings)."""
        self.prompt.setText(recipe.get("prompt", ""))
        self.blend_prompt.setText(recipe.get("blend_prompt", ""))
        self.blend.setValue(round(float(recipe.get("blend", 0.0)) * 100))
        for key, widget in (("duration", self.duration), ("guidance", self.guidance)):
            if key in recipe:
                widget.setValue(float(recipe[key]))
        if "steps" in recipe:
            self.steps.setValue(int(recipe["steps"]))
        if recipe.get("sampler") in SAMPLERS:
            self.sampler.setCurrentText(recipe["sampler"])
        if "seed" in recipe and 0 <= int(recipe["seed"]) <= MAX_UI_SEED:
            self.seed.setValue(int(recipe["seed"]))
            self.seed_lock.setChecked(True)
        image = recipe.get("image_path")
        if image and Path(image).is_file():
            self.set_image(Path(image))
        else:
            self.clear_image()
        init = recipe.get("init_path")
        if init and recipe.get("init_sha256") and Path(init).is_file():
            self.set_init_audio(Path(init))
        else:
            self.clear_init_audio()
        self.set_strength(float(recipe.get("strength", 1.0)))  # recipes leave out strength 1 (from noise)
        self.loop.setValue(loop_ms(recipe))
        self.stereo.setChecked(recipe.get("channels", 1) == 2)

    def settings(self, *, roll_seed: bool = True) -> dict[str, Any]:
        """Request fields from the controls; rolls a new seed unless locked."""
        if roll_seed and not self.seed_lock.isChecked():
            self.new_seed()
        return {
            "prompt": self.prompt.text().strip(),
            "image": self.image,
            "blend_prompt": self.blend_prompt.text().strip(),
            "blend": self.blend.value() / 100.0 if self.blend_prompt.text().strip() else 0.0,
            "duration": float(self.duration.value()),
            "variations": int(self.variations.value()),
            "seed": int(self.seed.value()),
            "guidance": float(self.guidance.value()),
            "steps": int(self.steps.value()),
            "sampler": self.sampler.currentText(),
            "init_audio": self.init_audio,
            "strength": self.strength_value(),
            "loop_ms": float(self.loop.value()),
            "channels": 2 if self.stereo.isChecked() else 1,
        }


def _strength_box() -> QDoubleSpinBox:
    """(0, 1] in steps of 0.05; its lowest value reads "auto" (None: the bundle's default)."""
    box = QDoubleSpinBox()
    box.setRange(0.0, 1.0)
    box.setSingleStep(0.05)
    box.setDecimals(2)
    box.setSpecialValueText(STRENGTH_AUTO)
    box.setValue(0.0)
    box.setToolTip("how much of the start sound to redraw (1: from pure noise); auto: the bundle's default")
    return box


def _loop_box() -> QDoubleSpinBox:
    """Loop crossfade in ms, 0 .. 10000 in steps of 100; its lowest value reads "off" (one-shots)."""
    box = QDoubleSpinBox()
    box.setRange(0.0, 10_000.0)
    box.setSingleStep(100.0)
    box.setDecimals(0)
    box.setSuffix(" ms")
    box.setSpecialValueText(LOOP_OFF)
    box.setValue(0.0)
    box.setToolTip(
        "seamless loops (rain, wind, engines): each take is Duration long, its tail crossfaded into its head "
        "over this long (500 ms is a good start), loop points written in the WAV; off: one-shots with fades"
    )
    return box


def file_stems(out_dir: Path, prompt: str, seeds: list[int]) -> tuple[str, ...]:
    """``<slug>_s<seed>`` per seed, with a ``_2``, ``_3`` ... suffix where a file of that name exists."""
    base = slugify(prompt or "image")
    stems = []
    for s in seeds:
        stem, k = f"{base}_s{s}", 1
        while (out_dir / f"{stem}.wav").exists() or stem in stems:
            k += 1
            stem = f"{base}_s{s}_{k}"
        stems.append(stem)
    return tuple(stems)


def is_media(path: str) -> bool:
    return media.is_image(path) or media.is_video(path)
