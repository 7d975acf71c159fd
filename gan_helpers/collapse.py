"""Mode collapse (chapter 4): real collapse runs for the scrubber, JSD along the collapse path, the
minibatch-stddev layer, and the logged numbers of the chapter's "three faces, FID 45" scenario.

Collapse runs for the scrubber
------------------------------
:func:`collapse_run` trains a small MLP GAN (:mod:`gan_helpers.toy2d`) on the ring of 8 Gaussians and
keeps the fixed-noise samples every few steps, with their mode coverage
(:func:`gan_helpers.metrics.mode_coverage`, a mode counts with at least :data:`MIN_COUNT` of the 2,500
samples within 3 std). :data:`SETTINGS` holds the two settings the chapter compares on the same seed:

* ``"vanilla"``: the textbook GAN: non-saturating loss, Adam 1e-3 with β = (0.5, 0.999), 3 hidden
  layers of 128 units for both players, batch 256, no regulariser, no weight averaging. On the ring
  it loses modes and hops between them (seed 2 is the chapter's: measured below);
* ``"minibatch stddev"``: the same, except that the discriminator sees one extra input, the
  minibatch standard deviation of its group of :data:`MBSTD_GROUP` points (:class:`MBStdDiscriminator`,
  built on :func:`minibatch_stddev`), so a batch of near-identical fakes gives itself away;
* ``"tuned"``: the course's tuned preset ``gan-ring`` (R1, EMA of G, a deeper and narrower G that
  scales its noise up 30×, β = (0, 0.9)...), for comparison; on seed 2 it holds all 8 modes from step
  600 on, with 97.7 % of its samples within 3 std at step 2,000.

Runs are cached (calling twice returns the same object) and deterministic for a seed: the generator's
initial weights, the fixed noise and the data stream are the same in every setting, so the settings
differ only in what they change. Budgets follow fast mode (:func:`gan_helpers.course.budget`): the
default 2,000 steps (about 10-15 s per run on one core), 40 in fast mode (too few to collapse or to
cover: fast mode only checks that the code runs).

The cuts between modes
----------------------
A run keeps its trained :class:`~gan_helpers.toy2d.Toy2DTrainer` (``CollapseRun.trainer``).
:func:`cuts_figure` draws G's Jacobian norm over the noise plane, where the cuts between modes show
as bright rays, beside the samples, with the low-quality ones and those that Jacobian-based
truncation drops (Tanielian et al. 2020) marked; :func:`cuts_numbers` gives the coverage with and
without the truncation. On seed 2 at the full budget the tuned run scores 97.8 % high quality plainly
and 99.6 % with 2 % of the draws rejected, 8/8 modes either way (reverse KL 0.0039 and 0.0042).

JSD along the collapse path
---------------------------
:func:`jsd_path` traces ``JSD(p_data, p_g)`` for ``p_data = [½, ½]`` (two equal modes) and
``p_g = [1 − t, t]``: 0.2158 at ``t = 0`` (full collapse onto the first mode, ``¾ ln(4/3)``), falling
monotonically to 0 at ``t = ½`` (the data distribution), and back up to 0.2158 at ``t = 1``.

Minibatch standard deviation
----------------------------
:func:`minibatch_stddev` is the chapter's build-it reference: ``[B, C, H, W] → [B, C + 1, H, W]``
with groups of ``group_size`` *consecutive* samples (samples ``0 … G−1`` form the first group), the
population standard deviation (divide by G) over the group of every feature, averaged over channels
and pixels, and appended as a constant extra channel to every sample of the group. (StyleGAN2's
:class:`gan_helpers.stylegan2.MinibatchStdDev` forms its groups with a stride instead: sample ``b``
goes to group ``b mod (B/G)``; the statistic is the same.)
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from gan_helpers.course import budget
from gan_helpers.data import RING8_STD, digits, ring8, ring8_centres
from gan_helpers.metrics import collapse_ratio, jsd, mode_coverage
from gan_helpers.toy2d import ACTIVATIONS, Toy2DConfig, Toy2DTrainer, jacobian_norms
from gan_helpers.validate import require_images, require_in_range, require_positive_int, require_shape
from gan_helpers.widgets import front_end_attached, show_in

MIN_COUNT = 20          # a mode is captured with ≥ 20 of 2,500 samples within 3 std (1/5 of its share)
MBSTD_GROUP = 8         # points per minibatch-stddev group in the toy discriminator
CHAPTER_SEED = 2        # the seed the chapter shows (see the module docstring of collapse_run)

# -------------------------------------------------------------------------------------------------
# Minibatch standard deviation
# -------------------------------------------------------------------------------------------------


def minibatch_stddev(x: torch.Tensor, group_size: int = 4, eps: float = 1e-8) -> torch.Tensor:
    """Append the minibatch standard deviation as one extra channel: ``[B, C, H, W] → [B, C + 1, H, W]``.

    The batch is cut into groups of ``group_size`` consecutive samples (``B`` must be a multiple of it).
    In each group, every feature (channel, row, column) gets its standard deviation over the group's
    samples (population form, ``sqrt(mean((x − mean)²) + eps)``); their average over channels and
    pixels is one number per group, appended to every sample of the group as a constant feature map.

    >>> x = torch.zeros(4, 3, 2, 2)
    >>> minibatch_stddev(x, group_size=2).shape
    torch.Size([4, 4, 2, 2])
    >>> round(float(minibatch_stddev(torch.arange(4.).view(4, 1, 1, 1), 2)[0, 1, 0, 0]), 6)   # std of {0, 1}
    0.5
    """
    require_images(x, "minibatch_stddev x")
    require_positive_int(group_size, "group_size")
    b, c, h, w = x.shape
    if b % group_size:
        raise ValueError(f"minibatch_stddev: the batch size {b} is not a multiple of the group size {group_size}")
    groups = x.reshape(b // group_size, group_size, c, h, w)              # [B/G, G, C, H, W]
    std = (groups.var(dim=1, unbiased=False) + eps).sqrt()                # [B/G, C, H, W]
    per_group = std.mean(dim=(1, 2, 3))                                   # [B/G]
    feature = per_group.repeat_interleave(group_size).view(b, 1, 1, 1)    # [B, 1, 1, 1]
    return torch.cat([x, feature.expand(b, 1, h, w)], dim=1)              # [B, C + 1, H, W]


class MBStdDiscriminator(nn.Module):
    """The toy discriminator with a minibatch-stddev input: points ``[B, 2]`` → logits ``[B]``.

    Each point gets a third input, the minibatch standard deviation of its group of ``group_size``
    consecutive points (:func:`minibatch_stddev`); then an MLP as :class:`gan_helpers.toy2d.MLPDiscriminator`.
    The trainer scores ``cat([real, fake])``, so with ``group_size`` dividing the batch no group mixes
    real and fake points.
    """

    def __init__(self, width: int = 128, depth: int = 3, activation: str = "relu", scale: float = 1.0,
                 group_size: int = MBSTD_GROUP) -> None:
        super().__init__()
        require_positive_int(width, "MBStdDiscriminator width")
        require_positive_int(depth, "MBStdDiscriminator depth")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MBStdDiscriminator activation: expected one of {sorted(ACTIVATIONS)}; got {activation!r}")
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"MBStdDiscriminator scale: expected a positive number; got {scale!r}")
        self.scale, self.group_size = float(scale), require_positive_int(group_size, "group_size")
        layers: list[nn.Module] = []
        features = 3
        for _ in range(depth):
            layers += [nn.Linear(features, width), ACTIVATIONS[activation]()]
            features = width
        layers.append(nn.Linear(features, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        require_shape(x, [None, 2], "MBStdDiscriminator input (points)", like=self)
        b = x.shape[0]
        scaled = (x / self.scale).view(b, 2, 1, 1)                        # [B, 2, 1, 1]
        with_std = minibatch_stddev(scaled, self.group_size).view(b, 3)   # [B, 3]
        return self.net(with_std).squeeze(1)                              # [B]


# -------------------------------------------------------------------------------------------------
# Collapse runs on the ring
# -------------------------------------------------------------------------------------------------

VANILLA = Toy2DConfig(data="ring8", data_scale=2.0, batch_size=256, lr_g=1e-3, lr_d=1e-3, betas=(0.5, 0.999),
                      steps=2000)
SETTINGS = {
    "vanilla": VANILLA,
    "tuned": Toy2DConfig.preset("gan-ring", steps=2000),
    "minibatch stddev": VANILLA,           # same config; the discriminator is replaced (see collapse_run)
}


def default_steps() -> int:
    """2,000 generator steps (about 10-15 s a run on one core); 40 in fast mode."""
    return budget(default=2000, fast=40)


@dataclass
class CollapseRun:
    """One training run's snapshots: ``frames[i] = (step, samples [n, 2])`` and their coverage."""

    setting: str
    seed: int
    frames: list[tuple[int, torch.Tensor]]
    coverage: list[dict[str, float]] = field(default_factory=list)
    trainer: Toy2DTrainer | None = field(default=None, repr=False)  # the trained GAN, for :func:`cuts_figure`

    @property
    def steps(self) -> list[int]:
        return [s for s, _ in self.frames]


