import pytest

from exporters.configs import (
    Denoiser1DConfig,
    DiffusionConfig,
    build,
    diffusion_from_dict,
    diffusion_to_dict,
    parse_spec,
)
from sfxgen.configs import ConfigError, Prediction


def test_unknown_type_fails_loudly() -> None:
    with pytest.raises(ConfigError, match=r"unknown type 'nope'.*denoiser_1d"):
        build({"type": "nope", "config": {}})


def test_unknown_key_fails_loudly() -> None:
    with pytest.raises(ConfigError, match=r"unknown key.*chanels"):
        parse_spec({"type": "denoiser_1d", "config": {"chanels": 3}})
    with pytest.raises(ConfigError, match="expected"):
        parse_spec({"type": "denoiser_1d", "cfg": {}})


def test_invalid_values() -> None:
    with pytest.raises(ConfigError, match="odd"):
        parse_spec({"type": "denoiser_1d", "config": {"kernel_size": 4}})
    with pytest.raises(ValueError, match="norm_groups"):
        Denoiser1DConfig(channels=20, norm_groups=8)


def test_diffusion_round_trip() -> None:
    cfg = DiffusionConfig(prediction=Prediction.V, cond_dropout=0.2)
    assert diffusion_from_dict(diffusion_to_dict(cfg)) == cfg
    with pytest.raises(ConfigError):
        diffusion_from_dict({"schedule": {"kind": "cosine", "bogus": 1}})
