"""StyleGAN2: style-based generator with weight demodulation, residual discriminator and lazy regularisation.

Paper: Karras, Laine, Aittala, Hellsten, Lehtinen and Aila, "Analyzing and Improving the Image
Quality of StyleGAN" (arXiv 2019, CVPR 2020). This module is a readable re-implementation of its
configuration F in pure PyTorch (no custom CUDA ops), written to be read in one sitting next to
the paper; the official code is NVlabs/stylegan2-ada-pytorch (``training/networks.py``,
``training/loss.py``) and a popular port is rosinality/stylegan2-pytorch. Loaded with the same
weights, these networks give the official networks' outputs to float precision.

The generator
-------------
::

    z [B, z_dim] --normalise--> 8 x (EqualLinear + lrelu, lr x 0.01) --> w [B, w_dim]
    w --broadcast (or style mixing)--> ws [B, num_ws, w_dim]

    const [C4, 4, 4] -> conv 4x4 -> toRGB ------------------------------------------+
                          |                                                         | up x2
                          +-> conv up 8x8 -> conv 8x8 -> toRGB ------------------- (+) -> ...
                                                ...                               -> image [B, 3, R, R]

* **Mapping network** (:class:`MappingNetwork`): normalises ``z`` by its second moment, applies
  ``mapping_layers`` fully connected layers with a learning-rate multiplier of 0.01 and tracks a
  moving average ``w_avg`` (β = 0.995) used by the truncation trick ``w_avg + ψ (w − w_avg)``.
* **Modulated convolution** (:func:`modulated_conv2d`): each sample's style ``s = A(w)`` scales the
  convolution weights per input channel; *demodulation* then rescales every output channel's
  weights to unit L2 norm, replacing StyleGAN's AdaIN (which caused the "droplet" artefacts).
  Per-sample weights are applied with one grouped convolution.
* **Noise inputs**: every synthesis conv adds ``strength · noise`` with a learned scalar strength;
  ``noise_mode="const"`` uses a fixed noise image stored as a buffer, ``"none"`` adds nothing.
* **Skip generator**: every resolution has a toRGB layer (modulated 1×1 conv, no demodulation);
  the RGB images are upsampled and summed.
* **Resampling** with the ``[1, 3, 3, 1]`` FIR low-pass filter (:func:`upfirdn2d`).
* ``num_ws = 2·log2(R) − 2`` style inputs: 18 at 1024² (17 synthesis convs + the last toRGB; each
  other toRGB shares its ``w`` with the next block's first conv).

The discriminator
-----------------
fromRGB (1×1 conv) at the top resolution, then residual blocks (3×3 conv, 3×3 conv with
down-sampling, plus a 1×1 down-sampling skip without bias, summed and scaled by 1/√2) down to 4×4,
then the epilogue: minibatch standard deviation (group size 4, one feature channel), a 3×3 conv, a
dense layer and the output layer. It returns **logits** ``[B]`` (never a sigmoid).

Every layer uses the *equalised learning rate*: weights are stored as ``N(0, 1) / lr_mul`` and
scaled at run time by ``lr_mul / sqrt(fan_in)``; leaky ReLU (slope 0.2) is followed by a gain √2.

Training (:class:`StyleGAN2Trainer`)
-----------------------------------
Non-saturating logistic loss; style mixing with probability 0.9 (one random crossover layer per
batch); lazy R1 on reals (γ = 10 at 1024², every 16 D steps) and path-length regularisation
(weight 2, decay 0.01, on half the batch, every 4 G steps), each scaled by its interval; Adam
lr 0.002, β = (0, 0.99), with the lazy-regularisation correction ``lr·r, β^r`` where
``r = interval / (interval + 1)``; an exponential moving average of G (``G_ema``, half-life 10k
images) that is used for samples.

Presets (:meth:`StyleGAN2Config.preset`)
---------------------------------------
* ``"config-f"``: the paper's config F at 1024×1024×3 (stylegan2-ada-pytorch ``--cfg=stylegan2``):
  z = w = 512, 8 mapping layers, channels ``min(32768 / res, 512)``, batch 32. Mapping network
  2,101,248 parameters, generator 30,370,060, discriminator 29,012,513 (exactly the official counts).
  Any power-of-two resolution from 32 to 1024 works: ``StyleGAN2Config.preset("config-f", resolution=256)``.
* ``"tiny"``: 32×32, z = w = 64, 2 mapping layers, at most 64 channels, batch 4, with the
  hyper-parameters stylegan2-ada-pytorch's ``--cfg=auto`` picks for 32² at batch 4 (lr 0.0025,
  γ = 0.0002·R²/B ≈ 0.05, EMA half-life 1.25k images with ramp-up): one step well under a second on a CPU.

Usage::

    import torch
    from gan_helpers.stylegan2 import StyleGAN2Config, StyleGAN2Trainer

    torch.manual_seed(0)
    config = StyleGAN2Config.preset("tiny")
    trainer = StyleGAN2Trainer(config, device="cpu")
    real = torch.rand(4, 3, 32, 32) * 2 - 1                  # [B, 3, 32, 32] in [-1, 1]
    logs = trainer.step(real)                                 # {"d_loss": ..., "g_loss": ..., "r1": ..., "pl": ...}
    grid = trainer.sample_grid(None)                          # [16, 3, 32, 32] from G_ema, fixed z and noise
    images = trainer.G_ema(torch.randn(8, 64), truncation_psi=0.7)   # [8, 3, 32, 32]
"""

from __future__ import annotations

import copy
import dataclasses
import math
import numbers
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from gan_helpers.losses import d_loss_bce, g_loss_nonsaturating, path_length_penalty, r1_penalty
from gan_helpers.validate import (lookup_preset, require_betas, require_images, require_in_range, require_positive_int,
                                  require_power_of_two, require_same_batch, require_shape, require_tensor)