def frame_coverage(samples: torch.Tensor) -> dict[str, float]:
    """Modes captured (≥ :data:`MIN_COUNT` within 3 std), high-quality fraction, reverse KL, spread: ``samples [N, 2]``."""
    require_shape(samples, [None, 2], "frame_coverage samples")
    m = mode_coverage(samples, ring8_centres(), RING8_STD, min_count=MIN_COUNT)
    real = ring8(len(samples), generator=torch.Generator().manual_seed(0))
    return {"modes": m["modes_captured"], "high_quality": m["high_quality_fraction"],
            "reverse_kl": m["reverse_kl"], "spread": collapse_ratio(samples, real, max_samples=1000)}


def collapse_run(setting: str = "vanilla", seed: int = CHAPTER_SEED, steps: int | None = None,
                 every: int | None = None) -> CollapseRun:
    """Train one setting of :data:`SETTINGS` on the ring and keep snapshots (cached).

    Args:
        setting: ``"vanilla"``, ``"minibatch stddev"`` or ``"tuned"``.
        seed: seeds G's weights, the fixed noise and the data stream (the same in every setting).
        steps: generator steps (default :func:`default_steps`); every: steps between snapshots
            (default a tenth of ``steps``; a quarter in fast mode, to keep the notebook quick).
    """
    if not isinstance(setting, str) or setting not in SETTINGS:
        raise ValueError(f"setting: expected one of {list(SETTINGS)}; got {setting!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"collapse_run seed: expected an int; got {type(seed).__name__}")
    steps = default_steps() if steps is None else require_positive_int(steps, "steps")
    every = max(1, steps // budget(default=10, fast=4)) if every is None else require_positive_int(every, "every")
    return _run_cached(setting, int(seed), steps, every)


@lru_cache(maxsize=32)
def _run_cached(setting: str, seed: int, steps: int, every: int) -> CollapseRun:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)               # tiny MLPs: a second thread only slows them on a busy machine
    try:
        with torch.random.fork_rng():      # leave the caller's global RNG as it was
            torch.manual_seed(seed)
            trainer = Toy2DTrainer(replace(SETTINGS[setting], steps=max(steps, 1)))
            if setting == "minibatch stddev":
                c = trainer.config
                with torch.random.fork_rng():  # its own weights; the data stream stays the vanilla run's
                    torch.manual_seed(10_000 + seed)
                    trainer.D = MBStdDiscriminator(c.d_width, c.d_depth, c.activation, c.data_scale)
                trainer.opt_D = torch.optim.Adam(trainer.D.parameters(), lr=c.lr_d, betas=c.betas)
            frames = trainer.train_with_snapshots(steps=steps, every=every)
    finally:
        torch.set_num_threads(threads)
    run = CollapseRun(setting, seed, frames, trainer=trainer)
    run.coverage = [frame_coverage(points) for _, points in frames]
    return run


# ----------------------------------------------------------------------------------------------------
# The gaps between modes: where the low-quality samples come from

CUTS_SEED = 1234  # noise for cuts_numbers and cuts_figure, the same for plain and truncated sampling


def cuts_numbers(run: CollapseRun, reject: float = 0.02, n: int = 2500) -> dict[str, float]:
    """Coverage of ``n`` samples of a run's final generator, plainly and with Jacobian-based truncation.

    Both draw from the same noise (:data:`CUTS_SEED`); the truncated sample draws ``n / (1 - reject)``
    vectors and drops those where G's Jacobian norm is largest (:meth:`Toy2DTrainer.sample` with
    ``reject``). Returns ``{"high_quality", "modes", "reverse_kl", "high_quality_truncated",
    "modes_truncated", "reverse_kl_truncated"}``.
    """
    trainer = _trained(run, "cuts_numbers run")
    out: dict[str, float] = {}
    for suffix, fraction in (("", 0.0), ("_truncated", reject)):
        points = trainer.sample(n, generator=torch.Generator().manual_seed(CUTS_SEED), reject=fraction).cpu()
        m = mode_coverage(points, ring8_centres(), RING8_STD, min_count=MIN_COUNT)
        out.update({f"high_quality{suffix}": m["high_quality_fraction"], f"modes{suffix}": m["modes_captured"],
                    f"reverse_kl{suffix}": m["reverse_kl"]})
    return out


def _trained(run: object, name: str) -> Toy2DTrainer:
    _require_run(run, name)
    if run.trainer is None:
        raise ValueError(f"{name}: this CollapseRun keeps no trainer; make it with collapse_run")
    return run.trainer


def cuts_figure(run: CollapseRun, reject: float = 0.02, size: int = 161) -> plt.Figure:
    """Where a trained GAN's low-quality samples come from, in two panels.

    Left: the noise plane ``z ∈ [-3, 3]²``, coloured by ``log10`` of G's Jacobian norm
    (:func:`gan_helpers.toy2d.jacobian_norms`) on a ``size × size`` grid; the bright lines are the cuts
    where G jumps from one mode to the next. Right: 2,500 samples, the high-quality ones (within 3 std
    of a centre) in grey, the others in red, and circled the ``reject`` fraction that truncation drops.
    """
    trainer = _trained(run, "cuts_figure run")
    if trainer.config.z_dim != 2:
        raise ValueError(f"cuts_figure run: the noise plane needs z_dim 2; got {trainer.config.z_dim}")
    require_positive_int(size, "cuts_figure size")
    require_in_range(reject, "cuts_figure reject", 0, 1, high_open=True, hint="the fraction of draws thrown away")
    G = trainer.G_ema
    ticks = torch.linspace(-3, 3, size)
    zz = torch.stack(torch.meshgrid(ticks, ticks, indexing="xy"), dim=-1).reshape(-1, 2).to(trainer.device)
    with torch.no_grad():
        plane = jacobian_norms(G, zz).reshape(size, size).cpu()                      # [size, size]
        z = trainer.noise(math.ceil(2500 / (1 - reject)), torch.Generator().manual_seed(CUTS_SEED))
        norms = jacobian_norms(G, z)
        points = G(z[:2500]).cpu()                                                     # [2500, 2]
    dropped = torch.zeros(len(z), dtype=torch.bool)
    dropped[norms.argsort(descending=True)[:len(z) - 2500].cpu()] = True                # the draws truncation drops
    dropped = dropped[:2500]                                                           # ... among the plain sample's
    distance = torch.cdist(points, ring8_centres()).min(dim=1).values / RING8_STD
    good = distance < 3
    numbers = cuts_numbers(run, reject)
    fig, (ax_z, ax_x) = plt.subplots(1, 2, figsize=(10, 4.4))
    image = ax_z.imshow(plane.log10().numpy(), origin="lower", extent=(-3, 3, -3, 3), cmap="magma")
    fig.colorbar(image, ax=ax_z, label="log10 ‖∂G/∂z‖")
    ax_z.set_xlabel("z₁")
    ax_z.set_ylabel("z₂")
    ax_z.set_title(f"{run.setting}, seed {run.seed}: G's stretch over the noise plane", fontsize=9)
    centres = ring8_centres()
    ax_x.scatter(*centres.T.numpy(), s=60, facecolors="none", edgecolors="tab:blue", lw=1, label="modes")
    ax_x.scatter(*points[good].T.numpy(), s=3, color="grey", alpha=0.4, label="within 3 std")
    ax_x.scatter(*points[~good].T.numpy(), s=6, color="tab:red", label="farther (low quality)")
    ax_x.scatter(*points[dropped].T.numpy(), s=40, facecolors="none", edgecolors="black", lw=0.7,
                 label=f"dropped by truncation ({reject:.0%})")
    ax_x.set_xlim(-3, 3)
    ax_x.set_ylim(-3, 3)
    ax_x.set_aspect("equal")
    ax_x.legend(fontsize=7, loc="center")
    ax_x.set_title(f"high quality {numbers['high_quality']:.1%} plainly, "
                   f"{numbers['high_quality_truncated']:.1%} truncated", fontsize=9)
    fig.tight_layout()
    return fig


def _require_run(run: object, name: str) -> None:
    if not isinstance(run, CollapseRun):
        raise TypeError(f"{name}: expected a CollapseRun (from collapse_run); got {type(run).__name__}")


def _require_runs(runs: object, name: str) -> list[CollapseRun]:
    values = list(runs.values()) if isinstance(runs, dict) else runs
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"{name}: expected at least one CollapseRun (from collapse_run); got {runs!r:.80}")
    for run in values:
        _require_run(run, f"{name} entry")
    return list(values)


