"""The min-max game of chapter 2: both players' losses in logits, the optimal discriminator, C(G).

The GAN value function (Goodfellow et al. 2014) is

.. math::
    V(D, G) = \\mathbb E_{x \\sim p_\\text{data}}[\\log D(x)] + \\mathbb E_{z \\sim p_z}[\\log(1 - D(G(z)))]
            = \\int p_\\text{data}(x) \\log D(x) + p_g(x) \\log(1 - D(x)) \\, dx,

which ``D`` maximises and ``G`` minimises. With ``D = sigmoid(a)`` for a logit ``a``, every term is a
softplus of the logit (``-log sigmoid(a) = softplus(-a)``, ``-log(1 - sigmoid(a)) = softplus(a)``):

=========================================  ===================  ==========================  ==============
per-sample loss (to minimise)              in logits            gradient w.r.t. the logit   at ``a = 0``
=========================================  ===================  ==========================  ==============
D's fake term  ``-log(1 - D(G(z)))``       ``softplus(a)``      ``sigmoid(a) = D``          ``ln 2``
G, saturating  ``log(1 - D(G(z)))``        ``-softplus(a)``     ``-D``                      ``-ln 2``
G, non-saturating ``-log D(G(z))``         ``softplus(-a)``     ``-(1 - D)``                ``ln 2``
=========================================  ===================  ==========================  ==============

The two generator gradients have magnitudes ``D`` and ``1 - D``; their ratio is ``e^(-a)``: 7.4 at
``a = -2``, about 100 only near ``a = -4.6``, 148 at ``-5`` and about 1100 at ``-7``.

For a fixed generator the best discriminator is ``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` (0
where only ``p_g`` has mass, 1 where only ``p_data`` has), and ``V(D*, G) = C(G) = 2·JSD(p_data, p_g)
- log 4`` with ``JSD`` in ``[0, ln 2]``. The functions below check both on densities tabulated on a
1-D grid, and draw the chapter's figures: the loss landscape (a widget with a static face, see
:mod:`gan_helpers.widgets`) and a race between the two generator losses on the 1-D game of chapter 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from gan_helpers.metrics import jsd
from gan_helpers.toy1d import GameConfig, OneDGame
from gan_helpers.widgets import front_end_attached, show_in

LABELS = {
    "d_fake": "D's fake term  −log(1 − D)",
    "g_saturating": "G saturating  log(1 − D)",
    "g_nonsaturating": "G non-saturating  −log D",
}
COLOURS = {"d_fake": "tab:blue", "g_saturating": "tab:red", "g_nonsaturating": "tab:green"}


def _as_logits(logits: torch.Tensor | float, name: str = "logits") -> torch.Tensor:
    if isinstance(logits, (int, float)) and not isinstance(logits, bool):
        logits = torch.tensor(float(logits), dtype=torch.float64)
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"{name} must be a number or a floating-point tensor; got {type(logits).__name__}")
    return logits


# ----------------------------------------------------------------------------------------------
# the players' per-sample losses and their gradients, in logits
# ----------------------------------------------------------------------------------------------

def player_losses(logits: torch.Tensor | float) -> dict[str, torch.Tensor]:
    """Per-sample losses on fakes with logits ``a`` (``[*]`` → three ``[*]`` tensors), stable for any ``a``.

    ``d_fake = softplus(a) = -log(1 - D)``, ``g_saturating = -softplus(a) = log(1 - D)``,
    ``g_nonsaturating = softplus(-a) = -log D``, where ``D = sigmoid(a)``.
    """
    a = _as_logits(logits)
    return {"d_fake": F.softplus(a), "g_saturating": -F.softplus(a), "g_nonsaturating": F.softplus(-a)}


def logit_gradients(logits: torch.Tensor | float) -> dict[str, torch.Tensor]:
    """Closed-form derivatives of :func:`player_losses` with respect to each logit: ``D``, ``-D``, ``-(1 - D)``."""
    a = _as_logits(logits)
    d = torch.sigmoid(a)
    return {"d_fake": d, "g_saturating": -d, "g_nonsaturating": -torch.sigmoid(-a)}


def gradient_ratio(logit: float) -> float:
    """``|d g_nonsaturating/da| / |d g_saturating/da| = (1 - D) / D = e^(-a)`` at one logit."""
    a = float(logit)
    if not math.isfinite(a):
        raise ValueError(f"logit must be finite; got {logit}")
    return math.exp(-a)


# ----------------------------------------------------------------------------------------------
# the landscape: a figure, a widget, and the two faces
# ----------------------------------------------------------------------------------------------

def plot_landscape(logit: float, fig: plt.Figure | None = None, logit_range: tuple[float, float] = (-8.0, 8.0)
                   ) -> plt.Figure:
    """Both players' losses against ``D(G(z))`` and their gradient magnitudes against the logit.

    Left: the three per-sample losses of :func:`player_losses` as functions of ``D = sigmoid(a)``.
    Right: ``|d loss / d a|`` on a log scale (straight lines for ``a ≪ 0``). The current ``logit``
    is marked on both panels and its numbers are in the title.
    """
    a0 = float(logit)
    lo, hi = logit_range
    if not lo <= a0 <= hi:
        raise ValueError(f"logit must lie in {logit_range}; got {a0}")
    if fig is None:
        fig = plt.figure(figsize=(11, 4))
    fig.clear()
    ax_loss, ax_grad = fig.subplots(1, 2)
    a = torch.linspace(lo, hi, 801, dtype=torch.float64)
    d = torch.sigmoid(a)
    losses, grads = player_losses(a), logit_gradients(a)
    point_loss, point_grad = player_losses(a0), logit_gradients(a0)
    d0 = 1.0 / (1.0 + math.exp(-a0))
    for name in ("g_saturating", "g_nonsaturating", "d_fake"):   # D's dashed curve on top of G's red one
        style = dict(color=COLOURS[name], lw=2, ls="--" if name == "d_fake" else "-")
        ax_loss.plot(d, losses[name], label=LABELS[name], **style)
        ax_loss.plot([d0], [point_loss[name].item()], "o", color=COLOURS[name], ms=7)
        ax_grad.semilogy(a, grads[name].abs(), label=f"|∂/∂a| {LABELS[name].split('  ')[0]}", **style)
        ax_grad.plot([a0], [abs(point_grad[name].item())], "o", color=COLOURS[name], ms=7)
    ax_loss.axvline(d0, color="grey", lw=1, ls=":")
    ax_loss.axhline(0, color="black", lw=0.5)
    ax_loss.set_xlim(0, 1)
    ax_loss.set_ylim(-6, 6)
    ax_loss.set_xlabel("D(G(z)): the discriminator's probability that the fake is real")
    ax_loss.set_ylabel("per-sample loss (each player minimises its own)")
    ax_loss.legend(fontsize=8, loc="upper center")
    ax_grad.axvline(a0, color="grey", lw=1, ls=":")
    ax_grad.set_xlim(lo, hi)
    ax_grad.set_ylim(1e-4, 2)
    ax_grad.set_xlabel("logit a on the fake (D = sigmoid(a))")
    ax_grad.set_ylabel("|gradient of the loss w.r.t. the logit|")
    ax_grad.legend(fontsize=8, loc="lower center")
    sat, ns = abs(point_grad["g_saturating"].item()), abs(point_grad["g_nonsaturating"].item())
    fig.suptitle(f"a = {a0:.2f}, D(G(z)) = {d0:.4f}:  |grad| saturating {sat:.4f}, non-saturating {ns:.4f}, "
                 f"ratio {ns / sat:.3g} = e^(−a)", fontsize=10)
    fig.tight_layout()
    return fig


def landscape_widget(initial_logit: float = -5.0):
    """An ipywidgets slider on the fake's logit; the landscape figure redraws on every move."""
    import ipywidgets as widgets

    slider = widgets.FloatSlider(value=initial_logit, min=-8.0, max=8.0, step=0.1, description="logit a",
                                 continuous_update=False, readout_format=".1f")
    out = widgets.Output()

    def redraw(change=None) -> None:
        show_in(out, plot_landscape(slider.value))

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])


