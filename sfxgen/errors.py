"""Errors the runtime raises; each message says what to fix."""

from __future__ import annotations


class RequestError(ValueError):
    """An invalid generation request (raised by validation and ``Engine.submit``)."""


class EngineBusy(RuntimeError):  # noqa: N818 (contract name)
    """The engine's queue is full: try again later (the queue never grows without limit)."""


class EngineClosed(RuntimeError):  # noqa: N818 (contract name)
    """The engine was closed or not started."""


class Cancelled(Exception):  # noqa: N818 (contract name)
    """Raised inside the pipeline when a job is cancelled (between denoiser steps)."""


class JobFailed(RuntimeError):  # noqa: N818 (contract name)
    """``Job.result()`` of a job whose pipeline raised; the message is the job's error."""


class JobCancelled(RuntimeError):  # noqa: N818 (contract name)
    """``Job.result()`` of a cancelled job."""
