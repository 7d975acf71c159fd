"""Data that works with no internet: 2-D toys, scikit-learn's digits, two stroke-width domains for
CycleGAN, and loaders for real datasets that you download yourself.

Every image dataset here yields ``(image [C, R, R] float32 in [-1, 1], label)`` (label an int64
scalar tensor, 0 where the data has none), except the unpaired two-domain sets, which yield
``(a [C, R, R], b [C, R, R])``. The command line reaches all of them through :func:`make_dataset`::

    from gan_helpers.data import make_dataset

    ds = make_dataset("digits", resolution=32)          # 1,500 images [1, 32, 32]
    image, label = ds[0]
    ds = make_dataset("cifar10:/data/cifar", split="test")  # your own copy, never downloaded

    points = sample_toy("grid25", 512, generator=torch.Generator().manual_seed(0), device="cuda")  # [512, 2]
    a, b = strokes_domains("train")[0]                  # thin and thick strokes, [1, 32, 32] each

2-D toys (the standard mode-collapse protocol)
----------------------------------------------
* ``ring8``: 8 Gaussians evenly spaced on a circle of radius 2, standard deviation 0.02
  (Metz et al. 2016, *Unrolled GANs*; Srivastava et al. 2017, *VEEGAN*).
* ``grid25``: 25 Gaussians centred on ``{-4, -2, 0, 2, 4}²``, standard deviation 0.05
  (VEEGAN; Lin et al. 2017, *PacGAN*).
* ``spirals``: two interleaved Archimedean spirals of 1.5 turns each, reaching radius 4 (the grid's
  half-width, so one network and learning rate suit every toy), with Gaussian noise of standard
  deviation 0.05 (as the grid). Along any ray the arms lie 4/3 apart (27 standard deviations), so
  they never blur into each other except at the centre where they meet. Points are spread evenly
  along the arcs, so the centre is not over-sampled.

The modes of the ring and the grid are far apart compared with their spread (nearest neighbours 1.53
and 2 apart, i.e. 77 and 40 standard deviations), so every sample belongs to exactly one mode and a
missing mode is unambiguous. Each sampler takes ``n``, an optional ``torch.Generator`` and a device
and returns ``[n, 2]`` float32; :func:`sample_toy` picks one by name and :func:`toy_centres` gives
the modes. As datasets (:func:`toy_dataset`, or ``make_dataset("ring8")``) each toy is a fixed set
of 100,000 points (seed 0 for ``"train"``, 1 for ``"test"``) whose items are points ``[2]``.

Digits
------
:func:`digits` wraps the 1,797 8×8 handwritten digits that ship inside scikit-learn, scaled to
``[-1, 1]`` and optionally upsampled to 32×32, with a fixed train/held-out split (1,500 / 297).

Strokes: two unpaired domains for CycleGAN
-------------------------------------------
:func:`strokes_domains` turns the digits (upsampled to 32×32, ink bright on a dark background) into
two styles. The upsampled digits are blurry, so their contrast is first tripled (``3x`` clipped to
``[-1, 1]``), which gives crisp strokes; then domain A gets *thin* strokes (a 3×3 grey-level erosion,
:func:`thin_strokes`) and domain B *thick* ones (a 3×3 dilation, a max-pool, :func:`thicken_strokes`).
About 19 % of A's pixels are ink against 42 % of B's. Going from one to the other needs spatial
context: a background pixel of A becomes ink in B exactly when a stroke passes next to it, so no
per-pixel map of values (such as the inversion ``x → -x``) can do it (the best one explains only about
two thirds of B's variance; ``tests/test_data.py`` measures it). The domains are unpaired: A is made
from the first half of the digits split and B from the second, so no image of B is a thickened image
of A.
:func:`write_strokes_domains` writes them as PNG files in the horse2zebra layout.

Real datasets (never downloaded)
--------------------------------
The course never downloads anything: download the files yourself and point a loader at the folder.
A missing file raises ``FileNotFoundError`` naming what is expected where.

* :func:`mnist`: ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (or ``.gz``;
  torchvision's layout), or the same four files directly in ``root``.
* :func:`fashion_mnist`: the same file names under ``FashionMNIST/raw/`` (or directly in ``root``).
* :func:`cifar10`: ``cifar-10-batches-py/data_batch_1`` … ``_5`` and ``test_batch`` (the python version).
* :func:`celeba`: ``celeba/img_align_celeba/*.jpg`` and ``celeba/list_eval_partition.txt`` (or both
  directly in ``root``; Kaggle's nested folder and ``.csv`` also work).
* :func:`image_folder`: any ``.jpg``/``.jpeg``/``.png``/``.bmp``/``.webp`` files, searched recursively.
* :class:`UnpairedImageFolder`: ``trainA/``, ``trainB/``, ``testA/``, ``testB/`` (CycleGAN's horse2zebra).

Images of another size are resized (shorter side to the resolution, then a centre crop; CelebA is
first centre-cropped to 178×178, the usual face crop), and ``channels`` (1 or 3) converts between
greyscale and RGB (RGB to grey with the ITU-R 601 luma weights 0.299, 0.587, 0.114, as Pillow).
"""

from __future__ import annotations

import gzip
import math
import pickle
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, TensorDataset

from gan_helpers.validate import require_images, require_positive_int, require_power_of_two

RING8_RADIUS = 2.0
RING8_STD = 0.02
GRID25_SPACING = 2.0
GRID25_STD = 0.05

SPIRALS_RADIUS = 4.0
SPIRALS_TURNS = 1.5
SPIRALS_STD = 0.05

TOY_DATASET_SIZE = 100_000
TOY_DATASET_SEEDS = {"train": 0, "test": 1}

