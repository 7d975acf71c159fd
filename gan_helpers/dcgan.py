"""DCGAN: the deep convolutional GAN of chapters 1 and 3, at any power-of-two resolution.

What it is
----------
Radford, Metz & Chintala, *Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks* (arXiv 2015). Both networks are plain stacks of strided
convolutions, and a handful of rules make them train:

* the generator upsamples with stride-2 transposed convolutions (kernel 4, padding 1: each one
  doubles the side), the discriminator downsamples with stride-2 convolutions (no pooling);
* batch norm after every layer except the generator's output layer and the discriminator's
  input layer;
* ReLU in the generator, tanh on its output (images live in ``[-1, 1]``); LeakyReLU(0.2) in the
  discriminator, which returns a *logit* per image (no sigmoid: the losses take logits);
* weights drawn from N(0, 0.02) (batch-norm scales from N(1, 0.02)) — :func:`dcgan_init_`, which
  both constructors apply;
* Adam, learning rate 2e-4, β = (0.5, 0.999).

Shapes, for the 64×64 layout of chapter 1 (``"ch1"`` preset)::

    G: z [B, 128] → Linear → [B, 512, 4, 4] → [B, 256, 8, 8] → [B, 128, 16, 16]
                  → [B, 64, 32, 32] → [B, 3, 64, 64] → tanh
    D: x [B, 3, 64, 64] → [B, 64, 32, 32] → [B, 128, 16, 16] → [B, 256, 8, 8]
                        → [B, 512, 4, 4] → flatten → Linear → logits [B]

Two ways in and out (``layout``)
--------------------------------
``"dense"``: z ``[B, z_dim]`` → Linear → ``[B, C0, 4, 4]``; D mirrors it, ending in flatten → Linear.
``"conv"``:  z as a ``[B, z_dim, 1, 1]`` map → ConvTranspose(kernel 4, stride 1, padding 0) → 4×4;
D ends in a 4×4 convolution to one channel. The two have the same weights (a dense layer's bias
is per unit, ``C0·16`` of them, a transposed conv's per channel, ``C0``); they differ only in
whether the first and last layers are written as dense or convolutional.

Either way ``log2(R / 4)`` stride-2 layers connect 4×4 with R×R, so 64×64 takes four (five
transposed convs in all with the ``"conv"`` layout, as in pytorch/examples) and 32×32 takes three.
Widths double toward the 4×4 end: the layer at side ``s`` has ``width · (R/2) / s`` channels
(``g_width``/``d_width`` = the channels next to the image, "ngf"/"ndf"), capped at ``max_width``.

Presets (:meth:`DCGANConfig.preset`)
------------------------------------
============  ==========================================================================================
``tiny``      32×32×1 (the digits upsampled), z 32, widths 16 → 64; trains on a CPU
``ch1``       chapter 1 exactly: z 128, dense to 4×4×512, 64×64×3, biases on every layer
``examples``  pytorch/examples ``dcgan/main.py``: nz 100, ngf = ndf = 64, z as a 1×1 map, no biases;
              3,576,704 G and 2,765,568 D parameters, the official counts (its D ends in a sigmoid;
              ours returns the logit, which has the same parameters)
``paper``     the DCGAN paper: z 100 projected to 4×4×1024, then 512, 256, 128 → 64×64×3, D the
              mirror (128 → 1024, then a dense logit); no biases. The paper gives no parameter count,
              so none is asserted; this layout has 12,658,432 in G and 11,036,160 in D. The authors'
              code (Newmu/dcgan_code) used 5×5 kernels and uniform z; we keep the 4×4 kernels and
              Gaussian z of the rest of the course.
============  ==========================================================================================

Any preset works at any power-of-two resolution ≥ 32::

    cfg = dataclasses.replace(DCGANConfig.preset("ch1"), resolution=128)   # one more layer each side

Usage
-----
>>> import torch
>>> from gan_helpers.dcgan import DCGANConfig, DCGANGenerator, DCGANDiscriminator, DCGANTrainer
>>> cfg = DCGANConfig.preset("tiny")
>>> G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
>>> G(torch.randn(8, cfg.z_dim)).shape
torch.Size([8, 1, 32, 32])
>>> D(torch.zeros(8, 1, 32, 32)).shape
torch.Size([8])
>>> trainer = DCGANTrainer(cfg)                       # G, D and two Adam optimisers
>>> logs = trainer.step(torch.rand(16, 1, 32, 32) * 2 - 1)
>>> sorted(logs)
['d_fake', 'd_loss', 'd_real', 'g_loss']
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from gan_helpers.losses import d_loss_bce, g_loss_nonsaturating
from gan_helpers.validate import (lookup_preset, require_betas, require_images, require_positive_int,
                                  require_positive_number, require_power_of_two, require_tensor)

LAYOUTS = ("dense", "conv")
NORMS = ("batch", "layer", "none")
MIN_RESOLUTION = 32
N_FIXED_SAMPLES = 64      # images in the trainers' sample grid
FIXED_NOISE_SEED = 1234   # the grid's noise comes from its own generator, never the global RNG


# --------------------------------------------------------------------------------------------------
# The transposed-convolution size formula (chapter 1)
# --------------------------------------------------------------------------------------------------

def _require_int(n: object, name: str, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name}: expected an int; got {type(n).__name__}")
    if n < minimum:
        raise ValueError(f"{name}: expected an int ≥ {minimum}; got {n}")
    return n


def convtranspose_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                              output_padding: int = 0, dilation: int = 1) -> int:
    """Side of a transposed convolution's output, as :class:`torch.nn.ConvTranspose2d` computes it.

    .. math::
        H_{out} = (H_{in} - 1)\\,s - 2p + d\\,(k - 1) + p_{out} + 1

    A transposed convolution spreads each input pixel over a ``k × k`` window, ``s`` pixels apart:
    ``(H_in − 1)·s + d·(k − 1) + 1`` pixels before ``p`` is trimmed from each border and
    ``p_out`` added on one side. With ``k = 4, s = 2, p = 1`` it is exactly ``2·H_in``; with
    ``k = 4, s = 1, p = 0`` a 1×1 input becomes 4×4.

    Args:
        size: input side ``H_in`` ≥ 1.
        kernel: kernel side ``k`` ≥ 1.
        stride: ``s`` ≥ 1.
        padding: ``p`` ≥ 0.
        output_padding: ``p_out`` ≥ 0, and smaller than ``stride`` or ``dilation`` (PyTorch's rule).
        dilation: ``d`` ≥ 1.

    Returns:
        the output side ``H_out`` (an int ≥ 1).

    Raises:
        TypeError: an argument is not an int.
        ValueError: an argument is out of range, or the padding leaves no output.
    """
    _require_int(size, "size", 1)
    _require_int(kernel, "kernel", 1)
    _require_int(stride, "stride", 1)
    _require_int(padding, "padding", 0)
    _require_int(output_padding, "output_padding", 0)
    _require_int(dilation, "dilation", 1)
    if output_padding >= max(stride, dilation):
        raise ValueError(f"output_padding: expected less than stride ({stride}) or dilation ({dilation}); "
                         f"got {output_padding}")
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if out < 1:
        raise ValueError(f"padding {padding} leaves no output for size {size}, kernel {kernel}, stride {stride}, "
                         f"dilation {dilation} (computed {out})")
    return out


# --------------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------------

def validate_architecture(config: object, what: str) -> None:
    """Check the shape fields shared by DCGAN-shaped configs (``resolution``, widths, ``layout``...).

    ``what`` names the config in the error, e.g. ``"DCGANConfig"`` → ``DCGANConfig.resolution: ...``.
    """
    require_power_of_two(config.resolution, f"{what}.resolution", minimum=MIN_RESOLUTION)
    for field in ("channels", "z_dim", "g_width", "d_width", "max_width"):
        require_positive_int(getattr(config, field), f"{what}.{field}")
    if config.layout not in LAYOUTS:
        raise ValueError(f"{what}.layout: expected one of {list(LAYOUTS)}; got {config.layout!r}")
    if not isinstance(config.bias, bool):
        raise TypeError(f"{what}.bias: expected a bool; got {type(config.bias).__name__}")


def _widths(width: int, resolution: int, max_width: int) -> list[int]:
    """Channels at sides 4, 8, ..., R/2: ``width · (R/2) / side``, capped at ``max_width``."""
    sides = [4 * 2**i for i in range(int(math.log2(resolution // 4)))]
    return [min(width * (resolution // 2) // side, max_width) for side in sides]


@dataclass(frozen=True)
class DCGANConfig:
    """Shapes and widths of a DCGAN. Build one with :meth:`preset`, tweak it with ``dataclasses.replace``.

    Attributes:
        resolution: image side R, a power of two ≥ 32.
        channels: image channels C (3 for colour, 1 for digits).
        z_dim: length of the noise vector z.
        g_width: generator channels at side R/2 ("ngf"); they double at each smaller side.
        d_width: discriminator channels at side R/2 ("ndf"); they double at each smaller side.
        max_width: cap on any layer's channels.
        layout: ``"dense"`` (z → Linear → 4×4; D ends in a Linear) or ``"conv"`` (z as a 1×1 map →
            ConvTranspose → 4×4; D ends in a 4×4 conv).
        bias: whether convolutions and linear layers carry a bias (PyTorch's default is True;
            pytorch/examples and the paper's code use none, since batch norm's shift does the job).
    """

    resolution: int = 64
    channels: int = 3
    z_dim: int = 100
    g_width: int = 64
    d_width: int = 64
    max_width: int = 1024
    layout: str = "conv"
    bias: bool = False

    def __post_init__(self):
        validate_architecture(self, type(self).__name__)

    @classmethod
    def preset(cls, name: str) -> DCGANConfig:
        """``"tiny"``, ``"ch1"``, ``"examples"`` or ``"paper"`` (see the module docstring)."""
        return lookup_preset(DCGAN_PRESETS, name, "DCGAN")

    @property
    def n_stride2(self) -> int:
        """Number of stride-2 layers between 4×4 and R×R: ``log2(R / 4)``."""
        return int(math.log2(self.resolution // 4))

    def generator_widths(self) -> list[int]:
        """Generator channels at sides ``[4, 8, ..., R/2]``."""
        return _widths(self.g_width, self.resolution, self.max_width)

    def discriminator_widths(self) -> list[int]:
        """Discriminator channels at sides ``[R/2, ..., 8, 4]``."""
        return _widths(self.d_width, self.resolution, self.max_width)[::-1]


DCGAN_PRESETS: dict[str, DCGANConfig] = {
    "tiny": DCGANConfig(resolution=32, channels=1, z_dim=32, g_width=16, d_width=16, layout="dense", bias=True),
    "ch1": DCGANConfig(resolution=64, channels=3, z_dim=128, g_width=64, d_width=64, layout="dense", bias=True),
    "examples": DCGANConfig(resolution=64, channels=3, z_dim=100, g_width=64, d_width=64, layout="conv",
                            bias=False),
    "paper": DCGANConfig(resolution=64, channels=3, z_dim=100, g_width=128, d_width=128, layout="dense",
                         bias=False),
}


# --------------------------------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------------------------------

_WEIGHTED = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
             nn.Linear)
_NORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm)


@torch.no_grad()
def dcgan_init_(module: nn.Module) -> nn.Module:
    """DCGAN initialisation, in place, of every layer inside ``module``; returns ``module``.

    Convolution, transposed-convolution and linear weights ~ N(0, 0.02); normalisation scales
    (batch, group and layer norm) ~ N(1, 0.02); every bias 0. Draws from the global torch RNG.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"dcgan_init_: expected an nn.Module; got {type(module).__name__}")
    for m in module.modules():
        if isinstance(m, _WEIGHTED):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, _NORMS):
            if getattr(m, "weight", None) is not None:
                nn.init.normal_(m.weight, 1.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
    return module


# --------------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------------

def _norm_layer(norm: str, channels: int) -> nn.Module:
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "layer":
        return nn.GroupNorm(1, channels)   # layer norm over [C, H, W], with a scale and shift per channel
    return nn.Identity()


class DCGANGenerator(nn.Module):
    """z ``[B, z_dim]`` (or ``[B, z_dim, 1, 1]``) → images ``[B, C, R, R]`` in ``[-1, 1]``.

    ``stem`` makes ``[B, W4, 4, 4]`` (dense or conv, by ``config.layout``), ``body`` holds the
    stride-2 blocks (ConvTranspose → BatchNorm → ReLU) up to ``[B, W, R/2, R/2]`` and ``to_image``
    is the last transposed conv (no batch norm) and tanh. Initialised with :func:`dcgan_init_`.
    """

    def __init__(self, config: DCGANConfig):
        super().__init__()
        self.config = config
        c, widths = config, config.generator_widths()
        w4 = widths[0]
        if c.layout == "dense":
            self.stem = nn.Sequential(
                nn.Linear(c.z_dim, w4 * 4 * 4, bias=c.bias),          # [B, z] → [B, W4·16]
                nn.Unflatten(1, (w4, 4, 4)),                           # → [B, W4, 4, 4]
                nn.BatchNorm2d(w4), nn.ReLU())
        else:
            self.stem = nn.Sequential(
                nn.Unflatten(1, (c.z_dim, 1, 1)),                      # [B, z] → [B, z, 1, 1]
                nn.ConvTranspose2d(c.z_dim, w4, 4, 1, 0, bias=c.bias),  # → [B, W4, 4, 4]
                nn.BatchNorm2d(w4), nn.ReLU())
        self.body = nn.Sequential(*[
            nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=c.bias), nn.BatchNorm2d(c_out), nn.ReLU())
            for c_in, c_out in zip(widths[:-1], widths[1:])])          # side s → 2s, each block
        self.to_image = nn.Sequential(nn.ConvTranspose2d(widths[-1], c.channels, 4, 2, 1, bias=c.bias), nn.Tanh())
        dcgan_init_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``[B, z_dim]`` or ``[B, z_dim, 1, 1]`` → ``[B, C, R, R]``."""
        require_tensor(z, f"{type(self).__name__} input z", like=self)
        zd = self.config.z_dim
        if not ((z.dim() == 2 and z.shape[1] == zd) or (z.dim() == 4 and tuple(z.shape[1:]) == (zd, 1, 1))):
            raise ValueError(f"{type(self).__name__} input z: expected shape [B, {zd}] or [B, {zd}, 1, 1]; "
                             f"got {list(z.shape)}")
        h = self.stem(z.reshape(z.shape[0], zd))   # [B, W4, 4, 4]
        h = self.body(h)                           # [B, W, R/2, R/2]
        return self.to_image(h)                    # [B, C, R, R] in [-1, 1]


class DCGANDiscriminator(nn.Module):
    """Images ``[B, C, R, R]`` → logits ``[B]`` (no sigmoid).

    ``from_image`` is the first stride-2 conv and LeakyReLU(0.2), without normalisation; ``body``
    holds the stride-2 blocks (Conv → norm → LeakyReLU) down to ``[B, W4, 4, 4]``; ``head`` is
    flatten → Linear (``"dense"``) or a 4×4 conv (``"conv"``) to one logit.

    Args:
        config: the shapes.
        norm: ``"batch"`` (DCGAN), or for a WGAN-GP critic ``"layer"`` (``GroupNorm(1, C)``) or ``"none"``.
    """

    def __init__(self, config: DCGANConfig, norm: str = "batch"):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm: expected one of {list(NORMS)}; got {norm!r}")
        self.config = config
        c, widths = config, config.discriminator_widths()
        self.from_image = nn.Sequential(nn.Conv2d(c.channels, widths[0], 4, 2, 1, bias=c.bias), nn.LeakyReLU(0.2))
        self.body = nn.Sequential(*[
            nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=c.bias), _norm_layer(norm, c_out), nn.LeakyReLU(0.2))
            for c_in, c_out in zip(widths[:-1], widths[1:])])          # side s → s/2, each block
        w4 = widths[-1]
        if c.layout == "dense":
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(w4 * 4 * 4, 1, bias=c.bias))
        else:
            self.head = nn.Sequential(nn.Conv2d(w4, 1, 4, 1, 0, bias=c.bias), nn.Flatten())
        dcgan_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, C, R, R]`` → ``[B]`` logits (or critic scores)."""
        require_images(x, f"{type(self).__name__} input", channels=self.config.channels,
                       resolution=self.config.resolution, like=self)
        h = self.from_image(x)        # [B, W, R/2, R/2]
        h = self.body(h)              # [B, W4, 4, 4]
        return self.head(h).view(-1)  # [B, 1] → [B]