NOISE_MODES = ("random", "const", "none")
LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)  # keeps the activations' second moment after a leaky ReLU


# ---------------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StyleGAN2Config:
    """Architecture and training hyper-parameters of StyleGAN2 (defaults: config F at 1024²).

    Channels at resolution ``res`` are ``min(channel_base // res, channel_max)`` in both networks.
    """

    resolution: int = 1024            # image side R, a power of two from 32 to 1024
    img_channels: int = 3
    z_dim: int = 512
    w_dim: int = 512
    mapping_layers: int = 8
    mapping_lr_mul: float = 0.01      # learning-rate multiplier of the mapping network
    w_avg_beta: float = 0.995         # decay of the tracked average of w (for truncation)
    channel_base: int = 32768
    channel_max: int = 512
    mbstd_group_size: int = 4         # minibatch-stddev group size (smaller batches use the whole batch)
    mbstd_channels: int = 1
    batch_size: int = 32              # the recommended batch (the trainer uses the batch it is given)
    lr: float = 0.002
    betas: tuple[float, float] = (0.0, 0.99)
    eps: float = 1e-8
    r1_gamma: float = 10.0            # R1 weight γ; the penalty is γ/2 · E ||∇D(x)||²
    d_reg_interval: int = 16          # lazy R1: every 16 D steps
    pl_weight: float = 2.0            # path-length weight
    pl_decay: float = 0.01            # decay of the running mean path length
    pl_batch_shrink: int = 2          # path length on B // 2 samples
    g_reg_interval: int = 4           # lazy path length: every 4 G steps
    style_mixing_prob: float = 0.9
    ema_kimg: float = 10.0            # G_ema half-life in thousands of images
    ema_rampup: float | None = None   # if set, half-life ≤ ema_rampup × images seen so far
    truncation_psi: float = 1.0       # ψ used by StyleGAN2Trainer.sample_grid (0.7 is typical for show)
    num_samples: int = 16             # images in sample_grid
    sample_seed: int = 0              # seed of the fixed z of sample_grid

    def __post_init__(self):
        require_power_of_two(self.resolution, "StyleGAN2Config.resolution", minimum=32, maximum=1024)
        for name in ("img_channels", "z_dim", "w_dim", "mapping_layers", "channel_base", "channel_max",
                     "mbstd_group_size", "batch_size", "d_reg_interval", "g_reg_interval", "pl_batch_shrink",
                     "num_samples"):
            require_positive_int(getattr(self, name), f"StyleGAN2Config.{name}")
        if self.mbstd_channels < 0:
            raise ValueError(f"StyleGAN2Config.mbstd_channels: expected ≥ 0; got {self.mbstd_channels}")
        for name in ("mapping_lr_mul", "lr", "eps"):
            if not getattr(self, name) > 0:
                raise ValueError(f"StyleGAN2Config.{name}: expected > 0; got {getattr(self, name)}")
        for name in ("r1_gamma", "pl_weight", "ema_kimg"):
            require_in_range(getattr(self, name), f"StyleGAN2Config.{name}", 0, math.inf, high_open=True)
        for name in ("w_avg_beta", "pl_decay", "style_mixing_prob"):
            require_in_range(getattr(self, name), f"StyleGAN2Config.{name}", 0, 1)
        require_betas(self.betas, "StyleGAN2Config.betas")

    @property
    def num_ws(self) -> int:
        """Number of style inputs: 2·log2(R) − 2 (18 at 1024²: 17 synthesis convs + the last toRGB)."""
        return 2 * int(math.log2(self.resolution)) - 2

    def channels(self, res: int) -> int:
        """Feature maps at resolution ``res``: ``min(channel_base // res, channel_max)``."""
        return min(self.channel_base // res, self.channel_max)

    @classmethod
    def preset(cls, name: str, **overrides) -> StyleGAN2Config:
        """A named preset (``"tiny"`` or ``"config-f"``) with optional field overrides, e.g. ``resolution=256``."""
        return dataclasses.replace(lookup_preset(PRESETS, name, "StyleGAN2"), **overrides)


PRESETS: dict[str, StyleGAN2Config] = {
    # The paper's config F (stylegan2-ada-pytorch --cfg=stylegan2, which matches it in fp32).
    "config-f": StyleGAN2Config(),
    # A CPU toy at 32x32 with the hyper-parameters of stylegan2-ada-pytorch's --cfg=auto for 32², batch 4.
    "tiny": StyleGAN2Config(resolution=32, z_dim=64, w_dim=64, mapping_layers=2, channel_base=1024,
                            channel_max=64, batch_size=4, lr=0.0025, r1_gamma=0.05, ema_kimg=1.25,
                            ema_rampup=0.05),
}


# ---------------------------------------------------------------------------------------------------
# Resampling with a FIR filter
# ---------------------------------------------------------------------------------------------------

def fir_filter(taps=(1, 3, 3, 1), device=None) -> torch.Tensor:
    """The separable 2-D low-pass filter ``outer(taps, taps)``, normalised to sum 1: ``[k, k]``."""
    f = torch.as_tensor(taps, dtype=torch.float32, device=device)
    f = torch.outer(f, f)
    return f / f.sum()


def upfirdn2d(x: torch.Tensor, f: torch.Tensor, up: int = 1, down: int = 1,
              padding: tuple[int, int, int, int] = (0, 0, 0, 0), gain: float = 1.0) -> torch.Tensor:
    """Upsample by inserting zeros, pad, convolve with a FIR filter, then keep every ``down``-th pixel.

    Args:
        x: ``[B, C, H, W]``.
        f: ``[k, k]`` filter (applied to every channel separately).
        up, down: integer factors.
        padding: ``(left, right, top, bottom)`` zeros added after upsampling.
        gain: multiplies the filter (``up²`` keeps the mean after zero insertion).

    Returns:
        ``[B, C, H', W']`` with ``H' = (H·up + top + bottom − k) // down + 1``.
    """
    require_images(x, "upfirdn2d x")
    if not isinstance(f, torch.Tensor) or f.dim() != 2 or f.shape[0] != f.shape[1]:
        got = list(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__
        raise ValueError(f"upfirdn2d filter f: expected a square [k, k] tensor (see fir_filter); got {got}")
    B, C, H, W = x.shape
    if up > 1:
        x = x.reshape(B, C, H, 1, W, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])           # [B, C, H, up, W, up]: up-1 zeros after each pixel
        x = x.reshape(B, C, H * up, W * up)
    x = F.pad(x, list(padding))
    weight = (f * gain).flip([0, 1]).to(x.dtype).repeat(C, 1, 1, 1)  # true convolution, one filter per channel
    x = F.conv2d(x, weight, groups=C)
    return x[:, :, ::down, ::down] if down > 1 else x


def upsample2d(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """``[B, C, H, W] -> [B, C, 2H, 2W]``: zero insertion and the FIR filter (gain 4)."""
    require_images(x, "upsample2d x")
    k = f.shape[-1]
    p0, p1 = (k + 1) // 2, (k - 2) // 2                       # (2, 1) for a 4-tap filter
    return upfirdn2d(x, f, up=2, padding=(p0, p1, p0, p1), gain=4.0)


def downsample2d(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """``[B, C, H, W] -> [B, C, H/2, W/2]``: the FIR filter, then every second pixel."""
    require_images(x, "downsample2d x")
    k = f.shape[-1]
    p0, p1 = (k - 1) // 2, (k - 2) // 2                       # (1, 1) for a 4-tap filter
    return upfirdn2d(x, f, down=2, padding=(p0, p1, p0, p1))


# ---------------------------------------------------------------------------------------------------
# Equalised learning-rate layers
# ---------------------------------------------------------------------------------------------------

def bias_act(x: torch.Tensor, bias: torch.Tensor | None, activation: str = "linear",
             gain: float = 1.0) -> torch.Tensor:
    """Add a per-channel bias (``[C]`` to ``[B, C, ...]``), apply the activation and multiply by ``gain``.

    ``"lrelu"`` is leaky ReLU (slope 0.2) times √2; ``"linear"`` is the identity.
    """
    require_tensor(x, "bias_act x")
    if bias is not None:
        require_shape(bias, [x.shape[1] if x.dim() > 1 else None], "bias_act bias (one per channel of x)")
        x = x + bias.reshape(1, -1, *([1] * (x.dim() - 2)))
    if activation == "lrelu":
        x = F.leaky_relu(x, LRELU_SLOPE) * LRELU_GAIN
    elif activation != "linear":
        raise ValueError(f"activation: expected 'linear' or 'lrelu'; got {activation!r}")
    return x * gain if gain != 1 else x


class EqualLinear(nn.Module):
    """Fully connected layer with equalised learning rate: ``[B, in_features] -> [B, out_features]``.

    The stored weight is ``N(0, 1) / lr_mul`` and is used as ``weight · lr_mul / sqrt(in_features)``;
    the bias is used as ``bias · lr_mul``. With Adam, whose steps do not depend on the gradient's scale,
    this makes every layer learn at the same speed, and ``lr_mul`` slows a layer down (0.01 in the mapping).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, bias_init: float = 0.0,
                 lr_mul: float = 1.0, activation: str = "linear"):
        super().__init__()
        self.in_features, self.out_features, self.activation = in_features, out_features, activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_mul / math.sqrt(in_features)
        self.bias_gain = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bias * self.bias_gain if self.bias is not None else None
        x = F.linear(x, self.weight * self.weight_gain)                 # [B, out_features]
        return bias_act(x, b, self.activation)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, activation={self.activation}"


class EqualConv2d(nn.Module):
    """Conv layer with equalised learning rate, optional FIR down-sampling by 2 and activation.

    ``[B, in_channels, H, W] -> [B, out_channels, H, W]`` (or ``H/2, W/2`` with ``down=2``: the input
    is low-pass filtered, then convolved with stride 2). ``forward(x, gain)`` multiplies the output by
    ``gain`` after the activation (the residual discriminator uses 1/√2).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 activation: str = "linear", down: int = 1, lr_mul: float = 1.0, fir_taps=(1, 3, 3, 1)):
        super().__init__()
        if down not in (1, 2):
            raise ValueError(f"down: expected 1 or 2; got {down}")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.activation, self.down = activation, down
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = lr_mul / math.sqrt(in_channels * kernel_size ** 2)
        self.bias_gain = lr_mul
        if down > 1:
            self.register_buffer("resample_filter", fir_filter(fir_taps), persistent=False)

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        w = self.weight * self.weight_gain
        b = self.bias * self.bias_gain if self.bias is not None else None
        if self.down == 1:
            x = F.conv2d(x, w, padding=self.kernel_size // 2)           # [B, out, H, W]
        else:
            # Blur first (padding so that the stride-2 conv lands on H/2 centred outputs), then stride 2.
            f = self.resample_filter
            p0 = self.kernel_size // 2 + (f.shape[-1] - 1) // 2
            p1 = self.kernel_size // 2 + (f.shape[-1] - 2) // 2
            x = upfirdn2d(x, f, padding=(p0, p1, p0, p1))                # [B, in, H + 1, W + 1] for k = 3
            x = F.conv2d(x, w, stride=2)                                 # [B, out, H/2, W/2]
        return bias_act(x, b, self.activation, gain)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"activation={self.activation}, down={self.down}, bias={self.bias is not None}")


# ---------------------------------------------------------------------------------------------------
# Mapping network
# ---------------------------------------------------------------------------------------------------

def normalize_2nd_moment(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """Scale each row to unit root-mean-square: ``x / sqrt(mean(x²) + eps)``; ``[B, D] -> [B, D]``."""
    require_tensor(x, "normalize_2nd_moment x")
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


class MappingNetwork(nn.Module):
    """``z [B, z_dim] -> w [B, w_dim]``: 2nd-moment normalisation, then an MLP with a small learning rate.

    Keeps ``w_avg [w_dim]`` (a buffer), the moving average of ``w`` over training batches, updated
    with decay ``w_avg_beta`` in every training-mode forward pass (``update_w_avg=False`` skips it).
    """

    def __init__(self, z_dim: int, w_dim: int, num_layers: int = 8, lr_mul: float = 0.01,
                 w_avg_beta: float = 0.995):
        super().__init__()
        self.z_dim, self.w_dim, self.w_avg_beta = z_dim, w_dim, w_avg_beta
        features = [z_dim] + [w_dim] * num_layers
        self.layers = nn.ModuleList(EqualLinear(features[i], features[i + 1], lr_mul=lr_mul, activation="lrelu")
                                    for i in range(num_layers))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, truncation_psi: float = 1.0, update_w_avg: bool = True) -> torch.Tensor:
        require_shape(z, [None, self.z_dim], "StyleGAN2 mapping z", like=self)
        x = normalize_2nd_moment(z)                                      # [B, z_dim]
        for layer in self.layers:
            x = layer(x)                                                 # [B, w_dim]
        if self.training and update_w_avg:
            with torch.no_grad():
                # w_avg <- beta * w_avg + (1 - beta) * mean(w)
                self.w_avg.copy_(torch.lerp(x.detach().mean(dim=0), self.w_avg, self.w_avg_beta))
        return self.truncate(x, truncation_psi)

    def truncate(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        """The truncation trick in W: ``w_avg + psi · (w − w_avg)``; ``[B, w_dim]`` or ``[B, L, w_dim]``."""
        if isinstance(psi, bool) or not isinstance(psi, numbers.Real):
            raise TypeError(f"truncation_psi: expected a number (1 = no truncation, 0.7 typical); "
                            f"got {type(psi).__name__} {psi!r}")
        if psi == 1:
            return w
        return self.w_avg.to(w.dtype).lerp(w, psi)


# ---------------------------------------------------------------------------------------------------
# Modulated convolution and the synthesis network
# ---------------------------------------------------------------------------------------------------

def modulate_weights(weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True,
                     eps: float = 1e-8) -> torch.Tensor:
    """Per-sample conv weights: ``weight [O, I, k, k]`` and ``styles [B, I]`` -> ``[B, O, I, k, k]``.

    Modulation scales input channel ``i`` by ``styles[b, i]``; demodulation then divides each output
    channel's weights by their L2 norm (``sqrt(sum over I, k, k + eps)``), so that for unit-variance
    inputs the outputs have unit variance again.
    """
    require_shape(weight, [None, None, None, None], "modulate_weights weight [O, I, k, k]")
    require_shape(styles, [None, weight.shape[1]], "modulate_weights styles [B, I]")
    w = weight.unsqueeze(0) * styles[:, None, :, None, None]            # [B, O, I, k, k]
    if demodulate:
        w = w * (w.square().sum(dim=[2, 3, 4], keepdim=True) + eps).rsqrt()
    return w


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True,
                     up: int = 1, resample_filter: torch.Tensor | None = None) -> torch.Tensor:
    """Convolve each sample with its own modulated (and demodulated) weights.

    Args:
        x: ``[B, I, H, W]`` activations.
        weight: ``[O, I, k, k]`` shared weights (already scaled by the equalised-lr gain).
        styles: ``[B, I]`` per-sample scales of the input channels.
        demodulate: normalise each output channel's weights to unit L2 norm.
        up: 1, or 2 for a transposed stride-2 conv followed by the FIR filter ``resample_filter``.

    Returns:
        ``[B, O, H, W]`` (``[B, O, 2H, 2W]`` with ``up=2``).
    """
    require_shape(weight, [None, None, None, None], "modulated_conv2d weight [O, I, k, k]")
    require_shape(x, [None, weight.shape[1], None, None], "modulated_conv2d x [B, I, H, W]")
    require_shape(styles, [x.shape[0], weight.shape[1]], "modulated_conv2d styles [B, I]")
    B, I, H, W = x.shape
    O, _, k, _ = weight.shape
    w = modulate_weights(weight, styles, demodulate)                     # [B, O, I, k, k]
    x = x.reshape(1, B * I, H, W)                                        # the batch becomes B groups of channels
    if up == 1:
        x = F.conv2d(x, w.reshape(B * O, I, k, k), padding=k // 2, groups=B)       # [1, B*O, H, W]
    else:
        # conv_transpose2d wants [in, out, k, k] per group.
        w = w.transpose(1, 2).reshape(B * I, O, k, k)
        x = F.conv_transpose2d(x, w, stride=2, groups=B)                # [1, B*O, 2H + k - 2, 2W + k - 2]
        pad = resample_filter.shape[-1] + 1 - k                          # total padding to land on 2H
        p0, p1 = (pad + 1) // 2, pad // 2
        x = upfirdn2d(x, resample_filter, padding=(p0, p1, p0, p1), gain=4.0)     # [1, B*O, 2H, 2W]
    return x.reshape(B, O, *x.shape[2:])


class SynthesisLayer(nn.Module):
    """Modulated 3×3 conv (optionally upsampling ×2) + noise + bias + leaky ReLU.

    ``forward(x [B, in_channels, R/up, R/up], w [B, w_dim]) -> [B, out_channels, R, R]``.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, up: int = 1,
                 kernel_size: int = 3, fir_taps=(1, 3, 3, 1)):
        super().__init__()
        self.in_channels, self.out_channels, self.resolution, self.up = in_channels, out_channels, resolution, up
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)    # styles start at 1
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))
        if up > 1:
            self.register_buffer("resample_filter", fir_filter(fir_taps), persistent=False)

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random") -> torch.Tensor:
        styles = self.affine(w)                                          # [B, in]
        x = modulated_conv2d(x, self.weight * self.weight_gain, styles, demodulate=True, up=self.up,
                             resample_filter=getattr(self, "resample_filter", None))   # [B, out, R, R]
        if noise_mode == "random":
            noise = torch.randn(x.shape[0], 1, self.resolution, self.resolution, device=x.device, dtype=x.dtype)
            x = x + noise * self.noise_strength                          # one noise image per sample, all channels
        elif noise_mode == "const":
            x = x + self.noise_const * self.noise_strength
        return bias_act(x, self.bias, "lrelu")                           # [B, out, R, R]


class ToRGB(nn.Module):
    """Modulated 1×1 conv without demodulation, plus bias: ``[B, in_channels, R, R], [B, w_dim] -> [B, C, R, R]``."""

    def __init__(self, in_channels: int, img_channels: int, w_dim: int):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(img_channels, in_channels, 1, 1))
        self.weight_gain = 1 / math.sqrt(in_channels)
        self.bias = nn.Parameter(torch.zeros(img_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)                                          # [B, in]
        x = modulated_conv2d(x, self.weight * self.weight_gain, styles, demodulate=False)   # [B, C, R, R]
        return bias_act(x, self.bias, "linear")


class SynthesisBlock(nn.Module):
    """One resolution of the skip generator.

    The 4×4 block starts from a learned constant ``[C, 4, 4]`` and has one conv; every other block has
    an upsampling conv and a conv. Each block ends in a toRGB whose output is added to the upsampled
    RGB image of the previous blocks.

    ``forward(x [B, in, R/2, R/2] or None, img [B, C, R/2, R/2] or None, ws [B, num_conv + 1, w_dim])
    -> (x [B, out, R, R], img [B, C, R, R])``.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int):
        super().__init__()
        self.resolution = resolution
        self.in_channels = in_channels
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
            self.convs = nn.ModuleList([SynthesisLayer(out_channels, out_channels, w_dim, resolution)])
        else:
            self.register_buffer("resample_filter", fir_filter(), persistent=False)
            self.convs = nn.ModuleList([SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2),
                                        SynthesisLayer(out_channels, out_channels, w_dim, resolution)])
        self.num_conv = len(self.convs)
        self.torgb = ToRGB(out_channels, img_channels, w_dim)

    def forward(self, x, img, ws: torch.Tensor, noise_mode: str = "random"):
        if self.in_channels == 0:
            x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1)  # [B, out, 4, 4]
        for i, conv in enumerate(self.convs):
            x = conv(x, ws[:, i], noise_mode)                            # [B, out, R, R]
        y = self.torgb(x, ws[:, self.num_conv])                          # [B, C, R, R]
        img = y if img is None else upsample2d(img, self.resample_filter) + y
        return x, img


