"""Chapter 1's interactive and figures: a tiny GAN that maps 1-D noise to data, and the DCGAN data flow.

Noise to data
-------------
A generator is a function from noise to data. In one dimension we can draw that function. The data
here are a mixture of Gaussians on the real line (by default two bumps, at −2 with weight 0.7 and at
+2 with weight 0.3, each with standard deviation 0.35); the noise is ``z ~ N(0, 1)``. Both players are
small MLPs:

* G: ``z [B, 1]`` → Linear(1, h) → tanh → Linear(h, h) → tanh → Linear(h, 1) → ``x [B, 1]``;
* D: ``x [B, 1]`` → Linear(1, h) → LeakyReLU(0.2) → Linear(h, h) → LeakyReLU(0.2) → Linear(h, 1) → logit.

They are trained with the non-saturating GAN loss and Adam (lr 2e-3, β = (0.5, 0.999)) for a few
hundred steps: about half a second on one CPU core.

A single bump of noise has to be torn into two bumps of data, so G learns a *steep step*: the noise
below some threshold goes to one mode, the rest to the other, and the few ``z`` on the steep part land
in the gap between the modes. In one dimension the best monotone map is known exactly, the
quantile map ``G*(z) = F⁻¹(Φ(z))`` (``F`` the data's CDF, ``Φ`` the noise's), or its mirror
``F⁻¹(1 − Φ(z))`` for a decreasing G; :func:`ideal_mapping` draws it for comparison. The step sits
where ``Φ(z)`` equals the weight of the first mode: G spends noise on each mode in proportion to its
weight.

:func:`show_mapping` shows the live widget (a "Retrain" button that trains a fresh pair with a new
seed) when a notebook front end is attached, and a static figure of a few seeds otherwise.

DCGAN figures
-------------
:func:`trace_shapes` records the output shape of every layer of any model during one forward pass
(forward hooks, in execution order). :func:`dcgan_stages` and :func:`draw_data_flow` use it on the
reference :mod:`gan_helpers.dcgan` networks to draw the 64×64 data flow of both networks, so the
shapes in the figure are the shapes the code really produces. :func:`draw_transposed_conv_1d` draws
how a transposed convolution spreads each input over ``kernel`` outputs, ``stride`` apart, and trims
``padding`` from both ends. :func:`weight_stds` lists the standard deviation of each layer's weights.

Checks for the chapter's tests
------------------------------
:func:`count_weights` counts parameters without the biases of conv and linear layers (so a network
counts the same with or without them), and :func:`check_normal_init` decides whether a tensor looks
like draws from N(mean, std²), with tolerances set by the sampling error.

Usage::

    from gan_helpers.noise_mapping import MappingConfig, show_mapping, train_mapping
    result = train_mapping(MappingConfig(seed=3))    # about 0.5 s
    result.fractions                                  # share of samples near each mode, and in the gap
    show_mapping()                                    # widget, or a static figure when headless
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from gan_helpers.losses import d_loss_bce, g_loss_nonsaturating

# --------------------------------------------------------------------------------------------------
# Noise to data: the 1-D mapping GAN
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingConfig:
    """The data (a 1-D Gaussian mixture), the two MLPs and the training budget.

    Attributes:
        means: centre of each mode.
        weights: probability of each mode (positive, summing to 1).
        std: standard deviation of every mode.
        hidden: units in each hidden layer of G and D.
        steps: training steps (one D update and one G update each).
        batch_size: real and fake samples per step.
        lr: Adam learning rate of both players (β = (0.5, 0.999)).
        seed: seeds the initial weights and every random draw of the run.
    """

    means: tuple[float, ...] = (-2.0, 2.0)
    weights: tuple[float, ...] = (0.7, 0.3)
    std: float = 0.35
    hidden: int = 32
    steps: int = 500
    batch_size: int = 256
    lr: float = 2e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if len(self.means) == 0 or len(self.means) != len(self.weights):
            raise ValueError(f"means and weights must be non-empty and of equal length; got {len(self.means)} "
                             f"means and {len(self.weights)} weights")
        if any(w <= 0 for w in self.weights) or abs(sum(self.weights) - 1.0) > 1e-6:
            raise ValueError(f"weights must be positive and sum to 1; got {self.weights}")
        if not self.std > 0:
            raise ValueError(f"std must be positive; got {self.std}")
        for name in ("hidden", "steps", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "steps" else 1):
                raise ValueError(f"{name} must be a {'non-negative' if name == 'steps' else 'positive'} int; "
                                 f"got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive; got {self.lr}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"seed must be an int; got {type(self.seed).__name__}")


def mixture_sample(n: int, config: MappingConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """``[n]`` draws from the data mixture."""
    means = torch.tensor(config.means)
    idx = torch.multinomial(torch.tensor(config.weights), n, replacement=True, generator=generator)
    return means[idx] + config.std * torch.randn(n, generator=generator)


def mixture_density(x: torch.Tensor, config: MappingConfig) -> torch.Tensor:
    """The data density at each of ``x [n]``."""
    x = torch.as_tensor(x, dtype=torch.float32)
    out = torch.zeros_like(x)
    for m, w in zip(config.means, config.weights):
        out += w * torch.exp(-0.5 * ((x - m) / config.std) ** 2) / (config.std * math.sqrt(2 * math.pi))
    return out


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def ideal_mapping(z: torch.Tensor, config: MappingConfig, increasing: bool = True) -> torch.Tensor:
    """The monotone map that turns ``z ~ N(0, 1)`` into the data exactly: ``F⁻¹(Φ(z))``.

    ``F`` is the mixture's CDF and ``Φ`` the standard normal CDF; with ``increasing=False`` it is the
    mirror image ``F⁻¹(1 − Φ(z))``, which is just as good a generator. Computed by interpolating
    ``F`` on a fine grid (accurate to about 1e-3 inside the data's range).
    """
    z = np.asarray(torch.as_tensor(z, dtype=torch.float64))
    lo = min(config.means) - 8 * config.std
    hi = max(config.means) + 8 * config.std
    grid = np.linspace(lo, hi, 20001)
    cdf = np.zeros_like(grid)
    for m, w in zip(config.means, config.weights):
        cdf += w * _normal_cdf((grid - m) / config.std)
    u = _normal_cdf(z if increasing else -z)
    return torch.as_tensor(np.interp(u, cdf, grid), dtype=torch.float32)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread inside the block, then restore the previous setting.

    Networks this small spend their time in per-operation overhead, not arithmetic: on a busy
    2-core machine two threads make each step many times slower than one.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _mlp(hidden: int, activation: type[nn.Module], **kwargs) -> nn.Sequential:
    return nn.Sequential(nn.Linear(1, hidden), activation(**kwargs), nn.Linear(hidden, hidden), activation(**kwargs),
                         nn.Linear(hidden, 1))


class MappingGAN:
    """Two small MLPs playing the GAN game on the 1-D mixture; everything seeded by ``config.seed``."""

    def __init__(self, config: MappingConfig | None = None) -> None:
        self.config = config or MappingConfig()
        c = self.config
        self.rng = torch.Generator().manual_seed(c.seed)
        with torch.random.fork_rng(devices=[]):       # seed the weights without touching the global RNG
            torch.manual_seed(c.seed)
            self.G = _mlp(c.hidden, nn.Tanh)                               # z [B, 1] → x [B, 1]
            self.D = _mlp(c.hidden, nn.LeakyReLU, negative_slope=0.2)      # x [B, 1] → logit [B, 1]
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=c.lr, betas=(0.5, 0.999))
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=c.lr, betas=(0.5, 0.999))
        self.history: list[tuple[float, float]] = []   # (d_loss, g_loss) per step

    def step(self) -> tuple[float, float]:
        """One D update (fakes detached), then one G update (non-saturating); returns the two losses."""
        b = self.config.batch_size
        real = mixture_sample(b, self.config, self.rng).unsqueeze(1)   # [B, 1]
        fake = self.G(torch.randn(b, 1, generator=self.rng))           # [B, 1]
        d_loss = d_loss_bce(self.D(real), self.D(fake.detach()))
        self.opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_D.step()
        g_loss = g_loss_nonsaturating(self.D(fake))
        self.opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_G.step()
        self.history.append((d_loss.item(), g_loss.item()))
        return self.history[-1]

    def train(self, steps: int | None = None) -> list[tuple[float, float]]:
        """Take ``steps`` steps (default ``config.steps``); returns their losses."""
        steps = self.config.steps if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be a non-negative int; got {steps!r}")
        with one_thread():
            return [self.step() for _ in range(steps)]

    @torch.no_grad()
    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        """``G(z)`` for ``z [n]``: the learned map from noise to data, ``[n]``."""
        return self.G(torch.as_tensor(z, dtype=torch.float32).reshape(-1, 1)).reshape(-1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``[n]`` generated samples."""
        return self.G(torch.randn(n, 1, generator=generator or self.rng)).reshape(-1)

    @torch.no_grad()
    def d_prob(self, x: torch.Tensor) -> torch.Tensor:
        """D's probability that each of ``x [n]`` is real (``sigmoid(logit)``, for display)."""
        return torch.sigmoid(self.D(torch.as_tensor(x, dtype=torch.float32).reshape(-1, 1))).reshape(-1)


def mode_fractions(samples: torch.Tensor, config: MappingConfig) -> dict[str, float]:
    """Share of ``samples [n]`` within 3 std of each mode (keys ``"mode 0"``, ``"mode 1"``...) and elsewhere (``"gap"``)."""
    samples = torch.as_tensor(samples).reshape(-1)
    near = torch.stack([(samples - m).abs() <= 3 * config.std for m in config.means])   # [K, n]
    out = {f"mode {k}": float(near[k].float().mean()) for k in range(len(config.means))}
    out["gap"] = float((~near.any(0)).float().mean())
    return out


@dataclass
class MappingResult:
    """What one training run of :class:`MappingGAN` produced (everything needed to draw it)."""

    config: MappingConfig
    z: torch.Tensor            # [n] a grid of noise values
    gz: torch.Tensor           # [n] G(z) on that grid
    samples: torch.Tensor      # [m] fresh samples G(z), z ~ N(0, 1)
    history: list[tuple[float, float]] = field(repr=False)
    seconds: float = 0.0
    fractions: dict[str, float] = field(default_factory=dict)

    @property
    def increasing(self) -> bool:
        """Whether the learned map rises from left to right (G is free to learn either direction)."""
        return bool(self.gz[-1] >= self.gz[0])


def train_mapping(config: MappingConfig | None = None, n_samples: int = 4000) -> MappingResult:
    """Train a fresh :class:`MappingGAN` for ``config.steps`` steps and measure it."""
    config = config or MappingConfig()
    gan = MappingGAN(config)
    start = time.perf_counter()
    gan.train()
    seconds = time.perf_counter() - start
    z = torch.linspace(-3.0, 3.0, 301)
    samples = gan.sample(n_samples, torch.Generator().manual_seed(10_000 + config.seed))
    return MappingResult(config=config, z=z, gz=gan.mapping(z), samples=samples, history=list(gan.history),
                         seconds=seconds, fractions=mode_fractions(samples, config))


def plot_mapping(result: MappingResult, axes: Sequence[plt.Axes] | None = None) -> tuple[plt.Axes, plt.Axes]:
    """Two panels sharing the data axis: the map z → G(z), and G's samples against the data density.

    Left: the learned map (orange) over the noise density (grey, bottom), the ideal monotone map in
    the same direction (dashed), the data's modes as blue bands. Right, on its side so that both
    panels share the vertical "data" axis: a histogram of ``G(z)`` and the data density.
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4), gridspec_kw={"width_ratios": [2, 1]}, sharey=True)
    ax_map, ax_hist = axes
    c = result.config
    lo, hi = min(c.means) - 4 * c.std, max(c.means) + 4 * c.std
    for m in c.means:
        ax_map.axhspan(m - 3 * c.std, m + 3 * c.std, color="tab:blue", alpha=0.08, lw=0)
    ax_map.plot(result.z, ideal_mapping(result.z, c, result.increasing), "k--", lw=1, label="ideal monotone map")
    ax_map.plot(result.z, result.gz, color="tab:orange", lw=2.2, label="learned G(z)")
    zs = torch.linspace(-3, 3, 200)
    noise_pdf = torch.exp(-0.5 * zs**2) / math.sqrt(2 * math.pi)
    ax_map.fill_between(zs, lo, lo + noise_pdf * (hi - lo) * 0.35, color="grey", alpha=0.3, lw=0,
                        label="noise density N(0, 1)")
    ax_map.set_xlim(-3, 3)
    ax_map.set_ylim(lo, hi)
    ax_map.set_xlabel("noise z")
    ax_map.set_ylabel("data value x = G(z)")
    ax_map.legend(loc="upper left" if result.increasing else "upper right", fontsize=7, frameon=False)
    direction = "increasing" if result.increasing else "decreasing"
    ax_map.set_title(f"seed {c.seed}: {direction} map after {len(result.history)} steps", fontsize=9)

    xs = torch.linspace(lo, hi, 400)
    ax_hist.hist(result.samples.clamp(lo, hi).numpy(), bins=60, range=(lo, hi), density=True,
                 orientation="horizontal", color="tab:orange", alpha=0.6, label="G(z)")
    ax_hist.plot(mixture_density(xs, c), xs, color="tab:blue", lw=1.5, label="data density")
    ax_hist.set_xlabel("density")
    ax_hist.legend(loc="upper right", fontsize=7, frameon=False)
    f = result.fractions
    modes = ", ".join(f"{f[f'mode {k}']:.0%}" for k in range(len(c.means)))
    weights = ", ".join(f"{w:.0%}" for w in c.weights)
    ax_hist.set_title(f"modes {modes} (data {weights}); gap {f['gap']:.1%}", fontsize=8)
    return ax_map, ax_hist


def mapping_snapshots(seeds: Sequence[int] = (0, 1), config: MappingConfig | None = None) -> plt.Figure:
    """Train one fresh pair per seed and draw each run's map and histogram, one row per seed."""
    config = config or MappingConfig()
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    fig, axes = plt.subplots(len(seeds), 2, figsize=(8.4, 3.1 * len(seeds)), squeeze=False,
                             gridspec_kw={"width_ratios": [2, 1]}, sharey="row")
    for row, seed in zip(axes, seeds):
        plot_mapping(train_mapping(replace(config, seed=seed)), row)
    fig.tight_layout()
    return fig


def mapping_widget(config: MappingConfig | None = None):
    """An ipywidgets control: "Retrain" trains a fresh pair with the next seed; a slider sets the steps."""
    import ipywidgets as widgets

    from gan_helpers.widgets import show_in

    state = {"config": config or MappingConfig()}
    out = widgets.Output()
    button = widgets.Button(description="Retrain (new seed)", button_style="primary")
    steps = widgets.IntSlider(value=state["config"].steps, min=0, max=1500, step=50, description="steps")
    status = widgets.Label()

    def redraw(result: MappingResult) -> None:
        ax_map, _ = plot_mapping(result)
        show_in(out, ax_map.figure)
        status.value = f"seed {result.config.seed}: trained in {result.seconds:.2f} s"

    def retrain(_button=None, new_seed: bool = True) -> None:
        c = state["config"]
        state["config"] = replace(c, seed=c.seed + 1 if new_seed else c.seed, steps=int(steps.value))
        redraw(train_mapping(state["config"]))

    button.on_click(retrain)
    retrain(new_seed=False)
    return widgets.VBox([widgets.HBox([button, steps, status]), out])


def show_mapping(config: MappingConfig | None = None, static_seeds: Sequence[int] = (0, 1)) -> None:
    """The widget with a live front end; headless, a static figure of ``static_seeds``."""
    from IPython.display import display

    from gan_helpers.widgets import front_end_attached

    if front_end_attached():
        display(mapping_widget(config))
    else:
        fig = mapping_snapshots(static_seeds, config)
        display(fig)
        plt.close(fig)


# --------------------------------------------------------------------------------------------------
# Shapes through a network, and the DCGAN data-flow figure
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerTrace:
    """One layer call in a forward pass: its qualified name, its type and the shape it returned."""

    name: str
    kind: str
    shape: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.name:<22} {self.kind:<16} -> [{', '.join(str(s) for s in self.shape)}]"


