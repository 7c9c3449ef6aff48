"""`sfxgen listen make|score`: a blind listening test of the README's prompts (exporters.eval.listening)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "make a blind listening test of the README's prompts (generated and real clips), or score its answers"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    make = sub.add_parser("make", help="write the clips, the test page (index.html) and its key")
    make.add_argument("bundle", type=Path, help="bundle folder (bundle.json + graphs)")
    make.add_argument("--corpus", type=Path, required=True, help="corpus folder with manifest.jsonl (real takes)")
    make.add_argument("--out", type=Path, default=Path("listening_test"), help="new folder for the test")
    make.add_argument("--clips", type=int, default=4, help="generated clips per prompt and start (default 4)")
    make.add_argument("--real", type=int, default=2, help="real recordings per prompt (default 2)")
    make.add_argument("--no-noise", action="store_true", help="only the bundle's default start, not pure noise too")
    make.add_argument(
        "--sample-rate",
        type=int,
        default=48000,
        choices=(24000, 44100, 48000),
        help="rate of the clips (default 48000; 24000, the default model's own rate, halves the folder)",
    )
    make.add_argument(
        "--prompt",
        action="append",
        default=[],
        metavar="TEXT=CATEGORY",
        help="test this prompt, with real takes of this corpus category (repeatable; default: the README's six)",
    )
    score = sub.add_parser("score", help="score answers.json files saved from the test page")
    score.add_argument("test", type=Path, help="the test folder (holds key.json)")
    score.add_argument("answers", type=Path, nargs="+", help="answers*.json, one per listener")
    score.add_argument("--json", action="store_true", help="print the scores as JSON")


def run(args: argparse.Namespace) -> int:
    from exporters.eval.listening import AnswersError, ListeningConfig, format_scores, make_test, score
    from sfxgen.bundle import BundleError
    from sfxgen.commands.common import fail

    if args.action == "score":
        if not (args.test / "key.json").is_file():
            return fail(f"{args.test / 'key.json'} not found: pass the folder `sfxgen listen make` wrote")
        missing = [p for p in args.answers if not p.is_file()]
        if missing:
            return fail(f"{missing[0]} does not exist")
        try:
            result = score(args.test, args.answers)
        except AnswersError as exc:
            return fail(str(exc))
        (args.test / "scores.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2) if args.json else format_scores(result))
        return 0
    if args.clips < 1 or args.real < 0:
        return fail("--clips must be at least 1 and --real at least 0")
    if not (args.corpus / "manifest.jsonl").is_file():
        return fail(f"{args.corpus / 'manifest.jsonl'} not found: build the corpus first (`sfxgen corpus build DIR`)")
    prompts = []
    for spec in args.prompt:
        text, _, category = spec.rpartition("=")
        if not text.strip() or not category.strip():
            return fail(f"--prompt {spec!r}: write it as TEXT=CATEGORY, e.g. 'a door slams=door'")
        prompts.append((text.strip(), category.strip()))
    config = ListeningConfig(
        clips=args.clips,
        real=args.real,
        starts=(None,) if args.no_noise else (None, 1.0),
        sample_rate=args.sample_rate,
    )
    if prompts:
        import dataclasses

        config = dataclasses.replace(config, prompts=tuple(prompts))
    try:
        key = make_test(args.bundle, args.corpus, args.out, config)
    except (FileExistsError, BundleError, ValueError) as exc:  # BundleError: not a bundle; ValueError: bad category
        return fail(str(exc))
    print(f"{len(key)} clips in {args.out}: open {args.out / 'index.html'} in a browser; "
          f"then `sfxgen listen score {args.out} answers*.json`")  # fmt: skip
    return 0
