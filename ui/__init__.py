"""sfxgen desktop panel (PySide6).

Talks to the engine only through :class:`ui.worker.WorkerController` signals; never
imports torch or onnxruntime itself (checked by import-linter). ``ui.history``,
``ui.thumbs`` and ``ui.media`` are Qt-free.
"""
