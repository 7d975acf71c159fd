"""GAN losses as pure functions of discriminator logits.

A discriminator returns a *logit* ``a`` (any real number); ``sigmoid(a)`` is its probability that
the input is real, used only for display. Every loss here takes logits and is written in the
numerically stable form, so it stays finite for logits of any size.

Shapes: ``logits`` and ``targets`` are any matching shape, e.g. ``[B]`` or ``[B, 1]``; every loss
returns a scalar (the batch mean).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


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
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
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
