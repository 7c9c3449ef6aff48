"""``sfxgen-panel`` / ``sfxgen panel``: QApplication, theme, engine worker, history, player, main window."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from sfxgen.paths import ENV_BUNDLE, default_bundle

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sfxgen-panel", description="sfxgen desktop panel")
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--bundle", type=Path, default=None, help="model bundle folder (default: $SFXGEN_BUNDLE, else models/default)"
    )
    p.add_argument("--out", type=Path, default=None, help="folder for generated WAVs (default: ~/Music/sfxgen)")
    p.add_argument("--history", type=Path, default=None, help="history database (default: user data dir)")
    p.add_argument("--threads", type=int, default=None, help="onnxruntime threads per session")


def create_window(bundle: Path | None, out: Path | None, history: Path | None, threads: int | None = None):
    """Build controller, history, player and the main window (a QApplication must exist)."""
    from ui.history import HistoryStore
    from ui.main_window import MainWindow
    from ui.player import Player
    from ui.worker import WorkerController, default_engine_factory

    def factory(path: Path):
        if threads is None:
            return default_engine_factory(path)
        from sfxgen.engine import Engine

        engine = Engine(path, num_threads=threads)
        engine.start()
        return engine

    controller = WorkerController(factory)
    window = MainWindow(controller, HistoryStore(history), Player(), out_dir=out)
    if bundle is None:
        candidate = default_bundle()  # $SFXGEN_BUNDLE (opened even if broken: the panel says why), else models/default
        if os.environ.get(ENV_BUNDLE) or (candidate / "bundle.json").is_file():
            bundle = candidate
    if bundle is not None:
        window.open_bundle(bundle)
    else:
        window.show_message("No model bundle yet: Ctrl+O opens one (or start with --bundle DIR)", warn=True)
    return window


def run(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from ui.gc_guard import MainThreadGC
    from ui.theme import apply_dark_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("sfxgen")
    app.setOrganizationName("sfxgen")
    apply_dark_theme(app)
    gc_guard = MainThreadGC(app)  # collections only on this thread, never on the engine worker's
    window = create_window(args.bundle, args.out, args.history, args.threads)
    window.show()
    code = app.exec()
    window.controller.shutdown()
    window.history.close()
    gc_guard.stop()
    return int(code)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
