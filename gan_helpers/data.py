"""Data that works with no internet: 2-D toys, scikit-learn's digits, and loaders for real datasets.

2-D toys (the standard mode-collapse protocol)
----------------------------------------------
* ``ring8``: 8 Gaussians evenly spaced on a circle of radius 2, standard deviation 0.02
  (Metz et al. 2017, *Unrolled GANs*; Srivastava et al. 2017, *VEEGAN*).
* ``grid25``: 25 Gaussians centred on ``{-4, -2, 0, 2, 4}²``, standard deviation 0.05
  (VEEGAN; Lin et al. 2018, *PacGAN*).

The modes are far apart compared with their spread (nearest neighbours 1.53 and 2 apart, i.e. 77
and 40 standard deviations), so every sample belongs to exactly one mode and a missing mode is
unambiguous. Each sampler takes ``n``, an optional ``torch.Generator`` and a device and returns
``[n, 2]`` float32.

Digits
------
:func:`digits` wraps the 1,797 8×8 handwritten digits that ship inside scikit-learn, scaled to
``[-1, 1]`` and optionally upsampled to 32×32, with a fixed train/held-out split (1,500 / 297).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from gan_helpers.validate import require_positive_int

RING8_RADIUS = 2.0
RING8_STD = 0.02
GRID25_SPACING = 2.0
GRID25_STD = 0.05

DIGITS_SPLIT_SEED = 0
DIGITS_TRAIN_SIZE = 1500


def ring8_centres(radius: float = RING8_RADIUS) -> torch.Tensor:
    """``[8, 2]`` centres of the ring: angles 0, π/4, ..., 7π/4 at ``radius``."""
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid25_centres(spacing: float = GRID25_SPACING) -> torch.Tensor:
    """``[25, 2]`` centres of the 5×5 grid, ``spacing`` apart, centred on the origin."""
    ticks = (torch.arange(5, dtype=torch.float32) - 2) * spacing
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def _mixture(centres: torch.Tensor, std: float, n: int, generator: torch.Generator | None,
             device: torch.device | str | None) -> torch.Tensor:
    require_positive_int(n, "n")
    idx = torch.randint(len(centres), (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator) * std
    return (centres[idx] + noise).to(device or "cpu")


def ring8(n: int, generator: torch.Generator | None = None, device: torch.device | str | None = None,
          std: float = RING8_STD) -> torch.Tensor:
    """``[n, 2]`` samples from the ring of 8 Gaussians (radius 2, std 0.02), modes equally likely."""
    return _mixture(ring8_centres(), std, n, generator, device)


def grid25(n: int, generator: torch.Generator | None = None, device: torch.device | str | None = None,
           std: float = GRID25_STD) -> torch.Tensor:
    """``[n, 2]`` samples from the 5×5 grid of Gaussians (spacing 2, std 0.05), modes equally likely."""
    return _mixture(grid25_centres(), std, n, generator, device)


class DigitsDataset(Dataset):
    """scikit-learn's bundled 8×8 digits as ``(image [1, R, R] in [-1, 1], label)`` pairs.

    Attributes:
        images: ``[N, 1, R, R]`` float32 in ``[-1, 1]`` (R = 8, or 32 when upsampled).
        labels: ``[N]`` int64 class labels 0–9.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
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
