"""``sfxgen render PACK.toml --out DIR``: render a preset pack into a finished, UCS-named sound library."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

HELP = "render a preset pack (presets/*.toml) into a UCS-named, tagged library with manifest and contact sheet"

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pack", nargs="?", type=Path, help="preset pack TOML (e.g. presets/foley_basics.toml, or foley_basics)"
    )
    parser.add_argument("--out", type=Path, default=None, help="library folder to write (created if missing)")
    parser.add_argument(
        "--bundle", type=Path, default=None, help="model bundle (default $SFXGEN_BUNDLE, else models/default)"
    )
    parser.add_argument(
        "--sound",
        action="append",
        default=None,
        metavar="NAME",
        help="render only this sound of the pack (its name or fxname); repeat for several",
    )
    parser.add_argument("--jobs", type=int, default=1, help="batches kept in flight in the engine queue (default 1)")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="batches rendered side by side, the cores split between them (default: one per core on CPU, at most "
        "4, as 2 workers on 2 cores render about 1.7x faster than 1; 1 on CUDA); --jobs is raised to at least this",
    )
    parser.add_argument("--shard", default=None, help="render part K of N of the pack, e.g. 2/4 (deterministic split)")
    parser.add_argument(
        "--resume", action="store_true", help="keep files of an earlier (killed) run that verify against the manifest"
    )
    parser.add_argument("--dry-run", action="store_true", help="validate the pack and list the files; render nothing")
    parser.add_argument(
        "--merge-manifests",
        nargs="+",
        type=Path,
        metavar="DIR",
        default=None,
        help="merge shard manifests from these folders into --out/manifest.json/.csv (no rendering)",
    )
    parser.add_argument("--providers", default="auto", choices=("auto", "cuda", "cpu"), help="onnxruntime provider")
    parser.add_argument("--threads", type=int, default=None, help="onnxruntime threads per session")
    parser.add_argument("--no-contact-sheet", action="store_true", help="skip contact_sheet.html and waveform PNGs")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from sfxgen.manifest import ManifestError, merge_manifests
    from sfxgen.presets import PackError
    from sfxgen.render import Shard, check_pack, dry_run, render_pack

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.merge_manifests:
        if args.out is None:
            log.error("--merge-manifests needs --out DIR for the merged manifest")
            return 2
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            path, entries = merge_manifests(args.merge_manifests, args.out)
        except ManifestError as exc:
            log.error("%s", exc)
            return 1
        print(f"merged {len(entries)} files into {path}")
        return 0
    if args.pack is None:
        log.error("give a pack: sfxgen render presets/foley_basics.toml --out DIR")
        return 2
    if not args.pack.exists() and len(args.pack.parts) == 1:  # a bare name: one of the repository's packs
        from sfxgen.paths import default_presets
        from sfxgen.presets import find_pack

        presets = default_presets()
        if presets is not None:
            try:
                args.pack = find_pack(str(args.pack), presets)
            except ValueError as exc:
                log.error("%s", exc)
                return 2
    try:
        shard = Shard.parse(args.shard) if args.shard else None
        if args.dry_run:
            rows = dry_run(args.pack, shard, args.sound)
            for name, seed, prompt in rows:
                print(f"{name}\tseed {seed}\t{prompt}")
            print(f"{len(rows)} files; pack is valid", file=sys.stderr)
            return 0
        check_pack(args.pack, None, args.sound)  # a bad pack or sound name fails before the engine starts
    except (PackError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    if args.out is None:
        log.error("pass --out DIR (the library folder)")
        return 2

    from tqdm import tqdm

    from sfxgen.engine import Engine, batch_workers
    from sfxgen.paths import resolve_bundle

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    bar = tqdm(unit="file", disable=args.json or not sys.stderr.isatty(), dynamic_ncols=True)

    def progress(done: int, total: int, name: str | None) -> None:
        bar.total = total
        bar.n = done
        if name:
            bar.set_postfix_str(name[-40:], refresh=False)
        bar.refresh()

    try:
        workers = args.workers if args.workers is not None else batch_workers(args.providers)
        bundle = resolve_bundle(args.bundle)
        with Engine(bundle, providers=args.providers, num_threads=args.threads, workers=workers) as engine:
            engine.start()
            report = render_pack(
                args.pack,
                args.out,
                engine,
                shard=shard,
                resume=args.resume,
                on_progress=progress,
                cancel=stop.is_set,
                jobs=max(args.jobs, workers),
                contact_sheet=not args.no_contact_sheet,
                sounds=args.sound,
            )
    except (PackError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    finally:
        bar.close()
    summary = {
        "pack": report.pack,
        "out": str(report.out_dir),
        "shard": report.shard,
        "total": report.total,
        "rendered": report.rendered,
        "skipped": report.skipped,
        "cancelled": report.cancelled,
        "seconds": round(report.seconds, 2),
        "manifest": str(report.manifest) if report.manifest else None,
        "contact_sheet": str(report.contact_sheet) if report.contact_sheet else None,
        "unhonoured_licences": report.unhonoured_licences,
        "off_target": list(report.off_target),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        state = "cancelled (run again with --resume)" if report.cancelled else "done"
        print(
            f"{report.pack} [{report.shard}]: {state}; {report.rendered} rendered, {report.skipped} kept, "
            f"{report.total} total in {report.seconds:.1f} s -> {report.out_dir}"
        )
    return 130 if report.cancelled else 0
