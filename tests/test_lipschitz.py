"""gan_helpers.lipschitz: chapter 5's closed forms, optimal 1-D critic, spectral norm, clipping and scenario."""

import math

import matplotlib
import pytest
import torch
from scipy.stats import wasserstein_distance

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from gan_helpers import lipschitz as L  # noqa: E402
from gan_helpers.losses import gradient_penalty  # noqa: E402
from gan_helpers.metrics import wasserstein_1d  # noqa: E402


# ---------------------------------------------------------------- JS versus W1

@pytest.mark.parametrize("shift", [0.0, 0.25, 0.5, 0.99, 1.0, 1.7, 3.0, -0.4, -2.0])
@pytest.mark.parametrize("width", [1.0, 0.5])
def test_closed_forms_match_the_densities_on_a_grid(shift, width):
    dx = 1e-4
    x = torch.arange(-4.0, 6.0, dx, dtype=torch.float64)
    p, q = L.uniform_density(x, 0.0, width), L.uniform_density(x, shift, width)
    assert L.jsd_on_grid(p, q, dx) == pytest.approx(L.jsd_shifted_uniforms(shift, width), abs=2e-3)
    assert L.w1_on_grid(p, q, dx) == pytest.approx(L.w1_shifted_uniforms(shift, width), abs=2e-3)


def test_jsd_is_flat_at_ln2_once_the_supports_separate_and_w1_is_linear():
    curves = L.divergence_curves(torch.linspace(1.0, 3.0, 21))
    assert torch.allclose(curves["jsd"], torch.full((21,), math.log(2), dtype=torch.float64))
    assert torch.allclose(torch.diff(curves["w1"]), torch.full((20,), 0.1, dtype=torch.float64))
    assert L.jsd_shifted_uniforms(0.5) == pytest.approx(0.5 * math.log(2))


def test_bad_width_is_rejected():
    with pytest.raises(ValueError, match="width"):
        L.jsd_shifted_uniforms(1.0, width=0.0)


def test_figure_and_widget_faces(monkeypatch):
    fig = L.plot_js_vs_w1(1.5)
    assert len(fig.axes) == 2 and fig.axes[1].get_xlabel().startswith("shift")
    plt.close(fig)
    widget = L.js_vs_w1_widget(0.5)
    slider = widget.children[0]
    slider.value = 2.0                      # the callback redraws without error
    plt.close("all")
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    L.show_js_vs_w1((0.5, 2.0))
    assert len(shown) == 2 and all(isinstance(f, plt.Figure) for f in shown)


# ---------------------------------------------------------------- the optimal 1-D critic

@pytest.mark.parametrize("n,m", [(50, 50), (40, 73), (1, 5)])
def test_kr_critic_is_1_lipschitz_and_attains_w1(n, m):
    g = torch.Generator().manual_seed(n * 100 + m)
    real = torch.randn(n, generator=g, dtype=torch.float64) + 1.0
    fake = 0.5 * torch.randn(m, generator=g, dtype=torch.float64) - 0.5
    grid = torch.linspace(-5, 5, 2001, dtype=torch.float64)
    f = L.kr_critic_1d(real, fake, grid)
    assert (torch.diff(f).abs() <= torch.diff(grid) + 1e-12).all()
    value = L.kr_critic_1d(real, fake, real).mean() - L.kr_critic_1d(real, fake, fake).mean()
    assert value.item() == pytest.approx(wasserstein_distance(real.numpy(), fake.numpy()), rel=1e-9, abs=1e-12)
    assert value.item() == pytest.approx(wasserstein_1d(real, fake), rel=1e-9, abs=1e-12)


def test_kr_critic_of_identical_samples_is_flat():
    x = torch.tensor([0.0, 1.0, 2.0])
    assert torch.allclose(L.kr_critic_1d(x, x, torch.linspace(-1, 3, 9)), torch.zeros(9, dtype=torch.float64))


# ---------------------------------------------------------------- spectral norm and clipping

