"""`sfxgen eval BUNDLE --corpus DIR`: measure a bundle against real audio (torch imported inside run)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

HELP = "evaluate a bundle: relevance, Fréchet distance, retrieval baseline, vocoder vs Griffin-Lim"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", type=Path, help="bundle folder (bundle.json + graphs)")
    parser.add_argument("--corpus", type=Path, required=True, help="corpus folder with manifest.jsonl")
    parser.add_argument("--out", type=Path, default=Path("eval"), help="where eval.json / eval.png go")
    parser.add_argument(
        "--classifier", type=Path, default=None, help="cached classifier (default CORPUS/eval_classifier.pt)"
    )
    parser.add_argument(
        "--train-classifier",
        action="store_true",
        help="train the classifier even when a cached or shipped one matches the corpus (about 25 min on 2 cores)",
    )
    parser.add_argument(
        "--second-opinion",
        type=Path,
        action="append",
        default=[],
        help="another saved classifier (e.g. OTHER_CORPUS/eval_classifier.pt) that judges the showcase too; repeatable",
    )
    parser.add_argument("--guidance", type=float, nargs="+", default=None, help="guidance values to sweep")
    parser.add_argument(
        "--strength",
        type=float,
        nargs="+",
        default=None,
        help="more library strengths in (0, 1) to measure at the default guidance (about 90 s each on 2 cores)",
    )
    parser.add_argument(
        "--no-held-out-judges",
        action="store_true",
        help="skip the two judges that never heard a library clip's recording (a new corpus trains them: ~1 h)",
    )
    parser.add_argument("--clips", type=int, default=None, help="generated clips per test prompt")
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default: the bundle's)")
    parser.add_argument(
        "--threads", type=int, default=None, help="onnxruntime threads per session (default: the cores split)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="engine workers generating side by side (default: one per core)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def run(args: argparse.Namespace) -> int:
    import torch

    from exporters.eval.report import format_table
    from exporters.eval.run import EvalConfig, evaluate

    torch.set_num_threads(1)
    cfg = EvalConfig()
    overrides = {}
    if args.guidance:
        overrides["guidances"] = tuple(args.guidance)
    if args.strength:
        bad = [s for s in args.strength if not 0.0 < s < 1.0]
        if bad:
            from sfxgen.commands.common import fail

            return fail(f"--strength {bad[0]:g} is outside (0, 1): 1 is the from-noise row the eval always measures")
        overrides["strengths"] = tuple(args.strength)
    if args.no_held_out_judges:
        overrides["held_out_judges"] = False
    if args.clips:
        overrides["clips_per_prompt"] = args.clips
    if args.steps:
        overrides["steps"] = args.steps
    if args.threads:
        overrides["num_threads"] = args.threads
    if args.workers:
        overrides["workers"] = args.workers
    missing = [str(p) for p in args.second_opinion if not p.is_file()]
    if missing:
        from sfxgen.commands.common import fail

        return fail(f"--second-opinion {missing[0]} does not exist; pass a classifier saved by an earlier eval")
    if args.second_opinion:
        overrides["second_opinions"] = tuple(args.second_opinion)
    if overrides:
        import dataclasses

        cfg = dataclasses.replace(cfg, **overrides)
    results = evaluate(args.bundle, args.corpus, args.out, cfg, args.classifier, args.train_classifier)
    logging.getLogger(__name__).info("wrote %s and %s", args.out / "eval.json", args.out / "eval.png")
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0
