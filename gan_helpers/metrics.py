"""Metrics for GANs: collapse diagnostics, mode coverage, Fréchet distance, JSD, 1-D Wasserstein, precision/recall.

What each metric answers
------------------------
* :func:`pairwise_distance_stats` / :func:`collapse_ratio` — *are the samples as spread out as the
  data?* The mean distance between two generated samples, divided by the same statistic on real
  data: ≈ 1 when healthy, ≪ 1 under collapse. Always compare with real data: a small spread means
  nothing on its own (a dataset can be tight), and "std of distances ≈ 0" is not the test.
* :func:`mode_coverage` — for the 2-D toys (ring of 8, grid of 25) whose modes are known: how many
  modes are captured, what fraction of samples is high quality, and the reverse KL between the
  histogram of samples over modes and the uniform distribution (protocol below).
* :func:`frechet_distance` — the squared Fréchet (2-Wasserstein) distance between two Gaussians.
  Fitted to Inception-v3 features it is FID (Heusel et al. 2017); fitted to the features of the
  course's own digits classifier it is the course's digits FID
  (:mod:`gan_helpers.digits_classifier`), comparable only within the course. 0 means identical
  Gaussian *fits*, not identical distributions.
* :func:`jsd` and :func:`wasserstein_1d` — the two divergences of chapters 2, 4 and 5, between
  discrete distributions and between 1-D samples.
* :func:`precision_recall` — the improved precision and recall of Kynkäänniemi et al. 2019: quality
  (fakes that land on the real manifold) and coverage (reals that land on the fake manifold),
  separately.

Mode-coverage protocol (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2017)
--------------------------------------------------------------------------------
Draw samples (the papers use 2,500), assign each to its nearest centre, and call it *high quality*
if it lies within ``quality_threshold = 3`` standard deviations of that centre. A mode is
*captured* when at least ``min_count`` high-quality samples fall in it; the default ``min_count = 1``
is what the official PacGAN code does (``fjxmlzn/PacGAN``, file
``synthetic_data_experiments/PacGAN/pacgan/extensions.py``, ``MetricLogger``, commit b331f4f: a
mode counts when its count of samples within 3 std is non-zero). Pass a larger ``min_count`` (for
example a fifth of the expected count per mode, 20 of 2,500 on the grid) for a stricter test that
ignores a few stray samples. The reverse KL is ``KL(q ‖ u)`` with ``q`` the histogram of the
*high-quality* samples over the modes (the same histogram the official code builds) and ``u``
uniform: ``Σ_k q_k log(K q_k) = log K − H(q)``, with ``0 log 0 = 0``. It is 0 for a perfectly
balanced generator, ``log(K/m)`` for one that covers ``m`` modes equally, and at most ``log K``.
Reverse rather than forward KL because ``KL(u ‖ q)`` is infinite as soon as one mode is missing.
A perfect sampler scores 1 − e^(−4.5) ≈ 98.9 % high quality: that much of a 2-D isotropic
Gaussian's mass lies within 3 standard deviations of its mean.

Usage::

    from gan_helpers import data, metrics
    fake = generator(torch.randn(2500, 2))                      # [2500, 2]
    metrics.mode_coverage(fake, data.grid25_centres(), data.GRID25_STD)
    # {'modes_captured': 25, 'high_quality_fraction': 0.97, 'reverse_kl': 0.004, 'counts': tensor([...])}
    metrics.collapse_ratio(fake, data.grid25(2500))             # ≈ 1.0 when healthy
    metrics.frechet_distance_from_features(f_real, f_fake)      # [N, D] and [M, D] features
"""

from __future__ import annotations

import math
from typing import Union

import numpy as np
import torch

from gan_helpers.validate import require_positive_int, require_values

ArrayLike = Union[torch.Tensor, np.ndarray]  # either is accepted wherever this appears


# ----------------------------------------------------------------------------------------------
# input helpers
# ----------------------------------------------------------------------------------------------

