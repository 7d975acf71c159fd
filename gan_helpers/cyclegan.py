"""CycleGAN: unpaired image-to-image translation with a cycle-consistency loss.

Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
Networks", ICCV 2017 (arXiv 1703.10593). Two generators translate between domains A and B, two
discriminators judge each domain, and translating there and back must return the input::

    a ──G_AB──▶ fake_b ──G_BA──▶ rec_a        cycle loss  λ·|a − rec_a|₁
    b ──G_BA──▶ fake_a ──G_AB──▶ rec_b        cycle loss  λ·|b − rec_b|₁
    D_A: real a vs fake_a                     D_B: real b vs fake_b

The pieces, each matching the official code (junyanz/pytorch-CycleGAN-and-pix2pix) in layout and
parameter count:

- :class:`ResnetGenerator` — reflection-padded 7×7 stem, two stride-2 convs, ``n_blocks`` residual
  blocks at 1/4 resolution, two transposed convs back up, a 7×7 output conv and ``tanh``. With
  ``width=64`` it has 11,378,179 parameters with 9 blocks (256×256 images) and 7,837,699 with 6
  (128×128 images), for 3 → 3 channels and instance norm.
- :class:`PatchDiscriminator` — the "70×70 PatchGAN" of pix2pix: a fully convolutional net that
  returns a *map* of logits ``[B, 1, H', W']``, one per overlapping 70×70 patch (30×30 logits for a
  256×256 image); see :func:`patchgan_output_size` and :func:`patchgan_receptive_field`. It is shared
  with :mod:`gan_helpers.pix2pix`, which feeds it the condition and the image concatenated.
- :class:`ImagePool` — the history buffer of 50 generated images that the discriminators are
  trained on (Shrivastava et al. 2017), so D does not chase only G's latest output.
- :func:`cycle_loss` and :func:`identity_loss` — weighted L1 distances.
- :class:`CycleGANConfig` with presets ``"tiny"`` (32×32, CPU, trains in seconds), ``"paper"``
  (256×256, 9 blocks) and ``"paper-128"`` (128×128, 6 blocks), and :class:`CycleGANTrainer`.

Losses, scaled as in the official code (least-squares GAN, "lsgan"):

- each generator's adversarial term is ``MSE(D(fake), 1)`` = ``2 · losses.g_loss_lsgan``;
- each discriminator's loss is ``½ (MSE(D(real), 1) + MSE(D(fake), 0))`` = ``losses.d_loss_lsgan``;
- the cycle terms are ``λ_cycle · mean|x − rec|`` (λ_cycle = 10), the identity terms
  ``λ_cycle · λ_identity · mean|x − G(x)|`` (λ_identity = 0.5, so the weight is 5);
- ``g_loss = adv_AB + adv_BA + cycle_A + cycle_B + identity_A + identity_B``.

Naming: the official code calls G_AB ``netG_A`` and G_BA ``netG_B``, and its ``netD_A`` judges
domain *B*. Here each discriminator is named after the domain it judges: ``D_A`` sees real and fake
A images, ``D_B`` real and fake B images.

Not included: the paper's learning-rate schedule (constant for 100 epochs, then linear decay to 0
over 100 more) is a matter for the training loop, which knows the epoch length.

Example::

    from gan_helpers.cyclegan import CycleGANConfig, CycleGANTrainer
    trainer = CycleGANTrainer(CycleGANConfig.preset("tiny"), device="cpu")
    a, b = torch.rand(4, 3, 32, 32) * 2 - 1, torch.rand(4, 3, 32, 32) * 2 - 1   # unpaired batches
    losses = trainer.step((a, b))        # {"g_loss", "d_a", "d_b", "cycle", "identity"}
    grid = trainer.sample_grid((a, b))   # [6 * 4, 3, 32, 32]: rows a, fake_b, rec_a, b, fake_a, rec_b
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import torch
import torch.nn as nn

from gan_helpers.losses import d_loss_lsgan, g_loss_lsgan
from gan_helpers.validate import (lookup_preset, require_betas, require_images, require_positive_int,
                                  require_positive_number, require_power_of_two, require_same_batch,
                                  require_same_device, require_tensor)

NORMS = ("instance", "batch", "none")


# --------------------------------------------------------------------------------------------------
# Building blocks shared with pix2pix
# --------------------------------------------------------------------------------------------------

def check_norm(norm: str) -> str:
    """Raise ``ValueError`` unless ``norm`` is one of ``"instance"``, ``"batch"``, ``"none"``; return it."""
    if norm not in NORMS:
        raise ValueError(f"norm: expected one of {list(NORMS)}; got {norm!r}")
    return norm


def norm_layer(norm: str, channels: int) -> nn.Module:
    """The normalisation layer for ``channels`` feature maps, as the official code builds it.

    ``"instance"``: ``InstanceNorm2d`` with no learnable affine and no running statistics (so it
    behaves the same in train and eval mode); ``"batch"``: ``BatchNorm2d`` with affine and running
    statistics; ``"none"``: identity. Shapes: ``[B, C, H, W]`` → ``[B, C, H, W]``.
    """
    check_norm(norm)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    return nn.Identity()


def init_weights(module: nn.Module, gain: float = 0.02) -> nn.Module:
    """Initialise as the papers do: conv weights ~ N(0, gain²), biases 0, batch-norm scales ~ N(1, gain²).

    Draws from torch's global RNG, so ``torch.manual_seed`` makes it reproducible. Returns ``module``.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"init_weights: expected an nn.Module; got {type(module).__name__}")
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return module


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (not state-dict entries: buffers such as running means are not counted)."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"count_parameters: expected an nn.Module; got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters())


