"""Input checks shared by the reference models, data and metrics.

Every public model, loss and metric in ``gan_helpers`` checks what it is given and, when it is
wrong, raises an error that names the expected and the received value::

    ValueError: DCGANDiscriminator input: expected images of shape [B, 3, 64, 64]; got [8, 1, 64, 64]

Model forwards pass ``like=self``, so an input on another device, or of another dtype, than the
model's weights is refused by name before PyTorch's own, vaguer error::

    ValueError: DCGANGenerator input z: expected a tensor on cuda:0 (where DCGANGenerator's parameters
    are); got one on cpu (move it with .to('cuda:0'))

These are for library code. Learner-facing checks in notebooks live in :mod:`gan_helpers.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

import torch
from torch import nn

T = TypeVar("T")


def require_tensor(x: object, name: str, like: nn.Module | torch.Tensor | None = None) -> torch.Tensor:
    """Raise ``TypeError`` unless ``x`` is a floating-point tensor; return it.

    With ``like`` (a module or a tensor), also require ``x`` on the same device and, outside autocast,
    of the same dtype (see :func:`require_like`).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor; got dtype {x.dtype}")
    if like is not None:
        require_like(x, like, name)
    return x


def _reference(like: nn.Module | torch.Tensor) -> tuple[torch.Tensor | None, str, str]:
    """The tensor to compare with, and how to name its device and its dtype in a message."""
    if isinstance(like, torch.Tensor):
        return like, "where the reference tensor is", "the reference tensor's dtype"
    ref = next(like.parameters(), None)
    if ref is None:
        ref = next(like.buffers(), None)
    owner = f"{type(like).__name__}'s parameters"
    return ref, f"where {owner} are", f"the dtype of {owner}"


