"""gan_helpers.metrics against closed forms, scipy, and the toy datasets of gan_helpers.data."""

import math

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats
import torch

from gan_helpers import data
from gan_helpers.metrics import (
    collapse_ratio,
    fit_gaussian,
    frechet_distance,
    frechet_distance_from_features,
    jsd,
    mode_coverage,
    pairwise_distance_stats,
    precision_recall,
    wasserstein_1d,
)

# Within 3 std of an isotropic 2-D Gaussian lies 1 - exp(-9/2) of its mass (the radius² is
# chi-square with 2 degrees of freedom, whose CDF is 1 - exp(-r²/2)).
INSIDE_3_STD = 1 - math.exp(-4.5)


def _random_orthogonal(d: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _random_spd(d: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(s)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


# ---------------------------------------------------------------------------------- Fréchet

def test_frechet_identical_gaussians_is_zero():
    mu, sigma = np.random.default_rng(0).normal(size=6), _random_spd(6, 1)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)


def test_frechet_mean_shift_with_identity_covariances_is_squared_norm():
    mu = np.array([1.0, -2.0, 0.5, 3.0])
    eye = np.eye(4)
    assert frechet_distance(np.zeros(4), eye, mu, eye) == pytest.approx(float(mu @ mu), rel=1e-12)


def test_frechet_2x2_diagonal_by_hand():
    # Tr(Σ1 + Σ2 - 2 (Σ1^½ Σ2 Σ1^½)^½) = (1 + 4) + (4 + 1) - 2 (√(1·4) + √(4·1)) = 10 - 8 = 2
    d = frechet_distance(np.zeros(2), np.diag([1.0, 4.0]), np.zeros(2), np.diag([4.0, 1.0]))
    assert d == pytest.approx(2.0, rel=1e-12)


def test_frechet_rank_one_covariances_closed_form():
    # Σ1 = v vᵀ, Σ2 = w wᵀ: Σ1^½ Σ2 Σ1^½ = (v·w)² v vᵀ / |v|², whose one eigenvalue is (v·w)²,
    # so d² = |v|² + |w|² - 2 |v·w|.
    v, w = np.array([1.0, 2.0, -1.0]), np.array([0.5, -1.0, 3.0])
    expected = v @ v + w @ w - 2 * abs(v @ w)
    d = frechet_distance(np.zeros(3), np.outer(v, v), np.zeros(3), np.outer(w, w))
    assert math.isfinite(d)
    assert d == pytest.approx(expected, rel=1e-9)
    # a point mass against a rank-1 Gaussian: only the trace of Σ2 remains
    assert frechet_distance(np.zeros(3), np.zeros((3, 3)), np.zeros(3), np.outer(w, w)) == pytest.approx(w @ w)


def test_frechet_near_singular_commuting_covariances_match_float64_closed_form():
    # Σ1 = Q diag(a) Qᵀ and Σ2 = Q diag(b) Qᵀ commute, so the trace term is Σ (√a - √b)².
    q = _random_orthogonal(8, 3)
    a = np.array([5.0, 2.0, 1.0, 1e-3, 1e-6, 1e-9, 1e-12, 0.0])
    b = np.array([1.0, 3.0, 1e-12, 1e-3, 4e-6, 0.0, 1e-12, 1e-9])
    expected = float(np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))
    d = frechet_distance(np.zeros(8), q @ np.diag(a) @ q.T, np.zeros(8), q @ np.diag(b) @ q.T)
    assert d == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_frechet_rank_deficient_features_agree_with_nuclear_norm_reference():
    # 10 samples in 32 dimensions: both covariances have rank ≤ 9. An independent route to the trace
    # term: Tr((Σ1^½ Σ2 Σ1^½)^½) is the sum of the singular values of Σ1^½ Σ2^½.
    rng = np.random.default_rng(4)
    f1, f2 = rng.normal(size=(10, 32)), rng.normal(size=(10, 32)) + 0.3
    (m1, s1), (m2, s2) = fit_gaussian(f1), fit_gaussian(f2)
    nuclear = np.linalg.svd(_psd_sqrt(s1) @ _psd_sqrt(s2), compute_uv=False).sum()
    expected = float((m1 - m2) @ (m1 - m2) + np.trace(s1) + np.trace(s2) - 2 * nuclear)
    d = frechet_distance_from_features(f1, f2)
    assert math.isfinite(d) and d > 0
    assert d == pytest.approx(expected, rel=1e-8)
    assert frechet_distance_from_features(f2, f1) == pytest.approx(d, rel=1e-8)  # symmetric


