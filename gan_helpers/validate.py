"""Input checks shared by the reference models, data and metrics.

Every public model, loss and metric in ``gan_helpers`` checks what it is given and, when it is
wrong, raises an error that names the expected and the received value::

    ValueError: DCGANDiscriminator input: expected images of shape [B, 3, 64, 64]; got [8, 1, 64, 64]

These are for library code. Learner-facing checks in notebooks live in :mod:`gan_helpers.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

import torch

T = TypeVar("T")


def require_tensor(x: object, name: str) -> torch.Tensor:
    """Raise ``TypeError`` unless ``x`` is a floating-point tensor; return it."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor; got dtype {x.dtype}")
    return x


def _fmt(shape: Sequence[int | None]) -> str:
    return "[" + ", ".join("B" if s is None else str(s) for s in shape) + "]"


def require_shape(x: torch.Tensor, expected: Sequence[int | None], name: str) -> torch.Tensor:
    """Check ``x.shape`` against ``expected``, where ``None`` matches any size (shown as ``B``)."""
    require_tensor(x, name)
    ok = x.dim() == len(expected) and all(e is None or e == s for e, s in zip(expected, x.shape))
    if not ok:
        raise ValueError(f"{name}: expected shape {_fmt(expected)}; got {list(x.shape)}")
    return x


def require_images(x: torch.Tensor, name: str, channels: int | None = None,
                   resolution: int | None = None, check_range: bool = False) -> torch.Tensor:
    """Check a batch of images ``[B, C, H, W]``: channel count, square side and optionally values in [-1, 1].

    Args:
        x: ``[B, C, H, W]`` images.
        name: what to call ``x`` in the error message.
        channels: required ``C`` (``None`` = any).
        resolution: required ``H`` and ``W`` (``None`` = any).
        check_range: also require every value in ``[-1, 1]`` (with a tolerance of 1e-3).
    """
    require_tensor(x, name)
    expected = [None, channels or "C", resolution or "H", resolution or "W"]
    if (x.dim() != 4 or (channels is not None and x.shape[1] != channels)
            or (resolution is not None and tuple(x.shape[2:]) != (resolution, resolution))):
        raise ValueError(f"{name}: expected images of shape "
                         f"[{', '.join('B' if e is None else str(e) for e in expected)}]; got {list(x.shape)}")
    if check_range and x.numel() > 0:
        lo, hi = x.min().item(), x.max().item()
        if lo < -1.001 or hi > 1.001:
            raise ValueError(f"{name}: expected pixel values in [-1, 1]; got values in [{lo:.3g}, {hi:.3g}]"
                             " (scale images with x * 2 - 1 if they are in [0, 1])")
    return x


def require_same_batch(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same batch size (first dimension)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{name_a} and {name_b} must have the same batch size; got {a.shape[0]} and {b.shape[0]}")


def require_power_of_two(n: int, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """Raise ``ValueError`` unless ``n`` is a power of two in ``[minimum, maximum]``; return it."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name}: expected an int power of two; got {type(n).__name__}")
    if n < 1 or n & (n - 1) or n < minimum or (maximum is not None and n > maximum):
        bounds = f" from {minimum}" + (f" to {maximum}" if maximum is not None else " up")
        raise ValueError(f"{name}: expected a power of two{bounds}; got {n}")
    return n


def require_positive_int(n: int, name: str) -> int:
    """Raise unless ``n`` is an int ≥ 1; return it."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name}: expected a positive int; got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name}: expected a positive int; got {n}")
    return n


def lookup_preset(presets: Mapping[str, T], name: str, what: str) -> T:
    """Return ``presets[name]`` or raise ``ValueError`` listing the known preset names."""
    if name not in presets:
        raise ValueError(f"unknown {what} preset {name!r}; expected one of {sorted(presets)}")
    return presets[name]
