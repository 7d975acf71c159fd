"""gan_helpers.minmax: chapter 2's closed forms, landscape widget, optimal discriminator and race."""

import math

import matplotlib
import pytest
import torch
import torch.nn.functional as F

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from gan_helpers import losses  # noqa: E402
from gan_helpers.metrics import jsd  # noqa: E402
from gan_helpers.minmax import (best_response_on_grid, example_densities, game_value,  # noqa: E402
                                generator_race, gradient_ratio, jsd_on_grid, landscape_widget,
                                logit_gradients, optimal_discriminator, player_losses, plot_landscape,
                                raised_cosine, show_landscape, virtual_training_criterion)

LOGITS = torch.tensor([-100.0, -7.0, -5.0, -4.6, -2.0, 0.0, 2.0, 30.0, 100.0], dtype=torch.float64)


# ---------------------------------------------------------------- losses and gradients in logits

def test_player_losses_match_the_probability_forms_and_the_reference_losses():
    a = torch.linspace(-8, 8, 33, dtype=torch.float64)
    d = torch.sigmoid(a)
    out = player_losses(a)
    torch.testing.assert_close(out["d_fake"], -torch.log(1 - d))
    torch.testing.assert_close(out["g_saturating"], torch.log(1 - d))
    torch.testing.assert_close(out["g_nonsaturating"], -torch.log(d))
    torch.testing.assert_close(out["g_saturating"].mean(), losses.g_loss_saturating(a))
    torch.testing.assert_close(out["g_nonsaturating"].mean(), losses.g_loss_nonsaturating(a))
    torch.testing.assert_close(out["d_fake"].mean(), F.binary_cross_entropy_with_logits(a, torch.zeros_like(a)))


def test_player_losses_are_finite_for_extreme_logits():
    out = player_losses(torch.tensor([-1000.0, -100.0, 100.0, 1000.0]))
    assert all(torch.isfinite(v).all() for v in out.values())
    torch.testing.assert_close(out["g_nonsaturating"], torch.tensor([1000.0, 100.0, 0.0, 0.0]))


def test_equilibrium_values():
    out = player_losses(0.0)
    assert out["d_fake"].item() == pytest.approx(math.log(2))
    assert out["g_saturating"].item() == pytest.approx(-math.log(2))
    assert out["g_nonsaturating"].item() == pytest.approx(math.log(2))


def test_closed_form_gradients_match_autograd():
    a = LOGITS.clone().requires_grad_(True)
    closed = logit_gradients(LOGITS)
    for name, loss in player_losses(a).items():
        (grad,) = torch.autograd.grad(loss.sum(), a)
        torch.testing.assert_close(grad, closed[name], msg=name)


@pytest.mark.parametrize("logit,ratio", [(-2.0, 7.389), (-4.6, 99.48), (-5.0, 148.41), (-7.0, 1096.6), (0.0, 1.0)])
def test_gradient_ratio_is_exp_of_minus_the_logit(logit, ratio):
    assert gradient_ratio(logit) == pytest.approx(ratio, rel=1e-3)
    g = logit_gradients(torch.tensor(logit, dtype=torch.float64))
    assert (g["g_nonsaturating"] / g["g_saturating"]).item() == pytest.approx(ratio, rel=1e-3)


def test_bad_inputs_are_rejected():
    with pytest.raises(TypeError, match="floating-point"):
        player_losses(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="finite"):
        gradient_ratio(float("inf"))


# ---------------------------------------------------------------- landscape figure and widget

def test_plot_landscape_marks_the_point_and_labels_its_axes():
    fig = plot_landscape(-5.0)
    ax_loss, ax_grad = fig.axes
    assert "D(G(z))" in ax_loss.get_xlabel() and "logit" in ax_grad.get_xlabel()
    assert ax_loss.get_ylabel() and ax_grad.get_ylabel()
    assert ax_grad.get_yscale() == "log"
    markers = [line for line in ax_grad.get_lines() if line.get_marker() == "o"]
    assert len(markers) == 3
    heights = sorted(line.get_ydata()[0] for line in markers)
    assert heights == pytest.approx([torch.sigmoid(torch.tensor(-5.0)).item()] * 2 + [1 - 0.006693], rel=1e-3)
    assert "ratio 148" in fig._suptitle.get_text()
    plt.close(fig)
    with pytest.raises(ValueError, match="logit must lie"):
        plot_landscape(20.0)


def test_plot_landscape_redraws_into_the_same_figure():
    fig = plot_landscape(0.0)
    again = plot_landscape(-3.0, fig=fig)
    assert again is fig and len(fig.axes) == 2
    plt.close(fig)


def test_landscape_widget_slider_redraws():
    widget = landscape_widget(-5.0)
    slider, out = widget.children
    assert slider.value == -5.0 and (slider.min, slider.max) == (-8.0, 8.0)
    slider.value = -2.0          # runs the observer; it must not raise
    assert slider.value == -2.0


def test_show_landscape_draws_a_static_figure_when_headless(monkeypatch):
    shown = []
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    show_landscape(-5.0)
    assert len(shown) == 1 and isinstance(shown[0], plt.Figure)


def test_show_landscape_shows_the_widget_with_a_front_end(monkeypatch):
    import ipywidgets

    shown = []
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "live")
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    show_landscape(-1.0)
    # the widget's first frame is displayed into its Output, then the widget itself
    assert isinstance(shown[-1], ipywidgets.VBox)
    assert all(isinstance(obj, plt.Figure) for obj in shown[:-1])


# ---------------------------------------------------------------- optimal discriminator and C(G)

