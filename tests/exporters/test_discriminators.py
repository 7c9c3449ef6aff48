"""MPD and MRD discriminators: output shapes for odd lengths, batch independence, registry."""

import pytest
import torch

from exporters.configs import (
    MultiPeriodDiscriminatorConfig,
    MultiResolutionDiscriminatorConfig,
    build,
    make_spec,
    parse_spec,
    spec_of,
)
from exporters.models.discriminators import Discriminators, MultiPeriodDiscriminator, MultiResolutionDiscriminator
from sfxgen.configs import ConfigError

MPD = MultiPeriodDiscriminatorConfig(periods=(2, 3, 5), channels=(4, 8, 8))
MRD = MultiResolutionDiscriminatorConfig(fft_sizes=(64, 128), channels=4)


def _halve(n: int, times: int) -> int:
    """Length after `times` convs of stride 2 whose padding is (kernel - 1) / 2."""
    for _ in range(times):
        n = (n - 1) // 2 + 1
    return n


@pytest.mark.parametrize("samples", [1001, 2047])
def test_mpd_shapes_for_odd_lengths(samples: int) -> None:
    logits, fmaps = build(make_spec("mpd", MPD))(torch.randn(2, samples))
    assert len(logits) == len(fmaps) == 3
    for p, lg, fm in zip(MPD.periods, logits, fmaps, strict=True):
        height = -(-samples // p)  # folded length ceil(S / p)
        for _ in range(len(MPD.channels) - 1):  # every conv but the last has stride 3 (kernel 5, padding 2)
            height = (height - 1) // 3 + 1
        assert lg.shape == (2, height * p)
        assert [f.shape[1] for f in fm] == [4, 8, 8, 1] and all(f.shape[-1] == p for f in fm)
        assert fm[-1].shape == (2, 1, height, p)


@pytest.mark.parametrize("samples", [1001, 2047])
def test_mrd_shapes_for_odd_lengths(samples: int) -> None:
    logits, fmaps = build(make_spec("mrd", MRD))(torch.randn(2, samples))
    assert len(logits) == len(fmaps) == 2
    for n_fft, lg, fm in zip(MRD.fft_sizes, logits, fmaps, strict=True):
        freq, frames = n_fft // 2 + 1, 1 + samples // (n_fft // 4)  # centred STFT
        out_f, out_t = _halve(freq, 5), _halve(frames, 3)  # frequency stride 2 five times, time stride 2 three times
        assert lg.shape == (2, out_f * out_t)
        assert len(fm) == 6 and fm[0].shape[:2] == (2, 4) and fm[-1].shape == (2, 1, out_f, out_t)


def test_batch_items_are_independent() -> None:
    """One call on cat([real, fake]) equals two calls (the task's single D pass over both)."""
    torch.manual_seed(0)
    disc = Discriminators({"mpd": MultiPeriodDiscriminator(MPD), "mrd": MultiResolutionDiscriminator(MRD)})
    a, b = torch.randn(2, 1500), torch.randn(3, 1500)
    both, alone = disc(torch.cat([a, b])), disc(b)
    for name in ("mpd", "mrd"):
        for joint, single in zip(both[name][0], alone[name][0], strict=True):
            torch.testing.assert_close(joint[2:], single, atol=1e-5, rtol=1e-4)


def test_registered_weight_normed_and_strict_config() -> None:
    mpd = build({"type": "mpd", "config": {"periods": [2, 3]}})
    assert spec_of(mpd) == make_spec("mpd", MultiPeriodDiscriminatorConfig(periods=(2, 3)))
    assert all(torch.nn.utils.parametrize.is_parametrized(c, "weight") for c in mpd.discriminators[0].convs)
    assert MultiPeriodDiscriminatorConfig().periods == (2, 3, 5, 7, 11)  # HiFi-GAN
    assert MultiResolutionDiscriminatorConfig().fft_sizes == (512, 1024, 2048)  # Vocos
    with pytest.raises(ConfigError, match="unknown key"):
        parse_spec({"type": "mrd", "config": {"fft_size": [512]}})
    with pytest.raises(ConfigError, match="odd"):
        parse_spec({"type": "mpd", "config": {"kernel_size": 4}})
