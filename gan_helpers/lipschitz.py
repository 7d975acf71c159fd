"""Wasserstein GANs and the Lipschitz constraint (chapter 5): the chapter's figures, references and scenario.

Why Wasserstein
---------------
Two densities of width ``w`` that are ``s`` apart, ``P = U[0, w]`` and ``Q = U[s, s + w]``, have

* ``JSD(P, Q) = ln 2 · min(|s| / w, 1)``: it grows until the supports stop overlapping (``|s| = w``)
  and is flat at ``ln 2`` from then on, so its gradient with respect to ``s`` is 0 there;
* ``W1(P, Q) = |s|``: the mass moves ``|s|`` whatever the overlap, so the gradient is ±1 everywhere.

:func:`jsd_shifted_uniforms` and :func:`w1_shifted_uniforms` are these closed forms;
:func:`jsd_on_grid` and :func:`w1_on_grid` compute the same numbers from tabulated densities (the
tests compare them). :func:`plot_js_vs_w1` draws the chapter's interactive (a slider on ``s`` with a
live front end, a static figure at a few shifts when headless: :func:`show_js_vs_w1`).

The critic and its constraint
-----------------------------
Kantorovich–Rubinstein: ``W1(P, Q) = sup over 1-Lipschitz f of E_P[f] − E_Q[f]``. In one dimension
an optimal critic is known in closed form: ``f' = sign(F_Q − F_P)`` (:func:`kr_critic_1d`), and
``E_P[f] − E_Q[f] = ∫ |F_P − F_Q| = W1``. The constraint is enforced in practice by

* weight clipping (Arjovsky et al. 2017, :func:`clip_weights_`; :func:`clipping_experiment` shows
  how the clip value, not 1, sets the critic's slope),
* the gradient penalty (Gulrajani et al. 2017, :func:`gan_helpers.losses.gradient_penalty`),
* spectral normalisation (Miyato et al. 2018): each weight matrix divided by its largest singular
  value, estimated by power iteration (:func:`spectral_norm_power_iteration`),
* R1 (Mescheder et al. 2018, :func:`gan_helpers.losses.r1_penalty`): a gradient penalty on real
  data only, pushing the gradient to 0 there rather than to norm 1 between the distributions.

The adversarial scenario: "critic loss −500 and falling, GP ≈ 0.01"
--------------------------------------------------------------------
:func:`buggy_critic_objective` is a WGAN-GP critic objective with a planted bug: the penalty takes
the gradient of ``critic(x_hat).mean()`` instead of ``.sum()``. Each sample's gradient is then
divided by the batch size ``B``, so the penalty drives ``‖∇D‖ / B`` to 1: the critic becomes
≈ B-Lipschitz while the logged penalty looks healthy. :func:`train_scenario_critic` trains a critic
with a given objective against a fixed, freshly initialised generator on the 8×8 digits (flattened
to 64 numbers in [-1, 1]), where a 1-Lipschitz critic cannot separate the batches by more than
``2·√64 = 16`` (:func:`lipschitz_bound`). With :data:`SCENARIO` (B = 128, λ = 10, Adam 1e-4,
β = (0, 0.9), seed 0) the buggy objective passes −500 after about 1,100 critic updates, still
falling, while the logged penalty (``E[(‖∇‖ − 1)²]`` before the factor λ, as many training scripts
print it) is down to about 0.01; :data:`SCENARIO_LOG` holds those logged numbers and
:func:`scenario_log` recomputes them (10–15 s on one CPU core).

Usage
-----
>>> import torch
>>> from gan_helpers.lipschitz import jsd_shifted_uniforms, spectral_norm_power_iteration, w1_shifted_uniforms
>>> round(jsd_shifted_uniforms(2.0), 4), w1_shifted_uniforms(2.0)     # disjoint: JSD stuck at ln 2
(0.6931, 2.0)
>>> round(jsd_shifted_uniforms(3.0), 4), w1_shifted_uniforms(3.0)     # W1 keeps growing
(0.6931, 3.0)
>>> round(float(spectral_norm_power_iteration(torch.diag(torch.tensor([3.0, 1.0])))), 4)
3.0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import matplotlib.pyplot as plt
import torch
from torch import nn

from gan_helpers.data import digits
from gan_helpers.validate import require_betas, require_positive_int, require_same_device, require_shape
from gan_helpers.widgets import front_end_attached, show_in

LN2 = math.log(2)


# ----------------------------------------------------------------------------------------------
# JS versus W1 for two shifted uniform densities
# ----------------------------------------------------------------------------------------------

def _check_width(width: float) -> float:
    if isinstance(width, bool) or not (isinstance(width, (int, float)) and math.isfinite(width) and width > 0):
        raise ValueError(f"width must be a positive number; got {width!r}")
    return float(width)


def _check_number(value: object, name: str, positive: bool = False) -> float:
    """A finite real number (not a bool; ``> 0`` with ``positive``), as a float."""
    kind = "a positive number" if positive else "a finite number"
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.device.type != "meta":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected {kind}; got {type(value).__name__} {value!r:.60}")
    if not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{name}: expected {kind}; got {value!r}")
    return float(value)


def _check_grid_densities(p: object, q: object, dx: object, who: str) -> None:
    for x, name in ((p, "p"), (q, "q")):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{who} {name}: expected a 1-D torch.Tensor of density values [K]; got {type(x).__name__}")
        if x.dim() != 1 or x.numel() < 2:
            raise ValueError(f"{who} {name}: expected a 1-D tensor of density values [K] (K ≥ 2); got shape "
                             f"{list(x.shape)}")
    if p.shape != q.shape:
        raise ValueError(f"{who}: p and q must be tabulated on the same grid, shape [K]; got {list(p.shape)} and "
                         f"{list(q.shape)}")
    if p.device != q.device:
        raise ValueError(f"{who} q: expected a tensor on {p.device}, the device of p; got one on {q.device}")
    _check_number(dx, f"{who} dx", positive=True)


def jsd_shifted_uniforms(shift: float, width: float = 1.0) -> float:
    """``JSD(U[0, w], U[s, s + w]) = ln 2 · min(|s| / w, 1)`` in nats.

    Where the supports overlap (length ``w − |s|``) the two densities agree and contribute nothing;
    each non-overlapping piece (length ``|s|`` on each side) contributes ``½ · (|s| / w) · ln 2``.
    """
    width = _check_width(width)
    return LN2 * min(abs(_check_number(shift, "shift")) / width, 1.0)


def w1_shifted_uniforms(shift: float, width: float = 1.0) -> float:
    """``W1(U[0, w], U[s, s + w]) = |s|``: every bit of mass moves by ``s``, whatever ``w``."""
    _check_width(width)
    return abs(_check_number(shift, "shift"))


def uniform_density(x: torch.Tensor, start: float, width: float = 1.0) -> torch.Tensor:
    """The density of ``U[start, start + width]`` at the points ``x`` (any shape)."""
    width = _check_width(width)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"uniform_density x: expected a torch.Tensor of points; got {type(x).__name__}")
    start = _check_number(start, "uniform_density start")
    return ((x >= start) & (x < start + width)).to(torch.float64) / width


def jsd_on_grid(p: torch.Tensor, q: torch.Tensor, dx: float) -> float:
    """JSD in nats of two densities tabulated on one evenly spaced grid (``0 log 0 = 0``): ``p, q [K]``."""
    _check_grid_densities(p, q, dx, "jsd_on_grid")
    p, q = p.to(torch.float64), q.to(torch.float64)
    m = 0.5 * (p + q)

    def kl_to_m(a: torch.Tensor) -> float:
        nz = a > 0
        return float((a[nz] * torch.log(a[nz] / m[nz])).sum() * dx)

    return 0.5 * kl_to_m(p) + 0.5 * kl_to_m(q)


def w1_on_grid(p: torch.Tensor, q: torch.Tensor, dx: float) -> float:
    """``W1 = ∫ |F_p − F_q| dx`` for two densities tabulated on one evenly spaced grid: ``p, q [K]``."""
    _check_grid_densities(p, q, dx, "w1_on_grid")
    cdf_p = torch.cumsum(p.to(torch.float64), 0) * dx
    cdf_q = torch.cumsum(q.to(torch.float64), 0) * dx
    return float((cdf_p - cdf_q).abs().sum() * dx)


def divergence_curves(shifts: Sequence[float] | torch.Tensor, width: float = 1.0) -> dict[str, torch.Tensor]:
    """``{"shift", "jsd", "w1"}``: both closed forms along ``shifts`` (``[K]`` tensors)."""
    _check_width(width)
    try:
        s = torch.as_tensor(shifts, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"divergence_curves shifts: expected a sequence or tensor of numbers [K]; "
                        f"got {type(shifts).__name__} {shifts!r:.60}") from exc
    return {"shift": s,
            "jsd": torch.tensor([jsd_shifted_uniforms(v, width) for v in s.tolist()], dtype=torch.float64),
            "w1": torch.tensor([w1_shifted_uniforms(v, width) for v in s.tolist()], dtype=torch.float64)}


def plot_js_vs_w1(shift: float, width: float = 1.0, max_shift: float = 3.0,
                  fig: plt.Figure | None = None) -> plt.Figure:
    """Left: ``P = U[0, w]`` (real) and ``Q = U[s, s + w]`` (generated). Right: JSD and W1 against the shift."""
    _check_width(width)
    shift = _check_number(shift, "plot_js_vs_w1 shift")
    _check_number(max_shift, "plot_js_vs_w1 max_shift", positive=True)
    if fig is None:
        fig = plt.figure(figsize=(10, 3.4))
    ax_d, ax_c = fig.subplots(1, 2)
    x = torch.linspace(-0.5, max_shift + width + 0.5, 800, dtype=torch.float64)
    ax_d.fill_between(x, uniform_density(x, 0.0, width), step="post", color="tab:blue", alpha=0.35,
                      label="P: real data")
    ax_d.fill_between(x, uniform_density(x, shift, width), step="post", color="tab:orange", alpha=0.45,
                      label="Q: generator")
    ax_d.set_xlabel("x")
    ax_d.set_ylabel("density")
    ax_d.set_ylim(0, 1.6 / width)
    ax_d.legend(fontsize=8, loc="upper right")
    ax_d.set_title(f"shift s = {shift:.2f}:  JSD = {jsd_shifted_uniforms(shift, width):.3f},  "
                   f"W1 = {w1_shifted_uniforms(shift, width):.2f}", fontsize=10)

    curves = divergence_curves(torch.linspace(0, max_shift, 301), width)
    ax_c.plot(curves["shift"], curves["w1"], color="tab:green", lw=2, label="W1 (earth mover's)")
    ax_c.plot(curves["shift"], curves["jsd"], color="tab:red", lw=2, label="JSD (nats)")
    ax_c.axhline(LN2, color="tab:red", ls=":", lw=1)
    ax_c.text(max_shift, LN2 + 0.05, "ln 2", color="tab:red", ha="right", fontsize=8)
    ax_c.axvspan(width, max_shift, color="grey", alpha=0.12, label="supports disjoint")
    ax_c.plot([shift], [w1_shifted_uniforms(shift, width)], "o", color="tab:green")
    ax_c.plot([shift], [jsd_shifted_uniforms(shift, width)], "o", color="tab:red")
    ax_c.set_xlabel("shift s between the two densities")
    ax_c.set_ylabel("divergence / distance")
    ax_c.set_xlim(0, max_shift)
    ax_c.legend(fontsize=8, loc="upper left")
    ax_c.set_title("JSD stops changing once the supports separate; W1 keeps growing", fontsize=10)
    fig.tight_layout()
    return fig


def js_vs_w1_widget(initial_shift: float = 0.5, width: float = 1.0):
    """An ipywidgets slider on the shift; the figure redraws on every move."""
    import ipywidgets as widgets

    _check_width(width)
    initial_shift = _check_number(initial_shift, "js_vs_w1_widget initial_shift")
    slider = widgets.FloatSlider(value=initial_shift, min=0.0, max=3.0, step=0.05, description="shift s",
                                 continuous_update=False, readout_format=".2f")
    out = widgets.Output()

    def redraw(change=None) -> None:
        show_in(out, plot_js_vs_w1(slider.value, width))

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])


def show_js_vs_w1(static_shifts: Sequence[float] = (0.5, 2.0), width: float = 1.0) -> None:
    """The live slider with a front end; otherwise the static figure at each of ``static_shifts``."""
    from IPython.display import display

    _check_width(width)
    if isinstance(static_shifts, (str, bytes)) or not isinstance(static_shifts, Sequence) or not static_shifts:
        raise ValueError(f"show_js_vs_w1 static_shifts: expected a non-empty sequence of shifts; got {static_shifts!r}")
    for shift in static_shifts:
        _check_number(shift, "show_js_vs_w1 static_shifts entry")
    if front_end_attached():
        display(js_vs_w1_widget(static_shifts[0], width))
        return
    for shift in static_shifts:
        fig = plot_js_vs_w1(shift, width)
        display(fig)
        plt.close(fig)


# ----------------------------------------------------------------------------------------------
# The optimal 1-D critic of Kantorovich–Rubinstein
# ----------------------------------------------------------------------------------------------

def _samples_1d(x: object, name: str) -> torch.Tensor:
    try:
        t = torch.as_tensor(x, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name}: expected a 1-D tensor of samples [N] (N ≥ 1); got {type(x).__name__} "
                        f"{x!r:.60}") from exc
    if t.dim() != 1 or t.numel() == 0:
        raise ValueError(f"{name}: expected a 1-D tensor of samples [N] (N ≥ 1); got shape {list(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name}: samples must be finite")
    return t


def kr_critic_1d(real: torch.Tensor, fake: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """An optimal 1-Lipschitz critic for two 1-D samples, evaluated at ``x``.

    ``f(x) = ∫_{x0}^{x} sign(F_fake(t) − F_real(t)) dt`` with ``x0`` the smallest sample: it climbs
    at slope 1 where the real samples still lie ahead (the fake CDF is above the real one) and falls
    where they lie behind, so ``mean f(real) − mean f(fake) = ∫ |F_real − F_fake| = W1``. Outside the
    samples' range the slope is 0.

    Args:
        real: ``[N]`` real samples; fake: ``[M]`` generated samples; x: ``[K]`` query points.

    Returns:
        ``[K]`` float64 critic values.
    """
    r, f = _samples_1d(real, "real"), _samples_1d(fake, "fake")
    try:
        q = torch.as_tensor(x, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"x: expected a tensor of query points [K]; got {type(x).__name__} {x!r:.60}") from exc
    points = torch.sort(torch.cat([r, f])).values                            # [N + M]
    left = points[:-1]                                                        # each interval's left end
    cdf_r = torch.searchsorted(torch.sort(r).values, left, right=True) / r.numel()
    cdf_f = torch.searchsorted(torch.sort(f).values, left, right=True) / f.numel()
    slope = torch.sign(cdf_f - cdf_r)                                         # [N + M - 1]
    at_points = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(slope * torch.diff(points), 0)])
    clamped = q.clamp(points[0], points[-1])
    idx = (torch.searchsorted(points, clamped, right=True) - 1).clamp(0, max(len(points) - 2, 0))
    if len(points) == 1:
        return torch.zeros_like(clamped)
    return at_points[idx] + slope[idx] * (clamped - points[idx])


# ----------------------------------------------------------------------------------------------
# Spectral norm and weight clipping
# ----------------------------------------------------------------------------------------------

def spectral_norm_power_iteration(weight: torch.Tensor, n_iters: int = 100,
                                  generator: torch.Generator | None = None) -> torch.Tensor:
    """The largest singular value of ``weight`` by power iteration (as in Miyato et al. 2018).

    ``weight`` is ``[out, in]`` or a conv weight ``[out, in, kh, kw]``, flattened to ``[out, in·kh·kw]``.
    Starting from a random unit ``u [out]``, repeat ``v = normalise(Wᵀu)``, ``u = normalise(W v)``;
    then ``σ ≈ uᵀ W v``. Returns a scalar tensor (differentiable with respect to ``weight``).
    """
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight: expected a torch.Tensor of shape [out, in] or [out, in, kh, kw]; got "
                        f"{type(weight).__name__}")
    if not weight.is_floating_point():
        raise TypeError(f"weight: expected a floating-point tensor; got dtype {weight.dtype}")
    if weight.dim() < 2:
        raise ValueError(f"weight: expected a tensor of shape [out, in] or [out, in, kh, kw]; got "
                         f"{list(weight.shape)}")
    if isinstance(n_iters, bool) or not (isinstance(n_iters, int) and n_iters >= 1):
        raise ValueError(f"n_iters must be a positive int; got {n_iters!r}")
    w = weight.reshape(weight.shape[0], -1)                       # [out, in·kh·kw]
    u = torch.randn(w.shape[0], generator=generator, dtype=torch.float64).to(w)
    u = u / u.norm()
    with torch.no_grad():
        for _ in range(n_iters):
            v = w.T @ u
            v = v / v.norm().clamp_min(1e-12)
            u = w @ v
            u = u / u.norm().clamp_min(1e-12)
    return u @ w @ v


def clip_weights_(module: nn.Module, c: float) -> None:
    """The original WGAN's constraint: clamp every parameter of ``module`` to ``[-c, c]`` in place."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"clip_weights_ module: expected an nn.Module; got {type(module).__name__}")
    if isinstance(c, bool) or not (isinstance(c, (int, float)) and c > 0):
        raise ValueError(f"c must be a positive number; got {c!r}")
    with torch.no_grad():
        for p in module.parameters():
            p.clamp_(-c, c)