def plot_frame(run: CollapseRun, index: int, ax: plt.Axes | None = None, n_show: int = 1000) -> plt.Axes:
    """Scatter of one snapshot over the ring's centres, titled with its coverage numbers."""
    _require_run(run, "plot_frame run")
    n = len(run.frames)
    if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
        raise IndexError(f"plot_frame index: expected an int snapshot index from 0 to {n - 1}; got {index!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(3.4, 3.4))
    step, points = run.frames[index]
    cov = run.coverage[index]
    centres = ring8_centres()
    ax.scatter(*centres.T.numpy(), s=60, facecolors="none", edgecolors="tab:blue", lw=1, label="modes", zorder=1)
    ax.scatter(*points[:n_show].T.numpy(), s=3, color="tab:orange", alpha=0.5, label="G's samples", zorder=2)
    ax.set_xlim(-3, 3)
    ax.set_ylim(-3, 3)
    ax.set_aspect("equal")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title(f"{run.setting}, step {step}\nmodes {cov['modes']}/8, high quality {cov['high_quality']:.0%}, "
                 f"spread {cov['spread']:.2f}", fontsize=8)
    return ax


def coverage_curves(runs: list[CollapseRun], ax: plt.Axes | None = None) -> plt.Axes:
    """Modes captured against the training step, one line per run."""
    _require_runs(runs, "coverage_curves runs")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    for run in runs:
        ax.plot(run.steps, [c["modes"] for c in run.coverage], marker="o", ms=3, label=run.setting)
    ax.axhline(8, color="grey", ls=":", lw=1)
    ax.set_ylim(-0.3, 8.5)
    ax.set_xlabel("generator step")
    ax.set_ylabel("modes captured (of 8)")
    ax.legend(fontsize=8)
    return ax


def snapshots_figure(runs: list[CollapseRun], n_columns: int = 5) -> plt.Figure:
    """The static face of the scrubber: one row per run, ``n_columns`` snapshots, and the coverage curves."""
    _require_runs(runs, "snapshots_figure runs")
    require_positive_int(n_columns, "snapshots_figure n_columns")
    n_frames = len(runs[0].frames)
    columns = sorted(set(np.linspace(0, n_frames - 1, min(n_columns, n_frames)).round().astype(int).tolist()))
    fig, axes = plt.subplots(len(runs), len(columns) + 1, figsize=(2.6 * (len(columns) + 1), 2.8 * len(runs)),
                             squeeze=False)
    for row, run in zip(axes, runs):
        for ax, index in zip(row, columns):
            plot_frame(run, index, ax)
        coverage_curves([run], row[-1])
        row[-1].set_title(f"{run.setting}: modes over training", fontsize=8)
    fig.tight_layout()
    return fig


def collapse_widget(runs: dict[str, CollapseRun]):
    """A slider over the snapshots and a switch between the settings (live face of :func:`show_collapse`)."""
    import ipywidgets as widgets

    if not isinstance(runs, dict):
        raise TypeError(f"collapse_widget runs: expected a dict {{setting: CollapseRun}}; got {type(runs).__name__}")
    _require_runs(runs, "collapse_widget runs")
    names = list(runs)
    first = runs[names[0]]
    slider = widgets.IntSlider(value=0, min=0, max=len(first.frames) - 1, description="snapshot",
                               continuous_update=False)
    switch = widgets.ToggleButtons(options=names, value=names[0], description="setting")
    out = widgets.Output()

    def redraw(*_) -> None:
        run = runs[switch.value]
        fig, (ax_scatter, ax_curve) = plt.subplots(1, 2, figsize=(9, 3.8))
        plot_frame(run, min(slider.value, len(run.frames) - 1), ax_scatter)
        coverage_curves([run], ax_curve)
        ax_curve.axvline(run.frames[min(slider.value, len(run.frames) - 1)][0], color="black", lw=1)
        fig.tight_layout()
        show_in(out, fig)

    slider.observe(redraw, names="value")
    switch.observe(redraw, names="value")
    redraw()
    return widgets.VBox([switch, slider, out])


def show_collapse(settings: tuple[str, ...] = ("vanilla", "tuned", "minibatch stddev"),
                  seed: int = CHAPTER_SEED) -> dict:
    """Train (or fetch from the cache) each setting on one seed; show the scrubber, or its static figure.

    Returns ``{setting: CollapseRun}``.
    """
    from IPython.display import display

    if isinstance(settings, str) or not isinstance(settings, (list, tuple)) or not settings:
        raise ValueError(f"show_collapse settings: expected a non-empty tuple of names from {list(SETTINGS)}; "
                         f"got {settings!r}")
    for name in settings:
        if name not in SETTINGS:
            raise ValueError(f"setting: expected one of {list(SETTINGS)}; got {name!r}")
    runs = {name: collapse_run(name, seed) for name in settings}
    if front_end_attached():
        display(collapse_widget(runs))
    else:
        fig = snapshots_figure(list(runs.values()))
        display(fig)
        plt.close(fig)
    return runs


def coverage_table(runs: dict[str, CollapseRun]) -> str:
    """A text table: per run, the final coverage numbers and the fewest/most modes held after the start."""
    if not isinstance(runs, dict):
        raise TypeError(f"coverage_table runs: expected a dict {{setting: CollapseRun}}; got {type(runs).__name__}")
    _require_runs(runs, "coverage_table runs")
    lines = [f"{'setting':<18}{'modes at end':>13}{'high quality':>14}{'reverse KL':>12}{'spread':>8}"
             f"{'modes seen (min-max, after step 0)':>37}"]
    for name, run in runs.items():
        end = run.coverage[-1]
        later = [c["modes"] for c in run.coverage[1:]] or [end["modes"]]
        lines.append(f"{name:<18}{end['modes']:>10}/8 {end['high_quality']:>13.0%}{end['reverse_kl']:>12.3f}"
                     f"{end['spread']:>8.2f}{min(later):>29}-{max(later)}")
    return "\n".join(lines)


def hopping_summary(run: CollapseRun) -> list[tuple[int, list[int]]]:
    """For each snapshot, the step and the list of modes (0-7, counter-clockwise from (2, 0)) it holds."""
    _require_run(run, "hopping_summary run")
    out = []
    for step, points in run.frames:
        counts = mode_coverage(points, ring8_centres(), RING8_STD)["counts"]
        out.append((step, [k for k, n in enumerate(counts.tolist()) if n >= MIN_COUNT]))
    return out


# -------------------------------------------------------------------------------------------------
# JSD along the collapse path
# -------------------------------------------------------------------------------------------------

def jsd_path(ts) -> np.ndarray:
    """``JSD([½, ½], [1 − t, t])`` in nats for each ``t`` in ``ts`` (the chapter's reference)."""
    try:
        ts = np.asarray(ts, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"ts: expected numbers in [0, 1]; got {type(ts).__name__} {ts!r:.60}") from exc
    if ts.size == 0:
        raise ValueError("ts: expected numbers in [0, 1]; got an empty sequence")
    if not np.all(np.isfinite(ts)):
        raise ValueError("ts: expected numbers in [0, 1]; got NaN or inf")
    if np.any((ts < 0) | (ts > 1)):
        raise ValueError(f"ts: expected numbers in [0, 1]; got values in [{ts.min():.3g}, {ts.max():.3g}]")
    return np.array([jsd([0.5, 0.5], [1 - t, t]) for t in ts])


def jsd_path_figure(ts=None) -> plt.Figure:
    """JSD along ``p_g = (1 − t) δ_a + t δ_b`` against ``p_data = ½ δ_a + ½ δ_b``, with ln 2 for scale."""
    ts = np.linspace(0, 1, 201) if ts is None else np.asarray(ts)
    values = jsd_path(ts)                      # checks ts before a figure is opened
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(ts, values, lw=2, label="JSD(p_data, p_g)")
    ax.axhline(math.log(2), color="grey", ls="--", lw=1, label="ln 2 ≈ 0.693 (disjoint supports)")
    ax.plot([0, 1], [0.75 * math.log(4 / 3)] * 2, "o", color="tab:red", label="collapsed onto one mode: 0.2158")
    ax.plot([0.5], [0], "*", ms=12, color="tab:green", label="p_g = p_data: 0")
    ax.set_xlabel("t, the generator's mass on mode b")
    ax.set_ylabel("JSD (nats)")
    ax.set_ylim(-0.02, 0.75)
    ax.legend(fontsize=8, loc="center", bbox_to_anchor=(0.5, 0.55))
    fig.tight_layout()
    return fig


# -------------------------------------------------------------------------------------------------
# The "three faces, FID 45" scenario, with digits
# -------------------------------------------------------------------------------------------------

def three_mode_sampler(n: int, n_modes: int = 3, noise: float = 0.08, seed: int = 0) -> torch.Tensor:
    """``[n, 1, 8, 8]`` "collapsed" digits: ``n_modes`` training images repeated, plus a little pixel noise.

    The stand-in for a generator that makes only three distinct faces "with minor pixel-level noise".
    """
    require_positive_int(n, "n")
    require_positive_int(n_modes, "three_mode_sampler n_modes")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"three_mode_sampler noise: expected a number ≥ 0 (pixel noise std); got {noise!r}")
    gen = torch.Generator().manual_seed(seed)
    train = digits("train")
    if n_modes > len(train.images):
        raise ValueError(f"three_mode_sampler n_modes: expected at most {len(train.images)} (the training digits); "
                         f"got {n_modes}")
    picks = torch.randperm(len(train.images), generator=gen)[:n_modes]
    which = torch.randint(n_modes, (n,), generator=gen)
    images = train.images[picks][which]                                           # [n, 1, 8, 8]
    return (images + noise * torch.randn(images.shape, generator=gen)).clamp(-1, 1)


