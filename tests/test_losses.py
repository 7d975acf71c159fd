"""gan_helpers.losses against PyTorch and against the closed forms of section 8 of the spec."""

import math

import pytest
import torch
import torch.nn.functional as F

from gan_helpers.losses import bce_with_logits, d_loss_bce, g_loss_nonsaturating, g_loss_saturating


@pytest.mark.parametrize("shape", [(1,), (64,), (8, 1), (2, 3, 4)])
def test_bce_matches_torch_on_random_and_extreme_logits(shape):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(shape, generator=g) * 10
    a.view(-1)[0] = 1000.0
    a.view(-1)[-1] = -1000.0
    y = torch.rand(shape, generator=g)
    a.requires_grad_(True)
    ours, theirs = bce_with_logits(a, y), F.binary_cross_entropy_with_logits(a, y)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    (g1,) = torch.autograd.grad(ours, a)
    (g2,) = torch.autograd.grad(theirs, a)
    torch.testing.assert_close(g1, g2, rtol=1e-5, atol=1e-7)


def test_bce_rejects_bad_input_with_shapes_and_ranges():
    with pytest.raises(ValueError, match=r"logits' shape \[4\]; got \[4, 1\]"):
        bce_with_logits(torch.zeros(4), torch.zeros(4, 1))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        bce_with_logits(torch.zeros(2), torch.tensor([0.0, 2.0]))
    with pytest.raises(TypeError, match="floating-point"):
        bce_with_logits(torch.zeros(2, dtype=torch.long), 1.0)
    with pytest.raises(ValueError, match="empty"):
        bce_with_logits(torch.zeros(0), 1.0)


def test_zero_logit_discriminator_losses():
    zeros = torch.zeros(32, 1)
    torch.testing.assert_close(d_loss_bce(zeros, zeros), torch.tensor(2 * math.log(2)))
    torch.testing.assert_close(g_loss_nonsaturating(zeros), torch.tensor(math.log(2)))
    torch.testing.assert_close(g_loss_saturating(zeros), torch.tensor(-math.log(2)))


@pytest.mark.parametrize("a", [-7.0, -4.6, -2.0, 0.0, 3.0])
def test_generator_loss_gradients_in_logits(a):
    logit = torch.tensor([a], requires_grad=True)
    (g_ns,) = torch.autograd.grad(g_loss_nonsaturating(logit), logit)
    (g_s,) = torch.autograd.grad(g_loss_saturating(logit), logit)
    d = torch.sigmoid(torch.tensor(a))
    torch.testing.assert_close(g_ns, -(1 - d).reshape(1))  # |grad| = 1 - D
    torch.testing.assert_close(g_s, -d.reshape(1))         # |grad| = D
    assert (g_ns / g_s).item() == pytest.approx(math.exp(-a), rel=1e-4)  # ratio e^(-a): ~100x at -4.6