def _to_numpy64(x: object, name: str) -> np.ndarray:
    """Tensor, array or nested list → float64 numpy array; raise ``TypeError`` on anything else."""
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name}: expected real numbers; got dtype {x.dtype}")
        require_values(x, name)
        return x.detach().to("cpu", torch.float64).numpy()
    if isinstance(x, (np.ndarray, list, tuple, float, int)) and not isinstance(x, bool):
        arr = np.asarray(x)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name}: expected numbers; got an array of dtype {arr.dtype}")
        if np.iscomplexobj(arr):
            raise TypeError(f"{name}: expected real numbers; got dtype {arr.dtype}")
        return arr.astype(np.float64)
    raise TypeError(f"{name}: expected a torch.Tensor or numpy array; got {type(x).__name__}")


def _require_finite(x: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: expected finite values; got NaN or inf")


def _features_2d(x: object, name: str, min_rows: int = 1) -> np.ndarray:
    """A ``[N, D]`` float64 feature matrix with at least ``min_rows`` rows."""
    arr = _to_numpy64(x, name)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array of features [N, D]; got shape {list(arr.shape)}")
    if arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(f"{name}: expected at least {min_rows} rows and 1 column [N ≥ {min_rows}, D ≥ 1]; "
                         f"got shape {list(arr.shape)}")
    _require_finite(arr, name)
    return arr


def _as_float_tensor(x: object, name: str) -> torch.Tensor:
    """Tensor (any float dtype, any device) or numpy array → floating tensor, on the input's device."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(_to_numpy64(x, name))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor or numpy array; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor; got dtype {x.dtype}")
    return require_values(x, name)


# ----------------------------------------------------------------------------------------------
# collapse diagnostics (chapter 4)
# ----------------------------------------------------------------------------------------------

def pairwise_distance_stats(x: torch.Tensor, max_samples: int = 2000) -> dict[str, float]:
    """Mean and standard deviation of the Euclidean distance between every pair of samples.

    Args:
        x: ``[N, D...]`` samples (N ≥ 2); trailing dimensions are flattened, so images
            ``[N, C, H, W]`` work directly.
        max_samples: use at most this many samples, evenly spaced through the batch (the number of
            pairs grows as N²/2; 2,000 samples give about 2 million pairs).

    Returns:
        ``{"mean": float, "std": float}`` over the ``n (n - 1) / 2`` distinct pairs.

    A collapsed generator has a mean pairwise distance far below that of real data; compare with
    :func:`collapse_ratio` rather than reading the number alone.
    """
    x = _as_float_tensor(x, "x")
    require_positive_int(max_samples, "max_samples")
    if x.dim() < 2 or x.shape[0] < 2:
        raise ValueError(f"x: expected at least 2 samples of shape [N ≥ 2, D...]; got {list(x.shape)}")
    if max_samples < 2:
        raise ValueError(f"max_samples: expected at least 2; got {max_samples}")
    n = x.shape[0]
    if n > max_samples:  # evenly spaced indices: deterministic, and not biased to the batch's start
        idx = torch.linspace(0, n - 1, max_samples, device=x.device).round().long()
        x = x[idx]
    flat = x.reshape(x.shape[0], -1).double()                     # [n, D]
    if not torch.isfinite(flat).all():
        raise ValueError("x: expected finite values; got NaN or inf")
    d = torch.pdist(flat)                                         # [n (n - 1) / 2]
    return {"mean": d.mean().item(), "std": d.std(unbiased=False).item()}


def collapse_ratio(fake: torch.Tensor, real: torch.Tensor, max_samples: int = 2000) -> float:
    """Mean pairwise distance of ``fake`` divided by that of ``real``: ≈ 1 healthy, ≪ 1 collapse.

    Args:
        fake: ``[N, D...]`` generated samples (N ≥ 2).
        real: ``[M, D...]`` real samples with the same trailing shape (M ≥ 2).
        max_samples: passed to :func:`pairwise_distance_stats` for each set.

    Returns:
        the ratio as a float. On the grid of 25 a generator collapsed onto one mode scores about
        0.03 (σ√π = 0.09 within a mode against ≈ 3.3 across the grid), and one that samples the data
        distribution scores 1 up to noise. It sees *diversity*, not quality: samples spread evenly
        over the whole plane also score ≈ 1 or more, which is what :func:`mode_coverage`'s
        high-quality fraction catches.
    """
    fake = _as_float_tensor(fake, "fake")
    real = _as_float_tensor(real, "real")
    if fake.shape[1:] != real.shape[1:]:
        raise ValueError(f"fake and real must have the same sample shape; got fake {list(fake.shape)} "
                         f"and real {list(real.shape)} (expected [N, *S] and [M, *S])")
    real_mean = pairwise_distance_stats(real, max_samples)["mean"]
    if real_mean == 0:
        raise ValueError("real: every real sample is identical (mean pairwise distance 0); the ratio is undefined")
    return pairwise_distance_stats(fake, max_samples)["mean"] / real_mean


def mode_coverage(samples: torch.Tensor, centres: torch.Tensor, std: float,
                  quality_threshold: float = 3.0, min_count: int = 1) -> dict[str, object]:
    """Mode coverage of samples from a mixture of isotropic Gaussians with known centres.

    See the module docstring for the protocol and its sources (VEEGAN, PacGAN).

    Args:
        samples: ``[N, 2]`` generated points (any ``[N, d]`` works; the toys are 2-D).
        centres: ``[K, 2]`` mode centres, e.g. :func:`gan_helpers.data.grid25_centres`.
        std: the standard deviation of each mode (``data.GRID25_STD = 0.05``, ``data.RING8_STD = 0.02``).
        quality_threshold: a sample is high quality if within ``quality_threshold * std`` of its
            nearest centre (3 in the literature).
        min_count: a mode is captured if at least this many high-quality samples fall in it (1 in the
            official PacGAN code; larger values make a stricter test).

    Returns:
        a dict with

        * ``"modes_captured"`` (int): modes holding ≥ ``min_count`` high-quality samples;
        * ``"high_quality_fraction"`` (float): high-quality samples / N;
        * ``"reverse_kl"`` (float): ``KL(q ‖ uniform)`` in nats over the high-quality histogram
          ``q`` (``nan`` when there is no high-quality sample at all);
        * ``"counts"`` (``[K]`` int64 tensor, on the CPU): high-quality samples per mode.
    """
    samples = _as_float_tensor(samples, "samples")
    centres = _as_float_tensor(centres, "centres")
    if samples.dim() != 2 or samples.shape[0] < 1:
        raise ValueError(f"samples: expected shape [N, 2] (N ≥ 1); got {list(samples.shape)}")
    if centres.dim() != 2 or centres.shape[0] < 1:
        raise ValueError(f"centres: expected shape [K, 2] (K ≥ 1); got {list(centres.shape)}")
    if samples.shape[1] != centres.shape[1]:
        raise ValueError(f"samples and centres must have the same dimension: samples {list(samples.shape)}, "
                         f"centres {list(centres.shape)} (expected [N, d] and [K, d])")
    if isinstance(std, bool) or not isinstance(std, (int, float)) or not std > 0 or not math.isfinite(std):
        raise ValueError(f"std: expected a positive number; got {std!r}")
    if isinstance(quality_threshold, bool) or not isinstance(quality_threshold, (int, float)) \
            or not quality_threshold > 0:
        raise ValueError("quality_threshold: expected a positive number of standard deviations; "
                         f"got {quality_threshold!r}")
    require_positive_int(min_count, "min_count")
    x = samples.detach().double().cpu()                            # [N, d]
    c = centres.detach().double().cpu()                            # [K, d]
    if not torch.isfinite(x).all():
        raise ValueError("samples: expected finite values; got NaN or inf")
    k = c.shape[0]
    dist = torch.cdist(x, c)                                       # [N, K]
    nearest_dist, nearest = dist.min(dim=1)                        # [N], [N]
    high_quality = nearest_dist <= quality_threshold * std         # [N] bool
    counts = torch.bincount(nearest[high_quality], minlength=k)    # [K] int64
    total = int(counts.sum())
    if total == 0:
        reverse_kl = float("nan")
    else:
        q = counts.double() / total                                # [K]
        nz = q > 0
        reverse_kl = float((q[nz] * torch.log(q[nz] * k)).sum())   # Σ q log(q / (1/K))
    return {
        "modes_captured": int((counts >= min_count).sum()),
        "high_quality_fraction": float(high_quality.double().mean()),
        "reverse_kl": reverse_kl,
        "counts": counts,
    }


# ----------------------------------------------------------------------------------------------
# Fréchet distance (FID)
# ----------------------------------------------------------------------------------------------

def _check_mean_cov(mu: np.ndarray, sigma: np.ndarray, name_mu: str, name_sigma: str) -> np.ndarray:
    """Validate a mean ``[D]`` and covariance ``[D, D]``; return the symmetrised covariance."""
    if mu.ndim != 1:
        raise ValueError(f"{name_mu}: expected a mean vector of shape [D]; got shape {list(mu.shape)}")
    if sigma.ndim != 2 or sigma.shape[0] != sigma.shape[1]:
        raise ValueError(f"{name_sigma}: expected a square covariance matrix [D, D]; got shape {list(sigma.shape)}")
    if sigma.shape[0] != mu.shape[0]:
        raise ValueError(f"{name_sigma}: expected shape [{mu.shape[0]}, {mu.shape[0]}] to match {name_mu} "
                         f"of shape [{mu.shape[0]}]; got {list(sigma.shape)}")
    _require_finite(mu, name_mu)
    _require_finite(sigma, name_sigma)
    scale = max(1.0, float(np.abs(sigma).max(initial=0.0)))
    if np.abs(sigma - sigma.T).max(initial=0.0) > 1e-6 * scale:
        raise ValueError(f"{name_sigma}: expected a symmetric covariance matrix; "
                         f"max |Σ - Σᵀ| = {np.abs(sigma - sigma.T).max():.3g}")
    return (sigma + sigma.T) / 2


def _clip_rounding(w: np.ndarray) -> np.ndarray:
    """Set eigenvalues below the resolution of a float64 eigensolver (``D · eps · λ_max``) to 0.

    Their computed values are rounding noise of either sign; left in, ``√noise ≈ 1e-8 · scale``
    would leak into the trace term of singular covariances.
    """
    resolution = w.size * np.finfo(np.float64).eps * float(np.abs(w).max(initial=0.0))
    return np.where(w > resolution, w, 0.0)


def _require_psd(w: np.ndarray, name: str) -> None:
    """Raise unless the eigenvalues ``w`` of a covariance are ≥ 0 up to rounding."""
    tol = 1e-8 * max(1.0, float(np.abs(w).max(initial=0.0)))
    if w.size and w.min() < -tol:
        raise ValueError(f"{name}: expected a positive semi-definite covariance matrix; "
                         f"its smallest eigenvalue is {w.min():.3g}")


def frechet_distance(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> float:
    """Squared Fréchet distance between ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``.

    .. math::
        d^2 = \\lVert \\mu_1 - \\mu_2 \\rVert^2
              + \\operatorname{Tr}\\big(\\Sigma_1 + \\Sigma_2 - 2 (\\Sigma_1^{1/2} \\Sigma_2 \\Sigma_1^{1/2})^{1/2}\\big)

    Computed in float64 with symmetric eigen-decompositions (no ``scipy.linalg.sqrtm``):
    ``Σ1^{1/2} = V diag(√λ) Vᵀ`` from ``Σ1 = V diag(λ) Vᵀ``, then the trace term is the sum of the
    square roots of the eigenvalues of the symmetric PSD matrix ``Σ1^{1/2} Σ2 Σ1^{1/2}``. Rounding
    makes the zero eigenvalues of singular matrices come out as tiny numbers of either sign;
    eigenvalues below the solver's resolution (``D · eps · λ_max``) are set to 0, so
    singular and near-singular covariances (fewer samples than dimensions, dead features) give a
    finite, correct answer. The result is clipped at 0 for the same reason.

    Args:
        mu1, mu2: ``[D]`` means (tensors or numpy arrays, any float dtype).
        sigma1, sigma2: ``[D, D]`` symmetric positive semi-definite covariances.

    Returns:
        ``d²`` as a Python float (FID is this number, not its square root).
    """
    m1, s1 = _to_numpy64(mu1, "mu1"), _to_numpy64(sigma1, "sigma1")
    m2, s2 = _to_numpy64(mu2, "mu2"), _to_numpy64(sigma2, "sigma2")
    s1 = _check_mean_cov(m1, s1, "mu1", "sigma1")
    s2 = _check_mean_cov(m2, s2, "mu2", "sigma2")
    if m1.shape != m2.shape:
        raise ValueError(f"mu1 and mu2 must have the same dimension; got [{m1.shape[0]}] and [{m2.shape[0]}]")
    w1, v1 = np.linalg.eigh(s1)                                    # Σ1 = V diag(λ) Vᵀ
    _require_psd(w1, "sigma1")
    _require_psd(np.linalg.eigvalsh(s2), "sigma2")
    sqrt_s1 = (v1 * np.sqrt(_clip_rounding(w1))) @ v1.T            # [D, D] Σ1^{1/2}
    middle = sqrt_s1 @ s2 @ sqrt_s1                                # [D, D] Σ1^{1/2} Σ2 Σ1^{1/2}
    middle = (middle + middle.T) / 2                               # symmetric up to rounding
    tr_covmean = np.sqrt(_clip_rounding(np.linalg.eigvalsh(middle))).sum()
    diff = m1 - m2
    d2 = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    return max(d2, 0.0)


def fit_gaussian(features: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of ``features [N, D]`` (N ≥ 2), in float64.

    Returns ``(mu [D], sigma [D, D])`` as numpy arrays; the covariance is the unbiased estimate
    (divides by N − 1), as in the reference FID code.
    """
    f = _features_2d(features, "features", min_rows=2)
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False))


