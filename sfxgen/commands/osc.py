"""``sfxgen osc``: run the OSC bridge (REAPER, Max, TouchDesigner or any OSC client)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

HELP = "run the OSC bridge: /sfxgen/generate over UDP, replies with file paths"

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=9000, help="UDP port to listen on (default 9000)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="bind address (default 127.0.0.1; anything else is reachable from outside)"
    )
    parser.add_argument(
        "--reply-port",
        type=int,
        default=None,
        help="send replies to the sender's host at this port (Max udpreceive) instead of the sender's port",
    )
    parser.add_argument("--out", default="out", help="the only folder files are written into (default ./out)")
    parser.add_argument(
        "--bundle", default=None, help="model bundle folder (default $SFXGEN_BUNDLE, else models/default)"
    )
    parser.add_argument("--providers", default="auto", choices=("auto", "cuda", "cpu"), help="onnxruntime provider")
    parser.add_argument("--max-queue", type=int, default=16, help="jobs waiting at most; more get /sfxgen/busy")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads per session")
    parser.add_argument(
        "--workers", type=int, default=1, help="requests generated side by side, the cores split between them"
    )
    parser.add_argument(
        "--reply-files", action="store_true", help="write <out>/replies/<id>.json for every request (polling clients)"
    )
    parser.add_argument(
        "--presets", default=None, help="folder of packs for /sfxgen/preset <name> (default: the repo's presets/)"
    )


def run(args: argparse.Namespace) -> int:
    from sfxgen.engine import Engine
    from sfxgen.osc.server import OscServer
    from sfxgen.paths import default_presets, resolve_bundle

    if args.workers < 1 or args.max_queue < 1:
        log.error("--workers and --max-queue must be at least 1")
        return 2
    try:
        engine = Engine(
            resolve_bundle(args.bundle),
            providers=args.providers,
            max_queue=args.max_queue,
            num_threads=args.threads,
            workers=args.workers,
        )
    except ValueError as exc:  # BundleError, or CUDA asked for but absent
        log.error("%s", exc)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    engine.start()
    try:
        server = OscServer(
            engine,
            args.out,
            host=args.host,
            port=args.port,
            reply_port=args.reply_port,
            reply_files=args.reply_files,
            presets_dir=args.presets or default_presets(),
        )
    except OSError as e:
        engine.close()
        log.error("cannot listen on %s:%d: %s (is another bridge running? pick --port)", args.host, args.port, e)
        return 1
    server.start()
    host, port = server.address
    replies = f"port {args.reply_port}" if args.reply_port else "the sender"
    print(  # the one line a user needs, whatever the log level
        f"sfxgen OSC bridge on {host}:{port} (replies to {replies})"
        f", engine {engine.provider}, bundle {engine.bundle.bundle_id}, writing into {server.router.out_dir}; "
        "Ctrl+C stops",
        file=sys.stderr,
        flush=True,
    )
    while not stop.wait(0.5):  # woken by SIGINT/SIGTERM
        pass
    log.info("shutting down")
    server.close()  # ends every open request with an error reply
    engine.close(cancel_pending=True)
    return 0
