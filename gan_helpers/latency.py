"""Chapter 8, GANs today: honest latency measurement, the quality-vs-speed trade-off, cited numbers.

A GAN draws a sample in **one forward pass**; a diffusion model refines noise over many passes of
the same network. This module measures what that costs on the machine at hand and puts the
measurement beside numbers cited from papers, clearly kept apart.

Measuring (the chapter's build-it has a learner write the first two):

* :func:`measure_latency`: the median of ``repeats`` timed calls after ``warmup`` untimed ones,
  with an injectable ``clock`` (``time.perf_counter`` by default), so tests can drive it with a
  fake clock;
* :func:`compare_sampling`: one pass of a network against ``steps`` refinement passes of the
  *same* network object; returns ``(one_pass_s, iterative_s, ratio)`` with ratio ≈ steps;
* :class:`FakeClock`, :class:`CountingCallable` and :class:`CountingNet`: a clock that only moves
  when a counted call says so, for tests whose timings are exact (warm-up, outliers, call counts).

Quality against speed, measured here:

* :func:`exact_denoiser` and :func:`denoise_sample`: a deterministic diffusion sampler (Euler steps
  of the probability-flow ODE on the noise schedule of Karras et al. 2022) on the ring of 8
  Gaussians, whose denoiser ``E[x₀ | x_σ]`` is known in closed form. With one step every sample
  lands on the *average* of the data (the centre of the ring: an L2-optimal denoiser's blur); with
  tens of steps the samples sit on the modes.
* :func:`measure_tradeoff`: latency and quality (high-quality fraction and modes, the chapter 4
  protocol of :func:`gan_helpers.metrics.mode_coverage`) for several step counts, plus optionally a
  trained one-pass GAN generator.

Cited from papers (COURSE_SPEC section 8; never measured here, never mixed with our numbers):
:data:`CITED_LATENCY`, :data:`CITED_FID`, and :data:`TIMELINE` (arXiv years: each entry carries its
arXiv identifier, whose first two digits are the year).

Example::

    >>> clock = FakeClock()
    >>> net = CountingNet(clock, cost=0.001)
    >>> one, many, ratio = compare_sampling(net, torch.zeros(4, 8), steps=50, warmup=2, repeats=5, clock=clock)
    >>> round(one, 6), round(many, 6), round(ratio, 3), net.calls
    (0.001, 0.05, 50.0, 357)
"""

from __future__ import annotations

import math
import numbers
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
from torch import nn

from gan_helpers.data import RING8_STD, ring8_centres
from gan_helpers.metrics import mode_coverage
from gan_helpers.validate import require_positive_int, require_shape, require_tensor
from gan_helpers.widgets import front_end_attached, show_in

Clock = Callable[[], float]


# --------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------

def _require_count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}; got {value!r}")
    return value


def _require_number(value: object, name: str, minimum: float | None = None, strict: bool = False) -> float:
    """A finite real number (not a bool), optionally ``> minimum`` (``strict``) or ``≥ minimum``; returns a float."""
    bound = "" if minimum is None else f" {'>' if strict else '≥'} {minimum:g}"
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.device.type != "meta":
        value = value.item()                                     # a one-element tensor counts as its number
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number{bound}; got {type(value).__name__} {value!r:.60}")
    value = float(value)
    if not math.isfinite(value) or (minimum is not None and (value <= minimum if strict else value < minimum)):
        raise ValueError(f"{name}: expected a finite number{bound}; got {value!r}")
    return value


def _require_callable(fn: object, name: str) -> None:
    if not callable(fn):
        raise TypeError(f"{name}: expected a callable (a network or a function); got {type(fn).__name__}")


def _require_clock(clock: object, name: str) -> None:
    if not (callable(clock) and callable(getattr(clock, "advance", None)) and hasattr(clock, "now")):
        raise TypeError(f"{name}: expected a FakeClock (something with .now and .advance(seconds)); "
                        f"got {type(clock).__name__}")


