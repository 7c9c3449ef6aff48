"""Routing of OSC messages to the engine, separate from any socket.

:class:`Router` turns one decoded datagram into engine calls and replies
through a ``send(reply_to, address, args)`` callable, so it is unit-testable
without sockets. Its contract (see :mod:`sfxgen.osc.addresses`):

1. every request ends in exactly one ``done``, ``error`` or ``busy`` reply;
   an accepted request ends in exactly one ``done`` or ``error``, sent after
   its ``accepted`` (guarded by a per-request lock and a pop-once table);
2. arguments are checked (:mod:`sfxgen.osc.validate`) and a wrong one gets an
   error that says what to fix; an unknown address gets an error too;
3. files are written only inside ``out_dir``: the router names every file
   (:func:`~sfxgen.osc.validate.safe_stem`) and checks each result path;
4. nothing a client sends raises out of :meth:`Router.handle_packet`.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pythonosc.osc_packet import OscPacket

from sfxgen.errors import EngineBusy, RequestError
from sfxgen.osc import addresses as A
from sfxgen.osc import presets
from sfxgen.osc.validate import (
    GenerateArgs,
    OscArgError,
    file_id,
    parse_cancel,
    parse_generate,
    parse_preset,
    safe_stem,
)
from sfxgen.request import GenerateRequest, QueryMode

log = logging.getLogger(__name__)

Address = tuple[str, int]  # (host, port) a reply goes to
SendFn = Callable[[Address, str, Sequence[Any]], None]


@dataclasses.dataclass
class _Pending:
    """One accepted (or being accepted) request."""

    key: str  # str(req_id): the table key
    req_id: str | int  # echoed in replies
    reply_to: Address
    reply_file: Path | None  # <out>/replies/<file_id>.json or None
    stems: tuple[str, ...] = ()  # reserved file stems (generate)
    job: Any = None  # sfxgen.engine.Job (generate)
    cancel_event: threading.Event | None = None  # preset
    lock: threading.RLock = dataclasses.field(default_factory=threading.RLock)
    last_progress: float = -1.0  # monotonic time of the last progress reply
    started: float = dataclasses.field(default_factory=time.monotonic)


class Router:
    """Maps ``/sfxgen/*`` messages onto one shared :class:`sfxgen.engine.Engine`.

    Args:
        engine: a started engine (``submit``, ``provider``, ``bundle``), shared by all clients.
        out_dir: the only folder files are written into (created if missing).
        send: ``send(reply_to, address, args)``; must not raise (the transport swallows socket errors).
        reply_files: write ``<out>/replies/<id>.json`` for every request, not only when asked.
        presets_dir: where ``/sfxgen/preset <pack>`` names are looked up (paths also accepted).
        progress_interval: minimum seconds between two progress replies of one request.
    """

    def __init__(
        self,
        engine: Any,
        out_dir: str | Path,
        send: SendFn,
        *,
        reply_files: bool = False,
        presets_dir: str | Path | None = None,
        progress_interval: float = A.PROGRESS_INTERVAL_S,
    ) -> None:
        self.engine = engine
        self.out_dir = Path(out_dir).expanduser().resolve()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._send = send
        self.reply_files = reply_files
        self.presets_dir = Path(presets_dir).resolve() if presets_dir else None
        self.progress_interval = progress_interval
        self._lock = threading.Lock()  # guards _pending, _reserved, _preset_busy
        self._pending: dict[str, _Pending] = {}
        self._reserved: set[str] = set()  # stems of in-flight requests
        self._preset_busy = False
        self._closed = False
        self.counts = {"received": 0, "accepted": 0, "done": 0, "error": 0, "busy": 0}

    # ---- entry points -------------------------------------------------

    def handle_packet(self, data: bytes, reply_to: Address) -> None:
        """Decode one datagram (message or bundle) and route each message; never raises."""
        try:
            messages = [m.message for m in OscPacket(data).messages]  # bundle time tags are ignored: run now
        except Exception as e:  # ParseError, and anything a fuzzed packet provokes in the parser
            log.debug("malformed packet from %s: %s", reply_to, e)
            self._reply(reply_to, A.ERROR, ["", f"malformed OSC packet ({len(data)} bytes): {e}"[:300]])
            return
        for msg in messages:
            try:
                self.dispatch(msg.address, list(msg.params), reply_to)
            except Exception as e:  # a bug must not kill the bridge; say so to the client
                log.exception("error routing %s", msg.address)
                self._reply(reply_to, A.ERROR, [_req_id_guess(msg.params), f"internal error: {e}"[:300]])

    def dispatch(self, address: str, args: list[Any], reply_to: Address) -> None:
        """Route one message."""
        with self._lock:
            self.counts["received"] += 1
        if address in A.REPLIES and not (address == A.STATUS and not args):
            log.debug("ignoring reply-shaped message %s (loop guard)", address)  # never answer an answer
            return
        try:
            if address == A.GENERATE:
                self._generate(parse_generate(args, image=False), reply_to)
            elif address == A.GENERATE_IMAGE:
                self._generate(parse_generate(args, image=True), reply_to)
            elif address == A.CANCEL:
                self._cancel(parse_cancel(args), reply_to)
            elif address == A.PRESET:
                self._preset(*parse_preset(args), reply_to)
            elif address == A.STATUS:
                self._reply(reply_to, A.STATUS_REPLY, self.status())
            elif address == A.PING:
                self._reply(reply_to, A.PONG, [a for a in args[:1] if isinstance(a, str | int | float)])
            else:
                known = ", ".join(A.REQUESTS)
                self._terminal_error(reply_to, _req_id_guess(args), f"unknown address {address!r}; known: {known}")
        except OscArgError as e:
            self._terminal_error(reply_to, e.req_id, str(e))

    def status(self) -> list[Any]:
        """``[state, provider, active, max_queue, bundle_id, out_dir]``."""
        with self._lock:
            active = len(self._pending)
        bundle = getattr(self.engine, "bundle", None)
        return [
            "closed" if self._closed else "ready",
            str(getattr(self.engine, "provider", "?")),
            active,
            int(getattr(self.engine, "max_queue", -1)),
            str(getattr(bundle, "bundle_id", "?")),
            str(self.out_dir),
        ]

    def close(self, reason: str = "bridge shut down") -> None:
        """Cancel everything in flight and end each open request with an error (exactly once)."""
        self._closed = True
        with self._lock:
            pending = list(self._pending.values())
        for p in pending:
            if p.job is not None:
                try:
                    p.job.cancel()
                except Exception:
                    log.exception("cancel failed")
            if p.cancel_event is not None:
                p.cancel_event.set()
            self._finish(p.key, A.ERROR, [p.req_id, reason])

    # ---- generate -----------------------------------------------------

    def _generate(self, g: GenerateArgs, reply_to: Address) -> None:
        key = str(g.req_id)
        seed = g.seed if g.seed is not None else secrets.randbelow(2**31)
        want_file = g.reply_file or self.reply_files
        base = safe_stem(g.name or g.prompt or (g.image.stem if g.image else ""))
        with self._lock:
            if self._closed:
                raise OscArgError("the bridge is shutting down", g.req_id)
            if key in self._pending:
                raise OscArgError(f"req_id {g.req_id!r} is already in progress; use a new id", g.req_id)
            stems = self._unique_stems([f"{base}_{file_id(g.req_id)}_s{seed + i}" for i in range(g.variations)])
            p = _Pending(key, g.req_id, reply_to, self._reply_path(g.req_id) if want_file else None, stems)
            self._pending[key] = p
            self._reserved.update(stems)
        request = build_request(g, seed, self.out_dir, stems)
        with p.lock:  # accepted goes out before any progress/done of this job
            try:
                p.job = self.engine.submit(request, on_progress=lambda job, frac, k=key: self._progress(k, frac))
            except EngineBusy:
                self._finish(key, A.BUSY, [g.req_id])
                return
            except RequestError as e:
                self._finish(key, A.ERROR, [g.req_id, str(e)])
                return
            except Exception as e:  # EngineClosed or a bug: still exactly one answer
                log.exception("submit failed")
                self._finish(key, A.ERROR, [g.req_id, f"engine refused the request: {e}"])
                return
            with self._lock:
                self.counts["accepted"] += 1
            self._reply(reply_to, A.ACCEPTED, [g.req_id, *([str(p.reply_file)] if p.reply_file else [])])
            self._write_reply_file(p, "accepted", [], "")
            p.job.add_done_callback(lambda job, k=key: self._job_done(k, job))

    def _unique_stems(self, stems: list[str]) -> tuple[str, ...]:
        """Stems no file in out_dir and no in-flight request uses; adds ``-2``, ``-3``... (called under _lock)."""
        for n in range(1, 10000):
            cand = stems if n == 1 else [f"{s}-{n}" for s in stems]
            if not any(c in self._reserved or (self.out_dir / f"{c}.wav").exists() for c in cand):
                return tuple(cand)
        return tuple(f"{s}-{secrets.token_hex(4)}" for s in stems)

    def _progress(self, key: str, frac: float) -> None:
        p = self._pending.get(key)
        if p is None:
            return
        with p.lock:
            now = time.monotonic()
            if now - p.last_progress < self.progress_interval or self._pending.get(key) is not p:
                return
            p.last_progress = now
            self._reply(p.reply_to, A.PROGRESS, [p.req_id, float(min(max(frac, 0.0), 1.0))])

    def _job_done(self, key: str, job: Any) -> None:
        p = self._pending.get(key)
        if p is None:
            return
        with p.lock:
            state = str(getattr(job.state, "value", job.state)).lower()
            if state == "done":
                try:
                    files = [Path(f).resolve() for f in job.result(timeout=0).files]
                except Exception as e:
                    self._finish(key, A.ERROR, [p.req_id, f"generation failed: {e}"])
                    return
                outside = [f for f in files if not f.is_relative_to(self.out_dir)]
                if outside:  # never expected: the router names every file
                    self._finish(key, A.ERROR, [p.req_id, f"refusing result outside the output folder: {outside[0]}"])
                    return
                self._finish(key, A.DONE, [p.req_id, *[str(f) for f in files]])
            elif state == "cancelled":
                self._finish(key, A.ERROR, [p.req_id, "cancelled"])
            else:
                self._finish(key, A.ERROR, [p.req_id, f"generation failed: {job.error or state}"])

    # ---- cancel / preset ----------------------------------------------

    def _cancel(self, req_id: str | int, reply_to: Address) -> None:
        p = self._pending.get(str(req_id))
        if p is None:
            self._reply(reply_to, A.ERROR, [req_id, f"nothing to cancel: no request {req_id!r} in progress"])
            return
        if p.job is not None:
            p.job.cancel()  # the job's own error reply ("cancelled") follows
        if p.cancel_event is not None:
            p.cancel_event.set()

    def _preset(self, req_id: str | int, pack: str, sound: str | None, reply_to: Address) -> None:
        try:
            render = importlib.import_module("sfxgen.render")
        except ImportError as e:
            raise OscArgError(f"preset rendering is not available in this build ({e})", req_id) from e
        try:
            pack_path = presets.resolve_pack(pack, self.presets_dir)
            presets.check(render, self.engine, pack_path, sound)  # a bad pack or sound is refused before accepted
        except ValueError as e:
            raise OscArgError(str(e), req_id) from e
        key = str(req_id)
        with self._lock:
            if self._closed:
                raise OscArgError("the bridge is shutting down", req_id)
            if key in self._pending:
                raise OscArgError(f"req_id {req_id!r} is already in progress; use a new id", req_id)
            if self._preset_busy:
                self.counts["busy"] += 1
                busy = True
            else:
                busy = False
                self._preset_busy = True
                p = _Pending(key, req_id, reply_to, self._reply_path(req_id) if self.reply_files else None)
                p.cancel_event = threading.Event()
                self._pending[key] = p
                self.counts["accepted"] += 1
        if busy:  # one preset render at a time
            self._reply(reply_to, A.BUSY, [req_id])
            return
        dest = self.out_dir / A.PRESETS_OUT_DIR / safe_stem(pack_path.stem, fallback="pack")
        with p.lock:
            self._reply(reply_to, A.ACCEPTED, [req_id, *([str(p.reply_file)] if p.reply_file else [])])
            self._write_reply_file(p, "accepted", [], "")
            threading.Thread(
                target=self._run_preset, args=(render, p, pack_path, dest, sound), name=f"osc-preset-{key}", daemon=True
            ).start()

    def _run_preset(self, render: Any, p: _Pending, pack_path: Path, dest: Path, sound: str | None) -> None:
        try:
            files = presets.run(render, self.engine, pack_path, dest, sound, p.cancel_event, self._preset_progress(p))
            if p.cancel_event.is_set():
                outcome = (A.ERROR, [p.req_id, "cancelled"])
            else:
                files = [f for f in (Path(x).resolve() for x in files) if f.is_relative_to(self.out_dir)]
                outcome = (A.DONE, [p.req_id, *_fit_paths(p.req_id, files, dest)])
        except Exception as e:
            log.exception("preset render failed")
            outcome = (A.ERROR, [p.req_id, f"preset render failed: {e}"[:1000]])
        with self._lock:  # free the slot before answering, so a client may send the next preset at once
            self._preset_busy = False
        self._finish(p.key, *outcome)

    def _preset_progress(self, p: _Pending) -> Callable[[float], None]:
        return lambda frac: self._progress(p.key, frac)

    # ---- replies --------------------------------------------------------

    def _finish(self, key: str, address: str, args: list[Any]) -> None:
        """Send the one terminal reply of request ``key`` (later calls are no-ops)."""
        with self._lock:
            p = self._pending.pop(key, None)
            if p is None:
                return
            self._reserved.difference_update(p.stems)
            self.counts[address.rsplit("/", 1)[1]] += 1
        with p.lock:
            self._reply(p.reply_to, address, args)
            status = address.rsplit("/", 1)[1]
            files = [str(a) for a in args[1:]] if address == A.DONE else []
            message = str(args[1]) if address == A.ERROR and len(args) > 1 else ""
            self._write_reply_file(p, status, files, message)

    def _terminal_error(self, reply_to: Address, req_id: str | int, message: str) -> None:
        """Error for a request that was never accepted."""
        with self._lock:
            self.counts["error"] += 1
        self._reply(reply_to, A.ERROR, [req_id, message])

    def _reply(self, reply_to: Address, address: str, args: Sequence[Any]) -> None:
        try:
            self._send(reply_to, address, args)
        except Exception:
            log.exception("reply %s to %s failed", address, reply_to)

    def _reply_path(self, req_id: str | int) -> Path:
        return self.out_dir / A.REPLIES_DIR / f"{file_id(req_id)}.json"

    def _write_reply_file(self, p: _Pending, status: str, files: list[str], message: str) -> None:
        if p.reply_file is None:
            return
        body = {"status": status, "req_id": p.req_id, "files": files, "message": message}
        try:
            p.reply_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.reply_file.with_name(f".{p.reply_file.name}.{secrets.token_hex(4)}.tmp")
            tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, p.reply_file)  # atomic: a poller never reads half a file
        except OSError:
            log.exception("could not write reply file %s", p.reply_file)


def build_request(g: GenerateArgs, seed: int, out_dir: Path, stems: tuple[str, ...]) -> GenerateRequest:
    """The engine request of a checked generate message (files named ``stems`` inside ``out_dir``)."""
    return GenerateRequest(
        prompt=g.prompt,
        image=g.image,
        blend_prompt=g.blend_prompt,
        blend=g.blend,
        query_mode=QueryMode.IMAGE if g.image is not None else QueryMode.AUTO,
        duration=g.duration,
        variations=g.variations,
        seed=seed,
        guidance=g.guidance,
        steps=g.steps,
        sampler=g.sampler,
        init_audio=g.init,
        strength=g.strength,
        channels=g.channels,
        finish=g.finish(),
        out_dir=out_dir,
        file_stems=stems,
        overwrite=False,
    )


def _req_id_guess(args: Sequence[Any]) -> str | int:
    """The first argument when it looks like an id, else ``""`` (for errors about unreadable messages)."""
    if args and isinstance(args[0], str | int) and not isinstance(args[0], bool):
        v = args[0]
        return v[: A.MAX_REQ_ID_CHARS] if isinstance(v, str) else v
    return ""


def _fit_paths(req_id: str | int, files: list[Path], dest: Path) -> list[str]:
    """All file paths if the reply stays under the datagram limit, else the output folder alone."""
    paths = [str(f) for f in files]
    if sum(len(s.encode()) + 4 for s in paths) + len(str(req_id)) + 64 > A.MAX_REPLY_BYTES:
        return [str(dest)]
    return paths or [str(dest)]
