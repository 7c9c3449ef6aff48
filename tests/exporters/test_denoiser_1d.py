import pytest
import torch

from exporters.configs import Denoiser1DConfig, build, make_spec
from exporters.models.denoiser_1d import Denoiser1D

TINY = Denoiser1DConfig(
    n_mels=8, cond_dim=6, channels=16, channel_mults=(1, 2), num_res_blocks=1, norm_groups=4, num_heads=2
)


def perturb(model: torch.nn.Module) -> torch.nn.Module:
    """Randomise the zero-initialised layers so that every input can change the output."""
    with torch.no_grad():
        for p in model.parameters():
            if p.abs().max() == 0:
                p.normal_(std=0.1)
    return model


def _inputs(b: int, frames: int, cfg: Denoiser1DConfig = TINY):
    return (
        torch.randn(b, cfg.n_mels, frames),
        torch.randint(0, 1000, (b,)),
        torch.randn(b, cfg.cond_dim),
        torch.ones(b),
    )


@pytest.mark.parametrize("frames", [2, 8, 30, 128])
def test_any_length_multiple(frames: int) -> None:
    model = Denoiser1D(TINY)
    # zero-initialised output conv would give all-zero output: perturb so the test can fail
    perturb(model)
    out = model(*_inputs(3, frames))
    assert out.shape == (3, 8, frames)
    assert out.abs().sum() > 0


def test_rejects_frames_not_multiple() -> None:
    model = Denoiser1D(Denoiser1DConfig(n_mels=8, cond_dim=6, channels=16, channel_mults=(1, 2, 2), norm_groups=4))
    assert model.config.frames_multiple == 4
    with pytest.raises(ValueError, match="multiple of 4"):
        model(*_inputs(1, 10))


def test_null_condition_swap() -> None:
    model = Denoiser1D(TINY).eval()
    perturb(model)
    x, t, cond, _ = _inputs(2, 16)
    other = torch.randn_like(cond)
    zero = torch.zeros(2)
    # with cond_mask 0 the condition is ignored (the learned null embedding is used)
    torch.testing.assert_close(model(x, t, cond, zero), model(x, t, other, zero))
    # with cond_mask 1 it matters
    assert (model(x, t, cond, torch.ones(2)) - model(x, t, other, torch.ones(2))).abs().max() > 1e-4
    # per-row: row 0 masked, row 1 not
    mixed = model(x, t, cond, torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(mixed[0], model(x, t, other, zero)[0])
    torch.testing.assert_close(mixed[1], model(x, t, cond, torch.ones(2))[1])


def test_build_dispatch_and_attention_toggle() -> None:
    m = build(
        {
            "type": "denoiser_1d",
            "config": {
                "n_mels": 8,
                "cond_dim": 6,
                "channels": 16,
                "channel_mults": [1, 2],
                "norm_groups": 4,
                "attention": False,
            },
        }
    )
    assert isinstance(m, Denoiser1D) and isinstance(m.mid_attn, torch.nn.Identity)
    assert make_spec("denoiser_1d", TINY)["config"]["channel_mults"] == [1, 2]


def test_step_time_helpers_run() -> None:
    from exporters.configs import VocosConfig
    from exporters.models.step_time import denoiser_step_time, vocoder_step_time

    sec, n = denoiser_step_time(TINY, batch=2, frames=8, repeats=1)
    assert sec > 0 and n == sum(p.numel() for p in Denoiser1D(TINY).parameters())
    sec, n = vocoder_step_time(VocosConfig(dim=16, intermediate_dim=32, num_layers=1), batch=1, samples=2048, repeats=1)
    assert sec > 0 and n > 0
