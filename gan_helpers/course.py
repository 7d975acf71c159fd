"""Settings shared by every chapter: fast mode, seeding and device choice.

Fast mode
---------
Set the environment variable ``GAN_COURSE_FAST=1`` to shrink every training budget in the
notebooks so the whole course executes in CI (and in the autograder) in minutes. Learners
leave it unset and get the full budgets. Notebooks ask for a budget with :func:`budget`::

    steps = budget(default=2000, fast=50)
"""

from __future__ import annotations

import os
import random
from typing import TypeVar

import numpy as np
import torch

FAST_ENV = "GAN_COURSE_FAST"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

T = TypeVar("T")


def fast_mode() -> bool:
    """True when ``GAN_COURSE_FAST`` is set to 1/true/yes/on (read each call, so tests can change it)."""
    value = os.environ.get(FAST_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{FAST_ENV} must be one of 1/0/true/false/yes/no/on/off; got {value!r}")


def budget(default: T, fast: T) -> T:
    """Return ``fast`` in fast mode and ``default`` otherwise (steps, seconds, sample counts...)."""
    return fast if fast_mode() else default


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch, and return a fresh CPU ``torch.Generator`` seeded with ``seed``.

    Pass the returned generator to samplers when you want a stream of random numbers that no other
    code can disturb.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def choose_device(preference: str = "auto") -> torch.device:
    """Pick a device: ``"auto"`` takes CUDA, then Apple's MPS, then the CPU.

    ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"`` ask for one explicitly; asking for a device
    that is not available raises an error that says so.
    """
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(preference)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device: expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got {preference!r}") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {preference!r} was requested but CUDA is not available on this machine")
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise RuntimeError(f"device {preference!r} was requested but Apple MPS is not available")
    return device
