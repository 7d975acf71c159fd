"""gan_helpers.noise_mapping: chapter 1's noise-to-data GAN, its widget, the DCGAN figures and the test helpers."""

import math

import matplotlib
import pytest
import torch
from torch import nn

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from gan_helpers.checks import CheckFailed  # noqa: E402
from gan_helpers.dcgan import (DCGANConfig, DCGANDiscriminator, DCGANGenerator,  # noqa: E402
                               convtranspose_output_size)
from gan_helpers.noise_mapping import (MappingConfig, MappingGAN, check_normal_init, count_weights,  # noqa: E402
                                       dcgan_stages, draw_data_flow, draw_transposed_conv_1d, ideal_mapping,
                                       mapping_snapshots, mapping_widget, mixture_density, mixture_sample,
                                       mode_fractions, one_thread, plot_mapping, show_mapping, trace_shapes,
                                       train_mapping, transposed_conv_stamps, weight_stds)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------------------------------
# The data and the ideal map
# ------------------------------------------------------------------------------------------------

def test_mixture_sample_has_the_stated_weights_means_and_spread():
    cfg = MappingConfig()
    x = mixture_sample(200_000, cfg, torch.Generator().manual_seed(0))
    left = x[x < 0]
    assert left.numel() / x.numel() == pytest.approx(0.7, abs=0.005)
    assert left.mean().item() == pytest.approx(-2.0, abs=0.01)
    assert left.std().item() == pytest.approx(0.35, abs=0.01)


def test_mixture_density_integrates_to_one_and_peaks_at_the_modes():
    cfg = MappingConfig()
    xs = torch.linspace(-6, 6, 24001)
    pdf = mixture_density(xs, cfg)
    assert torch.trapezoid(pdf, xs).item() == pytest.approx(1.0, abs=1e-4)
    peak = 0.7 / (0.35 * math.sqrt(2 * math.pi))
    assert mixture_density(torch.tensor([-2.0]), cfg).item() == pytest.approx(peak, rel=1e-4)


@pytest.mark.parametrize("increasing", [True, False])
def test_ideal_mapping_pushes_the_noise_onto_the_data(increasing):
    """F⁻¹(Φ(z)) with z ~ N(0, 1) has the data's distribution: compare quantiles with direct samples."""
    cfg = MappingConfig()
    g = torch.Generator().manual_seed(1)
    mapped = ideal_mapping(torch.randn(100_000, generator=g), cfg, increasing=increasing)
    direct = mixture_sample(100_000, cfg, g)
    q = torch.tensor([0.05, 0.25, 0.5, 0.69, 0.71, 0.9, 0.99])
    assert torch.allclose(torch.quantile(mapped, q), torch.quantile(direct, q), atol=0.05)
    z = torch.linspace(-3, 3, 101)
    steps = ideal_mapping(z, cfg, increasing).diff()
    assert bool((steps >= 0).all()) if increasing else bool((steps <= 0).all())
    # the step sits where Φ(z) = 0.7 (increasing) or Φ(−z) = 0.7 (decreasing): z ≈ ±0.524
    jump = z[1:][steps.abs().argmax()].item()
    assert jump == pytest.approx(0.524 if increasing else -0.524, abs=0.07)


def test_mode_fractions_count_each_mode_and_the_gap():
    cfg = MappingConfig()
    samples = torch.tensor([-2.0, -2.5, 2.0, 0.0, 10.0])
    f = mode_fractions(samples, cfg)
    assert f == pytest.approx({"mode 0": 0.4, "mode 1": 0.2, "gap": 0.4})


def test_config_rejects_nonsense():
    with pytest.raises(ValueError, match="sum to 1"):
        MappingConfig(weights=(0.5, 0.4))
    with pytest.raises(ValueError, match="equal length"):
        MappingConfig(means=(0.0,), weights=(0.5, 0.5))
    with pytest.raises(ValueError, match="std"):
        MappingConfig(std=0.0)
    with pytest.raises(ValueError, match="steps"):
        MappingConfig(steps=-1)
    with pytest.raises(ValueError, match="hidden"):
        MappingConfig(hidden=0)
    with pytest.raises(TypeError, match="seed"):
        MappingConfig(seed=1.5)
    with pytest.raises(ValueError, match="steps"):
        MappingGAN(MappingConfig()).train(-3)


