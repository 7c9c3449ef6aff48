"""Dark, compact theme: a Fusion palette plus one stylesheet."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BG = "#16181d"  # window
PANEL = "#1d2027"  # side panel, rows
FIELD = "#111318"  # inputs
BORDER = "#2c313b"
TEXT = "#d7dae0"
DIM = "#8a919e"
ACCENT = "#5ec8ff"  # matches the waveform colour
ACCENT_DARK = "#1f6f99"
WARN = "#ffb454"
ERROR = "#ff6b6b"

STYLE = f"""
QWidget {{ background: {BG}; color: {TEXT}; font-size: 12px; }}
QToolTip {{ background: {PANEL}; color: {TEXT}; border: 1px solid {BORDER}; padding: 4px; }}
#sidePanel {{ background: {PANEL}; border-right: 1px solid {BORDER}; }}
#sidePanel QLabel {{ background: transparent; }}
QLabel#section {{ color: {DIM}; font-size: 10px; font-weight: 600; letter-spacing: 1px; padding-top: 6px; }}
QLabel#hint {{ color: {DIM}; font-size: 11px; }}
QLabel#error {{ color: {ERROR}; }}
QLabel#mono, QPlainTextEdit#mono {{ font-family: "DejaVu Sans Mono", monospace; font-size: 11px; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox, QPlainTextEdit {{
    background: {FIELD}; border: 1px solid {BORDER}; border-radius: 4px; padding: 3px 6px;
    selection-background-color: {ACCENT_DARK};
}}
QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{ border: 1px solid {ACCENT}; }}
QAbstractSpinBox {{ padding-right: 18px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: border; width: 16px; background: #232730; border-left: 1px solid {BORDER}; }}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; border-top-right-radius: 4px; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; border-bottom-right-radius: 4px; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{ background: #2f3540; }}
QAbstractSpinBox::up-arrow {{ width: 0; height: 0; border-left: 4px solid transparent;
    border-right: 4px solid transparent; border-bottom: 4px solid {DIM}; }}
QAbstractSpinBox::down-arrow {{ width: 0; height: 0; border-left: 4px solid transparent;
    border-right: 4px solid transparent; border-top: 4px solid {DIM}; }}
QComboBox::drop-down {{ border: none; width: 18px; }}
QComboBox::down-arrow {{ width: 0; height: 0; border-left: 4px solid transparent;
    border-right: 4px solid transparent; border-top: 5px solid {DIM}; }}
QLineEdit#prompt {{ font-size: 14px; padding: 6px 8px; }}
QComboBox QAbstractItemView {{ background: {PANEL}; selection-background-color: {ACCENT_DARK}; }}
QPushButton, QToolButton {{
    background: #262a33; border: 1px solid {BORDER}; border-radius: 4px; padding: 4px 10px;
}}
QPushButton:hover, QToolButton:hover {{ background: #2f3540; }}
QPushButton:disabled {{ color: #555b66; }}
QPushButton:checked, QToolButton:checked {{ background: {ACCENT_DARK}; border-color: {ACCENT}; }}
QPushButton#primary {{ background: {ACCENT_DARK}; border-color: {ACCENT}; color: white; font-weight: 600;
    padding: 6px 12px; }}
QPushButton#primary:hover {{ background: #2784b5; }}
QPushButton#primary:disabled {{ background: #22303a; border-color: {BORDER}; color: #6b7684; }}
QToolBar {{ background: {PANEL}; border-bottom: 1px solid {BORDER}; spacing: 6px; padding: 3px; }}
QToolBar QLabel {{ background: transparent; }}
QLabel#provider {{ background: #203326; color: #8de3a5; border-radius: 3px; padding: 1px 6px; font-weight: 600; }}
QLabel#providerCuda {{ background: #2c2a12; color: #ffe36e; border-radius: 3px; padding: 1px 6px; font-weight: 600; }}
QListWidget#results, QTreeWidget {{ background: {BG}; border: none; outline: none; }}
QListWidget#results::item {{ border-bottom: 1px solid #20232a; }}
QListWidget#results::item:selected {{ background: #1d3240; }}
QListWidget#results::item:hover {{ background: #1c2129; }}
#variationRow, #variationRow QLabel {{ background: transparent; }}
QLabel#badge {{ background: #262a33; color: {ACCENT}; border-radius: 11px; font-weight: 700; }}
QLabel#waveThumb {{ background: #0e1014; border-radius: 3px; }}
QLabel#specThumb {{ border-radius: 3px; }}
QLabel#rowTitle {{ font-size: 13px; font-weight: 600; }}
QLabel#rowMeta {{ color: {DIM}; font-family: "DejaVu Sans Mono", monospace; font-size: 11px; }}
QLabel#star {{ color: {WARN}; font-size: 16px; }}
QLabel#dropZone {{ border: 1px dashed #3a404c; border-radius: 6px; color: {DIM}; padding: 6px; }}
QLabel#dropZone[active="true"] {{ border-color: {ACCENT}; color: {TEXT}; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ background: transparent; color: {DIM}; padding: 6px 14px; border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {TEXT}; border-bottom: 2px solid {ACCENT}; }}
QHeaderView::section {{ background: {PANEL}; color: {DIM}; border: none; border-bottom: 1px solid {BORDER};
    padding: 4px; }}
QTreeWidget::item:selected {{ background: #1d3240; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {BORDER}; color: {DIM}; }}
QStatusBar QLabel {{ background: transparent; }}
QProgressBar {{ background: {FIELD}; border: 1px solid {BORDER}; border-radius: 3px; height: 12px;
    text-align: center; font-size: 10px; }}
QProgressBar::chunk {{ background: {ACCENT_DARK}; border-radius: 2px; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {ACCENT}; width: 12px; margin: -5px 0; border-radius: 6px; }}
QCheckBox {{ background: transparent; spacing: 5px; }}
QCheckBox::indicator {{ width: 13px; height: 13px; border: 1px solid #4a5160; border-radius: 3px;
    background: {FIELD}; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; }}
QWidget#spacer {{ background: transparent; }}
QMenu {{ background: {PANEL}; border: 1px solid {BORDER}; }}
QMenu::item:selected {{ background: {ACCENT_DARK}; }}
QScrollBar:vertical {{ background: {BG}; width: 10px; }}
QScrollBar::handle:vertical {{ background: #323845; border-radius: 4px; min-height: 24px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; }}
"""


def apply_dark_theme(app: QApplication) -> None:
    """Fusion style, dark palette and the sfxgen stylesheet."""
    app.setStyle("Fusion")
    pal = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, BG),
        (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.Base, FIELD),
        (QPalette.ColorRole.AlternateBase, PANEL),
        (QPalette.ColorRole.Text, TEXT),
        (QPalette.ColorRole.Button, "#262a33"),
        (QPalette.ColorRole.ButtonText, TEXT),
        (QPalette.ColorRole.Highlight, ACCENT_DARK),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.ToolTipBase, PANEL),
        (QPalette.ColorRole.ToolTipText, TEXT),
        (QPalette.ColorRole.PlaceholderText, "#5d6573"),
    ):
        pal.setColor(role, QColor(color))
    app.setPalette(pal)
    font = QFont("DejaVu Sans")
    font.setPointSizeF(9.5)
    app.setFont(font)
    app.setStyleSheet(STYLE)