def mlp_critic(in_dim: int = 1, width: int = 64, depth: int = 2) -> nn.Sequential:
    """``[B, in_dim]`` → ``[B, 1]``: ``depth`` hidden Linear + LeakyReLU(0.2) layers, a linear output, no norm."""
    require_positive_int(in_dim, "mlp_critic in_dim")
    require_positive_int(width, "mlp_critic width")
    require_positive_int(depth, "mlp_critic depth")
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(in_dim if i == 0 else width, width), nn.LeakyReLU(0.2)]
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


@dataclass
class ClippingResult:
    """One critic trained on the two fixed 1-D Gaussians of :func:`clipping_experiment`."""

    label: str
    grid: torch.Tensor        # [K] x values
    critic: torch.Tensor      # [K] critic values there, shifted so the mean over the grid is 0
    gap: float                # E[f(real)] − E[f(fake)] on fresh samples
    max_slope: float          # largest |f'| on the grid
    weights: torch.Tensor     # every weight of the hidden layers, flattened
    clip: float | None


def clipping_experiment(clips: Sequence[float] = (0.01, 0.1, 1.0), steps: int = 400, batch_size: int = 256,
                        real_mean: float = 2.0, fake_mean: float = -2.0, std: float = 0.5,
                        seed: int = 1) -> list[ClippingResult]:
    """Train one critic per clip value (and one with the gradient penalty) to separate two 1-D Gaussians.

    Real data ``N(real_mean, std²)``, fakes ``N(fake_mean, std²)``: ``W1 = |real_mean − fake_mean|``
    (4 by default). Each critic (:func:`mlp_critic`, width 64) maximises ``E[f(real)] − E[f(fake)]``
    with Adam (1e-3, β = (0, 0.9)); the clipped ones clamp their weights after each step, the last
    one adds ``10·E[(‖∇f(x̂)‖ − 1)²]`` instead. Deterministic for a seed; torch's global RNG is untouched.
    """
    if isinstance(clips, (str, bytes)) or not isinstance(clips, Sequence):
        raise TypeError(f"clipping_experiment clips: expected a sequence of positive clip values; got "
                        f"{type(clips).__name__}")
    for c in clips:
        _check_number(c, "clipping_experiment clip value", positive=True)
    require_positive_int(steps, "clipping_experiment steps")
    require_positive_int(batch_size, "clipping_experiment batch_size")
    _check_number(real_mean, "clipping_experiment real_mean")
    _check_number(fake_mean, "clipping_experiment fake_mean")
    _check_number(std, "clipping_experiment std", positive=True)
    results = []
    configs: list[tuple[str, float | None]] = [(f"clip c = {c:g}", float(c)) for c in clips]
    configs.append(("gradient penalty, λ = 10", None))
    grid = torch.linspace(-4.0, 4.0, 401).unsqueeze(1)
    for label, c in configs:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            critic = mlp_critic(1, 64)
            if c is not None:
                clip_weights_(critic, c)
            opt = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))
            gen = torch.Generator().manual_seed(seed + 1)
            for _ in range(steps):
                real = real_mean + std * torch.randn(batch_size, 1, generator=gen)
                fake = fake_mean + std * torch.randn(batch_size, 1, generator=gen)
                loss = critic(fake).mean() - critic(real).mean()
                if c is None:
                    eps = torch.rand(batch_size, 1, generator=gen)
                    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
                    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
                    loss = loss + 10.0 * (g.norm(dim=1) - 1).square().mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                if c is not None:
                    clip_weights_(critic, c)
            with torch.no_grad():
                real = real_mean + std * torch.randn(4096, 1, generator=gen)
                fake = fake_mean + std * torch.randn(4096, 1, generator=gen)
                gap = float(critic(real).mean() - critic(fake).mean())
                values = critic(grid).squeeze(1)
                slopes = torch.diff(values) / torch.diff(grid.squeeze(1))
                weights = torch.cat([m.weight.flatten() for m in critic if isinstance(m, nn.Linear)][:-1])
        results.append(ClippingResult(label, grid.squeeze(1), values - values.mean(), gap,
                                      float(slopes.abs().max()), weights, c))
    return results


