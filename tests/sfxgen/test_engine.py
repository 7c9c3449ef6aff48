"""Engine: background worker, progress, cancel, bounded queue (busy), per-job errors, shutdown."""

from __future__ import annotations

import errno
import os
import threading

import numpy as np
import pytest

from sfxgen import wavfile
from sfxgen.engine import Engine, EngineBusy, JobCancelled, JobFailed, JobState, RequestError
from sfxgen.errors import EngineClosed
from sfxgen.request import GenerateRequest


def _req(tmp_path, **kw):
    base = {"prompt": "dog bark", "seed": 1, "variations": 2, "duration": 0.5, "out_dir": tmp_path}
    return GenerateRequest(**{**base, **kw})


@pytest.fixture
def engine(tiny_bundle):
    with Engine(tiny_bundle, providers="cpu", max_queue=2, num_threads=1) as eng:
        yield eng


class Gate:
    """A progress callback that holds the worker inside a job until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, job, fraction) -> None:
        if fraction > 0.1:  # inside the denoise loop
            self.entered.set()
            assert self.release.wait(10)


def test_generate_reports_provider_progress_and_files(engine, tmp_path):
    assert engine.provider == "CPUExecutionProvider"
    seen = []
    job = engine.submit(_req(tmp_path), on_progress=lambda j, f: seen.append(f))
    res = job.result(30)
    assert job.state is JobState.DONE and job.progress == 1.0
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > engine.bundle.defaults.steps
    assert all(p.is_file() for p in res.files) and res.provider == "CPUExecutionProvider"
    assert res.sample_rate == 48000 and res.seconds == 0.5


def test_done_callbacks_run_once(engine, tmp_path):
    calls = []
    job = engine.submit(_req(tmp_path))
    job.add_done_callback(calls.append)
    job.result(30)
    job.add_done_callback(calls.append)  # already done: called at once
    assert calls == [job, job]


def test_cancel_running_job_stops_and_next_job_runs(engine, tmp_path):
    gate = Gate()
    job = engine.submit(_req(tmp_path / "a"), on_progress=gate)
    assert gate.entered.wait(10)
    job.cancel()
    gate.release.set()
    with pytest.raises(JobCancelled):
        job.result(10)
    assert job.state is JobState.CANCELLED
    assert not any((tmp_path / "a").iterdir())  # nothing written
    assert engine.generate(_req(tmp_path / "b"), timeout=30).files


def test_busy_when_queue_full_and_cancel_queued(engine, tmp_path):
    gate = Gate()
    running = engine.submit(_req(tmp_path / "r"), on_progress=gate)
    assert gate.entered.wait(10)
    q1 = engine.submit(_req(tmp_path / "q1"))
    q2 = engine.submit(_req(tmp_path / "q2"))
    with pytest.raises(EngineBusy, match="busy"):
        engine.submit(_req(tmp_path / "q3"))
    q1.cancel()
    gate.release.set()
    running.result(30)
    with pytest.raises(JobCancelled):
        q1.result(10)
    assert q2.result(30).files
    assert not (tmp_path / "q1").exists() or not any((tmp_path / "q1").iterdir())


def test_error_in_one_job_is_delivered_and_engine_keeps_serving(engine, tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("vocoder exploded")

    monkeypatch.setattr(engine.pipeline.vocoder, "__call__", boom, raising=False)
    monkeypatch.setattr(type(engine.pipeline), "synthesize", lambda *a, **k: boom())
    job = engine.submit(_req(tmp_path / "bad"))
    with pytest.raises(JobFailed, match="vocoder exploded"):
        job.result(30)
    assert job.state is JobState.FAILED and "vocoder exploded" in job.error
    monkeypatch.undo()
    assert engine.generate(_req(tmp_path / "good"), timeout=30).files


class _DiskFullOS:
    """os with write() failing with ENOSPC after `budget` bytes (the real atomic writer runs)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def __getattr__(self, name):
        return getattr(os, name)

    def write(self, fd, data):
        n = min(len(data), self.budget)
        if n == 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.budget -= n
        return os.write(fd, bytes(data[:n]))


def test_disk_full_leaves_no_file_and_engine_keeps_serving(engine, tmp_path, monkeypatch):
    out = tmp_path / "full"
    one_file = 0.5 * 48000 * 3 + 4096  # room for the first file, not the second
    monkeypatch.setattr(wavfile, "os", _DiskFullOS(int(one_file)))
    job = engine.submit(_req(out))
    with pytest.raises(JobFailed, match="disk full"):
        job.result(30)
    assert list(out.iterdir()) == []  # no partial or temp file, first file of the batch removed too
    monkeypatch.undo()
    assert len(engine.generate(_req(out), timeout=30).files) == 2