DIGITS_SPLIT_SEED = 0
DIGITS_TRAIN_SIZE = 1500

STROKES_RESOLUTION = 32
STROKES_CONTRAST = 3.0
CELEBA_CROP = 178
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
NEVER_DOWNLOADS = "download it yourself and place it there — the course never downloads"


# --------------------------------------------------------------------------------------------------
# 2-D toys
# --------------------------------------------------------------------------------------------------

def _require_positive_number(value: float, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name}: expected a positive number; got {value!r}")


def ring8_centres(radius: float = RING8_RADIUS) -> torch.Tensor:
    """``[8, 2]`` centres of the ring: angles 0, π/4, ..., 7π/4 at ``radius``."""
    _require_positive_number(radius, "ring8_centres radius")
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid25_centres(spacing: float = GRID25_SPACING) -> torch.Tensor:
    """``[25, 2]`` centres of the 5×5 grid, ``spacing`` apart, centred on the origin."""
    _require_positive_number(spacing, "grid25_centres spacing")
    ticks = (torch.arange(5, dtype=torch.float32) - 2) * spacing
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def _mixture_with_labels(centres: torch.Tensor, std: float, n: int, generator: torch.Generator | None,
                         device: torch.device | str | None) -> tuple[torch.Tensor, torch.Tensor]:
    """``([n, 2] points, [n] mode indices)``; drawn on the CPU, so a seed gives the same points on any device."""
    require_positive_int(n, "n")
    idx = torch.randint(len(centres), (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator) * std
    device = device or "cpu"
    return (centres[idx] + noise).to(device), idx.to(device)


def _mixture(centres: torch.Tensor, std: float, n: int, generator: torch.Generator | None,
             device: torch.device | str | None) -> torch.Tensor:
    return _mixture_with_labels(centres, std, n, generator, device)[0]


def ring8(n: int, generator: torch.Generator | None = None, device: torch.device | str | None = None,
          std: float = RING8_STD) -> torch.Tensor:
    """``[n, 2]`` samples from the ring of 8 Gaussians (radius 2, std 0.02), modes equally likely."""
    return _mixture(ring8_centres(), std, n, generator, device)


def grid25(n: int, generator: torch.Generator | None = None, device: torch.device | str | None = None,
           std: float = GRID25_STD) -> torch.Tensor:
    """``[n, 2]`` samples from the 5×5 grid of Gaussians (spacing 2, std 0.05), modes equally likely."""
    return _mixture(grid25_centres(), std, n, generator, device)


def _spirals_with_labels(n: int, generator: torch.Generator | None, device: torch.device | str | None,
                         std: float, radius: float, turns: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``([n, 2] points, [n] arm indices 0/1)``."""
    require_positive_int(n, "n")
    arm = torch.randint(2, (n,), generator=generator)         # [n] which spiral
    u = torch.rand(n, generator=generator)                    # [n] position along the arm
    noise = torch.randn(n, 2, generator=generator) * std      # [n, 2]
    theta_max = 2 * math.pi * turns
    # Arc length of r = aθ grows like θ², so θ ∝ √u spreads points evenly along the arc.
    theta = theta_max * u.sqrt()                              # [n] in [0, θ_max]
    r = radius * theta / theta_max                            # [n] in [0, radius]
    angle = theta + math.pi * arm                             # the second arm is the first turned by π
    points = torch.stack([r * angle.cos(), r * angle.sin()], dim=1) + noise   # [n, 2]
    device = device or "cpu"
    return points.to(device), arm.to(device)


def spirals(n: int, generator: torch.Generator | None = None, device: torch.device | str | None = None,
            std: float = SPIRALS_STD, radius: float = SPIRALS_RADIUS, turns: float = SPIRALS_TURNS) -> torch.Tensor:
    """``[n, 2]`` samples from two interleaved spirals, arms equally likely.

    Each arm is the Archimedean spiral ``r = radius · θ / θ_max`` for ``θ`` in ``[0, θ_max]``,
    ``θ_max = 2π · turns`` (default: 1.5 turns out to radius 4), the second arm turned by π, plus
    Gaussian noise of standard deviation ``std`` (0.05). See :func:`spiral_arms` for the clean curves.
    """
    return _spirals_with_labels(n, generator, device, std, radius, turns)[0]


def spiral_arms(steps: int = 2000, radius: float = SPIRALS_RADIUS, turns: float = SPIRALS_TURNS) -> torch.Tensor:
    """``[2, steps, 2]``: the two noise-free arms of :func:`spirals`, ``steps`` points each from centre to rim."""
    require_positive_int(steps, "steps")
    theta_max = 2 * math.pi * turns
    theta = torch.linspace(0, theta_max, steps, dtype=torch.float64)         # [steps]
    r = radius * theta / theta_max
    arms = [torch.stack([r * (theta + math.pi * k).cos(), r * (theta + math.pi * k).sin()], dim=1) for k in (0, 1)]
    return torch.stack(arms).float()                                         # [2, steps, 2]


_TOY_SAMPLERS = {
    "ring8": lambda n, g, d: _mixture_with_labels(ring8_centres(), RING8_STD, n, g, d),
    "grid25": lambda n, g, d: _mixture_with_labels(grid25_centres(), GRID25_STD, n, g, d),
    "spirals": lambda n, g, d: _spirals_with_labels(n, g, d, SPIRALS_STD, SPIRALS_RADIUS, SPIRALS_TURNS),
}
TOYS = tuple(_TOY_SAMPLERS)


def _check_toy(name: str) -> str:
    if name not in _TOY_SAMPLERS:
        raise ValueError(f"unknown 2-D toy {name!r}; expected one of {list(TOYS)}")
    return name


def sample_toy(name: str, n: int, generator: torch.Generator | None = None,
               device: torch.device | str | None = None) -> torch.Tensor:
    """``[n, 2]`` float32 samples of the toy ``name`` (``"ring8"``, ``"grid25"`` or ``"spirals"``).

    The same generator state gives the same points as calling :func:`ring8`, :func:`grid25` or
    :func:`spirals` directly, on every device (points are drawn on the CPU, then moved).
    """
    return _TOY_SAMPLERS[_check_toy(name)](n, generator, device)[0]


def toy_centres(name: str) -> torch.Tensor:
    """The modes of a mixture toy: ``[8, 2]`` for ``"ring8"``, ``[25, 2]`` for ``"grid25"``.

    The spirals have no discrete modes, so ``"spirals"`` raises ``ValueError``.
    """
    if _check_toy(name) == "spirals":
        raise ValueError("toy_centres: 'spirals' has no discrete modes; expected 'ring8' or 'grid25'")
    return ring8_centres() if name == "ring8" else grid25_centres()


def toy_std(name: str) -> float:
    """The standard deviation of the noise around each mode (or arm) of the toy ``name``."""
    return {"ring8": RING8_STD, "grid25": GRID25_STD, "spirals": SPIRALS_STD}[_check_toy(name)]


class ToyDataset(TensorDataset):
    """A fixed set of 2-D points whose items are single points ``[2]`` (so batches collate to ``[B, 2]``).

    Attributes:
        points: ``[N, 2]`` float32.
        labels: ``[N]`` int64: the mode each point was drawn from (the arm, for the spirals). Kept for
            metrics; ``__getitem__`` returns the point alone.
    """

    def __init__(self, points: torch.Tensor, labels: torch.Tensor):
        super().__init__(points, labels)
        self.points, self.labels = points, labels

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.points[i]


def toy_dataset(name: str, split: str = "train", size: int = TOY_DATASET_SIZE) -> ToyDataset:
    """The toy ``name`` as a fixed :class:`ToyDataset` of ``size`` points (100,000 by default).

    ``split`` picks the seed: ``"train"`` is seed 0 and ``"test"`` seed 1, the same on every machine.
    """
    _check_toy(name)
    _check_choice(split, TOY_DATASET_SEEDS, "split")
    generator = torch.Generator().manual_seed(TOY_DATASET_SEEDS[split])
    points, labels = _TOY_SAMPLERS[name](size, generator, "cpu")
    return ToyDataset(points, labels)


# --------------------------------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------------------------------

class DigitsDataset(Dataset):
    """scikit-learn's bundled 8×8 digits as ``(image [1, R, R] in [-1, 1], label)`` pairs.

    Attributes:
        images: ``[N, 1, R, R]`` float32 in ``[-1, 1]`` (R = 8, or 32 when upsampled).
        labels: ``[N]`` int64 class labels 0–9.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
        require_images(images, "DigitsDataset images")  # [N, 1, R, R], or [N, 3, R, R] from make_dataset
        if not isinstance(labels, torch.Tensor) or labels.shape != (images.shape[0],):
            got = list(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
            raise ValueError(f"DigitsDataset labels: expected shape [{images.shape[0]}] (one per image); got {got}")
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[i], self.labels[i]


def digits(split: str = "train", resolution: int = 8) -> DigitsDataset:
    """The offline digits dataset.

    Args:
        split: ``"train"`` (1,500 images), ``"test"`` (the other 297) or ``"all"`` (1,797). The split is
            a fixed permutation (seed 0), the same on every machine.
        resolution: 8 (the original pixels) or 32 (bilinear upsampling, for conv nets).

    Returns:
        a :class:`DigitsDataset` with ``images [N, 1, R, R]`` in ``[-1, 1]`` and ``labels [N]``.
    """
    from sklearn.datasets import load_digits

    if split not in ("train", "test", "all"):
        raise ValueError(f"split: expected 'train', 'test' or 'all'; got {split!r}")
    if resolution not in (8, 32):
        raise ValueError(f"resolution: expected 8 or 32; got {resolution!r}")
    bunch = load_digits()
    images = torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0 * 2 - 1  # 0..16 → [-1, 1]
    labels = torch.as_tensor(bunch.target, dtype=torch.int64)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(DIGITS_SPLIT_SEED))
    if split == "train":
        order = order[:DIGITS_TRAIN_SIZE]
    elif split == "test":
        order = order[DIGITS_TRAIN_SIZE:]
    images, labels = images[order], labels[order]
    if resolution == 32:
        images = F.interpolate(images, size=32, mode="bilinear", align_corners=False).clamp(-1, 1)
    return DigitsDataset(images, labels)


# --------------------------------------------------------------------------------------------------
# Unpaired two-domain sets (CycleGAN) and the strokes domains
# --------------------------------------------------------------------------------------------------

def _domain_item(domain: torch.Tensor | Dataset, i: int) -> torch.Tensor:
    item = domain[i]
    return item[0] if isinstance(item, (tuple, list)) else item


class UnpairedDataset(Dataset):
    """Two unpaired image domains as ``(a [C_A, R, R], b [C_B, R, R])`` items, as CycleGAN trains on.

    Item ``i`` is image ``i mod N_A`` of domain A with an image of B drawn independently of ``i``
    (uniformly over B), so there is no correspondence to learn from; the length is ``max(N_A, N_B)``,
    as in CycleGAN's unaligned dataset.

    Args:
        domain_a, domain_b: ``[N, C, R, R]`` tensors in ``[-1, 1]``, or datasets whose items are images
            or ``(image, label)`` pairs (labels dropped).
        seed: ``None`` (default) draws B's index from torch's global generator, like CycleGAN's loader,
            so a seeded run (and the training loop's exact resume, which restores that generator) is
            reproducible. An int makes every item a fixed function of ``(seed, epoch, i)`` instead,
            independent of any global state; call :meth:`set_epoch` to draw new pairings each epoch.
    """

    def __init__(self, domain_a: torch.Tensor | Dataset, domain_b: torch.Tensor | Dataset, seed: int | None = None):
        for name, domain in (("domain_a", domain_a), ("domain_b", domain_b)):
            if isinstance(domain, torch.Tensor):
                require_images(domain, f"UnpairedDataset {name}", check_range=True)
            if len(domain) == 0:
                raise ValueError(f"UnpairedDataset {name}: expected at least one image; got an empty domain")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"UnpairedDataset seed: expected None or an int; got {type(seed).__name__}")
        self.domain_a, self.domain_b = domain_a, domain_b
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return max(len(self.domain_a), len(self.domain_b))

    def set_epoch(self, epoch: int) -> None:
        """With an int ``seed``, choose the pairing of epoch ``epoch`` (no effect when ``seed`` is None)."""
        self.epoch = int(epoch)

    def b_index(self, i: int) -> int:
        """The index in domain B paired with item ``i`` (a fresh draw from torch's generator when ``seed`` is None)."""
        n_b = len(self.domain_b)
        if self.seed is None:
            return int(torch.randint(n_b, ()))
        return int(np.random.default_rng([self.seed, self.epoch, i]).integers(n_b))

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= i < len(self):
            raise IndexError(f"UnpairedDataset index {i} out of range for length {len(self)}")
        a = _domain_item(self.domain_a, i % len(self.domain_a))     # [C_A, R, R]
        b = _domain_item(self.domain_b, self.b_index(i))           # [C_B, R, R]
        return a, b


def _require_odd_window(size: int, name: str) -> None:
    # an even window with padding size // 2 would grow the image by one pixel
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(f"{name}: expected an odd int ≥ 1 (the window keeps the image size); got {size!r}")


def thin_strokes(images: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Grey-level erosion: each pixel becomes the darkest of its ``size × size`` neighbourhood.

    ``images [B, C, H, W]`` in ``[-1, 1]``, ink bright (+1) on a dark (-1) background → the same shape
    with strokes about ``size - 1`` pixels thinner.
    """
    require_images(images, "thin_strokes images", check_range=True)
    _require_odd_window(size, "thin_strokes size")
    return -F.max_pool2d(-images, size, stride=1, padding=size // 2)      # min-pool: [B, C, H, W]


def thicken_strokes(images: torch.Tensor, size: int = 3) -> torch.Tensor:
    """Grey-level dilation (a stride-1 max-pool): each pixel becomes the brightest of its neighbourhood.

    ``images [B, C, H, W]`` in ``[-1, 1]``, ink bright → the same shape with strokes about ``size - 1``
    pixels thicker.
    """
    require_images(images, "thicken_strokes images", check_range=True)
    _require_odd_window(size, "thicken_strokes size")
    return F.max_pool2d(images, size, stride=1, padding=size // 2)        # [B, C, H, W]


def _resize_batch(images: torch.Tensor, resolution: int) -> torch.Tensor:
    """``[B, C, H, W]`` → ``[B, C, R, R]`` (bilinear, antialiased when shrinking), clamped to [-1, 1]."""
    if images.shape[-2:] == (resolution, resolution):
        return images
    shrink = resolution < min(images.shape[-2:])
    return F.interpolate(images, size=(resolution, resolution), mode="bilinear", align_corners=False,
                         antialias=shrink).clamp(-1, 1)


def _to_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """``[..., C, H, W]`` in any range → ``[..., channels, H, W]``: grey repeated, or RGB to luma."""
    c = images.shape[-3]
    if c == channels:
        return images
    if c == 1 and channels == 3:
        return images.expand(*images.shape[:-3], 3, *images.shape[-2:]).clone()
    if c == 3 and channels == 1:
        weights = torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype, device=images.device)
        return (images * weights.view(3, 1, 1)).sum(dim=-3, keepdim=True)
    raise ValueError(f"channels: cannot convert {c} channels to {channels}; expected images with 1 or 3 channels")


def strokes_domains(split: str = "train", resolution: int = STROKES_RESOLUTION, channels: int = 1,
                    seed: int | None = None) -> UnpairedDataset:
    """Thin-stroke digits (domain A) and thick-stroke digits (domain B), unpaired, for CycleGAN.

    Args:
        split: ``"train"`` (750 A and 750 B images from the 1,500 training digits) or ``"test"``
            (148 A and 149 B from the 297 held-out digits).
        resolution: side of the images, a power of two from 8 to 256; the strokes are made at 32×32
            (digits upsampled bilinearly, contrast tripled and clipped, then a 3×3 erosion or
            dilation) and then resized.
        channels: 1, or 3 (the grey image repeated).
        seed: how B is drawn for each item; see :class:`UnpairedDataset`.

    Returns:
        an :class:`UnpairedDataset` of ``(a [C, R, R], b [C, R, R])`` in ``[-1, 1]``; the domains are
        also in ``.domain_a [N_A, C, R, R]`` and ``.domain_b [N_B, C, R, R]``.
    """
    _check_choice(split, ("train", "test"), "split")
    require_power_of_two(resolution, "resolution", minimum=8, maximum=256)
    _check_channels(channels)
    images = digits(split, resolution=STROKES_RESOLUTION).images            # [N, 1, 32, 32]
    images = (images * STROKES_CONTRAST).clamp(-1, 1)                       # crisp stroke edges
    half = len(images) // 2
    thin = thin_strokes(images[:half])                                      # domain A: first half
    thick = thicken_strokes(images[half:])                                  # domain B: the other half
    thin, thick = (_to_channels(_resize_batch(x, resolution), channels) for x in (thin, thick))
    return UnpairedDataset(thin, thick, seed=seed)


class PairedDataset(Dataset):
    """Aligned pairs ``(a [C, R, R], b [C, R, R])`` for pix2pix: item ``i`` of A and item ``i`` of B show the same scene."""

    def __init__(self, domain_a: torch.Tensor, domain_b: torch.Tensor):
        if domain_a.shape != domain_b.shape:
            raise ValueError(f"PairedDataset: A and B must have the same shape; got {list(domain_a.shape)} and "
                             f"{list(domain_b.shape)}")
        self.domain_a, self.domain_b = domain_a, domain_b

    def __len__(self) -> int:
        return len(self.domain_a)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.domain_a[i], self.domain_b[i]


def strokes_pairs(split: str = "train", resolution: int = STROKES_RESOLUTION, channels: int = 1) -> PairedDataset:
    """Paired thin → thick strokes of the *same* digit, for pix2pix (1,500 train / 297 test pairs).

    Built exactly like :func:`strokes_domains`, except that A and B come from the same images, so the
    supervised L1 target of pix2pix exists. Items ``(a [C, R, R], b [C, R, R])`` in ``[-1, 1]``.
    """
    _check_choice(split, ("train", "test"), "split")
    require_power_of_two(resolution, "resolution", minimum=8, maximum=256)
    _check_channels(channels)
    images = (digits(split, resolution=STROKES_RESOLUTION).images * STROKES_CONTRAST).clamp(-1, 1)
    thin, thick = (_to_channels(_resize_batch(f(images), resolution), channels)
                   for f in (thin_strokes, thicken_strokes))
    return PairedDataset(thin, thick)


def _save_png(image: torch.Tensor, path: Path) -> None:
    """Write ``image [C, H, W]`` in ``[-1, 1]`` (C = 1 or 3) as an 8-bit PNG."""
    from PIL import Image

    pixels = ((image.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)   # [C, H, W] 0..255
    if pixels.shape[0] == 1:
        Image.fromarray(pixels[0].numpy()).save(path)                   # [H, W] uint8: mode "L"
    else:
        Image.fromarray(pixels.permute(1, 2, 0).contiguous().numpy()).save(path)   # [H, W, 3]: "RGB"


def write_unpaired(root: str | Path, train_a: torch.Tensor, train_b: torch.Tensor,
                   test_a: torch.Tensor, test_b: torch.Tensor) -> Path:
    """Write four sets of images as PNG files in the horse2zebra layout and return ``root``.

    Each set is ``[N, C, R, R]`` in ``[-1, 1]`` with C = 1 (greyscale PNG) or 3 (RGB); they go to
    ``root/trainA/00000.png``, … ``root/trainB/``, ``root/testA/``, ``root/testB/``. A folder that
    already holds files raises ``FileExistsError`` (nothing is overwritten or mixed with old files).
    Read the result back with :class:`UnpairedImageFolder`.
    """
    root = Path(root)
    sets = {"trainA": train_a, "trainB": train_b, "testA": test_a, "testB": test_b}
    for name, images in sets.items():
        require_images(images, f"write_unpaired {name}", check_range=True)
        if images.shape[1] not in (1, 3):
            raise ValueError(f"write_unpaired {name}: expected 1 or 3 channels; got {images.shape[1]}")
        folder = root / name
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(f"write_unpaired: {folder} already holds files; choose an empty or new root")
    for name, images in sets.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        width = max(5, len(str(len(images) - 1)))
        for i, image in enumerate(images):
            _save_png(image, folder / f"{i:0{width}d}.png")
    return root


def write_strokes_domains(root: str | Path, resolution: int = STROKES_RESOLUTION) -> Path:
    """Write :func:`strokes_domains` (train and test, greyscale) under ``root`` in the horse2zebra layout."""
    train, test = strokes_domains("train", resolution), strokes_domains("test", resolution)
    return write_unpaired(root, train.domain_a, train.domain_b, test.domain_a, test.domain_b)


# --------------------------------------------------------------------------------------------------
# Reading image files
# --------------------------------------------------------------------------------------------------

def _check_choice(value: object, allowed: Sequence[str] | dict, name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {list(allowed)}; got {value!r}")


def _check_channels(channels: object) -> int:
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ValueError(f"channels: expected 1 (greyscale) or 3 (RGB); got {channels!r}")
    return channels


def load_image(path: str | Path, resolution: int, channels: int = 3, crop: int | None = None) -> torch.Tensor:
    """Read one image file as ``[channels, resolution, resolution]`` float32 in ``[-1, 1]``.

    ``crop`` (optional) first cuts the central ``crop × crop`` square (smaller if the image is);
    then the shorter side is resized to ``resolution`` (bilinear; Pillow antialiases when shrinking)
    and the centre ``resolution × resolution`` is kept.
    """
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("L" if channels == 1 else "RGB")
        if crop is not None:
            side = min(crop, *img.size)
            left, top = (img.size[0] - side) // 2, (img.size[1] - side) // 2
            img = img.crop((left, top, left + side, top + side))
        w, h = img.size
        if (w, h) != (resolution, resolution):
            scale = resolution / min(w, h)
            size = (max(resolution, round(w * scale)), max(resolution, round(h * scale)))
            img = img.resize(size, Image.Resampling.BILINEAR)
            left, top = (size[0] - resolution) // 2, (size[1] - resolution) // 2
            img = img.crop((left, top, left + resolution, top + resolution))
        pixels = torch.from_numpy(np.array(img, dtype=np.uint8))        # [R, R] or [R, R, 3]
    pixels = pixels.unsqueeze(0) if pixels.dim() == 2 else pixels.permute(2, 0, 1)   # [C, R, R]
    return pixels.float() / 127.5 - 1


class ImageFileDataset(Dataset):
    """Image files as ``(image [C, R, R] in [-1, 1], label 0)``, read and resized on access.

    Attributes:
        paths: the files, in a fixed (sorted) order.
        resolution, channels, crop: as in :func:`load_image`.
    """

    def __init__(self, paths: Sequence[Path], resolution: int, channels: int = 3, crop: int | None = None):
        self.paths = list(paths)
        self.resolution = require_positive_int(resolution, "resolution")
        self.channels = _check_channels(channels)
        self.crop = crop

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = load_image(self.paths[i], self.resolution, self.channels, self.crop)   # [C, R, R]
        return image, torch.tensor(0, dtype=torch.int64)


def _image_files(folder: Path) -> list[Path]:
    """Every image file under ``folder`` (recursively, sorted), skipping hidden files such as ``._x.jpg``."""
    return sorted(p for p in folder.rglob("*")
                  if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".") and p.is_file())


def image_folder(root: str | Path, resolution: int = 64, channels: int = 3) -> ImageFileDataset:
    """Any folder of images (searched recursively) as ``(image [C, R, R] in [-1, 1], label 0)``.

    Every ``.jpg``, ``.jpeg``, ``.png``, ``.bmp`` and ``.webp`` file counts; images of another size
    are resized (shorter side to ``resolution``, then a centre crop). A folder has no split.
    """
    root = Path(root)
    require_positive_int(resolution, "resolution")
    _check_channels(channels)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root} does not exist or is not a folder; "
                                f"put your images ({', '.join(IMAGE_EXTENSIONS)}) there")
    paths = _image_files(root)
    if not paths:
        raise FileNotFoundError(f"no images found under {root}: expected files ending in "
                                f"{', '.join(IMAGE_EXTENSIONS)} (searched recursively)")
    return ImageFileDataset(paths, resolution, channels)


class UnpairedImageFolder(UnpairedDataset):
    """Two unpaired folders of images in CycleGAN's horse2zebra layout, as ``(a [C, R, R], b [C, R, R])``.

    Reads ``root/{split}A`` and ``root/{split}B`` (e.g. ``horse2zebra/trainA`` and ``trainB``), every
    image resized to ``resolution`` (shorter side, then a centre crop; 256 as in the CycleGAN paper)
    with ``channels`` 1 or 3. Pairing as in :class:`UnpairedDataset`. Augmentation (CycleGAN's
    resize to 286 plus random 256 crop and flips) is left to the trainer.
    """

    def __init__(self, root: str | Path, split: str = "train", resolution: int = 256, channels: int = 3,
                 seed: int | None = None):
        _check_choice(split, ("train", "test"), "split")
        require_positive_int(resolution, "resolution")
        _check_channels(channels)
        self.root, self.split = Path(root), split
        folders = [self.root / f"{split}A", self.root / f"{split}B"]
        domains = []
        for folder in folders:
            paths = _image_files(folder) if folder.is_dir() else []
            if not paths:
                raise FileNotFoundError(
                    f"unpaired images not found: expected image files in {folders[0]} and {folders[1]} "
                    f"(the horse2zebra layout: {self.root}/trainA, trainB, testA, testB); {folder} "
                    f"{'holds no images' if folder.is_dir() else 'does not exist'}; {NEVER_DOWNLOADS}")
            domains.append(ImageFileDataset(paths, resolution, channels))
        super().__init__(domains[0], domains[1], seed=seed)


# --------------------------------------------------------------------------------------------------
# MNIST, Fashion-MNIST, CIFAR-10 and CelebA from files you have
# --------------------------------------------------------------------------------------------------

class ImageTensorDataset(Dataset):
    """Images held in memory as bytes, converted on access to ``(image [C, R, R] in [-1, 1], label)``.

    Args:
        images: ``[N, C0, H, W]`` uint8 (0..255).
        labels: ``[N]`` int64.
        resolution: output side ``R`` (bilinear resize, antialiased when shrinking), or ``None`` to keep ``H``.
        channels: output ``C``, 1 or 3 (grey repeated, or RGB to luma), or ``None`` to keep ``C0``.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, resolution: int | None = None,
                 channels: int | None = None):
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(f"ImageTensorDataset images: expected uint8 [N, C, H, W]; got {images.dtype} "
                             f"{list(images.shape)}")
        if len(images) != len(labels):
            raise ValueError(f"ImageTensorDataset: {len(images)} images but {len(labels)} labels")
        self.images, self.labels = images, labels
        self.resolution = images.shape[-1] if resolution is None else require_positive_int(resolution, "resolution")
        self.channels = images.shape[1] if channels is None else _check_channels(channels)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = _to_channels(self.images[i].float(), self.channels) / 127.5 - 1     # [C, H, W] in [-1, 1]
        image = _resize_batch(image.unsqueeze(0), self.resolution)[0]               # [C, R, R]
        return image, self.labels[i]


_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes (MNIST's format; ``.gz`` read transparently) into an array.

    The header is two zero bytes, the type code ``0x08`` (unsigned byte), the number of dimensions
    and each size as a big-endian int32; the bytes follow.
    """
    path = Path(path)
    with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (expected the magic bytes 00 00 08 nd; "
                         f"got {data[:4].hex(' ')})")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: the IDX header promises {ndim} dimensions ({4 + 4 * ndim} header bytes); "
                         f"the file holds only {len(data)} bytes")
    shape = struct.unpack(f">{ndim}i", data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != math.prod(shape):
        raise ValueError(f"{path}: the header promises shape {list(shape)} ({math.prod(shape)} bytes); "
                         f"the file holds {body.size}")
    return body.reshape(shape)


def _find_idx(folders: Sequence[Path], name: str) -> Path | None:
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _mnist_like(root: str | Path, split: str, resolution: int | None, channels: int, folder: str,
                title: str) -> ImageTensorDataset:
    _check_choice(split, _IDX_FILES, "split")
    _check_channels(channels)
    root = Path(root)
    folders = [root / folder / "raw", root / folder, root]
    found = [_find_idx(folders, name) for name in _IDX_FILES[split]]
    if None in found:
        image_file, label_file = _IDX_FILES[split]
        raise FileNotFoundError(
            f"{title} not found under {root}: expected {folders[0] / image_file}(.gz) and "
            f"{folders[0] / label_file}(.gz) (or the same files directly in {root}); {NEVER_DOWNLOADS}")
    images, labels = read_idx(found[0]), read_idx(found[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{title}: expected images [N, H, W] and labels [N]; got {list(images.shape)} "
                         f"from {found[0]} and {list(labels.shape)} from {found[1]}")
    return ImageTensorDataset(torch.from_numpy(images.copy()).unsqueeze(1),          # [N, 1, 28, 28]
                              torch.from_numpy(labels.astype(np.int64)), resolution, channels)


def mnist(root: str | Path, split: str = "train", resolution: int | None = None,
          channels: int = 1) -> ImageTensorDataset:
    """MNIST from your own copy: ``(image [C, R, R] in [-1, 1], label 0–9)``, 60,000 train / 10,000 test.

    Expects torchvision's layout, ``root/MNIST/raw/train-images-idx3-ubyte`` (and ``train-labels-idx1-ubyte``,
    ``t10k-…`` for the test split), gzipped or not, or the same files directly in ``root``.
    ``resolution`` ``None`` keeps 28×28 (DCGAN-style nets often use 32 or 64).
    """
    return _mnist_like(root, split, resolution, channels, "MNIST", "MNIST")


def fashion_mnist(root: str | Path, split: str = "train", resolution: int | None = None,
                  channels: int = 1) -> ImageTensorDataset:
    """Fashion-MNIST from your own copy (same file names as MNIST, under ``root/FashionMNIST/raw/``)."""
    return _mnist_like(root, split, resolution, channels, "FashionMNIST", "Fashion-MNIST")


_CIFAR_FILES = {"train": [f"data_batch_{k}" for k in range(1, 6)], "test": ["test_batch"]}


def cifar10(root: str | Path, split: str = "train", resolution: int | None = None,
            channels: int = 3) -> ImageTensorDataset:
    """CIFAR-10 from your own copy of the python version: ``(image [C, R, R] in [-1, 1], label 0–9)``.

    Expects ``root/cifar-10-batches-py/data_batch_1`` … ``data_batch_5`` (train, 50,000 images) and
    ``test_batch`` (10,000), or the same files directly in ``root``. Each is a pickled dict with
    ``data`` (``[N, 3072]`` uint8: the red, green and blue 32×32 planes) and ``labels``. Unpickling runs
    code from the file: use only the official archive. ``resolution`` ``None`` keeps 32×32.
    """
    _check_choice(split, _CIFAR_FILES, "split")
    _check_channels(channels)
    root = Path(root)
    names = _CIFAR_FILES[split]
    folder = next((f for f in (root / "cifar-10-batches-py", root) if all((f / n).is_file() for n in names)), None)
    if folder is None:
        raise FileNotFoundError(
            f"CIFAR-10 not found under {root}: expected {', '.join(names)} in {root / 'cifar-10-batches-py'} "
            f"(the python version, cifar-10-python.tar.gz, unpacked) or directly in {root}; {NEVER_DOWNLOADS}")
    images, labels = [], []
    for name in names:
        with open(folder / name, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        data = batch.get("data", batch.get(b"data"))
        targets = batch.get("labels", batch.get(b"labels"))
        if data is None or targets is None:
            raise ValueError(f"{folder / name}: expected a CIFAR-10 batch with 'data' and 'labels'; "
                             f"got keys {sorted(map(str, batch))}")
        images.append(np.asarray(data, dtype=np.uint8).reshape(-1, 3, 32, 32))      # [n, 3, 32, 32]
        labels.append(np.asarray(targets, dtype=np.int64))
    return ImageTensorDataset(torch.from_numpy(np.concatenate(images)), torch.from_numpy(np.concatenate(labels)),
                              resolution, channels)


_CELEBA_SPLITS = {"train": 0, "valid": 1, "test": 2, "all": None}


def _celeba_partition(path: Path) -> list[tuple[str, int]]:
    """``(file name, partition)`` rows of ``list_eval_partition.txt`` (``000001.jpg 0``) or Kaggle's ``.csv``."""
    rows = []
    for line in path.read_text().splitlines():
        fields = line.replace(",", " ").split()
        if len(fields) == 2 and fields[1].isdigit():          # skips a csv header such as image_id,partition
            rows.append((fields[0], int(fields[1])))
    if not rows:
        raise ValueError(f"{path}: expected lines such as '000001.jpg 0' (file name, partition 0/1/2); found none")
    return rows


def celeba(root: str | Path, split: str = "train", resolution: int = 64, channels: int = 3) -> ImageFileDataset:
    """CelebA (aligned and cropped) from your own copy: ``(image [C, R, R] in [-1, 1], label 0)``.

    Expects ``root/celeba/img_align_celeba/*.jpg`` and ``root/celeba/list_eval_partition.txt``
    (torchvision's layout), or both directly in ``root``. Kaggle's copy (a nested
    ``img_align_celeba/img_align_celeba/`` and ``list_eval_partition.csv``) also works. Splits:
    ``"train"`` (partition 0, 162,770 images), ``"valid"`` (1), ``"test"`` (2) or ``"all"``. Each
    178×218 image is centre-cropped to 178×178, then resized to ``resolution`` (64 by default).
    """
    _check_choice(split, _CELEBA_SPLITS, "split")
    require_positive_int(resolution, "resolution")
    _check_channels(channels)
    root = Path(root)
    for base in (root / "celeba", root):
        partition = next((p for p in (base / "list_eval_partition.txt", base / "list_eval_partition.csv")
                          if p.is_file()), None)
        images = base / "img_align_celeba"
        if (images / "img_align_celeba").is_dir():
            images = images / "img_align_celeba"
        if partition is not None and images.is_dir():
            break
    else:
        raise FileNotFoundError(
            f"CelebA not found under {root}: expected {root / 'celeba' / 'img_align_celeba'}/*.jpg and "
            f"{root / 'celeba' / 'list_eval_partition.txt'} (or both directly in {root}); "
            f"{NEVER_DOWNLOADS}")
    wanted = _CELEBA_SPLITS[split]
    paths = [images / name for name, part in _celeba_partition(partition) if wanted is None or part == wanted]
    if not paths:
        raise ValueError(f"{partition}: no images in the {split!r} split (partition {wanted})")
    if not paths[0].is_file():
        raise FileNotFoundError(f"CelebA: {partition} lists {paths[0].name} but {paths[0]} does not exist; "
                                f"unpack img_align_celeba.zip into {images}")
    return ImageFileDataset(paths, resolution, channels, crop=CELEBA_CROP)


# --------------------------------------------------------------------------------------------------
# One entry point for the command line
# --------------------------------------------------------------------------------------------------

KNOWN_SPECS = ("digits", "ring8", "grid25", "spirals", "strokes", "strokes-paired", "mnist:PATH",
               "fashion-mnist:PATH",
               "cifar10:PATH", "celeba:PATH", "folder:PATH", "unpaired:PATH")

_PATH_LOADERS = {
    "mnist": lambda path, r, split, c: mnist(path, split, r, c or 1),
    "fashion-mnist": lambda path, r, split, c: fashion_mnist(path, split, r, c or 1),
    "cifar10": lambda path, r, split, c: cifar10(path, split, r, c or 3),
    "celeba": lambda path, r, split, c: celeba(path, split, r or 64, c or 3),
    "folder": lambda path, r, split, c: image_folder(path, r or 64, c or 3),
    "unpaired": lambda path, r, split, c: UnpairedImageFolder(path, split, r or 256, c or 3),
}


def make_dataset(spec: str, resolution: int | None = None, split: str = "train",
                 channels: int | None = None) -> Dataset:
    """The dataset named by ``spec``, the single entry point of the command line.

    * ``digits``: :func:`digits`, 8×8 by default (or 32); items ``(image, label)``.
    * ``ring8``, ``grid25``, ``spirals``: :func:`toy_dataset`, 100,000 fixed points (train seed 0,
      test seed 1); items ``point [2]``; resolution and channels do not apply.
    * ``strokes``: :func:`strokes_domains`, 32×32 by default; items ``(a, b)``, unpaired (CycleGAN).
    * ``strokes-paired``: :func:`strokes_pairs`, the same digit thin and thick; items ``(a, b)`` (pix2pix).
    * ``mnist:PATH``, ``fashion-mnist:PATH``: :func:`mnist`, :func:`fashion_mnist`, 28×28 by default;
      items ``(image, label)``.
    * ``cifar10:PATH``: :func:`cifar10`, 32×32 by default; items ``(image, label)``.
    * ``celeba:PATH``: :func:`celeba`, 64×64 by default; items ``(image, 0)``.
    * ``folder:PATH``: :func:`image_folder`, 64×64 by default (``split`` does not apply); ``(image, 0)``.
    * ``unpaired:PATH``: :class:`UnpairedImageFolder` (horse2zebra layout), 256×256 by default; ``(a, b)``.

    ``split`` is ``"train"`` or ``"test"`` (CelebA also ``"valid"`` and ``"all"``, digits also ``"all"``);
    ``channels`` (1 or 3) defaults to the data's own. Images are ``[C, R, R]`` float32 in ``[-1, 1]``.
    """
    if not isinstance(spec, str):
        raise TypeError(f"make_dataset spec: expected a str such as 'digits' or 'mnist:/data'; "
                        f"got {type(spec).__name__}")
    name, sep, path = spec.partition(":")         # split at the first colon only: 'folder:C:\\img' works
    if channels is not None:
        _check_channels(channels)
    if name in _PATH_LOADERS:
        if not path:
            raise ValueError(f"make_dataset: {name!r} needs the folder that holds the files: '{name}:PATH'")
        return _PATH_LOADERS[name](path, resolution, split, channels)
    if sep or name not in ("digits", "strokes", "strokes-paired", *TOYS):
        raise ValueError(f"make_dataset: unknown dataset spec {spec!r}; expected one of {list(KNOWN_SPECS)}")
    if name in TOYS:
        if resolution is not None or channels is not None:
            raise ValueError(f"make_dataset: {name!r} is a set of 2-D points; resolution and channels do not "
                             f"apply (got resolution={resolution!r}, channels={channels!r})")
        return toy_dataset(name, split)
    if name == "strokes-paired":
        return strokes_pairs(split, resolution or STROKES_RESOLUTION, channels or 1)
    if name == "strokes":
        return strokes_domains(split, resolution or STROKES_RESOLUTION, channels or 1)
    data = digits(split, resolution or 8)
    if channels == 3:
        data = DigitsDataset(data.images.expand(-1, 3, -1, -1).clone(), data.labels)
    return data