def _conv_bias(norm: str) -> bool:
    # Batch norm has its own learnable shift, which makes a conv bias redundant; instance norm here has
    # no affine parameters, so the conv keeps its bias (the official rule).
    return norm != "batch"


# --------------------------------------------------------------------------------------------------
# ResNet generator
# --------------------------------------------------------------------------------------------------

class ResidualBlock(nn.Module):
    """``x + F(x)`` where F is reflection pad, 3×3 conv, norm, ReLU, reflection pad, 3×3 conv, norm.

    Shapes: ``[B, C, H, W]`` → ``[B, C, H, W]``.
    """

    def __init__(self, channels: int, norm: str = "instance"):
        super().__init__()
        bias = _conv_bias(norm)
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            norm_layer(norm, channels),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=bias),
            norm_layer(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)  # [B, C, H, W]


class ResnetGenerator(nn.Module):
    """CycleGAN's generator (Johnson et al.'s style-transfer network): ``[B, in, H, W]`` → ``[B, out, H, W]``.

    Layout for ``width`` w (official names: ``ngf``)::

        reflect-pad 3, conv 7×7 in→w, norm, ReLU                    [B, w,  H,   W]
        conv 3×3 stride 2 w→2w, norm, ReLU                          [B, 2w, H/2, W/2]
        conv 3×3 stride 2 2w→4w, norm, ReLU                         [B, 4w, H/4, W/4]
        n_blocks × ResidualBlock(4w)                                [B, 4w, H/4, W/4]
        transposed conv 3×3 stride 2 4w→2w, norm, ReLU              [B, 2w, H/2, W/2]
        transposed conv 3×3 stride 2 2w→w, norm, ReLU               [B, w,  H,   W]
        reflect-pad 3, conv 7×7 w→out (with bias), tanh             [B, out, H,  W]

    Args:
        in_channels: channels of the input images.
        out_channels: channels of the output images.
        width: channels after the stem (64 in the paper).
        n_blocks: residual blocks: 9 for 256×256 images, 6 for 128×128 in the paper.
        norm: ``"instance"`` (the official default), ``"batch"`` or ``"none"``.

    Any input whose height and width are multiples of 4 and at least 8 works (two halvings, and the
    reflection padding needs a 2×2 map at the bottom). Output values lie in ``(-1, 1)``.
    """

    def __init__(self, in_channels: int, out_channels: int, width: int = 64, n_blocks: int = 9,
                 norm: str = "instance"):
        super().__init__()
        self.in_channels = require_positive_int(in_channels, "ResnetGenerator in_channels")
        self.out_channels = require_positive_int(out_channels, "ResnetGenerator out_channels")
        require_positive_int(width, "ResnetGenerator width")
        if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 0:
            raise ValueError(f"ResnetGenerator n_blocks: expected an int ≥ 0; got {n_blocks!r}")
        check_norm(norm)
        bias = _conv_bias(norm)
        w = width
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(in_channels, w, 7, bias=bias), norm_layer(norm, w), nn.ReLU(True),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1, bias=bias), norm_layer(norm, 2 * w), nn.ReLU(True),
            nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1, bias=bias), norm_layer(norm, 4 * w), nn.ReLU(True),
        ]
        layers += [ResidualBlock(4 * w, norm) for _ in range(n_blocks)]
        layers += [
            nn.ConvTranspose2d(4 * w, 2 * w, 3, stride=2, padding=1, output_padding=1, bias=bias),
            norm_layer(norm, 2 * w), nn.ReLU(True),
            nn.ConvTranspose2d(2 * w, w, 3, stride=2, padding=1, output_padding=1, bias=bias),
            norm_layer(norm, w), nn.ReLU(True),
            nn.ReflectionPad2d(3), nn.Conv2d(w, out_channels, 7), nn.Tanh(),
        ]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, in_channels, H, W]`` → ``[B, out_channels, H, W]`` in ``(-1, 1)``."""
        require_images(x, "ResnetGenerator input", channels=self.in_channels, like=self)
        h, w = x.shape[-2:]
        if h % 4 or w % 4 or h < 8 or w < 8:
            raise ValueError("ResnetGenerator input: expected height and width that are multiples of 4 and at "
                             f"least 8 (two stride-2 downsamplings); got shape {list(x.shape)}")
        return self.net(x)  # stem [B, w, H, W] → down [B, 4w, H/4, W/4] → blocks → up → [B, out, H, W]


# --------------------------------------------------------------------------------------------------
# PatchGAN discriminator
# --------------------------------------------------------------------------------------------------

def _patchgan_layers(n_layers: int) -> list[tuple[int, int]]:
    """(kernel, stride) of each conv of the n-layer PatchGAN: n stride-2 convs then two stride-1 convs."""
    require_positive_int(n_layers, "n_layers")
    return [(4, 2)] * n_layers + [(4, 1), (4, 1)]


def patchgan_output_size(input_size: int, n_layers: int = 3) -> int:
    """Side of the logit map a :class:`PatchDiscriminator` returns for a side of ``input_size``.

    Every conv has kernel 4 and padding 1, so a side ``n`` becomes ``(n + 2 − 4) // s + 1``: about
    ``n/2`` for the stride-2 convs and ``n − 1`` for the two stride-1 ones. 256 → 128 → 64 → 32 →
    31 → 30. Returns 0 or less when the input is too small.
    """
    require_positive_int(input_size, "input_size")
    n = input_size
    for kernel, stride in _patchgan_layers(n_layers):
        if n + 2 < kernel:
            return 0
        n = (n + 2 - kernel) // stride + 1
    return n


def patchgan_receptive_field(n_layers: int = 3) -> int:
    """Side of the input patch that one output logit of a :class:`PatchDiscriminator` sees.

    Walking back from one output pixel, a conv with kernel k and stride s turns a field of r pixels
    into ``s·r + (k − s)``. For the default 3 layers: 1 → 4 → 7 → 16 → 34 → 70, the "70×70 PatchGAN";
    2 layers give 34 and 4 layers 142.
    """
    r = 1
    for kernel, stride in reversed(_patchgan_layers(n_layers)):
        r = stride * r + (kernel - stride)
    return r


class PatchDiscriminator(nn.Module):
    """The PatchGAN of pix2pix and CycleGAN: ``[B, in_channels, H, W]`` → logits ``[B, 1, H', W']``.

    Layout for ``width`` w (official: ``NLayerDiscriminator``, ``ndf`` = w), every conv 4×4 with padding 1::

        conv stride 2 in→w (bias), LeakyReLU 0.2                    (no norm on the input layer)
        for n = 1 … n_layers−1: conv stride 2 → w·min(2ⁿ, 8), norm, LeakyReLU 0.2
        conv stride 1 → w·min(2^n_layers, 8), norm, LeakyReLU 0.2
        conv stride 1 → 1 (bias)                                    logits, no sigmoid

    Each logit judges one ``patchgan_receptive_field(n_layers)``-pixel square patch (70×70 for 3
    layers); the GAN loss averages over the map. A 256×256 input gives a 30×30 map.

    Args:
        in_channels: 3 for CycleGAN's images; 6 for pix2pix's conditional D, which takes the input
            and the output image concatenated along channels, ``torch.cat([a, b], dim=1)``.
        width: channels of the first conv (64 in the papers).
        n_layers: stride-2 convs (3 is the 70×70 PatchGAN).
        norm: ``"instance"`` (CycleGAN), ``"batch"`` (pix2pix) or ``"none"``.
    """

    def __init__(self, in_channels: int, width: int = 64, n_layers: int = 3, norm: str = "instance"):
        super().__init__()
        self.in_channels = require_positive_int(in_channels, "PatchDiscriminator in_channels")
        require_positive_int(width, "PatchDiscriminator width")
        self.n_layers = require_positive_int(n_layers, "PatchDiscriminator n_layers")
        check_norm(norm)
        bias = _conv_bias(norm)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        channels = width
        for n in range(1, n_layers + 1):
            out = width * min(2 ** n, 8)
            stride = 2 if n < n_layers else 1  # the last of these keeps the resolution
            layers += [nn.Conv2d(channels, out, 4, stride=stride, padding=1, bias=bias),
                       norm_layer(norm, out), nn.LeakyReLU(0.2, True)]
            channels = out
        layers.append(nn.Conv2d(channels, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)
        # The smallest side that still gives a 1×1 logit map (for the error message).
        self.min_size = next(n for n in itertools.count(1) if patchgan_output_size(n, n_layers) >= 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, in_channels, H, W]`` → logits ``[B, 1, patchgan_output_size(H), patchgan_output_size(W)]``."""
        require_tensor(x, "PatchDiscriminator input")
        if x.dim() == 4 and x.shape[1] != self.in_channels and x.shape[1] * 2 == self.in_channels:
            raise ValueError(f"PatchDiscriminator input: expected images of shape [B, {self.in_channels}, H, W]; "
                             f"got {list(x.shape)}. This is a conditional discriminator: pass the condition and "
                             "the image concatenated along channels, torch.cat([a, b], dim=1)")
        require_images(x, "PatchDiscriminator input", channels=self.in_channels, like=self)
        if min(x.shape[-2:]) < self.min_size:
            raise ValueError(f"PatchDiscriminator input: expected height and width of at least {self.min_size} "
                             f"for n_layers={self.n_layers}; got shape {list(x.shape)}")
        return self.net(x)  # [B, C, H, W] → ... → [B, 8w, H/2^n − 1, W/2^n − 1] → [B, 1, H', W']