def trace_shapes(model: nn.Module, x: torch.Tensor) -> list[LayerTrace]:
    """Run ``model(x)`` once (no gradients) and record every leaf layer's output shape, in call order.

    Leaf layers are modules without children (Linear, ConvTranspose2d, BatchNorm2d, ReLU, ...).
    Operations written as plain functions inside ``forward`` (``x.view``, ``torch.tanh``) have no
    module and do not appear; compare the last entry with ``model(x).shape``.
    """
    names = {m: n for n, m in model.named_modules()}
    records: list[LayerTrace] = []

    def hook(module: nn.Module, _inputs, output) -> None:
        if isinstance(output, torch.Tensor):
            records.append(LayerTrace(names.get(module, "?") or type(module).__name__, type(module).__name__,
                                      tuple(output.shape)))

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return records


def _shape_text(shape: Sequence[int], batch: str = "B") -> str:
    return "[" + ", ".join([batch, *(str(s) for s in shape[1:])]) + "]"


def dcgan_stages(config=None, batch: int = 2) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The stages of the reference DCGAN pair as ``(layer label, output shape)``, measured by a forward pass.

    Returns ``(generator_stages, discriminator_stages)``; each starts with the input (label ``""``)
    and the shapes are written with ``B`` for the batch, e.g. ``"[B, 256, 8, 8]"``.
    """
    from gan_helpers.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator

    cfg = config or DCGANConfig.preset("ch1")
    G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    G.eval(), D.eval()
    dense = cfg.layout == "dense"

    def run(model: nn.Module, x: torch.Tensor, blocks: list[tuple[str, nn.Module]]) -> list[tuple[str, str]]:
        out: dict[nn.Module, tuple[int, ...]] = {}
        handles = [m.register_forward_hook(lambda m, i, o: out.__setitem__(m, tuple(o.shape))) for _, m in blocks]
        try:
            with torch.no_grad():
                final = model(x)
        finally:
            for h in handles:
                h.remove()
        stages = [("", _shape_text(x.shape))] + [(label, _shape_text(out[m])) for label, m in blocks]
        if tuple(final.shape) != out[blocks[-1][1]]:
            stages[-1] = (stages[-1][0], _shape_text(final.shape))
        return stages

    up = "ConvT 4×4, s2, p1\nBN, ReLU"
    g_blocks = [("Linear, reshape\nBN, ReLU" if dense else "ConvT 4×4, s1, p0\nBN, ReLU", G.stem)]
    g_blocks += [(up, block) for block in G.body]
    g_blocks += [("ConvT 4×4, s2, p1\ntanh (no BN)", G.to_image)]
    down = "Conv 4×4, s2, p1\nBN, LeakyReLU 0.2"
    d_blocks = [("Conv 4×4, s2, p1\nLeakyReLU 0.2 (no BN)", D.from_image)]
    d_blocks += [(down, block) for block in D.body]
    d_blocks += [("flatten, Linear\n(logit, no sigmoid)" if dense else "Conv 4×4, s1, p0\n(logit, no sigmoid)",
                  D.head)]
    z = torch.randn(batch, cfg.z_dim)
    g_stages = run(G, z, g_blocks)
    d_stages = run(D, torch.zeros(batch, cfg.channels, cfg.resolution, cfg.resolution), d_blocks)
    g_stages[0] = ("", _shape_text(z.shape))
    return g_stages, d_stages


def _box_size(shape_text: str) -> tuple[float, float]:
    """Width and height of a tensor's box: height grows with the side, width with the channels."""
    dims = [int(s) for s in shape_text.strip("[]").split(", ")[1:]]
    if len(dims) == 3:
        channels, side = dims[0], dims[1]
        return 0.25 + 0.12 * math.log2(channels), 0.35 + 1.15 * side / 64
    return 0.32, 0.9 if dims and dims[0] > 1 else 0.35


