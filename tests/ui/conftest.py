"""Panel fixtures: offscreen Qt, a window over the real engine on the tiny bundle, no audio device."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

from pathlib import Path

import pytest

from ui.history import HistoryStore
from ui.player import Player
from ui.worker import WorkerController


def one_thread_engine(path: Path):
    from sfxgen.engine import Engine

    engine = Engine(path, num_threads=1)
    engine.start()
    return engine


def no_portaudio():
    raise OSError("PortAudio library not found")


@pytest.fixture(scope="session")
def themed_app(qapp):
    from ui.gc_guard import MainThreadGC
    from ui.theme import apply_dark_theme

    apply_dark_theme(qapp)
    guard = MainThreadGC(qapp)  # as the app does: no collection on the engine worker's thread
    yield qapp
    guard.stop()


@pytest.fixture(autouse=True)
def _collect_on_main_thread():
    """Free each test's Qt garbage on the GUI thread before the next test starts worker threads."""
    yield
    gc.collect()


@pytest.fixture
def make_window(qtbot, themed_app, tiny_bundle, tmp_path):
    """Factory: a shown main window with an open tiny bundle; closes everything after the test."""
    from ui.main_window import MainWindow

    made = []

    def make(db: Path | None = None, loader=no_portaudio, bundle: Path | None = None) -> MainWindow:
        controller = WorkerController(one_thread_engine)
        store = HistoryStore(db or tmp_path / "history.sqlite3")
        window = MainWindow(controller, store, Player(loader), out_dir=tmp_path / "out")
        qtbot.addWidget(window)
        made.append(window)
        window.show()
        with qtbot.waitSignal(controller.worker.engine_ready, timeout=20000):
            window.open_bundle(bundle or tiny_bundle)
        return window

    yield make
    for w in made:
        w.close()
        w.controller.shutdown()
        w.history.close()


@pytest.fixture
def window(make_window):
    return make_window()
