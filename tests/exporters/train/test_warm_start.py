import dataclasses

import pytest
import torch

from exporters.checkpoint import build_component, load_checkpoint, make_checkpoint, save_checkpoint
from exporters.train.warm_start import add_refiner, main, rescale_condition, with_refiner_of
from tests.exporters.tiny_components import DENOISER, DIFFUSION, MEL, perturb, tiny


def _inputs():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, DENOISER.n_mels, 16, generator=g)
    cond = torch.nn.functional.normalize(torch.randn(3, DENOISER.cond_dim, generator=g), dim=-1)
    return x, torch.tensor([3, 50, 97]), cond, torch.tensor([1.0, 0.0, 1.0])


def test_rescaled_condition_keeps_the_function_and_records_the_scale(tmp_path):
    model = perturb(tiny("denoiser_1d", DENOISER)).eval()
    ckpt = make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION, step=123)
    save_checkpoint(tmp_path / "a.pt", ckpt)
    assert main([str(tmp_path / "a.pt"), str(tmp_path / "b.pt"), "--cond-scale", "4.0"]) == 0
    new = load_checkpoint(tmp_path / "b.pt")
    assert new.components["denoiser"].spec["config"]["cond_scale"] == 4.0
    assert new.meta["warm_start"] == {"from_step": 123, "cond_scale": [1.0, 4.0]}
    a, b = build_component(load_checkpoint(tmp_path / "a.pt"), "denoiser"), build_component(new, "denoiser")
    assert b.embed.cond_scale == 4.0
    with torch.no_grad():
        torch.testing.assert_close(a(*_inputs()), b(*_inputs()), atol=1e-5, rtol=1e-5)


def test_rescale_refuses_a_non_positive_scale():
    model = tiny("denoiser_1d", DENOISER)
    ckpt = make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION)
    try:
        rescale_condition(ckpt, 0.0)
    except ValueError as exc:
        assert "positive" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_added_refiner_keeps_the_function_until_trained(tmp_path):
    model = perturb(tiny("denoiser_1d", DENOISER)).eval()
    save_checkpoint(tmp_path / "a.pt", make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION, step=7))
    assert main([str(tmp_path / "a.pt"), str(tmp_path / "b.pt"), "--refiner-channels", "8"]) == 0
    new = load_checkpoint(tmp_path / "b.pt")
    assert new.meta["warm_start"] == {"from_step": 7, "refiner": [8, 2]}
    b = build_component(new, "denoiser")
    assert b.refiner is not None and b.config.refiner_channels == 8
    with torch.no_grad():
        torch.testing.assert_close(model(*_inputs()), b(*_inputs()), atol=1e-6, rtol=1e-6)
        next(iter(b.refiner.conv_out.parameters())).add_(0.1)  # a trained refiner changes the output
        assert not torch.allclose(model(*_inputs()), b(*_inputs()), atol=1e-3)
    with pytest.raises(ValueError, match="already has a refiner"):
        add_refiner(new, 8)


def test_refiner_channels_must_fit_its_groups():
    with pytest.raises(ValueError, match="multiple of 8"):
        dataclasses.replace(DENOISER, refiner_channels=12)


def test_a_refiner_is_added_only_to_the_same_unet():
    ckpt = make_checkpoint({"denoiser": tiny("denoiser_1d", DENOISER)}, mel=MEL, diffusion=DIFFUSION)
    spec = ckpt.components["denoiser"].spec
    with_refiner = {**spec, "config": {**spec["config"], "refiner_channels": 8, "refiner_blocks": 1}}
    grown = with_refiner_of(ckpt, with_refiner)
    assert grown.components["denoiser"].spec["config"]["refiner_channels"] == 8
    assert with_refiner_of(ckpt, spec) is ckpt  # nothing to add
    assert with_refiner_of(grown, with_refiner) is grown  # already there
    other = {**with_refiner, "config": {**with_refiner["config"], "channels": 32, "norm_groups": 8}}
    assert with_refiner_of(ckpt, other) is ckpt  # another UNet: left for load_into to refuse