def frechet_distance_from_features(features1: ArrayLike, features2: ArrayLike) -> float:
    """:func:`frechet_distance` between Gaussians fitted to ``features1 [N, D]`` and ``features2 [M, D]``."""
    f1 = _features_2d(features1, "features1", min_rows=2)
    f2 = _features_2d(features2, "features2", min_rows=2)
    if f1.shape[1] != f2.shape[1]:
        raise ValueError(f"features1 and features2 must have the same feature dimension; got "
                         f"{list(f1.shape)} and {list(f2.shape)} (expected [N, D] and [M, D])")
    return frechet_distance(*fit_gaussian(f1), *fit_gaussian(f2))


# ----------------------------------------------------------------------------------------------
# divergences (chapters 2, 4, 5)
# ----------------------------------------------------------------------------------------------

def _distribution(p: object, name: str) -> np.ndarray:
    arr = _to_numpy64(p, name)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a 1-D probability vector [K] (K ≥ 1); got shape {list(arr.shape)}")
    _require_finite(arr, name)
    if arr.min() < 0:
        raise ValueError(f"{name}: probabilities must be non-negative; got a minimum of {arr.min():.3g}")
    if abs(arr.sum() - 1.0) > 1e-5:
        raise ValueError(f"{name}: probabilities must sum to 1; got a sum of {arr.sum():.6g} "
                         f"(divide counts by their total first)")
    return arr


