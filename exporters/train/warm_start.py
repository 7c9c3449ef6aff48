"""Warm-start a denoiser under a new ``cond_scale`` without changing what it computes.

``python -m exporters.train.warm_start IN.pt OUT.pt --cond-scale 19.6`` rewrites the denoiser's spec with
the new scale and divides the first layer of its condition MLP by the same factor, so the network's output
is unchanged (tested); only the optimisation differs: the condition path now sees unit-variance inputs and
Adam moves its (smaller) weights relatively faster. Use OUT.pt as ``[loop] init_from`` of a new run.
"""

from __future__ import annotations

import argparse
import copy
import logging
from pathlib import Path

from exporters.checkpoint import Checkpoint, load_checkpoint, save_checkpoint

log = logging.getLogger(__name__)
FIRST_COND_LAYER = "embed.cond_mlp.0.weight"  # Linear(E, D) that the scaled condition enters


def rescale_condition(ckpt: Checkpoint, cond_scale: float, role: str = "denoiser") -> Checkpoint:
    """A copy of ckpt whose ``role`` has ``cond_scale`` and the same function."""
    if cond_scale <= 0:
        raise ValueError("cond_scale must be positive")
    out = copy.deepcopy(ckpt)
    comp = out.components[role]
    old = float(comp.spec["config"].get("cond_scale", 1.0))
    factor = old / cond_scale  # new_w = w * old / new keeps new_w @ (new * c) == w @ (old * c)
    comp.spec = {**comp.spec, "config": {**comp.spec["config"], "cond_scale": cond_scale}}
    for weights in (comp.state_dict, comp.ema):
        if weights is not None:
            weights[FIRST_COND_LAYER] = weights[FIRST_COND_LAYER] * factor
    out.train_state = {}  # a new run starts its own optimiser and data order
    out.meta = {**out.meta, "warm_start": {"from_step": ckpt.step, "cond_scale": [old, cond_scale]}}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--cond-scale", type=float, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    src = load_checkpoint(args.checkpoint)
    save_checkpoint(args.out, rescale_condition(src, args.cond_scale))
    log.info("wrote %s (step %d weights, cond_scale %g)", args.out, src.step, args.cond_scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