# --------------------------------------------------------------------------------------------------
# Image pool
# --------------------------------------------------------------------------------------------------

class ImagePool:
    """A history of generated images for training the discriminator (Shrivastava et al. 2017).

    ``query(images)`` takes a batch of fakes ``[B, C, H, W]`` and returns a batch of the same shape.
    While the pool holds fewer than ``size`` images, each incoming image is stored and returned as
    is. Once full, each incoming image, independently, with probability ½ replaces a uniformly
    chosen stored image and the stored one is returned in its place; otherwise it is returned as is.
    ``size=0`` turns the pool off (``query`` returns its input).

    Randomness comes from torch's global RNG, so saving and restoring ``torch.get_rng_state()``
    together with :meth:`state_dict` reproduces a run. Stored images are detached copies.
    """

    def __init__(self, size: int = 50):
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"ImagePool size: expected an int ≥ 0; got {size!r}")
        self.size = size
        self.images: list[torch.Tensor] = []  # each [C, H, W]

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """``[B, C, H, W]`` fakes → ``[B, C, H, W]``: a mix of these and earlier ones (see the class docstring)."""
        require_images(images, "ImagePool.query images")
        if self.images and images.shape[1:] != self.images[0].shape:
            stored = ", ".join(map(str, self.images[0].shape))
            raise ValueError(f"ImagePool.query images: expected images of shape [B, {stored}] like those already "
                             f"stored; got {list(images.shape)}")
        if self.size == 0:
            return images
        out = []
        for image in images.detach():  # image: [C, H, W]
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(()).item() < 0.5:
                i = int(torch.randint(self.size, ()).item())
                out.append(self.images[i])
                self.images[i] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)  # [B, C, H, W]

    def state_dict(self) -> dict:
        """``{"size": int, "images": [N, C, H, W] tensor or None}``."""
        return {"size": self.size, "images": torch.stack(self.images) if self.images else None}

    def load_state_dict(self, state: dict, device: torch.device | str | None = None) -> None:
        """Restore the contents saved by :meth:`state_dict` (moved to ``device`` when given)."""
        if state["size"] != self.size:
            raise ValueError(f"ImagePool.load_state_dict: expected a pool of size {self.size}; got {state['size']}")
        images = state["images"]
        if images is None:
            self.images = []
            return
        if images.shape[0] > self.size:
            raise ValueError(f"ImagePool.load_state_dict: {images.shape[0]} images do not fit a pool of size "
                             f"{self.size}")
        if device is not None:
            images = images.to(device)
        self.images = [im.clone() for im in images]


