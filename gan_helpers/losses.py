"""GAN losses as pure functions of discriminator logits (or critic scores).

A discriminator returns a *logit* ``a`` (any real number); ``sigmoid(a)`` is its probability that
the input is real, used only for display. Every loss here takes logits and is written in the
numerically stable form, so it stays finite for logits of any size. A WGAN *critic* returns an
unbounded score with no probabilistic reading; LSGAN and hinge losses also take raw scores.

=======================  ==============================================  ==========================
family                   discriminator / critic loss                     generator loss
=======================  ==============================================  ==========================
original (Goodfellow)    :func:`d_loss_bce`                              :func:`g_loss_nonsaturating`
                                                                         (:func:`g_loss_saturating`)
least squares (Mao)      :func:`d_loss_lsgan`                            :func:`g_loss_lsgan`
hinge (Lim & Ye; SNGAN)  :func:`d_loss_hinge`                            :func:`g_loss_hinge`
Wasserstein (Arjovsky)   :func:`critic_loss_wasserstein`                 :func:`g_loss_wasserstein`
=======================  ==============================================  ==========================

Regularisers: :func:`gradient_penalty` (WGAN-GP, Gulrajani et al. 2017), :func:`r1_penalty`
(Mescheder et al. 2018) and :func:`path_length_penalty` (StyleGAN2, Karras et al. 2019).

Shapes: ``logits`` and ``targets`` are any matching shape, e.g. ``[B]`` or ``[B, 1]``; every loss
returns a scalar (the batch mean).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gan_helpers.validate import require_same_device, require_tensor


def _check_pair(real: torch.Tensor, fake: torch.Tensor, name_real: str, name_fake: str) -> None:
    _check_logits(real, name_real)
    _check_logits(fake, name_fake)
    require_same_device(real, fake, name_real, name_fake)


def _check_logits(logits: torch.Tensor, name: str = "logits") -> None:
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got dtype {logits.dtype}")
    if logits.numel() == 0:
        raise ValueError(f"{name} is empty (shape {list(logits.shape)}); expected at least one logit")


def bce_with_logits(logits: torch.Tensor, targets: torch.Tensor | float) -> torch.Tensor:
    """Mean binary cross-entropy between ``sigmoid(logits)`` and ``targets``, computed stably.

    .. math::
        \\ell(a, y) = -[y \\log \\sigma(a) + (1-y) \\log(1-\\sigma(a))]
                    = \\max(a, 0) - a y + \\log(1 + e^{-|a|})

    Args:
        logits: ``[*]`` real-valued logits.
        targets: ``[*]`` (same shape) labels in ``[0, 1]`` (soft labels allowed), or one number
            applied to every logit.

    Returns:
        ``[]`` the mean loss.
    """
    _check_logits(logits)
    if not isinstance(targets, torch.Tensor):
        targets = torch.full_like(logits, float(targets))
    if targets.shape != logits.shape:
        raise ValueError(f"targets must have the logits' shape {list(logits.shape)}; got {list(targets.shape)}")
    targets = targets.to(logits.dtype)
    if bool(((targets < 0) | (targets > 1)).any()):
        raise ValueError(f"targets must lie in [0, 1]; got values in [{targets.min().item():.3g}, "
                         f"{targets.max().item():.3g}]")
    # y*softplus(-a) + (1-y)*softplus(a) = softplus(a) - a*y; torch's softplus never overflows and its
    # gradient is exactly sigmoid(a), smooth at a = 0 (the max/abs form has a kink there).
    return (F.softplus(logits) - logits * targets).mean()


def d_loss_bce(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss: BCE on real (target 1) plus BCE on fake (target 0).

    The two terms are summed, so a discriminator that outputs logit 0 everywhere scores
    ``2 ln 2 ≈ 1.386``. ``real_logits`` is ``[B_real, *]``, ``fake_logits`` is ``[B_fake, *]``; returns ``[]``.
    """
    _check_pair(real_logits, fake_logits, "real_logits", "fake_logits")
    return bce_with_logits(real_logits, 1.0) + bce_with_logits(fake_logits, 0.0)


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss, ``E[-log D(G(z))] = E[softplus(-a)]``; ``[B, *]`` → ``[]``.

    Its gradient with respect to a logit ``a`` is ``-(1 - sigmoid(a))``: large when the discriminator
    confidently rejects the fake (``a`` very negative), which is when the generator needs it most.
    """
    _check_logits(fake_logits, "fake_logits")
    return F.softplus(-fake_logits).mean()


def g_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The saturating (minimax) generator loss, ``E[log(1 - D(G(z)))] = E[-softplus(a)]``, to *minimise*.

    Its gradient with respect to a logit ``a`` is ``-sigmoid(a)``: it vanishes when the discriminator
    confidently rejects the fake, which is why the original paper recommends the non-saturating loss.
    ``[B, *]`` → ``[]``.
    """
    _check_logits(fake_logits, "fake_logits")
    return (-F.softplus(fake_logits)).mean()


