import numpy as np
import pytest
import torch

from exporters.configs import Denoiser1DConfig, DiffusionConfig
from exporters.diffusion import EMA, TorchDiffusion, numpy_model_fn
from exporters.models.denoiser_1d import Denoiser1D
from sfxgen.configs import Prediction, ScheduleConfig
from sfxgen.samplers import to_x0_eps

TINY = Denoiser1DConfig(
    n_mels=8, cond_dim=6, channels=16, channel_mults=(1, 2), num_res_blocks=1, norm_groups=4, num_heads=2
)


@pytest.mark.parametrize("prediction", [Prediction.EPS, Prediction.V, Prediction.X0])
def test_target_inverts_with_runtime_conversion(prediction: Prediction) -> None:
    """The torch training target, fed to the runtime's to_x0_eps, gives back x0 and eps exactly."""
    diff = TorchDiffusion(DiffusionConfig(prediction=prediction))
    x0 = torch.randn(4, 8, 16, dtype=torch.float64)
    noise = torch.randn_like(x0)
    t = torch.tensor([0, 10, 500, 999])
    x_t = diff.q_sample(x0, t, noise)
    target = diff.target(x0, t, noise)
    for i in range(4):
        abar = float(diff.schedule.alphas_cumprod[int(t[i])])
        x0_hat, eps_hat = to_x0_eps(target[i].numpy(), x_t[i].numpy(), abar, prediction)
        np.testing.assert_allclose(x0_hat, x0[i].numpy(), atol=1e-6 if i < 3 else 1e-3)
        np.testing.assert_allclose(eps_hat, noise[i].numpy(), atol=1e-6 if i > 0 else 1e-3)


def test_cond_dropout_rate() -> None:
    diff = TorchDiffusion(DiffusionConfig(cond_dropout=0.1))
    g = torch.Generator().manual_seed(1)
    kept = diff.drop_cond(torch.ones(20000), g)
    assert set(kept.unique().tolist()) == {0.0, 1.0}
    assert abs(1.0 - kept.mean().item() - 0.1) < 0.01


@pytest.mark.parametrize("prediction", [Prediction.EPS, Prediction.V])
def test_loss_decreases_on_toy_batch(prediction: Prediction) -> None:
    model = Denoiser1D(TINY)
    diff = TorchDiffusion(DiffusionConfig(schedule=ScheduleConfig(num_train_steps=100), prediction=prediction))
    x0 = torch.sin(torch.linspace(0, 6, 16))[None, None].repeat(4, 8, 1)
    cond = torch.randn(4, 6)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    def eval_loss() -> float:  # fixed t, noise and dropout draws
        with torch.no_grad():
            return sum(
                diff.denoiser_loss(model, x0, cond, generator=torch.Generator().manual_seed(s)).item() for s in range(8)
            )

    before = eval_loss()
    g = torch.Generator().manual_seed(0)
    for _ in range(80):
        loss = diff.denoiser_loss(model, x0, cond, generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert eval_loss() < 0.6 * before


def test_ema_tracks_and_round_trips() -> None:
    model = Denoiser1D(TINY)
    ema = EMA(model, decay=0.5)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    ema.update(model)  # warm-up decay min(0.5, 2/11)
    d = 2 / 11
    p0 = next(model.parameters())
    e0 = next(ema.model.parameters())
    torch.testing.assert_close(e0, d * (p0 - 1.0) + (1 - d) * p0)
    other = EMA(model, decay=0.9)
    other.load_state_dict(ema.state_dict())
    assert other.num_updates == 1 and other.decay == 0.5
    torch.testing.assert_close(next(other.model.parameters()), e0)


def test_numpy_model_fn_matches_torch() -> None:
    model = Denoiser1D(TINY).eval()
    cond, mask = np.random.randn(2, 6), np.ones(2)
    fn = numpy_model_fn(model, cond, mask)
    x = np.random.randn(2, 8, 16)
    out = fn(x, np.array([3, 7]))
    assert out.dtype == np.float64 and out.shape == (2, 8, 16)
    ref = model(
        torch.tensor(x, dtype=torch.float32),
        torch.tensor([3, 7]),
        torch.tensor(cond, dtype=torch.float32),
        torch.ones(2),
    )
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-6)