# --------------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------------

def _same_images(x: torch.Tensor, y: torch.Tensor, name_x: str, name_y: str) -> None:
    require_tensor(x, name_x)
    require_tensor(y, name_y)
    if x.shape != y.shape:
        raise ValueError(f"{name_y}: expected the shape of {name_x}, {list(x.shape)}; got {list(y.shape)}")
    require_same_device(x, y, name_x, name_y)


def cycle_loss(real: torch.Tensor, reconstructed: torch.Tensor, weight: float = 10.0) -> torch.Tensor:
    """Cycle-consistency loss ``weight · mean|real − reconstructed|`` (L1, as in the paper; λ = 10).

    ``real`` and ``reconstructed`` are ``[B, C, H, W]`` (any matching shape); returns ``[]``.
    """
    _same_images(real, reconstructed, "real", "reconstructed")
    return weight * (real - reconstructed).abs().mean()


def identity_loss(real: torch.Tensor, same: torch.Tensor, weight: float = 10.0,
                  identity_weight: float = 0.5) -> torch.Tensor:
    """Identity loss ``weight · identity_weight · mean|real − same|`` where ``same = G_AB(b)`` for real ``b``.

    The official code scales the identity term by the cycle weight λ (10) times ``lambda_identity``
    (0.5), so its effective weight is 5. ``[B, C, H, W]`` and ``[B, C, H, W]`` → ``[]``.
    """
    _same_images(real, same, "real", "same")
    return weight * identity_weight * (real - same).abs().mean()


def lsgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """CycleGAN's adversarial generator term ``MSE(D(fake), 1) = mean((D(fake) − 1)²)``: ``[B, 1, H', W']`` → ``[]``.

    This is twice :func:`gan_helpers.losses.g_loss_lsgan`, which carries a ½: the official code uses
    the plain mean squared error for the generator.
    """
    return 2.0 * g_loss_lsgan(fake_scores)


def lsgan_discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """One discriminator's loss ``½ (MSE(D(real), 1) + MSE(D(fake), 0))``, the official scaling; → ``[]``.

    Identical to :func:`gan_helpers.losses.d_loss_lsgan`.
    """
    return d_loss_lsgan(real_scores, fake_scores)


# --------------------------------------------------------------------------------------------------
# Configuration and trainer
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CycleGANConfig:
    """Everything that defines a CycleGAN run; the defaults are the paper's 256×256 setting.

    Attributes:
        resolution: side of the (square) training images; a power of two large enough for the PatchGAN.
        channels: channels of both domains' images (identity loss needs them equal).
        width: generator width (``ngf``); d_width: discriminator width (``ndf``).
        n_blocks: residual blocks (9 at 256×256, 6 at 128×128).
        d_layers: stride-2 layers of the PatchGAN (3 → 70×70 patches).
        norm: ``"instance"`` in the paper, for G and D.
        lambda_cycle: weight λ of each cycle term (10).
        lambda_identity: identity weight relative to λ (0.5 → effective weight 5); 0 turns it off.
        pool_size: images in each discriminator's history pool (50); 0 turns it off.
        lr, betas: Adam for both the generator pair and the discriminator pair.
        batch_size: images per domain per step (1 in the paper); used by the training loop.
        init_gain: standard deviation of the N(0, σ²) weight initialisation.
    """

    resolution: int = 256
    channels: int = 3
    width: int = 64
    d_width: int = 64
    n_blocks: int = 9
    d_layers: int = 3
    norm: str = "instance"
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    pool_size: int = 50
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 1
    init_gain: float = 0.02

    def __post_init__(self):
        require_power_of_two(self.resolution, "CycleGANConfig resolution", minimum=8)
        if patchgan_output_size(self.resolution, self.d_layers) < 1:
            smallest = next(2 ** k for k in itertools.count(3) if patchgan_output_size(2 ** k, self.d_layers) >= 1)
            raise ValueError(f"CycleGANConfig resolution: a {self.d_layers}-layer PatchGAN needs images of at least "
                             f"{smallest}×{smallest}; got {self.resolution}")
        for name in ("channels", "width", "d_width", "batch_size"):
            require_positive_int(getattr(self, name), f"CycleGANConfig {name}")
        if isinstance(self.n_blocks, bool) or not isinstance(self.n_blocks, int) or self.n_blocks < 0:
            raise ValueError(f"CycleGANConfig n_blocks: expected an int ≥ 0; got {self.n_blocks!r}")
        if isinstance(self.pool_size, bool) or not isinstance(self.pool_size, int) or self.pool_size < 0:
            raise ValueError(f"CycleGANConfig pool_size: expected an int ≥ 0; got {self.pool_size!r}")
        check_norm(self.norm)
        for name in ("lambda_cycle", "lambda_identity"):
            if getattr(self, name) < 0:
                raise ValueError(f"CycleGANConfig {name}: expected a value ≥ 0; got {getattr(self, name)}")
        require_positive_number(self.lr, "CycleGANConfig lr", "learning rate")
        require_betas(self.betas, "CycleGANConfig betas")
        require_positive_number(self.init_gain, "CycleGANConfig init_gain", "standard deviation")

    @classmethod
    def preset(cls, name: str, **overrides) -> "CycleGANConfig":
        """The preset called ``name`` (see :data:`CYCLEGAN_PRESETS`), with any fields replaced by ``overrides``."""
        return dataclasses.replace(lookup_preset(CYCLEGAN_PRESETS, name, "CycleGAN"), **overrides)