def require_like(x: torch.Tensor, like: nn.Module | torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` unless ``x`` lives where ``like`` (a module's parameters, or a tensor) lives.

    The device must match (``cuda:0`` vs ``cpu``, or a ``meta`` tensor given to a real model), and so
    must the floating dtype, except under ``torch.autocast``, which casts inputs itself. A module
    without parameters or buffers accepts anything. Returns ``x``.
    """
    ref, where, which_dtype = _reference(like)
    if ref is None:
        return x
    if x.device != ref.device:
        raise ValueError(f"{name}: expected a tensor on {ref.device} ({where}); got one on {x.device}"
                         f" (move it with .to({str(ref.device)!r}))")
    autocast = x.device.type in ("cpu", "cuda") and torch.is_autocast_enabled(x.device.type)
    if ref.is_floating_point() and x.dtype != ref.dtype and not autocast:
        raise ValueError(f"{name}: expected dtype {ref.dtype} ({which_dtype}); got {x.dtype}"
                         f" (convert it with .to({ref.dtype}))")
    return x


def _fmt(shape: Sequence[int | None]) -> str:
    # a free first size is the batch, B; a free size elsewhere is shown as *
    return "[" + ", ".join(("B" if i == 0 else "*") if s is None else str(s) for i, s in enumerate(shape)) + "]"


def require_shape(x: torch.Tensor, expected: Sequence[int | None], name: str,
                  like: nn.Module | torch.Tensor | None = None) -> torch.Tensor:
    """Check ``x.shape`` against ``expected``, where ``None`` matches any size (shown as ``B`` first, else ``*``).

    With ``like``, also check device and dtype against it (:func:`require_like`).
    """
    require_tensor(x, name)
    ok = x.dim() == len(expected) and all(e is None or e == s for e, s in zip(expected, x.shape))
    if not ok:
        raise ValueError(f"{name}: expected shape {_fmt(expected)}; got {list(x.shape)}")
    if like is not None:
        require_like(x, like, name)
    return x


def require_images(x: torch.Tensor, name: str, channels: int | None = None,
                   resolution: int | None = None, check_range: bool = False,
                   like: nn.Module | torch.Tensor | None = None) -> torch.Tensor:
    """Check a batch of images ``[B, C, H, W]``: channel count, square side and optionally values in [-1, 1].

    Args:
        x: ``[B, C, H, W]`` images.
        name: what to call ``x`` in the error message.
        channels: required ``C`` (``None`` = any).
        resolution: required ``H`` and ``W`` (``None`` = any).
        check_range: also require every value in ``[-1, 1]`` (with a tolerance of 1e-3) and no NaN;
            a ``meta`` tensor, which has no values to check, is refused.
        like: a module (or tensor) whose device and dtype ``x`` must share (:func:`require_like`).
    """
    require_tensor(x, name)
    expected = [None, channels or "C", resolution or "H", resolution or "W"]
    if (x.dim() != 4 or (channels is not None and x.shape[1] != channels)
            or (resolution is not None and tuple(x.shape[2:]) != (resolution, resolution))):
        raise ValueError(f"{name}: expected images of shape "
                         f"[{', '.join('B' if e is None else str(e) for e in expected)}]; got {list(x.shape)}")
    if like is not None:
        require_like(x, like, name)
    if check_range and x.numel() > 0:
        require_values(x, name)
        lo, hi = x.min().item(), x.max().item()
        if not (lo == lo and hi == hi):  # NaN compares unequal to itself
            raise ValueError(f"{name}: expected pixel values in [-1, 1]; got NaN")
        if lo < -1.001 or hi > 1.001:
            raise ValueError(f"{name}: expected pixel values in [-1, 1]; got values in [{lo:.3g}, {hi:.3g}]"
                             " (scale images with x * 2 - 1 if they are in [0, 1])")
    return x


def require_values(x: torch.Tensor, name: str) -> torch.Tensor:
    """Raise ``ValueError`` if ``x`` is a ``meta`` tensor (a shape with no values to read); return it."""
    if x.device.type == "meta":
        raise ValueError(f"{name}: expected a tensor with values (on cpu, cuda or mps); got a tensor on the "
                         "meta device, which has a shape but no data")
    return x


def require_same_device(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless tensors ``a`` and ``b`` are on the same device."""
    if a.device != b.device:
        raise ValueError(f"{name_b}: expected a tensor on {a.device}, the device of {name_a}; got one on {b.device}")


def require_same_batch(a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same batch size (first dimension)."""
    for x, name in ((a, name_a), (b, name_b)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor; got {type(x).__name__}")
        if x.dim() == 0:
            raise ValueError(f"{name}: expected a batch [B, ...]; got a 0-d tensor")
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


def _is_real(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x == x  # x == x: not NaN


def require_positive_number(x: float, name: str, what: str = "number") -> float:
    """Raise ``ValueError`` unless ``x`` is a finite real number > 0 (a learning rate, a std); return it.
    ``what`` names it in the message: "expected a positive learning rate"."""
    if not (_is_real(x) and 0 < x < float("inf")):
        raise ValueError(f"{name}: expected a positive {what}; got {x!r}")
    return x


def require_in_range(x: float, name: str, low: float, high: float, high_open: bool = False,
                     hint: str = "") -> float:
    """Raise ``ValueError`` unless ``x`` is a real number (not a bool, not NaN) in ``[low, high]``, or in
    ``[low, high)`` with ``high_open``; return it. ``hint`` is added to the message in parentheses:
    "expected a number in [0, 1) (0 = no EMA)"."""
    inside = _is_real(x) and low <= x and (x < high if high_open else x <= high)
    if not inside:
        interval = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name}: expected a number in {interval}{f' ({hint})' if hint else ''}; got {x!r}")
    return x


def require_betas(betas: Sequence[float], name: str) -> tuple[float, float]:
    """Raise ``ValueError`` unless ``betas`` are Adam's two coefficients, each in [0, 1); return them
    as a tuple of floats."""
    ok = isinstance(betas, (tuple, list)) and len(betas) == 2 and all(_is_real(b) and 0 <= b < 1 for b in betas)
    if not ok:
        shown = tuple(betas) if isinstance(betas, (tuple, list)) else betas
        raise ValueError(f"{name}: expected two numbers in [0, 1); got {shown!r}")
    return float(betas[0]), float(betas[1])


def lookup_preset(presets: Mapping[str, T], name: str, what: str) -> T:
    """Return ``presets[name]`` or raise ``ValueError`` listing the known preset names."""
    if name not in presets:
        raise ValueError(f"unknown {what} preset {name!r}; expected one of {sorted(presets)}")
    return presets[name]