class SynthesisNetwork(nn.Module):
    """``ws [B, num_ws, w_dim] -> images [B, C, R, R]`` (skip architecture, no output activation)."""

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        self.w_dim, self.resolution = config.w_dim, config.resolution
        self.resolutions = [2 ** i for i in range(2, int(math.log2(config.resolution)) + 1)]
        self.blocks = nn.ModuleList()
        for res in self.resolutions:
            in_channels = config.channels(res // 2) if res > 4 else 0
            self.blocks.append(SynthesisBlock(in_channels, config.channels(res), config.w_dim, res,
                                              config.img_channels))
        # Each block's toRGB shares its w with the next block's first conv; only the last toRGB adds one.
        self.num_ws = sum(block.num_conv for block in self.blocks) + 1
        assert self.num_ws == config.num_ws

    def forward(self, ws: torch.Tensor, noise_mode: str = "random") -> torch.Tensor:
        require_shape(ws, [None, self.num_ws, self.w_dim], "StyleGAN2 synthesis ws", like=self)
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode: expected one of {list(NOISE_MODES)}; got {noise_mode!r}")
        x = img = None
        w_idx = 0
        for block in self.blocks:
            block_ws = ws[:, w_idx: w_idx + block.num_conv + 1]          # [B, num_conv + 1, w_dim]
            x, img = block(x, img, block_ws, noise_mode)                 # x [B, C_res, res, res], img [B, C, res, res]
            w_idx += block.num_conv
        return img


class StyleGAN2Generator(nn.Module):
    """StyleGAN2 generator: ``z [B, z_dim] -> images [B, img_channels, R, R]`` (roughly in [-1, 1], no tanh).

    Attributes:
        mapping: :class:`MappingNetwork`, ``mapping(z) -> w [B, w_dim]``.
        synthesis: :class:`SynthesisNetwork`, ``synthesis(ws [B, num_ws, w_dim]) -> [B, C, R, R]``.
        num_ws: number of style inputs.
    """

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        self.config = config
        self.z_dim, self.w_dim = config.z_dim, config.w_dim
        self.synthesis = SynthesisNetwork(config)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(config.z_dim, config.w_dim, config.mapping_layers, config.mapping_lr_mul,
                                      config.w_avg_beta)

    def map_to_ws(self, z: torch.Tensor, truncation_psi: float = 1.0, mixing_z: torch.Tensor | None = None,
                  crossover: int | None = None) -> torch.Tensor:
        """``z [B, z_dim] -> ws [B, num_ws, w_dim]``: ``w`` broadcast to every layer, optionally style-mixed.

        With ``mixing_z`` the layers ``crossover, ..., num_ws - 1`` take the second ``w`` (from
        ``mixing_z``); a missing ``crossover`` is drawn uniformly from ``1 .. num_ws - 1`` with torch's
        global RNG. Truncation applies to both ``w``'s. Only the first mapping updates ``w_avg``.
        """
        require_shape(z, [None, self.z_dim], "StyleGAN2 generator z")
        w = self.mapping(z, truncation_psi)                              # [B, w_dim]
        ws = w.unsqueeze(1).repeat(1, self.num_ws, 1)                    # [B, num_ws, w_dim]
        if mixing_z is None:
            if crossover is not None:
                raise ValueError("crossover was given without mixing_z: style mixing needs a second z")
            return ws
        require_shape(mixing_z, [None, self.z_dim], "StyleGAN2 generator mixing_z")
        require_same_batch(z, mixing_z, "z", "mixing_z")
        if crossover is None:
            crossover = int(torch.randint(1, self.num_ws, ()))
        if isinstance(crossover, bool) or not isinstance(crossover, int) or not 0 <= crossover <= self.num_ws:
            raise ValueError(f"crossover: expected an int layer index from 0 to num_ws = {self.num_ws}; "
                             f"got {crossover!r}")
        w2 = self.mapping(mixing_z, truncation_psi, update_w_avg=False)  # [B, w_dim]
        second = torch.arange(self.num_ws, device=ws.device) >= crossover  # [num_ws]: which layers take w2
        return torch.where(second[None, :, None], w2.unsqueeze(1), ws)  # [B, num_ws, w_dim]

    def forward(self, z: torch.Tensor, truncation_psi: float = 1.0, mixing_z: torch.Tensor | None = None,
                crossover: int | None = None, noise_mode: str = "random") -> torch.Tensor:
        """``z [B, z_dim] -> [B, img_channels, R, R]``; see :meth:`map_to_ws` for truncation and style mixing.

        ``noise_mode``: ``"random"`` (fresh noise from torch's global RNG), ``"const"`` (the stored noise
        buffers: deterministic) or ``"none"``.
        """
        ws = self.map_to_ws(z, truncation_psi, mixing_z, crossover)      # [B, num_ws, w_dim]
        return self.synthesis(ws, noise_mode)                            # [B, C, R, R]


# ---------------------------------------------------------------------------------------------------
# Discriminator
# ---------------------------------------------------------------------------------------------------

class DiscriminatorBlock(nn.Module):
    """Residual block: ``[B, in, R, R] -> [B, out, R/2, R/2]``.

    ``(conv3x3 -> conv3x3 down) / √2 + (1×1 conv down, no bias) / √2``.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3, activation="lrelu")
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, activation="lrelu", down=2)
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False, down=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.skip(x, gain=math.sqrt(0.5))                            # [B, out, R/2, R/2]
        x = self.conv0(x)                                                # [B, in, R, R]
        x = self.conv1(x, gain=math.sqrt(0.5))                           # [B, out, R/2, R/2]
        return x + y


class MinibatchStdDev(nn.Module):
    """Append the average standard deviation over groups of samples as extra feature maps.

    ``[B, C, H, W] -> [B, C + num_channels, H, W]``. The batch is split into groups of
    ``min(group_size, B)`` samples (``B`` must be divisible by it); channels into ``num_channels`` sets.
    A batch of near-identical fakes gets a small value: a direct signal against mode collapse.
    """

    def __init__(self, group_size: int = 4, num_channels: int = 1):
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        G = min(self.group_size, B)
        if B % G:
            raise ValueError(f"minibatch stddev: the batch size {B} must be divisible by the group size "
                             f"{G} (or be smaller than {self.group_size})")
        Fc = self.num_channels
        # Sample b = g·(B/G) + n goes to group n, channel c to feature set c // (C/F).
        y = x.reshape(G, -1, Fc, C // Fc, H, W)                          # [G, B/G, F, C/F, H, W]
        y = y - y.mean(dim=0)                                            # deviation from the group mean
        y = (y.square().mean(dim=0) + 1e-8).sqrt()                       # [B/G, F, C/F, H, W] std over the group
        y = y.mean(dim=[2, 3, 4])                                        # [B/G, F] average over channels and pixels
        y = y.reshape(-1, Fc, 1, 1).repeat(G, 1, H, W)                   # [B, F, H, W]
        return torch.cat([x, y], dim=1)                                  # [B, C + F, H, W]


class StyleGAN2Discriminator(nn.Module):
    """Residual StyleGAN2 discriminator: ``images [B, img_channels, R, R] -> logits [B]``."""

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        self.config = config
        self.resolution, self.img_channels = config.resolution, config.img_channels
        R = config.resolution
        self.from_rgb = EqualConv2d(config.img_channels, config.channels(R), 1, activation="lrelu")
        self.blocks = nn.ModuleList(DiscriminatorBlock(config.channels(res), config.channels(res // 2))
                                    for res in [2 ** i for i in range(int(math.log2(R)), 2, -1)])
        c4 = config.channels(4)
        self.mbstd = MinibatchStdDev(config.mbstd_group_size, config.mbstd_channels) if config.mbstd_channels else None
        self.conv = EqualConv2d(c4 + config.mbstd_channels, c4, 3, activation="lrelu")
        self.fc = EqualLinear(c4 * 4 * 4, c4, activation="lrelu")
        self.out = EqualLinear(c4, 1)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        require_images(img, "StyleGAN2Discriminator input", channels=self.img_channels, resolution=self.resolution,
                       like=self)
        x = self.from_rgb(img)                                           # [B, C_R, R, R]
        for block in self.blocks:
            x = block(x)                                                 # [B, C_res/2, res/2, res/2] ... down to 4x4
        if self.mbstd is not None:
            x = self.mbstd(x)                                            # [B, C4 + 1, 4, 4]
        x = self.conv(x)                                                 # [B, C4, 4, 4]
        x = self.fc(x.flatten(1))                                        # [B, C4]
        return self.out(x).squeeze(1)                                    # [B] logits


# Short names, as in the official code.
Generator = StyleGAN2Generator
Discriminator = StyleGAN2Discriminator


# ---------------------------------------------------------------------------------------------------
# Regularisers, EMA and the trainer
# ---------------------------------------------------------------------------------------------------

def ema_beta(batch_size: int, cur_nimg: int, ema_kimg: float, ema_rampup: float | None = None) -> float:
    """Decay of G_ema for one step of ``batch_size`` images: ``0.5 ** (batch_size / half-life in images)``."""
    require_positive_int(batch_size, "ema_beta batch_size")
    if not ema_kimg > 0:
        raise ValueError(f"ema_beta ema_kimg: expected a positive half-life in thousands of images; got {ema_kimg!r}")
    ema_nimg = ema_kimg * 1000
    if ema_rampup is not None:
        ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)
    return 0.5 ** (batch_size / max(ema_nimg, 1e-8))


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, beta: float) -> None:
    """``p_ema <- beta · p_ema + (1 − beta) · p`` for every parameter; buffers (w_avg, noise) are copied."""
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"update_ema beta: expected a decay in [0, 1]; got {beta!r}")
    shapes = ([tuple(p.shape) for p in ema.parameters()], [tuple(p.shape) for p in model.parameters()])
    if shapes[0] != shapes[1]:
        raise ValueError("update_ema: ema and model must have the same architecture; their parameter shapes "
                         f"differ: expected {shapes[1]} (model); got {shapes[0]} (ema)")
    for p_ema, p in zip(ema.parameters(), model.parameters()):
        p_ema.copy_(p.lerp(p_ema, beta))
    for b_ema, b in zip(ema.buffers(), model.buffers()):
        b_ema.copy_(b)


def _lazy_adam(params, config: StyleGAN2Config, reg_interval: int, reg_enabled: bool) -> torch.optim.Adam:
    # Lazy regularisation adds an optimiser step every `reg_interval` steps; scale lr and betas so that the
    # total update per `reg_interval + 1` optimiser steps matches an optimiser that regularises every step.
    ratio = reg_interval / (reg_interval + 1) if reg_enabled else 1.0
    return torch.optim.Adam(params, lr=config.lr * ratio, betas=tuple(b ** ratio for b in config.betas),
                            eps=config.eps)


class StyleGAN2Trainer:
    """Trains a StyleGAN2 G and D as in the official training loop (one step = one minibatch).

    Each :meth:`step` runs the official phases in order: G main (non-saturating loss, style mixing),
    G path-length regularisation (every ``g_reg_interval`` steps), D main (logistic loss on reals and
    fakes), D R1 regularisation (every ``d_reg_interval`` steps), then the G_ema update. Regularisation
    runs at steps 0, interval, 2·interval, ... with its loss multiplied by the interval.

    Attributes: ``G``, ``D``, ``G_ema`` (eval mode), ``opt_G``, ``opt_D``, ``pl_mean`` (running mean
    path length), ``cur_nimg`` (images shown to D, over all processes), ``step_count``,
    ``fixed_z [num_samples, z_dim]``, ``world_size`` (processes that share each batch: 1, or N under
    ``torchrun``, set by :func:`gan_helpers.distributed.distribute`; each process's ``batch`` is its
    ``1/N`` slice, and the minibatch standard deviation groups samples within it, as in the official code).
    """

    def __init__(self, config: StyleGAN2Config, device="cpu"):
        if not isinstance(config, StyleGAN2Config):
            raise TypeError(f"config: expected a StyleGAN2Config; got {type(config).__name__}")
        self.config = config
        self.device = torch.device(device)
        self.G = StyleGAN2Generator(config).to(self.device).train()
        self.D = StyleGAN2Discriminator(config).to(self.device).train()
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_G = _lazy_adam(self.G.parameters(), config, config.g_reg_interval, config.pl_weight > 0)
        self.opt_D = _lazy_adam(self.D.parameters(), config, config.d_reg_interval, config.r1_gamma > 0)
        self.pl_mean = torch.zeros([], device=self.device)
        self.cur_nimg = 0
        self.step_count = 0
        self.last_r1 = 0.0
        self.last_pl = 0.0
        self.world_size = 1     # processes sharing each batch; gan_helpers.distributed.distribute sets it
        seeded = torch.Generator().manual_seed(config.sample_seed)      # leaves the global RNG alone
        self.fixed_z = torch.randn(config.num_samples, config.z_dim, generator=seeded).to(self.device)

    # -- helpers -------------------------------------------------------------------------------------
    def _real_images(self, batch) -> torch.Tensor:
        images = batch[0] if isinstance(batch, (tuple, list)) else batch
        require_images(images, "StyleGAN2Trainer batch", channels=self.config.img_channels,
                       resolution=self.config.resolution, check_range=True)
        return images.to(self.device, torch.float32)

    def _generate(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Fakes ``[B, C, R, R]`` and their ``ws [B, num_ws, w_dim]``, with style mixing (probability p)."""
        z = torch.randn(batch_size, self.config.z_dim, device=self.device)
        mixing_z = crossover = None
        if torch.rand(()) < self.config.style_mixing_prob:
            crossover = int(torch.randint(1, self.G.num_ws, ()))
            mixing_z = torch.randn_like(z)
        ws = self.G.map_to_ws(z, mixing_z=mixing_z, crossover=crossover)
        return self.G.synthesis(ws), ws

    @staticmethod
    def _optimiser_step(opt: torch.optim.Optimizer, module: nn.Module) -> None:
        for p in module.parameters():                                    # as the official loop: no NaN/inf steps
            if p.grad is not None:
                torch.nan_to_num_(p.grad, nan=0.0, posinf=1e5, neginf=-1e5)
        opt.step()

    # -- the interface ---------------------------------------------------------------------------------
    def step(self, batch) -> dict[str, float]:
        """One iteration on ``batch`` (``[B, C, R, R]`` in [-1, 1], or ``(images, labels)``); returns floats."""
        cfg = self.config
        real = self._real_images(batch)                                  # [B, C, R, R]
        B = real.shape[0]
        i = self.step_count

        # G main: make D call the fakes real.
        self.D.requires_grad_(False)
        self.G.requires_grad_(True)
        self.opt_G.zero_grad(set_to_none=True)
        fake, _ = self._generate(B)                                      # [B, C, R, R]
        g_loss = g_loss_nonsaturating(self.D(fake))
        g_loss.backward()
        self._optimiser_step(self.opt_G, self.G)

        # G reg: path length, lazily, on a smaller batch, scaled by the interval.
        if cfg.pl_weight > 0 and i % cfg.g_reg_interval == 0:
            self.opt_G.zero_grad(set_to_none=True)
            fake, ws = self._generate(max(B // cfg.pl_batch_shrink, 1))
            pl, self.pl_mean, _ = path_length_penalty(fake, ws, self.pl_mean, cfg.pl_decay)
            (pl * cfg.pl_weight * cfg.g_reg_interval).backward()
            self._optimiser_step(self.opt_G, self.G)
            self.last_pl = pl.item()

        # D main: logistic loss, fakes from the current G (no gradient to G).
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        self.opt_D.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake, _ = self._generate(B)
        d_loss = d_loss_bce(self.D(real), self.D(fake))
        d_loss.backward()
        self._optimiser_step(self.opt_D, self.D)

        # D reg: R1 on reals, lazily, scaled by the interval.
        if cfg.r1_gamma > 0 and i % cfg.d_reg_interval == 0:
            self.opt_D.zero_grad(set_to_none=True)
            real_r1 = real.detach().requires_grad_(True)                 # [B, C, R, R], a leaf for the gradient
            r1 = r1_penalty(self.D(real_r1), real_r1, cfg.r1_gamma)
            (r1 * cfg.d_reg_interval).backward()
            self._optimiser_step(self.opt_D, self.D)
            self.last_r1 = r1.item()
        self.G.requires_grad_(True)

        # G_ema: moving average of G's weights (w_avg and noise buffers copied). The half-life counts the
        # images of the global batch: B on each of world_size processes, as the official code does.
        batch_images = B * self.world_size
        update_ema(self.G_ema, self.G, ema_beta(batch_images, self.cur_nimg, cfg.ema_kimg, cfg.ema_rampup))
        self.cur_nimg += batch_images
        self.step_count += 1
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item(), "r1": self.last_r1, "pl": self.last_pl}

    @torch.no_grad()
    def sample_grid(self, batch=None) -> torch.Tensor:
        """``[num_samples, C, R, R]`` in [-1, 1]: G_ema on the fixed z, constant noise, ψ = ``config.truncation_psi``.

        ``batch`` is ignored (the model is unconditional); it is there for the shared trainer interface.
        """
        images = self.G_ema(self.fixed_z, truncation_psi=self.config.truncation_psi, noise_mode="const")
        return images.clamp(-1, 1)

    @torch.no_grad()
    def sample(self, n: int, truncation_psi: float | None = None) -> torch.Tensor:
        """``[n, C, R, R]`` new images in [-1, 1] from G_ema: z from torch's global RNG, random noise inputs.

        ``truncation_psi`` defaults to ``config.truncation_psi``; 0.7 trades variety for typical images.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n: expected a positive int; got {n!r}")
        psi = self.config.truncation_psi if truncation_psi is None else truncation_psi
        z = torch.randn(n, self.config.z_dim, device=self.device)
        return self.G_ema(z, truncation_psi=psi, noise_mode="random").clamp(-1, 1)

    def state_dict(self) -> dict:
        """Everything needed to resume: networks, optimisers, G_ema, running means, counters, fixed z."""
        return {"config": dataclasses.asdict(self.config),
                "G": self.G.state_dict(), "D": self.D.state_dict(), "G_ema": self.G_ema.state_dict(),
                "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
                "pl_mean": self.pl_mean.detach().clone(), "cur_nimg": self.cur_nimg,
                "step_count": self.step_count, "last_r1": self.last_r1, "last_pl": self.last_pl,
                "fixed_z": self.fixed_z.clone()}

    def load_state_dict(self, state: dict) -> None:
        saved = state["config"]
        if saved != dataclasses.asdict(self.config):
            current = dataclasses.asdict(self.config)
            diff = {k: (v, current.get(k)) for k, v in saved.items() if v != current.get(k)}
            raise ValueError(f"checkpoint config differs from this trainer's (saved, current): {diff}")
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.pl_mean = state["pl_mean"].to(self.device)
        self.cur_nimg = int(state["cur_nimg"])
        self.step_count = int(state["step_count"])
        self.last_r1, self.last_pl = float(state["last_r1"]), float(state["last_pl"])
        self.fixed_z = state["fixed_z"].to(self.device)
