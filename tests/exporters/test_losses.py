"""Adversarial losses on known inputs: hinge losses on constant logits, feature matching."""

import pytest
import torch

from exporters.losses import discriminator_hinge_loss, feature_matching_loss, generator_hinge_loss


def _const(value: float, shape: tuple[int, ...] = (2, 7)) -> torch.Tensor:
    return torch.full(shape, value)


@pytest.mark.parametrize(("real", "fake"), [(0.0, 0.0), (2.0, -3.0), (0.25, 0.5), (-1.5, 1.5)])
def test_hinge_losses_on_constant_logits_equal_the_formula(real: float, fake: float) -> None:
    d = discriminator_hinge_loss([_const(real)], [_const(fake)])
    assert d.item() == pytest.approx(max(0.0, 1 - real) + max(0.0, 1 + fake))
    assert generator_hinge_loss([_const(fake)]).item() == pytest.approx(max(0.0, 1 - fake))


def test_hinge_losses_average_over_sub_discriminators() -> None:
    real, fake = [_const(0.0, (2, 5)), _const(2.0, (2, 9))], [_const(0.5, (2, 5)), _const(-2.0, (2, 9))]
    assert discriminator_hinge_loss(real, fake).item() == pytest.approx(((1 + 1.5) + (0 + 0)) / 2)
    assert generator_hinge_loss(fake).item() == pytest.approx((0.5 + 3.0) / 2)


def test_feature_matching_sums_layers_and_averages_sub_discriminators() -> None:
    real = [[_const(1.0), _const(0.0, (2, 3, 4))], [_const(2.0)]]
    fake = [[_const(0.5), _const(-2.0, (2, 3, 4))], [_const(2.0)]]
    assert feature_matching_loss(real, fake).item() == pytest.approx(((0.5 + 2.0) + 0.0) / 2)


def test_feature_matching_treats_real_features_as_targets() -> None:
    real = torch.randn(2, 6, requires_grad=True)
    fake = torch.randn(2, 6, requires_grad=True)
    feature_matching_loss([[real]], [[fake]]).backward()
    assert real.grad is None and fake.grad is not None
