"""Training dynamics (chapter 3): small GAN runs under switches, their measured signatures, the
interactive that shows them, and the probes behind the chapter's graded ``train_step`` tests.

Small runs under switches
-------------------------
:func:`run_gan` trains a small MLP GAN on the ring of 8 Gaussians (:func:`gan_helpers.data.ring8`)
or on the 8×8 digits (:func:`gan_helpers.data.digits`, flattened to 64 numbers) for a few seconds,
with one ingredient of the training loop switched by :class:`RunConfig`:

* ``d_steps``: discriminator updates per generator update (0 = D is never trained; 10 = over-trained D);
* ``detach``: whether the D step detaches the fakes from G's graph;
* ``clear_g_grads``: whether G's gradients are cleared right before G's own backward pass (if not,
  they are cleared only at the top of each iteration, so a D step that did not detach leaves its
  gradients on G, and G's update uses them);
* ``noise``: whether G gets fresh noise (otherwise one constant z for every sample);
* ``lr`` (both players, Adam with β = (0.5, 0.999)) and ``g_loss`` (non-saturating or saturating).

One iteration of the loop, with every switch at its healthy setting, is exactly the chapter's
``train_step``::

    for _ in range(d_steps):                      # D: real → 1, fake → 0
        d_loss = BCE(D(real), 1) + BCE(D(G(z).detach()), 0);  D.zero_grad; backward; opt_D.step
    g_loss = BCE(D(G(z)), 1)                      # G: non-saturating, against the updated D
    G.zero_grad; backward; opt_G.step

Runs are deterministic (their own random-number generators; torch's global RNG is left alone),
single-threaded (tiny networks run many times slower with a second thread on a busy 2-core machine)
and cached: calling :func:`run_gan` twice with the same config returns the same :class:`RunResult`
object at once. Budgets follow fast mode (:func:`gan_helpers.course.budget`).

:func:`signature` condenses a run into the numbers the break-it lab reads: the late-run averages of
both losses, D's accuracy on its batches, the norm of G's gradient, and two sample statistics,
``off_data`` (how far samples lie from the data) and ``spread`` (mean pairwise distance of samples
over that of real data: ≈ 1 healthy, 0 when every sample is the same point).

Probes for the graded tests
---------------------------
:func:`probe_train_step` runs a learner's ``train_step(G, D, opt_G, opt_D, real_batch, z_dim)`` with
Adam optimisers that record, at the moment each one steps, what both networks look like: so a test
can see the D step on its own (did gradients reach G? did G change?), count the steps, tell whether
D moved again after its own step, and whether gradients left over from before the call were used.
:func:`record_interpolates` wraps a critic to keep the inputs it was called with, so a gradient-penalty
test can check the interpolates themselves (:func:`interpolation_report`) and compare the penalty with
the reference formula at those very points (:func:`penalty_at`). :func:`exercise_players`,
:func:`confident_players` and :func:`critic_players` build small networks whose outputs are known.

Other helpers: :func:`detach_experiment` (what ``.detach()`` saves, measured),
:func:`bilinear_game` (gradient play on ``min_x max_y xy``), the figures and :func:`show_dynamics`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from gan_helpers.course import budget
from gan_helpers.data import digits, ring8, ring8_centres
from gan_helpers.losses import d_loss_bce, g_loss_nonsaturating, g_loss_saturating
from gan_helpers.metrics import collapse_ratio
from gan_helpers.toy2d import MLPDiscriminator, MLPGenerator
from gan_helpers.widgets import front_end_attached, show_in

DATASETS = ("ring8", "digits")
G_LOSSES = ("non-saturating", "saturating")
BETAS = (0.5, 0.999)
N_EVAL = 2000          # samples drawn to measure a finished run
LATE_FRACTION = 0.2    # signatures average over the last 20 % of the steps


@contextmanager
def single_thread() -> Iterator[None]:
    """Run the body with one intra-op thread, then restore the setting.

    Tiny networks gain nothing from a second thread, and on a busy 2-core machine they lose a lot.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


# --------------------------------------------------------------------------------------------------
# Runs under switches
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunConfig:
    """One small GAN run and the switches of its training loop (see the module docstring).

    Attributes:
        data: ``"ring8"`` (2-D points) or ``"digits"`` (8×8 images as 64 numbers in [-1, 1]).
        d_steps: discriminator updates per generator update; 0 means D is never updated.
        detach: detach the fakes in the D step.
        clear_g_grads: clear G's gradients right before its backward pass (they are always cleared at
            the top of an iteration). Matters only when ``detach`` is off.
        noise: fresh z for every sample; ``False`` feeds G one constant z.
        lr: Adam learning rate of both players (β = (0.5, 0.999)).
        g_loss: ``"non-saturating"`` (−log D(G(z))) or ``"saturating"`` (log(1 − D(G(z))), minimised).
        steps: generator updates; ``None`` takes :func:`default_steps`.
        batch_size: real points (and fakes) per update.
        width, depth: hidden units and hidden layers of both MLPs.
        z_dim: noise dimension (``None``: 2 for the ring, 16 for the digits).
        seed: seeds the weights, the data stream and the noise.
    """

    data: str = "ring8"
    d_steps: int = 1
    detach: bool = True
    clear_g_grads: bool = True
    noise: bool = True
    lr: float = 1e-3
    g_loss: str = "non-saturating"
    steps: int | None = None
    batch_size: int = 256
    width: int = 64
    depth: int = 2
    z_dim: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.data not in DATASETS:
            raise ValueError(f"data: expected one of {list(DATASETS)}; got {self.data!r}")
        if self.g_loss not in G_LOSSES:
            raise ValueError(f"g_loss: expected one of {list(G_LOSSES)}; got {self.g_loss!r}")
        if isinstance(self.d_steps, bool) or not isinstance(self.d_steps, int) or self.d_steps < 0:
            raise ValueError(f"d_steps: expected a non-negative int; got {self.d_steps!r}")
        for name in ("batch_size", "width", "depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected a positive int; got {value!r}")
        for name in ("steps", "z_dim"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name}: expected a positive int or None; got {value!r}")
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr < 1):
            raise ValueError(f"lr: expected a number in (0, 1); got {self.lr!r}")

    def resolved(self) -> RunConfig:
        """The same config with ``steps`` and ``z_dim`` filled in."""
        return replace(self, steps=self.steps or default_steps(),
                       z_dim=self.z_dim or (2 if self.data == "ring8" else 16))

    def label(self) -> str:
        """A short description of what differs from the healthy defaults."""
        parts = []
        if self.d_steps != 1:
            parts.append("D never trained" if self.d_steps == 0 else f"{self.d_steps} D steps per G step")
        if not self.detach:
            parts.append("no detach" + ("" if self.clear_g_grads else ", G's grads kept"))
        if not self.noise:
            parts.append("constant z")
        if self.lr != RunConfig.lr:
            parts.append(f"lr {self.lr:g}")
        if self.g_loss != RunConfig.g_loss:
            parts.append(f"{self.g_loss} G loss")
        return ", ".join(parts) or "healthy"