# ------------------------------------------------------------------------------------------------
# Training: what the chapter's figure and text claim
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_training_covers_both_modes_with_their_weights(seed):
    """The chapter says each run splits its samples about 70/30 and leaves only a few per cent in the gap."""
    result = train_mapping(MappingConfig(seed=seed))
    assert result.seconds > 0     # timed for the widget's status line; how long is a benchmark, not a test
    f = result.fractions
    assert f["mode 0"] == pytest.approx(0.7, abs=0.08), f
    assert f["mode 1"] == pytest.approx(0.3, abs=0.08), f
    assert 0.0 < f["gap"] < 0.1, f
    assert len(result.history) == 500
    assert all(math.isfinite(d) and math.isfinite(g) for d, g in result.history)


def test_the_fast_budget_also_reaches_both_modes():
    for seed in (0, 1):
        f = train_mapping(MappingConfig(steps=300, seed=seed)).fractions
        assert f["mode 0"] > 0.55 and f["mode 1"] > 0.18, f


def test_learned_map_has_a_step_where_the_ideal_map_has_one():
    result = train_mapping(MappingConfig(seed=0))
    slope = result.gz.diff() / result.z.diff()
    z_step = result.z[1:][slope.abs().argmax()].item()
    assert abs(z_step) == pytest.approx(0.524, abs=0.2)
    assert bool((slope[slope.abs().argmax()] > 0) == result.increasing)


def test_both_directions_occur_among_the_static_seeds():
    directions = {train_mapping(MappingConfig(seed=s)).increasing for s in (0, 1)}
    assert directions == {True, False}


def test_training_is_deterministic_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = train_mapping(MappingConfig(seed=5, steps=50))
    after = torch.rand(3)
    b = train_mapping(MappingConfig(seed=5, steps=50))
    assert torch.equal(a.gz, b.gz) and a.history == b.history
    assert torch.equal(expected, after), "train_mapping consumed numbers from the global torch RNG"


def test_one_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_discriminator_step_leaves_the_generator_alone():
    gan = MappingGAN(MappingConfig(seed=0))
    g_before = [p.detach().clone() for p in gan.G.parameters()]
    gan.step()
    assert not all(torch.equal(a, b) for a, b in zip(g_before, gan.G.parameters())), "G never moved"
    probs = gan.d_prob(torch.linspace(-3, 3, 7))
    assert probs.shape == (7,) and bool(((probs > 0) & (probs < 1)).all())


# ------------------------------------------------------------------------------------------------
# Figures and the widget
# ------------------------------------------------------------------------------------------------

def test_plot_mapping_draws_both_panels_with_labels():
    ax_map, ax_hist = plot_mapping(train_mapping(MappingConfig(steps=30)))
    assert ax_map.get_xlabel() == "noise z" and "G(z)" in ax_map.get_ylabel()
    assert ax_hist.get_xlabel() == "density"
    assert "seed 0" in ax_map.get_title() and "gap" in ax_hist.get_title()


def test_snapshots_have_one_row_per_seed():
    fig = mapping_snapshots((0, 1, 2), MappingConfig(steps=20))
    assert len(fig.axes) == 6
    with pytest.raises(ValueError):
        mapping_snapshots(())


def test_widget_retrain_moves_to_a_new_seed():
    pytest.importorskip("ipywidgets")
    box = mapping_widget(MappingConfig(steps=20))
    button, slider, status = box.children[0].children
    assert "seed 0" in status.value
    slider.value = 40
    button.click()
    assert "seed 1" in status.value