def plot_clipping(results: Sequence[ClippingResult], w1: float = 4.0) -> plt.Figure:
    """Left: each critic f(x) (zero-mean) against the ideal slope-1 ramp. Right: hidden weights of the clipped critics."""
    if isinstance(results, (str, bytes)) or not isinstance(results, Sequence) or not results \
            or not all(isinstance(r, ClippingResult) for r in results):
        raise ValueError(f"plot_clipping results: expected a non-empty list of ClippingResult (from "
                         f"clipping_experiment); got {results!r:.80}")
    _check_number(w1, "plot_clipping w1", positive=True)
    fig, (ax_f, ax_w) = plt.subplots(1, 2, figsize=(11, 3.6))
    x = results[0].grid
    ideal = x.clamp(-2, 2)
    ax_f.plot(x, ideal - ideal.mean(), color="black", ls="--", lw=1.5, label=f"an optimal 1-Lipschitz critic (gap {w1:g})")
    for r in results:
        ax_f.plot(x, r.critic, lw=2, label=f"{r.label}: gap {r.gap:.3g}, max slope {r.max_slope:.3g}")
    ax_f.set_ylim(-6, 6)
    ax_f.set_xlabel("x   (fakes near −2, real data near +2)")
    ax_f.set_ylabel("critic f(x), shifted to mean 0")
    ax_f.legend(fontsize=7, loc="upper left")
    ax_f.set_title(f"What each critic learned (W1 = {w1:g})", fontsize=10)
    clipped = [r for r in results if r.clip is not None]
    for r, lw in zip(clipped, (3.5, 2.0, 1.2, 1.0)):
        at_edge = float((r.weights.abs() >= 0.999 * r.clip).float().mean())
        ax_w.hist((r.weights / r.clip).numpy(), bins=41, range=(-1.05, 1.05), histtype="step", lw=lw,
                  label=f"{r.label}: {at_edge:.0%} at ±c")
    ax_w.set_xlabel("hidden-layer weight / c")
    ax_w.set_ylabel("number of weights")
    ax_w.legend(fontsize=8)
    ax_w.set_title("Clipped weights pile up at ±c", fontsize=10)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------------------------
