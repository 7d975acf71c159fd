"""Class-conditional GANs: G(z, y) and D(x, y), with concatenation or projection discriminators.

What it is
----------
A conditional GAN gives both players the class label ``y``. The generator draws an image of the
class it is asked for, ``G(z, y)``; the discriminator judges whether ``x`` is a *real image of
class y*, ``D(x, y)``, so a sharp "3" offered as a "7" is rejected and G must obey the label.
(Mirza & Osindero 2014, *Conditional Generative Adversarial Nets*.)

The generator here always embeds the label, ``e = Embedding(num_classes, embed_dim)(y)``, and
concatenates it with the noise ``[z, e]`` before an MLP (``arch="mlp"``, small flat images such as
the 8×8 digits) or a DCGAN-style stack of transposed convolutions (``arch="conv"``). Its output
goes through ``tanh``: images in ``[-1, 1]``, shape ``[B, C, R, R]``.

Two ways to feed ``y`` to the discriminator (``ConditionalConfig.discriminator``):

* ``"concat"`` (:class:`ConcatDiscriminator`): embed the label and concatenate it to the input,
  as ``embed_dim`` extra constant feature maps for the conv net (``[B, C + E, R, R]``) or as extra
  entries of the flat vector for the MLP (``[B, C·R·R + E]``).
* ``"projection"`` (:class:`ProjectionDiscriminator`; Miyato & Koyama 2018, *cGANs with Projection
  Discriminator*): a feature extractor ``φ(x) → [B, F]``, an unconditional head ``ψ: [B, F] → [B]``
  and one learned vector per class, ``V: [num_classes, F]``. The logit is

  .. math::  D(x, y) = ψ(φ(x)) + ⟨V_y, φ(x)⟩

  (:func:`projection_logit`). The paper derives this form from the log-density ratio of a
  discriminator whose class posterior is a softmax over ``φ``; the label enters through an inner
  product at the end rather than at the input, which trains more stably and scales to many classes.

Every discriminator returns **logits** ``[B]`` (no sigmoid). ``spectral_norm=True`` wraps every
linear, convolution and embedding layer of D in
:func:`torch.nn.utils.parametrizations.spectral_norm` (Miyato et al. 2018) and drops D's batch norm.

Presets (:meth:`ConditionalConfig.preset`)
-------------------------------------------
* ``"tiny"``: the 8×8 digits (``gan_helpers.data.digits(split, resolution=8)``), 10 classes, MLP G
  (2 × 512, ReLU) and concatenation D (2 × 256, LeakyReLU 0.2) on the flattened 64 pixels, z = 32,
  label embeddings of 16, BCE without label smoothing, R1 on the real digits with their labels
  (γ = 0.1, lazily every 4 steps), Adam(1.5e-3, β = (0.5, 0.999)) for both players with both
  learning rates decaying linearly from the first step to 0 at step 11,000 (``lr_decay_start=0``),
  batch 64, EMA of G (0.999), 11,000 steps. It is the 60-second benchmark preset: without R1 one step
  took about 4.3–4.6 ms of CPU with one thread (``torch.set_num_threads(1)``) on the course's
  November 2026 2-core machine with its other core busy, and R1 every 4 steps adds about 8 %, so the
  run ends by itself in about 50–55 s there, inside a 60-second budget (``fit(..., time_budget_s=60)``);
  stopped early by the clock, it loses only the tail of the decay, where the learning rates are
  already small. For tiny nets like this, ``torch.set_num_threads(1)`` is several times faster than
  two threads on a shared 2-core machine.

  Measured with ``python -m benchmarks --only conditional --reference-seconds`` (seeds 0–3:
  ``torch.manual_seed(seed)`` before the trainer, ``fit(..., seed=seed)``, then 10,000 samples from
  the EMA generator for labels drawn from the train split's class frequencies) on a December 2026
  machine whose yardstick ran at 92 steps/s, so the 60 reference seconds were 146 s there and the
  schedule was sized to 13,159 steps: the course's digits classifier
  (:mod:`gan_helpers.digits_classifier`) reads 99.60–99.61 % of the samples as the requested class,
  and their digits FID against the 297 test digits is 14.18 / 11.91 / 14.83 / 13.80 (mean 13.68 =
  1.01×, worst 14.83 = 1.099×) against the real-vs-real baseline of 13.50 (the 1,500 train digits
  against the same 297). It meets the course's target (≤ 1.1×) on seeds 0–3 with no margin, and
  not on every seed: seeds 4–7 (yardstick 104 steps/s, 12,846 steps) scored 13.30 / 16.47 / 14.01 /
  14.58 (worst 1.22×) and 99.42–99.72 %. The same protocol without R1 (14,161 steps) gave 14.9 /
  13.5 / 17.3 / 17.2 on seeds 0–3 (worst 1.28×).

  Why R1: the FID of the worst seeds came from missing variety, not from bad digits. On seed 2
  without R1, 1,500 samples had a k-NN precision of 0.965 against the train split but a recall of
  0.80 (:func:`gan_helpers.digits_classifier.digits_precision_recall`); R1 with γ = 0.1 kept the
  precision at 0.95 and raised the recall to 0.86 (FID 17.27 → 14.24 at 14,161 steps). Also on
  seed 2 at 14,161 steps: γ = 0.03, 0.3 and 1 scored 16.3, 16.0 and 15.0; dropout 0.3 in D (no R1),
  16.6 (recall 0.63); one-sided label smoothing 0.1 (no R1), 17.9. At 13,159 steps, where γ = 0.1
  scored 14.83: γ = 0.2, 15.8; EMA 0.9995, 15.0; R1 every 8 steps, 14.95 (at 13,650 steps, for the
  time it saves). A projection discriminator in place of concatenation (no R1) scored 28.3 and 25.3
  on seeds 0 and 1 (recall 0.73 and 0.72). With R1, Adam(2e-3) instead of 1.5e-3 scored 13.72 /
  14.14 / 14.35 / 14.72 on seeds 0–3 at 13,159 steps (mean 14.23, worst 14.72): no better.
* ``"digits32"``: the digits upsampled to 32×32×1, DCGAN-style conv G and concatenation D (a starting
  point; not tuned for quality).
* ``"cifar10"``: 32×32×3, 10 classes, DCGAN widths (64), projection D with spectral norm, the hinge
  loss and Adam(2e-4, β = (0, 0.9)), the optimiser and loss of the authors' CIFAR-10 configuration
  (pfnet-research/sngan_projection, ``configs/sn_cifar10_conditional.yml``, which also takes 5 D
  steps per G step; this trainer takes one). The networks are our layout, *not* a published one:
  the paper used ResNet generators and discriminators, so no parameter count is claimed for it.

Usage
-----
>>> import torch
>>> from gan_helpers.conditional import ConditionalConfig, ConditionalTrainer
>>> from gan_helpers.data import digits
>>> data = digits("train", resolution=8)
>>> trainer = ConditionalTrainer(ConditionalConfig.preset("tiny"))
>>> idx = torch.randint(len(data), (trainer.config.batch_size,))
>>> losses = trainer.step((data.images[idx], data.labels[idx]))    # {"d_loss": ..., "g_loss": ...}
>>> grid = trainer.sample_grid(None)            # [10 * 10, 1, 8, 8]: one row of samples per class
>>> threes = trainer.sampler.sample(torch.full((5,), 3))   # [5, 1, 8, 8] from the EMA generator
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from gan_helpers.losses import bce_with_logits, d_loss_hinge, g_loss_hinge, g_loss_nonsaturating, lazy_r1
from gan_helpers.training import linear_decay, set_learning_rates
from gan_helpers.validate import (lookup_preset, require_betas, require_images, require_in_range,
                                  require_positive_int, require_positive_number, require_power_of_two, require_same_batch, require_shape,
                                  require_tensor)

ARCHS = ("mlp", "conv")
DISCRIMINATORS = ("concat", "projection")
LOSSES = ("bce", "hinge")


@dataclass(frozen=True)
class ConditionalConfig:
    """Hyper-parameters of a class-conditional GAN (networks, loss, optimisers, budget).

    Attributes:
        arch: ``"mlp"`` (flattened images, any side) or ``"conv"`` (DCGAN-style; side a power of two ≥ 8).
        resolution: image side ``R``; images are ``[B, channels, R, R]`` in ``[-1, 1]``.
        channels: image channels ``C``.
        num_classes: number of classes; labels are int64 in ``[0, num_classes)``.
        z_dim: noise size; ``z ~ N(0, I)`` is ``[B, z_dim]``.
        embed_dim: size ``E`` of the label embeddings of G and of the concatenation D.
        g_width: MLP: hidden units of G; conv: channels of G's last hidden layer (DCGAN's ``ngf``).
        d_width: MLP: hidden units of D (and ``F`` of the projection D); conv: DCGAN's ``ndf``.
        mlp_depth: hidden layers of the MLP G and D.
        discriminator: ``"concat"`` or ``"projection"``.
        loss: ``"bce"`` (D: BCE on logits, G: non-saturating) or ``"hinge"``.
        spectral_norm: spectral norm on every layer of D (and no batch norm in D).
        label_smoothing: one-sided label smoothing: D's target for real images is ``1 - label_smoothing``
            (BCE only).
        lr_g, lr_d, betas: Adam settings of G and D.
        lr_decay_start: fraction of ``steps`` after which both learning rates decay linearly, reaching
            ``lr_decay_final`` times their initial values at step ``steps`` (:meth:`ConditionalTrainer.lr_scale`);
            1.0 (the default) keeps them constant.
        lr_decay_final: the learning rates' multiplier at the end of the decay, in ``[0, 1]``.
        r1_gamma: γ of the R1 penalty ``γ/2 · E‖∇ₓ D(x, y)‖²`` on real images with their labels
            (Mescheder et al. 2018; :func:`gan_helpers.losses.r1_penalty`); 0 turns it off.
        r1_every: apply R1 every this many steps, with γ multiplied by it (lazy regularisation, as in
            StyleGAN2).
        ema_decay: keep an exponential moving average of G's weights, ``θ_ema ← d·θ_ema + (1 - d)·θ``,
            after every G step (Karras et al. 2018; Yazıcı et al. 2019); 0 turns it off. The average
            makes the samples and the grid (:attr:`ConditionalTrainer.sampler`).
        batch_size, steps: the batch and number of steps the preset was tuned for.
        grid_per_class: columns of :meth:`ConditionalTrainer.sample_grid` (samples per class).
    """

    arch: str = "mlp"
    resolution: int = 8
    channels: int = 1
    num_classes: int = 10
    z_dim: int = 32
    embed_dim: int = 16
    g_width: int = 256
    d_width: int = 256
    mlp_depth: int = 2
    discriminator: str = "concat"
    loss: str = "bce"
    spectral_norm: bool = False
    label_smoothing: float = 0.0
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lr_decay_start: float = 1.0
    lr_decay_final: float = 0.0
    r1_gamma: float = 0.0
    r1_every: int = 1
    ema_decay: float = 0.0
    batch_size: int = 64
    steps: int = 1000
    grid_per_class: int = 10

    def __post_init__(self):
        for name, allowed in (("arch", ARCHS), ("discriminator", DISCRIMINATORS), ("loss", LOSSES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"ConditionalConfig.{name}: expected one of {list(allowed)}; "
                                 f"got {getattr(self, name)!r}")
        for name in ("resolution", "channels", "num_classes", "z_dim", "embed_dim", "g_width", "d_width",
                     "mlp_depth", "batch_size", "steps", "grid_per_class", "r1_every"):
            require_positive_int(getattr(self, name), f"ConditionalConfig.{name}")
        if self.arch == "conv":
            require_power_of_two(self.resolution, "ConditionalConfig.resolution (conv)", minimum=8)
        require_in_range(self.label_smoothing, "ConditionalConfig.label_smoothing", 0, 1, high_open=True)
        require_in_range(self.ema_decay, "ConditionalConfig.ema_decay", 0, 1, high_open=True, hint="0 = no EMA")
        for name in ("lr_decay_start", "lr_decay_final"):
            require_in_range(getattr(self, name), f"ConditionalConfig.{name}", 0, 1)
        for name in ("lr_g", "lr_d"):
            require_positive_number(getattr(self, name), f"ConditionalConfig.{name}", "learning rate")
        require_betas(self.betas, "ConditionalConfig.betas")
        require_in_range(self.r1_gamma, "ConditionalConfig.r1_gamma", 0, math.inf, high_open=True, hint="0 = no R1")
        if self.label_smoothing and self.loss != "bce":
            raise ValueError("ConditionalConfig.label_smoothing applies to the BCE loss only; "
                             f"got loss={self.loss!r}")

    @classmethod
    def preset(cls, name: str) -> ConditionalConfig:
        """The named preset (``"tiny"``, ``"digits32"``, ``"cifar10"``); unknown names raise ``ValueError``."""
        return lookup_preset(CONDITIONAL_PRESETS, name, "conditional GAN")


CONDITIONAL_PRESETS: dict[str, ConditionalConfig] = {
    # 8×8 digits, MLP on the flattened 64 pixels; the 60-second benchmark preset (one CPU thread, see the
    # module docstring): 11,000 steps with linearly decaying learning rates and lazy R1 end in about 55 s.
    "tiny": ConditionalConfig(arch="mlp", resolution=8, channels=1, num_classes=10, z_dim=32, embed_dim=16,
                              g_width=512, d_width=256, mlp_depth=2, discriminator="concat", loss="bce",
                              lr_g=1.5e-3, lr_d=1.5e-3, betas=(0.5, 0.999), lr_decay_start=0.0, lr_decay_final=0.0,
                              r1_gamma=0.1, r1_every=4, ema_decay=0.999, batch_size=64, steps=11_000),
    # The digits upsampled to 32×32, DCGAN-style conv nets of half DCGAN's width.
    "digits32": ConditionalConfig(arch="conv", resolution=32, channels=1, num_classes=10, z_dim=64, embed_dim=16,
                                  g_width=32, d_width=32, discriminator="concat", batch_size=64, steps=3000),
    # CIFAR-10-shaped: DCGAN widths, projection D with spectral norm and the hinge loss. Not a published
    # layout (the projection paper used ResNets), so no parameter count is asserted for it.
    "cifar10": ConditionalConfig(arch="conv", resolution=32, channels=3, num_classes=10, z_dim=128, embed_dim=128,
                                 g_width=64, d_width=64, discriminator="projection", loss="hinge",
                                 spectral_norm=True, lr_g=2e-4, lr_d=2e-4, betas=(0.0, 0.9), batch_size=64,
                                 steps=100_000),
}


# ----------------------------------------------------------------------------------------------------
# Input checks


def check_labels(labels: object, num_classes: int, name: str = "labels", batch: int | None = None) -> torch.Tensor:
    """Raise unless ``labels`` is an integer tensor ``[B]`` with values in ``[0, num_classes)``; return it.

    ``TypeError`` for a non-tensor or a non-integer dtype (floats and bools are refused: a float label
    usually means one-hot vectors or a mix-up of images and labels); ``ValueError`` for a wrong shape,
    a batch size other than ``batch``, or a value out of range.
    """
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor of int64 class indices; got {type(labels).__name__}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"{name}: expected an integer tensor (int64 class indices); got dtype {labels.dtype}")
    if labels.dim() != 1:
        raise ValueError(f"{name}: expected shape [B] (one class index per image); got {list(labels.shape)}")
    if batch is not None and labels.shape[0] != batch:
        raise ValueError(f"{name}: expected {batch} labels, one per image; got {labels.shape[0]}")
    if labels.numel() > 0:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"{name}: expected class indices in [0, {num_classes - 1}]; got values in [{lo}, {hi}]")
    return labels


def projection_logit(features: torch.Tensor, psi_out: torch.Tensor, class_embedding: torch.Tensor) -> torch.Tensor:
    """The projection discriminator's logit, ``ψ(φ(x)) + ⟨V_y, φ(x)⟩`` (Miyato & Koyama 2018).

    Args:
        features: ``[B, F]`` the features ``φ(x)``.
        psi_out: ``[B]`` the unconditional head's output ``ψ(φ(x))``.
        class_embedding: ``[B, F]`` each sample's class vector ``V_y`` (the rows of ``V`` picked by the labels).

    Returns:
        ``[B]`` logits.
    """
    require_tensor(features, "features")
    if features.dim() != 2:
        raise ValueError(f"features: expected shape [B, F]; got {list(features.shape)}")
    batch, width = features.shape
    require_shape(psi_out, [batch], "psi_out")
    require_shape(class_embedding, [batch, width], "class_embedding")
    return psi_out + (class_embedding * features).sum(dim=1)  # [B] + sum_F([B, F] * [B, F]) -> [B]


# ----------------------------------------------------------------------------------------------------
# Building blocks


def _dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), batch-norm scale N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _maybe_sn(layer: nn.Module, on: bool) -> nn.Module:
    return _spectral_norm(layer) if on else layer


def _conv_levels(resolution: int) -> int:
    """Stride-2 layers between a 4×4 map and ``resolution`` (32 → 3)."""
    return int(math.log2(resolution)) - 2


class ConditionalGenerator(nn.Module):
    """G(z, y): ``z [B, z_dim]`` and ``labels [B]`` (int64) → images ``[B, C, R, R]`` in ``[-1, 1]``.

    The label is embedded (``nn.Embedding(num_classes, embed_dim)``) and concatenated with ``z``:
    ``[B, z_dim + E]``. Then

    * ``arch="mlp"``: ``mlp_depth`` hidden layers of ``g_width`` units with ReLU, a linear layer to
      ``C·R·R`` pixels, ``tanh``, reshaped to ``[B, C, R, R]``;
    * ``arch="conv"`` (DCGAN): ``[B, z_dim + E, 1, 1]`` → ConvTranspose(k4, s1, p0) →
      ``[B, g_width·2^(L-1), 4, 4]``, then ``L = log2(R) - 2`` ConvTranspose(k4, s2, p1) layers each
      doubling the side and halving the channels, batch norm + ReLU on every hidden layer, ``tanh`` at
      the output (no batch norm there).
      For R = 32: 4×4×4w → 8×8×2w → 16×16×w → 32×32×C.
    """

    def __init__(self, config: ConditionalConfig):
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Embedding(c.num_classes, c.embed_dim)
        in_dim = c.z_dim + c.embed_dim
        if c.arch == "mlp":
            layers: list[nn.Module] = []
            for i in range(c.mlp_depth):
                layers += [nn.Linear(in_dim if i == 0 else c.g_width, c.g_width), nn.ReLU(inplace=True)]
            layers.append(nn.Linear(c.g_width, c.channels * c.resolution ** 2))
            self.net = nn.Sequential(*layers)
        else:
            levels = _conv_levels(c.resolution)
            width = c.g_width * 2 ** (levels - 1)
            layers = [nn.ConvTranspose2d(in_dim, width, 4, 1, 0, bias=False), nn.BatchNorm2d(width), nn.ReLU(True)]
            for _ in range(levels - 1):
                layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width // 2),
                           nn.ReLU(True)]
                width //= 2
            layers.append(nn.ConvTranspose2d(width, c.channels, 4, 2, 1))
            self.net = nn.Sequential(*layers)
            _dcgan_init(self.net)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``z [B, z_dim]``, ``labels [B]`` int64 → ``[B, C, R, R]`` in ``[-1, 1]``."""
        c = self.config
        require_shape(z, [None, c.z_dim], "ConditionalGenerator z", like=self)
        check_labels(labels, c.num_classes, "ConditionalGenerator labels", batch=z.shape[0])
        h = torch.cat([z, self.embed(labels)], dim=1)                      # [B, z_dim + E]
        if c.arch == "mlp":
            x = self.net(h)                                                  # [B, C*R*R]
        else:
            x = self.net(h[:, :, None, None])                                # [B, z+E, 1, 1] -> [B, C, R, R]
        return torch.tanh(x).view(-1, c.channels, c.resolution, c.resolution)  # [B, C, R, R]

    @torch.no_grad()
    def sample(self, labels: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw one image per label: ``labels [B]`` int64 → ``[B, C, R, R]`` in ``[-1, 1]`` (no gradients).

        ``z ~ N(0, I)`` comes from ``generator`` (a ``torch.Generator``, on any device) or, when it is
        ``None``, from torch's global RNG. Images are made on the module's device. The module is used in
        its current mode: call ``.eval()`` first to use batch-norm running statistics (conv G).
        """
        device = self.embed.weight.device
        check_labels(labels, self.config.num_classes, "ConditionalGenerator.sample labels")
        labels = labels.to(device)
        if generator is None:
            z = torch.randn(len(labels), self.config.z_dim, device=device)
        else:
            z = torch.randn(len(labels), self.config.z_dim, generator=generator, device=generator.device).to(device)
        return self(z, labels)


def _mlp_body(in_dim: int, width: int, depth: int, sn: bool) -> nn.Sequential:
    """``depth`` × (Linear → LeakyReLU 0.2): ``[B, in_dim]`` → ``[B, width]``."""
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [_maybe_sn(nn.Linear(in_dim if i == 0 else width, width), sn), nn.LeakyReLU(0.2, inplace=True)]
    return nn.Sequential(*layers)


def _conv_body(in_channels: int, resolution: int, width: int, sn: bool) -> tuple[nn.Sequential, int]:
    """DCGAN D body: ``[B, in_channels, R, R]`` → ``[B, width·2^(L-1), 4, 4]`` with ``L = log2(R) - 2``.

    Conv(k4, s2, p1) layers halve the side; LeakyReLU 0.2 everywhere; batch norm on every layer but the
    first (the DCGAN rule), or none with spectral norm. Returns the body and its output channels.
    """
    layers: list[nn.Module] = [_maybe_sn(nn.Conv2d(in_channels, width, 4, 2, 1), sn), nn.LeakyReLU(0.2, True)]
    for _ in range(_conv_levels(resolution) - 1):
        layers.append(_maybe_sn(nn.Conv2d(width, width * 2, 4, 2, 1, bias=sn), sn))
        if not sn:
            layers.append(nn.BatchNorm2d(width * 2))
        layers.append(nn.LeakyReLU(0.2, True))
        width *= 2
    body = nn.Sequential(*layers)
    _dcgan_init(body)
    return body, width


class _ConditionalDiscriminator(nn.Module):
    """Shared input checks of the two conditional discriminators."""

    def __init__(self, config: ConditionalConfig):
        super().__init__()
        self.config = config

    def _check(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        c, name = self.config, type(self).__name__
        require_images(images, f"{name} images", channels=c.channels, resolution=c.resolution, like=self)
        check_labels(labels, c.num_classes, f"{name} labels")
        require_same_batch(images, labels, f"{name} images", f"{name} labels")


class ConcatDiscriminator(_ConditionalDiscriminator):
    """D(x, y) with the label embedding concatenated to the input; ``[B, C, R, R]``, ``[B]`` → logits ``[B]``.

    * ``arch="mlp"``: ``[flatten(x), e] : [B, C·R·R + E]`` → ``mlp_depth`` × (Linear, LeakyReLU 0.2) →
      Linear → ``[B]``.
    * ``arch="conv"``: ``e`` broadcast to ``E`` constant feature maps and stacked on the image,
      ``[B, C + E, R, R]`` → DCGAN body → ``[B, 4·d_width, 4, 4]`` (R = 32) → Conv(k4, s1, p0) → ``[B]``.
    """

    def __init__(self, config: ConditionalConfig):
        super().__init__(config)
        c, sn = config, config.spectral_norm
        self.embed = _maybe_sn(nn.Embedding(c.num_classes, c.embed_dim), sn)
        if c.arch == "mlp":
            self.body = _mlp_body(c.channels * c.resolution ** 2 + c.embed_dim, c.d_width, c.mlp_depth, sn)
            self.head = _maybe_sn(nn.Linear(c.d_width, 1), sn)
        else:
            self.body, width = _conv_body(c.channels + c.embed_dim, c.resolution, c.d_width, sn)
            self.head = _maybe_sn(nn.Conv2d(width, 1, 4, 1, 0), sn)
            _dcgan_init(self.head)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``images [B, C, R, R]``, ``labels [B]`` int64 → logits ``[B]``."""
        self._check(images, labels)
        e = self.embed(labels)                                               # [B, E]
        if self.config.arch == "mlp":
            h = torch.cat([images.flatten(1), e], dim=1)                     # [B, C*R*R + E]
            return self.head(self.body(h)).squeeze(1)                        # [B, w] -> [B]
        b, _, r, _ = images.shape
        maps = e[:, :, None, None].expand(b, e.shape[1], r, r)              # [B, E, R, R]
        h = self.body(torch.cat([images, maps], dim=1))                      # [B, C+E, R, R] -> [B, w', 4, 4]
        return self.head(h).flatten()                                        # [B, 1, 1, 1] -> [B]


class ProjectionDiscriminator(_ConditionalDiscriminator):
    """Projection D (Miyato & Koyama 2018): logit = ψ(φ(x)) + ⟨V_y, φ(x)⟩; ``[B, C, R, R]``, ``[B]`` → ``[B]``.

    * ``φ``: ``arch="mlp"``: ``flatten(x) [B, C·R·R]`` → ``mlp_depth`` × (Linear, LeakyReLU 0.2) → ``[B, F]``
      with ``F = d_width``; ``arch="conv"``: DCGAN body → ``[B, F, 4, 4]`` (``F = 4·d_width`` at R = 32) →
      global sum pooling → ``[B, F]``.
    * ``ψ``: ``nn.Linear(F, 1)``; ``V``: ``nn.Embedding(num_classes, F)``.
    """

    def __init__(self, config: ConditionalConfig):
        super().__init__(config)
        c, sn = config, config.spectral_norm
        if c.arch == "mlp":
            self.phi = _mlp_body(c.channels * c.resolution ** 2, c.d_width, c.mlp_depth, sn)
            self.feature_dim = c.d_width
        else:
            self.phi, self.feature_dim = _conv_body(c.channels, c.resolution, c.d_width, sn)
        self.psi = _maybe_sn(nn.Linear(self.feature_dim, 1), sn)
        self.class_embed = _maybe_sn(nn.Embedding(c.num_classes, self.feature_dim), sn)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """``φ(x)``: ``[B, C, R, R]`` → ``[B, F]``."""
        if self.config.arch == "mlp":
            return self.phi(images.flatten(1))                               # [B, C*R*R] -> [B, F]
        return self.phi(images).sum(dim=(2, 3))                             # [B, F, 4, 4] -> [B, F]

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``images [B, C, R, R]``, ``labels [B]`` int64 → logits ``[B]``."""
        self._check(images, labels)
        h = self.features(images)                                            # [B, F]
        return projection_logit(h, self.psi(h).squeeze(1), self.class_embed(labels))  # [B]


def build_discriminator(config: ConditionalConfig) -> ConcatDiscriminator | ProjectionDiscriminator:
    """The discriminator ``config.discriminator`` names."""
    if not isinstance(config, ConditionalConfig):
        raise TypeError(f"build_discriminator: expected a ConditionalConfig (e.g. ConditionalConfig.preset('tiny')); "
                        f"got {type(config).__name__}")
    return (ConcatDiscriminator if config.discriminator == "concat" else ProjectionDiscriminator)(config)


# ----------------------------------------------------------------------------------------------------
# Training


class ConditionalTrainer:
    """Trains a class-conditional GAN one step at a time (the shared trainer interface).

    Args:
        config: a :class:`ConditionalConfig` or the name of one of its presets.
        device: where the networks live (``"cpu"``, ``"cuda"``, ``"mps"``, a ``torch.device``).

    Attributes:
        generator, discriminator: the networks; opt_g, opt_d: their Adam optimisers.
        generator_ema: the moving average of G (``config.ema_decay > 0``; always in eval mode) or ``None``.
        sampler: the generator that makes samples: ``generator_ema`` when there is one, else ``generator``.
        fixed_noise: ``[grid_per_class, z_dim]`` noise for :meth:`sample_grid`, drawn at init from its own
            seeded generator (so it does not touch the global RNG), the same for every class.
        step_count: completed :meth:`step` calls.
        last_r1: the R1 penalty's value at the latest step where it ran (0.0 before; see :meth:`step`).

    Each step draws its noise and fake labels from torch's global RNG only, so restoring the RNG state
    with :meth:`state_dict` reproduces an uninterrupted run exactly.
    """

    GRID_SEED = 1234

    def __init__(self, config: ConditionalConfig | str, device: torch.device | str = "cpu"):
        if isinstance(config, str):
            config = ConditionalConfig.preset(config)
        if not isinstance(config, ConditionalConfig):
            raise TypeError(f"config: expected a ConditionalConfig or a preset name; got {type(config).__name__}")
        self.config = config
        self.device = torch.device(device)
        self.generator = ConditionalGenerator(config).to(self.device)
        self.discriminator = build_discriminator(config).to(self.device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=config.lr_g, betas=config.betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=config.lr_d, betas=config.betas)
        self.generator_ema: ConditionalGenerator | None = None
        if config.ema_decay > 0:
            self.generator_ema = copy.deepcopy(self.generator).eval().requires_grad_(False)
        g = torch.Generator().manual_seed(self.GRID_SEED)
        self.fixed_noise = torch.randn(config.grid_per_class, config.z_dim, generator=g).to(self.device)
        self.step_count = 0
        self.last_r1 = 0.0

    def _losses(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        if self.config.loss == "hinge":
            return d_loss_hinge(real_logits, fake_logits)
        return bce_with_logits(real_logits, 1.0 - self.config.label_smoothing) + bce_with_logits(fake_logits, 0.0)

    def lr_scale(self, step: int) -> float:
        """The learning rates' multiplier at ``step`` (0-based): the linear decay of the config.

        1 up to step ``lr_decay_start · steps``, then linear down to ``lr_decay_final`` at step
        ``steps``, and ``lr_decay_final`` beyond (:func:`gan_helpers.training.linear_decay`).
        ``lr_decay_start = 1`` keeps it at 1 throughout.
        """
        c = self.config
        return linear_decay(step, c.steps, c.lr_decay_start, c.lr_decay_final)

    def _set_lr(self) -> None:
        """Set both optimisers' learning rates for the coming step (``config.lr_* · lr_scale(step_count)``)."""
        set_learning_rates(self.lr_scale(self.step_count),
                           (self.opt_d, self.config.lr_d), (self.opt_g, self.config.lr_g))

    def step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        """One D update then one G update on ``batch = (images [B, C, R, R] in [-1, 1], labels [B] int64)``.

        Fake labels are drawn uniformly over the classes; the learning rates follow :meth:`lr_scale`.
        With ``r1_gamma > 0`` D's loss includes the lazy R1 penalty on steps where ``step_count`` is a
        multiple of ``r1_every``.
        Returns ``{"d_loss", "g_loss"}`` as floats, plus ``"r1"`` with R1 on: the penalty's value at the
        latest step where it ran (D's loss includes it only on those steps).
        """
        c = self.config
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise TypeError("ConditionalTrainer.step: expected a batch (images [B, C, R, R], labels [B]); "
                            f"got {type(batch).__name__}")
        real, labels = batch
        require_images(real, "ConditionalTrainer real images", channels=c.channels, resolution=c.resolution,
                       check_range=True)
        check_labels(labels, c.num_classes, "ConditionalTrainer labels")
        require_same_batch(real, labels, "ConditionalTrainer real images", "ConditionalTrainer labels")
        real, labels = real.to(self.device), labels.to(self.device)
        b = real.shape[0]
        self._set_lr()

        # Discriminator: real images with their labels vs fakes of uniformly drawn classes.
        z = torch.randn(b, c.z_dim, device=self.device)                     # [B, z_dim]
        fake_labels = torch.randint(c.num_classes, (b,), device=self.device)  # [B]
        fake = self.generator(z, fake_labels)                                # [B, C, R, R]
        d_loss = self._losses(self.discriminator(real, labels), self.discriminator(fake.detach(), fake_labels))
        # Lazy R1 on the real images with their own labels: γ · r1_every every r1_every steps.
        r1 = lazy_r1(lambda x: self.discriminator(x, labels), real, c.r1_gamma, c.r1_every, self.step_count)
        if r1 is not None:
            d_loss = d_loss + r1
            self.last_r1 = r1.item()
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        # Generator: make the (just updated) D call the same fakes real for their labels.
        fake_logits = self.discriminator(fake, fake_labels)                  # [B]
        g_loss = g_loss_hinge(fake_logits) if c.loss == "hinge" else g_loss_nonsaturating(fake_logits)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        if self.generator_ema is not None:
            self._update_ema()

        self.step_count += 1
        logs = {"d_loss": d_loss.item(), "g_loss": g_loss.item()}
        if c.r1_gamma > 0:
            logs["r1"] = self.last_r1
        return logs

    @torch.no_grad()
    def _update_ema(self) -> None:
        """``θ_ema ← d·θ_ema + (1 - d)·θ`` for the parameters; buffers (batch-norm statistics) are copied."""
        for p_ema, p in zip(self.generator_ema.parameters(), self.generator.parameters()):
            p_ema.lerp_(p, 1.0 - self.config.ema_decay)
        for b_ema, b in zip(self.generator_ema.buffers(), self.generator.buffers()):
            b_ema.copy_(b)

    @property
    def sampler(self) -> ConditionalGenerator:
        """The generator used for samples: the EMA copy when ``ema_decay > 0``, else the trained G."""
        return self.generator if self.generator_ema is None else self.generator_ema

    @torch.no_grad()
    def sample_grid(self, batch: object = None) -> torch.Tensor:
        """``[num_classes * grid_per_class, C, R, R]`` in ``[-1, 1]``: row k holds class k, one fixed noise per column.

        ``batch`` is ignored (the grid depends only on the fixed noise). The grid comes from :attr:`sampler`
        in eval mode, so it leaves batch-norm statistics untouched; G is put back in its previous mode.
        """
        c = self.config
        labels = torch.arange(c.num_classes, device=self.device).repeat_interleave(c.grid_per_class)  # [K*N]
        z = self.fixed_noise.repeat(c.num_classes, 1)                        # [K*N, z_dim]
        g = self.sampler
        was_training = g.training
        g.eval()
        try:
            return g(z, labels)                                              # [K*N, C, R, R]
        finally:
            g.train(was_training)

    def state_dict(self) -> dict:
        """Networks (EMA included), optimisers, fixed noise, step count, last R1 value and the config (as a dict)."""
        return {"config": dataclasses.asdict(self.config), "generator": self.generator.state_dict(),
                "generator_ema": None if self.generator_ema is None else self.generator_ema.state_dict(),
                "discriminator": self.discriminator.state_dict(), "opt_g": self.opt_g.state_dict(),
                "opt_d": self.opt_d.state_dict(), "fixed_noise": self.fixed_noise.detach().cpu().clone(),
                "step_count": self.step_count, "last_r1": self.last_r1}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` saved; a state saved with another config raises ``ValueError``."""
        saved = dict(state["config"])
        saved["betas"] = tuple(saved["betas"])
        if saved != dataclasses.asdict(self.config) | {"betas": tuple(self.config.betas)}:
            diff = sorted(k for k in saved if saved[k] != getattr(self.config, k, None))
            raise ValueError(f"state was saved with a different ConditionalConfig (fields {diff} differ)")
        self.generator.load_state_dict(state["generator"])
        if self.generator_ema is not None:
            self.generator_ema.load_state_dict(state["generator_ema"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self.step_count = int(state["step_count"])
        self.last_r1 = float(state.get("last_r1", 0.0))


__all__ = ["ARCHS", "CONDITIONAL_PRESETS", "DISCRIMINATORS", "LOSSES", "ConcatDiscriminator", "ConditionalConfig",
           "ConditionalGenerator", "ConditionalTrainer", "ProjectionDiscriminator", "build_discriminator",
           "check_labels", "projection_logit"]
