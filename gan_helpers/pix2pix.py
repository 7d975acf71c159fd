"""pix2pix: paired image-to-image translation with a conditional GAN and an L1 loss.

Isola, Zhu, Zhou & Efros, "Image-to-Image Translation with Conditional Adversarial Networks",
CVPR 2017 (arXiv 1611.07004). Given aligned pairs (a, b) — a label map and its photo, an edge map
and its object — a U-Net generator learns b ≈ G(a), and a conditional PatchGAN judges the pair::

    a ──G──▶ fake_b
    D(cat[a, b])      → "real" logit map        D(cat[a, fake_b]) → "fake" logit map
    G minimises  BCE(D(cat[a, fake_b]), 1) + λ·mean|fake_b − b|      (λ = 100)

The pieces, matching the official code (junyanz/pytorch-CycleGAN-and-pix2pix) in layout and
parameter count:

- :class:`UNetGenerator` — an encoder of ``num_downs`` stride-2 convs down to 1×1 (8 for 256×256
  images, "unet_256") and a mirrored decoder; each decoder level sees the matching encoder feature
  map concatenated to its input (the skip connections that carry low-level detail across), and
  the three decoder blocks just outside the bottleneck apply dropout 0.5, the generator's only
  noise source. 54,413,955 parameters for 3 → 3 channels, width 64, batch norm.
- the conditional discriminator is :class:`gan_helpers.cyclegan.PatchDiscriminator` with
  ``in_channels = in + out`` (6) and batch norm: 2,768,705 parameters at width 64.
- :class:`Pix2PixConfig` with presets ``"tiny"`` (32×32, CPU) and ``"paper"`` (256×256), and
  :class:`Pix2PixTrainer`.

Losses, scaled as in the official code ("vanilla" GAN, i.e. ``BCEWithLogitsLoss`` on the logits):

- D: ``½ (BCE(D(real pair), 1) + BCE(D(fake pair), 0))`` = ``½ · losses.d_loss_bce`` — the paper
  halves D's objective "to slow down the rate at which D learns relative to G", so a discriminator
  whose logits are all 0 scores ``ln 2`` here (not the ``2 ln 2`` of the summed form);
- G: ``BCE(D(fake pair), 1)`` = ``losses.g_loss_nonsaturating``, plus ``λ_L1 · mean|fake_b − b|``.

Each step updates D first (on the detached fake) and then G, as the official code does. The paper
keeps dropout on at test time as noise; :meth:`Pix2PixTrainer.sample_grid` runs in eval mode instead
so that drawing samples neither consumes random numbers nor changes batch-norm statistics.

Example::

    from gan_helpers.pix2pix import Pix2PixConfig, Pix2PixTrainer
    trainer = Pix2PixTrainer(Pix2PixConfig.preset("tiny"), device="cpu")
    a = torch.rand(4, 3, 32, 32) * 2 - 1
    b = a.flip(-1)                       # an aligned pair: b is a mirrored
    losses = trainer.step((a, b))        # {"d_loss", "g_gan", "g_l1"}
    grid = trainer.sample_grid((a, b))   # [3 * 4, 3, 32, 32]: rows a, G(a), b
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn as nn

from gan_helpers.cyclegan import (PatchDiscriminator, check_norm, init_weights, norm_layer, patchgan_output_size,
                                  split_pair)
from gan_helpers.losses import d_loss_bce, g_loss_nonsaturating
from gan_helpers.validate import (lookup_preset, require_betas, require_images, require_positive_int,
                                  require_positive_number, require_power_of_two)


class UNetGenerator(nn.Module):
    """The pix2pix U-Net: ``[B, in_channels, H, W]`` → ``[B, out_channels, H, W]`` in ``(-1, 1)``.

    With n = ``num_downs`` and w = ``width``, the encoder feature ``h_k`` (k = 1 … n, every conv 4×4,
    stride 2, padding 1) has ``w · min(2^(k−1), 8)`` channels and side ``H / 2^k``::

        h_1 = conv(x)                              [B, w,  H/2]      no norm on the input layer
        h_k = norm(conv(LeakyReLU_0.2(h_{k−1})))   [B, 2w, H/4] … [B, 8w, H/2^k]
        h_n = conv(LeakyReLU_0.2(h_{n−1}))         [B, 8w, 1×1 for H = 2^n]   no norm at the bottleneck

    and the decoder mirrors it, every level after the bottleneck taking the skip ``h_k`` and the
    upsampled features concatenated along channels (transposed convs 4×4, stride 2, padding 1)::

        u_n = norm(convT(ReLU(h_n)))                       [B, 8w, H/2^(n−1)]
        u_k = norm(convT(ReLU(cat[h_k, u_{k+1}])))          k = n−1 … 2, dropout 0.5 for k = 5 … n−1
        out = tanh(convT(ReLU(cat[h_1, u_2])))              [B, out_channels, H, W]

    so for ``num_downs = 8`` the three decoder blocks that follow the bottleneck block apply dropout,
    exactly as the official ``UnetGenerator`` does.

    Args:
        in_channels, out_channels: image channels in and out.
        width: channels of the first encoder layer (``ngf``, 64 in the paper).
        num_downs: stride-2 layers, at least 5; inputs must be powers of two of at least
            ``2 ** num_downs`` on each side (8 and 256×256 in the paper, 7 for 128×128).
        norm: ``"batch"`` (the paper), ``"instance"`` or ``"none"``.
        dropout: dropout 0.5 in the decoder blocks named above (the paper: on).
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 3, width: int = 64, num_downs: int = 8,
                 norm: str = "batch", dropout: bool = True):
        super().__init__()
        self.in_channels = require_positive_int(in_channels, "UNetGenerator in_channels")
        self.out_channels = require_positive_int(out_channels, "UNetGenerator out_channels")
        require_positive_int(width, "UNetGenerator width")
        if isinstance(num_downs, bool) or not isinstance(num_downs, int) or num_downs < 5:
            raise ValueError(f"UNetGenerator num_downs: expected an int ≥ 5 (the U-Net has at least five "
                             f"levels); got {num_downs!r}")
        check_norm(norm)
        self.num_downs = num_downs
        bias = norm != "batch"  # batch norm's shift makes a conv bias redundant (the official rule)
        n = num_downs
        ch = [width * min(2 ** k, 8) for k in range(n)]  # ch[k]: channels of h_{k+1}

        down: list[nn.Module] = [nn.Conv2d(in_channels, ch[0], 4, stride=2, padding=1, bias=bias)]
        for k in range(1, n):
            layers = [nn.LeakyReLU(0.2), nn.Conv2d(ch[k - 1], ch[k], 4, stride=2, padding=1, bias=bias)]
            if k < n - 1:
                layers.append(norm_layer(norm, ch[k]))  # no norm on the 1×1 bottleneck
            down.append(nn.Sequential(*layers))

        up: list[nn.Module] = [nn.Sequential(  # outermost: back to image channels
            nn.ReLU(), nn.ConvTranspose2d(2 * ch[0], out_channels, 4, stride=2, padding=1), nn.Tanh())]
        for k in range(1, n):
            in_ch = ch[k] if k == n - 1 else 2 * ch[k]  # the bottleneck's decoder has no skip to add
            layers = [nn.ReLU(), nn.ConvTranspose2d(in_ch, ch[k - 1], 4, stride=2, padding=1, bias=bias),
                      norm_layer(norm, ch[k - 1])]
            if dropout and 4 <= k <= n - 2:
                layers.append(nn.Dropout(0.5))
            up.append(nn.Sequential(*layers))

        self.down = nn.ModuleList(down)  # down[k]: h_k → h_{k+1} (0-based: down[0] makes h_1 from x)
        self.up = nn.ModuleList(up)      # up[k]: decoder block that outputs the features at h_k's side

    def _check(self, x: torch.Tensor) -> None:
        require_images(x, "UNetGenerator input", channels=self.in_channels, like=self)
        for side, name in zip(x.shape[-2:], ("height", "width")):
            try:
                require_power_of_two(int(side), f"UNetGenerator input {name}", minimum=2 ** self.num_downs)
            except ValueError as e:
                raise ValueError(f"{e} (num_downs={self.num_downs} halves each side {self.num_downs} times; "
                                 f"input shape {list(x.shape)})") from None

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``[B, in, H, W]`` → encoder features ``[h_1, …, h_n]``, ``h_k`` of shape ``[B, C_k, H/2^k, W/2^k]``."""
        self._check(x)
        feats = []
        h = x
        for block in self.down:
            h = block(h)  # [B, C_k, H/2^k, W/2^k]
            feats.append(h)
        return feats

    def decode(self, feats: list[torch.Tensor]) -> torch.Tensor:
        """Encoder features ``[h_1, …, h_n]`` (as :meth:`encode` returns them) → ``[B, out, H, W]``."""
        if len(feats) != self.num_downs:
            raise ValueError(f"UNetGenerator.decode: expected {self.num_downs} feature maps; got {len(feats)}")
        u = self.up[-1](feats[-1])  # [B, 8w, 2, 2] from the 1×1 bottleneck (for H = 2^n)
        for k in range(self.num_downs - 2, -1, -1):
            u = self.up[k](torch.cat([feats[k], u], dim=1))  # skip h_{k+1} ++ upsampled → [B, C, H/2^k, W/2^k]
        return u  # [B, out, H, W]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, in_channels, H, W]`` → ``[B, out_channels, H, W]`` in ``(-1, 1)``."""
        return self.decode(self.encode(x))