def default_steps() -> int:
    """Generator updates per run: 1000 (a couple of seconds), 80 in fast mode."""
    return budget(default=1000, fast=80)


@dataclass
class RunResult:
    """What :func:`run_gan` measured.

    Attributes:
        config: the resolved :class:`RunConfig`.
        history: per generator update: ``d_loss`` (D's loss on its last batch, measured also when D
            is not trained), ``g_loss``, ``d_acc`` (fraction of that batch D classifies right,
            real and fake counted equally), ``p_real`` and ``p_fake`` (mean sigmoid of D's logits),
            ``g_grad_norm`` (norm of the gradient G's optimiser used), ``g_signal`` (the mean size of
            the G loss's derivative with respect to each fake's logit a: 1 − σ(a) for the
            non-saturating loss, σ(a) for the saturating one; D's slopes multiply it on the way to G).
        samples: ``[N_EVAL, ...]`` G's samples at the end (fixed evaluation noise).
        start_samples: the same noise through the untrained G.
        real: ``[N_EVAL, ...]`` real data for comparison.
        seconds: training time.
    """

    config: RunConfig
    history: dict[str, list[float]]
    samples: torch.Tensor
    start_samples: torch.Tensor
    real: torch.Tensor
    seconds: float
    measured: dict[str, float] = field(default_factory=dict)


class _Flatten64(nn.Module):
    """MLP players for the 8×8 digits: G makes ``[B, 64]`` in [-1, 1] (tanh), D takes ``[B, 64]``."""

    def __init__(self, net: nn.Module, squeeze: bool):
        super().__init__()
        self.net, self.squeeze = net, squeeze

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x.flatten(1))
        return out.squeeze(1) if self.squeeze else out


def _digit_mlp(in_dim: int, out_dim: int, width: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    features = in_dim
    for _ in range(depth):
        layers += [nn.Linear(features, width), nn.LeakyReLU(0.2)]
        features = width
    layers.append(nn.Linear(features, out_dim))
    return nn.Sequential(*layers)


@lru_cache(maxsize=1)
def _digit_pixels() -> torch.Tensor:
    return digits("train").images.flatten(1)  # [1500, 64] in [-1, 1]


def make_players(config: RunConfig) -> tuple[nn.Module, nn.Module]:
    """The two MLPs of a run, initialised from ``config.seed`` without touching torch's global RNG."""
    c = config.resolved()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(c.seed)
        if c.data == "ring8":
            # The ring has radius 2: G's output is scaled up by 2 and D's input down by 2.
            G = MLPGenerator(c.z_dim, c.width, c.depth, "relu", scale=2.0)
            D = MLPDiscriminator(c.width, c.depth, "relu", scale=2.0)
        else:
            G = _Flatten64(nn.Sequential(_digit_mlp(c.z_dim, 64, c.width, c.depth), nn.Tanh()), squeeze=False)
            D = _Flatten64(_digit_mlp(64, 1, c.width, c.depth), squeeze=True)
    return G, D


def _real_sampler(data: str) -> Callable[[int, torch.Generator], torch.Tensor]:
    if data == "ring8":
        return lambda n, gen: ring8(n, generator=gen)
    pixels = _digit_pixels()
    return lambda n, gen: pixels[torch.randint(len(pixels), (n,), generator=gen)]


def _grad_norm(module: nn.Module) -> float:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return 0.0
    return float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))


def run_gan(config: RunConfig = RunConfig()) -> RunResult:
    """Train the small GAN that ``config`` describes and measure it (cached: same config, same result)."""
    if not isinstance(config, RunConfig):
        raise TypeError(f"config: expected a RunConfig; got {type(config).__name__}")
    return _run_cached(config.resolved())


@lru_cache(maxsize=64)
def _run_cached(c: RunConfig) -> RunResult:
    with single_thread():
        return _train(c)