def count_parameters(module: nn.Module) -> int:
    """Number of scalar parameters in ``module`` (``sum(p.numel())``, not state-dict entries)."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"count_parameters: expected an nn.Module; got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters())


# --------------------------------------------------------------------------------------------------
# One training step (chapter 3) and the trainer
# --------------------------------------------------------------------------------------------------

def _adversarial_step(G: nn.Module, D: nn.Module, opt_G: torch.optim.Optimizer, opt_D: torch.optim.Optimizer,
                      real: torch.Tensor, z_dim: int) -> dict[str, torch.Tensor]:
    """One D step then one G step on ``real [B, ...]``; returns the detached losses and logits."""
    z = torch.randn(real.shape[0], z_dim, device=real.device)   # [B, z_dim]
    fake = G(z)                                                 # [B, ...]

    # Discriminator: real → 1, fake → 0. detach() cuts the graph at G's output, so this step
    # computes no gradients for G and cannot change it.
    real_logits, fake_logits = D(real), D(fake.detach())       # [B], [B]
    d_loss = d_loss_bce(real_logits, fake_logits)
    opt_D.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_D.step()

    # Generator: the same fakes, scored by the updated D, non-saturating loss. `inputs=` sends
    # gradients to G's parameters only; D's are left as its own step made them.
    g_loss = g_loss_nonsaturating(D(fake))
    opt_G.zero_grad(set_to_none=True)
    g_loss.backward(inputs=[p for p in G.parameters() if p.requires_grad])
    opt_G.step()
    return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(),
            "real_logits": real_logits.detach(), "fake_logits": fake_logits.detach()}


def train_step(G: nn.Module, D: nn.Module, opt_G: torch.optim.Optimizer, opt_D: torch.optim.Optimizer,
               real_batch: torch.Tensor, z_dim: int) -> tuple[float, float]:
    """One GAN training iteration: a discriminator step, then a generator step (chapter 3).

    1. Draw z ``[B, z_dim]`` ~ N(0, I) on the batch's device and make fakes ``G(z)``.
    2. D step: ``d_loss = BCE(D(real), 1) + BCE(D(fake.detach()), 0)``; update D only.
    3. G step: ``g_loss = BCE(D(fake), 1)`` (non-saturating) with the updated D; update G only.

    Args:
        G: maps ``[B, z_dim]`` to a batch shaped like ``real_batch``.
        D: maps a batch to logits ``[B]`` (or ``[B, 1]``).
        opt_G, opt_D: their optimisers (chapter 3: Adam, lr 2e-4, betas (0.5, 0.999)).
        real_batch: ``[B, ...]`` real data (images in ``[-1, 1]`` for a DCGAN).
        z_dim: length of z.

    Returns:
        ``(d_loss, g_loss)`` as Python floats. With a D whose last layer is zero-initialised,
        ``d_loss = 2·ln 2`` (every logit is 0) and ``g_loss ≈ ln 2`` (D has moved by one step).
    """
    require_tensor(real_batch, "real_batch")
    require_positive_int(z_dim, "z_dim")
    out = _adversarial_step(G, D, opt_G, opt_D, real_batch, z_dim)
    return out["d_loss"].item(), out["g_loss"].item()


def unconditional_images(batch: object, name: str, channels: int, resolution: int,
                         device: torch.device) -> torch.Tensor:
    """The images of a batch (a Tensor, or ``(images, labels)`` with the labels ignored), checked, on ``device``."""
    if isinstance(batch, (tuple, list)):
        if len(batch) == 0:
            raise ValueError(f"{name}: expected images [B, {channels}, {resolution}, {resolution}] or "
                             "(images, labels); got an empty sequence")
        batch = batch[0]
    require_images(batch, name, channels=channels, resolution=resolution, check_range=True)
    return batch.to(device)


def make_fixed_noise(n: int, z_dim: int, device: torch.device) -> torch.Tensor:
    """``[n, z_dim]`` noise for sample grids, from its own seeded generator (the global RNG is untouched)."""
    require_positive_int(n, "make_fixed_noise n")
    require_positive_int(z_dim, "make_fixed_noise z_dim")
    g = torch.Generator().manual_seed(FIXED_NOISE_SEED)
    return torch.randn(n, z_dim, generator=g).to(device)


@torch.no_grad()
def sample_in_eval_mode(G: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """``G(z)`` with batch norm using its running statistics; G's training mode is restored after."""
    was_training = G.training
    G.eval()
    try:
        return G(z)
    finally:
        G.train(was_training)


