"""Learner-facing checks used by the notebooks' tests.

Each check raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader counts it as a failed
test) with a message that says what was received, what was expected and, where one is known, the
likely mistake. Comparisons are two-sided: ``|actual - expected| <= atol + rtol * |expected|``
elementwise, never exact float equality.

Example::

    check_scalar(d_loss, "d_loss", hint="did you forget to average with .mean()?")
    check_close(d_loss, 2 * math.log(2), "d_loss with zero logits", atol=1e-4)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch


class CheckFailed(AssertionError):
    """A learner-facing test failed; the message says what is wrong."""


class NotAnswered(NotImplementedError):
    """A question is still unanswered: like an unfinished exercise, it raises a NotImplementedError."""


def _fail(message: str, hint: str | None = None) -> None:
    if hint:
        message = f"{message}\nHint: {hint}"
    raise CheckFailed(message)


def _shape(x: torch.Tensor) -> str:
    return "[" + ", ".join(str(s) for s in x.shape) + "]"


def check_tensor(x: Any, name: str, hint: str | None = None) -> torch.Tensor:
    """Fail unless ``x`` is a ``torch.Tensor``; return it."""
    if x is None:
        _fail(f"{name} is None; expected a torch.Tensor.", hint or "did you forget a `return` statement?")
    if not isinstance(x, torch.Tensor):
        _fail(f"{name} is a {type(x).__name__}; expected a torch.Tensor.",
              hint or "build the result from torch operations on the input tensors, not Python floats or NumPy.")
    return x


def check_shape(x: Any, expected: Sequence[int], name: str, hint: str | None = None) -> None:
    """Fail unless ``x`` is a tensor of exactly the ``expected`` shape."""
    check_tensor(x, name)
    expected = tuple(int(s) for s in expected)
    if tuple(x.shape) != expected:
        want = "[" + ", ".join(str(s) for s in expected) + "]"
        _fail(f"{name} has shape {_shape(x)}; expected {want}.", hint)


def check_scalar(x: Any, name: str, hint: str | None = None) -> None:
    """Fail unless ``x`` is a 0-dimensional tensor (a scalar loss, for example)."""
    check_tensor(x, name)
    if x.dim() != 0:
        _fail(f"{name} has shape {_shape(x)}; expected a scalar (shape []).",
              hint or "did you forget to average over the batch with .mean()?")


def check_dtype(x: Any, expected: torch.dtype, name: str, hint: str | None = None) -> None:
    """Fail unless ``x`` has dtype ``expected``."""
    check_tensor(x, name)
    if x.dtype != expected:
        _fail(f"{name} has dtype {x.dtype}; expected {expected}.", hint)


def check_finite(x: Any, name: str, hint: str | None = None) -> None:
    """Fail if ``x`` holds any NaN or infinity."""
    check_tensor(x, name)
    bad = ~torch.isfinite(x.detach())
    if bad.any():
        n_nan = int(torch.isnan(x.detach()).sum())
        n_inf = int(bad.sum()) - n_nan
        _fail(f"{name} contains {n_nan} NaN and {n_inf} infinite value(s); expected only finite numbers.", hint)


def check_close(actual: Any, expected: Any, name: str, rtol: float = 1e-5, atol: float = 1e-6,
                hint: str | None = None) -> None:
    """Fail unless ``actual`` matches ``expected`` elementwise within ``atol + rtol * |expected|``.

    ``expected`` may be a tensor or a number; shapes must match exactly (no silent broadcasting).
    """
    if rtol < 0 or atol < 0:
        raise ValueError(f"tolerances must be non-negative; got rtol={rtol}, atol={atol}")
    check_tensor(actual, name)
    actual_d = actual.detach()
    if isinstance(expected, torch.Tensor):
        want = expected.detach().to(device=actual_d.device)
    else:  # plain numbers keep their full (float64) precision
        want = torch.as_tensor(expected, dtype=torch.float64, device=actual_d.device)
    if tuple(actual_d.shape) != tuple(want.shape):
        _fail(f"{name} has shape {_shape(actual_d)}; expected {_shape(want)}.", hint)
    check_finite(actual_d, name, hint)
    a = actual_d.to(torch.float64)
    e = want.to(torch.float64)
    err = (a - e).abs()
    allowed = atol + rtol * e.abs()
    if bool((err > allowed).any()):
        worst = int(torch.argmax(err - allowed))
        flat_a, flat_e = a.reshape(-1), e.reshape(-1)
        where = "" if a.dim() == 0 else f" at flat index {worst} of {a.numel()}"
        n_bad = int((err > allowed).sum())
        _fail(f"{name} is {flat_a[worst].item():.6g}{where}; expected {flat_e[worst].item():.6g} "
              f"(difference {err.reshape(-1)[worst].item():.3g}, allowed {allowed.reshape(-1)[worst].item():.3g}; "
              f"{n_bad} of {a.numel()} value(s) out of tolerance).", hint)


def check_number_close(actual: Any, expected: float, name: str, rtol: float = 1e-5, atol: float = 1e-8,
                       hint: str | None = None) -> None:
    """Like :func:`check_close` for plain Python/NumPy numbers (``int``, ``float``, 0-d tensors)."""
    if isinstance(actual, torch.Tensor):
        if actual.numel() != 1:
            _fail(f"{name} has shape {_shape(actual)}; expected a single number.", hint)
        actual = actual.item()
    try:
        value = float(actual)
    except (TypeError, ValueError):
        _fail(f"{name} is a {type(actual).__name__}; expected a number.", hint)
    if not math.isfinite(value):
        _fail(f"{name} is {value}; expected a finite number close to {expected:.6g}.", hint)
    if abs(value - expected) > atol + rtol * abs(expected):
        _fail(f"{name} is {value:.6g}; expected {expected:.6g} (difference {abs(value - expected):.3g}).", hint)


def check_grad_close(fn: Callable[..., torch.Tensor], reference: Callable[..., torch.Tensor],
                     inputs: Sequence[torch.Tensor], name: str, wrt: int = 0, rtol: float = 1e-5,
                     atol: float = 1e-7, hint: str | None = None) -> None:
    """Fail unless the gradient of ``fn(*inputs).sum()`` w.r.t. ``inputs[wrt]`` matches ``reference``'s."""
    grads = []
    for f, label in ((fn, name), (reference, "the reference")):
        xs = [x.detach().clone() for x in inputs]
        xs[wrt].requires_grad_(True)
        out = f(*xs)
        check_tensor(out, f"{label}'s output")
        if not out.requires_grad:
            _fail(f"{name}'s output does not depend on its input through autograd, so no gradient reaches it.",
                  hint or "build the result only from torch operations; .item(), .numpy() or .detach() cut the graph.")
        (g,) = torch.autograd.grad(out.sum(), xs[wrt], allow_unused=True)
        if g is None:
            _fail(f"{name}'s output does not depend on input {wrt}.", hint)
        grads.append(g)
    check_close(grads[0], grads[1], f"the gradient of {name}", rtol=rtol, atol=atol, hint=hint)


def require_answer(answer: Any, name: str, options: Sequence[str]) -> str:
    """Check a multiple-choice answer's form and return it normalised (stripped, lower case).

    An answer still set to ``None`` raises :class:`NotAnswered`, a ``NotImplementedError`` (the
    question is not answered yet, like an unfinished function); any other value that is not one of
    ``options`` fails.
    """
    listed = ", ".join(repr(o) for o in options)
    if answer is None:
        raise NotAnswered(f"{name} is not answered yet: set it to one of {listed}.")
    if not isinstance(answer, str):
        _fail(f"{name} is a {type(answer).__name__} ({answer!r}); expected one of the strings {listed}.")
    normalised = answer.strip().lower()
    if normalised not in [o.lower() for o in options]:
        _fail(f"{name} is {answer!r}; expected one of {listed}.")
    return normalised


def passed(message: str = "All visible tests passed.") -> None:
    """Print a short success line (visible tests end with it)."""
    print(f"\u2714 {message}")