def _train(c: RunConfig) -> RunResult:
    G, D = make_players(c)
    opt_G = torch.optim.Adam(G.parameters(), lr=c.lr, betas=BETAS)
    opt_D = torch.optim.Adam(D.parameters(), lr=c.lr, betas=BETAS)
    data_gen = torch.Generator().manual_seed(c.seed)
    noise_gen = torch.Generator().manual_seed(c.seed + 1)
    constant_z = torch.randn(1, c.z_dim, generator=torch.Generator().manual_seed(c.seed + 2))   # [1, z_dim]
    sample_real = _real_sampler(c.data)
    g_loss_fn = g_loss_nonsaturating if c.g_loss == "non-saturating" else g_loss_saturating

    def noise(n: int) -> torch.Tensor:                                                           # [n, z_dim]
        return torch.randn(n, c.z_dim, generator=noise_gen) if c.noise else constant_z.expand(n, c.z_dim)

    eval_z = torch.randn(N_EVAL, c.z_dim, generator=torch.Generator().manual_seed(c.seed + 3))
    if not c.noise:
        eval_z = constant_z.expand(N_EVAL, c.z_dim)
    with torch.no_grad():
        start_samples = G(eval_z)

    history: dict[str, list[float]] = {k: [] for k in ("d_loss", "g_loss", "d_acc", "p_real", "p_fake",
                                                       "g_grad_norm", "g_signal")}
    start = time.perf_counter()
    for _ in range(c.steps):
        opt_D.zero_grad(set_to_none=True)
        opt_G.zero_grad(set_to_none=True)
        for _ in range(max(c.d_steps, 1)):          # with d_steps = 0 one pass still measures D, no update
            real = sample_real(c.batch_size, data_gen)                  # [B, 2] or [B, 64]
            fake = G(noise(c.batch_size))                               # [B, 2] or [B, 64]
            real_logits = D(real)                                       # [B]
            fake_logits = D(fake.detach() if c.detach else fake)        # [B]
            d_loss = d_loss_bce(real_logits, fake_logits)
            if c.d_steps > 0:
                opt_D.zero_grad(set_to_none=True)
                d_loss.backward()                   # without detach this also fills G's .grad
                opt_D.step()
        fake = G(noise(c.batch_size))
        if c.clear_g_grads:
            opt_G.zero_grad(set_to_none=True)
        g_logits = D(fake)                                              # [B]
        g_loss = g_loss_fn(g_logits)
        g_loss.backward(inputs=list(G.parameters()))
        history["g_grad_norm"].append(_grad_norm(G))
        opt_G.step()
        with torch.no_grad():
            history["d_loss"].append(d_loss.item())
            history["g_loss"].append(g_loss.item())
            history["d_acc"].append(0.5 * ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean()).item())
            history["p_real"].append(torch.sigmoid(real_logits).mean().item())
            history["p_fake"].append(torch.sigmoid(fake_logits).mean().item())
            # |d g_loss / d logit| per sample: 1 - D(G(z)) (non-saturating) or D(G(z)) (saturating).
            p = torch.sigmoid(g_logits)
            history["g_signal"].append((1 - p if c.g_loss == "non-saturating" else p).mean().item())
    seconds = time.perf_counter() - start
    with torch.no_grad():
        samples = G(eval_z)
    real = sample_real(N_EVAL, torch.Generator().manual_seed(c.seed + 4))
    result = RunResult(config=c, history=history, samples=samples, start_samples=start_samples, real=real,
                       seconds=seconds)
    result.measured = _measure(result)
    return result


def off_data_distance(samples: torch.Tensor, data: str) -> float:
    """How far samples lie from the data: mean distance to the nearest ring centre (ring8) or to the
    nearest real digit (digits, Euclidean distance between 64-pixel vectors)."""
    x = samples.detach().flatten(1).double()
    reference = ring8_centres() if data == "ring8" else _digit_pixels()
    return float(torch.cdist(x, reference.double()).min(dim=1).values.mean())


def _measure(result: RunResult) -> dict[str, float]:
    c, h = result.config, result.history
    late = max(1, int(round(len(h["d_loss"]) * LATE_FRACTION)))

    def mean(key: str) -> float:
        return float(sum(h[key][-late:]) / late)

    norms = sorted(h["g_grad_norm"][-late:])
    return {
        "d_loss": mean("d_loss"),
        "g_loss": mean("g_loss"),
        "g_loss_std": float(torch.tensor(h["g_loss"][-late:]).std(unbiased=False)),
        "d_acc": mean("d_acc"),
        "p_real": mean("p_real"),
        "p_fake": mean("p_fake"),
        "g_grad_norm": norms[len(norms) // 2],
        "g_signal": mean("g_signal"),
        "off_data": off_data_distance(result.samples, c.data),
        "off_data_start": off_data_distance(result.start_samples, c.data),
        "spread": collapse_ratio(result.samples, result.real),
        "seconds": result.seconds,
    }


def signature(result: RunResult) -> dict[str, float]:
    """The measured numbers of a finished run (late-run averages; see :class:`RunResult`).

    Keys: ``d_loss``, ``g_loss``, ``g_loss_std`` (its spread late in the run), ``d_acc``, ``p_real``,
    ``p_fake``, ``g_signal``, ``g_grad_norm`` (median), ``off_data`` and ``off_data_start`` (see
    :func:`off_data_distance`), ``spread`` (:func:`gan_helpers.metrics.collapse_ratio`: mean pairwise
    distance of samples / that of real data), ``seconds``.
    """
    return dict(result.measured)


SIGNATURE_COLUMNS = (
    ("d_loss", "D loss", "{:.3f}"),
    ("d_acc", "D acc.", "{:.2f}"),
    ("g_loss", "G loss", "{:.2f}"),
    ("g_signal", "dG/da", "{:.2f}"),
    ("g_grad_norm", "|grad G|", "{:.3g}"),
    ("off_data", "off data", "{:.3g}"),
    ("spread", "spread", "{:.2f}"),
)


def signature_table(results: dict[str, RunResult]) -> str:
    """A text table of :func:`signature` for several runs, one row each, labelled by the dict's keys."""
    rows = [[label] + [fmt.format(signature(r)[key]) for key, _, fmt in SIGNATURE_COLUMNS]
            for label, r in results.items()]
    header = ["run"] + [title for _, title, _ in SIGNATURE_COLUMNS]
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    line = lambda cells: "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)  # noqa: E731
                                   for i, (cell, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(row) for row in rows])