def jsd(p: ArrayLike, q: ArrayLike) -> float:
    """Jensen–Shannon divergence between two discrete distributions, in nats.

    .. math::
        \\mathrm{JSD}(p, q) = \\tfrac12 \\mathrm{KL}(p \\,\\|\\, m) + \\tfrac12 \\mathrm{KL}(q \\,\\|\\, m),
        \\qquad m = \\tfrac12 (p + q),

    with ``0 log 0 = 0``. It lies in ``[0, ln 2]``: 0 iff ``p = q``, ``ln 2`` iff the supports are
    disjoint. Example (chapter 4): ``p = [½, ½]`` (two modes), ``q = [1, 0]`` (collapsed) gives
    ``½·½ ln(4/3) + ½ ln(4/3) = ¾ ln(4/3) ≈ 0.2158``.

    Args:
        p, q: ``[K]`` probability vectors (tensors, arrays or lists). Both must be non-negative and
            sum to 1 (within 1e-5): unnormalised input, such as raw counts, is rejected rather than
            silently normalised, so a forgotten division shows up as an error.

    Returns:
        the divergence as a Python float.
    """
    p_, q_ = _distribution(p, "p"), _distribution(q, "q")
    if p_.shape != q_.shape:
        raise ValueError(f"p and q must have the same number of outcomes; got [{p_.size}] and [{q_.size}]")
    m = 0.5 * (p_ + q_)

    def kl_to_m(a: np.ndarray) -> float:
        nz = a > 0                                                 # where a > 0, m ≥ a/2 > 0
        return float((a[nz] * np.log(a[nz] / m[nz])).sum())

    return min(max(0.5 * kl_to_m(p_) + 0.5 * kl_to_m(q_), 0.0), math.log(2))


