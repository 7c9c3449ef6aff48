"""Sampler contract on analytic models whose exact answer is known, and the CFG formula."""

from __future__ import annotations

import numpy as np
import pytest

from sfxgen import samplers
from sfxgen.configs import Prediction, ScheduleConfig
from sfxgen.samplers import SamplerName
from sfxgen.schedule import make_schedule, spaced_timesteps

SCHED = make_schedule(ScheduleConfig(num_train_steps=1000))


def _as_prediction(x0: np.ndarray, x_t: np.ndarray, abar: np.ndarray, prediction: Prediction) -> np.ndarray:
    alpha, sigma = np.sqrt(abar), np.sqrt(1 - abar)
    eps = (x_t - alpha * x0) / sigma
    return {Prediction.X0: x0, Prediction.EPS: eps, Prediction.V: alpha * eps - sigma * x0}[prediction]


def delta_model(c: float, prediction: Prediction):
    """Data is the point c: the exact denoiser predicts x0 = c everywhere."""

    def fn(x_t, t):
        abar = SCHED.alphas_cumprod[t].reshape(-1, *([1] * (x_t.ndim - 1)))
        return _as_prediction(np.full_like(x_t, c), x_t, abar, prediction)

    return fn


def gaussian_model(mu: float, s: float, prediction: Prediction):
    """Data N(mu, s^2) per dim: E[x0 | x_t] = mu + alpha s^2 (x_t - alpha mu) / (alpha^2 s^2 + sigma^2)."""

    def fn(x_t, t):
        abar = SCHED.alphas_cumprod[t].reshape(-1, *([1] * (x_t.ndim - 1)))
        alpha = np.sqrt(abar)
        x0 = mu + alpha * s**2 * (x_t - alpha * mu) / (abar * s**2 + 1 - abar)
        return _as_prediction(x0, x_t, abar, prediction)

    return fn


def ode_solution(x_T: np.ndarray, mu: float, s: float) -> np.ndarray:
    """Exact probability-flow map of Gaussian data: x_T -> mu + s z with z the standardised x_T."""
    abar = SCHED.alphas_cumprod[-1]
    z = (x_T - np.sqrt(abar) * mu) / np.sqrt(abar * s**2 + 1 - abar)
    return mu + s * z


@pytest.mark.parametrize("name", list(SamplerName))
@pytest.mark.parametrize("prediction", list(Prediction))
def test_delta_data_is_recovered_exactly(name, prediction):
    rng = np.random.default_rng(0)
    x_T = rng.standard_normal((3, 2, 5))
    rngs = [np.random.default_rng(i) for i in range(3)]
    ts = spaced_timesteps(1000, 10)
    out = samplers.sample(name, delta_model(0.7, prediction), x_T, SCHED, ts, prediction, rngs=rngs)
    np.testing.assert_allclose(out, 0.7, atol=1e-9)


@pytest.mark.parametrize("prediction", [Prediction.EPS, Prediction.V])
def test_deterministic_samplers_follow_the_gaussian_ode(prediction):
    mu, s = 0.5, 0.3
    x_T = np.random.default_rng(1).standard_normal((16, 8))
    exact = ode_solution(x_T, mu, s)
    errors = {}
    DDIM, DPM = SamplerName.DDIM, SamplerName.DPMPP_2M
    for name, steps in [(DDIM, 25), (DDIM, 250), (DDIM, 500), (DPM, 25), (DPM, 100)]:
        ts = spaced_timesteps(1000, steps)
        out = samplers.sample(name, gaussian_model(mu, s, prediction), x_T, SCHED, ts, prediction)
        errors[name, steps] = float(np.abs(out - exact).max())
    # DDIM is first order: it converges to the exact ODE solution, error ~ 1/steps
    assert errors[SamplerName.DDIM, 500] < 6e-3
    assert errors[SamplerName.DDIM, 500] < 0.6 * errors[SamplerName.DDIM, 250]
    # DPM-Solver++(2M) is second order: far closer at equal steps (measured 0.012 vs 0.073 at 25 steps)
    assert errors[SamplerName.DPMPP_2M, 25] < 0.25 * errors[SamplerName.DDIM, 25]
    assert errors[SamplerName.DPMPP_2M, 100] < 1e-3


def test_ddpm_samples_the_gaussian_distribution():
    mu, s, n = -0.4, 0.6, 4000
    rngs = [np.random.default_rng(i) for i in range(n)]
    x_T = samplers.randn(rngs, (1,))
    ts = spaced_timesteps(1000, 100)
    out = samplers.sample(SamplerName.DDPM, gaussian_model(mu, s, Prediction.EPS), x_T, SCHED, ts, Prediction.EPS, rngs)
    # standard errors: mean s/sqrt(n) ~ 0.0095, std ~ s/sqrt(2n) ~ 0.0067
    assert abs(out.mean() - mu) < 0.04
    assert abs(out.std() - s) < 0.03


def test_a_seed_fully_determines_ddpm_output():
    ts = spaced_timesteps(1000, 20)

    def run(seeds):
        rngs = [np.random.default_rng(s) for s in seeds]
        x_T = samplers.randn(rngs, (4,))
        return samplers.sample(
            SamplerName.DDPM, gaussian_model(0, 1, Prediction.EPS), x_T, SCHED, ts, Prediction.EPS, rngs
        )

    a, b = run([5, 6, 7]), run([5, 6, 7])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(run([6])[0], a[1])  # a numpy model: row i independent of the batch
    assert not np.allclose(a[0], a[1])


def test_cfg_formula_and_single_batched_call():
    calls = []
    cond_out, uncond_out = 2.0, -1.0

    def net(x, t):
        calls.append(x.shape[0])
        B = x.shape[0] // 2
        return np.concatenate([np.full((B, *x.shape[1:]), cond_out), np.full((B, *x.shape[1:]), uncond_out)])

    for w in (0.0, 1.0, 1.5, 3.0):
        out = samplers.guided(net, w)(np.zeros((3, 2)), np.zeros(3, np.int64))
        np.testing.assert_allclose(out, (1 - w) * uncond_out + w * cond_out)  # eps = (1-w) eps_u + w eps_c
    assert calls == [6, 6, 6, 6]  # cond + uncond in ONE call of batch 2B


def test_cancel_from_step_callback_stops_the_loop():
    seen = []

    class Stop(Exception):  # noqa: N818
        pass

    def on_step(done, total):
        seen.append(done)
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        samplers.sample(
            SamplerName.DDIM, delta_model(0, Prediction.EPS), np.zeros((1, 2)), SCHED, spaced_timesteps(1000, 10),
            Prediction.EPS, on_step=on_step,
        )  # fmt: skip
    assert seen == [1, 2, 3]