# --------------------------------------------------------------------------------------------------
# Figures and the interactive
# --------------------------------------------------------------------------------------------------

def _smooth(values: Sequence[float], width: int) -> torch.Tensor:
    x = torch.tensor(values, dtype=torch.float64)
    if width <= 1 or len(x) < width:
        return x
    kernel = torch.ones(1, 1, width, dtype=torch.float64) / width
    padded = torch.cat([x[:1].repeat(width - 1), x])
    return torch.nn.functional.conv1d(padded.view(1, 1, -1), kernel).view(-1)


def digit_grid(samples: torch.Tensor, rows: int = 4, cols: int = 8) -> np.ndarray:
    """``rows × cols`` 8×8 digits from ``[N, 64]`` (or ``[N, 1, 8, 8]``) samples in [-1, 1], each with a
    1-pixel background border: a ``[9 rows, 9 cols]`` array for ``imshow(..., cmap="gray_r", vmin=-1, vmax=1)``."""
    images = samples.detach().cpu()[: rows * cols].reshape(-1, 8, 8)
    if images.shape[0] < rows * cols:
        raise ValueError(f"samples: expected at least {rows * cols} digits; got {images.shape[0]}")
    padded = torch.full((rows * cols, 9, 9), -1.0)
    padded[:, :8, :8] = images
    return padded.reshape(rows, cols, 9, 9).permute(0, 2, 1, 3).reshape(rows * 9, cols * 9).numpy()