def measure_latency(fn: Callable[[], object], warmup: int = 3, repeats: int = 10,
                    clock: Clock = time.perf_counter) -> float:
    """Median seconds of one call ``fn()``: ``warmup`` untimed calls, then ``repeats`` timed ones.

    The first calls of a network are often slow (memory allocation, kernel selection, caches), so
    they are run but not timed. Each timed call is bracketed by two readings of ``clock``; the
    median of the ``repeats`` durations ignores the odd slow call (another process, a garbage
    collection) that would drag a mean. Returns a Python float.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    _require_count(warmup, "warmup", 0)
    _require_count(repeats, "repeats", 1)
    for _ in range(warmup):
        fn()
    durations = []
    for _ in range(repeats):
        start = clock()
        fn()
        durations.append(clock() - start)
    return float(statistics.median(durations))


def one_pass(net: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """GAN-style sampling: one forward pass, no autograd graph."""
    _require_callable(net, "one_pass net")
    with torch.no_grad():
        return net(z)


def iterative(net: nn.Module, x: torch.Tensor, steps: int) -> torch.Tensor:
    """Diffusion-style sampling: ``steps`` refinement passes ``x ← net(x)`` of the same network."""
    _require_callable(net, "iterative net")
    _require_count(steps, "steps", 1)
    with torch.no_grad():
        for _ in range(steps):
            x = net(x)
    return x


def compare_sampling(net: nn.Module, z: torch.Tensor, steps: int = 50, warmup: int = 3, repeats: int = 10,
                     clock: Clock = time.perf_counter) -> tuple[float, float, float]:
    """Median latency of one pass and of ``steps`` refinement passes of the same ``net``.

    Returns ``(one_pass_s, iterative_s, ratio)`` with ``ratio = iterative_s / one_pass_s``: how many
    times slower iterative sampling is (≈ ``steps`` when one pass dominates the cost).
    """
    _require_count(steps, "steps", 1)
    one = measure_latency(lambda: one_pass(net, z), warmup, repeats, clock)
    many = measure_latency(lambda: iterative(net, z, steps), warmup, repeats, clock)
    if one <= 0:
        raise ValueError(f"the one-pass latency is {one!r} s: the clock did not advance; use a finer clock")
    return one, many, many / one


# --------------------------------------------------------------------------------------------------
# Fakes for exact tests: a clock that moves only when a counted call says so
# --------------------------------------------------------------------------------------------------

class FakeClock:
    """A clock for tests: ``clock()`` returns the current fake time, which only :meth:`advance` moves.

    ``reads`` counts how often it was read.
    """

    def __init__(self, start: float = 100.0) -> None:
        self.now = _require_number(start, "FakeClock start")
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def advance(self, seconds: float) -> None:
        seconds = _require_number(seconds, "FakeClock.advance seconds (a clock cannot go backwards)", 0)
        self.now += seconds


def _cost_of(cost: float | Sequence[float] | Callable[[int], float], index: int) -> float:
    if callable(cost):
        return float(cost(index))
    if isinstance(cost, (int, float)):
        return float(cost)
    return float(cost[index]) if index < len(cost) else float(cost[-1])


def _require_cost(cost: object, name: str) -> None:
    if callable(cost):
        return
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        _require_number(cost, name, 0)
        return
    if isinstance(cost, (str, bytes)) or not (hasattr(cost, "__len__") and hasattr(cost, "__getitem__")) \
            or len(cost) == 0:
        raise TypeError(f"{name}: expected seconds ≥ 0 as a number, a non-empty sequence or a function of the "
                        f"call index; got {type(cost).__name__} {cost!r}")
    for i in range(len(cost)):
        _require_number(cost[i], f"{name}[{i}]", 0)


class CountingCallable:
    """A function for :func:`measure_latency` tests: each call advances ``clock`` by its cost.

    ``cost`` is a number (every call), a sequence (call ``i`` costs ``cost[i]``, the last value
    repeating) or a function of the call index (0-based). ``calls`` counts the calls;
    ``clock_at_call`` records the fake time at the start of each.
    """

    def __init__(self, clock: FakeClock, cost: float | Sequence[float] | Callable[[int], float] = 0.01) -> None:
        _require_clock(clock, "CountingCallable clock")
        _require_cost(cost, "CountingCallable cost")
        self.clock, self.cost = clock, cost
        self.calls = 0
        self.clock_at_call: list[float] = []

    def __call__(self) -> None:
        self.clock_at_call.append(self.clock.now)
        self.clock.advance(_cost_of(self.cost, self.calls))
        self.calls += 1


class CountingNet(nn.Module):
    """A network for :func:`compare_sampling` tests: ``x → x + 1`` that advances ``clock`` by ``cost``.

    ``calls`` counts forward passes made on *this* object (a copy counts its own), and
    ``grad_enabled`` records whether autograd was on at each call.
    """

    def __init__(self, clock: FakeClock, cost: float | Sequence[float] | Callable[[int], float] = 0.001) -> None:
        super().__init__()
        _require_clock(clock, "CountingNet clock")
        _require_cost(cost, "CountingNet cost")
        self.clock, self.cost = clock, cost
        self.calls = 0
        self.grad_enabled: list[bool] = []
        self.bias = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.grad_enabled.append(torch.is_grad_enabled())
        self.clock.advance(_cost_of(self.cost, self.calls))
        self.calls += 1
        return x + self.bias


class TinyDenoiser(nn.Module):
    """The chapter's "same small network": an MLP that maps ``[B, 64]`` (an 8×8 image) to ``[B, 64]``.

    ``x ↦ x + MLP(x)`` with two hidden layers of ``width``; shape-preserving, so it can be applied
    once (one pass) or many times (refinement). Untrained: only its cost matters here.
    """

    def __init__(self, dim: int = 64, width: int = 256, seed: int = 0) -> None:
        super().__init__()
        require_positive_int(dim, "TinyDenoiser dim")
        require_positive_int(width, "TinyDenoiser width")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"TinyDenoiser seed: expected an int; got {type(seed).__name__}")
        self.dim = dim
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        self.net = nn.Sequential(nn.Linear(dim, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(),
                                 nn.Linear(width, dim))
        torch.random.set_rng_state(generator_state)

    def forward(self, x: torch.Tensor) -> torch.Tensor:       # [B, dim] -> [B, dim]
        require_shape(x, [None, self.dim], "TinyDenoiser input", like=self)
        return x + 0.1 * self.net(x)


# --------------------------------------------------------------------------------------------------
# Quality against speed, measured: an exact diffusion sampler on the ring of 8
# --------------------------------------------------------------------------------------------------

def exact_denoiser(x: torch.Tensor, sigma: float, centres: torch.Tensor | None = None,
                   std: float = RING8_STD) -> torch.Tensor:
    """``E[x₀ | x₀ + σ ε = x]`` for data from equal-weight Gaussians ``N(centre, std² I)``; ``[N, d]`` → ``[N, d]``.

    Each component's posterior mean is ``c + std²/(std² + σ²) (x − c)``, weighted by the
    component's responsibility for ``x`` under the noised mixture (std² + σ² per dimension).
    This is the best denoiser in mean squared error: at large σ it returns the data's average.
    """
    require_tensor(x, "exact_denoiser x")
    sigma = _require_number(sigma, "exact_denoiser sigma", 0)
    std = _require_number(std, "exact_denoiser std", 0, strict=True)
    if centres is None:
        centres = ring8_centres().to(x.device)
    else:
        require_tensor(centres, "exact_denoiser centres")
        if centres.dim() != 2 or centres.shape[0] == 0:
            raise ValueError(f"exact_denoiser centres: expected shape [K, d] with K ≥ 1; got {list(centres.shape)}")
        if centres.device != x.device:
            raise ValueError(f"exact_denoiser centres: expected a tensor on {x.device}, the device of x; "
                             f"got one on {centres.device}")
    d = centres.shape[1]
    if x.dim() != 2 or x.shape[1] != d:
        raise ValueError(f"exact_denoiser x: expected points of shape [N, {d}] (the dimension of the centres "
                         f"[{centres.shape[0]}, {d}]); got {list(x.shape)}")
    c = centres.to(x.dtype)                                                 # [K, d]
    var = std * std + sigma ** 2
    logits = -torch.cdist(x, c) ** 2 / (2 * var)                           # [N, K]
    logits = logits - logits.max(dim=1, keepdim=True).values
    weights = torch.softmax(logits.clamp(min=-100.0), dim=1)               # no denormals: e^-100 is 0 here
    means = c[None] + (std * std / var) * (x[:, None, :] - c[None])         # [N, K, d]
    return (weights[..., None] * means).sum(dim=1)                          # [N, d]


def karras_sigmas(steps: int, sigma_max: float = 20.0, sigma_min: float = 0.002, rho: float = 7.0) -> torch.Tensor:
    """The noise levels of Karras et al. 2022 (EDM), ``[steps + 1]`` from ``sigma_max`` down to a final 0."""
    _require_count(steps, "steps", 1)
    sigma_min = _require_number(sigma_min, "karras_sigmas sigma_min", 0, strict=True)
    sigma_max = _require_number(sigma_max, "karras_sigmas sigma_max", 0, strict=True)
    if sigma_max <= sigma_min:
        raise ValueError(f"karras_sigmas: expected sigma_max > sigma_min; got sigma_max={sigma_max:g}, "
                         f"sigma_min={sigma_min:g}")
    rho = _require_number(rho, "karras_sigmas rho", 0, strict=True)
    i = torch.arange(steps, dtype=torch.float64)
    ramp = i / max(steps - 1, 1)
    sig = (sigma_max ** (1 / rho) + ramp * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([sig, torch.zeros(1, dtype=torch.float64)])


def denoise_sample(steps: int, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """``[n, 2]`` samples of the ring of 8 by ``steps`` Euler steps of the probability-flow ODE.

    Starts from ``N(0, σ_max² I)``; each step is one call of :func:`exact_denoiser`:
    ``x ← x + (σ_next − σ) (x − D(x; σ)) / σ``. One step returns ``D(x; σ_max)``, the data's mean.
    """
    sig = karras_sigmas(steps)
    require_positive_int(n, "denoise_sample n")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g, dtype=torch.float64) * sig[0]
    for i in range(steps):
        d = exact_denoiser(x, float(sig[i]))
        x = x + (sig[i + 1] - sig[i]) * (x - d) / sig[i]
    return x.float()


@dataclass(frozen=True)
class TradeoffPoint:
    """One sampler measured on this machine: its latency for ``n`` samples and their quality."""

    label: str
    family: str               # "diffusion (exact denoiser)" or "GAN (one pass)"
    steps: int                # network evaluations per sample
    seconds: float            # median latency for the whole batch of n samples
    high_quality: float       # fraction of samples within 3 std of a mode
    modes: int                # modes holding at least 20 high-quality samples (of 8)


def _quality(samples: torch.Tensor) -> tuple[float, int]:
    cov = mode_coverage(samples, ring8_centres(), RING8_STD, min_count=20)
    return float(cov["high_quality_fraction"]), int(cov["modes_captured"])


def measure_tradeoff(step_counts: Sequence[int] = (1, 2, 4, 8, 16, 32, 50), n: int = 2000,
                     generator: nn.Module | Callable[[int], torch.Tensor] | None = None,
                     warmup: int = 1, repeats: int = 5, clock: Clock = time.perf_counter) -> list[TradeoffPoint]:
    """Latency (median, :func:`measure_latency`) and quality of the exact sampler at each step count.

    ``generator``, if given, is a trained one-pass sampler ``n ↦ [n, 2]`` (e.g. ``Toy2DTrainer.sample``)
    measured the same way and appended with ``steps = 1``.
    """
    require_positive_int(n, "measure_tradeoff n")
    if generator is not None:
        _require_callable(generator, "measure_tradeoff generator")
    for k in step_counts:
        _require_count(k, "a step count", 1)
    points = []
    for k in step_counts:
        seconds = measure_latency(lambda k=k: denoise_sample(k, n), warmup, repeats, clock)
        hq, modes = _quality(denoise_sample(k, n))
        points.append(TradeoffPoint(f"{k}-step sampler", "diffusion (exact denoiser)", k, seconds, hq, modes))
    if generator is not None:
        def draw() -> torch.Tensor:
            with torch.no_grad():
                return generator(n)
        seconds = measure_latency(draw, warmup, repeats, clock)
        hq, modes = _quality(draw())
        points.append(TradeoffPoint("trained GAN", "GAN (one pass)", 1, seconds, hq, modes))
    return points


def samples_figure(panels: dict[str, torch.Tensor], limit: float = 2.8) -> plt.Figure:
    """Scatter plots of ``[N, 2]`` samples, one panel per entry, over the ring's eight centres."""
    if not isinstance(panels, dict) or not panels:
        raise ValueError(f"samples_figure panels: expected a non-empty dict {{title: samples [N, 2]}}; got {panels!r:.80}")
    for title, pts in panels.items():
        require_shape(pts, [None, 2], f"samples_figure panel {title!r}")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.0 * len(panels), 3.2), squeeze=False)
    centres = ring8_centres()
    for ax, (title, pts) in zip(axes[0], panels.items()):
        pts = pts.detach().cpu()
        ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.4, color="tab:blue")
        ax.scatter(centres[:, 0], centres[:, 1], marker="+", s=60, color="black", label="data modes")
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        hq, modes = _quality(pts)
        ax.set_title(f"{title}\n{100 * hq:.0f} % on a mode, {modes}/8 modes", fontsize=9)
        ax.set_xlabel("x₁")
    axes[0][0].set_ylabel("x₂")
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# Cited numbers (COURSE_SPEC section 8): never measured here
# --------------------------------------------------------------------------------------------------

