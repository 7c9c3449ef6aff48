"""``sfxgen generate "prompt"``: N variations as finished WAVs with their recipe."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

HELP = "generate sound effects from a text prompt and/or an image"

BIT_DEPTHS = {"16": "pcm16", "24": "pcm24", "32f": "float32"}
DEFAULT_LOOP_CROSSFADE_MS = 500.0  # sfxgen.loops'; not imported, so that `--help` loads no numpy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sfxgen.commands.common import add_engine_arguments

    parser.add_argument("prompt", nargs="?", default="", help="what the sound is, e.g. 'heavy wooden door slams shut'")
    parser.add_argument("--image", type=Path, default=None, help="image query (needs a bundle with an image encoder)")
    parser.add_argument("-n", "--variations", type=int, default=4, help="variations (1..64, default 4)")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default random); files use seed..seed+n-1")
    parser.add_argument("--duration", type=float, default=None, help="seconds (0.25..30, default the bundle's)")
    parser.add_argument("--guidance", type=float, default=None, help="classifier-free guidance w (default bundle's)")
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default the bundle's)")
    parser.add_argument("--sampler", default=None, help="ddpm | ddim | dpmpp_2m (default the bundle's)")
    parser.add_argument("--query-mode", default="auto", help="auto | text | prior | image (default auto)")
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        help="a sound to make variations of (WAV/FLAC/OGG; --duration defaults to its length)",
    )
    parser.add_argument(
        "--strength",
        type=float,
        default=None,
        help="how much of the start sound to redraw, (0, 1]; 1 = from pure noise "
        "(default 0.6 with --init, else the bundle's library strength)",
    )
    parser.add_argument("--blend-prompt", default="", help="second prompt to blend in")
    parser.add_argument("--blend", type=float, default=0.0, help="weight of --blend-prompt in [0, 1]")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default ./out, created)")
    parser.add_argument("--sample-rate", type=int, default=48000, choices=(48000, 44100), help="delivery rate")
    parser.add_argument("--bit-depth", default="24", choices=tuple(BIT_DEPTHS), help="16, 24 (default) or 32f")
    parser.add_argument("--peak", type=float, default=-1.0, help="sample-peak ceiling in dBFS (default -1)")
    parser.add_argument("--lufs", type=float, default=None, help="integrated loudness target (default: peak-normalise)")
    parser.add_argument("--trim", action="store_true", help="trim leading/trailing silence")
    parser.add_argument(
        "--stereo",
        action="store_true",
        help="stereo files for ambiences and textures: two decorrelated draws of each variation, left and right",
    )
    parser.add_argument(
        "--loop",
        type=float,
        nargs="?",
        const=DEFAULT_LOOP_CROSSFADE_MS,
        default=0.0,
        metavar="MS",
        help=f"make seamless loops of --duration: the tail crossfaded into the head over MS milliseconds "
        f"(default {DEFAULT_LOOP_CROSSFADE_MS:g}), loop points in the WAV's smpl chunk",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing files of the same name")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    add_engine_arguments(parser)


def build_request(args: argparse.Namespace, default_duration: float):
    """The GenerateRequest of the parsed arguments (ValueError from FinishSpec/SoundTags on bad values)."""
    from sfxgen.finishing import FinishSpec
    from sfxgen.request import GenerateRequest
    from sfxgen.wavfile import SoundTags

    finish = FinishSpec(
        sample_rate=args.sample_rate,
        bit_depth=BIT_DEPTHS[args.bit_depth],
        peak_dbfs=args.peak,
        loudness_lufs=args.lufs,
        trim_silence=args.trim,
        loop_crossfade_ms=args.loop,
    )
    description = args.prompt or (args.image.stem if args.image else "")
    duration = default_duration if args.duration is None else args.duration
    if args.init is not None and args.duration is None:
        from sfxgen.init_audio import init_duration

        duration = init_duration(args.init, duration)
    return GenerateRequest(
        prompt=args.prompt,
        image=args.image,
        blend_prompt=args.blend_prompt,
        blend=args.blend,
        query_mode=args.query_mode,
        duration=duration,
        variations=args.variations,
        seed=args.seed,
        guidance=args.guidance,
        steps=args.steps,
        sampler=args.sampler,
        init_audio=args.init,
        strength=args.strength,
        channels=2 if args.stereo else 1,
        finish=finish,
        tags=SoundTags(description=description),
        out_dir=args.out,
        overwrite=args.overwrite,
    )


def result_dict(result, bundle) -> dict:
    return {
        "files": [str(p) for p in result.files],
        "seeds": list(result.seeds),
        "sample_rate": result.sample_rate,
        "seconds": result.seconds,
        "elapsed": round(result.elapsed, 4),
        "provider": result.provider,
        "bundle_id": bundle.bundle_id,
        "bundle_sha256": bundle.manifest_sha256,
        "peak_dbfs": [None if math.isinf(a.peak_dbfs) else round(a.peak_dbfs, 2) for a in result.audio],
        "lufs": [None if a.lufs is None else round(a.lufs, 2) for a in result.audio],
        "loop_seam_db": [None if a.loop_seam_db is None else round(a.loop_seam_db, 2) for a in result.audio],
        "recipes": [r.to_dict() for r in result.recipes],
    }


def run(args: argparse.Namespace) -> int:
    from sfxgen.bundle import BundleError
    from sfxgen.commands.common import EXIT_FAILED, fail, print_json, progress_bar
    from sfxgen.engine import Engine, JobCancelled, JobFailed, RequestError
    from sfxgen.paths import resolve_bundle

    try:
        engine = Engine(resolve_bundle(args.bundle), providers=args.providers, max_queue=1, num_threads=args.threads)
    except (BundleError, ValueError) as exc:
        return fail(str(exc))
    try:
        request = build_request(args, engine.bundle.defaults.duration)
    except ValueError as exc:
        return fail(str(exc))
    with engine:
        try:
            with progress_bar(not args.json, f"{args.variations} x {request.duration:g} s") as update:
                result = engine.submit(request, on_progress=update).result()
        except RequestError as exc:
            return fail(str(exc))
        except (JobFailed, JobCancelled) as exc:
            return fail(str(exc), EXIT_FAILED)
    if args.json:
        print_json(result_dict(result, engine.bundle))
    else:
        for path, audio, recipe in zip(result.files, result.audio, result.recipes, strict=True):
            lufs = "" if audio.lufs is None else f", {audio.lufs:.1f} LUFS"
            lufs += "" if audio.loop_seam_db is None else f", loop seam {audio.loop_seam_db:.1f} dB"
            source = f"; from {recipe.source_licence} recording {recipe.source_clip}" if recipe.source_clip else ""
            print(f"{path}  (peak {audio.peak_dbfs:.1f} dBFS{lufs}{source})")
        print(f"{len(result.files)} files in {result.elapsed:.2f} s on {result.provider}")
    return 0
