from pathlib import Path

import numpy as np
import pytest
import torch

from exporters import parity as par
from exporters.checkpoint import make_checkpoint, save_checkpoint
from exporters.configs import UNet2DConfig, build, make_spec
from exporters.export import export_bundle, export_denoiser
from exporters.models.unet_2d import UNet2D
from tests.exporters.tiny_components import DIFFUSION, MEL, perturb, tiny_query_exporter

TINY = UNet2DConfig(
    n_mels=16,
    cond_dim=16,
    channels=8,
    channel_mults=(1, 2),
    num_res_blocks=1,
    attention_levels=(1,),
    num_heads=2,
    norm_groups=4,
)


def _inputs(b: int, frames: int):
    return torch.randn(b, 16, frames), torch.randint(0, 100, (b,)), torch.randn(b, 16), torch.ones(b)


def test_shapes_any_length_and_null_swap() -> None:
    model = perturb(build(make_spec("unet_2d", TINY))).eval()
    assert isinstance(model, UNet2D) and model.config.frames_multiple == 2
    for frames in (2, 10, 32):
        assert model(*_inputs(2, frames)).shape == (2, 16, frames)
    x, t, c, _ = _inputs(2, 8)
    torch.testing.assert_close(model(x, t, c, torch.zeros(2)), model(x, t, -c, torch.zeros(2)))
    assert (model(x, t, c, torch.ones(2)) - model(x, t, -c, torch.ones(2))).abs().max() > 1e-4
    with pytest.raises(ValueError, match="multiples of 2"):
        model(*_inputs(1, 7))


def test_export_parity_and_bundle(tmp_path: Path) -> None:
    model = perturb(UNet2D(TINY)).eval()
    export_denoiser(model, tmp_path / "u.onnx")
    sess = par.ort_session(tmp_path / "u.onnx")
    feeds = {k: v.numpy() for k, v in zip(["x_t", "t", "cond", "cond_mask"], _inputs(3, 20))}  # traced at (2, 4)
    ref = model(*(torch.from_numpy(v) for v in feeds.values())).detach().numpy()
    np.testing.assert_allclose(sess.run(["out"], feeds)[0], ref, atol=1e-5)
    rep = par.denoiser_parity(model, tmp_path / "u.onnx", DIFFUSION)
    assert rep.ok and rep.max_abs < 1e-4, rep
    ck = save_checkpoint(tmp_path / "u.pt", make_checkpoint({"denoiser": model}, mel=MEL, diffusion=DIFFUSION))
    bundle, _ = export_bundle(ck, tmp_path / "b", query_exporter=tiny_query_exporter)
    assert bundle.graphs["denoiser"].config["type"] == "unet_2d"
