"""Fixtures of the training tests: a fake corpus and tiny recipes (hashed encoder, tiny models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporters.train.config import TrainConfig, config_from_dict
from tests.exporters.train.fakes import make_fake_corpus

# {type, config} of a tiny 1D denoiser over 80 mels with a 16-d condition (trains in seconds on CPU)
TINY_DENOISER_MODEL = {
    "type": "denoiser_1d",
    "config": {
        "n_mels": 80,
        "cond_dim": 16,
        "channels": 16,
        "channel_mults": [1, 2],
        "num_res_blocks": 1,
        "norm_groups": 8,
        "attention": False,
    },
}


@pytest.fixture(scope="session")
def fake_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fake_corpus(tmp_path_factory.mktemp("corpus"))


def tiny_denoiser_config(corpus: Path, **loop: object) -> TrainConfig:
    return config_from_dict(
        {
            "task": "denoiser",
            "model": TINY_DENOISER_MODEL,
            "data": {"kind": "corpus", "path": str(corpus)},
            "encoder": {"type": "hashed", "config": {"dim": 16}},
            "denoiser": {"crop_frames": 32, "augment_variants": 1},
            "optim": {"lr": 1e-3, "warmup_steps": 2},
            "loop": {
                "steps": 12,
                "batch_size": 4,
                "log_every": 2,
                "checkpoint_every": 4,
                "checkpoint_minutes": 0,
                **loop,
            },
        }
    )


def tiny_vocoder_config(corpus: Path, **loop: object) -> TrainConfig:
    return config_from_dict(
        {
            "task": "vocoder",
            "model": {"type": "vocos", "config": {"n_mels": 80, "dim": 16, "intermediate_dim": 32, "num_layers": 1}},
            "data": {"kind": "corpus", "path": str(corpus)},
            "vocoder": {"segment_samples": 2048},
            "optim": {"lr": 1e-3, "warmup_steps": 2},
            "loop": {
                "steps": 8,
                "batch_size": 2,
                "log_every": 2,
                "checkpoint_every": 3,
                "checkpoint_minutes": 0,
                **loop,
            },
        }
    )
