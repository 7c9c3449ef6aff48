"""The engine: background workers own the onnxruntime sessions and run queued jobs.

One worker (the default) runs jobs one at a time with every core: the lowest latency for one
request, which is what the panel wants. ``workers = N`` gives each of N threads its own
sessions, with the cores split between them: on a CPU a conv net's intra-op threads scale
poorly (measured here, 2 cores: 1.25x from the second thread), so N jobs side by side finish
sooner than N jobs one after another (1.67x with two 1-thread workers on 2 cores), which is
what batch rendering and the eval want. Results do not depend on which worker ran a job.

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
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sfxgen.bundle import Bundle, load_bundle
from sfxgen.errors import Cancelled, EngineBusy, EngineClosed, JobCancelled, JobFailed, RequestError
from sfxgen.pipeline import GenerateResult, Pipeline, Plan, plan_request
from sfxgen.request import GenerateRequest
from sfxgen.sessions import CUDA, choose_providers, default_num_threads

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
        num_threads: onnxruntime intra-op threads per session (None: $SFXGEN_THREADS / $OMP_NUM_THREADS / all,
            split between the workers).
        workers: jobs run side by side, each worker with its own sessions (see the module docstring).
    """

    def __init__(
        self,
        bundle: str | Path,
        providers: str = "auto",
        max_queue: int = 16,
        num_threads: int | None = None,
        workers: int = 1,
    ) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be >= 1")
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.bundle: Bundle = load_bundle(bundle)
        self._providers = choose_providers(providers)
        self.provider: str = self._providers[0]  # confirmed by the denoiser session at start()
        self.workers = workers
        self.num_threads = num_threads if num_threads is not None or workers == 1 else split_threads(workers)
        self.max_queue = max_queue
        self.pipeline: Pipeline | None = None  # the first worker's (benchmarks reach into it)
        self.start_seconds: float | None = None  # time start() took (session creation)
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._threads: list[threading.Thread] = []
        self._running: set[Job] = set()
        self._closed = False
        self._lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Create the sessions (reports the provider) and start the worker threads. Idempotent."""
        with self._lock:
            if self._closed:
                raise EngineClosed("engine was closed; create a new one")
            if self._threads:
                return
            t0 = time.perf_counter()
            pipelines = [Pipeline(self.bundle, self._providers, self.num_threads) for _ in range(self.workers)]
            self.pipeline = pipelines[0]
            self.provider = self.pipeline.provider
            self.start_seconds = time.perf_counter() - t0
            log.info(
                "engine started on %s in %.2f s (%d worker%s)",
                self.provider,
                self.start_seconds,
                self.workers,
                "s" if self.workers > 1 else "",
            )
            for i, pipeline in enumerate(pipelines):
                thread = threading.Thread(target=self._worker, args=(pipeline,), name=f"sfxgen-engine-{i}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def close(self, cancel_pending: bool = True, timeout: float | None = 30.0) -> None:
        """Stop accepting jobs; cancel queued ones (or let them finish) and join the workers."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
            running = list(self._running)
        if cancel_pending:
            self._cancel_queued()
            for job in running:
                job.cancel()
        if threads:
            deadline = None if timeout is None else time.monotonic() + timeout
            for _ in threads:
                self._queue.put(_STOP)  # blocks only while the queue is full of jobs still to run
            for thread in threads:
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        else:
            self._cancel_queued()

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads) and not self._closed

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
        if self._closed or not self._threads:
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
        """Cancel every queued job; stop signals meant for the other workers stay queued."""
        stops = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Job):
                item.cancel()
                item._finish(JobState.CANCELLED)
            elif item is _STOP:
                stops += 1
        for _ in range(stops):
            self._queue.put_nowait(_STOP)  # the queue was just emptied, so there is room

    def _worker(self, pipeline: Pipeline) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                self._cancel_queued()
                return
            job: Job = item
            if job.cancel_requested:
                job._finish(JobState.CANCELLED)
                continue
            with self._lock:
                self._running.add(job)
            job.state = JobState.RUNNING
            job._report(0.0)
            try:
                result = pipeline.generate(job.plan, job._report, lambda j=job: j.cancel_requested)
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
                with self._lock:
                    self._running.discard(job)


MAX_BATCH_WORKERS = 4  # measured only on 2 cores (1.67x); beyond 4, more sessions cost memory for unmeasured gain


def batch_workers(providers: str = "auto") -> int:
    """Workers for throughput jobs (render, eval): one per core on CPU, at most MAX_BATCH_WORKERS; 1 on CUDA."""
    if CUDA in choose_providers(providers):
        return 1
    cores = default_num_threads() or os.cpu_count() or 1
    return max(1, min(cores, MAX_BATCH_WORKERS))


def split_threads(workers: int) -> int:
    """onnxruntime threads per session when ``workers`` share the machine: the cores split evenly, at least 1."""
    cores = default_num_threads() or os.cpu_count() or 1
    return max(1, cores // workers)