def _draw_row(ax: plt.Axes, stages: list[tuple[str, str]], y: float, names: list[str], colour: str) -> float:
    """Draw one network as boxes joined by labelled arrows, starting at x = 0; returns the right end."""
    x, gap = 0.0, 1.05
    spans = []
    for (_, shape), name in zip(stages, names):
        w, h = _box_size(shape)
        ax.add_patch(plt.Rectangle((x, y - h / 2), w, h, facecolor=colour, edgecolor="black", lw=0.8, alpha=0.85))
        ax.text(x + w / 2, y - 0.92, shape, ha="center", va="top", fontsize=7.5, family="monospace")
        ax.text(x + w / 2, y - 1.17, name, ha="center", va="top", fontsize=7.5, style="italic")
        spans.append((x, x + w))
        x += w + gap
    for (label, _), (_, right), (left, _) in zip(stages[1:], spans[:-1], spans[1:]):
        ax.annotate("", xy=(left - 0.03, y), xytext=(right + 0.03, y),
                    arrowprops=dict(arrowstyle="-|>", color="black", lw=1))
        ax.text((left + right) / 2, y + 0.1, label, ha="center", va="bottom", fontsize=6.3, color="dimgray")
    return spans[-1][1]


def draw_data_flow(config=None) -> plt.Figure:
    """The reference DCGAN pair at the chapter's 64×64 layout, every tensor shape measured, as a figure.

    Top row: the generator, noise to image. Bottom row: the discriminator, image to logit. Box
    heights grow with the spatial side and widths with the number of channels.
    """
    g_stages, d_stages = dcgan_stages(config)
    fig, ax = plt.subplots(figsize=(12.5, 5.6))
    g_names = ["noise z ~ N(0, I)"] + [""] * (len(g_stages) - 2) + ["fake image in [-1, 1]"]
    d_names = ["image: real, or G's output"] + [""] * (len(d_stages) - 2) + ["one logit per image"]
    right = max(_draw_row(ax, g_stages, 3.7, g_names, "#f6c48f"), _draw_row(ax, d_stages, 0.7, d_names, "#9cc3e6"))
    ax.text(-0.2, 3.7 + 1.3, "Generator G: z → image (each stride-2 transposed conv doubles the side)",
            fontsize=10, weight="bold")
    ax.text(-0.2, 0.7 + 1.3, "Discriminator D: image → logit (each stride-2 conv halves the side)",
            fontsize=10, weight="bold")
    ax.set_xlim(-0.3, right + 0.3)
    ax.set_ylim(-0.75, 5.2)
    ax.axis("off")
    fig.tight_layout()
    return fig