CITED_LATENCY = [
    {"system": "GigaGAN", "family": "GAN (one pass)", "seconds": 0.13, "image": "512²",
     "note": "1B parameters, text-to-image", "source": "Kang et al. 2023, arXiv 2303.05511"},
    {"system": "SDXL-Turbo (ADD)", "family": "distilled diffusion (1–4 steps)", "seconds": 0.207, "image": "512²",
     "note": "on an A100", "source": "Sauer et al. 2023, arXiv 2311.17042"},
]
"""Cited seconds per image. Only systems with a latency stated in the course's fact list appear."""

CITED_FID = [
    {"system": "StyleGAN", "benchmark": "FFHQ 1024²", "fid": 4.40, "source": "Karras et al., arXiv 1812.04948"},
    {"system": "StyleGAN2", "benchmark": "FFHQ 1024²", "fid": 2.84, "source": "Karras et al., arXiv 1912.04958"},
    {"system": "StyleGAN-XL", "benchmark": "FFHQ 1024²", "fid": 2.02, "source": "Sauer et al., arXiv 2202.00273"},
    {"system": "BigGAN-deep", "benchmark": "ImageNet 256²", "fid": 6.95, "source": "Brock et al., arXiv 1809.11096"},
    {"system": "StyleGAN-XL", "benchmark": "ImageNet 256²", "fid": 2.30, "source": "Sauer et al., arXiv 2202.00273"},
    {"system": "BigGAN", "benchmark": "ImageNet 128²", "fid": 7.4, "source": "Brock et al., arXiv 1809.11096"},
]
"""Cited FIDs (lower is better). Compare only within one benchmark: different data, different scale.
BigGAN at 128² also reports an Inception Score of 166.5 (:data:`BIGGAN_128_IS`)."""

