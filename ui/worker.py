"""Engine worker: a QObject on its own QThread that owns every engine call.

The window never touches the engine directly. It asks the :class:`WorkerController`
(which lives in the GUI thread) to open a bundle, generate, render a pack or
cancel; the :class:`EngineWorker` does the blocking work on its thread and
reports back only through signals (napari's worker pattern):

    started(token) -> progress(token, fraction)* -> finished(token, result)
                                                  | failed(token, message)
                                                  | cancelled(token)

Cancel is a direct, thread-safe call (the worker thread is blocked waiting on
the job, so a queued call would arrive too late).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

POLL_SECONDS = 0.03  # how often the worker reads a running job's progress


@dataclasses.dataclass(frozen=True)
class EngineInfo:
    """What the panel shows about the open bundle."""

    root: Path
    bundle_id: str
    provider: str  # "CUDAExecutionProvider" | "CPUExecutionProvider"
    has_image_encoder: bool
    has_prior: bool
    defaults: Any  # sfxgen.bundle.Defaults
    library_entries: int = 0  # recordings in the bundle's sound library (0: none; prompts start from noise)

    @property
    def provider_short(self) -> str:
        return "CUDA" if "CUDA" in self.provider else "CPU"


def default_engine_factory(bundle: Path) -> Any:
    """Open and start an :class:`sfxgen.engine.Engine` on ``bundle``."""
    from sfxgen.engine import Engine  # the engine pulls in onnxruntime; the ui package itself never does

    engine = Engine(bundle)
    engine.start()
    return engine


def engine_info(engine: Any, root: Path) -> EngineInfo:
    from sfxgen.bundle import GraphRole

    bundle = engine.bundle
    return EngineInfo(
        root=Path(root),
        bundle_id=bundle.bundle_id,
        provider=str(engine.provider),
        has_image_encoder=bundle.has(GraphRole.IMAGE_ENCODER),
        has_prior=bundle.has(GraphRole.PRIOR),
        defaults=bundle.defaults,
        library_entries=bundle.library.entries if bundle.library is not None else 0,
    )


class EngineWorker(QObject):
    """Runs on the worker thread; holds the engine and at most one running job."""

    started = Signal(int)  # token
    progress = Signal(int, float)  # token, fraction 0..1
    finished = Signal(int, object)  # token, GenerateResult (or RenderReport for pack renders)
    failed = Signal(int, str)  # token, message for the user
    cancelled = Signal(int)  # token
    engine_ready = Signal(object)  # EngineInfo
    engine_failed = Signal(str)  # message
    render_message = Signal(int, str)  # token, one line of render progress text

    def __init__(self, engine_factory: Callable[[Path], Any]) -> None:
        super().__init__()
        self._factory = engine_factory
        self._engine: Any = None
        self._lock = threading.Lock()
        self._job: Any = None  # the running engine Job
        self._cancel_event: threading.Event | None = None  # the running render's cancel flag
        self._cancelled: set[int] = set()  # tokens cancelled before or while they run
        self._token: int | None = None

    # -- called from the GUI thread -------------------------------------------------------------------------
    def cancel(self, token: int | None = None) -> None:
        """Cancel ``token`` (default: whatever runs now). Thread-safe."""
        with self._lock:
            target = self._token if token is None else token
            if target is None:
                return
            self._cancelled.add(target)
            if target == self._token:
                if self._job is not None:
                    self._job.cancel()
                if self._cancel_event is not None:
                    self._cancel_event.set()

    @property
    def engine(self) -> Any:
        return self._engine

    # -- slots, run on the worker thread --------------------------------------------------------------------
    @Slot(str)
    def open_bundle(self, path: str) -> None:
        old, self._engine = self._engine, None
        if old is not None:
            old.close()
        try:
            engine = self._factory(Path(path))
        except Exception as exc:  # a bad bundle must never take the panel down
            log.warning("cannot open bundle %s: %s", path, exc)
            self.engine_failed.emit(f"Cannot open bundle {path}: {exc}")
            return
        self._engine = engine
        self.engine_ready.emit(engine_info(engine, Path(path)))

    @Slot(int, object)
    def generate(self, token: int, request: Any) -> None:
        if not self._begin(token):
            return
        try:
            if self._engine is None:
                raise RuntimeError("no model bundle is open: pick one with the bundle button")
            job = self._engine.submit(request)
            with self._lock:
                self._job = job
                if token in self._cancelled:
                    job.cancel()
            try:
                result = self._wait(token, job)
            except Exception as exc:
                if str(getattr(job, "state", "")).lower().endswith("cancelled") or token in self._cancelled:
                    self.cancelled.emit(token)
                else:
                    self.failed.emit(token, getattr(job, "error", None) or _message(exc))
                return
        except Exception as exc:  # submit refused: bad request, busy queue, no engine
            self.failed.emit(token, _message(exc))
            return
        finally:
            self._end()
        self.progress.emit(token, 1.0)
        self.finished.emit(token, result)

    @Slot(int, str, str, object)
    def render_pack(self, token: int, pack: str, out_dir: str, options: Any) -> None:
        if not self._begin(token):
            return
        event = threading.Event()
        with self._lock:
            self._cancel_event = event
        try:
            if self._engine is None:
                raise RuntimeError("no model bundle is open: pick one with the bundle button")
            from sfxgen.render import render_pack

            def on_progress(done: int, total: int, name: Any = None) -> None:
                self.progress.emit(token, done / max(total, 1))
                self.render_message.emit(token, f"{done}/{total}  {Path(name).name if name else ''}".rstrip())

            report = render_pack(
                Path(pack), Path(out_dir), self._engine, on_progress=on_progress, cancel=event.is_set, **(options or {})
            )
        except Exception as exc:
            if event.is_set():
                self.cancelled.emit(token)
            else:
                self.failed.emit(token, _message(exc))
            return
        finally:
            self._end()
        if event.is_set() or getattr(report, "cancelled", False):
            self.cancelled.emit(token)
        else:
            self.progress.emit(token, 1.0)
            self.finished.emit(token, report)

    def _wait(self, token: int, job: Any) -> Any:
        """Block on the job, emitting its progress from this thread (ordered, throttled to the poll rate)."""
        last = -1.0
        while True:
            try:
                return job.result(timeout=POLL_SECONDS)
            except TimeoutError:
                fraction = float(job.progress)
                if fraction != last:
                    last = fraction
                    self.progress.emit(token, fraction)

    def close_engine(self) -> None:
        """Close the engine (call after the worker thread has stopped)."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()

    # -- helpers ---------------------------------------------------------------------------------------------
    def _begin(self, token: int) -> bool:
        with self._lock:
            if token in self._cancelled:
                self._cancelled.discard(token)
                skip = True
            else:
                self._token, skip = token, False
        if skip:
            self.cancelled.emit(token)
            return False
        self.started.emit(token)
        return True

    def _end(self) -> None:
        with self._lock:
            if self._token is not None:
                self._cancelled.discard(self._token)
            self._token, self._job, self._cancel_event = None, None, None


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


