"""Denoisers side by side on held-out clips: the training loss per timestep, same crops, same noise.

The question a denoiser run asks while it trains ("does step N denoise held-out audio better than what
ships?"), which the training loss on random training batches cannot answer. Crops of the corpus's
validation and test clips (never trained on) are noised at fixed timesteps with fixed noise and each
model's prediction is scored against its target (v, eps or x0, as it was trained), conditioned on the
clip's first caption; every row also says at how many timesteps it beats the first row::

    python -m exporters.eval.denoisers --corpus CORPUS --model models/default --model runs/refiner/last.pt

A model is a training checkpoint (its EMA weights) or a bundle folder (its denoiser recovered from the
ONNX graph by :mod:`exporters.import_bundle`). All must share the mel settings and the prediction target.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np
import torch

from exporters.checkpoint import Checkpoint, build_component, load_checkpoint
from exporters.diffusion import TorchDiffusion
from exporters.train.encoders import QueryEncoder
from exporters.train.media import load_audio
from sfxgen.configs import MelConfig
from sfxgen.mel import log_mel, normalize

log = logging.getLogger(__name__)

FRACTIONS = (0.01, 0.04, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)  # of the training schedule: t = 10 ... 900 of 1000


def timesteps_of(num_train_steps: int) -> list[int]:
    return [round(f * num_train_steps) for f in FRACTIONS]


def load_model(path: Path) -> Checkpoint:
    """A checkpoint file, or a bundle folder's denoiser recovered as one."""
    if Path(path).is_dir():
        from exporters.import_bundle import checkpoint_from_bundle

        return checkpoint_from_bundle(Path(path), roles=("denoiser",))
    return load_checkpoint(path)


def query_kind(path: Path, ckpt: Checkpoint) -> str:
    """The text encoder a checkpoint (or the bundle it was recovered from) is conditioned on: minilm, clip, ..."""
    if Path(path).is_dir():
        return str(json.loads((Path(path) / "bundle.json").read_text())["query"]["kind"])
    return str(ckpt.query.get("type", ""))


def held_out_crops(
    corpus: Path, mel: MelConfig, splits: tuple[str, ...], frames: int, per_clip: int
) -> tuple[np.ndarray, list[str]]:
    """(N, M, frames) diffusion-space crops (silence-padded, every ``frames`` from the start) and captions."""
    rows = [json.loads(x) for x in (corpus / "manifest.jsonl").read_text().splitlines() if x.strip()]
    rows = [r for r in rows if r.get("split") in splits and r.get("captions")]
    if not rows:
        raise ValueError(f"{corpus}/manifest.jsonl has no captioned clips in splits {list(splits)}")
    silence = float(normalize(np.log(mel.log_floor), mel))  # a silent mel bin in diffusion space
    crops, captions = [], []
    for r in rows:
        x = normalize(log_mel(load_audio(corpus / r["path"], mel.sample_rate, 20.0), mel), mel)  # (M, T)
        for start in range(0, max(1, x.shape[1] - frames // 2), frames)[:per_clip]:
            seg = x[:, start : start + frames]
            crops.append(np.pad(seg, ((0, 0), (0, frames - seg.shape[1])), constant_values=silence))
            captions.append(r["captions"][0])
    return np.stack(crops).astype(np.float32), captions


@torch.inference_mode()
def losses(ckpt: Checkpoint, x0: np.ndarray, cond: np.ndarray, seed: int = 0) -> np.ndarray:
    """(len(FRACTIONS),) mean squared error of the model's prediction on x0 (N, M, T) under cond (N, E)."""
    model = build_component(ckpt, "denoiser", use_ema=True)
    diffusion = TorchDiffusion(ckpt.diffusion)
    timesteps = timesteps_of(diffusion.num_train_steps)
    x = torch.from_numpy(x0)
    c = torch.from_numpy(cond.astype(np.float32))
    g = torch.Generator().manual_seed(seed)
    out = []
    for t in timesteps:
        noise = torch.randn(x.shape, generator=g)  # the same for every model: same seed, same order
        tt = torch.full((len(x),), t, dtype=torch.long)
        err = 0.0
        for b in range(0, len(x), 64):
            sl = slice(b, b + 64)
            x_t = diffusion.q_sample(x[sl], tt[sl], noise[sl])
            pred = model(x_t, tt[sl], c[sl], torch.ones(len(x_t)))
            err += float(((pred - diffusion.target(x[sl], tt[sl], noise[sl])) ** 2).mean(dim=(1, 2)).sum())
        out.append(err / len(x))
    return np.array(out)


def compare(
    models: dict[str, Checkpoint], corpus: Path, encoder: QueryEncoder, splits: tuple[str, ...] = ("valid", "test")
) -> tuple[dict[str, np.ndarray], int]:
    """name -> per-timestep losses; and the number of crops scored."""
    first = next(iter(models.values()))
    for name, ckpt in models.items():
        if ckpt.mel != first.mel or ckpt.diffusion != first.diffusion:
            raise ValueError(
                f"{name}: other mel or diffusion settings than {next(iter(models))}; compare like with like"
            )
    x0, captions = held_out_crops(corpus, first.mel, splits, frames=128, per_clip=2)
    cond = encoder.embed_texts(captions)
    scores = {}
    for name, ckpt in models.items():
        scores[name] = losses(ckpt, x0, cond)
        log.info("%s: mean held-out loss %.5f", name, scores[name].mean())
    return scores, len(x0)


def format_table(scores: dict[str, np.ndarray], crops: int, num_train_steps: int = 1000) -> str:
    base = next(iter(scores.values()))
    head = " | ".join(f"t={t}" for t in timesteps_of(num_train_steps))
    lines = [f"| model ({crops} held-out crops) | {head} | mean | vs first |", "|---" * (len(FRACTIONS) + 3) + "|"]
    for name, s in scores.items():
        cells = " | ".join(f"{v:.4f}" for v in s)
        lines.append(f"| {name} | {cells} | {s.mean():.4f} | {s.mean() / base.mean() - 1:+.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a corpus built by `sfxgen corpus build`")
    parser.add_argument("--model", type=Path, action="append", default=[], help="checkpoint or bundle (repeatable)")
    parser.add_argument("--split", action="append", help="held-out split(s) (default: valid and test)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not args.model:
        parser.error("give at least one --model")
    try:  # BundleError and CheckpointError are ValueErrors
        models = {str(p): load_model(p) for p in args.model}
        from exporters.train.encoders import FactoryEncoder

        kinds = {query_kind(p, models[str(p)]) for p in args.model}
        if kinds != {"minilm"}:
            raise ValueError(f"these models are conditioned on {sorted(kinds)}; this tool embeds captions with MiniLM")
        scores, crops = compare(models, args.corpus, FactoryEncoder("minilm"), tuple(args.split or ("valid", "test")))
    except (OSError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    print(format_table(scores, crops))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