def test_frechet_matches_sqrtm_reference_on_well_conditioned_covariances():
    import scipy.linalg

    s1, s2 = _random_spd(5, 5), _random_spd(5, 6)
    mu1, mu2 = np.arange(5.0), np.ones(5)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real  # the classic formula, fine when well conditioned
    expected = float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1 + s2 - 2 * covmean))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-8)


def test_frechet_accepts_float32_tensors():
    mu = torch.tensor([3.0, 4.0])
    eye = torch.eye(2)
    assert frechet_distance(torch.zeros(2), eye, mu, eye) == pytest.approx(25.0, rel=1e-6)


def test_fid_from_features_small_for_same_gaussian_and_grows_with_shift():
    g = torch.Generator().manual_seed(0)
    d = 8
    base = torch.randn(4000, d, generator=g)
    same = frechet_distance_from_features(base, torch.randn(4000, d, generator=g))
    shifted = [frechet_distance_from_features(base, torch.randn(4000, d, generator=g) + s) for s in (0.5, 1.0, 2.0)]
    # two fits of N(0, I_8) from 4,000 points each differ by O(d²/N) ≈ 0.02
    assert 0 <= same < 0.05
    assert shifted[0] < shifted[1] < shifted[2]
    for value, s in zip(shifted, (0.5, 1.0, 2.0)):
        # ‖s·1 + δ‖² with δ ~ N(0, 2/N · I): the cross term 2 s·1ᵀδ has standard deviation 2 s √(2d/N)
        tolerance = 4 * 2 * s * math.sqrt(2 * d / 4000) + 0.05
        assert value == pytest.approx(d * s * s, abs=tolerance), f"shift {s}: expected ≈ {d * s * s}, got {value}"
    # the same sample shifted: equal covariances, so exactly the squared norm of the shift
    assert frechet_distance_from_features(base, base + 0.5) == pytest.approx(d * 0.25, rel=1e-9)


def test_fit_gaussian_matches_numpy():
    f = np.random.default_rng(7).normal(size=(50, 3))
    mu, sigma = fit_gaussian(torch.from_numpy(f).float())
    np.testing.assert_allclose(mu, f.mean(0), atol=1e-6)
    np.testing.assert_allclose(sigma, np.cov(f, rowvar=False), atol=1e-6)


def test_frechet_bad_input_errors():
    eye2, eye3 = np.eye(2), np.eye(3)
    with pytest.raises(ValueError, match=r"sigma1: expected a square covariance matrix \[D, D\]; got shape \[2, 3\]"):
        frechet_distance(np.zeros(2), np.ones((2, 3)), np.zeros(2), eye2)
    with pytest.raises(ValueError, match=r"sigma2: expected shape \[2, 2\] to match mu2 of shape \[2\]; got \[3, 3\]"):
        frechet_distance(np.zeros(2), eye2, np.zeros(2), eye3)
    with pytest.raises(ValueError, match=r"mu1 and mu2 must have the same dimension; got \[2\] and \[3\]"):
        frechet_distance(np.zeros(2), eye2, np.zeros(3), eye3)
    with pytest.raises(ValueError, match=r"mu1: expected a mean vector of shape \[D\]; got shape \[1, 2\]"):
        frechet_distance(np.zeros((1, 2)), eye2, np.zeros(2), eye2)
    with pytest.raises(ValueError, match=r"sigma2: expected a positive semi-definite covariance matrix; its smallest eigenvalue is -1"):
        frechet_distance(np.zeros(2), eye2, np.zeros(2), np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="sigma1: expected a symmetric covariance matrix"):
        frechet_distance(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2), eye2)
    with pytest.raises(ValueError, match="mu2: expected finite values"):
        frechet_distance(np.zeros(2), eye2, np.array([0.0, np.nan]), eye2)
    with pytest.raises(TypeError, match="sigma1: expected a torch.Tensor or numpy array; got str"):
        frechet_distance(np.zeros(2), "eye", np.zeros(2), eye2)
    with pytest.raises(ValueError, match=r"features1 and features2 must have the same feature dimension; got \[5, 3\] and \[5, 4\]"):
        frechet_distance_from_features(np.ones((5, 3)), np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"features: expected a 2-D array of features \[N, D\]; got shape \[5\]"):
        fit_gaussian(np.ones(5))
    with pytest.raises(ValueError, match=r"features1: expected at least 2 rows"):
        frechet_distance_from_features(np.ones((1, 3)), np.ones((5, 3)))