class DCGANTrainer:
    """G, D, two Adam optimisers and :func:`train_step`'s update, behind the course's trainer interface.

    Attributes:
        config: the :class:`DCGANConfig`.
        device: where the networks live; :meth:`step` moves each batch there.
        G, D: :class:`DCGANGenerator`, :class:`DCGANDiscriminator`.
        opt_G, opt_D: Adam(lr, betas) each.
        fixed_noise: ``[64, z_dim]`` noise for :meth:`sample_grid`, the same on every machine.
        step_count: completed :meth:`step` calls.

    Every random number inside :meth:`step` comes from torch's global RNG, so restoring
    :meth:`state_dict` and ``torch.get_rng_state()`` reproduces an uninterrupted run.
    """

    def __init__(self, config: DCGANConfig, device: str | torch.device = "cpu", lr: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999)):
        if not isinstance(config, DCGANConfig):
            raise TypeError(f"config: expected a DCGANConfig; got {type(config).__name__}")
        self.config = config
        self.device = torch.device(device)
        self.lr, self.betas = float(require_positive_number(lr, "lr")), require_betas(betas, "betas")
        self.G = DCGANGenerator(config).to(self.device)
        self.D = DCGANDiscriminator(config).to(self.device)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=self.lr, betas=self.betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=self.lr, betas=self.betas)
        self.fixed_noise = make_fixed_noise(N_FIXED_SAMPLES, config.z_dim, self.device)
        self.step_count = 0

    def step(self, batch: torch.Tensor | tuple) -> dict[str, float]:
        """One D step and one G step on ``batch`` (``[B, C, R, R]`` in [-1, 1], or ``(images, labels)``).

        Returns:
            ``{"d_loss", "g_loss", "d_real", "d_fake"}``: the two losses, and the mean of
            ``sigmoid(logit)`` on the real and the fake images before D's update (for display).
        """
        real = unconditional_images(batch, "DCGANTrainer batch", self.config.channels, self.config.resolution,
                                    self.device)
        out = _adversarial_step(self.G, self.D, self.opt_G, self.opt_D, real, self.config.z_dim)
        self.step_count += 1
        logs = {"d_loss": out["d_loss"].item(), "g_loss": out["g_loss"].item(),
                "d_real": torch.sigmoid(out["real_logits"]).mean().item(),
                "d_fake": torch.sigmoid(out["fake_logits"]).mean().item()}
        bad = {k: v for k, v in logs.items() if not math.isfinite(v)}
        if bad:
            raise FloatingPointError(f"DCGAN step {self.step_count}: non-finite values {bad}")
        return logs

    def sample_grid(self, batch: object = None) -> torch.Tensor:
        """``[64, C, R, R]`` images in [-1, 1] from the fixed noise (G in eval mode; ``batch`` is unused)."""
        return sample_in_eval_mode(self.G, self.fixed_noise)

    def sample(self, n: int) -> torch.Tensor:
        """``[n, C, R, R]`` new images in [-1, 1]: z from torch's global RNG, G in eval mode."""
        require_positive_int(n, "n")
        return sample_in_eval_mode(self.G, torch.randn(n, self.config.z_dim, device=self.device))

    def state_dict(self) -> dict:
        """Networks, optimisers, fixed noise, step count, and the config and hyper-parameters (checked on load)."""
        return {"config": dataclasses.asdict(self.config), "lr": self.lr, "betas": self.betas,
                "G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
                "fixed_noise": self.fixed_noise.detach().cpu(), "step_count": self.step_count}

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`'s output; raise ``ValueError`` if it was made with another config."""
        mine = {"config": dataclasses.asdict(self.config), "lr": self.lr, "betas": self.betas}
        theirs = {k: state.get(k) for k in mine}
        if theirs["betas"] is not None:
            theirs["betas"] = tuple(theirs["betas"])
        if theirs != mine:
            raise ValueError(f"checkpoint was made with {theirs}; this trainer has {mine}")
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self.step_count = int(state["step_count"])
