"""The one-dimensional adversarial game of chapter 0.

Real data are numbers drawn from N(real_mean, real_std²). The generator is the smallest possible
one: ``G(z) = shift + scale * z`` with ``z ~ N(0, 1)``. The discriminator is logistic regression on
``(x, x²)``: its logit ``a(x) = w0 + w1 x + w2 x²``. That family is exactly rich enough, because the
log-ratio of two Gaussian densities is a quadratic in ``x``: the best possible discriminator between
the real data and any generator of this form is one of its members.

One call of :meth:`OneDGame.step` is one real GAN training step: a discriminator update on a real
and a fake batch (fakes detached), then a generator update with the non-saturating loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gan_helpers.losses import d_loss_bce, g_loss_nonsaturating
from gan_helpers.validate import require_tensor


@dataclass(frozen=True)
class GameConfig:
    """Settings of the 1-D game; the defaults converge in a few hundred steps."""

    real_mean: float = 2.0
    real_std: float = 0.5
    init_shift: float = -2.0
    init_scale: float = 1.0
    batch_size: int = 256
    lr_d: float = 0.05
    lr_g: float = 0.02
    seed: int = 0

    def __post_init__(self) -> None:
        if self.real_std <= 0 or self.init_scale <= 0:
            raise ValueError(f"real_std and init_scale must be positive; got {self.real_std}, {self.init_scale}")
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be at least 2; got {self.batch_size}")


@dataclass(frozen=True)
class StepRecord:
    """What one training step measured."""

    step: int
    d_loss: float
    g_loss: float
    shift: float
    scale: float


class AffineGenerator(nn.Module):
    """``G(z) = shift + scale * z``: ``[B]`` noise → ``[B]`` samples."""

    def __init__(self, shift: float, scale: float) -> None:
        super().__init__()
        self.shift = nn.Parameter(torch.tensor(float(shift)))
        self.scale = nn.Parameter(torch.tensor(float(scale)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        require_tensor(z, "AffineGenerator input z", like=self)
        return self.shift + self.scale * z


class QuadraticDiscriminator(nn.Module):
    """Logit ``w0 + w1 x + w2 x²``: ``[B]`` numbers → ``[B]`` logits (no sigmoid)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        require_tensor(x, "QuadraticDiscriminator input", like=self)
        return self.w[0] + self.w[1] * x + self.w[2] * x * x


class OneDGame:
    """A GAN on 1-D data that advances one real training step at a time."""

    def __init__(self, config: GameConfig | None = None) -> None:
        self.config = config or GameConfig()
        self.reset()

    def reset(self) -> None:
        """Return to step 0 with freshly initialised players and the same random stream."""
        c = self.config
        torch.manual_seed(c.seed)
        self.rng = torch.Generator().manual_seed(c.seed)
        self.G = AffineGenerator(c.init_shift, c.init_scale)
        self.D = QuadraticDiscriminator()
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=c.lr_g, betas=(0.5, 0.999))
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=c.lr_d, betas=(0.5, 0.999))
        self.history: list[StepRecord] = []

    @property
    def steps(self) -> int:
        return len(self.history)

    def sample_real(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[n]`` real data."""
        z = torch.randn(n, generator=generator or self.rng)
        return self.config.real_mean + self.config.real_std * z

    @torch.no_grad()
    def sample_fake(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[n]`` generator samples (no gradient; for display and measurement)."""
        return self.G(torch.randn(n, generator=generator or self.rng))

    @torch.no_grad()
    def d_prob(self, x: torch.Tensor) -> torch.Tensor:
        """The discriminator's probability that each of ``[n]`` numbers is real (display only)."""
        return torch.sigmoid(self.D(x))

    def step(self) -> StepRecord:
        """One discriminator update, then one generator update; returns the measured losses."""
        b = self.config.batch_size
        real = self.sample_real(b)
        fake = self.G(torch.randn(b, generator=self.rng))
        d_loss = self.d_step(real, fake)
        g_loss = self.g_step(fake)
        record = StepRecord(self.steps + 1, d_loss.item(), g_loss.item(),
                            self.G.shift.item(), abs(self.G.scale.item()))
        self.history.append(record)
        return record

    def d_step(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Discriminator update: real → 1, fake → 0. ``fake`` is detached, so G is never touched."""
        d_loss = d_loss_bce(self.D(real), self.D(fake.detach()))
        self.opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_D.step()
        return d_loss

    def g_step(self, fake: torch.Tensor) -> torch.Tensor:
        """Generator update: make the (just updated) discriminator call ``fake`` real."""
        g_loss = g_loss_nonsaturating(self.D(fake))
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()
        return g_loss

    def run(self, n_steps: int) -> list[StepRecord]:
        """Take ``n_steps`` training steps; returns their records."""
        if isinstance(n_steps, bool) or not isinstance(n_steps, int):
            raise TypeError(f"n_steps must be an int; got {type(n_steps).__name__} {n_steps!r}")
        if n_steps < 0:
            raise ValueError(f"n_steps must be non-negative; got {n_steps}")
        return [self.step() for _ in range(n_steps)]

    def distance(self) -> float:
        """2-Wasserstein distance between G's distribution and the real one (both are Gaussians).

        ``W2(N(m1, s1²), N(m2, s2²)) = sqrt((m1 - m2)² + (s1 - s2)²)``.
        """
        shift, scale = self.G.shift.item(), abs(self.G.scale.item())
        return math.hypot(shift - self.config.real_mean, scale - self.config.real_std)