# The adversarial scenario: a critic objective with a planted bug
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScenarioConfig:
    """The scenario's run: WGAN-GP critic updates on the 8×8 digits against a fixed generator."""

    batch_size: int = 128
    gp_weight: float = 10.0
    lr: float = 1e-4
    betas: tuple[float, float] = (0.0, 0.9)
    z_dim: int = 16
    width: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("batch_size", "z_dim", "width"):
            require_positive_int(getattr(self, name), f"ScenarioConfig.{name}")
        _check_number(self.lr, "ScenarioConfig.lr", positive=True)
        if _check_number(self.gp_weight, "ScenarioConfig.gp_weight") < 0:
            raise ValueError(f"ScenarioConfig.gp_weight: expected a number ≥ 0; got {self.gp_weight!r}")
        require_betas(self.betas, "ScenarioConfig.betas")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"ScenarioConfig.seed: expected an int; got {type(self.seed).__name__}")


SCENARIO = ScenarioConfig()

#: The logged run: ``train_scenario_critic(buggy_critic_objective, steps=1200)`` with :data:`SCENARIO`,
#: every 100 critic updates, (update, critic loss E[D(fake)] − E[D(real)], penalty before × λ). Recompute with
#: :func:`scenario_log`; the tests check that the two agree.
SCENARIO_LOG: tuple[tuple[int, float, float], ...] = (
    (100, -2.6, 0.9913), (200, -9.4, 0.9696), (300, -22.0, 0.9283), (400, -42.1, 0.8659),
    (500, -71.6, 0.7833), (600, -108.4, 0.6716), (700, -160.3, 0.5413), (800, -227.3, 0.3992),
    (900, -300.6, 0.25), (1000, -402.1, 0.1245), (1100, -502.5, 0.0318), (1200, -640.1, 0.0114))