def d_loss_lsgan(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Least-squares discriminator loss (Mao et al. 2017, targets a=0, b=1):
    ``½ E[(D(x) − 1)²] + ½ E[D(G(z))²]``. ``[B, *]`` and ``[B', *]`` → ``[]``.

    CycleGAN's official code computes ``½ (MSE(real, 1) + MSE(fake, 0))`` per discriminator: the same value.
    """
    _check_pair(real_scores, fake_scores, "real_scores", "fake_scores")
    return 0.5 * (real_scores - 1).square().mean() + 0.5 * fake_scores.square().mean()


def g_loss_lsgan(fake_scores: torch.Tensor) -> torch.Tensor:
    """Least-squares generator loss ``½ E[(D(G(z)) − 1)²]``; ``[B, *]`` → ``[]``.

    (CycleGAN's official generator term is ``MSE(fake, 1)``, i.e. twice this; its trainer says which it uses.)
    """
    _check_logits(fake_scores, "fake_scores")
    return 0.5 * (fake_scores - 1).square().mean()


def d_loss_hinge(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss ``E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))]``; → ``[]``."""
    _check_pair(real_scores, fake_scores, "real_scores", "fake_scores")
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def g_loss_hinge(fake_scores: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss ``−E[D(G(z))]``; ``[B, *]`` → ``[]``."""
    _check_logits(fake_scores, "fake_scores")
    return -fake_scores.mean()


def critic_loss_wasserstein(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss ``E[D(G(z))] − E[D(x)]`` (≈ −W₁ for a 1-Lipschitz critic); → ``[]``.

    It is negative while the critic tells the distributions apart and rises towards 0 as the
    generator improves. Add :func:`gradient_penalty` (or clip weights) to keep the critic Lipschitz.
    """
    _check_pair(real_scores, fake_scores, "real_scores", "fake_scores")
    return fake_scores.mean() - real_scores.mean()


def g_loss_wasserstein(fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss ``−E[D(G(z))]``; ``[B, *]`` → ``[]``."""
    _check_logits(fake_scores, "fake_scores")
    return -fake_scores.mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, weight: float = 10.0,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP penalty ``λ E[(‖∇ D(x̂)‖₂ − 1)²]`` on random interpolates ``x̂ = ε x + (1 − ε) x̃``.

    Args:
        critic: a module or function ``[B, *]`` → scores ``[B]`` (or ``[B, 1]``).
        real: ``[B, *]`` real samples; fake: ``[B, *]`` generated samples (same shape; detached here).
        weight: λ, 10 in the paper.
        generator: optional ``torch.Generator`` for ε (default: torch's global RNG).

    Returns:
        ``[]`` the penalty, differentiable with respect to the critic's parameters.

    Details that matter: ε has shape ``[B, 1, 1, 1]`` (one mixing factor per sample, broadcast over
    its pixels); the gradient is taken of ``D(x̂).sum()``, so each sample's gradient is its own (taking
    it of ``.mean()`` scales every gradient by 1/B and lets the critic become ≈B-Lipschitz); and
    ``create_graph=True`` keeps the penalty differentiable, otherwise it does not constrain the critic.
    """
    for name, x in (("real", real), ("fake", fake)):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"gradient_penalty: {name} must be a floating-point tensor; got {type(x).__name__}")
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty: real and fake must have the same shape; got "
                         f"{list(real.shape)} and {list(fake.shape)}")
    require_same_device(real, fake, "gradient_penalty: real", "gradient_penalty: fake")
    batch = real.shape[0]
    eps_shape = (batch,) + (1,) * (real.dim() - 1)  # [B, 1, 1, 1] for images
    eps = torch.rand(eps_shape, generator=generator, device="cpu" if generator is not None else real.device)
    eps = eps.to(device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    if scores.shape[0] != batch or scores.numel() != batch:
        raise ValueError(f"gradient_penalty: the critic must return one score per sample, shape [{batch}] "
                         f"or [{batch}, 1]; got {list(scores.shape)}")
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)  # [B]
    return weight * (norms - 1).square().mean()


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor, gamma: float) -> torch.Tensor:
    """R1 penalty ``γ/2 · E[‖∇ₓ D(x)‖²]`` on real data (Mescheder et al. 2018).

    Args:
        real_logits: ``[B]`` (or ``[B, 1]``) the discriminator's logits on ``real_images``.
        real_images: ``[B, *]`` the real batch, with ``requires_grad=True`` set *before* D saw it.
        gamma: γ (10 for StyleGAN2 at 1024²; multiply by the interval when applied lazily).

    Returns:
        ``[]`` the penalty, differentiable with respect to D's parameters (``create_graph=True``).
    """
    _check_logits(real_logits, "real_logits")
    require_tensor(real_images, "r1_penalty: real_images")
    if not real_images.requires_grad:
        raise ValueError("r1_penalty: real_images must have requires_grad=True before the discriminator is "
                         "applied (call real.requires_grad_(True) first)")
    if real_logits.shape[0] != real_images.shape[0]:
        raise ValueError(f"r1_penalty: real_logits and real_images must have the same batch size; got "
                         f"{real_logits.shape[0]} and {real_images.shape[0]}")
    (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return gamma / 2 * grad.square().flatten(1).sum(1).mean()


def lazy_r1(discriminate, real_images: torch.Tensor, gamma: float, every: int, step: int) -> torch.Tensor | None:
    """Lazy R1 (StyleGAN2): :func:`r1_penalty` with γ·``every`` on steps that are multiples of ``every``.

    Args:
        discriminate: ``real_images -> [B]`` logits (close over anything else D needs, such as labels).
        real_images: ``[B, *]`` the real batch; it is detached and made a leaf that requires a gradient.
        gamma: γ per step; 0 turns the penalty off.
        every: the interval; the penalty is multiplied by it so that its average weight stays γ.
        step: the trainer's 0-based step count.

    Returns:
        ``[]`` the penalty to add to D's loss, or ``None`` on steps where it does not run.
    """
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"lazy_r1: every: expected a positive int; got {every!r}")
    if gamma <= 0 or step % every:
        return None
    real_r1 = real_images.detach().requires_grad_(True)
    return r1_penalty(discriminate(real_r1), real_r1, gamma * every)


def path_length_penalty(fake_images: torch.Tensor, w: torch.Tensor, mean_path_length: float | torch.Tensor,
                        decay: float = 0.01) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """StyleGAN2's path-length penalty ``E[(‖J_wᵀ y‖₂ − a)²]`` with ``y ~ N(0, I)/√(H·W)``.

    Args:
        fake_images: ``[B, C, H, W]`` images generated from ``w``.
        w: ``[B, w_dim]`` or ``[B, num_ws, w_dim]`` latents the images were made from (part of the graph).
        mean_path_length: ``a``, the running mean of path lengths (start at 0).
        decay: how fast ``a`` follows the batch mean (0.01 in StyleGAN2).

    Returns:
        ``(penalty [], new_mean_path_length [], path_lengths [B])``; multiply the penalty by the
        path-length weight (2 in StyleGAN2) and the lazy interval before adding it to G's loss.
    """
    require_tensor(fake_images, "path_length_penalty: fake_images")
    require_tensor(w, "path_length_penalty: w")
    if fake_images.dim() != 4:
        raise ValueError(f"path_length_penalty: expected fake_images of shape [B, C, H, W]; got "
                         f"{list(fake_images.shape)}")
    if w.dim() not in (2, 3) or w.shape[0] != fake_images.shape[0]:
        raise ValueError(f"path_length_penalty: expected w of shape [{fake_images.shape[0]}, w_dim] or "
                         f"[{fake_images.shape[0]}, num_ws, w_dim]; got {list(w.shape)}")
    h, wd = fake_images.shape[2:]
    noise = torch.randn_like(fake_images) / math.sqrt(h * wd)
    (grad,) = torch.autograd.grad((fake_images * noise).sum(), w, create_graph=True)
    sq = grad.square().sum(-1)  # [B] or [B, num_ws]
    lengths = (sq.mean(1) if sq.dim() == 2 else sq).sqrt()  # [B]
    mean = torch.as_tensor(mean_path_length, dtype=lengths.dtype, device=lengths.device)
    # like the official code, the penalty sees the updated mean *with* its (decay-weighted) gradient
    new_mean = mean + decay * (lengths.mean() - mean)
    penalty = (lengths - new_mean).square().mean()
    return penalty, new_mean.detach(), lengths