BIGGAN_128_IS = 166.5

TIMELINE = [
    ("GAN", "1406.2661", "the adversarial game (Goodfellow et al.)"),
    ("DCGAN", "1511.06434", "convolutional G and D that train reliably"),
    ("WGAN", "1701.07875", "Wasserstein distance, a critic instead of a classifier"),
    ("WGAN-GP", "1704.00028", "gradient penalty instead of weight clipping"),
    ("ProGAN", "1710.10196", "progressive growing, first 1024² faces"),
    ("SN-GAN", "1802.05957", "spectral normalisation"),
    ("BigGAN", "1809.11096", "class-conditional ImageNet at scale, truncation"),
    ("StyleGAN", "1812.04948", "mapping network, styles, noise inputs"),
    ("StyleGAN2", "1912.04958", "weight demodulation, path-length regularisation"),
    ("DDPM", "2006.11239", "denoising diffusion, many small steps"),
    ("StyleGAN3", "2106.12423", "alias-free generator"),
    ("StyleGAN-XL", "2202.00273", "StyleGAN scaled to ImageNet"),
    ("GigaGAN", "2303.05511", "1B-parameter text-to-image GAN"),
    ("ADD / SDXL-Turbo", "2311.17042", "diffusion distilled with an adversarial loss"),
]
"""``(name, arXiv id, what it brought)``. Years are arXiv years: see :func:`arxiv_year`."""


