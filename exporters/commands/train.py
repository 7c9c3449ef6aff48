"""`sfxgen train`: train a denoiser, vocoder or prior from a TOML recipe.

    sfxgen train CONFIG.toml --out RUN_DIR [--resume]
    sfxgen train --recipe default_denoiser --data /work/corpus --out RUN_DIR [--steps N] [--resume]

Nothing heavy is imported at module level (torch only inside :func:`run`).
"""

from __future__ import annotations

import argparse

HELP = "train a model (denoiser / vocoder / prior) from a recipe; resumable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", help="training config (TOML); or use --recipe")
    parser.add_argument("--config", dest="config_opt", metavar="TOML", help="same as the positional CONFIG")
    parser.add_argument("--recipe", help="a recipe shipped in exporters/train/recipes (e.g. default_denoiser)")
    parser.add_argument("--data", help="dataset folder or manifest (overrides [data] path)")
    parser.add_argument("--out", required=True, help="run folder: checkpoints, logs, samples, cache")
    parser.add_argument("--steps", type=int, help="total steps (overrides [loop] steps)")
    parser.add_argument("--batch-size", type=int, help="global batch size (overrides [loop] batch_size)")
    parser.add_argument("--cache-dir", help="cache folder (default: RUN_DIR/cache); share it between runs")
    parser.add_argument("--resume", action="store_true", help="continue from RUN_DIR/last.pt if it exists")
    parser.add_argument(
        "--init-from",
        metavar="CKPT|BUNDLE",
        help="start from these weights (a checkpoint, or a bundle folder such as models/default to fine-tune "
        "the shipped model); overrides [loop] init_from",
    )
    parser.add_argument("--cache-only", action="store_true", help="fill the cache and stop (run before torchrun)")
    parser.add_argument(
        "--cache-shard",
        metavar="I/N",
        help="with --cache-only: fill shard I of N (run N processes, I = 0..N-1, to decode a big set in parallel)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import logging
    import os
    from pathlib import Path

    from exporters.train.config import load_config, recipe_path
    from sfxgen.configs import ConfigError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("sfxgen.train")
    path = args.config or args.config_opt
    if bool(path) == bool(args.recipe):
        log.error("give exactly one of CONFIG.toml or --recipe NAME")
        return 2
    try:
        config = load_config(path) if path else load_config(recipe_path(args.recipe))
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    if args.data:
        config = config.replace(data=dataclasses.replace(config.data, path=str(Path(args.data).resolve())))
    if args.steps is not None:
        config = config.replace(loop=dataclasses.replace(config.loop, steps=args.steps))
    if args.batch_size is not None:
        config = config.replace(loop=dataclasses.replace(config.loop, batch_size=args.batch_size))
    if args.cache_dir:
        config = config.replace(cache_dir=str(Path(args.cache_dir).resolve()))
    init_bundle = None
    if args.init_from:
        init = Path(args.init_from).resolve()
        if not init.exists():
            log.error("--init-from %s: no such checkpoint or bundle folder", init)
            return 2
        if init.is_dir():  # a bundle: the weights of the task's module are recovered into RUN_DIR (import_bundle)
            init_bundle, init = init, Path(args.out).resolve() / "init_from_bundle.pt"
        config = config.replace(loop=dataclasses.replace(config.loop, init_from=str(init)))
    if not config.data.path:
        log.error("no dataset: pass --data DIR or set [data] path in the config")
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", str(config.loop.num_threads))

    import torch

    torch.set_num_threads(config.loop.num_threads)
    from exporters.train.data import DataError
    from exporters.train.loop import barrier, init_distributed, train
    from exporters.train.recipes import prepare

    out = Path(args.out)
    if args.cache_shard:
        try:
            i, n = (int(v) for v in args.cache_shard.split("/"))
        except ValueError:
            log.error("--cache-shard wants I/N, e.g. 0/8")
            return 2
        if not args.cache_only:
            log.error("--cache-shard only makes sense with --cache-only")
            return 2
        try:
            prepare(config, out, progress=not args.no_progress, shard=(i, n))
        except (DataError, ConfigError, ValueError) as exc:
            log.error("%s", exc)
            return 2
        return 0
    dist = init_distributed()
    if init_bundle is not None:
        from exporters.checkpoint import CheckpointError, save_checkpoint
        from exporters.import_bundle import checkpoint_from_bundle
        from sfxgen.bundle import BundleError

        if dist.is_main and not Path(config.loop.init_from).is_file():
            try:
                save_checkpoint(config.loop.init_from, checkpoint_from_bundle(init_bundle, roles=(config.task,)))
            except (BundleError, CheckpointError) as exc:
                log.error("--init-from %s: %s", init_bundle, exc)
                return 2
        barrier()
    try:
        if not dist.is_main:
            barrier()  # rank 0 fills the cache first; the others then read it
        task = prepare(config, out, progress=not args.no_progress and dist.is_main)
        if dist.is_main:
            barrier()
    except (DataError, ConfigError, ValueError) as exc:
        log.error("%s", exc)
        return 2
    if args.cache_only:
        log.info("cache ready for %d items", task.num_items())
        return 0
    from exporters.checkpoint import CheckpointError

    try:
        summary = train(config, task, out, resume=args.resume)
    except (FileExistsError, CheckpointError) as exc:
        log.error("%s", exc)
        return 2
    log.info("done: step %d, last loss %.5f", summary["step"], summary["loss"])
    return 0