def show_landscape(initial_logit: float = -5.0) -> None:
    """The landscape: the live slider with a front end, else a static figure at ``initial_logit``."""
    from IPython.display import display

    if front_end_attached():
        display(landscape_widget(initial_logit))
    else:
        fig = plot_landscape(initial_logit)
        display(fig)
        plt.close(fig)


# ----------------------------------------------------------------------------------------------
# the optimal discriminator and C(G) on a grid
# ----------------------------------------------------------------------------------------------

def raised_cosine(x: torch.Tensor, centre: float, half_width: float) -> torch.Tensor:
    """A smooth bump density that is exactly zero outside ``[centre - half_width, centre + half_width]``."""
    if half_width <= 0:
        raise ValueError(f"half_width must be positive; got {half_width}")
    u = (x - centre) / half_width
    return torch.where(u.abs() < 1, (1 + torch.cos(math.pi * u)) / (2 * half_width), torch.zeros_like(x))


@dataclass(frozen=True)
class GridDensities:
    """Two densities tabulated on a uniform 1-D grid (each sums to 1 when multiplied by ``dx``)."""

    x: torch.Tensor       # [N] grid points
    p_data: torch.Tensor  # [N]
    p_g: torch.Tensor     # [N]
    dx: float


def _normalised(p: torch.Tensor, dx: float) -> torch.Tensor:
    return p / (p.sum() * dx)


