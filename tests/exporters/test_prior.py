from pathlib import Path

import numpy as np
import pytest
import torch

from exporters import parity as par
from exporters.configs import DiffusionConfig, PriorConfig, build, make_spec
from exporters.diffusion import TorchDiffusion
from exporters.export import export_prior
from exporters.models.prior import DiffusionPrior
from sfxgen.configs import Prediction, ScheduleConfig

TINY = PriorConfig(embed_dim=16, token_dim=8, max_tokens=12, width=32, depth=2, num_heads=4)
DIFF = DiffusionConfig(schedule=ScheduleConfig(num_train_steps=100), prediction=Prediction.X0)


def _inputs(b: int, tokens: int):
    return (
        torch.randn(b, 16),
        torch.randint(0, 100, (b,)),
        torch.nn.functional.normalize(torch.randn(b, 16), dim=-1),
        torch.randn(b, tokens, 8),
        torch.ones(b),
    )


@pytest.mark.parametrize("tokens", [1, 5, 12])
def test_shapes(tokens: int) -> None:
    model = build(make_spec("prior", TINY))
    assert isinstance(model, DiffusionPrior)
    assert model(*_inputs(3, tokens)).shape == (3, 16)


def test_null_text_and_causality() -> None:
    model = DiffusionPrior(TINY).eval()
    x, t, emb, tok, _ = _inputs(2, 5)
    zero = torch.zeros(2)
    torch.testing.assert_close(model(x, t, emb, tok, zero), model(x, t, -emb, tok * 3, zero))
    assert (model(x, t, emb, tok, torch.ones(2)) - model(x, t, -emb, tok, torch.ones(2))).abs().max() > 1e-4
    seen = {}
    model.blocks[-1].register_forward_hook(lambda m, i, o: seen.__setitem__("h", o.clone()))  # (B, S, D)
    model(x, t, emb, tok, torch.ones(2))
    h1 = seen["h"]
    model(x + 1.0, t, emb, tok, torch.ones(2))  # x_t sits at position L + 2: earlier positions must not see it
    torch.testing.assert_close(h1[:, : 5 + 2], seen["h"][:, : 5 + 2])
    assert (h1[:, 5 + 2 :] - seen["h"][:, 5 + 2 :]).abs().max() > 1e-4


def test_prior_loss_decreases() -> None:
    model = DiffusionPrior(TINY)
    diff = TorchDiffusion(DIFF)
    img = torch.randn(8, 16)
    text, tok = torch.randn(8, 16), torch.randn(8, 5, 8)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def eval_loss() -> float:
        with torch.no_grad():
            return sum(
                diff.prior_loss(model, img, text, tok, generator=torch.Generator().manual_seed(s)).item()
                for s in range(8)
            )

    before = eval_loss()
    g = torch.Generator().manual_seed(0)
    for _ in range(60):
        loss = diff.prior_loss(model, img, text, tok, generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert eval_loss() < 0.6 * before


def test_prior_export_parity(tmp_path: Path) -> None:
    model = DiffusionPrior(TINY).eval()
    spec = export_prior(model, tmp_path / "p.onnx")
    assert [t.name for t in spec.inputs] == ["x_t", "t", "text_embed", "text_tokens", "cond_mask"]
    sess = par.ort_session(tmp_path / "p.onnx")
    for b, L in [(1, 3), (4, 12)]:  # traced at (2, 5)
        feeds = {k: v.numpy() for k, v in zip(["x_t", "t", "text_embed", "text_tokens", "cond_mask"], _inputs(b, L))}
        feeds["cond_mask"][0] = 0.0
        ref = model(*(torch.from_numpy(v) for v in feeds.values())).detach().numpy()
        np.testing.assert_allclose(sess.run(["out"], feeds)[0], ref, atol=1e-5)
    rep = par.prior_parity(model, tmp_path / "p.onnx", DIFF, tokens=12)
    assert rep.ok and rep.max_abs < 1e-4, rep