def test_raised_cosine_is_a_density_with_compact_support():
    x = torch.linspace(-3, 3, 6001, dtype=torch.float64)
    p = raised_cosine(x, 0.5, 1.0)
    assert (p[(x - 0.5).abs() >= 1] == 0).all() and (p >= 0).all()
    assert (p.sum() * (x[1] - x[0])).item() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError):
        raised_cosine(x, 0.0, 0.0)


def test_example_densities_hold_all_four_cases_and_are_normalised():
    dens = example_densities()
    assert dens.x.shape == (601,) and dens.dx == pytest.approx(0.01)
    for p in (dens.p_data, dens.p_g):
        assert p.dtype == torch.float64 and (p >= 0).all()
        assert (p.sum() * dens.dx).item() == pytest.approx(1.0, abs=1e-12)
    only_data = (dens.p_data > 0) & (dens.p_g == 0)
    only_g = (dens.p_data == 0) & (dens.p_g > 0)
    both = (dens.p_data > 0) & (dens.p_g > 0)
    neither = (dens.p_data == 0) & (dens.p_g == 0)
    assert only_data.any() and only_g.any() and both.any() and neither.any()


def test_optimal_discriminator_edge_cases():
    p = torch.tensor([1.0, 0.0, 2.0, 0.0, 0.5], dtype=torch.float64)
    q = torch.tensor([1.0, 1.0, 0.0, 0.0, 1.5], dtype=torch.float64)
    torch.testing.assert_close(optimal_discriminator(p, q), torch.tensor([0.5, 0.0, 1.0, 0.5, 0.25], dtype=torch.float64))
    with pytest.raises(ValueError, match="non-negative"):
        optimal_discriminator(torch.tensor([-1.0]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="same shape"):
        optimal_discriminator(torch.ones(3), torch.ones(4))


def test_optimal_discriminator_beats_every_other_discriminator():
    dens = example_densities()
    d_star = optimal_discriminator(dens.p_data, dens.p_g)
    best = game_value(dens.p_data, dens.p_g, d_star, dens.dx)
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        noise = 0.2 * torch.randn(d_star.shape, generator=gen, dtype=torch.float64)
        other = (d_star + noise).clamp(1e-6, 1 - 1e-6)
        assert game_value(dens.p_data, dens.p_g, other, dens.dx) < best


@pytest.mark.parametrize("n", [99, 999])
def test_best_response_on_grid_is_within_one_candidate_of_d_star(n):
    dens = example_densities()
    mass = (dens.p_data + dens.p_g) > 0
    best = best_response_on_grid(dens.p_data, dens.p_g, n)
    gap = (best - optimal_discriminator(dens.p_data, dens.p_g))[mass].abs().max().item()
    assert gap <= 1.0 / (n + 1) + 1e-12
    assert ((best > 0) & (best < 1)).all()


def test_c_of_g_is_two_jsd_minus_log_4():
    dens = example_densities()
    c = virtual_training_criterion(dens.p_data, dens.p_g, dens.dx)
    j = jsd_on_grid(dens.p_data, dens.p_g, dens.dx)
    assert j == pytest.approx(jsd(dens.p_data * dens.dx, dens.p_g * dens.dx))
    assert 0 < j < math.log(2)
    assert c == pytest.approx(2 * j - math.log(4), abs=1e-10)


def test_c_of_g_at_the_optimum_and_for_disjoint_supports():
    dens = example_densities()
    assert virtual_training_criterion(dens.p_data, dens.p_data, dens.dx) == pytest.approx(-math.log(4), abs=1e-12)
    half = torch.full_like(dens.p_data, 0.5)
    assert game_value(dens.p_data, dens.p_g, half, dens.dx).item() == pytest.approx(-math.log(4), abs=1e-12)
    far = example_densities(n_points=1201, x_range=(-3.0, 9.0), g_centre=6.0)
    assert virtual_training_criterion(far.p_data, far.p_g, far.dx) == pytest.approx(0.0, abs=1e-12)
    assert jsd_on_grid(far.p_data, far.p_g, far.dx) == pytest.approx(math.log(2), abs=1e-12)


def test_game_value_counts_zero_log_zero_as_zero():
    p = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64)
    q = torch.tensor([0.0, 0.5, 0.5], dtype=torch.float64)
    value = game_value(p, q, torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64), 1.0)
    assert value.item() == pytest.approx(-math.log(2))
    with pytest.raises(ValueError, match="shape"):
        game_value(p, q, torch.zeros(2), 1.0)


# ---------------------------------------------------------------- the race between the two losses

def test_race_nonsaturating_reaches_the_data_and_saturating_crawls():
    sat = generator_race("saturating", steps=150, seed=0)
    ns = generator_race("nonsaturating", steps=150, seed=0)
    assert len(sat.shifts) == len(ns.shifts) == 151
    assert sat.shifts[0] == ns.shifts[0] == pytest.approx(-2.0)
    assert sat.mean_fake_logit == pytest.approx(ns.mean_fake_logit)      # the same head-started D
    assert sat.mean_fake_logit < -4                                       # D confidently rejects the fakes
    assert abs(ns.first_gradient) > 20 * abs(sat.first_gradient)
    assert abs(ns.shifts[-1] - 2.0) < 0.2, f"non-saturating G ends at {ns.shifts[-1]:.2f}"
    assert sat.shifts[-1] < -1.0, f"saturating G ends at {sat.shifts[-1]:.2f}"


def test_race_is_deterministic_and_validates_its_arguments():
    a, b = generator_race("saturating", steps=20, seed=3), generator_race("saturating", steps=20, seed=3)
    assert a == b
    with pytest.raises(ValueError, match="loss must be"):
        generator_race("hinge")
    with pytest.raises(ValueError, match="non-negative"):
        generator_race("saturating", steps=-1)
