"""Run Python's cyclic garbage collector on the Qt main thread only.

With automatic collection on, a collection can start on whichever thread happens to allocate: the engine
worker's QThread, say, while it loads a bundle. If that collection frees Qt wrappers owned by the GUI thread,
Qt is entered from the wrong thread and the process can segfault (seen in the test suite: a collection
inside the worker's bundle load). So the panel disables automatic collection and collects from a timer on
the GUI thread, with the interpreter's own thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class MainThreadGC(QObject):
    """Owns gc: disables automatic collection; a GUI-thread timer collects when the counts pass the thresholds."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect_if_due)
        self.timer.start(interval_ms)

    def collect_if_due(self) -> int:
        """Collect the generations whose allocation counts passed their thresholds; returns objects freed."""
        counts = gc.get_count()
        freed = 0
        for generation in (2, 1, 0):  # the oldest due generation includes the younger ones
            if counts[generation] > self.thresholds[generation]:
                freed = gc.collect(generation)
                break
        return freed

    def stop(self) -> None:
        """Stop the timer and give collection back to the interpreter."""
        self.timer.stop()
        gc.enable()