def arxiv_year(arxiv_id: str) -> int:
    """The year of a new-style arXiv identifier ``YYMM.NNNNN`` (e.g. ``"1406.2661"`` → 2014)."""
    if not isinstance(arxiv_id, str):
        raise TypeError(f"arxiv_year: expected an arXiv identifier string like '1406.2661'; got {type(arxiv_id).__name__}")
    head = arxiv_id.split(".", 1)[0]
    if len(head) != 4 or not head.isdigit() or not 1 <= int(head[2:]) <= 12:
        raise ValueError(f"expected an arXiv identifier like '1406.2661'; got {arxiv_id!r}")
    return 2000 + int(head[:2])


FAMILY_COLOURS = {"GAN (one pass)": "tab:red", "diffusion (exact denoiser)": "tab:blue",
                  "distilled diffusion (1–4 steps)": "tab:purple"}


def timeline_figure() -> plt.Figure:
    """The timeline of :data:`TIMELINE`, one row per paper at its arXiv year (GANs red, diffusion blue)."""
    fig, ax = plt.subplots(figsize=(10, 4.8))
    for row, (name, arxiv_id, what) in enumerate(TIMELINE):
        year = arxiv_year(arxiv_id)
        colour = "tab:blue" if name == "DDPM" else "tab:purple" if name.startswith("ADD") else "tab:red"
        ax.plot([2013.6, year], [row, row], color="lightgrey", lw=0.8, zorder=0)
        ax.plot(year, row, "o", color=colour, ms=7)
        ax.text(year + 0.18, row, f"{name}: {what}  (arXiv {arxiv_id})", va="center", fontsize=8, color=colour)
    ax.set_ylim(len(TIMELINE) - 0.4, -0.6)
    ax.set_xlim(2013.6, 2029.5)
    ax.set_xticks(range(2014, 2024))
    ax.set_yticks([])
    ax.set_xlabel("arXiv year of the paper")
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Milestones (red: GANs; blue: diffusion; purple: diffusion distilled with a GAN loss)", fontsize=10)
    fig.tight_layout()
    return fig


