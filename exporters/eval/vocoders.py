"""Vocoders side by side on a corpus split: bundles' vocoders and training checkpoints, same clips, same metrics.

The question a vocoder run asks while it trains ("is step N better than what ships?") on the validation
split, which `sfxgen eval` leaves alone (it scores the test split). Each clip's first ``seconds`` are
resynthesised from their own log-mel and scored as `sfxgen eval` scores a vocoder (log-mel L1,
multi-resolution spectral convergence), with the runtime's Griffin-Lim started from PGHI and from a random
phase; every row also says on how many clips it beats the first row::

    python -m exporters.eval.vocoders --corpus CORPUS --bundle models/default --checkpoint runs/voc/last.pt

A bundle without a vocoder graph is plain Griffin-Lim on the mel pseudo-inverse.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from exporters.eval.metrics import log_mel_l1, multires_spectral_convergence
from sfxgen.configs import MelConfig
from sfxgen.mel import log_mel
from sfxgen.pghi import PhaseInit

log = logging.getLogger(__name__)

# log_mel (1, M, T), length, phase_init -> wave (length,)
Resynth = Callable[[np.ndarray, int, PhaseInit], np.ndarray]


def clips(corpus: Path, split: str, every: int, limit: int, seconds: float, sample_rate: int) -> list[np.ndarray]:
    """Every ``every``-th clip of the split in manifest order (at most ``limit``), first ``seconds``, mono."""
    rows = [json.loads(x) for x in (corpus / "manifest.jsonl").read_text().splitlines() if x.strip()]
    chosen = [r for r in rows if r.get("split") == split][::every][:limit]
    if not chosen:
        raise ValueError(f"{corpus}/manifest.jsonl has no {split!r} clips")
    waves = []
    for r in chosen:
        wave, sr = sf.read(str(corpus / r["path"]), dtype="float64", always_2d=True)
        if sr != sample_rate:
            raise ValueError(f"{r['path']}: {sr} Hz, the vocoders run at {sample_rate} Hz (build the corpus for them)")
        waves.append(wave.mean(axis=1)[: int(seconds * sample_rate)])
    return waves


def bundle_resynth(path: Path) -> tuple[Resynth, MelConfig]:
    from sfxgen.bundle import load_bundle
    from sfxgen.sessions import choose_providers
    from sfxgen.vocoder import Vocoder

    bundle = load_bundle(path)
    vocoder = Vocoder(bundle, choose_providers("cpu"), num_threads=1)
    return (lambda lm, n, start: vocoder(lm, n, phase_init=start)[0]), bundle.mel


def checkpoint_resynth(path: Path) -> tuple[Resynth, MelConfig]:
    """A training checkpoint's (EMA) vocoder, run as the bundle it would export to would run it."""
    import torch

    from exporters.checkpoint import build_component, load_checkpoint
    from sfxgen.vocoder import griffin_lim

    ckpt = load_checkpoint(path)
    model, mel = build_component(ckpt, "vocoder", use_ema=True), ckpt.mel

    def run(lm: np.ndarray, n: int, start: PhaseInit) -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy(lm.astype(np.float32))
            if model.output == "magnitude":  # phased by the runtime's Griffin-Lim, as in a bundle
                return griffin_lim(model(x).double().numpy(), mel, n, phase_init=start)[0]
            wave = model.waveform(x)[0].double().numpy()  # a waveform vocoder: the start does not apply
        return np.pad(wave[:n], (0, max(0, n - wave.size)))

    return run, mel


def compare(
    waves: list[np.ndarray], vocoders: dict[str, tuple[Resynth, MelConfig]]
) -> dict[tuple[str, str], np.ndarray]:
    """(vocoder name, start) -> per-clip (log-mel L1, spectral convergence), shape (clips, 2)."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for name, (resynth, mel) in vocoders.items():
        for start in (PhaseInit.PGHI, PhaseInit.RANDOM):
            rows = []
            for wave in waves:
                hat = resynth(log_mel(wave, mel)[None], len(wave), start)
                rows.append((log_mel_l1(wave, hat, mel), multires_spectral_convergence(wave, hat, mel.sample_rate)))
            out[(name, start.value)] = np.array(rows)
            log.info("%s from %s: log-mel L1 %.4f", name, start.value, out[(name, start.value)][:, 0].mean())
    return out


def format_table(scores: dict[tuple[str, str], np.ndarray], split: str) -> str:
    (first, base), n = next(iter(scores.items())), len(next(iter(scores.values())))
    lines = [
        f"| vocoder ({n} {split} clips) | Griffin-Lim start | log-mel L1 | spectral convergence "
        f"| better than {first[0]} ({first[1]}): L1 / SC |",
        "|---|---|---|---|---|",
    ]
    for (name, start), s in scores.items():
        wins = np.mean(s < base, axis=0)
        lines.append(
            f"| {name} | {start} | {s[:, 0].mean():.4f} | {s[:, 1].mean():.4f} | {wins[0]:.0%} / {wins[1]:.0%} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a corpus built by `sfxgen corpus build`")
    parser.add_argument("--bundle", type=Path, action="append", default=[], help="a bundle folder (repeatable)")
    parser.add_argument("--checkpoint", type=Path, action="append", default=[], help="a vocoder run's .pt (repeatable)")
    parser.add_argument("--split", default="valid", help="corpus split (default: valid; `sfxgen eval` uses test)")
    parser.add_argument("--every", type=int, default=3, help="take every N-th clip of the split (default 3)")
    parser.add_argument("--clips", type=int, default=45, help="at most this many clips (default 45)")
    parser.add_argument("--seconds", type=float, default=4.0, help="first seconds of each clip (default 4)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not args.bundle and not args.checkpoint:
        parser.error("give at least one --bundle or --checkpoint")
    if args.every < 1 or args.clips < 1 or args.seconds <= 0:
        parser.error("--every and --clips must be at least 1, --seconds positive")
    try:  # BundleError and CheckpointError are ValueErrors
        vocoders = {str(p): bundle_resynth(p) for p in args.bundle}
        vocoders |= {str(p): checkpoint_resynth(p) for p in args.checkpoint}
        rates = {mel.sample_rate for _, mel in vocoders.values()}
        if len(rates) != 1:
            raise ValueError(f"the vocoders run at different sample rates {sorted(rates)}; compare like with like")
        waves = clips(args.corpus, args.split, args.every, args.clips, args.seconds, rates.pop())
    except (OSError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    print(format_table(compare(waves, vocoders), args.split))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