@pytest.mark.parametrize("shape", [(8, 5), (5, 8), (16, 3, 3, 3), (1, 7)])
def test_power_iteration_matches_the_largest_singular_value(shape):
    w = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    sigma = L.spectral_norm_power_iteration(w, n_iters=200, generator=torch.Generator().manual_seed(1))
    assert sigma.item() == pytest.approx(torch.linalg.matrix_norm(w.reshape(shape[0], -1), ord=2).item(), rel=1e-4)


def test_power_iteration_on_a_known_spectrum():
    q1, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64))
    q2, _ = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    w = q1[:, :4] @ torch.diag(torch.tensor([3.0, 1.0, 0.5, 0.1], dtype=torch.float64)) @ q2.T
    assert L.spectral_norm_power_iteration(w, 50).item() == pytest.approx(3.0, rel=1e-9)
    with pytest.raises(ValueError, match="n_iters"):
        L.spectral_norm_power_iteration(w, 0)


def test_clip_weights_clamps_every_parameter():
    net = L.mlp_critic(3, 8)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(100)
    L.clip_weights_(net, 0.05)
    assert all(p.abs().max() <= 0.05 for p in net.parameters())


def test_clipping_experiment_shows_the_clip_value_sets_the_slope():
    results = L.clipping_experiment(clips=(0.01, 0.1), steps=150)
    tiny, mid, gp = results
    assert tiny.gap < 0.1 < mid.gap                   # c = 0.01 starves the critic
    assert 2.0 < mid.max_slope <= 0.1 * 64 * 0.1 * 64 * 0.1 * 1.001   # at most c·(64c)·(64c): set by c, not 1
    assert 3.0 < gp.gap < 7.0 and 0.8 < gp.max_slope < 2.0
    plt.close(L.plot_clipping(results))


# ---------------------------------------------------------------- the scenario

def test_lipschitz_bounds():
    assert L.lipschitz_bound(64) == pytest.approx(16.0)
    assert L.lipschitz_bound(64 * 64 * 3) == pytest.approx(221.70, abs=0.01)


def test_buggy_and_fixed_objectives_on_a_linear_critic():
    w = torch.tensor([[0.6, 0.8, 1.2, -1.6]])
    norm = w.norm().item()                           # √5 ≈ 2.236
    critic = lambda x: x @ w.T                         # noqa: E731
    real, fake = torch.randn(32, 4), torch.randn(32, 4)
    _, _, gp_fixed = L.fixed_critic_objective(critic, real, fake)
    _, _, gp_bug = L.buggy_critic_objective(critic, real, fake)
    assert gp_fixed.item() == pytest.approx(10 * (norm - 1) ** 2, rel=1e-5)
    assert gp_bug.item() == pytest.approx(10 * (norm / 32 - 1) ** 2, rel=1e-5)
    torch.manual_seed(0)
    ref = gradient_penalty(critic, real, fake)
    assert ref.item() == pytest.approx(gp_fixed.item(), rel=1e-5)


def test_the_logged_run_reproduces():
    log = L.scenario_log(steps=300, every=100)
    for (n, c, g), (n0, c0, g0) in zip(log, L.SCENARIO_LOG):
        assert n == n0 and c == pytest.approx(c0, rel=0.05, abs=0.2) and g == pytest.approx(g0, rel=0.05, abs=0.01)
    late = dict((n, (c, g)) for n, c, g in L.SCENARIO_LOG)
    assert late[1100][0] < -500 and late[1200][0] < late[1100][0] and late[1200][1] < 0.02


def test_the_fix_keeps_the_critic_within_the_bound_and_the_bug_does_not():
    ok = L.train_scenario_critic(L.fixed_critic_objective, steps=300, batch_size=64)
    bad = L.train_scenario_critic(L.buggy_critic_objective, steps=300, batch_size=64)
    assert -L.lipschitz_bound(64) < ok.critic_loss[-1] < -2.0 and ok.grad_norm < 2.0
    assert bad.critic_loss[-1] < -L.lipschitz_bound(64) and bad.grad_norm > 3.0
    plt.close(L.plot_scenario({"bug": bad, "fixed": ok}))


def test_scenario_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    L.train_scenario_critic(L.fixed_critic_objective, steps=2, batch_size=8)
    assert torch.equal(torch.rand(3), expected)