def transposed_conv_stamps(size: int, kernel: int, stride: int, padding: int) -> list[list[int]]:
    """For each input position ``i``, the output positions its kernel reaches before trimming: ``i·s − p + j``."""
    return [[i * stride - padding + j for j in range(kernel)] for i in range(size)]


def draw_transposed_conv_1d(size: int = 3, kernel: int = 4, stride: int = 2, padding: int = 1,
                            ax: plt.Axes | None = None) -> plt.Axes:
    """A 1-D transposed convolution as stamps: each input cell writes ``kernel`` outputs, ``stride`` apart.

    The full stamped row is ``(size − 1)·stride + kernel`` long; ``padding`` cells are trimmed from each
    end (hatched), leaving ``(size − 1)·stride − 2·padding + kernel`` outputs. Darker output cells
    receive more overlapping contributions, which are summed.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.8))
    stamps = transposed_conv_stamps(size, kernel, stride, padding)
    full_lo, full_hi = -padding, (size - 1) * stride - padding + kernel - 1
    out_len = (size - 1) * stride - 2 * padding + kernel
    colours = plt.cm.tab10.colors
    y_in = 2.45 + 0.45 * (size - 1)
    for i, cells in enumerate(stamps):
        centre = (cells[0] + cells[-1]) / 2                 # each input sits above the centre of its stamp
        ax.add_patch(plt.Rectangle((centre - 0.45, y_in), 0.9, 0.8, facecolor=colours[i % 10], alpha=0.8, ec="black"))
        ax.text(centre, y_in + 0.4, f"in {i}", ha="center", va="center", fontsize=8)
        y = 2.0 + 0.45 * (size - 1 - i)                      # its stamp: kernel cells, one row per input
        for c in cells:
            ax.add_patch(plt.Rectangle((c - 0.45, y), 0.9, 0.35, facecolor=colours[i % 10], alpha=0.55, ec="none"))
        ax.plot([centre, centre], [y_in, y + 0.35], color=colours[i % 10], lw=0.8, ls=":")
    counts = {p: sum(p in cells for cells in stamps) for p in range(full_lo, full_hi + 1)}
    y_out = 1.1
    for p in range(full_lo, full_hi + 1):
        trimmed = p < 0 or p >= out_len
        ax.add_patch(plt.Rectangle((p - 0.45, y_out), 0.9, 0.6, facecolor="white" if trimmed else "grey",
                                   alpha=1.0 if trimmed else 0.2 + 0.25 * counts[p], ec="black",
                                   hatch="///" if trimmed else None))
        ax.text(p, y_out + 0.3, "" if trimmed else str(p), ha="center", va="center", fontsize=7)
    cells_word = "cell" if size == 1 else "cells"
    ax.text(full_hi + 0.8, y_in + 0.4, f"input: {size} {cells_word}", va="center", fontsize=8)
    ax.text(full_hi + 0.8, 2.0 + 0.2, "stamps (summed)", va="center", fontsize=8, color="dimgray")
    trim = f", {padding} trimmed each end" if padding else ""
    ax.text(full_hi + 0.8, y_out + 0.3, f"output: {out_len} cells{trim}", va="center", fontsize=8)
    ax.set_xlim(full_lo - 0.7, full_hi + 5.5)
    ax.set_ylim(y_out - 0.2, y_in + 1.0)
    ax.axis("off")
    ax.set_title(f"kernel {kernel}, stride {stride}, padding {padding}: "
                 f"({size} − 1)·{stride} − 2·{padding} + {kernel} = {out_len}", fontsize=9)
    return ax


def weight_stds(model: nn.Module) -> list[tuple[str, float]]:
    """``(layer name, std of its weight)`` for every convolution, transposed convolution and linear layer."""
    kinds = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d, nn.Linear)
    return [(name, float(m.weight.detach().std())) for name, m in model.named_modules() if isinstance(m, kinds)]


# --------------------------------------------------------------------------------------------------
# Model inspection used by chapter 1's tests
# --------------------------------------------------------------------------------------------------

_LAYERS_WITH_BIAS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
                     nn.Linear)


def count_weights(model: nn.Module) -> int:
    """Parameters of ``model`` without the biases of its convolution and linear layers.

    Whether those layers carry a bias (``bias=True``, PyTorch's default) or not (``bias=False``, as in
    pytorch/examples, since the batch norm that follows has a shift of its own) then makes no
    difference to the count; batch-norm scales and shifts are counted.
    """
    total = sum(p.numel() for p in model.parameters())
    biases = sum(m.bias.numel() for m in model.modules()
                 if isinstance(m, _LAYERS_WITH_BIAS) and isinstance(getattr(m, "bias", None), torch.Tensor))
    return total - biases


def check_normal_init(values: torch.Tensor, mean: float, std: float, name: str, hint: str | None = None,
                      z: float = 6.0) -> None:
    """Fail (:class:`gan_helpers.checks.CheckFailed`) unless ``values`` look like draws from N(mean, std²).

    The sample mean must lie within ``z`` standard errors (``std/√n``) of ``mean`` and the sample
    standard deviation within ``z`` standard errors (``std/√(2(n − 1))``) of ``std``. With ``z = 6`` a
    correct initialisation fails less than once in a hundred million draws, while the tolerance still
    shrinks with the number of values (about ±2 % on the std of a 64×128×4×4 kernel).
    """
    from gan_helpers.checks import check_number_close, check_tensor

    check_tensor(values, name)
    v = values.detach().double().reshape(-1)
    n = v.numel()
    if n < 2:
        raise ValueError(f"{name}: need at least 2 values to judge a distribution; got {n}")
    check_number_close(v.mean(), mean, f"the mean of {name} ({n} values)", rtol=0.0, atol=z * std / math.sqrt(n),
                       hint=hint)
    check_number_close(v.std(), std, f"the standard deviation of {name} ({n} values)", rtol=0.0,
                       atol=z * std / math.sqrt(2 * (n - 1)), hint=hint)
