"""``sfxgen bench``: cold start, time per step, real-time factor, few-step vs 1000-step DDPM."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "benchmark the engine: cold start, step time, RTF, few-step sampler vs 1000-step DDPM"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundle", default=None, help="model bundle folder (default $SFXGEN_BUNDLE / models/default)")
    parser.add_argument("--providers", default="auto", choices=("auto", "cuda", "cpu"))
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime threads (default 1: comparable numbers)")
    parser.add_argument("-n", "--variations", type=int, default=4)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ddpm-steps", type=int, default=1000, help="steps of the reference DDPM (default 1000)")
    parser.add_argument("--quality-seeds", type=int, default=8)
    parser.add_argument("--quality-duration", type=float, default=2.0)
    parser.add_argument(
        "--quality-steps", default="10,50", help="extra step counts of the fast sampler for the quality sweep"
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start subprocess")
    parser.add_argument("--no-torch", action="store_true", help="skip onnxruntime vs torch eager")
    parser.add_argument("--no-throughput", action="store_true", help="skip one all-core worker vs one worker per core")
    parser.add_argument("--no-quality", action="store_true", help="skip the few-step vs DDPM quality comparison")
    parser.add_argument("--compare", default=None, help="another bundle: time its generate and denoiser step beside")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--save", type=Path, default=None, help="also write the JSON results to this file")


def run(args: argparse.Namespace) -> int:
    import json

    from sfxgen.bench import BenchConfig, format_table, run_bench
    from sfxgen.bundle import BundleError
    from sfxgen.commands.common import fail, print_json
    from sfxgen.paths import resolve_bundle

    config = BenchConfig(
        bundle=resolve_bundle(args.bundle),
        variations=args.variations,
        duration=args.duration,
        repeats=args.repeats,
        threads=args.threads,
        providers=args.providers,
        ddpm_steps=args.ddpm_steps,
        quality_seeds=args.quality_seeds,
        quality_duration=args.quality_duration,
        quality_steps=tuple(int(s) for s in args.quality_steps.split(",") if s.strip()),
        cold=not args.no_cold,
        torch=not args.no_torch,
        throughput=not args.no_throughput,
        quality=not args.no_quality,
        compare=resolve_bundle(args.compare) if args.compare else None,
    )
    try:
        results = run_bench(config)
    except (BundleError, ValueError) as exc:
        return fail(str(exc))
    if args.save:
        args.save.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if args.json:
        print_json(results)
    else:
        print(format_table(results))
    return 0