CYCLEGAN_PRESETS: dict[str, CycleGANConfig] = {
    # CPU toy: 32×32, narrow nets, 2 residual blocks; about 0.1 s a step (batch 4) on one CPU core.
    "tiny": CycleGANConfig(resolution=32, width=8, d_width=8, n_blocks=2, batch_size=4),
    # The paper's 256×256 setting (horse↔zebra etc.): resnet_9blocks, 70×70 PatchGAN, batch 1.
    "paper": CycleGANConfig(),
    # The official setting for 128×128 images (e.g. Cityscapes in the paper): resnet_6blocks.
    "paper-128": CycleGANConfig(resolution=128, n_blocks=6),
}


def split_pair(batch, who: str, channels_a: int, channels_b: int, resolution: int,
               device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Check a batch ``(a, b)`` of two ``[B, C, H, W]`` image tensors in [-1, 1] and move it to ``device``.

    Shared with pix2pix. Raises ``TypeError`` for anything but a pair of tensors and ``ValueError``
    for wrong channels, resolution, range or mismatched batch sizes.
    """
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = type(batch).__name__
        if isinstance(batch, (tuple, list)):
            got = f"a {got} of length {len(batch)}"
        raise TypeError(f"{who}: expected a pair (a, b) of image batches [B, C, H, W]; got {got}")
    a, b = batch
    require_images(a, f"{who} a", channels=channels_a, resolution=resolution, check_range=True)
    require_images(b, f"{who} b", channels=channels_b, resolution=resolution, check_range=True)
    require_same_batch(a, b, f"{who} a", f"{who} b")
    return a.to(device), b.to(device)


class CycleGANTrainer:
    """Trains a CycleGAN: ``G_AB``, ``G_BA`` (:class:`ResnetGenerator`), ``D_A``, ``D_B`` (:class:`PatchDiscriminator`).

    One :meth:`step` does, as the official ``optimize_parameters``:

    1. the generators' update on ``adv(D_B(G_AB(a))) + adv(D_A(G_BA(b))) + cycle + identity``, with
       the discriminators frozen; one Adam optimiser holds both generators;
    2. the discriminators' update: ``D_A`` on real ``a`` vs fakes ``G_BA(b)`` drawn through ``pool_a``,
       ``D_B`` on real ``b`` vs fakes ``G_AB(a)`` drawn through ``pool_b``; one Adam for both.

    Batches are unpaired pairs ``(a, b)``, each ``[B, channels, resolution, resolution]`` in [-1, 1].
    All randomness (weight init, the pools) comes from torch's global RNG.
    """

    def __init__(self, config: CycleGANConfig | str = "tiny", device: torch.device | str = "cpu"):
        if isinstance(config, str):
            config = CycleGANConfig.preset(config)
        if not isinstance(config, CycleGANConfig):
            raise TypeError("CycleGANTrainer config: expected a CycleGANConfig or a preset name; "
                            f"got {type(config).__name__}")
        self.config = config
        self.device = torch.device(device)
        self.step_count = 0
        c = config

        def generator() -> ResnetGenerator:
            return ResnetGenerator(c.channels, c.channels, c.width, c.n_blocks, c.norm)

        def discriminator() -> PatchDiscriminator:
            return PatchDiscriminator(c.channels, c.d_width, c.d_layers, c.norm)

        self.G_AB = init_weights(generator(), c.init_gain).to(self.device)      # A → B
        self.G_BA = init_weights(generator(), c.init_gain).to(self.device)      # B → A
        self.D_A = init_weights(discriminator(), c.init_gain).to(self.device)   # judges domain A
        self.D_B = init_weights(discriminator(), c.init_gain).to(self.device)   # judges domain B
        self.opt_g = torch.optim.Adam(itertools.chain(self.G_AB.parameters(), self.G_BA.parameters()),
                                      lr=c.lr, betas=c.betas)
        self.opt_d = torch.optim.Adam(itertools.chain(self.D_A.parameters(), self.D_B.parameters()),
                                      lr=c.lr, betas=c.betas)
        self.pool_a = ImagePool(c.pool_size)  # history of G_BA's fakes, for D_A
        self.pool_b = ImagePool(c.pool_size)  # history of G_AB's fakes, for D_B

    def _split(self, batch, who: str) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.config
        return split_pair(batch, who, c.channels, c.channels, c.resolution, self.device)

    def _set_requires_grad(self, flag: bool) -> None:
        for p in itertools.chain(self.D_A.parameters(), self.D_B.parameters()):
            p.requires_grad_(flag)

    def step(self, batch) -> dict[str, float]:
        """One training iteration on an unpaired batch ``(a, b)``, each ``[B, C, H, W]`` in [-1, 1].

        Returns python floats: ``g_loss`` (everything the generators minimise), ``d_a`` and ``d_b``
        (each discriminator's ½(MSE real + MSE fake)), ``cycle`` (both weighted cycle terms) and
        ``identity`` (both weighted identity terms; 0 when ``lambda_identity`` is 0).
        """
        a, b = self._split(batch, "CycleGANTrainer.step batch")
        c = self.config
        for net in (self.G_AB, self.G_BA, self.D_A, self.D_B):
            net.train()

        # ---- generators: fool both discriminators, close both cycles --------------------------
        self._set_requires_grad(False)  # D's weights get no gradient from G's loss
        fake_b = self.G_AB(a)        # [B, C, H, W]
        rec_a = self.G_BA(fake_b)    # [B, C, H, W]  a → b → a
        fake_a = self.G_BA(b)        # [B, C, H, W]
        rec_b = self.G_AB(fake_a)    # [B, C, H, W]  b → a → b
        adv = lsgan_generator_loss(self.D_B(fake_b)) + lsgan_generator_loss(self.D_A(fake_a))  # maps [B, 1, H', W']
        cyc = cycle_loss(a, rec_a, c.lambda_cycle) + cycle_loss(b, rec_b, c.lambda_cycle)
        if c.lambda_identity > 0:
            # G_AB applied to an image already in B should leave it alone (and G_BA to one in A).
            idt = (identity_loss(b, self.G_AB(b), c.lambda_cycle, c.lambda_identity)
                   + identity_loss(a, self.G_BA(a), c.lambda_cycle, c.lambda_identity))
        else:
            idt = torch.zeros((), device=self.device)
        g_loss = adv + cyc + idt
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self._set_requires_grad(True)

        # ---- discriminators: real vs pooled fakes ------------------------------------------------
        pooled_a = self.pool_a.query(fake_a.detach())  # [B, C, H, W]
        pooled_b = self.pool_b.query(fake_b.detach())  # [B, C, H, W]
        d_a = lsgan_discriminator_loss(self.D_A(a), self.D_A(pooled_a))
        d_b = lsgan_discriminator_loss(self.D_B(b), self.D_B(pooled_b))
        self.opt_d.zero_grad(set_to_none=True)
        (d_a + d_b).backward()  # the two Ds share no weights: the same gradients as two backward calls
        self.opt_d.step()

        self.step_count += 1
        return {"g_loss": g_loss.item(), "d_a": d_a.item(), "d_b": d_b.item(),
                "cycle": cyc.item(), "identity": idt.item()}

    @torch.no_grad()
    def sample_grid(self, batch) -> torch.Tensor:
        """Translations of an unpaired batch ``(a, b)`` for a sample grid: ``[6·B, C, H, W]`` on the CPU.

        Each group of six consecutive images is ``a_i, G_AB(a_i), G_BA(G_AB(a_i)), b_i, G_BA(b_i),
        G_AB(G_BA(b_i))``, so ``torchvision.utils.make_grid(grid, nrow=6)`` shows one example per row.
        The networks run in eval mode (no RNG use, no state change), then go back to train mode.
        """
        a, b = self._split(batch, "CycleGANTrainer.sample_grid batch")
        self.G_AB.eval()
        self.G_BA.eval()
        try:
            fake_b = self.G_AB(a)
            rec_a = self.G_BA(fake_b)
            fake_a = self.G_BA(b)
            rec_b = self.G_AB(fake_a)
        finally:
            self.G_AB.train()
            self.G_BA.train()
        rows = torch.stack([a, fake_b, rec_a, b, fake_a, rec_b], dim=1)  # [B, 6, C, H, W]
        return rows.flatten(0, 1).cpu()                                  # [6B, C, H, W]

    def state_dict(self) -> dict:
        """Networks, optimisers, both image pools, ``step_count`` and the config (as a dict)."""
        return {
            "config": dataclasses.asdict(self.config),
            "step_count": self.step_count,
            "G_AB": self.G_AB.state_dict(), "G_BA": self.G_BA.state_dict(),
            "D_A": self.D_A.state_dict(), "D_B": self.D_B.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "pool_a": self.pool_a.state_dict(), "pool_b": self.pool_b.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore everything :meth:`state_dict` saved; the config must match this trainer's."""
        saved = dict(state["config"])
        saved["betas"] = tuple(saved["betas"])
        if saved != dataclasses.asdict(self.config):
            raise ValueError(f"CycleGANTrainer.load_state_dict: the checkpoint's config {saved} differs from "
                             f"this trainer's {dataclasses.asdict(self.config)}")
        for name in ("G_AB", "G_BA", "D_A", "D_B"):
            getattr(self, name).load_state_dict(state[name])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.pool_a.load_state_dict(state["pool_a"], self.device)
        self.pool_b.load_state_dict(state["pool_b"], self.device)
        self.step_count = int(state["step_count"])
