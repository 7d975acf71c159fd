"""Tests of gan_helpers.style_mixing: the chapter 6 references, the slider logic and the shipped weights."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from gan_helpers import style_mixing as sm  # noqa: E402
from gan_helpers.stylegan2 import StyleGAN2Config, StyleGAN2Generator  # noqa: E402


@pytest.fixture(scope="module")
def G():
    return sm.load_digits_stylegan()


def test_adain_normalises_each_sample_and_channel_then_applies_the_style():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, 5, 6, generator=gen) * 3 + torch.randn(4, 3, 1, 1, generator=gen) * 10
    scale, bias = torch.randn(4, 3, generator=gen), torch.randn(4, 3, generator=gen)
    out = sm.adain(x, scale, bias)
    assert out.shape == x.shape
    torch.testing.assert_close(out.mean(dim=(2, 3)), bias, atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(dim=(2, 3), unbiased=False), scale.abs(), atol=1e-4, rtol=1e-4)
    # Against torch's instance norm (biased variance, eps inside the square root).
    expected = torch.nn.functional.instance_norm(x, eps=0.3) * scale[:, :, None, None] + bias[:, :, None, None]
    torch.testing.assert_close(sm.adain(x, scale, bias, eps=0.3), expected, atol=1e-5, rtol=1e-5)


def test_adain_constant_maps_give_the_bias_and_bad_shapes_are_named():
    out = sm.adain(torch.full((2, 2, 3, 3), 5.0), torch.ones(2, 2), torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    torch.testing.assert_close(out[:, :, 0, 0], torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    with pytest.raises(ValueError, match="style_scale"):
        sm.adain(torch.zeros(2, 3, 4, 4), torch.ones(2, 4), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        sm.adain(torch.zeros(2, 3, 4), torch.ones(2, 3), torch.zeros(2, 3))


def test_mix_styles_switches_at_the_crossover():
    a, b = torch.zeros(2, 6, 3), torch.ones(2, 6, 3)
    for c in range(7):
        mixed = sm.mix_styles(a, b, c)
        assert mixed[0, :, 0].tolist() == [0.0] * c + [1.0] * (6 - c)
    with pytest.raises(ValueError, match="crossover"):
        sm.mix_styles(a, b, 7)
    with pytest.raises(ValueError, match="crossover"):
        sm.mix_styles(a, b, True)


def test_mix_styles_matches_the_generators_own_mixing(G):
    gen = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(3, G.z_dim, generator=gen), torch.randn(3, G.z_dim, generator=gen)
    for c in (0, 3, G.num_ws):
        expected = G.map_to_ws(z1, mixing_z=z2, crossover=c)
        torch.testing.assert_close(sm.mix_styles(G.map_to_ws(z1), G.map_to_ws(z2), c), expected)


def test_truncate_matches_the_generator_and_its_ends(G):
    z = torch.randn(4, G.z_dim, generator=torch.Generator().manual_seed(2))
    w = G.mapping(z)
    torch.testing.assert_close(sm.truncate(w, G.mapping.w_avg, 1.0), w)
    torch.testing.assert_close(sm.truncate(w, G.mapping.w_avg, 0.0), G.mapping.w_avg.expand_as(w))
    ws = sm.truncate(w, G.mapping.w_avg, 0.7).unsqueeze(1).repeat(1, G.num_ws, 1)
    torch.testing.assert_close(ws, G.map_to_ws(z, truncation_psi=0.7), atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError, match="share D"):
        sm.truncate(w, torch.zeros(G.w_dim + 1), 0.5)


def test_scaling_z_is_not_truncation(G):
    """The mapping normalises z, so psi * z maps to the same w for psi > 0 (the chapter's remark)."""
    z = torch.randn(4, G.z_dim, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(G.mapping(0.5 * z), G.mapping(z), atol=1e-5, rtol=1e-5)


def test_layer_groups_at_1024_and_32():
    assert sm.layer_groups(1024) == {"coarse": [0, 1, 2, 3], "middle": [4, 5, 6, 7], "fine": list(range(8, 18))}
    assert sm.layer_groups(32) == {"coarse": [0, 1, 2, 3], "middle": [4, 5, 6, 7], "fine": []}


def test_shipped_weights_are_small_and_load_as_a_digits_generator(G):
    assert sm.WEIGHTS_PATH.stat().st_size < 1_000_000
    assert isinstance(G, StyleGAN2Generator) and not G.training
    assert (G.config.resolution, G.config.img_channels, G.num_ws) == (32, 1, 8)
    assert G.mapping.w_avg.abs().sum() > 0, "w_avg was not trained"
    assert sm.load_digits_stylegan() is G, "the loader should cache the generator"
    with torch.no_grad():
        images = G(torch.randn(8, G.z_dim), noise_mode="const")
    assert images.shape == (8, 1, 32, 32) and torch.isfinite(images).all()


def test_shipped_generator_draws_recognisable_varied_digits(G):
    """The shipped weights give digits the course's classifier reads confidently, in every class
    (measured at shipping: confidence 0.95, every class 4-14 %, digits FID 35 on these 500 samples
    against a real-vs-real floor of 9.7; an untrained or collapsed generator scores in the hundreds)."""
    from gan_helpers.digits_classifier import class_histogram, digits_fid, digits_logits

    z = torch.randn(500, G.z_dim, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        images = G(z, noise_mode="const").clamp(-1, 1)
    confidence = digits_logits(images).softmax(1).max(1).values.mean().item()
    assert confidence > 0.85, f"the classifier reads the samples with confidence {confidence:.2f} only"
    assert (class_histogram(images) > 0.02).sum() == 10, "a digit class is (nearly) missing among the samples"
    fid = digits_fid(images)
    assert fid < 70, f"digits FID {fid:.1f}: the shipped generator is far from the data"


def test_missing_weights_file_says_how_to_rebuild(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_stylegan2_digits"):
        sm.load_digits_stylegan(tmp_path / "missing.pt")


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    G = StyleGAN2Generator(sm.digits_stylegan_config()).eval()
    path = tmp_path / "g.pt"
    sm.save_digits_stylegan(G, path)
    loaded = sm.load_digits_stylegan(path)
    z = torch.randn(2, G.z_dim)
    with torch.no_grad():
        torch.testing.assert_close(loaded(z, noise_mode="const"), G(z, noise_mode="const"), atol=2e-2, rtol=0)


def test_mixing_grid_has_the_sources_on_its_edges(G):
    grid = sm.mixing_grid(G, crossover=4, n_rows=2, n_cols=3, seed=0)
    assert grid.shape == (3, 4, 1, 32, 32)
    ws_a = sm.source_ws(G, 3, 0)
    ws_b = sm.source_ws(G, 2, 1000)
    torch.testing.assert_close(grid[0, 1:], sm.render(G, ws_a))
    torch.testing.assert_close(grid[1:, 0], sm.render(G, ws_b))
    # crossover num_ws copies A into every row, 0 copies B into every column.
    full_a = sm.mixing_grid(G, G.num_ws, 2, 3, 0)
    torch.testing.assert_close(full_a[1, 1:], full_a[0, 1:])
    full_b = sm.mixing_grid(G, 0, 2, 3, 0)
    torch.testing.assert_close(full_b[1:, 2], full_b[1:, 0])
    with pytest.raises(ValueError, match="crossover"):
        sm.mixing_grid(G, G.num_ws + 1)


def test_truncation_row_collapses_at_psi_zero(G):
    rows = sm.truncation_row(G, (1.0, 0.0), n=4, seed=0)
    assert rows.shape == (2, 4, 1, 32, 32)
    for j in range(1, 4):
        torch.testing.assert_close(rows[1, j], rows[1, 0])
    assert (rows[0, 0] - rows[0, 1]).abs().max() > 0.1


def test_static_figures_draw_when_headless(G, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    assert sm.show_mixing(G, crossovers_static=(2,), n=2) is None
    assert sm.show_truncation(G, n=3) is None
    fig = sm.plot_mixing_grid(G, 3, 2, 2)
    assert len(fig.axes) == 9
    plt.close("all")


def test_live_sliders_redraw(G, monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "live")
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    slider = sm.show_mixing(G, n=2)
    slider.value = 1                     # triggers a redraw through the observer
    psi = sm.show_truncation(G, n=2)
    psi.value = 0.3
    plt.close("all")


def test_generator_type_is_checked():
    with pytest.raises(TypeError, match="StyleGAN2Generator"):
        sm.mixing_grid(torch.nn.Linear(2, 2), 1)


def test_digits_config_is_the_tiny_preset_in_grey():
    cfg = sm.digits_stylegan_config()
    assert cfg == StyleGAN2Config.preset("tiny", img_channels=1, batch_size=16, lr=0.005, pl_weight=0.0)
    G = sm.load_digits_stylegan()
    assert G.config == cfg, "the shipped weights were trained with another config than digits_stylegan_config()"