def plot_run(result: RunResult, axes: Sequence[plt.Axes] | None = None, title: str | None = None) -> list[plt.Axes]:
    """Three panels for one run: both losses; D's accuracy with G's gradient norm; samples over data."""
    own_figure = axes is None
    if own_figure:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.2))
    ax_loss, ax_acc, ax_pts = axes
    h, c, s = result.history, result.config, signature(result)
    steps = range(1, len(h["d_loss"]) + 1)
    width = max(1, len(h["d_loss"]) // 100)
    ax_loss.plot(steps, h["d_loss"], color="tab:blue", alpha=0.25, lw=0.6)
    ax_loss.plot(steps, h["g_loss"], color="tab:orange", alpha=0.25, lw=0.6)
    ax_loss.plot(steps, _smooth(h["d_loss"], width), color="tab:blue", lw=1.5, label="D loss")
    ax_loss.plot(steps, _smooth(h["g_loss"], width), color="tab:orange", lw=1.5, label="G loss")
    guess_g = math.log(2) if c.g_loss == "non-saturating" else -math.log(2)   # G's loss against a guessing D
    ax_loss.axhline(2 * math.log(2), color="tab:blue", ls=":", lw=1)
    ax_loss.axhline(guess_g, color="tab:orange", ls=":", lw=1)
    ax_loss.set_xlabel("generator step")
    ax_loss.set_ylabel(f"loss (dotted: 2 ln 2, {'' if guess_g > 0 else '−'}ln 2)")
    ax_loss.legend(fontsize=8, loc="upper right")

    ax_acc.plot(steps, _smooth(h["d_acc"], width), color="tab:green", lw=1.5)
    ax_acc.set_ylim(-0.02, 1.02)
    ax_acc.axhline(0.5, color="grey", ls=":", lw=1)
    ax_acc.set_xlabel("generator step")
    ax_acc.set_ylabel("D accuracy on its batch", color="tab:green")
    ax_grad = ax_acc.twinx()
    norms = torch.tensor(h["g_grad_norm"]).clamp(min=1e-12)
    ax_grad.semilogy(steps, norms, color="tab:red", lw=0.6, alpha=0.7)
    ax_grad.set_ylabel("norm of G's gradient", color="tab:red")

    if c.data == "ring8":
        ax_pts.scatter(*result.real[:500].T, s=4, color="tab:blue", alpha=0.5, label="real")
        if s["spread"] < 1e-3:   # every sample at one point: make that point visible
            ax_pts.scatter(*result.samples[:1].T, s=60, color="tab:orange", marker="X",
                           label=f"all {len(result.samples)} of G's samples")
        else:
            ax_pts.scatter(*result.samples[:500].T, s=4, color="tab:orange", alpha=0.5, label="G's samples")
        ax_pts.set_xlabel("x₁")
        ax_pts.set_ylabel("x₂")
        ax_pts.set_aspect("equal", adjustable="datalim")
        ax_pts.legend(fontsize=8, loc="best", markerscale=3 if s["spread"] >= 1e-3 else 1)
    else:
        ax_pts.imshow(digit_grid(result.samples), cmap="gray_r", vmin=-1, vmax=1)
        ax_pts.set_xticks([])
        ax_pts.set_yticks([])
        ax_pts.set_xlabel("32 of G's samples")
    ax_pts.set_title(f"off data {s['off_data']:.3g} · spread {s['spread']:.2f}", fontsize=9)
    ax_loss.set_title(title or c.label(), fontsize=10, loc="left")
    ax_acc.set_title(f"late: D acc. {s['d_acc']:.2f} · |grad G| {s['g_grad_norm']:.3g}", fontsize=9)
    if own_figure:
        ax_loss.figure.tight_layout()
    return list(axes)


def runs_figure(results: dict[str, RunResult]) -> plt.Figure:
    """One row of :func:`plot_run` per run, titled by the dict's keys."""
    fig, axes = plt.subplots(len(results), 3, figsize=(13, 2.9 * len(results)), squeeze=False)
    for row, (label, result) in zip(axes, results.items()):
        plot_run(result, row, title=label)
    fig.tight_layout()
    return fig


STATIC_GALLERY = (
    RunConfig(),
    RunConfig(lr=2e-4),
    RunConfig(detach=False),
    RunConfig(detach=False, clear_g_grads=False),
)


def dynamics_widget(initial: RunConfig = RunConfig()):
    """ipywidgets controls for :class:`RunConfig`'s switches; each change trains (or recalls) a run and redraws."""
    import ipywidgets as widgets

    controls = {
        "d_steps": widgets.Dropdown(options=[0, 1, 2, 5, 10], value=initial.d_steps, description="D steps / G step"),
        "lr": widgets.Dropdown(options=[2e-4, 1e-3, 5e-3], value=initial.lr, description="learning rate"),
        "g_loss": widgets.Dropdown(options=list(G_LOSSES), value=initial.g_loss, description="G loss"),
        "detach": widgets.Checkbox(value=initial.detach, description="detach fakes in the D step"),
        "clear_g_grads": widgets.Checkbox(value=initial.clear_g_grads, description="clear G's grads before its step"),
        "noise": widgets.Checkbox(value=initial.noise, description="noise input z"),
    }
    for control in controls.values():
        control.style = {"description_width": "initial"}
    status = widgets.HTML()
    out = widgets.Output()

    def redraw(_change=None) -> None:
        config = replace(initial, **{k: w.value for k, w in controls.items()})
        status.value = "<i>training…</i>"
        result = run_gan(config)
        s = signature(result)
        status.value = (f"{config.label()}: trained {result.config.steps} steps in {result.seconds:.1f} s · "
                        f"D loss {s['d_loss']:.3f}, G loss {s['g_loss']:.2f}")
        show_in(out, plot_run(result)[0].figure)

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    rows = [widgets.HBox([controls["d_steps"], controls["lr"], controls["g_loss"]]),
            widgets.HBox([controls["detach"], controls["clear_g_grads"], controls["noise"]])]
    return widgets.VBox(rows + [status, out])


def show_dynamics(static_configs: Sequence[RunConfig] = STATIC_GALLERY) -> None:
    """The interactive with a front end; without one, a static figure of ``static_configs``."""
    from IPython.display import display

    if front_end_attached():
        display(dynamics_widget())
    else:
        fig = runs_figure({c.label(): run_gan(c) for c in static_configs})
        display(fig)
        plt.close(fig)


# --------------------------------------------------------------------------------------------------
# What .detach() saves, measured
# --------------------------------------------------------------------------------------------------

def detach_experiment(batch_size: int = 64, repeats: int | None = None, seed: int = 0) -> dict[str, float]:
    """One D step of the tiny DCGAN on 32×32 digits, with and without ``.detach()`` on the fakes.

    Returns:
        ``g_grad_norm_detached`` (0: no gradient reaches G), ``g_grad_norm_attached`` (the gradient the
        D step leaves on G without detach), ``g_grad_norm_own`` (the gradient of G's own loss, for
        scale), ``cosine`` between that stray gradient and the gradient of
        G's own (non-saturating) loss on the same fakes (negative: it points the other way, so if it
        reached G's update it would undo G's step), and ``ms_detached`` / ``ms_attached``, the median
        time of one D step (forward and backward) in milliseconds, over ``repeats`` timings each
        (default 20, 5 in fast mode).
    """
    repeats = repeats or budget(default=20, fast=5)
    from gan_helpers.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator, dcgan_init_

    cfg = DCGANConfig.preset("tiny")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G, D = dcgan_init_(DCGANGenerator(cfg)), dcgan_init_(DCGANDiscriminator(cfg))
        z = torch.randn(batch_size, cfg.z_dim)
    images = digits("train", resolution=32).images[:batch_size]                    # [B, 1, 32, 32]

    def d_step(detach: bool) -> float:
        G.zero_grad(set_to_none=True)
        D.zero_grad(set_to_none=True)
        fake = G(z)
        t = time.perf_counter()
        d_loss_bce(D(images), D(fake.detach() if detach else fake)).backward()
        return time.perf_counter() - t

    with single_thread():
        d_step(True)
        detached_norm = _grad_norm(G)
        d_step(False)
        stray = [p.grad.clone() for p in G.parameters()]
        attached_norm = _grad_norm(G)
        G.zero_grad(set_to_none=True)
        g_loss_nonsaturating(D(G(z))).backward(inputs=list(G.parameters()))
        own = [p.grad.clone() for p in G.parameters()]
        dot = sum((a.double() * b.double()).sum() for a, b in zip(stray, own))
        norm = math.sqrt(sum(float((a.double() ** 2).sum()) for a in stray)) * \
            math.sqrt(sum(float((b.double() ** 2).sum()) for b in own))
        times = {True: [], False: []}
        for _ in range(repeats):
            for detach in (True, False):
                times[detach].append(d_step(detach))
    median = lambda xs: sorted(xs)[len(xs) // 2] * 1000  # noqa: E731
    return {"g_grad_norm_detached": detached_norm, "g_grad_norm_attached": attached_norm,
            "g_grad_norm_own": math.sqrt(sum(float((b.double() ** 2).sum()) for b in own)),
            "cosine": float(dot) / norm, "ms_detached": median(times[True]), "ms_attached": median(times[False])}


# --------------------------------------------------------------------------------------------------
# The two halves of one iteration, drawn
# --------------------------------------------------------------------------------------------------

def training_step_diagram() -> plt.Figure:
    """The D step and the G step side by side: forward passes in black, gradients in red."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig, axes = plt.subplots(1, 2, figsize=(13, 3.9))

    def box(ax, xy, text, color):
        x, y = xy
        ax.add_patch(FancyBboxPatch((x - 0.085, y - 0.07), 0.17, 0.14, boxstyle="round,pad=0.01",
                                    fc=color, ec="black", lw=1))
        ax.text(x, y, text, ha="center", va="center", fontsize=9)

    def arrow(ax, a, b, color="black", style="-|>", ls="-", text=None, offset=(0, 0.05)):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=12, color=color, ls=ls, lw=1.4))
        if text:
            ax.text((a[0] + b[0]) / 2 + offset[0], (a[1] + b[1]) / 2 + offset[1], text, color=color,
                    ha="center", va="center", fontsize=8)

    # D step: real and detached fakes in, loss out, gradients stop at the cut.
    ax = axes[0]
    box(ax, (0.08, 0.76), "z ~ N(0, I)", "white")
    box(ax, (0.30, 0.76), "G", "#fde0c5")
    box(ax, (0.30, 0.26), "real x", "white")
    box(ax, (0.62, 0.50), "D", "#cfe3f7")
    box(ax, (0.88, 0.50), "d_loss", "#eeeeee")
    arrow(ax, (0.165, 0.76), (0.215, 0.76))
    arrow(ax, (0.385, 0.73), (0.535, 0.56))
    ax.plot([0.46], [0.645], marker="x", ms=13, mew=3, color="tab:red")
    ax.text(0.47, 0.76, "G(z).detach()", fontsize=8, ha="left", va="center")
    ax.text(0.47, 0.86, "the gradient stops at the cut:\nnothing reaches G", fontsize=8, ha="left",
            va="center", color="tab:red")
    arrow(ax, (0.385, 0.29), (0.535, 0.44))
    arrow(ax, (0.705, 0.50), (0.795, 0.50))
    arrow(ax, (0.86, 0.41), (0.66, 0.41), color="tab:red", ls="--", text="∇ into D's weights",
          offset=(0.0, -0.06))
    ax.set_title("1. D step: opt_D.zero_grad(); d_loss.backward(); opt_D.step()\n"
                 "real → 1, fake → 0; G's weights and gradients untouched", fontsize=10)

    # G step: fakes through the updated D, gradients through D into G.
    ax = axes[1]
    box(ax, (0.08, 0.55), "z ~ N(0, I)", "white")
    box(ax, (0.32, 0.55), "G", "#fde0c5")
    box(ax, (0.62, 0.55), "D\n(updated)", "#cfe3f7")
    box(ax, (0.88, 0.55), "g_loss", "#eeeeee")
    arrow(ax, (0.165, 0.55), (0.235, 0.55))
    arrow(ax, (0.405, 0.55), (0.535, 0.55), text="G(z)")
    arrow(ax, (0.705, 0.55), (0.795, 0.55))
    arrow(ax, (0.86, 0.46), (0.34, 0.46), color="tab:red", ls="--",
          text="∇ flows back through D (D is not stepped) into G's weights", offset=(0.0, -0.08))
    ax.set_title("2. G step: opt_G.zero_grad(); g_loss.backward(); opt_G.step()\n"
                 "fake → 1 (non-saturating); only G's weights change", fontsize=10)
    for ax in axes:
        ax.set_xlim(-0.02, 1.0)
        ax.set_ylim(0.1, 0.95)
        ax.axis("off")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# Gradient play on a bilinear game
# --------------------------------------------------------------------------------------------------

def bilinear_game(lr: float = 0.1, steps: int = 100, start: tuple[float, float] = (1.0, 1.0),
                  alternating: bool = True) -> torch.Tensor:
    """Gradient play on ``min_x max_y f(x, y) = x·y``, whose only equilibrium is (0, 0).

    x takes a gradient-descent step on f, y a gradient-ascent step. Simultaneous updates use the
    old values for both; alternating updates let y respond to the new x (as a GAN's G step uses the
    updated D). Returns the path ``[steps + 1, 2]`` of (x, y).

    Simultaneous play spirals outward (each step multiplies the distance from (0, 0) by
    √(1 + lr²)); alternating play keeps circling at a bounded distance and never settles.
    """
    if not lr > 0:
        raise ValueError(f"lr: expected a positive number; got {lr!r}")
    x, y = (float(v) for v in start)
    path = [(x, y)]
    for _ in range(steps):
        if alternating:
            x = x - lr * y
            y = y + lr * x
        else:
            x, y = x - lr * y, y + lr * x
        path.append((x, y))
    return torch.tensor(path, dtype=torch.float64)


# --------------------------------------------------------------------------------------------------
# Probes for the graded tests
# --------------------------------------------------------------------------------------------------

STALE_GRADIENT = 1.0e4   # planted in every .grad by probe_train_step(plant_stale_grads=True)


def _snapshot(module: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _same(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b))


def _grads(module: nn.Module) -> list[torch.Tensor | None]:
    return [None if p.grad is None else p.grad.detach().clone() for p in module.parameters()]


@dataclass
class StepProbe:
    """What :func:`probe_train_step` saw while the step function ran.

    Attributes:
        result: what the step function returned.
        events: ``"opt_D.step"`` / ``"opt_G.step"`` in the order they happened (named after the
            probe's ``names``).
        g_grad_norm_at_d_step: norm of G's gradients at the moment D's optimiser first stepped
            (0 when they were ``None`` or zero); ``None`` if D's optimiser never stepped.
        g_moved_before_d_step: whether G's parameters had changed by then.
        d_moved_after_d_step: whether D's parameters changed after D's optimiser stepped (by the end
            of the call).
        g_moved, d_moved: whether each network's parameters changed during the call.
        stale_in_d_step, stale_in_g_step: with planted gradients, whether each optimiser stepped
            with gradients still holding the planted value (``False`` when nothing was planted).
    """

    result: object
    events: list[str]
    g_grad_norm_at_d_step: float | None
    g_moved_before_d_step: bool
    d_moved_after_d_step: bool
    g_moved: bool
    d_moved: bool
    stale_in_d_step: bool
    stale_in_g_step: bool

    def count(self, name: str) -> int:
        return self.events.count(name)


def _holds_stale(grads: Sequence[torch.Tensor | None]) -> bool:
    return any(g is not None and bool((g.abs() > STALE_GRADIENT / 2).any()) for g in grads)


def probe_train_step(step_fn: Callable, G: nn.Module, D: nn.Module, real_batch: torch.Tensor, z_dim: int,
                     lr: float = 2e-4, betas: tuple[float, float] = BETAS, plant_stale_grads: bool = False,
                     names: tuple[str, str] = ("opt_G", "opt_D")) -> StepProbe:
    """Call ``step_fn(G, D, opt_G, opt_D, real_batch, z_dim)`` with recording Adam optimisers.

    Each optimiser is a plain ``torch.optim.Adam(lr, betas)`` over one network, with step hooks that
    note, when it steps, the state of both networks. With ``plant_stale_grads`` every parameter's
    ``.grad`` is first filled with :data:`STALE_GRADIENT`, as gradients left over from an earlier
    call would be (exaggerated, so that they are unmistakable): a step function that clears
    gradients before each backward pass never lets an optimiser see them.

    Exceptions raised by ``step_fn`` propagate.
    """
    opt_G = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_D = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    g_name, d_name = names
    g0, d0 = _snapshot(G), _snapshot(D)
    state: dict[str, object] = {"events": [], "g_grad_norm": None, "g_moved_before": False, "d_after": None,
                                "stale_d": False, "stale_g": False}
    if plant_stale_grads:
        for p in list(G.parameters()) + list(D.parameters()):
            p.grad = torch.full_like(p, STALE_GRADIENT)

    def d_pre(_opt, _args, _kwargs) -> None:
        if state["g_grad_norm"] is None:
            state["g_grad_norm"] = _grad_norm(G)
            state["g_moved_before"] = not _same(g0, _snapshot(G))
        state["stale_d"] = bool(state["stale_d"]) or (plant_stale_grads and _holds_stale(_grads(D)))

    def d_post(_opt, _args, _kwargs) -> None:
        state["events"].append(f"{d_name}.step")
        if state["d_after"] is None:
            state["d_after"] = _snapshot(D)

    def g_pre(_opt, _args, _kwargs) -> None:
        state["stale_g"] = bool(state["stale_g"]) or (plant_stale_grads and _holds_stale(_grads(G)))

    def g_post(_opt, _args, _kwargs) -> None:
        state["events"].append(f"{g_name}.step")

    opt_D.register_step_pre_hook(d_pre)
    opt_D.register_step_post_hook(d_post)
    opt_G.register_step_pre_hook(g_pre)
    opt_G.register_step_post_hook(g_post)
    result = step_fn(G, D, opt_G, opt_D, real_batch, z_dim)
    d_after = state["d_after"]
    return StepProbe(
        result=result,
        events=list(state["events"]),
        g_grad_norm_at_d_step=state["g_grad_norm"],
        g_moved_before_d_step=bool(state["g_moved_before"]),
        d_moved_after_d_step=d_after is not None and not _same(d_after, _snapshot(D)),
        g_moved=not _same(g0, _snapshot(G)),
        d_moved=not _same(d0, _snapshot(D)),
        stale_in_d_step=bool(state["stale_d"]),
        stale_in_g_step=bool(state["stale_g"]),
    )


class record_interpolates(nn.Module):  # noqa: N801 (reads as a function at the call site)
    """Wrap a critic so that every input it is called with is kept in :attr:`inputs` (detached copies).

    A gradient-penalty test passes the wrapper as the critic and then checks the points the penalty
    evaluated it at (:func:`interpolation_report`): each should lie on the segment between its real
    and fake sample, with its own mixing factor.
    """

    def __init__(self, critic: nn.Module):
        super().__init__()
        self.critic = critic
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x.detach().clone())
        return self.critic(x)


def interpolation_report(x_hat: torch.Tensor, real: torch.Tensor, fake: torch.Tensor,
                         min_gap: float = 0.1) -> dict[str, object]:
    """Where interpolates lie between their real and fake samples.

    Solves ``x_hat = ε·real + (1 − ε)·fake`` element by element (only where ``|real − fake| ≥ min_gap``,
    so rounding stays small) and summarises ε per sample.

    Returns:
        ``eps`` (``[B]`` the median ε of each sample), ``within_sample_spread`` (the largest difference
        between two ε of one sample: ≈ 0 when each sample has one mixing factor, as it should),
        ``between_samples_std`` (spread of ``eps`` across the batch: ≈ 0 when one ε serves the
        whole batch) and ``off_segment`` (the largest distance of an element of ``x_hat`` from the
        segment's line, for ε taken per sample: ≈ 0 when x̂ mixes its own real and fake sample).
    """
    if not (x_hat.shape == real.shape == fake.shape):
        raise ValueError(f"x_hat, real and fake must have one shape; got {list(x_hat.shape)}, "
                         f"{list(real.shape)}, {list(fake.shape)}")
    x, r, f = (t.detach().double().flatten(1) for t in (x_hat, real, fake))   # [B, n]
    diff = r - f
    usable = diff.abs() >= min_gap
    if not bool(usable.any(dim=1).all()):
        raise ValueError(f"every sample needs an element where |real − fake| ≥ {min_gap}")
    ratio = torch.where(usable, (x - f) / torch.where(usable, diff, torch.ones_like(diff)),
                        torch.full_like(diff, float("nan")))
    eps = ratio.nanmedian(dim=1).values                                       # [B]
    high = torch.where(usable, ratio, torch.full_like(ratio, -math.inf)).max(dim=1).values
    low = torch.where(usable, ratio, torch.full_like(ratio, math.inf)).min(dim=1).values
    off = (x - (eps[:, None] * r + (1 - eps[:, None]) * f)).abs().max()
    return {"eps": eps.float(), "within_sample_spread": float((high - low).max()),
            "between_samples_std": float(eps.std(unbiased=False)), "off_segment": float(off)}


def penalty_at(critic: Callable[[torch.Tensor], torch.Tensor], x_hat: torch.Tensor, weight: float = 10.0) -> torch.Tensor:
    """The WGAN-GP penalty ``weight · mean((‖∇C(x̂)‖₂ − 1)²)`` at given interpolates ``x_hat [B, ...]``.

    The same formula as :func:`gan_helpers.losses.gradient_penalty`, which draws its own ε; this one
    takes the interpolates, so a test can evaluate the reference at the points a learner chose.
    """
    x_hat = x_hat.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return weight * (grad.flatten(1).norm(2, dim=1) - 1).square().mean()


# --------------------------------------------------------------------------------------------------
# Small networks with known outputs, for the graded tests
# --------------------------------------------------------------------------------------------------

class ExerciseGenerator(nn.Module):
    """``z [B, z_dim]`` → ``[B, *data_shape]`` through one tanh hidden layer."""

    def __init__(self, z_dim: int, data_shape: Sequence[int], hidden: int):
        super().__init__()
        self.data_shape = tuple(data_shape)
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.Tanh(), nn.Linear(hidden, math.prod(self.data_shape)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.data_shape)


class ExerciseDiscriminator(nn.Module):
    """``[B, *data_shape]`` → logits ``[B]`` (or ``[B, 1]``) through one tanh hidden layer.

    :meth:`features` gives the hidden layer (every feature in [-1, 1]); :attr:`last` is the output layer.
    """

    def __init__(self, data_shape: Sequence[int], hidden: int, keep_dim: bool):
        super().__init__()
        self.keep_dim = keep_dim
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(tuple(data_shape)), hidden), nn.Tanh())
        self.last = nn.Linear(hidden, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.last(self.body(x))          # [B, 1]
        return out if self.keep_dim else out.squeeze(1)


def exercise_players(z_dim: int = 4, data_shape: Sequence[int] = (2,), hidden: int = 16,
                     zero_last_layer: bool = True, keep_dim: bool = False,
                     seed: int = 0) -> tuple[ExerciseGenerator, ExerciseDiscriminator]:
    """A small G and D for testing a training step (built without touching torch's global RNG).

    With ``zero_last_layer`` D's output layer is all zeros, so every logit is exactly 0 until D is
    updated: a D step then sees ``d_loss = 2 ln 2``. After one Adam step of learning rate ``lr``
    from a fresh optimiser, each output weight and the bias has moved by less than ``lr`` and the
    hidden layer not at all (its gradient was 0), so every logit is below ``lr · (hidden + 1)`` in
    size (the tanh features are at most 1): the G step's loss is within that of ``ln 2``.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = ExerciseGenerator(z_dim, data_shape, hidden)
        D = ExerciseDiscriminator(data_shape, hidden, keep_dim)
    if zero_last_layer:
        with torch.no_grad():
            D.last.weight.zero_()
            D.last.bias.zero_()
    return G, D


class _Affine(nn.Module):
    """``x [B, n]`` → ``x @ weight.T + bias``, with given weights (a linear layer that reads clearly)."""

    def __init__(self, weight: Sequence[Sequence[float]], bias: Sequence[float], squeeze: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor(weight, dtype=torch.float32))
        self.bias = nn.Parameter(torch.tensor(bias, dtype=torch.float32))
        self.squeeze = squeeze

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x @ self.weight.T + self.bias
        return out.squeeze(1) if self.squeeze else out


def confident_players(z_dim: int = 4, keep_dim: bool = True) -> tuple[nn.Module, nn.Module]:
    """G and D whose logits are known: G(z) = (−1, 0) for every z; D(x) = 2·x₁.

    So D's logit is −2 on every fake and about +2 on real points near (1, 0): a D that is right about
    both. G's weights are zero (its output is its bias) but still receive gradients.
    """
    G = _Affine([[0.0] * z_dim, [0.0] * z_dim], [-1.0, 0.0])
    D = _Affine([[2.0, 0.0]], [0.0], squeeze=not keep_dim)
    return G, D


def critic_players(z_dim: int = 4) -> tuple[nn.Module, nn.Module]:
    """G and a linear critic for testing a WGAN-GP step: G(z) = (0.5, −0.5) for every z and
    C(x) = 1.2·x₁ + 1.6·x₂ + 0.3, whose gradient (1.2, 1.6) has norm 2 everywhere, so the penalty
    with λ = 10 is exactly 10·(2 − 1)² = 10 whatever the interpolates."""
    G = _Affine([[0.0] * z_dim, [0.0] * z_dim], [0.5, -0.5])
    C = _Affine([[1.2, 1.6]], [0.3], squeeze=True)
    return G, C
