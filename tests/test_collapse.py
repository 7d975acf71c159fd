"""Chapter 4's companion module: minibatch stddev, collapse runs, JSD path, metric cases, scenario numbers."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from gan_helpers import collapse, metrics  # noqa: E402
from gan_helpers.stylegan2 import MinibatchStdDev  # noqa: E402


# -- minibatch stddev -----------------------------------------------------------------------------------

def test_minibatch_stddev_shape_and_passthrough():
    x = torch.randn(8, 3, 4, 5)
    out = collapse.minibatch_stddev(x, 4)
    assert out.shape == (8, 4, 4, 5)
    torch.testing.assert_close(out[:, :3], x)
    # one constant per sample, shared by its group of consecutive samples
    assert torch.allclose(out[:, 3], out[:, 3, :1, :1].expand(8, 4, 5))
    assert torch.allclose(out[:4, 3], out[:1, 3].expand(4, 4, 5))


def test_minibatch_stddev_value_is_population_std_over_the_group():
    x = torch.tensor([0.0, 2.0, 10.0, 10.0]).view(4, 1, 1, 1)
    out = collapse.minibatch_stddev(x, 2)[:, 1, 0, 0]
    torch.testing.assert_close(out, torch.tensor([1.0, 0.0]).repeat_interleave(2), atol=1e-3, rtol=0)


def test_minibatch_stddev_matches_stylegan2_layer_up_to_grouping():
    """StyleGAN2's layer groups with a stride (sample b to group b mod B/G); ours groups consecutive samples.
    Reordering the batch so that each strided group becomes consecutive gives the same statistic."""
    b, g = 12, 4
    x = torch.randn(b, 5, 3, 3, dtype=torch.float64)
    ours = collapse.minibatch_stddev(x, g)
    order = torch.arange(b).view(b // g, g).T.reshape(-1)          # position n + k·B/G ← sample n·G + k
    theirs = MinibatchStdDev(group_size=g, num_channels=1)(x[order])
    torch.testing.assert_close(ours[order][:, -1], theirs[:, -1], rtol=1e-6, atol=1e-8)
    torch.testing.assert_close(theirs[:, :-1], x[order])


@pytest.mark.parametrize("bad", [(6, 4), (9, 2)])
def test_minibatch_stddev_rejects_group_size_not_dividing_batch(bad):
    b, g = bad
    with pytest.raises(ValueError, match="not a multiple of the group size"):
        collapse.minibatch_stddev(torch.randn(b, 2, 2, 2), g)


def test_minibatch_stddev_rejects_wrong_rank():
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        collapse.minibatch_stddev(torch.randn(4, 2), 2)


def test_mbstd_discriminator_shapes_and_errors():
    d = collapse.MBStdDiscriminator(width=16, depth=2, group_size=4)
    assert d(torch.randn(8, 2)).shape == (8,)
    with pytest.raises(ValueError):
        d(torch.randn(8, 3))
    with pytest.raises(ValueError, match="multiple"):
        d(torch.randn(6, 2))


# -- collapse runs ----------------------------------------------------------------------------------------

def test_collapse_run_is_cached_deterministic_and_shares_the_seed():
    a = collapse.collapse_run("vanilla", seed=5, steps=6, every=3)
    assert a is collapse.collapse_run("vanilla", seed=5, steps=6, every=3)
    assert a.steps == [0, 3, 6] and len(a.coverage) == 3
    assert all(points.shape == (2500, 2) for _, points in a.frames)
    m = collapse.collapse_run("minibatch stddev", seed=5, steps=6, every=3)
    torch.testing.assert_close(a.frames[0][1], m.frames[0][1])     # same initial G and fixed noise
    assert not torch.allclose(a.frames[-1][1], m.frames[-1][1])     # a different D trains G differently
    cov = a.coverage[0]
    assert set(cov) == {"modes", "high_quality", "reverse_kl", "spread"} and 0 <= cov["modes"] <= 8


def test_collapse_run_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    collapse.collapse_run("vanilla", seed=6, steps=2, every=1)
    torch.testing.assert_close(torch.rand(3), expected)


def test_collapse_run_rejects_unknown_setting():
    with pytest.raises(ValueError, match="setting"):
        collapse.collapse_run("unrolled")


def test_default_steps_follow_fast_mode(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_FAST", "1")
    assert collapse.default_steps() == 40
    monkeypatch.setenv("GAN_COURSE_FAST", "0")
    assert collapse.default_steps() == 2000


def test_figures_table_and_hopping(monkeypatch):
    runs = {name: collapse.collapse_run(name, seed=7, steps=4, every=2) for name in ("vanilla", "minibatch stddev")}
    fig = collapse.snapshots_figure(list(runs.values()), n_columns=3)
    assert len(fig.axes) == 2 * 4
    plt.close(fig)
    table = collapse.coverage_table(runs)
    assert "vanilla" in table and "minibatch stddev" in table
    hops = collapse.hopping_summary(runs["vanilla"])
    assert [s for s, _ in hops] == [0, 2, 4] and all(set(m) <= set(range(8)) for _, m in hops)


def test_show_collapse_static_and_live_faces(monkeypatch):
    monkeypatch.setattr(collapse, "default_steps", lambda: 4)
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")
    runs = collapse.show_collapse(("vanilla",), seed=8)
    assert list(runs) == ["vanilla"]
    widget = collapse.collapse_widget(runs)
    assert widget.children                                          # switch, slider, output
    plt.close("all")


# -- the cuts between modes ------------------------------------------------------------------------------

def test_truncation_raises_quality_of_a_real_run_and_keeps_its_modes():
    run = collapse.collapse_run("tuned", seed=2, steps=600, every=600)  # 8/8 modes, about 91 % high quality
    numbers = collapse.cuts_numbers(run, reject=0.02)
    assert numbers == collapse.cuts_numbers(run, reject=0.02), "the same noise seed should give the same numbers"
    assert numbers["modes"] == 8 and numbers["modes_truncated"] == 8
    assert numbers["high_quality_truncated"] > numbers["high_quality"] + 0.01, (
        f"dropping the 2 % of draws where G is steepest should lift the high-quality fraction by more than a "
        f"point; got {numbers['high_quality']:.4f} -> {numbers['high_quality_truncated']:.4f}")
    plain = run.trainer.sample(2500, generator=torch.Generator().manual_seed(collapse.CUTS_SEED))
    expected = metrics.mode_coverage(plain, collapse.ring8_centres(), collapse.RING8_STD, min_count=collapse.MIN_COUNT)
    assert numbers["high_quality"] == expected["high_quality_fraction"]
    assert collapse.cuts_numbers(run, reject=0.0)["high_quality_truncated"] == numbers["high_quality"]
    fig = collapse.cuts_figure(run, reject=0.02, size=21)
    noise_plane, samples = fig.axes[0], fig.axes[1]
    assert noise_plane.get_images()[0].get_array().shape == (21, 21)
    assert f"{numbers['high_quality']:.1%} plainly" in samples.get_title()
    plt.close(fig)


def test_cuts_need_a_run_with_its_trainer():
    with pytest.raises(TypeError, match="cuts_numbers run: expected a CollapseRun"):
        collapse.cuts_numbers("tuned")
    bare = collapse.CollapseRun("tuned", 2, frames=[])
    with pytest.raises(ValueError, match="cuts_figure run: this CollapseRun keeps no trainer"):
        collapse.cuts_figure(bare)
    run = collapse.collapse_run("tuned", seed=5, steps=2, every=2)
    with pytest.raises(ValueError, match=r"cuts_figure reject: expected a number in \[0, 1\)"):
        collapse.cuts_figure(run, reject=1.0)
    with pytest.raises(ValueError, match=r"reject: expected a number in \[0, 1\)"):
        collapse.cuts_numbers(run, reject=-0.5)


# -- JSD path -------------------------------------------------------------------------------------------

def test_jsd_path_values_and_shape():
    ts = np.linspace(0, 1, 101)
    path = collapse.jsd_path(ts)
    assert path[0] == pytest.approx(0.75 * math.log(4 / 3), rel=1e-9)
    assert path[0] == pytest.approx(0.2158, abs=1e-4)
    assert path[50] == pytest.approx(0.0, abs=1e-12)
    assert (path[1:51] < path[:50]).all()                           # falls monotonically to t = 1/2
    assert path == pytest.approx(path[::-1], abs=1e-12)
    assert path.max() < math.log(2)
    with pytest.raises(ValueError):
        collapse.jsd_path([1.5])
    plt.close(collapse.jsd_path_figure())


# -- metric cases and the scenario ----------------------------------------------------------------------

def test_metric_cases_show_what_each_metric_misses():
    table = collapse.metrics_table(collapse.metric_cases(n=1000))
    perfect, full, partial = table["perfect"], table["full collapse"], table["partial: 4 of 8"]
    blurry, gauss = table["blurry (10x std)"], table["one Gaussian, same fit"]
    assert perfect["modes"] == 8 and perfect["high_quality"] > 0.97
    assert full["modes"] == 1 and full["spread"] < 0.05 and full["frechet"] > 5
    assert partial["modes"] == 4 and partial["spread"] > 0.9 and partial["frechet"] < 0.1
    assert full["precision"] > 0.9 and full["recall"] < 0.3
    assert blurry["precision"] < 0.2 and blurry["recall"] > 0.9 and blurry["high_quality"] < 0.1
    assert gauss["modes"] == 0 and gauss["frechet"] < 0.1                # same Gaussian fit, no modes
    text = collapse.format_metrics(table)
    assert "one Gaussian, same fit" in text
    plt.close(collapse.cases_figure(collapse.metric_cases(n=200)))


def test_three_mode_sampler_and_digit_rows():
    images = collapse.three_mode_sampler(60)
    assert images.shape == (60, 1, 8, 8) and images.min() >= -1 and images.max() <= 1
    rounded = {tuple(im.flatten().round(decimals=0).tolist()) for im in images}
    assert len(rounded) <= 60
    mosaic = collapse.digit_rows(images, rows=2, cols=5)
    assert mosaic.shape == (20, 50)
    with pytest.raises(ValueError):
        collapse.digit_rows(images[:3], rows=2, cols=5)


def test_scenario_numbers_show_collapse():
    numbers = collapse.scenario_numbers(200)
    healthy, collapsed = numbers.values()
    assert collapsed["fid"] > 10 * healthy["fid"]
    assert collapsed["precision"] > 0.9 and collapsed["recall"] < 0.1
    assert collapsed["classes_seen"] <= 3 and healthy["classes_seen"] == 10
    assert collapsed["spread"] < healthy["spread"]
    assert metrics.collapse_ratio(collapse.three_mode_sampler(100), collapse.digits("train").images[:100]) < 1