def wasserstein_1d(u_samples: ArrayLike, v_samples: ArrayLike) -> float:
    """Exact Wasserstein-1 (earth mover's) distance between two 1-D empirical distributions.

    Each sample set is an equally weighted empirical distribution (sizes may differ). In 1-D,
    ``W1(u, v) = ∫ |F_u(x) − F_v(x)| dx`` with ``F`` the empirical CDFs; between consecutive points
    of the merged, sorted samples both CDFs are constant, so the integral is an exact finite sum.
    Matches ``scipy.stats.wasserstein_distance``.

    Args:
        u_samples: ``[N]`` samples (tensor, array or list; N ≥ 1).
        v_samples: ``[M]`` samples (M ≥ 1).

    Returns:
        the distance as a Python float, in the units of the samples.
    """
    u = _to_numpy64(u_samples, "u_samples")
    v = _to_numpy64(v_samples, "v_samples")
    for arr, name in ((u, "u_samples"), (v, "v_samples")):
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"{name}: expected a 1-D array of samples [N] (N ≥ 1); got shape {list(arr.shape)}")
        _require_finite(arr, name)
    u, v = np.sort(u), np.sort(v)
    points = np.sort(np.concatenate([u, v]))                       # [N + M]
    widths = np.diff(points)                                       # [N + M - 1]
    cdf_u = np.searchsorted(u, points[:-1], side="right") / u.size  # F_u on each interval
    cdf_v = np.searchsorted(v, points[:-1], side="right") / v.size
    return float(np.sum(np.abs(cdf_u - cdf_v) * widths))


