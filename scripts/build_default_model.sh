#!/usr/bin/env bash
# How models/default was made, end to end, with this repository's own code (CPU is enough; hours).
#   bash scripts/build_default_model.sh [CORPUS_DIR] [RUNS_DIR]
# Each stage resumes where it stopped: re-run the script after an interruption.
# The shipped bundle's last 6.8k steps ran on a lent GPU at batch 128 (docs/training.md): on a GPU machine
# use NPROC=1 BATCH=128 (one process per GPU; BATCH is the global batch) and HARDWARE="..." for the data card.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
corpus="${1:-$HOME/sfxgen-corpus}"
runs="${2:-$HOME/sfxgen-runs}"
steps="${STEPS:-20000}"
bash scripts/setup.sh dev
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1
sfx=.venv/bin/sfxgen

# 1. corpus: Debian sound packages + GM soundfont one-shots, rules in exporters/corpus/rules.toml
#    (since v10 some rules give files captions of their own; the shipped denoiser trained before that, on the
#    category captions alone, so a rebuild from scratch trains on slightly richer text than it did)
$sfx corpus build "$corpus"
# 2. denoiser (MiniLM-conditioned 1-D UNet); by default two ranks on a 2-core machine, global batch 32
mkdir -p "$runs/default_denoiser"
.venv/bin/torchrun --standalone --nproc_per_node="${NPROC:-2}" -m exporters.train \
  --config exporters/train/recipes/default_denoiser.toml --data "$corpus" --out "$runs/default_denoiser" \
  --cache-dir "$runs/cache_denoiser" --batch-size "${BATCH:-32}" --steps "$steps" --resume --no-progress
# 2b. the denoiser's 2-D frequency refiner, trained alone on the frozen UNet (one process, two threads)
mkdir -p "$runs/default_refiner"
OMP_NUM_THREADS=2 .venv/bin/python -m exporters.train --recipe default_refiner --data "$corpus" \
  --out "$runs/default_refiner" --init-from "$runs/default_denoiser/last.pt" --cache-dir "$runs/cache_denoiser" \
  --steps "${REFINER_STEPS:-9800}" --resume --no-progress
# 2c. then UNet and refiner together at a small learning rate (one process, two threads)
mkdir -p "$runs/default_joint"
OMP_NUM_THREADS=2 .venv/bin/python -m exporters.train --recipe default_joint --data "$corpus" \
  --out "$runs/default_joint" --init-from "$runs/default_refiner/last.pt" --cache-dir "$runs/cache_denoiser" \
  --steps "${JOINT_STEPS:-14100}" --resume --no-progress
# 3. vocoder: mel -> magnitude post-net trained through the runtime's Griffin-Lim from a PGHI start (one
#    process, two threads). The shipped one took 7180 steps from random starts, then 4000 from PGHI
#    (vocoder.gl_phase_init was added in between; docs/training.md)
mkdir -p "$runs/vocoder_glpost"
OMP_NUM_THREADS=2 .venv/bin/python -m exporters.train --recipe mag_postnet_gl --data "$corpus" \
  --out "$runs/vocoder_glpost" --cache-dir "$runs/cache_vocoder" --steps "${VOCODER_STEPS:-8000}" --resume --no-progress
# 4. model card, export (fp16 text encoder, fp32 denoiser and vocoder), sound library, evaluation
.venv/bin/python -m exporters.model_card --corpus "$corpus" --denoiser-run "$runs/default_denoiser" \
  --vocoder-run "$runs/vocoder_glpost" --hardware "${HARDWARE:-CPU only (2-core shared VM)}" --out "$runs/unet_card.json"
.venv/bin/python -m exporters.model_card --base-bundle "$runs/unet_card.json" --denoiser-run "$runs/default_refiner" \
  --history "A 2-D frequency refiner trained alone on the frozen UNet (recipe default_refiner)." \
  --out "$runs/refiner_card.json"
.venv/bin/python -m exporters.model_card --base-bundle "$runs/refiner_card.json" --denoiser-run "$runs/default_joint" \
  --history "UNet and refiner then trained together (recipe default_joint)." --out "$runs/model_card.json"
export_default() {  # $1: the bundle's default guidance w
  $sfx export "$runs/default_joint/last.pt" --vocoder "$runs/vocoder_glpost/last.pt" --out models/default \
    --encoder-precision fp16 --bundle-id sfxgen-default-v10 \
    --license "CC-BY-SA-3.0 / GPL-2+ (training data; see data card)" --data-card "$runs/model_card.json" \
    --steps 25 --sampler dpmpp_2m --guidance "$1" --overwrite
  cp "$runs/model_card.md" models/default/DATA_CARD.md
  # the training split's recordings, the start points of prompts at strength STRENGTH (1: generation from noise)
  $sfx library models/default --corpus "$corpus" --strength "${STRENGTH:-0.85}"
}
export_default "${GUIDANCE:-2}"
$sfx eval models/default --corpus "$corpus" --out docs/eval
# 5. record the guidance the evaluation chose as the bundle's default
chosen=$(.venv/bin/python -c 'import json,sys; print(json.load(open("docs/eval/eval.json"))["chosen_guidance"])')
if [ "$chosen" != "${GUIDANCE:-2}" ]; then
  export_default "$chosen"
fi