@lru_cache(maxsize=1)
def scenario_data() -> torch.Tensor:
    """``[1500, 64]``: the 8×8 training digits, flattened, in [-1, 1]."""
    return digits("train", 8).images.flatten(1)


def lipschitz_bound(dim: int, low: float = -1.0, high: float = 1.0) -> float:
    """The largest gap ``E[D(real)] − E[D(fake)]`` a 1-Lipschitz critic can reach on ``[low, high]^dim``.

    No two points of the box are further apart than its diagonal ``(high − low)·√dim``, so neither
    are the means: 16 for 8×8 digits, ``2·√12288 ≈ 222`` for 64×64×3 images in [-1, 1].
    """
    require_positive_int(dim, "lipschitz_bound dim")
    low, high = _check_number(low, "lipschitz_bound low"), _check_number(high, "lipschitz_bound high")
    if high < low:
        raise ValueError(f"lipschitz_bound: expected low ≤ high; got low={low:g}, high={high:g}")
    return (high - low) * math.sqrt(dim)


def scenario_generator(config: ScenarioConfig = SCENARIO) -> nn.Module:
    """A freshly initialised generator ``z [B, z_dim]`` → ``[B, 64]`` in [-1, 1] (tanh), never trained."""
    _check_config(config, "scenario_generator config")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return nn.Sequential(nn.Linear(config.z_dim, config.width), nn.LeakyReLU(0.2),
                             nn.Linear(config.width, config.width), nn.LeakyReLU(0.2),
                             nn.Linear(config.width, 64), nn.Tanh())