class WorkerController(QObject):
    """GUI-thread front of the worker: owns the QThread, hands out job tokens."""

    _open = Signal(str)
    _generate = Signal(int, object)
    _render = Signal(int, str, str, object)

    def __init__(self, engine_factory: Callable[[Path], Any] = default_engine_factory, parent: QObject | None = None):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("sfxgen-engine-worker")
        self.worker = EngineWorker(engine_factory)
        self.worker.moveToThread(self.thread)
        self._open.connect(self.worker.open_bundle)
        self._generate.connect(self.worker.generate)
        self._render.connect(self.worker.render_pack)
        self._next = 0
        self.thread.start()

    def open_bundle(self, path: str | Path) -> None:
        self._open.emit(str(path))

    def generate(self, request: Any) -> int:
        """Queue a generation; returns its token (signals carry it)."""
        self._next += 1
        self._generate.emit(self._next, request)
        return self._next

    def render_pack(self, pack: str | Path, out_dir: str | Path, options: dict[str, Any] | None = None) -> int:
        self._next += 1
        self._render.emit(self._next, str(pack), str(out_dir), options or {})
        return self._next

    def cancel(self, token: int | None = None) -> None:
        self.worker.cancel(token)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Cancel what runs, stop the thread, close the engine."""
        self.worker.cancel()
        self.thread.quit()
        if not self.thread.wait(timeout_ms):
            log.warning("engine worker did not stop within %d ms", timeout_ms)
        self.worker.close_engine()