# ----------------------------------------------------------------------------------------------
# precision and recall (Kynkäänniemi et al. 2019)
# ----------------------------------------------------------------------------------------------

def _kth_neighbour_radius(x: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    """``[N]`` distance from each row of ``x [N, D]`` to its k-th nearest *other* row."""
    radii = []
    for start in range(0, x.shape[0], chunk):
        d = torch.cdist(x[start:start + chunk], x)                 # [c, N]; includes self at 0
        radii.append(d.kthvalue(k + 1, dim=1).values)              # k + 1 skips the point itself
    return torch.cat(radii)


def _inside_manifold(queries: torch.Tensor, support: torch.Tensor, radii: torch.Tensor, chunk: int) -> torch.Tensor:
    """``[Q]`` bool: does each query fall in at least one ball ``B(support_i, radii_i)``?"""
    inside = []
    for start in range(0, queries.shape[0], chunk):
        d = torch.cdist(queries[start:start + chunk], support)     # [c, S]
        inside.append((d <= radii.unsqueeze(0)).any(dim=1))
    return torch.cat(inside)


def precision_recall(real_features: ArrayLike, fake_features: ArrayLike, k: int = 3,
                     chunk: int = 1024) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al., NeurIPS 2019) with k-NN manifolds.

    The real manifold is the union of balls around every real feature vector, each with radius the
    distance to its k-th nearest real neighbour; likewise for the fakes. Then

    * precision = fraction of fakes inside the real manifold (sample quality);
    * recall = fraction of reals inside the fake manifold (coverage of the data).

    A collapsed generator has high precision and low recall; a blurry one the reverse.

    Args:
        real_features: ``[N, D]`` features of real samples (N > k).
        fake_features: ``[M, D]`` features of generated samples (M > k).
        k: the neighbourhood size (3 in the paper).
        chunk: rows per distance block (memory ~ chunk × max(N, M) floats).

    Returns:
        ``{"precision": float, "recall": float}``, each in ``[0, 1]``.
    """
    require_positive_int(k, "k")
    require_positive_int(chunk, "chunk")
    real = torch.from_numpy(_features_2d(real_features, "real_features"))
    fake = torch.from_numpy(_features_2d(fake_features, "fake_features"))
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real_features and fake_features must have the same feature dimension; got "
                         f"{list(real.shape)} and {list(fake.shape)} (expected [N, D] and [M, D])")
    for t, name in ((real, "real_features"), (fake, "fake_features")):
        if t.shape[0] <= k:
            raise ValueError(f"{name}: expected more than k = {k} rows to find k nearest neighbours; "
                             f"got shape {list(t.shape)}")
    real_radii = _kth_neighbour_radius(real, k, chunk)             # [N]
    fake_radii = _kth_neighbour_radius(fake, k, chunk)             # [M]
    precision = _inside_manifold(fake, real, real_radii, chunk).double().mean().item()
    recall = _inside_manifold(real, fake, fake_radii, chunk).double().mean().item()
    return {"precision": precision, "recall": recall}