@lru_cache(maxsize=4)
def scenario_numbers(n: int = 500) -> dict[str, dict[str, float]]:
    """The scenario's logged numbers for the collapsed sampler and, as the healthy reference, real
    test-split digits: digits FID (against the train split), precision/recall, spread, digits seen."""
    from gan_helpers.digits_classifier import class_histogram, digits_fid, digits_precision_recall

    real_train = digits("train").images
    healthy = digits("test").images[:n]
    collapsed = three_mode_sampler(n)
    out = {}
    for name, images in (("healthy (held-out real digits)", healthy), ("collapsed (3 images + noise)", collapsed)):
        pr = digits_precision_recall(images)
        hist = class_histogram(images)
        out[name] = {"fid": digits_fid(images), "precision": pr["precision"], "recall": pr["recall"],
                     "spread": collapse_ratio(images, real_train[:n]),
                     "classes_seen": int((hist > 0.02).sum())}
    return out


# -------------------------------------------------------------------------------------------------
# What each metric sees: synthetic samplers on the ring
# -------------------------------------------------------------------------------------------------

def metric_cases(n: int = 2000, seed: int = 0) -> dict[str, torch.Tensor]:
    """``{name: [n, 2] samples}``: samplers on the ring whose flaws are known exactly.

    * ``"perfect"``: the data distribution itself (fresh samples);
    * ``"full collapse"``: every sample from one mode;
    * ``"partial: 4 of 8"``: every other mode, each twice as likely;
    * ``"blurry (10x std)"``: all 8 modes, each 10 times too wide;
    * ``"one Gaussian, same fit"``: a single Gaussian with the ring's mean and covariance: no mode at all,
      yet (up to sampling noise) the same Gaussian fit as the data.
    """
    require_positive_int(n, "n")
    gen = torch.Generator().manual_seed(seed)
    centres = ring8_centres()                                             # [8, 2]
    idx = torch.randint(8, (n,), generator=gen)
    noise = torch.randn(n, 2, generator=gen)
    real_cov = torch.cov(ring8(20_000, generator=torch.Generator().manual_seed(seed + 1)).T)
    chol = torch.linalg.cholesky(real_cov)
    return {
        "perfect": ring8(n, generator=gen),
        "full collapse": centres[0] + RING8_STD * noise,
        "partial: 4 of 8": centres[(idx // 2) * 2] + RING8_STD * noise,
        "blurry (10x std)": centres[idx] + 10 * RING8_STD * noise,
        "one Gaussian, same fit": noise @ chol.T,
    }


def _require_cases(cases: object, name: str) -> None:
    if not isinstance(cases, dict) or not cases:
        raise ValueError(f"{name}: expected a non-empty dict {{name: samples [N, 2]}} (like metric_cases()); "
                         f"got {cases!r:.80}")
    for key, samples in cases.items():
        require_shape(samples, [None, 2], f"{name} {key!r}")


def metrics_table(cases: dict[str, torch.Tensor], seed: int = 0) -> dict[str, dict[str, float]]:
    """Every metric of the chapter for each case, against fresh real samples of the ring.

    Keys: ``modes`` (≥ :data:`MIN_COUNT` per 2,500 samples within 3 std), ``high_quality``, ``reverse_kl``,
    ``spread`` (mean pairwise distance ratio), ``frechet`` (squared Fréchet distance of the Gaussian
    fits, the FID formula on the raw 2-D points), ``precision``, ``recall``.
    """
    from gan_helpers.metrics import frechet_distance_from_features, precision_recall

    _require_cases(cases, "metrics_table cases")
    out = {}
    for name, samples in cases.items():
        real = ring8(len(samples), generator=torch.Generator().manual_seed(seed + 7))
        m = mode_coverage(samples, ring8_centres(), RING8_STD, min_count=max(1, round(MIN_COUNT * len(samples) / 2500)))
        pr = precision_recall(real, samples)
        out[name] = {"modes": m["modes_captured"], "high_quality": m["high_quality_fraction"],
                     "reverse_kl": m["reverse_kl"], "spread": collapse_ratio(samples, real),
                     "frechet": frechet_distance_from_features(real, samples),
                     "precision": pr["precision"], "recall": pr["recall"]}
    return out


def format_metrics(table: dict[str, dict[str, float]]) -> str:
    """:func:`metrics_table` as aligned text."""
    keys = {"modes", "high_quality", "reverse_kl", "spread", "frechet", "precision", "recall"}
    if not isinstance(table, dict) or not all(isinstance(m, dict) and keys <= set(m) for m in table.values()):
        raise ValueError(f"format_metrics table: expected the dict metrics_table() returns ({{sampler: {{"
                         f"{', '.join(sorted(keys))}}}}}); got {table!r:.80}")
    head = f"{'sampler':<24}{'modes':>6}{'high q.':>9}{'rev. KL':>9}{'spread':>8}{'Fréchet':>9}{'precision':>11}{'recall':>8}"
    rows = [head]
    for name, m in table.items():
        rows.append(f"{name:<24}{m['modes']:>4}/8{m['high_quality']:>9.0%}{m['reverse_kl']:>9.3f}{m['spread']:>8.2f}"
                    f"{m['frechet']:>9.3f}{m['precision']:>11.2f}{m['recall']:>8.2f}")
    return "\n".join(rows)


def cases_figure(cases: dict[str, torch.Tensor], n_show: int = 800) -> plt.Figure:
    """One scatter per case over the ring's modes: ``cases = {name: samples [N, 2]}``."""
    _require_cases(cases, "cases_figure cases")
    fig, axes = plt.subplots(1, len(cases), figsize=(2.7 * len(cases), 2.9), squeeze=False)
    centres = ring8_centres()
    for ax, (name, samples) in zip(axes[0], cases.items()):
        ax.scatter(*centres.T.numpy(), s=60, facecolors="none", edgecolors="tab:blue", lw=1, zorder=1)
        ax.scatter(*samples[:n_show].T.numpy(), s=2, color="tab:orange", alpha=0.5, zorder=2)
        ax.set_xlim(-3.2, 3.2)
        ax.set_ylim(-3.2, 3.2)
        ax.set_aspect("equal")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("x₁")
    axes[0][0].set_ylabel("x₂")
    fig.tight_layout()
    return fig


def digit_rows(images: torch.Tensor, rows: int = 3, cols: int = 12) -> np.ndarray:
    """A ``rows × cols`` mosaic of ``[N, 1, 8, 8]`` digits (the first rows·cols) as one array for imshow."""
    require_images(images, "digit_rows images", channels=1, resolution=8)
    require_positive_int(rows, "digit_rows rows")
    require_positive_int(cols, "digit_rows cols")
    n = rows * cols
    tiles = images[:n, 0].detach().cpu()
    if len(tiles) < n:
        raise ValueError(f"images: need at least {n} images for a {rows}x{cols} mosaic; got {len(tiles)}")
    padded = torch.nn.functional.pad(tiles, (1, 1, 1, 1), value=-1.0)    # [n, 10, 10]: background-coloured gaps
    return padded.view(rows, cols, 10, 10).permute(0, 2, 1, 3).reshape(rows * 10, cols * 10).numpy()
