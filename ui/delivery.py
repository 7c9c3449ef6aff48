"""What the panel's files are: sample rate, bit depth, and peak or loudness level (a FinishSpec).

Sits in the toolbar ("Files"); each take's recipe records it, so "Regenerate" and "More like this" keep a
take's own format and a history entry brings it back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QWidget

from sfxgen.finishing import BitDepth, FinishSpec

RATES = ((48000, "48 kHz"), (44100, "44.1 kHz"))
DEPTHS = ((BitDepth.PCM24, "24-bit"), (BitDepth.PCM16, "16-bit"), (BitDepth.FLOAT32, "32-bit float"))
# None: peak-normalised to -1 dBFS; else an integrated-loudness target (BS.1770), the peak still at most -1 dBFS
LEVELS = (
    (None, "Peak −1 dBFS"),
    (-14.0, "−14 LUFS"),
    (-16.0, "−16 LUFS"),
    (-18.0, "−18 LUFS"),
    (-23.0, "−23 LUFS (R128)"),
    (-24.0, "−24 LUFS (A/85)"),
)


class DeliveryControls(QWidget):
    """Three combo boxes: rate, depth, level."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.rate, self.depth, self.level = QComboBox(), QComboBox(), QComboBox()
        for box, items in ((self.rate, RATES), (self.depth, DEPTHS), (self.level, LEVELS)):
            for value, text in items:
                box.addItem(text, value)
            lay.addWidget(box)
        self.rate.setToolTip("sample rate of the files written")
        self.depth.setToolTip("sample format of the files written")
        self.level.setToolTip(
            "peak-normalise each take to -1 dBFS, or level-match takes to a loudness target "
            "(ITU-R BS.1770; the peak never goes above -1 dBFS, so a very peaky take may end up quieter)"
        )

    def finish_spec(self, loop_ms: float = 0.0) -> FinishSpec:
        """The FinishSpec of the current choices (plus a loop crossfade from the Settings)."""
        return FinishSpec(
            sample_rate=int(self.rate.currentData()),
            bit_depth=self.depth.currentData(),
            loudness_lufs=self.level.currentData(),
            loop_crossfade_ms=float(loop_ms),
        )

    def apply(self, finish: dict[str, Any] | None) -> None:
        """Select a recipe's format (history -> settings); a loudness target not in the list is added to it."""
        if not finish:
            return
        _select(self.rate, finish.get("sample_rate"))
        _select(self.depth, next((b for b in BitDepth if b.value == finish.get("bit_depth")), None))
        lufs = finish.get("loudness_lufs")
        if lufs is not None and not (isinstance(lufs, int | float) and -70 <= lufs <= 0):
            return  # not a loudness target: keep the current level
        if lufs is not None and self.level.findData(float(lufs)) < 0:
            self.level.addItem(f"{float(lufs):g} LUFS".replace("-", "−"), float(lufs))
        _select(self.level, None if lufs is None else float(lufs), allow_none=True)


def _select(box: QComboBox, value: Any, *, allow_none: bool = False) -> None:
    if value is None and not allow_none:
        return
    i = box.findData(value)
    if i >= 0:
        box.setCurrentIndex(i)