def test_submit_validates_at_once(engine, tmp_path):
    with pytest.raises(RequestError, match="prompt is empty"):
        engine.submit(_req(tmp_path, prompt="  "))
    assert engine.queued == 0


def test_closed_engine_refuses_and_close_cancels_queued(tiny_bundle, tmp_path):
    eng = Engine(tiny_bundle, providers="cpu", max_queue=4, num_threads=1)
    with pytest.raises(EngineClosed):
        eng.submit(_req(tmp_path))
    eng.start()
    gate = Gate()
    running = eng.submit(_req(tmp_path / "r"), on_progress=gate)
    assert gate.entered.wait(10)
    queued = eng.submit(_req(tmp_path / "q"))
    closer = threading.Thread(target=eng.close)
    closer.start()
    gate.release.set()
    closer.join(10)
    assert not closer.is_alive()
    assert queued.state is JobState.CANCELLED
    assert running.state in (JobState.CANCELLED, JobState.DONE)
    with pytest.raises(EngineClosed):
        eng.submit(_req(tmp_path))


def test_seed_determinism_through_engine(engine, tmp_path):
    a = engine.generate(_req(tmp_path / "a", seed=7), timeout=30)
    b = engine.generate(_req(tmp_path / "b", seed=7), timeout=30)
    for x, y in zip(a.audio, b.audio, strict=True):
        np.testing.assert_array_equal(x.samples, y.samples)
    assert a.recipes[0].batch_seeds == (7, 8)


def test_workers_run_jobs_side_by_side_with_the_same_results(tiny_bundle, tmp_path):
    with Engine(tiny_bundle, providers="cpu", num_threads=1) as one:
        ref = one.generate(_req(tmp_path / "one", seed=3), timeout=30)
    with Engine(tiny_bundle, providers="cpu", max_queue=4, num_threads=1, workers=2) as eng:
        assert eng.workers == 2 and len(eng._threads) == 2
        gates = [Gate(), Gate()]
        jobs = [eng.submit(_req(tmp_path / f"w{i}", seed=3), on_progress=g) for i, g in enumerate(gates)]
        # both jobs are inside their denoise loops at the same time: two workers, not one
        assert all(g.entered.wait(10) for g in gates)
        assert all(j.state is JobState.RUNNING for j in jobs)
        for g in gates:
            g.release.set()
        results = [j.result(30) for j in jobs]
    for res in results:
        for x, y in zip(res.audio, ref.audio, strict=True):
            np.testing.assert_array_equal(x.samples, y.samples)
    assert not any(t.is_alive() for t in eng._threads)


def test_close_with_workers_cancels_running_and_queued_and_joins_all(tiny_bundle, tmp_path):
    eng = Engine(tiny_bundle, providers="cpu", max_queue=4, num_threads=1, workers=2)
    eng.start()
    gates = [Gate(), Gate()]
    running = [eng.submit(_req(tmp_path / f"r{i}"), on_progress=g) for i, g in enumerate(gates)]
    assert all(g.entered.wait(10) for g in gates)
    queued = eng.submit(_req(tmp_path / "q"))
    closer = threading.Thread(target=eng.close)
    closer.start()
    for g in gates:
        g.release.set()
    closer.join(10)
    assert not closer.is_alive() and not any(t.is_alive() for t in eng._threads)
    assert queued.state is JobState.CANCELLED
    assert all(j.state is JobState.CANCELLED for j in running)  # stopped at their next step


def test_workers_split_the_cores_unless_threads_are_given(tiny_bundle, monkeypatch):
    monkeypatch.setenv("SFXGEN_THREADS", "8")
    assert Engine(tiny_bundle, providers="cpu", workers=2).num_threads == 4
    assert Engine(tiny_bundle, providers="cpu", workers=16).num_threads == 1
    assert Engine(tiny_bundle, providers="cpu", workers=2, num_threads=3).num_threads == 3
    assert Engine(tiny_bundle, providers="cpu").num_threads is None  # one worker: every core, as before
    with pytest.raises(ValueError, match="workers"):
        Engine(tiny_bundle, providers="cpu", workers=0)


def test_batch_workers_one_per_core_on_cpu_at_most_four(monkeypatch):
    from sfxgen.engine import MAX_BATCH_WORKERS, batch_workers

    for cores, expected in (("1", 1), ("2", 2), ("16", MAX_BATCH_WORKERS)):
        monkeypatch.setenv("SFXGEN_THREADS", cores)
        assert batch_workers("cpu") == expected