def fid_figure() -> plt.Figure:
    """The cited FIDs of :data:`CITED_FID`, one panel per benchmark (lower is better)."""
    benchmarks = list(dict.fromkeys(r["benchmark"] for r in CITED_FID))
    fig, axes = plt.subplots(1, len(benchmarks), figsize=(11, 2.6), sharex=True)
    for ax, bench in zip(axes, benchmarks):
        rows = [r for r in CITED_FID if r["benchmark"] == bench]
        names = [r["system"] for r in rows]
        values = [r["fid"] for r in rows]
        ax.barh(names, values, color="tab:red", alpha=0.75)
        for i, v in enumerate(values):
            ax.text(v + 0.1, i, f"{v:.2f}", va="center", fontsize=8)
        ax.invert_yaxis()
        ax.set_title(bench + (f" (IS {BIGGAN_128_IS})" if bench == "ImageNet 128²" else ""), fontsize=10)
        ax.set_xlabel("FID (cited; lower is better)")
    axes[0].set_xlim(0, 9)
    fig.suptitle("Cited FIDs: compare within a panel only", fontsize=10)
    fig.tight_layout()
    return fig


def measure_network_steps(net: nn.Module, z: torch.Tensor, step_counts: Sequence[int], warmup: int = 2,
                          repeats: int = 7, clock: Clock = time.perf_counter) -> dict[int, float]:
    """``{k: median seconds}`` for one pass (``k = 1``) and for ``k`` refinement passes of the same ``net``."""
    for k in step_counts:
        _require_count(k, "a step count", 1)
    out = {1: measure_latency(lambda: one_pass(net, z), warmup, repeats, clock)}
    for k in step_counts:
        if k != 1:
            out[k] = measure_latency(lambda k=k: iterative(net, z, k), warmup, repeats, clock)
    return out


