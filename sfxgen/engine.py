"""The engine: one background worker owns the onnxruntime sessions and runs jobs one at a time.

``submit`` checks the request at once (:class:`RequestError` names the fix), then queues it in a
bounded queue (:class:`EngineBusy` when full, never unbounded growth). Each job reports
progress, can be cancelled (queued: at once; running: at the next denoiser step) and carries
its own error, so a failing job never stops the next one. Importing and starting the engine
never imports torch.
"""

from __future__ import annotations

import enum
import errno
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sfxgen.bundle import Bundle, load_bundle
from sfxgen.errors import Cancelled, EngineBusy, EngineClosed, JobCancelled, JobFailed, RequestError
from sfxgen.pipeline import GenerateResult, Pipeline, Plan, plan_request
from sfxgen.request import GenerateRequest
from sfxgen.sessions import choose_providers

__all__ = [
    "Engine",
    "EngineBusy",
    "EngineClosed",
    "GenerateResult",
    "Job",
    "JobCancelled",
    "JobFailed",
    "JobState",
    "RequestError",
]

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class Job:
    """One submitted request. Thread-safe; callbacks run on the engine's worker thread."""

    def __init__(self, request: GenerateRequest, plan: Plan, on_progress: Callable[[Job, float], None] | None) -> None:
        self.id = f"job-{next(_ids)}"
        self.request = request
        self.plan = plan
        self.state = JobState.QUEUED
        self.progress = 0.0  # 0..1
        self.error: str | None = None
        self.submitted = time.time()
        self._on_progress = on_progress
        self._result: GenerateResult | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[Job], None]] = []

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.state.value}, {self.progress:.2f})"

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop: a queued job never runs, a running one stops at its next step."""
        self._cancel.set()

    def result(self, timeout: float | None = None) -> GenerateResult:
        """Wait for the job; raise JobFailed / JobCancelled / TimeoutError."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"{self.id} not finished after {timeout} s")
        if self.state is JobState.DONE:
            assert self._result is not None
            return self._result
        if self.state is JobState.CANCELLED:
            raise JobCancelled(f"{self.id} was cancelled")
        raise JobFailed(self.error or "failed")

    def add_done_callback(self, fn: Callable[[Job], None]) -> None:
        """Call fn(job) once the job is final (at once if it already is)."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(fn)
                return
        fn(self)

    # --- worker side ----------------------------------------------------------------------
    def _report(self, fraction: float) -> None:
        self.progress = max(self.progress, min(1.0, float(fraction)))
        if self._on_progress is not None:
            try:
                self._on_progress(self, self.progress)
            except Exception:  # a broken listener must not kill the job
                log.exception("progress callback of %s raised", self.id)

    def _finish(self, state: JobState, result: GenerateResult | None = None, error: str | None = None) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self.state, self._result, self.error = state, result, error
            if state is JobState.DONE:
                self.progress = 1.0
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn(self)
            except Exception:
                log.exception("done callback of %s raised", self.id)


_STOP = object()


class Engine:
    """Background generation engine over one bundle.

    Args:
        bundle: bundle folder (validated at once: BundleError names the problem).
        providers: "auto" (CUDA if present, else CPU), "cuda" or "cpu".
        max_queue: jobs waiting at most (the running one not counted); more -> EngineBusy.
        num_threads: onnxruntime intra-op threads per session (None: $SFXGEN_THREADS / $OMP_NUM_THREADS / all).
    """

    def __init__(
        self, bundle: str | Path, providers: str = "auto", max_queue: int = 16, num_threads: int | None = None
    ) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be >= 1")
        self.bundle: Bundle = load_bundle(bundle)
        self._providers = choose_providers(providers)
        self.provider: str = self._providers[0]  # confirmed by the denoiser session at start()
        self.num_threads = num_threads
        self.max_queue = max_queue
        self.pipeline: Pipeline | None = None
        self.start_seconds: float | None = None  # time start() took (session creation)
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._current: Job | None = None
        self._closed = False
        self._lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Create the sessions (reports the provider) and start the worker thread. Idempotent."""
        with self._lock:
            if self._closed:
                raise EngineClosed("engine was closed; create a new one")
            if self._thread is not None:
                return
            t0 = time.perf_counter()
            self.pipeline = Pipeline(self.bundle, self._providers, self.num_threads)
            self.provider = self.pipeline.provider
            self.start_seconds = time.perf_counter() - t0
            log.info("engine started on %s in %.2f s", self.provider, self.start_seconds)
            self._thread = threading.Thread(target=self._worker, name="sfxgen-engine", daemon=True)
            self._thread.start()

    def close(self, cancel_pending: bool = True, timeout: float | None = 30.0) -> None:
        """Stop accepting jobs; cancel queued ones (or let them finish) and join the worker."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if cancel_pending:
            self._cancel_queued()
            if self._current is not None:
                self._current.cancel()
        if thread is not None:
            self._queue.put(_STOP)  # blocks only while the queue is full of jobs still to run
            thread.join(timeout)
        else:
            self._cancel_queued()

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._closed

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    # --- jobs -----------------------------------------------------------------------------
    def submit(self, request: GenerateRequest, on_progress: Callable[[Job, float], None] | None = None) -> Job:
        """Check and queue a request.

        Raises:
            RequestError: the request is invalid (the message says what to fix).
            EngineBusy: the queue is full.
            EngineClosed: the engine is closed or was never started.
        """
        if self._closed or self._thread is None:
            raise EngineClosed("engine is not running; call start() (or use it as a context manager)")
        plan = plan_request(request, self.bundle)
        job = Job(request, plan, on_progress)
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise EngineBusy(f"busy: {self.max_queue} jobs are waiting; try again when one finishes") from None
        return job

    def generate(self, request: GenerateRequest, timeout: float | None = None) -> GenerateResult:
        """Submit and wait for the result."""
        return self.submit(request).result(timeout)

    def _cancel_queued(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Job):
                item.cancel()
                item._finish(JobState.CANCELLED)

    def _worker(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                self._cancel_queued()
                return
            job: Job = item
            if job.cancel_requested:
                job._finish(JobState.CANCELLED)
                continue
            self._current = job
            job.state = JobState.RUNNING
            job._report(0.0)
            try:
                assert self.pipeline is not None
                result = self.pipeline.generate(job.plan, job._report, lambda j=job: j.cancel_requested)
            except Cancelled:
                job._finish(JobState.CANCELLED)
            except RequestError as exc:
                job._finish(JobState.FAILED, error=str(exc))
            except OSError as exc:
                log.warning("%s failed writing: %s", job.id, exc)
                hint = "disk full: free some space or pick another --out; " if exc.errno == errno.ENOSPC else ""
                job._finish(JobState.FAILED, error=f"{hint}could not write the files ({exc}); no file was kept")
            except Exception as exc:  # deliver every error to its job; keep serving
                log.exception("%s failed", job.id)
                job._finish(JobState.FAILED, error=f"{type(exc).__name__}: {exc}")
            else:
                job._finish(JobState.DONE, result=result)
            finally:
                self._current = None
