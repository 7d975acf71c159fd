"""2-D toy GANs: an MLP GAN and an MLP WGAN-GP on the ring of 8 and the grid of 25 Gaussians.

Chapter 4 (mode collapse) trains a real GAN on the two standard mode-collapse toys of
:mod:`gan_helpers.data`: the ring of 8 Gaussians (Metz et al. 2016, *Unrolled GANs*) and the grid of
25 (Srivastava et al. 2017, *VEEGAN*; Lin et al. 2017, *PacGAN*). Both players are small MLPs:

* :class:`MLPGenerator`: noise ``z [B, z_dim]`` → points ``[B, 2]``;
* :class:`MLPDiscriminator`: points ``[B, 2]`` → logits ``[B]`` (a critic's scores for WGAN-GP; never a
  sigmoid).

Two objectives, chosen by :attr:`Toy2DConfig.loss`:

* ``"bce"``: the GAN of Goodfellow et al. 2014 with the non-saturating generator loss (its §3);
* ``"wgan-gp"``: WGAN with gradient penalty (Gulrajani et al. 2017): critic loss
  ``E[D(G(z))] − E[D(x)] + λ E[(‖∇D(x̂)‖ − 1)²]``, generator loss ``−E[D(G(z))]``, ``n_critic`` critic
  updates per generator update.

Presets (:data:`PRESETS`, looked up with :meth:`Toy2DConfig.preset`): ``"gan-ring"``, ``"gan-grid"``,
``"wgan-gp-ring"``, ``"wgan-gp-grid"`` (tuned towards the course's quality targets within a CPU
budget, see below) and ``"tiny"`` (for tests: a few milliseconds a step).

Choices that the presets make, and why
--------------------------------------
Each was kept because it raised the measured mode coverage or the high-quality fraction within the
budget (seeds 0-3, 2,500 samples; the spec's targets are 8/8 modes at ≥ 98 % on the ring in 10 s and
25/25 at ≥ 97 % on the grid in 60 s):

* **Noise scaled up before G's first layer** (``g_input_scale``: 30 on the ring, 10 on the grid). G
  must cut its connected latent space into separate modes, and the samples that land in the cuts,
  between modes, are what keeps the high-quality fraction down: sharp cuts need steep slopes in z.
  Multiplying z by 30 is the same function at initialisation as a first layer 30× steeper, but Adam
  moves each weight by about ``lr`` a step whatever its size, so the scaled input lets the first
  layer's slopes grow 30× faster. On the ring (seeds 0-3, 4,000 steps, 64 units) this took the
  high-quality fraction from 97.8 / 96.6 % (mean / worst, a 10× steeper initial layer instead) to
  98.5 / 97.9 %; 300× was unstable (52-84 %).
* **Narrow players, many steps.** 64 hidden units instead of 128 make a step about 2.3× cheaper, and
  the extra steps were worth more than the width; PyTorch's fused Adam kernel (``fused_adam``) makes
  a step about 15 % cheaper again.
* Adam with β = (0, 0.9) (the classic (0.5, 0.999) lost modes on some seeds), learning rate 3e-3 on
  the ring and 1e-3 on the grid (1.5e-3 was no better there).
* R1 on real points (Mescheder et al. 2018, γ = 0.3, applied lazily every 4 steps as in StyleGAN2):
  without it, at these learning rates, some seeds kept only 3-6 of the 8 modes; on the grid γ = 1
  cost about 1 point of high quality and γ = 0.1 half a point.
* A generator of 4 hidden layers (3 or 5-6 did worse).
* Uniform noise on [-1, 1]² for the grid (as in DCGAN), a little better than Gaussian noise there.
* The data are scaled to about unit size inside the players (``data_scale``: G's output is
  multiplied by it, D's input divided by it), so that default PyTorch initialisation suits both toys.
* The learning rates decay linearly over the second half of the budget to 20 % (``decay_start``,
  ``lr_final``), and samples come from an exponential moving average of G's weights (``ema_beta`` =
  0.99; Yazıcı et al. 2019): without the average, in an earlier round of tuning, the ring's worst
  seed fell from 96.8 to 89 %.
* WGAN-GP keeps the paper's λ = 10, n_critic = 5 and β = (0, 0.9), with the GAN's networks, noise
  scaling and learning rates. Five critic updates with a double backward each make a step about 4×
  dearer, so it gets far fewer steps in the same time and is well behind the GAN at these budgets.

Budgets are step counts (:attr:`Toy2DConfig.steps`): wall-clock time on a shared 2-core machine is
noisy, so each preset's budget is the target time multiplied by the speed measured on the course's
2-core CPU with ``torch.set_num_threads(1)`` (a second intra-op thread made these small MLPs slower on
that machine), with some room: for the GAN about 500 steps/s at batch 256 (ring: 4,000 steps, about
8 s) and 320-340 at batch 512 (grid: 17,000 steps, 50-54 s); for WGAN-GP (batch 256 × 5 critic
updates) about 120 steps/s on the ring (1,000 steps) and 90 on the grid (4,500 steps).
:meth:`Toy2DTrainer.train_for` also takes a budget in seconds, but the learning-rate schedule follows
``config.steps``: a run stopped early by the clock misses the final decay. Machines sold as "2 cores"
differ by 3-4x on these networks: on one measured in December 2026 the ring preset ran at about 170
steps/s and the grid preset at about 120, so ``python -m benchmarks`` sizes a preset's schedule to its
budget on the machine at hand (``Toy2DConfig.preset("gan-grid", steps=n)`` does the same by hand).
There the ring reached 8/8 modes at 97.1 / 96.5 % (mean / worst, seeds 0-3) in 1,526 steps and the
grid 25/25 at 93.0 / 92.0 % in about 6,200 steps; WGAN-GP kept only 0-4 modes in those budgets.

Measured with ``python -m benchmarks --only toys`` (``torch.manual_seed(seed)`` before building the
trainer, then 2,500 samples after ``torch.manual_seed(10_000 + seed)``; a mode is captured with ≥ 20
high-quality samples; one thread)::

    preset          steps   modes captured (seeds 0-3)   high quality, % (seeds 0-3)   mean / worst   wall time
    gan-ring        4,000   8, 8, 8, 8                   98.00, 98.72, 98.96, 98.68    98.59 / 98.00   ≤ 7.8 s
    gan-grid       17,000   25, 25, 25, 25               97.48, 97.84, 96.80, 96.92    97.26 / 96.80   ≤ 50 s
    wgan-gp-ring    1,000   7, 8, 7, 8                   51.72, 92.36, 83.44, 91.56    79.77 / 51.72   ≤ 8.0 s
    wgan-gp-grid    4,500   20, 19, 15, 19                                             74.07 / 67.36   ≤ 36 s

(the other core of the machine was busy with another single-threaded job). The ring meets the
spec's target on every seed (8/8, ≥ 98 %, in 10 s). The grid captures all 25 modes on every seed
with 97.3 % high quality on average, but two seeds stay just under the 97 % target (96.8 and
96.9 %); in tuning, more steps kept helping (14,000 steps gave 96.0-97.6 %), so a faster machine or
a longer budget gets there. Seeds 4-7 of the ring preset scored 97.52, 98.88, 99.20 and 97.84 %
(8/8 each): the ≥ 98 % of seeds 0-3 is not a guarantee for every seed. WGAN-GP is far behind in
these budgets (section 8: "WGAN reduces collapse; it does not remove it", and here it is simply
slower); with 128 units, no noise scaling and 470 steps it kept only 0-6 of the ring's modes.

The grid's last fraction of a point is within the measurement's own noise: with 2,500 samples the
high-quality fraction of a generator whose true fraction is 97 % has a binomial standard deviation
of 0.34 points, so a generator at 97.3 % still scores under 97 % on one seed in five. Tried in
December 2026 on the grid at the 17,532 steps that 60 reference seconds gave
(``python -m benchmarks --reference-seconds``; the preset scored 97.28, 96.88, 96.76 and 96.92 % on
seeds 0-3 there), each keeping 25/25 modes: ``ema_beta`` 0.999, 96.68 / 97.48 / 97.76 / 97.04 %
(mean 97.24, worst 96.68: not a clear gain); 0.9995 on seeds 1-2, 96.84 / 97.48; ``lr_final`` 0,
95.44 % on seed 0; ``lr_final`` 0.5 on seeds 1-2, 96.96 / 96.76; ``decay_start`` 0.75, 93.28 % on
seed 1; ``g_input_scale`` 20, 96.68 % on seed 1; batch 1024 for the same time (12,500 steps) on seeds
1-2, 96.40 / 96.72. None was adopted.

Where the missing points go (50,000 samples of the preset's EMA generator after 17,532 steps, seeds 1
and 2; 96.47 and 97.31 % high quality): 2.4 and 2.1 % of the samples lie more than 5 std from every
centre, in the cuts between modes that a continuous G from a connected latent space must pass
through, while only 1.1 and 0.6 % lie between 3 and 5 std (a perfect sampler puts 1.1 % there). The
EMA generator's modes are in fact narrower than the data's (mean squared distance within 3 std 0.86
and 0.93 std², against 1.90 for the data). So the grid's last point is a question of how steep G's
cuts are, not of mode coverage or spread: ``g_input_scale`` 20 gave 96.85 and 97.52 % there (cut
mass 2.3 and 1.9 %), 40 gave 96.72 and 97.12 %.

More tried in a later session, seeds 0-3 at 17,532 steps, high quality on 50,000 samples (mean /
worst; the preset: 96.98 / 96.47): ``lr_d`` 2e-3 (two time scales), 97.08 / 96.73; ``z_dim`` 8 with
uniform noise, 97.07 / 96.34, with Gaussian noise 96.07 / 94.11; a categorical latent (a one-hot of 64
categories beside the 2-D uniform noise, so that G need not cut a connected space), 97.48 / 96.66,
and with the one-hot 3× larger, 83.6 / 78.3; top-k generator updates (Sinha et al. 2020, the
better-scored half of each fake batch by the end), 96.56 % and 95.60 % on seeds 0-1. Twice the steps
(35,064) gave 98.04 and 97.14 % on seeds 0-1: the cuts do sharpen with training, slowly.

This is the limit that Tanielian et al. (2020, *Learning disconnected manifolds: a no GAN's land*)
prove: a continuous G fed a connected latent distribution must put some mass between disconnected
modes, and that mass shrinks only as G grows steeper. Their remedy is applied at sampling time:
``Toy2DTrainer.sample(n, reject=q)`` draws ``n / (1 - q)`` noise vectors and keeps the ``n`` at which
G's Jacobian norm (:func:`jacobian_norms`) is smallest, so the points G sends across a gap, where it
is steepest, are thrown away first. On seeds 0 and 2 of the preset at 17,532 steps, rejecting 2 % of
the draws took the high-quality fraction from 97.28 and 96.76 % to 99.08 and 98.56 % with all 25
modes kept and the reverse KL unchanged (0.0054 against 0.0059, 0.0077 against 0.0077). Chapter 4
draws the cuts on the ring (:func:`gan_helpers.collapse.cuts_figure`). Truncation buys precision with
diversity, and above 98.9 % (a perfect sampler's fraction within 3 std) it is trimming the modes'
own tails too, so the benchmark reports it beside the plain figures, never instead of them. With
``--reference-seconds`` (yardstick 94 steps/s, 23,090 grid steps and 5,054 ring steps; seeds 0-3) the
grid preset scored 97.44, 96.76, 98.04 and 97.04 % plainly and 98.36, 97.64, 98.96 and 98.00 % with
1 % rejected (25/25 modes each); the ring preset 98.68, 99.24, 98.56 and 98.24 % plainly and 99.64,
100.0, 99.52 and 99.28 % truncated.

Usage::

    import torch
    from gan_helpers.toy2d import Toy2DConfig, Toy2DTrainer
    torch.set_num_threads(1)                                   # fastest for these small MLPs
    torch.manual_seed(0)                                       # weights, noise and data stream
    trainer = Toy2DTrainer(Toy2DConfig.preset("gan-ring"))
    history = trainer.train_for(steps=trainer.config.steps)   # or seconds=10.0
    points = trainer.sample(2500)                              # [2500, 2]
    frames = Toy2DTrainer(Toy2DConfig.preset("gan-grid")).train_with_snapshots(steps=2000, every=200)
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import torch
from torch import nn

from gan_helpers.data import grid25, grid25_centres, ring8, ring8_centres
from gan_helpers.losses import (critic_loss_wasserstein, d_loss_bce, g_loss_nonsaturating,
                                g_loss_wasserstein, gradient_penalty, lazy_r1)
from gan_helpers.training import linear_decay, set_learning_rates
from gan_helpers.validate import (lookup_preset, require_betas, require_in_range, require_positive_int,
                                  require_shape, require_tensor)

DATASETS = {
    "ring8": (ring8, ring8_centres),
    "grid25": (grid25, grid25_centres),
}
LOSSES = ("bce", "wgan-gp")
ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "elu": nn.ELU, "tanh": nn.Tanh}


# ----------------------------------------------------------------------------------------------------
# Networks


def _mlp(in_dim: int, out_dim: int, width: int, depth: int, activation: str) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units with ``activation``, then a linear output layer."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}; got {activation!r}")
    layers: list[nn.Module] = []
    features = in_dim
    for _ in range(depth):
        layers += [nn.Linear(features, width), ACTIVATIONS[activation]()]
        features = width
    layers.append(nn.Linear(features, out_dim))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """Noise ``z [B, z_dim]`` → points ``[B, 2]`` through ``depth`` hidden layers of ``width`` units.

    The output layer is linear (the toys are not bounded like images); the result is multiplied by
    ``scale``, so the network itself works in units of about 1. ``input_gain`` multiplies the first
    layer's initial weights and bias (PyTorch's default initialisation times the gain);
    ``input_scale`` multiplies the noise before the first layer (see :attr:`Toy2DConfig.g_input_scale`).
    """

    def __init__(self, z_dim: int = 2, width: int = 128, depth: int = 3, activation: str = "relu",
                 scale: float = 1.0, input_gain: float = 1.0, input_scale: float = 1.0) -> None:
        super().__init__()
        self.z_dim = require_positive_int(z_dim, "z_dim")
        self.scale = float(scale)
        self.input_scale = float(input_scale)
        self.net = _mlp(z_dim, 2, width, depth, activation)
        with torch.no_grad():  # a steeper first layer: see Toy2DConfig.g_input_gain
            self.net[0].weight.mul_(input_gain)
            self.net[0].bias.mul_(input_gain)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        require_shape(z, [None, self.z_dim], "MLPGenerator input z", like=self)
        return self.net(z * self.input_scale) * self.scale  # [B, z_dim] → [B, 2]


class MLPDiscriminator(nn.Module):
    """Points ``[B, 2]`` → logits ``[B]`` (critic scores for WGAN-GP; no sigmoid).

    The input is divided by ``scale`` first, so the network sees coordinates of about unit size.
    """

    def __init__(self, width: int = 128, depth: int = 3, activation: str = "relu", scale: float = 1.0) -> None:
        super().__init__()
        self.scale = float(scale)
        self.net = _mlp(2, 1, width, depth, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        require_shape(x, [None, 2], "MLPDiscriminator input", like=self)
        return self.net(x / self.scale).squeeze(1)  # [B, 2] → [B, 1] → [B]


def jacobian_norms(generator: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """``[n]`` Frobenius norms ``‖∂G(z)/∂z‖_F`` of a generator's Jacobian at each row of ``z [n, z_dim]``.

    Exact: :func:`torch.func.jacrev` on one row at a time, vectorised with :func:`torch.func.vmap`,
    so it costs about ``out_dim`` backward passes; meant for low-dimensional outputs such as the toys'
    2-D points. Each row must be generated independently of the others (no batch statistics), as in
    :class:`MLPGenerator`. Large norms mark the noise vectors that G stretches most: on a disconnected
    target, the ones it sends across the gaps between modes (Tanielian et al. 2020).
    """
    require_tensor(z, "jacobian_norms z")
    if z.dim() != 2:
        raise ValueError(f"jacobian_norms z: expected a [n, z_dim] tensor; got shape {list(z.shape)}")

    def one(v: torch.Tensor) -> torch.Tensor:
        return generator(v[None])[0]  # [z_dim] → [out_dim]

    jac = torch.func.vmap(torch.func.jacrev(one))(z)  # [n, out_dim, z_dim]
    return jac.flatten(1).norm(dim=1)


# ----------------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class Toy2DConfig:
    """Everything that defines a 2-D toy GAN run.

    Attributes:
        data: ``"ring8"`` or ``"grid25"`` (the default sampler of :meth:`Toy2DTrainer.train_for`).
        loss: ``"bce"`` (non-saturating GAN) or ``"wgan-gp"``.
        z_dim: noise dimension; z_dist: ``"normal"`` (N(0, I)) or ``"uniform"`` (on [-1, 1]^z_dim).
        g_input_gain: G's first layer starts with PyTorch's default weights and bias times this.
        g_input_scale: G multiplies its noise by this before its first layer. At initialisation that
            is the same function as a first layer ``g_input_scale`` times steeper (``g_input_gain``),
            but it trains differently: Adam moves every weight by about ``lr`` a step whatever its
            size, so a scaled input turns each such step into a ``g_input_scale`` times larger change
            of the first layer's slopes, where a larger gain makes the same step relatively smaller.
        fused_adam: use PyTorch's fused Adam kernel (the same update, rounded differently; on the CPU
            about 15 % cheaper a step for these small networks). CPU and CUDA only.
        g_width, g_depth, d_width, d_depth: hidden width and number of hidden layers of G and D.
        activation: ``"relu"``, ``"leaky_relu"`` (slope 0.2), ``"elu"`` or ``"tanh"`` for both players.
        data_scale: G's output is multiplied by it and D's input divided by it.
        batch_size: points per discriminator (critic) update, and noise vectors per generator update.
        lr_g, lr_d: Adam learning rates; betas: Adam's (β1, β2) for both players.
        n_critic: discriminator updates per generator update (each on its own slice of the batch).
        gp_weight: λ of the gradient penalty (WGAN-GP only).
        r1_gamma: γ of the R1 penalty on real points (non-saturating GAN only; 0 = off), applied every
            ``r1_every`` steps with γ multiplied by ``r1_every`` (lazy regularisation).
        steps: the budget, in generator steps, that the preset was tuned for.
        decay_start, lr_final: the learning rates fall linearly from their value at
            ``decay_start * steps`` to ``lr_final`` times it at ``steps`` (``decay_start`` 1.0 = constant).
        ema_beta: weight of the old value in the moving average of G's weights (0 = no average; the
            samples then come from G itself).
    """

    data: str = "ring8"
    loss: str = "bce"
    z_dim: int = 2
    z_dist: str = "normal"
    g_input_gain: float = 1.0
    g_input_scale: float = 1.0
    g_width: int = 128
    g_depth: int = 3
    d_width: int = 128
    d_depth: int = 3
    activation: str = "relu"
    data_scale: float = 1.0
    batch_size: int = 512
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 1
    gp_weight: float = 10.0
    r1_gamma: float = 0.0
    r1_every: int = 1
    steps: int = 2000
    decay_start: float = 1.0
    lr_final: float = 0.0
    ema_beta: float = 0.0
    fused_adam: bool = False

    def __post_init__(self) -> None:
        if self.data not in DATASETS:
            raise ValueError(f"data: expected one of {sorted(DATASETS)}; got {self.data!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss: expected one of {list(LOSSES)}; got {self.loss!r}")
        if self.z_dist not in ("normal", "uniform"):
            raise ValueError(f"z_dist: expected 'normal' or 'uniform'; got {self.z_dist!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}; got {self.activation!r}")
        for name in ("z_dim", "g_width", "g_depth", "d_width", "d_depth", "batch_size", "n_critic", "steps",
                     "r1_every"):
            require_positive_int(getattr(self, name), name)
        for name in ("lr_g", "lr_d", "data_scale", "g_input_gain", "g_input_scale"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: expected a positive number; got {getattr(self, name)}")
        require_betas(self.betas, "betas")
        for name in ("decay_start", "lr_final"):
            require_in_range(getattr(self, name), name, 0, 1, hint="a fraction")
        require_in_range(self.ema_beta, "ema_beta", 0, 1, high_open=True, hint="0 = no average")
        if not isinstance(self.fused_adam, bool):
            raise TypeError(f"fused_adam: expected True or False; got {self.fused_adam!r}")
        for name in ("gp_weight", "r1_gamma"):
            require_in_range(getattr(self, name), name, 0, math.inf, high_open=True, hint="0 = off")

    @staticmethod
    def preset(name: str, **overrides) -> "Toy2DConfig":
        """The named preset (see :data:`PRESETS`), with any fields replaced by ``overrides``."""
        return replace(lookup_preset(PRESETS, name, "toy 2-D GAN"), **overrides)

    def lr_factor(self, step: int) -> float:
        """Multiplier of both learning rates at (0-based) step ``step``: 1, then linear to ``lr_final``."""
        return linear_decay(step, self.steps, self.decay_start, self.lr_final)


_GAN = dict(loss="bce", g_width=64, d_width=64, g_depth=4, betas=(0.0, 0.9), r1_every=4, decay_start=0.5,
            lr_final=0.2, ema_beta=0.99, fused_adam=True)
_WGAN_GP = dict(loss="wgan-gp", g_width=64, d_width=64, g_depth=4, batch_size=256, betas=(0.0, 0.9), n_critic=5,
                gp_weight=10.0, decay_start=0.5, lr_final=0.2, ema_beta=0.99, fused_adam=True)

PRESETS: dict[str, Toy2DConfig] = {
    # For tests and quick demos: a few milliseconds a step.
    "tiny": Toy2DConfig(data="ring8", loss="bce", g_width=64, g_depth=3, d_width=64, d_depth=2, batch_size=128,
                        data_scale=2.0, g_input_gain=10.0, lr_g=4e-3, lr_d=4e-3, betas=(0.0, 0.9), r1_gamma=0.3,
                        r1_every=4, steps=600, decay_start=0.5, lr_final=0.2, ema_beta=0.99),
    # Budgets: 10 s (ring) and 60 s (grid) at the speeds measured on the course's 2-core CPU, one thread
    # (see the module docstring): about 500 steps/s for the GAN at batch 256 (ring), 330 at batch 512
    # (grid), 120 for WGAN-GP (batch 256 and five critic updates per step).
    "gan-ring": Toy2DConfig(data="ring8", data_scale=2.0, batch_size=256, g_input_scale=30.0, lr_g=3e-3, lr_d=3e-3,
                            r1_gamma=0.3, steps=4000, **_GAN),
    "gan-grid": Toy2DConfig(data="grid25", data_scale=4.0, z_dist="uniform", batch_size=512, g_input_scale=10.0,
                            lr_g=1e-3, lr_d=1e-3, r1_gamma=0.3, steps=17000, **_GAN),
    "wgan-gp-ring": Toy2DConfig(data="ring8", data_scale=2.0, g_input_scale=30.0, lr_g=3e-3, lr_d=3e-3, steps=1000,
                                **_WGAN_GP),
    "wgan-gp-grid": Toy2DConfig(data="grid25", data_scale=4.0, z_dist="uniform", g_input_scale=10.0, lr_g=1e-3,
                                lr_d=1e-3, steps=4500, **_WGAN_GP),
}


# ----------------------------------------------------------------------------------------------------
# Trainer


def _points(batch: torch.Tensor | tuple | list) -> torch.Tensor:
    """The ``[B, 2]`` points of a batch given as a tensor or as a ``(points, labels)`` pair."""
    if isinstance(batch, (tuple, list)):
        if len(batch) != 2:
            raise ValueError(f"batch: expected points [B, 2] or a (points, labels) pair; got a sequence of "
                             f"{len(batch)} items")
        batch = batch[0]
    return require_shape(batch, [None, 2], "batch of real points")


class Toy2DTrainer:
    """Trains a :class:`MLPGenerator` against a :class:`MLPDiscriminator` (the course's trainer interface).

    Every random draw (initial weights, fixed noise, training noise, and the seed of
    :meth:`train_for`'s data stream) comes from torch's global RNG: call ``torch.manual_seed(seed)``
    before building the trainer to fix a run, and save and restore the RNG state with
    :meth:`state_dict` to resume one exactly.

    Attributes:
        config: the :class:`Toy2DConfig`; device: where the networks live.
        G, D: the players; G_ema: the moving average of G (G itself when ``ema_beta == 0``).
        step_count: completed :meth:`step` calls.
        fixed_z: ``[2500, z_dim]`` noise drawn at construction, for snapshots and pictures.
    """

    def __init__(self, config: Toy2DConfig | str = "tiny", device: torch.device | str = "cpu") -> None:
        self.config = Toy2DConfig.preset(config) if isinstance(config, str) else config
        if not isinstance(self.config, Toy2DConfig):
            raise TypeError(f"config: expected a Toy2DConfig or a preset name; got {type(config).__name__}")
        c = self.config
        self.device = torch.device(device)
        self.G = MLPGenerator(c.z_dim, c.g_width, c.g_depth, c.activation, c.data_scale,
                              c.g_input_gain, c.g_input_scale).to(self.device)
        self.D = MLPDiscriminator(c.d_width, c.d_depth, c.activation, c.data_scale).to(self.device)
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False) if c.ema_beta > 0 else self.G
        if c.fused_adam and self.device.type not in ("cpu", "cuda"):
            raise ValueError(f"fused_adam: PyTorch's fused Adam runs on 'cpu' and 'cuda'; got device "
                             f"{self.device.type!r} (use a config with fused_adam=False)")
        fused = True if c.fused_adam else None
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=c.lr_g, betas=c.betas, fused=fused)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=c.lr_d, betas=c.betas, fused=fused)
        self.fixed_z = self.noise(2500)
        self.step_count = 0
        self.last_r1 = 0.0  # the lazy R1 penalty's latest value, reported on every step like StyleGAN2's
        self.centres = DATASETS[c.data][1]().to(self.device)  # [K, 2]

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[n, z_dim]`` latent vectors: N(0, I), or uniform on [-1, 1]^z_dim (``z_dist="uniform"``).

        Drawn on the CPU from ``generator`` (default torch's global RNG) and moved to the device, so a
        run gives the same numbers on every device.
        """
        shape = (n, self.config.z_dim)
        if self.config.z_dist == "uniform":
            z = torch.rand(shape, generator=generator) * 2 - 1
        else:
            z = torch.randn(shape, generator=generator)
        return z.to(self.device)

    # -- one training iteration ------------------------------------------------------------------

    @property
    def points_per_step(self) -> int:
        """How many real points one :meth:`step` wants: ``batch_size * n_critic``."""
        return self.config.batch_size * self.config.n_critic

    def _set_lr(self) -> float:
        """Both optimisers at their rates for the coming step; returns the schedule's factor."""
        return set_learning_rates(self.config.lr_factor(self.step_count),
                                  (self.opt_G, self.config.lr_g), (self.opt_D, self.config.lr_d))

    def step(self, batch: torch.Tensor | tuple) -> dict[str, float]:
        """One iteration: ``n_critic`` discriminator updates, then one generator update.

        Args:
            batch: real points ``[B, 2]`` (or a ``(points, labels)`` pair; labels are ignored). With
                ``n_critic > 1`` the batch is cut into ``n_critic`` equal slices, one per critic update,
                so pass :attr:`points_per_step` points. The generator update uses as many noise vectors
                as one slice holds points.

        Returns:
            ``{"d_loss", "g_loss", "lr_factor"}`` as Python floats, plus ``"gp"`` (WGAN-GP, last critic
            update) or ``"r1"`` (GAN with ``r1_gamma > 0``: the lazy penalty's value on the latest step
            where it ran, so every step reports the same keys).
        """
        real_all = _points(batch).to(self.device)
        c = self.config
        n_critic = c.n_critic
        if real_all.shape[0] < n_critic:
            raise ValueError(f"batch: {n_critic} critic updates need at least {n_critic} points; "
                             f"got {real_all.shape[0]}")
        lr_factor = self._set_lr()
        self.D.requires_grad_(True)
        logs: dict[str, float] = {}
        for real in real_all.chunk(n_critic):  # n_critic × [b, 2]
            b = real.shape[0]
            with torch.no_grad():  # D's update needs no graph through G
                fake = self.G(self.noise(b))  # [b, 2]
            scores = self.D(torch.cat([real, fake]))  # [2b]
            if c.loss == "bce":
                d_loss = d_loss_bce(scores[:b], scores[b:])
                r1 = lazy_r1(self.D, real, c.r1_gamma, c.r1_every, self.step_count)
                if r1 is not None:
                    d_loss = d_loss + r1
                    self.last_r1 = r1.item()
            else:
                gp = gradient_penalty(self.D, real, fake, weight=c.gp_weight)
                d_loss = critic_loss_wasserstein(scores[:b], scores[b:]) + gp
                logs["gp"] = gp.item()
            self.opt_D.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_D.step()

        if c.loss == "bce" and c.r1_gamma > 0:
            logs["r1"] = self.last_r1
        # Generator update against the updated D; D's weights need no gradients here.
        self.D.requires_grad_(False)
        fake_scores = self.D(self.G(self.noise(len(real_all.chunk(n_critic)[0]))))  # [b]
        g_loss = g_loss_nonsaturating(fake_scores) if c.loss == "bce" else g_loss_wasserstein(fake_scores)
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()
        self.D.requires_grad_(True)
        if self.G_ema is not self.G:
            with torch.no_grad():
                ema, cur = list(self.G_ema.parameters()), list(self.G.parameters())
                torch._foreach_lerp_(ema, cur, 1.0 - c.ema_beta)
        logs.update(d_loss=d_loss.item(), g_loss=g_loss.item(), lr_factor=lr_factor)
        self.step_count += 1
        return logs

    # -- budgets -------------------------------------------------------------------------------------

    def train_for(self, seconds: float | None = None, steps: int | None = None,
                  sampler: Callable[..., torch.Tensor] | None = None,
                  generator: torch.Generator | None = None,
                  callback: Callable[[int, dict[str, float]], None] | None = None) -> list[dict[str, float]]:
        """Train until ``seconds`` of wall-clock time or ``steps`` more steps, whichever comes first.

        The learning-rate schedule counts steps towards ``config.steps`` whatever the budget, so a run
        stopped early by the clock has not had its final decay.

        Args:
            seconds: wall-clock budget (checked after each step), or ``None``.
            steps: step budget, or ``None``. With neither given, trains up to ``config.steps`` in total.
            sampler: ``sampler(n, generator=..., device=...) -> [n, 2]`` real points; default the
                config's toy (:func:`gan_helpers.data.ring8` or :func:`~gan_helpers.data.grid25`).
            generator: ``torch.Generator`` for the real points; default a new one seeded from torch's
                global RNG (one draw), so ``torch.manual_seed`` fixes the data stream too.
            callback: called as ``callback(step_count, logs)`` after every step.

        Returns:
            the list of per-step logs (each also holds ``"time"``, seconds since the call began).
        """
        if seconds is None and steps is None:
            steps = max(0, self.config.steps - self.step_count)
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
            raise ValueError(f"steps: expected a non-negative int; got {steps!r}")
        if seconds is not None and not seconds > 0:
            raise ValueError(f"seconds: expected a positive number; got {seconds!r}")
        sampler = sampler or DATASETS[self.config.data][0]
        if generator is None:
            generator = torch.Generator().manual_seed(int(torch.randint(2**62, (1,)).item()))
        history: list[dict[str, float]] = []
        start = time.perf_counter()
        while steps is None or len(history) < steps:
            logs = self.step(sampler(self.points_per_step, generator=generator, device=self.device))
            logs["time"] = time.perf_counter() - start
            history.append(logs)
            if callback is not None:
                callback(self.step_count, logs)
            if seconds is not None and logs["time"] >= seconds:
                break
        return history

    def train_with_snapshots(self, steps: int, every: int, n: int = 2500,
                             **train_kwargs) -> list[tuple[int, torch.Tensor]]:
        """Train ``steps`` steps and keep samples of the fixed noise every ``every`` steps (for a scrubber).

        Returns:
            ``[(step_count, samples [n, 2] on the CPU), ...]``, starting with the untrained generator
            and ending with the last step.
        """
        require_positive_int(steps, "steps")
        require_positive_int(every, "every")
        frames = [(self.step_count, self.sample(n, fixed=True).cpu())]
        done = 0
        while done < steps:
            chunk = min(every, steps - done)
            self.train_for(steps=chunk, **train_kwargs)
            done += chunk
            frames.append((self.step_count, self.sample(n, fixed=True).cpu()))
        return frames

    # -- samples -------------------------------------------------------------------------------------

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, fixed: bool = False,
               reject: float = 0.0) -> torch.Tensor:
        """``[n, 2]`` points from the (averaged) generator.

        Args:
            n: how many points.
            generator: ``torch.Generator`` for the noise; default torch's global RNG.
            fixed: use the first ``n`` rows of :attr:`fixed_z` instead (``n ≤ 2500``).
            reject: fraction in ``[0, 1)`` of the draws to throw away by Jacobian-based truncation
                (Tanielian et al. 2020): draw ``ceil(n / (1 - reject))`` noise vectors and keep, in
                their order, the ``n`` at which :func:`jacobian_norms` is smallest. The generator is
                steepest in the cuts between modes, so those samples go first (see the module
                docstring); 0 (the default) samples plainly. Not with ``fixed``.
        """
        require_positive_int(n, "n")
        require_in_range(reject, "reject", 0, 1, high_open=True, hint="the fraction of draws thrown away")
        if fixed:
            if reject:
                raise ValueError(f"reject: the fixed noise cannot be truncated (it holds exactly the vectors "
                                 f"shown in snapshots); got reject={reject} with fixed=True")
            if n > len(self.fixed_z):
                raise ValueError(f"n: the fixed noise holds {len(self.fixed_z)} vectors; got n={n}")
            return self.G_ema(self.fixed_z[:n])
        if not reject:
            return self.G_ema(self.noise(n, generator))
        z = self.noise(math.ceil(n / (1 - reject)), generator)                       # [m, z_dim], m ≥ n
        keep = jacobian_norms(self.G_ema, z).argsort()[:n].sort().values          # [n] in draw order
        return self.G_ema(z[keep])

    @torch.no_grad()
    def sample_grid(self, batch=None, size: int = 128) -> torch.Tensor:
        """A picture of the fixed-noise samples for the training loop's sample grids.

        The points are binned into a ``size × size`` histogram over the toy's extent (the centres
        ± 1.5), drawn dark on white: returns ``[1, 1, size, size]`` in ``[-1, 1]``. ``batch`` is
        ignored (unconditional model).
        """
        points = self.sample(len(self.fixed_z), fixed=True)  # [N, 2]
        lo = self.centres.min().item() - 1.5
        hi = self.centres.max().item() + 1.5
        cells = ((points - lo) / (hi - lo) * size).floor().long()  # [N, 2]
        keep = ((cells >= 0) & (cells < size)).all(1)
        cells = cells[keep]
        counts = torch.zeros(size * size, device=points.device)
        # Row = −y (so "up" is up), column = x.
        counts.index_add_(0, (size - 1 - cells[:, 1]) * size + cells[:, 0],
                          torch.ones(len(cells), device=points.device))
        ink = (counts.log1p() / max(math.log1p(counts.max().item()), 1e-8)).view(1, 1, size, size)
        return 1 - 2 * ink  # 0 points → 1 (white), the busiest cell → -1 (black)

    # -- checkpoints ---------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """Networks, moving average, optimisers, fixed noise, step count and the config."""
        return {
            "config": asdict(self.config),
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict(),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "fixed_z": self.fixed_z.clone(),
            "step_count": self.step_count,
            "last_r1": self.last_r1,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved (the config must match this trainer's)."""
        saved = state["config"]
        saved = {**saved, "betas": tuple(saved["betas"])}
        if saved != asdict(self.config) | {"betas": tuple(self.config.betas)}:
            raise ValueError(f"load_state_dict: the checkpoint was made with config {saved}; this trainer has "
                             f"{asdict(self.config)}")
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if self.G_ema is not self.G:
            self.G_ema.load_state_dict(state["G_ema"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.fixed_z = state["fixed_z"].to(self.device)
        self.step_count = int(state["step_count"])
        self.last_r1 = float(state.get("last_r1", 0.0))