# ---------------------------------------------------------------------------------- JSD

def test_jsd_closed_forms():
    assert jsd([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == pytest.approx(0.0, abs=1e-12)
    assert jsd([0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.3, 0.7]) == pytest.approx(math.log(2), rel=1e-12)
    # the two-mode example: p_data = ½δa + ½δb, p_g = δa; m = (¾, ¼)
    # JSD = ½·KL(p_data‖m) + ½·KL(p_g‖m) = ½·½ ln(4/3) + ½ ln(4/3) = ¾ ln(4/3) ≈ 0.2158
    two_mode = jsd([0.5, 0.5], [1.0, 0.0])
    assert two_mode == pytest.approx(0.75 * math.log(4 / 3), rel=1e-12)
    assert two_mode == pytest.approx(0.2158, abs=5e-5)


def test_jsd_falls_monotonically_to_zero_along_the_path_to_the_optimum():
    # p_g = (1 - t) δa + t δb for t from 0 (collapse) to ½ (the data distribution)
    values = [jsd([0.5, 0.5], [1 - t, t]) for t in np.linspace(0, 0.5, 26)]
    assert all(b < a for a, b in zip(values, values[1:])), values
    assert values[0] == pytest.approx(0.75 * math.log(4 / 3))
    assert values[-1] == pytest.approx(0.0, abs=1e-12)


def test_jsd_matches_scipy_and_is_symmetric():
    rng = np.random.default_rng(0)
    for _ in range(5):
        p, q = rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(7))
        q[2] = 0.0
        q /= q.sum()
        expected = scipy.spatial.distance.jensenshannon(p, q) ** 2  # scipy returns √JSD, natural log
        assert jsd(p, q) == pytest.approx(expected, rel=1e-9)
        assert jsd(torch.from_numpy(q), torch.from_numpy(p)) == pytest.approx(expected, rel=1e-9)


def test_jsd_bad_input_errors():
    with pytest.raises(ValueError, match="p: probabilities must be non-negative; got a minimum of -0.5"):
        jsd([1.5, -0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="q: probabilities must sum to 1; got a sum of 10"):
        jsd([0.5, 0.5], [3.0, 7.0])
    with pytest.raises(ValueError, match=r"p and q must have the same number of outcomes; got \[2\] and \[3\]"):
        jsd([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match=r"p: expected a 1-D probability vector \[K\] \(K ≥ 1\); got shape \[2, 2\]"):
        jsd(np.full((2, 2), 0.25), [0.5, 0.5])


# ---------------------------------------------------------------------------------- Wasserstein

@pytest.mark.parametrize("n, m", [(100, 100), (100, 37), (1, 5), (250, 400)])
def test_wasserstein_1d_matches_scipy(n, m):
    rng = np.random.default_rng(n + m)
    u, v = rng.normal(size=n), rng.normal(1.0, 2.0, size=m)
    assert wasserstein_1d(u, v) == pytest.approx(scipy.stats.wasserstein_distance(u, v), rel=1e-10, abs=1e-12)
    assert wasserstein_1d(torch.from_numpy(v).float(), torch.from_numpy(u).float()) == \
        pytest.approx(scipy.stats.wasserstein_distance(u, v), rel=1e-5)


def test_wasserstein_1d_closed_forms():
    u = np.random.default_rng(1).normal(size=50)
    assert wasserstein_1d(u, u) == pytest.approx(0.0, abs=1e-12)
    assert wasserstein_1d(u, u + 3.0) == pytest.approx(3.0, rel=1e-12)  # a shift moves all mass by 3
    assert wasserstein_1d([0.0], [0.0, 1.0]) == pytest.approx(0.5)       # half the mass moves by 1


def test_wasserstein_1d_bad_input_errors():
    with pytest.raises(ValueError, match=r"u_samples: expected a 1-D array of samples \[N\] \(N ≥ 1\); got shape \[2, 3\]"):
        wasserstein_1d(np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"v_samples: expected a 1-D array of samples \[N\] \(N ≥ 1\); got shape \[0\]"):
        wasserstein_1d(np.ones(3), np.ones(0))
    with pytest.raises(ValueError, match="v_samples: expected finite values"):
        wasserstein_1d(np.ones(3), np.array([1.0, np.inf]))


# ---------------------------------------------------------------------------------- mode coverage

@pytest.mark.parametrize("sampler, centres, std, k", [
    (data.grid25, data.grid25_centres(), data.GRID25_STD, 25),
    (data.ring8, data.ring8_centres(), data.RING8_STD, 8),
])
def test_mode_coverage_of_real_samples(sampler, centres, std, k):
    n = 2500
    out = mode_coverage(sampler(n, generator=torch.Generator().manual_seed(0)), centres, std)
    assert out["modes_captured"] == k
    # binomial standard error of the fraction: √(0.011 · 0.989 / 2500) ≈ 0.0021; allow 3 of them
    assert out["high_quality_fraction"] == pytest.approx(INSIDE_3_STD, abs=0.0065)
    assert int(out["counts"].sum()) == round(out["high_quality_fraction"] * n)
    assert out["counts"].shape == (k,)
    # multinomial noise alone gives reverse KL ≈ (K - 1) / (2 N_hq): 0.005 on the grid, 0.0014 on the ring
    assert 0 <= out["reverse_kl"] < 4 * (k - 1) / (2 * n)


def test_mode_coverage_of_three_modes():
    centres = data.grid25_centres()
    g = torch.Generator().manual_seed(1)
    chosen = torch.tensor([0, 12, 24]).repeat_interleave(800)                     # 800 samples per mode
    samples = centres[chosen] + torch.randn(2400, 2, generator=g) * data.GRID25_STD
    out = mode_coverage(samples, centres, data.GRID25_STD)
    assert out["modes_captured"] == 3
    assert out["high_quality_fraction"] == pytest.approx(INSIDE_3_STD, abs=0.01)
    # q = (1/3, 1/3, 1/3, 0, ...): KL(q ‖ u) = Σ_3 (1/3) log((1/3) / (1/25)) = log(25/3), up to the
    # slight imbalance of the high-quality counts, which can only raise it
    assert out["reverse_kl"] == pytest.approx(math.log(25 / 3), abs=2e-3)
    exact = mode_coverage(centres[chosen], centres, data.GRID25_STD)              # no noise at all
    assert exact["reverse_kl"] == pytest.approx(math.log(25 / 3), rel=1e-12)
    assert exact["high_quality_fraction"] == pytest.approx(1.0)


def test_mode_coverage_of_uniform_noise_is_low_quality():
    n = 20000
    noise = torch.rand(n, 2, generator=torch.Generator().manual_seed(2)) * 12 - 6  # uniform on [-6, 6]²
    out = mode_coverage(noise, data.grid25_centres(), data.GRID25_STD)
    # expected fraction: 25 discs of radius 3σ = 0.15 over an area of 144
    area_fraction = 25 * math.pi * 0.15 ** 2 / 144
    assert out["high_quality_fraction"] == pytest.approx(area_fraction, abs=4 * math.sqrt(area_fraction / n))
    assert out["high_quality_fraction"] < 0.02
    # a stricter capture rule (a fifth of the expected count per mode) sees no mode at all
    strict = mode_coverage(noise[:2500], data.grid25_centres(), data.GRID25_STD, min_count=20)
    assert strict["modes_captured"] == 0


def test_mode_coverage_min_count_and_empty_histogram():
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    samples = torch.tensor([[0.0, 0.0]] * 5 + [[10.0, 0.0]] * 4)
    assert mode_coverage(samples, centres, 1.0, min_count=5)["modes_captured"] == 1
    assert mode_coverage(samples, centres, 1.0, min_count=4)["modes_captured"] == 2
    far = mode_coverage(torch.tensor([[5.0, 5.0]]), centres, 1.0)
    assert far["modes_captured"] == 0 and far["high_quality_fraction"] == 0.0
    assert math.isnan(far["reverse_kl"])


def test_mode_coverage_bad_input_errors():
    c = data.grid25_centres()
    with pytest.raises(ValueError, match=r"samples: expected shape \[N, 2\] \(N ≥ 1\); got \[10\]"):
        mode_coverage(torch.zeros(10), c, 0.05)
    with pytest.raises(ValueError, match=r"samples and centres must have the same dimension: samples \[10, 3\], centres \[25, 2\]"):
        mode_coverage(torch.zeros(10, 3), c, 0.05)
    with pytest.raises(ValueError, match="std: expected a positive number; got 0"):
        mode_coverage(torch.zeros(10, 2), c, 0)
    with pytest.raises(ValueError, match="min_count: expected a positive int; got 0"):
        mode_coverage(torch.zeros(10, 2), c, 0.05, min_count=0)
    with pytest.raises(TypeError, match="samples: expected a floating-point tensor; got dtype torch.int64"):
        mode_coverage(torch.zeros(10, 2, dtype=torch.long), c, 0.05)


# ---------------------------------------------------------------------------------- collapse

def test_pairwise_distance_stats_closed_forms():
    two = pairwise_distance_stats(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
    assert two["mean"] == pytest.approx(5.0) and two["std"] == pytest.approx(0.0, abs=1e-12)
    # x - y ~ N(0, 2 I₂) for x, y ~ N(0, I₂): its norm is Rayleigh(√2) with mean √2 · √(π/2) = √π
    x = torch.randn(2000, 2, generator=torch.Generator().manual_seed(0))
    assert pairwise_distance_stats(x)["mean"] == pytest.approx(math.sqrt(math.pi), rel=0.03)
    images = torch.zeros(3, 1, 2, 2)
    images[1] += 1.0                                      # distance 2 from image 0 (4 pixels of 1)
    images[2] -= 1.0
    assert pairwise_distance_stats(images)["mean"] == pytest.approx((2 + 2 + 4) / 3)
    assert pairwise_distance_stats(x, max_samples=100)["mean"] == pytest.approx(math.sqrt(math.pi), rel=0.2)


def test_collapse_ratio_healthy_and_collapsed():
    g = torch.Generator().manual_seed(0)
    real = data.grid25(2000, generator=g)
    healthy = collapse_ratio(data.grid25(2000, generator=g), real)
    assert healthy == pytest.approx(1.0, abs=0.05)
    one_mode = data.grid25_centres()[7] + torch.randn(2000, 2, generator=g) * data.GRID25_STD
    collapsed = collapse_ratio(one_mode, real)
    # within one mode the mean distance is σ√π; across the grid it is pairwise_distance_stats(real)
    expected = data.GRID25_STD * math.sqrt(math.pi) / pairwise_distance_stats(real)["mean"]
    assert collapsed == pytest.approx(expected, rel=0.1)
    assert collapsed < 0.05


def test_collapse_bad_input_errors():
    with pytest.raises(ValueError, match=r"x: expected at least 2 samples of shape \[N ≥ 2, D...\]; got \[1, 2\]"):
        pairwise_distance_stats(torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r"fake and real must have the same sample shape; got fake \[4, 2\] and real \[4, 3\]"):
        collapse_ratio(torch.zeros(4, 2), torch.zeros(4, 3))
    with pytest.raises(ValueError, match="every real sample is identical"):
        collapse_ratio(torch.randn(4, 2), torch.zeros(4, 2))


# ---------------------------------------------------------------------------------- precision / recall

def test_precision_recall_identical_and_disjoint():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 8, generator=g)
    same = precision_recall(real, real.clone())
    assert same["precision"] == pytest.approx(1.0) and same["recall"] == pytest.approx(1.0)
    far = precision_recall(real, torch.randn(500, 8, generator=g) + 100.0)
    assert far["precision"] == pytest.approx(0.0) and far["recall"] == pytest.approx(0.0)


def test_precision_recall_of_a_generator_covering_half_the_modes():
    g = torch.Generator().manual_seed(1)
    real = data.grid25(2500, generator=g)
    centres = data.grid25_centres()
    half = centres[torch.arange(13).repeat(100)] + torch.randn(1300, 2, generator=g) * data.GRID25_STD
    out = precision_recall(real, half, k=3)
    assert out["precision"] > 0.9                     # every fake sits on a real mode
    assert out["recall"] == pytest.approx(13 / 25, abs=0.08)  # only the reals of the 13 covered modes


def test_precision_recall_bad_input_errors():
    with pytest.raises(ValueError, match=r"real_features and fake_features must have the same feature dimension; got \[10, 3\] and \[10, 4\]"):
        precision_recall(torch.randn(10, 3), torch.randn(10, 4))
    with pytest.raises(ValueError, match=r"fake_features: expected more than k = 3 rows to find k nearest neighbours; got shape \[3, 2\]"):
        precision_recall(torch.randn(10, 2), torch.randn(3, 2))
    with pytest.raises(ValueError, match=r"real_features: expected a 2-D array of features \[N, D\]; got shape \[10\]"):
        precision_recall(torch.randn(10), torch.randn(10, 2))
