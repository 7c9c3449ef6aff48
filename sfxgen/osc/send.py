"""One-shot OSC client for scripts that have no UDP (REAPER's Lua, shell scripts, cron).

Usage::

    python -m sfxgen.osc.send [--host H] [--port P] [--wait none|accepted|done] [--timeout S] \
        (--json REQUEST.json | ADDRESS [ARG ...])

``REQUEST.json`` is ``{"address": "/sfxgen/generate", "args": ["id", "door slam", 2.0, 1]}``; a file
avoids every shell-quoting problem with prompts (quotes, Unicode, Windows ``cmd``). Command-line
``ARG``s are sent as int when they parse as int, float when they parse as float, else string.

Output (stdout): ``<status> <req_id>`` on the first line, then each further argument of the reply
on its own line (``done``: the paths; ``error``: the message; ``accepted``: the reply-file path, if
any), so paths with spaces need no parsing. Exit status: 0 done/accepted/pong/status, 1 error,
2 busy, 3 no reply before the timeout, 4 bad usage.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

from pythonosc.osc_message import OscMessage

from sfxgen.osc import addresses as A
from sfxgen.osc.codec import build_message

EXIT = {"done": 0, "accepted": 0, "pong": 0, "status": 0, "error": 1, "busy": 2, "timeout": 3, "usage": 4}


def parse_cli_arg(s: str) -> Any:
    """``"2"`` -> 2, ``"2.5"`` -> 2.5, anything else stays a string."""
    for cast in (int, float):
        try:
            return cast(s)
        except ValueError:
            pass
    return s


def send(
    address: str,
    args: list[Any],
    *,
    host: str = A.DEFAULT_HOST,
    port: int = A.DEFAULT_PORT,
    wait: str = "done",
    timeout: float = 60.0,
) -> tuple[str, list[Any]]:
    """Send one message; wait for the reply ``wait`` asks for. Returns (status, reply args).

    ``status`` is the last path element of the reply (``done``, ``error``, ``busy``, ``accepted``,
    ``pong``, ``status``), ``"sent"`` for ``wait="none"`` or ``"timeout"``.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0) if _loopback(host) else ("", 0))
        sock.sendto(build_message(address, args), (host, port))
        if wait == "none":
            return "sent", []
        req_id = args[0] if args and address not in (A.PING, A.STATUS) else None
        want = {A.PING: (A.PONG,), A.STATUS: (A.STATUS_REPLY,)}.get(address, A.TERMINAL_REPLIES)
        if wait == "accepted":
            want = (*want, A.ACCEPTED)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:  # bounded by the timeout
            sock.settimeout(left)
            try:
                data = sock.recv(65535)
            except TimeoutError:
                break
            try:
                msg = OscMessage(data)
            except Exception:
                continue
            params = list(msg.params)
            if req_id is not None and (not params or params[0] != req_id) and msg.address != A.ERROR:
                continue
            if msg.address in want:
                return msg.address.rsplit("/", 1)[1], params
            if msg.address == A.ERROR and (req_id is None or not params or params[0] in (req_id, "")):
                return "error", params
        return "timeout", []


def _loopback(host: str) -> bool:
    return host in A.LOOPBACK_HOSTS or host.startswith("127.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sfxgen.osc.send", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default=A.DEFAULT_HOST)
    ap.add_argument("--port", type=int, default=A.DEFAULT_PORT)
    ap.add_argument("--wait", choices=("none", "accepted", "done"), default="done")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the reply")
    ap.add_argument("--json", type=Path, help="request file {'address': ..., 'args': [...]}")
    ap.add_argument("message", nargs="*", help="ADDRESS [ARG ...] (when --json is not given)")
    ns = ap.parse_args(argv)
    try:
        if ns.json is not None:
            body = json.loads(ns.json.read_text(encoding="utf-8"))
            address, args = body["address"], list(body.get("args", []))
        elif ns.message:
            address, args = ns.message[0], [parse_cli_arg(a) for a in ns.message[1:]]
        else:
            ap.error("give ADDRESS [ARG ...] or --json FILE")
        if not isinstance(address, str) or not address.startswith("/"):
            raise ValueError(f"address must start with '/', got {address!r}")
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"usage error: {e}", file=sys.stderr)
        return EXIT["usage"]
    status, params = send(address, args, host=ns.host, port=ns.port, wait=ns.wait, timeout=ns.timeout)
    if status == "timeout":
        print(f"timeout: no reply from {ns.host}:{ns.port} in {ns.timeout:g} s")
    elif status == "sent":
        print("sent")
    else:  # first line "<status> <req_id>", then each further reply argument on its own line
        print(status, params[0] if params else "")
        for value in params[1:]:
            print(value)
    return EXIT.get(status, 0)


if __name__ == "__main__":
    sys.exit(main())