@dataclass(frozen=True)
class Pix2PixConfig:
    """Everything that defines a pix2pix run; the defaults are the paper's 256×256 setting.

    Attributes:
        resolution: side of the square training images (a power of two ≥ ``2 ** num_downs``).
        in_channels, out_channels: channels of the input a and the target b.
        width: U-Net width (``ngf``); d_width: PatchGAN width (``ndf``).
        num_downs: U-Net depth (8 → 1×1 bottleneck at 256×256).
        d_layers: stride-2 layers of the PatchGAN (3 → 70×70 patches).
        norm: ``"batch"`` in the paper, for G and D.
        dropout: dropout 0.5 in the U-Net's inner decoder blocks.
        lambda_l1: weight λ of the L1 term (100).
        lr, betas: Adam for G and for D.
        batch_size: pairs per step (1 in the paper for most datasets); used by the training loop.
        init_gain: standard deviation of the N(0, σ²) weight initialisation.
    """

    resolution: int = 256
    in_channels: int = 3
    out_channels: int = 3
    width: int = 64
    d_width: int = 64
    num_downs: int = 8
    d_layers: int = 3
    norm: str = "batch"
    dropout: bool = True
    lambda_l1: float = 100.0
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 1
    init_gain: float = 0.02

    def __post_init__(self):
        for name in ("in_channels", "out_channels", "width", "d_width", "batch_size", "d_layers"):
            require_positive_int(getattr(self, name), f"Pix2PixConfig {name}")
        if isinstance(self.num_downs, bool) or not isinstance(self.num_downs, int) or self.num_downs < 5:
            raise ValueError(f"Pix2PixConfig num_downs: expected an int ≥ 5; got {self.num_downs!r}")
        require_power_of_two(self.resolution, "Pix2PixConfig resolution", minimum=2 ** self.num_downs)
        if patchgan_output_size(self.resolution, self.d_layers) < 1:
            raise ValueError(f"Pix2PixConfig resolution: a {self.d_layers}-layer PatchGAN gives no output at "
                             f"{self.resolution}×{self.resolution}")
        check_norm(self.norm)
        if self.lambda_l1 < 0:
            raise ValueError(f"Pix2PixConfig lambda_l1: expected a value ≥ 0; got {self.lambda_l1}")
        require_positive_number(self.lr, "Pix2PixConfig lr", "learning rate")
        require_betas(self.betas, "Pix2PixConfig betas")
        require_positive_number(self.init_gain, "Pix2PixConfig init_gain", "standard deviation")
        if not isinstance(self.dropout, bool):
            raise TypeError(f"Pix2PixConfig dropout: expected True or False; got {self.dropout!r}")

    @classmethod
    def preset(cls, name: str, **overrides) -> "Pix2PixConfig":
        """The preset called ``name`` (see :data:`PIX2PIX_PRESETS`), with any fields replaced by ``overrides``."""
        return dataclasses.replace(lookup_preset(PIX2PIX_PRESETS, name, "pix2pix"), **overrides)


