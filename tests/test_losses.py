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


# ---- the other loss families and the regularisers ----------------------------------------------

from gan_helpers.losses import (  # noqa: E402
    critic_loss_wasserstein, d_loss_hinge, d_loss_lsgan, g_loss_hinge, g_loss_lsgan, g_loss_wasserstein,
    gradient_penalty, path_length_penalty, r1_penalty,
)


def test_lsgan_hinge_and_wasserstein_closed_forms():
    real = torch.tensor([2.0, 0.0, -1.0])
    fake = torch.tensor([0.5, -3.0])
    # LSGAN: ½ mean((r−1)²) + ½ mean(f²) = ½·(1+1+4)/3 + ½·(0.25+9)/2
    assert d_loss_lsgan(real, fake).item() == pytest.approx(0.5 * 6 / 3 + 0.5 * 9.25 / 2)
    assert g_loss_lsgan(fake).item() == pytest.approx(0.5 * (0.25 + 16) / 2)
    # hinge: mean(relu(1−r)) + mean(relu(1+f)) = (0+1+2)/3 + (1.5+0)/2
    assert d_loss_hinge(real, fake).item() == pytest.approx(1.0 + 0.75)
    assert g_loss_hinge(fake).item() == pytest.approx(1.25)
    # Wasserstein: mean(f) − mean(r)
    assert critic_loss_wasserstein(real, fake).item() == pytest.approx(-1.25 - 1 / 3)
    assert g_loss_wasserstein(fake).item() == pytest.approx(1.25)
    zeros = torch.zeros(4)
    assert d_loss_lsgan(zeros, zeros).item() == pytest.approx(0.5)
    assert d_loss_hinge(zeros, zeros).item() == pytest.approx(2.0)


class LinearCritic(torch.nn.Module):
    """D(x) = w·flatten(x) + b: its input gradient is w for every sample."""

    def __init__(self, dim, scale):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(dim, generator=torch.Generator().manual_seed(1)) * scale)
        self.b = torch.nn.Parameter(torch.tensor(0.3))

    def forward(self, x):
        return x.flatten(1) @ self.w + self.b


@pytest.mark.parametrize("scale", [0.05, 0.3, 1.0])
def test_gradient_penalty_of_a_linear_critic_is_closed_form(scale):
    critic = LinearCritic(3 * 4 * 4, scale)
    real, fake = torch.rand(8, 3, 4, 4) * 2 - 1, torch.rand(8, 3, 4, 4) * 2 - 1
    gp = gradient_penalty(critic, real, fake, weight=10.0)
    norm = critic.w.detach().norm()
    expected = 10.0 * (norm - 1) ** 2  # per sample, so also the mean; a .mean() bug gives (‖w‖/8 − 1)²
    torch.testing.assert_close(gp.detach(), expected, rtol=1e-5, atol=1e-6)
    # create_graph=True: the penalty trains the critic, with gradient 2λ(‖w‖−1) w/‖w‖
    gp.backward()
    torch.testing.assert_close(critic.w.grad, 20.0 * (norm - 1) * critic.w.detach() / norm, rtol=1e-4, atol=1e-6)


def test_gradient_penalty_interpolates_per_sample():
    seen = []

    def critic(x):
        seen.append(x.detach().clone())
        return x.flatten(1).sum(1)

    real, fake = torch.ones(5, 2, 3, 3), -torch.ones(5, 2, 3, 3)
    gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(0))
    x_hat = seen[0]
    per_sample = x_hat.flatten(1)
    # one ε per sample: every pixel of a sample is the same mix, and samples differ from each other
    torch.testing.assert_close(per_sample, per_sample[:, :1].expand_as(per_sample))
    assert per_sample[:, 0].unique().numel() == 5, "each sample should get its own mixing factor ε"
    assert bool((per_sample.abs() <= 1).all())


def test_gradient_penalty_errors():
    critic = LinearCritic(12, 1.0)
    with pytest.raises(ValueError, match=r"same shape; got \[2, 12\] and \[3, 12\]"):
        gradient_penalty(critic, torch.zeros(2, 12), torch.zeros(3, 12))
    with pytest.raises(ValueError, match=r"one score per sample"):
        gradient_penalty(lambda x: x, torch.zeros(2, 12), torch.zeros(2, 12))


def test_r1_penalty_closed_form_and_errors():
    w = torch.randn(2 * 3 * 3, generator=torch.Generator().manual_seed(2)).requires_grad_(True)
    x = torch.randn(4, 2, 3, 3).requires_grad_(True)
    logits = x.flatten(1) @ w  # ∇ₓ D = w for every sample, so R1 = γ/2 ‖w‖²
    r1 = r1_penalty(logits, x, gamma=10.0)
    assert r1.item() == pytest.approx(5.0 * w.detach().square().sum().item(), rel=1e-5)
    (grad_w,) = torch.autograd.grad(r1, w)  # differentiable (create_graph=True): d/dw 5‖w‖² = 10 w
    torch.testing.assert_close(grad_w, 10.0 * w.detach())
    with pytest.raises(ValueError, match="requires_grad=True"):
        r1_penalty(logits.detach(), x.detach(), 10.0)


def test_path_length_penalty_for_a_linear_generator():
    # images = A w reshaped to [B, 1, 4, 4]; J_wᵀ y = Aᵀ y, so each length is ‖Aᵀ y‖ for that sample's noise y
    a = torch.randn(16, 6, generator=torch.Generator().manual_seed(3))
    w = torch.randn(5, 6, requires_grad=True)
    images = (w @ a.T).reshape(5, 1, 4, 4)
    torch.manual_seed(7)
    penalty, new_mean, lengths = path_length_penalty(images, w, mean_path_length=0.0, decay=0.01)
    torch.manual_seed(7)
    y = torch.randn(5, 1, 4, 4) / 4.0  # the same noise, / sqrt(H·W)
    torch.testing.assert_close(lengths.detach(), (y.reshape(5, 16) @ a).norm(dim=1), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(new_mean, 0.01 * lengths.detach().mean())
    torch.testing.assert_close(penalty.detach(), (lengths.detach() - new_mean).square().mean())
    with pytest.raises(ValueError, match=r"w of shape \[5, w_dim\]"):
        path_length_penalty(images, torch.zeros(4, 6), 0.0)


def test_lazy_r1_runs_every_nth_step_with_gamma_scaled_by_the_interval():
    from gan_helpers.losses import lazy_r1, r1_penalty

    w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    discriminate = lambda x: (x * w).sum(1) ** 2                          # noqa: E731  [B, 3] -> [B]
    real = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    leaf = real.clone().requires_grad_(True)
    expected = r1_penalty(discriminate(leaf), leaf, gamma=0.5 * 4)
    got = lazy_r1(discriminate, real, gamma=0.5, every=4, step=8)
    torch.testing.assert_close(got, expected, msg="step 8 with every=4: R1 with γ·4")
    assert got.requires_grad, "the penalty must be differentiable with respect to D's parameters"
    assert not real.requires_grad, "the caller's batch must not be changed"
    assert lazy_r1(discriminate, real, gamma=0.5, every=4, step=9) is None, "step 9 is not a multiple of 4"
    assert lazy_r1(discriminate, real, gamma=0.0, every=1, step=0) is None, "γ = 0 turns the penalty off"