def example_densities(n_points: int = 601, x_range: tuple[float, float] = (-3.0, 3.0),
                      g_centre: float = 0.8, g_half_width: float = 1.5) -> GridDensities:
    """The chapter's example: a two-bump ``p_data`` and a one-bump ``p_g``, both float64, on a grid.

    ``p_data`` is an equal mixture of bumps at ±1.5 (half-width 1); ``p_g`` one bump at ``g_centre``.
    With the defaults the grid holds all four cases: only ``p_data`` has mass, only ``p_g``, both,
    neither. Each density is renormalised so that ``sum(p) * dx == 1`` on the grid exactly.
    """
    if n_points < 3:
        raise ValueError(f"n_points must be at least 3; got {n_points}")
    x = torch.linspace(*x_range, n_points, dtype=torch.float64)
    dx = float(x[1] - x[0])
    p_data = 0.5 * raised_cosine(x, -1.5, 1.0) + 0.5 * raised_cosine(x, 1.5, 1.0)
    p_g = raised_cosine(x, g_centre, g_half_width)
    if p_data.sum() <= 0 or p_g.sum() <= 0:
        raise ValueError("a density has no mass on the grid: widen x_range or move g_centre")
    return GridDensities(x, _normalised(p_data, dx), _normalised(p_g, dx), dx)


def _check_densities(p_data: torch.Tensor, p_g: torch.Tensor) -> None:
    for name, p in (("p_data", p_data), ("p_g", p_g)):
        if not isinstance(p, torch.Tensor) or not p.is_floating_point() or p.dim() != 1:
            raise TypeError(f"{name} must be a 1-D floating-point tensor [N]; got {type(p).__name__}"
                            + (f" of shape {list(p.shape)}" if isinstance(p, torch.Tensor) else ""))
        if bool((p < 0).any()):
            raise ValueError(f"{name} must be non-negative; got a minimum of {p.min().item():.3g}")
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data and p_g must have the same shape; got {list(p_data.shape)} and {list(p_g.shape)}")


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """``D*(x) = p_data / (p_data + p_g)`` pointwise (``[N]`` → ``[N]``).

    It is 0 where only ``p_g`` has mass and 1 where only ``p_data`` has. Where neither has mass every
    ``D`` scores the same, so any value is optimal; this returns ½ there (never NaN).
    """
    _check_densities(p_data, p_g)
    total = p_data + p_g
    return torch.where(total > 0, p_data / torch.where(total > 0, total, torch.ones_like(total)),
                       torch.full_like(total, 0.5))


def best_response_on_grid(p_data: torch.Tensor, p_g: torch.Tensor, n_candidates: int = 999) -> torch.Tensor:
    """Maximise ``p_data log D + p_g log(1 - D)`` at each grid point by brute force.

    The candidates are ``D = k / (n_candidates + 1)`` for ``k = 1 … n_candidates`` (strictly inside
    (0, 1)); returns the best candidate at each point, ``[N]``, within ``1 / (n_candidates + 1)`` of D*.
    """
    _check_densities(p_data, p_g)
    if n_candidates < 1:
        raise ValueError(f"n_candidates must be at least 1; got {n_candidates}")
    y = torch.arange(1, n_candidates + 1, dtype=p_data.dtype) / (n_candidates + 1)      # [K]
    score = p_data[:, None] * torch.log(y) + p_g[:, None] * torch.log1p(-y)              # [N, K]
    return y[score.argmax(dim=1)]