def test_show_mapping_draws_a_static_figure_when_headless(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    show_mapping(MappingConfig(steps=20), static_seeds=(0, 1))
    assert len(shown) == 1 and isinstance(shown[0], matplotlib.figure.Figure)
    assert len(shown[0].axes) == 4


def test_trace_shapes_records_every_layer_in_call_order():
    G = DCGANGenerator(DCGANConfig.preset("ch1"))
    trace = trace_shapes(G, torch.randn(2, 128))
    kinds = [t.kind for t in trace]
    assert kinds[0] == "Linear" and kinds[-1] == "Tanh"
    assert [t.shape for t in trace if t.kind == "ConvTranspose2d"] == [
        (2, 256, 8, 8), (2, 128, 16, 16), (2, 64, 32, 32), (2, 3, 64, 64)]
    assert "ConvTranspose2d" in str(trace[-2]) and "[2, 3, 64, 64]" in str(trace[-2])
    assert not any(m._forward_hooks for m in G.modules()), "trace_shapes left hooks behind"


def test_dcgan_stages_are_the_chapter_shapes():
    g, d = dcgan_stages()
    assert [s for _, s in g] == ["[B, 128]", "[B, 512, 4, 4]", "[B, 256, 8, 8]", "[B, 128, 16, 16]",
                                 "[B, 64, 32, 32]", "[B, 3, 64, 64]"]
    assert [s for _, s in d] == ["[B, 3, 64, 64]", "[B, 64, 32, 32]", "[B, 128, 16, 16]", "[B, 256, 8, 8]",
                                 "[B, 512, 4, 4]", "[B]"]
    assert "no BN" in g[-1][0] and "tanh" in g[-1][0]
    assert "no BN" in d[1][0] and "no sigmoid" in d[-1][0]
    conv_g, conv_d = dcgan_stages(DCGANConfig.preset("examples"))
    assert conv_g[1][1] == "[B, 512, 4, 4]" and conv_d[-1][1] == "[B]"


def test_data_flow_figure_shows_every_shape():
    fig = draw_data_flow()
    texts = {t.get_text() for t in fig.axes[0].texts}
    for shape in ["[B, 128]", "[B, 512, 4, 4]", "[B, 3, 64, 64]", "[B, 64, 32, 32]", "[B]"]:
        assert shape in texts


@pytest.mark.parametrize("size,kernel,stride,padding", [(3, 4, 2, 1), (1, 4, 1, 0), (4, 3, 2, 1), (2, 5, 3, 2)])
def test_transposed_conv_stamps_match_the_formula(size, kernel, stride, padding):
    stamps = transposed_conv_stamps(size, kernel, stride, padding)
    out = convtranspose_output_size(size, kernel, stride, padding)
    covered = {c for cells in stamps for c in cells if 0 <= c < out}
    assert covered == set(range(out))
    assert min(c for cells in stamps for c in cells) == -padding
    assert max(c for cells in stamps for c in cells) == out - 1 + padding
    ax = draw_transposed_conv_1d(size, kernel, stride, padding)
    assert f"= {out}" in ax.get_title()


# ------------------------------------------------------------------------------------------------
# The chapter's test helpers
# ------------------------------------------------------------------------------------------------

def test_count_weights_ignores_conv_and_linear_biases_only():
    ch1 = DCGANConfig.preset("ch1")
    G, D = DCGANGenerator(ch1), DCGANDiscriminator(ch1)
    assert count_weights(G) == 3_806_080 and count_weights(D) == 2_765_568
    import dataclasses
    for changes in ({"bias": False}, {"layout": "conv"}, {"bias": False, "layout": "conv"}):
        cfg = dataclasses.replace(ch1, **changes)
        assert count_weights(DCGANGenerator(cfg)) == 3_806_080
        assert count_weights(DCGANDiscriminator(cfg)) == 2_765_568
    assert count_weights(nn.BatchNorm2d(8)) == 16
    assert count_weights(nn.Linear(3, 2)) == 6


def test_check_normal_init_accepts_right_draws_and_rejects_wrong_ones():
    g = torch.Generator().manual_seed(0)
    for n in (3072, 131_072):
        check_normal_init(torch.randn(n, generator=g) * 0.02, 0.0, 0.02, "w")
        check_normal_init(1 + torch.randn(n, generator=g) * 0.02, 1.0, 0.02, "bn")
    w = torch.empty(3072)
    with pytest.raises(CheckFailed, match="standard deviation of w"):
        check_normal_init(nn.init.normal_(w, 0.0, 0.023), 0.0, 0.02, "w")   # 15 % off: about 12 standard errors
    with pytest.raises(CheckFailed, match="mean of w"):
        check_normal_init(nn.init.normal_(w, 0.02), 0.0, 0.02, "w")         # the swapped-argument mistake
    with pytest.raises(CheckFailed, match="standard deviation"):
        check_normal_init(torch.ones(512), 1.0, 0.02, "bn")                  # PyTorch's default BN scale
    with pytest.raises(ValueError):
        check_normal_init(torch.zeros(1), 0.0, 0.02, "one")


def test_check_normal_init_false_alarm_rate_is_negligible():
    """Six standard errors: in 300 honest draws of a small layer, not one fails."""
    g = torch.Generator().manual_seed(7)
    for _ in range(300):
        check_normal_init(torch.randn(128, generator=g) * 0.02 + 1.0, 1.0, 0.02, "scales")


def test_weight_stds_lists_every_weighted_layer():
    G = DCGANGenerator(DCGANConfig.preset("ch1"))
    stds = weight_stds(G)
    assert [n for n, _ in stds] == ["stem.0", "body.0.0", "body.1.0", "body.2.0", "to_image.0"]
    assert all(s == pytest.approx(0.02, rel=0.1) for _, s in stds)