PIX2PIX_PRESETS: dict[str, Pix2PixConfig] = {
    # CPU toy: 32×32, a 5-level U-Net of width 8 (too shallow for dropout: that starts at num_downs 6).
    "tiny": Pix2PixConfig(resolution=32, width=8, d_width=8, num_downs=5, batch_size=4),
    # The paper's 256×256 setting: unet_256, 70×70 PatchGAN, batch norm, λ = 100, batch 1.
    "paper": Pix2PixConfig(),
}


def _match_channels(x: torch.Tensor, channels: int) -> torch.Tensor:
    """``[B, C, H, W]`` → ``[B, channels, H, W]`` for display: repeat a grey image, or average to grey."""
    if x.shape[1] == channels:
        return x
    if x.shape[1] == 1:
        return x.expand(-1, channels, -1, -1)
    return x.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1)


class Pix2PixTrainer:
    """Trains pix2pix: ``G`` (:class:`UNetGenerator`) and the conditional ``D`` (:class:`PatchDiscriminator`).

    One :meth:`step` on an aligned batch ``(a, b)`` does, as the official ``optimize_parameters``:

    1. ``fake_b = G(a)``;
    2. D's update on ``½ (BCE(D(cat[a, b]), 1) + BCE(D(cat[a, fake_b].detach()), 0))``;
    3. G's update on ``BCE(D(cat[a, fake_b]), 1) + λ_L1 · mean|fake_b − b|``, D frozen.

    ``a`` is ``[B, in_channels, R, R]`` and ``b`` ``[B, out_channels, R, R]``, both in [-1, 1].
    All randomness (weight init, dropout) comes from torch's global RNG.
    """

    def __init__(self, config: Pix2PixConfig | str = "tiny", device: torch.device | str = "cpu"):
        if isinstance(config, str):
            config = Pix2PixConfig.preset(config)
        if not isinstance(config, Pix2PixConfig):
            raise TypeError("Pix2PixTrainer config: expected a Pix2PixConfig or a preset name; "
                            f"got {type(config).__name__}")
        self.config = config
        self.device = torch.device(device)
        self.step_count = 0
        c = config
        self.G = init_weights(UNetGenerator(c.in_channels, c.out_channels, c.width, c.num_downs, c.norm, c.dropout),
                              c.init_gain).to(self.device)
        self.D = init_weights(PatchDiscriminator(c.in_channels + c.out_channels, c.d_width, c.d_layers, c.norm),
                              c.init_gain).to(self.device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=c.lr, betas=c.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=c.lr, betas=c.betas)

    def _split(self, batch, who: str) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.config
        return split_pair(batch, who, c.in_channels, c.out_channels, c.resolution, self.device)

    def step(self, batch) -> dict[str, float]:
        """One training iteration on an aligned batch ``(a, b)``.

        Returns python floats: ``d_loss`` (½ of the summed real/fake BCE), ``g_gan`` (G's BCE against
        the "real" label) and ``g_l1`` (the weighted term ``λ_L1 · mean|G(a) − b|``, as the official
        code reports it).
        """
        a, b = self._split(batch, "Pix2PixTrainer.step batch")
        self.G.train()
        self.D.train()
        fake_b = self.G(a)  # [B, out, R, R]

        # ---- discriminator: real pair vs fake pair (fake detached: no gradient into G) ---------
        fake_logits = self.D(torch.cat([a, fake_b.detach()], dim=1))  # [B, 1, R', R']
        real_logits = self.D(torch.cat([a, b], dim=1))                 # [B, 1, R', R']
        d_loss = 0.5 * d_loss_bce(real_logits, fake_logits)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        # ---- generator: fool the (just updated) D and stay close to b in L1 ---------------------
        for p in self.D.parameters():
            p.requires_grad_(False)
        g_gan = g_loss_nonsaturating(self.D(torch.cat([a, fake_b], dim=1)))
        g_l1 = self.config.lambda_l1 * (fake_b - b).abs().mean()
        self.opt_g.zero_grad(set_to_none=True)
        (g_gan + g_l1).backward()
        self.opt_g.step()
        for p in self.D.parameters():
            p.requires_grad_(True)

        self.step_count += 1
        return {"d_loss": d_loss.item(), "g_gan": g_gan.item(), "g_l1": g_l1.item()}

    @torch.no_grad()
    def sample_grid(self, batch) -> torch.Tensor:
        """Translations of an aligned batch ``(a, b)``: ``[3·B, out_channels, R, R]`` on the CPU.

        Each group of three consecutive images is ``a_i, G(a_i), b_i`` (``a`` shown with
        ``out_channels`` channels), so ``make_grid(grid, nrow=3)`` shows one example per row. G runs
        in eval mode (dropout off, batch-norm running statistics), then goes back to train mode.
        """
        a, b = self._split(batch, "Pix2PixTrainer.sample_grid batch")
        self.G.eval()
        try:
            fake_b = self.G(a)
        finally:
            self.G.train()
        rows = torch.stack([_match_channels(a, b.shape[1]), fake_b, b], dim=1)  # [B, 3, C, R, R]
        return rows.flatten(0, 1).cpu()                                        # [3B, C, R, R]

    def state_dict(self) -> dict:
        """Both networks (with batch-norm statistics), both optimisers, ``step_count`` and the config."""
        return {"config": dataclasses.asdict(self.config), "step_count": self.step_count,
                "G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        """Restore everything :meth:`state_dict` saved; the config must match this trainer's."""
        saved = dict(state["config"])
        saved["betas"] = tuple(saved["betas"])
        if saved != dataclasses.asdict(self.config):
            raise ValueError(f"Pix2PixTrainer.load_state_dict: the checkpoint's config {saved} differs from "
                             f"this trainer's {dataclasses.asdict(self.config)}")
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.step_count = int(state["step_count"])
