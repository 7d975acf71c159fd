"""WGAN-GP: a DCGAN-shaped generator and a critic kept 1-Lipschitz by a gradient penalty (chapter 5).

What it is
----------
Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, *Improved Training of Wasserstein GANs*
(arXiv 2017). The critic D returns an unbounded *score*, not a probability. For a 1-Lipschitz
critic, ``E[D(x)] − E[D(G(z))]`` estimates the Wasserstein-1 distance between the data and the
generator, so the critic maximises it and the generator minimises ``−E[D(G(z))]``:

* critic loss ``E[D(fake)] − E[D(real)] + λ E[(‖∇D(x̂)‖₂ − 1)²]`` on random interpolates x̂
  (:func:`gan_helpers.losses.critic_loss_wasserstein` + :func:`gan_helpers.losses.gradient_penalty`);
* generator loss ``−E[D(G(z))]`` (:func:`gan_helpers.losses.g_loss_wasserstein`);
* λ = 10, ``n_critic`` = 5 critic steps per generator step, Adam lr 1e-4, β = (0, 0.9);
* **no batch norm in the critic**: the penalty is per sample, and batch norm makes each score
  depend on the whole batch. Layer norm (``GroupNorm(1, C)``: statistics over ``[C, H, W]`` of one
  image, a scale and shift per channel) or nothing instead. The generator keeps its batch norm.

The critic loss is ≈ −W: it is negative and rises toward 0 as the samples improve. On 64×64×3
images in [-1, 1] a 1-Lipschitz critic cannot separate the batches by more than
``2·√12288 ≈ 222``, so a critic loss far below that means a bug, not a great critic.

Shapes (``"paper"`` preset, the DCGAN baseline of the paper's 64×64 experiments)::

    G:      z [B, 128] → Linear → [B, 512, 4, 4] → ... → [B, 3, 64, 64] → tanh   (DCGANGenerator)
    critic: x [B, 3, 64, 64] → [B, 64, 32, 32] → ... → [B, 512, 4, 4] → flatten → Linear → scores [B]

The authors' code (igul222/improved_wgan_training, ``gan_64x64.py``) uses 5×5 kernels; we keep
the 4×4 kernels of :mod:`gan_helpers.dcgan`.

n_critic and the batch
----------------------
The paper draws a fresh real batch for each of the ``n_critic`` critic iterations. The trainer
does the same within one :meth:`WGANGPTrainer.step`: it splits the batch it is given into
``n_critic`` nearly equal chunks (``torch.tensor_split``), one per critic iteration, and the
generator step uses as many samples as the largest chunk. So feed it ``n_critic × b`` images
per step to train with batch ``b`` (the paper: 5 × 64 = 320).

Presets (:meth:`WGANGPConfig.preset`)
-------------------------------------
``"tiny"`` (32×32×1, widths 16 → 64, CPU) and ``"paper"`` (64×64×3, z 128, dense layout, widths
64 → 512, layer norm, λ = 10, n_critic = 5, Adam 1e-4 (0, 0.9)).

Usage
-----
>>> import torch
>>> from gan_helpers.wgan import WGANGPConfig, WGANGPTrainer
>>> trainer = WGANGPTrainer(WGANGPConfig.preset("tiny"))
>>> logs = trainer.step(torch.rand(20, 1, 32, 32) * 2 - 1)     # 5 critic steps on 4 images each
>>> sorted(logs)
['critic_loss', 'g_loss', 'gp', 'wasserstein_estimate']
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from gan_helpers.dcgan import (N_FIXED_SAMPLES, DCGANConfig, DCGANDiscriminator, DCGANGenerator, make_fixed_noise,
                               sample_in_eval_mode, unconditional_images, validate_architecture)
from gan_helpers.losses import critic_loss_wasserstein, g_loss_wasserstein, gradient_penalty
from gan_helpers.validate import lookup_preset, require_betas, require_positive_int, require_positive_number

CRITIC_NORMS = ("layer", "none")


@dataclass(frozen=True)
class WGANGPConfig:
    """Shapes of a DCGAN-shaped WGAN-GP and its training hyper-parameters.

    Attributes:
        resolution, channels, z_dim, g_width, d_width, max_width, layout, bias: the architecture, as
            in :class:`gan_helpers.dcgan.DCGANConfig` (``d_width`` is the critic's).
        critic_norm: ``"layer"`` (``GroupNorm(1, C)``) or ``"none"``. Never batch norm.
        gp_weight: λ, the gradient-penalty weight.
        n_critic: critic steps per generator step.
        lr: Adam learning rate for both networks.
        betas: Adam's β₁, β₂ for both networks.
    """

    resolution: int = 64
    channels: int = 3
    z_dim: int = 128
    g_width: int = 64
    d_width: int = 64
    max_width: int = 1024
    layout: str = "dense"
    bias: bool = True
    critic_norm: str = "layer"
    gp_weight: float = 10.0
    n_critic: int = 5
    lr: float = 1e-4
    betas: tuple[float, float] = (0.0, 0.9)

    def __post_init__(self):
        what = type(self).__name__
        validate_architecture(self, what)
        if self.critic_norm not in CRITIC_NORMS:
            raise ValueError(f"{what}.critic_norm: expected one of {list(CRITIC_NORMS)} (never batch norm in a "
                             f"WGAN-GP critic); got {self.critic_norm!r}")
        if not (isinstance(self.gp_weight, (int, float)) and math.isfinite(self.gp_weight) and self.gp_weight >= 0):
            raise ValueError(f"{what}.gp_weight: expected a number ≥ 0; got {self.gp_weight!r}")
        require_positive_int(self.n_critic, f"{what}.n_critic")
        require_positive_number(self.lr, f"{what}.lr")
        object.__setattr__(self, "betas", require_betas(self.betas, f"{what}.betas"))

    @classmethod
    def preset(cls, name: str) -> WGANGPConfig:
        """``"tiny"`` or ``"paper"`` (see the module docstring)."""
        return lookup_preset(WGANGP_PRESETS, name, "WGAN-GP")

    def architecture(self) -> DCGANConfig:
        """The DCGAN shapes shared by the generator and the critic."""
        return DCGANConfig(resolution=self.resolution, channels=self.channels, z_dim=self.z_dim,
                           g_width=self.g_width, d_width=self.d_width, max_width=self.max_width,
                           layout=self.layout, bias=self.bias)


WGANGP_PRESETS: dict[str, WGANGPConfig] = {
    "tiny": WGANGPConfig(resolution=32, channels=1, z_dim=32, g_width=16, d_width=16),
    "paper": WGANGPConfig(resolution=64, channels=3, z_dim=128, g_width=64, d_width=64),
}


class WGANCritic(DCGANDiscriminator):
    """Images ``[B, C, R, R]`` → scores ``[B]``: a DCGAN discriminator with layer norm (or none) for batch norm.

    ``from_image`` (Conv, LeakyReLU 0.2), ``body`` (Conv → GroupNorm(1, C) or nothing → LeakyReLU)
    down to ``[B, W4, 4, 4]``, and ``head`` to one score per image, as in
    :class:`~gan_helpers.dcgan.DCGANDiscriminator`. Each score depends on its own image only.
    """

    def __init__(self, config: WGANGPConfig):
        super().__init__(config.architecture(), norm=config.critic_norm)
        self.config = config


class WGANGPTrainer:
    """A :class:`~gan_helpers.dcgan.DCGANGenerator`, a :class:`WGANCritic` and the WGAN-GP update.

    Attributes:
        config: the :class:`WGANGPConfig`.
        device: where the networks live; :meth:`step` moves each batch there.
        G, critic: the two networks.
        opt_G, opt_critic: Adam(config.lr, config.betas) each.
        fixed_noise: ``[64, z_dim]`` noise for :meth:`sample_grid`.
        step_count: completed :meth:`step` calls (generator steps).

    All randomness in :meth:`step` (z, and the interpolation factors of the penalty) comes from
    torch's global RNG, so a resumed run reproduces an uninterrupted one.
    """

    def __init__(self, config: WGANGPConfig, device: str | torch.device = "cpu"):
        if not isinstance(config, WGANGPConfig):
            raise TypeError(f"config: expected a WGANGPConfig; got {type(config).__name__}")
        self.config = config
        self.device = torch.device(device)
        self.G = DCGANGenerator(config.architecture()).to(self.device)
        self.critic = WGANCritic(config).to(self.device)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=config.lr, betas=config.betas)
        self.opt_critic = torch.optim.Adam(self.critic.parameters(), lr=config.lr, betas=config.betas)
        self.fixed_noise = make_fixed_noise(N_FIXED_SAMPLES, config.z_dim, self.device)
        self.step_count = 0

    def _critic_step(self, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One critic update on ``real [b, C, R, R]``; returns (loss, weighted penalty, W estimate), detached."""
        z = torch.randn(real.shape[0], self.config.z_dim, device=self.device)  # [b, z_dim]
        with torch.no_grad():
            fake = self.G(z)                                                   # [b, C, R, R], no graph into G
        real_scores, fake_scores = self.critic(real), self.critic(fake)        # [b], [b]
        wasserstein_loss = critic_loss_wasserstein(real_scores, fake_scores)   # E[D(fake)] − E[D(real)] ≈ −W
        gp = gradient_penalty(self.critic, real, fake, weight=self.config.gp_weight)
        loss = wasserstein_loss + gp
        self.opt_critic.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_critic.step()
        return loss.detach(), gp.detach(), -wasserstein_loss.detach()

    def step(self, batch: torch.Tensor | tuple) -> dict[str, float]:
        """``n_critic`` critic steps (one per chunk of ``batch``), then one generator step.

        Args:
            batch: ``[N, C, R, R]`` in [-1, 1] with ``N ≥ n_critic``, or ``(images, labels)``.

        Returns:
            ``{"critic_loss", "g_loss", "gp", "wasserstein_estimate"}``, the first three averaged
            over the critic steps: ``critic_loss`` is the whole objective, ``gp`` the penalty term in
            it (already multiplied by λ), ``wasserstein_estimate = mean(real scores) − mean(fake
            scores)``, so ``critic_loss = gp − wasserstein_estimate``.
        """
        c = self.config
        real = unconditional_images(batch, "WGANGPTrainer batch", c.channels, c.resolution, self.device)
        if real.shape[0] < c.n_critic:
            raise ValueError(f"WGANGPTrainer batch: expected at least n_critic = {c.n_critic} images (one chunk per "
                             f"critic step; the paper uses {c.n_critic} × 64); got {real.shape[0]}")
        chunks = torch.tensor_split(real, c.n_critic)        # n_critic × [≈N/n_critic, C, R, R]
        losses, gps, w_estimates = zip(*(self._critic_step(chunk) for chunk in chunks))

        z = torch.randn(chunks[0].shape[0], c.z_dim, device=self.device)
        g_loss = g_loss_wasserstein(self.critic(self.G(z)))  # −E[D(G(z))]
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward(inputs=[p for p in self.G.parameters() if p.requires_grad])  # critic's grads untouched
        self.opt_G.step()
        self.step_count += 1

        logs = {"critic_loss": torch.stack(losses).mean().item(), "g_loss": g_loss.item(),
                "gp": torch.stack(gps).mean().item(), "wasserstein_estimate": torch.stack(w_estimates).mean().item()}
        bad = {k: v for k, v in logs.items() if not math.isfinite(v)}
        if bad:
            raise FloatingPointError(f"WGAN-GP step {self.step_count}: non-finite values {bad}")
        return logs

    def sample_grid(self, batch: object = None) -> torch.Tensor:
        """``[64, C, R, R]`` images in [-1, 1] from the fixed noise (G in eval mode; ``batch`` is unused)."""
        return sample_in_eval_mode(self.G, self.fixed_noise)

    def sample(self, n: int) -> torch.Tensor:
        """``[n, C, R, R]`` new images in [-1, 1]: z from torch's global RNG, G in eval mode."""
        require_positive_int(n, "n")
        return sample_in_eval_mode(self.G, torch.randn(n, self.config.z_dim, device=self.device))

    def state_dict(self) -> dict:
        """Networks, optimisers, fixed noise, step count and the config (checked on load)."""
        return {"config": dataclasses.asdict(self.config), "G": self.G.state_dict(),
                "critic": self.critic.state_dict(), "opt_G": self.opt_G.state_dict(),
                "opt_critic": self.opt_critic.state_dict(), "fixed_noise": self.fixed_noise.detach().cpu(),
                "step_count": self.step_count}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`'s output; raise ``ValueError`` if it was made with another config."""
        mine, theirs = dataclasses.asdict(self.config), dict(state.get("config") or {})
        if "betas" in theirs:
            theirs["betas"] = tuple(theirs["betas"])
        if theirs != mine:
            raise ValueError(f"checkpoint was made with config {theirs}; this trainer has {mine}")
        self.G.load_state_dict(state["G"])
        self.critic.load_state_dict(state["critic"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_critic.load_state_dict(state["opt_critic"])
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self.step_count = int(state["step_count"])