def make_scenario_critic(in_dim: int = 64, width: int = 128) -> nn.Module:
    """The scenario's critic: ``[B, in_dim]`` → scores ``[B, 1]``; no sigmoid, no batch norm."""
    return nn.Sequential(nn.Linear(in_dim, width), nn.LeakyReLU(0.2),
                         nn.Linear(width, width), nn.LeakyReLU(0.2),
                         nn.Linear(width, 1))


def buggy_critic_objective(critic, real, fake, gp_weight=10.0):
    """WGAN-GP critic objective, as found in the colleague's code. Returns (loss, w_estimate, gp)."""
    real_scores = critic(real)                                 # [B, 1]
    fake_scores = critic(fake)                                 # [B, 1]
    w_estimate = real_scores.mean() - fake_scores.mean()       # ≈ W1 for a 1-Lipschitz critic
    eps = torch.rand(real.shape[0], 1, device=real.device)     # [B, 1]: one mixing factor per sample
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).mean(), x_hat, create_graph=True)
    gp = gp_weight * (grad.norm(2, dim=1) - 1).square().mean()
    loss = -w_estimate + gp                                    # = E[D(fake)] − E[D(real)] + GP
    return loss, w_estimate, gp


def fixed_critic_objective(critic, real, fake, gp_weight=10.0):
    """The reference fix of :func:`buggy_critic_objective`: the gradient of ``.sum()``, one per sample.

    ``real`` and ``fake`` are ``[B, D]`` batches; ``critic`` maps ``[B, D]`` to scores ``[B, 1]``.
    """
    if not callable(critic):
        raise TypeError(f"fixed_critic_objective critic: expected a network [B, D] -> [B, 1]; got {type(critic).__name__}")
    require_shape(real, [None, None], "fixed_critic_objective real")
    require_shape(fake, list(real.shape), "fixed_critic_objective fake (the shape of real)")
    require_same_device(real, fake, "real", "fixed_critic_objective fake")
    real_scores = critic(real)
    fake_scores = critic(fake)
    w_estimate = real_scores.mean() - fake_scores.mean()
    eps = torch.rand(real.shape[0], 1, device=real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    gp = gp_weight * (grad.norm(2, dim=1) - 1).square().mean()
    return -w_estimate + gp, w_estimate, gp


def _check_config(config: object, name: str) -> None:
    if not isinstance(config, ScenarioConfig):
        raise TypeError(f"{name}: expected a ScenarioConfig (e.g. SCENARIO); got {type(config).__name__}")


@dataclass
class ScenarioRun:
    """What :func:`train_scenario_critic` logged, one entry per critic update."""

    critic_loss: list[float]      # E[D(fake)] − E[D(real)]  (≈ −W for a 1-Lipschitz critic)
    gp: list[float]               # the penalty E[(‖∇D(x̂)‖ − 1)²] as the objective computed it, before × λ
    critic: nn.Module
    grad_norm: float              # median true ‖∇D‖ at fresh interpolates after training


def train_scenario_critic(objective: Callable, critic: nn.Module | None = None, steps: int = 300,
                          config: ScenarioConfig = SCENARIO, batch_size: int | None = None) -> ScenarioRun:
    """Train ``critic`` with ``objective(critic, real, fake, gp_weight) → (loss, w_estimate, gp)``.

    Real batches come from :func:`scenario_data`, fakes from :func:`scenario_generator` (fixed), both
    drawn from a generator seeded with ``config.seed``; ``torch.manual_seed(config.seed)`` is set
    inside a forked RNG, so the penalty's ε is reproducible and torch's global RNG is left as it was.
    """
    if not callable(objective):
        raise TypeError(f"train_scenario_critic objective: expected a function (critic, real, fake, gp_weight) -> "
                        f"(loss, w_estimate, gp); got {type(objective).__name__}")
    if critic is not None and not isinstance(critic, nn.Module):
        raise TypeError(f"train_scenario_critic critic: expected an nn.Module [B, 64] -> [B, 1] or None; got "
                        f"{type(critic).__name__}")
    require_positive_int(steps, "train_scenario_critic steps")
    _check_config(config, "train_scenario_critic config")
    if batch_size is not None:
        require_positive_int(batch_size, "train_scenario_critic batch_size")
    batch = batch_size or config.batch_size
    data = scenario_data()
    G = scenario_generator(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        if critic is None:
            critic = make_scenario_critic(64, config.width)
        opt = torch.optim.Adam(critic.parameters(), lr=config.lr, betas=config.betas)
        gen = torch.Generator().manual_seed(config.seed)
        losses, gps = [], []
        for _ in range(steps):
            real = data[torch.randint(len(data), (batch,), generator=gen)]        # [B, 64]
            with torch.no_grad():
                fake = G(torch.randn(batch, config.z_dim, generator=gen))         # [B, 64]
            loss, w_estimate, gp = objective(critic, real, fake, config.gp_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(-w_estimate.item())
            gps.append(gp.item() / config.gp_weight if config.gp_weight else gp.item())
        real = data[torch.randint(len(data), (batch,), generator=gen)]
        with torch.no_grad():
            fake = G(torch.randn(batch, config.z_dim, generator=gen))
        eps = torch.rand(batch, 1, generator=gen)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
        grad_norm = float(grad.norm(dim=1).median())
    return ScenarioRun(losses, gps, critic, grad_norm)


def scenario_log(steps: int = 1200, every: int = 100,
                 config: ScenarioConfig = SCENARIO) -> tuple[tuple[int, float, float], ...]:
    """Rerun the logged buggy run: ``(update, critic loss, penalty)`` every ``every`` updates and at the end."""
    require_positive_int(steps, "scenario_log steps")
    require_positive_int(every, "scenario_log every")
    run = train_scenario_critic(buggy_critic_objective, steps=steps, config=config)
    rows = [(i + 1, run.critic_loss[i], run.gp[i]) for i in range(every - 1, steps, every)]
    return tuple((n, round(c, 1), round(g, 4)) for n, c, g in rows)


def plot_scenario(runs: dict[str, ScenarioRun], dim: int = 64) -> plt.Figure:
    """Critic loss and penalty per update for each run, with the ±bound of a 1-Lipschitz critic."""
    bound = lipschitz_bound(dim)
    if not isinstance(runs, dict) or not all(isinstance(r, ScenarioRun) for r in runs.values()):
        raise TypeError(f"plot_scenario runs: expected a dict {{label: ScenarioRun}} (from train_scenario_critic); "
                        f"got {type(runs).__name__}")
    fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(11, 3.4))
    for (label, run), colour in zip(runs.items(), ("tab:red", "tab:green", "tab:blue")):
        ax_l.plot(run.critic_loss, color=colour, lw=1.5, label=label)
        ax_g.plot(run.gp, color=colour, lw=1, label=label)
    ax_l.axhline(-bound, color="black", ls="--", lw=1, label=f"−{bound:g}: lowest possible for a 1-Lipschitz critic")
    ax_l.set_xlabel("critic update")
    ax_l.set_ylabel("critic loss  E[D(fake)] − E[D(real)]")
    ax_l.set_yscale("symlog", linthresh=10)
    ax_l.legend(fontsize=8, loc="lower left")
    ax_g.set_yscale("log")
    ax_g.set_xlabel("critic update")
    ax_g.set_ylabel("logged penalty E[(‖∇‖ − 1)²], before × λ")
    ax_g.legend(fontsize=8)
    fig.tight_layout()
    return fig