def game_value(p_data: torch.Tensor, p_g: torch.Tensor, d: torch.Tensor, dx: float) -> torch.Tensor:
    """``V(D, G) = ∫ p_data log D + p_g log(1 - D) dx`` as a Riemann sum, with ``0 · log 0 = 0``; → ``[]``."""
    _check_densities(p_data, p_g)
    if not isinstance(d, torch.Tensor) or d.shape != p_data.shape:
        raise ValueError(f"d must be a tensor of shape {list(p_data.shape)}")
    return (torch.xlogy(p_data, d) + torch.xlogy(p_g, 1 - d)).sum() * dx


def jsd_on_grid(p_data: torch.Tensor, p_g: torch.Tensor, dx: float) -> float:
    """Jensen–Shannon divergence (nats) between two grid densities: :func:`gan_helpers.metrics.jsd` of
    their masses ``p * dx`` (each must sum to 1 within 1e-5)."""
    _check_densities(p_data, p_g)
    return jsd(p_data * dx, p_g * dx)


def virtual_training_criterion(p_data: torch.Tensor, p_g: torch.Tensor, dx: float) -> float:
    """``C(G) = V(D*, G)``, which equals ``2 · JSD(p_data, p_g) - log 4``."""
    return float(game_value(p_data, p_g, optimal_discriminator(p_data, p_g), dx))


# ----------------------------------------------------------------------------------------------
# a race between the two generator losses on the 1-D game
# ----------------------------------------------------------------------------------------------

class _RaceGame(OneDGame):
    """Chapter 0's 1-D game, with G's spread frozen at the data's and G trained by plain SGD."""

    def __init__(self, config: GameConfig, loss: str, lr_g: float) -> None:
        self.loss, self.lr_g_sgd = loss, lr_g
        super().__init__(config)

    def reset(self) -> None:
        super().reset()
        self.G.scale.requires_grad_(False)
        self.opt_G = torch.optim.SGD([self.G.shift], lr=self.lr_g_sgd)

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        per_sample = player_losses(self.D(fake))
        return per_sample["g_saturating" if self.loss == "saturating" else "g_nonsaturating"].mean()

    def g_step(self, fake: torch.Tensor) -> torch.Tensor:
        g_loss = self.g_loss(fake)
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()
        return g_loss


@dataclass(frozen=True)
class RaceResult:
    """How G's mean moved under one generator loss (see :func:`generator_race`)."""

    loss: str
    shifts: list[float]        # G's mean at the start and after each step
    mean_fake_logit: float     # D's average logit on the fakes when G starts
    first_gradient: float      # d g_loss / d shift at the start (a batch of 4096 fakes)


def generator_race(loss: str, steps: int = 300, seed: int = 0, head_start: int = 200,
                   lr_g: float = 0.05) -> RaceResult:
    """Train G's mean with one generator loss against a discriminator that had a head start.

    Real data ``N(2, 0.5²)``; ``G(z) = shift + 0.5 z`` starts at shift -2. The discriminator first
    takes ``head_start`` steps alone, so it confidently rejects the fakes (the early-training
    regime), then the usual alternating steps follow. G is updated by plain SGD, so the size of its
    gradient is the size of its step. ``loss`` is ``"saturating"`` or ``"nonsaturating"``.
    """
    if loss not in {"saturating", "nonsaturating"}:
        raise ValueError(f"loss must be 'saturating' or 'nonsaturating'; got {loss!r}")
    if steps < 0 or head_start < 0:
        raise ValueError(f"steps and head_start must be non-negative; got {steps}, {head_start}")
    game = _RaceGame(GameConfig(seed=seed, init_shift=-2.0, init_scale=0.5), loss, lr_g)
    b = game.config.batch_size
    for _ in range(head_start):
        game.d_step(game.sample_real(b), game.sample_fake(b))
    probe = torch.Generator().manual_seed(seed + 1)
    fake = game.G(torch.randn(4096, generator=probe))
    with torch.no_grad():
        mean_logit = game.D(fake).mean().item()
    (grad,) = torch.autograd.grad(game.g_loss(fake), game.G.shift)
    shifts = [game.G.shift.item()]
    for record in game.run(steps):
        shifts.append(record.shift)
    return RaceResult(loss, shifts, mean_logit, grad.item())