def _require_points(points: object, name: str, need_diffusion: bool = False) -> None:
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence) or \
            not all(isinstance(p, TradeoffPoint) for p in points):
        raise TypeError(f"{name}: expected a list of TradeoffPoint (from measure_tradeoff); got {points!r:.80}")
    if need_diffusion and not any(p.family.startswith("diffusion") for p in points):
        raise ValueError(f"{name}: expected at least one diffusion TradeoffPoint (from measure_tradeoff); "
                         f"got {len(points)} point(s) with families {sorted({p.family for p in points})}")


def plot_tradeoff(points: Sequence[TradeoffPoint], highlight_steps: int | None = None,
                  axes: Sequence[plt.Axes] | None = None, show_cited: bool = True,
                  network_seconds: dict[int, float] | None = None,
                  time_label: str = "wall-clock time") -> list[plt.Axes]:
    """Left: quality against latency, measured here. Right: seconds per sample, measured and cited.

    ``network_seconds`` (from :func:`measure_network_steps`) adds solid bars for one pass and for
    ``highlight_steps`` passes of the same small network; cited systems are hatched. ``time_label``
    names the clock the measurements used (e.g. ``"CPU time"`` for ``time.process_time``).
    """
    _require_points(points, "plot_tradeoff points")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12.5, 4.2), gridspec_kw={"width_ratios": [1.4, 1]})
    ax, ax_speed = axes
    diff = sorted((p for p in points if p.family.startswith("diffusion")), key=lambda p: p.steps)
    gans = [p for p in points if p.family.startswith("GAN")]
    if diff:
        ax.plot([p.seconds * 1e3 for p in diff], [100 * p.high_quality for p in diff], "-o",
                color=FAMILY_COLOURS["diffusion (exact denoiser)"], label="diffusion sampler, k steps (measured)")
        for p in diff:
            ax.annotate(f"{p.steps}", (p.seconds * 1e3, 100 * p.high_quality), textcoords="offset points",
                        xytext=(5, 4), fontsize=7, color="tab:blue")
    for p in gans:
        ax.plot(p.seconds * 1e3, 100 * p.high_quality, "*", ms=14, color=FAMILY_COLOURS["GAN (one pass)"],
                label=f"trained GAN, one pass (measured): {p.modes}/8 modes")
    if highlight_steps is not None:
        chosen = [p for p in diff if p.steps == highlight_steps]
        if chosen:
            p = chosen[0]
            ax.plot(p.seconds * 1e3, 100 * p.high_quality, "o", ms=14, mfc="none", mec="black", mew=2,
                    label=f"{p.steps} steps: {p.seconds * 1e3:.1f} ms, {100 * p.high_quality:.0f} % on a mode")
    ax.set_xscale("log")
    ax.set_ylim(-3, 103)
    ax.set_xlabel(f"milliseconds ({time_label}) for the whole batch on this machine, log scale")
    ax.set_ylabel("samples within 3 std of a mode (%)")
    ax.set_title("Measured here: ring of 8, quality against sampling time", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)

    ax_speed.clear()
    names, seconds, colours, hatches = [], [], [], []
    if network_seconds:
        k = highlight_steps if highlight_steps in network_seconds else max(network_seconds)
        for steps in sorted({1, k}):
            names.append(f"small MLP, {steps} pass{'es' if steps > 1 else ''}\n(measured here: CPU, {time_label})")
            seconds.append(network_seconds[steps])
            colours.append("tab:red" if steps == 1 else "tab:blue")
            hatches.append("")
    if show_cited:
        for r in CITED_LATENCY:
            names.append(f"{r['system']}, {r['image']}\n(cited: {r['note']})")
            seconds.append(r["seconds"])
            colours.append(FAMILY_COLOURS[r["family"]])
            hatches.append("//")
    if names:
        bars = ax_speed.barh(names, seconds, color=colours, alpha=0.8, edgecolor="white")
        for bar, hatch in zip(bars, hatches):
            bar.set_hatch(hatch)
        for i, sec in enumerate(seconds):
            text = f"{sec * 1e3:.3g} ms" if sec < 1 else f"{sec:.3g} s"
            ax_speed.text(sec * 1.15, i, text, va="center", fontsize=8)
        ax_speed.set_xscale("log")
        ax_speed.set_xlim(min(seconds) / 3, max(seconds) * 12)
        ax_speed.invert_yaxis()
        ax_speed.tick_params(axis="y", labelsize=8)
    ax_speed.set_xlabel("seconds per call (log scale)")
    ax_speed.set_title("Speed: measured here (solid), cited (hatched)", fontsize=10)
    return list(axes)


def tradeoff_widget(points: Sequence[TradeoffPoint], network_seconds: dict[int, float] | None = None,
                    time_label: str = "wall-clock time"):
    """A slider over the measured step counts and a checkbox for the cited systems."""
    import ipywidgets as widgets

    _require_points(points, "tradeoff_widget points", need_diffusion=True)
    steps = sorted({p.steps for p in points if p.family.startswith("diffusion")})
    slider = widgets.SelectionSlider(options=steps, value=steps[-1], description="steps k")
    cited = widgets.Checkbox(value=True, description="show cited systems")
    out = widgets.Output()

    def redraw(_change=None) -> None:
        fig, axes = plt.subplots(1, 2, figsize=(12.5, 4.2), gridspec_kw={"width_ratios": [1.4, 1]})
        plot_tradeoff(points, slider.value, axes, show_cited=cited.value, network_seconds=network_seconds,
                      time_label=time_label)
        fig.tight_layout()
        show_in(out, fig)

    slider.observe(redraw, names="value")
    cited.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([slider, cited]), out])


def show_tradeoff(points: Sequence[TradeoffPoint], network_seconds: dict[int, float] | None = None,
                  static_steps: int | None = None, time_label: str = "wall-clock time") -> None:
    """The interactive with a front end; without one, a static figure highlighting ``static_steps``
    (default: the largest measured step count)."""
    from IPython.display import display

    _require_points(points, "show_tradeoff points", need_diffusion=front_end_attached())
    if not points:
        raise ValueError("show_tradeoff points: expected at least one TradeoffPoint (from measure_tradeoff); got none")
    if front_end_attached():
        display(tradeoff_widget(points, network_seconds, time_label))
    else:
        if static_steps is None:
            static_steps = max(p.steps for p in points)
        fig, axes = plt.subplots(1, 2, figsize=(12.5, 4.2), gridspec_kw={"width_ratios": [1.4, 1]})
        plot_tradeoff(points, static_steps, axes, network_seconds=network_seconds, time_label=time_label)
        fig.tight_layout()
        display(fig)
        plt.close(fig)


def ratio_report(one_pass_s: float, iterative_s: float, ratio: float, steps: int) -> str:
    """One line that states a measured latency ratio honestly."""
    for value, name in ((one_pass_s, "one_pass_s"), (iterative_s, "iterative_s"), (ratio, "ratio")):
        _require_number(value, f"ratio_report {name} (the latencies and the ratio must be finite numbers)")
    _require_count(steps, "ratio_report steps", 1)
    return (f"one pass: {one_pass_s * 1e3:.3f} ms; {steps} refinement passes of the same network: "
            f"{iterative_s * 1e3:.2f} ms; ratio {ratio:.1f} (median of repeated timings on this machine)")
