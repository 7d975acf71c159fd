"""gan_helpers.latency: honest latency measurement, the exact diffusion sampler, cited numbers, figures."""

from __future__ import annotations

import statistics
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from gan_helpers import latency as L  # noqa: E402
from gan_helpers.data import ring8_centres  # noqa: E402


def test_median_of_repeats_after_untimed_warmup():
    clock = L.FakeClock()
    # warm-up calls cost 1 s each (cold start), timed calls 0.01, 0.03, 0.02, with one 5 s outlier
    costs = [1.0, 1.0, 1.0, 0.01, 0.03, 5.0, 0.02, 0.02]
    fn = L.CountingCallable(clock, costs)
    result = L.measure_latency(fn, warmup=3, repeats=5, clock=clock)
    assert isinstance(result, float)
    assert fn.calls == 8
    assert result == pytest.approx(statistics.median([0.01, 0.03, 5.0, 0.02, 0.02]), abs=1e-12)
    assert clock.reads == 10                      # two readings per timed call, none around warm-up


@pytest.mark.parametrize("warmup,repeats", [(0, 1), (0, 4), (5, 3)])
def test_counts_and_edge_cases(warmup, repeats):
    clock = L.FakeClock()
    fn = L.CountingCallable(clock, 0.25)
    assert L.measure_latency(fn, warmup=warmup, repeats=repeats, clock=clock) == pytest.approx(0.25, abs=1e-12)
    assert fn.calls == warmup + repeats


@pytest.mark.parametrize("bad", [{"warmup": -1}, {"repeats": 0}, {"repeats": 2.0}, {"warmup": True}])
def test_measure_latency_rejects_bad_counts(bad):
    with pytest.raises(ValueError):
        L.measure_latency(lambda: None, clock=L.FakeClock(), **bad)
    with pytest.raises(TypeError):
        L.measure_latency("not callable")


def test_real_clock_gives_a_small_positive_time():
    t = L.measure_latency(lambda: sum(range(1000)), warmup=1, repeats=5)
    assert 0 < t < 1


@pytest.mark.parametrize("steps", [1, 7, 50])
def test_compare_sampling_ratio_is_the_number_of_steps_on_a_fake_clock(steps):
    clock = L.FakeClock()
    net = L.CountingNet(clock, cost=0.002)
    one, many, ratio = L.compare_sampling(net, torch.zeros(3, 4), steps=steps, warmup=2, repeats=3, clock=clock)
    assert one == pytest.approx(0.002, rel=1e-9)
    assert many == pytest.approx(0.002 * steps, rel=1e-9)
    assert ratio == pytest.approx(steps, rel=1e-9)
    assert net.calls == (2 + 3) * (1 + steps)     # every pass on the object it was given
    assert not any(net.grad_enabled)              # sampling builds no autograd graph


def test_iterative_chains_the_outputs():
    net = L.CountingNet(L.FakeClock(), cost=0.0)
    out = L.iterative(net, torch.zeros(2, 3), steps=5)
    assert torch.allclose(out, torch.full((2, 3), 5.0))
    assert torch.allclose(L.one_pass(net, torch.zeros(2, 3)), torch.ones(2, 3))
    with pytest.raises(ValueError):
        L.iterative(net, torch.zeros(1), steps=0)


def test_compare_sampling_refuses_a_clock_that_does_not_move():
    clock = L.FakeClock()
    with pytest.raises(ValueError, match="did not advance"):
        L.compare_sampling(L.CountingNet(clock, cost=0.0), torch.zeros(1, 2), steps=3, warmup=0, repeats=1, clock=clock)


def test_fakes_copy_counts_separately_and_clock_is_monotone():
    import copy
    clock = L.FakeClock()
    net = L.CountingNet(clock, cost=[0.5, 0.1])
    twin = copy.deepcopy(net)
    twin(torch.zeros(1))
    assert net.calls == 0 and twin.calls == 1
    net(torch.zeros(1)); net(torch.zeros(1)); net(torch.zeros(1))
    assert clock.now == pytest.approx(100.0 + 0.5 + 0.1 + 0.1)
    with pytest.raises(ValueError):
        clock.advance(-1)
    fn = L.CountingCallable(clock, cost=lambda i: 0.1 * (i + 1))
    fn(); fn()
    assert fn.clock_at_call[1] - fn.clock_at_call[0] == pytest.approx(0.1)


def test_tiny_denoiser_is_shape_preserving_deterministic_and_leaves_the_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, b = L.TinyDenoiser(seed=0), L.TinyDenoiser(seed=0)
    after = torch.rand(1)
    assert torch.equal(before, after)
    x = torch.randn(5, 64)
    assert a(x).shape == (5, 64)
    assert torch.equal(a(x), b(x))
    ratio = L.compare_sampling(a, x, steps=20, warmup=2, repeats=5)[2]
    assert ratio > 2                              # real timing: never graded, only sane


def test_exact_denoiser_limits():
    c = ring8_centres().double()
    x = torch.randn(100, 2, dtype=torch.float64)
    # huge noise: the denoiser returns the data mean (the centre of the ring)
    assert L.exact_denoiser(x, 1e4).abs().max() < 1e-3
    # no noise at a centre: the centre itself
    assert torch.allclose(L.exact_denoiser(c, 0.0), c, atol=1e-9)
    # brute force: E[x0 | x] by importance weights over many x0 samples
    g = torch.Generator().manual_seed(0)
    x0 = c[torch.randint(8, (200_000,), generator=g)] + 0.02 * torch.randn(200_000, 2, generator=g, dtype=torch.float64)
    q = torch.tensor([[0.7, 0.9]], dtype=torch.float64)
    sigma = 1.0
    w = torch.softmax(-((q - x0) ** 2).sum(1) / (2 * sigma ** 2), dim=0)
    brute = (w[:, None] * x0).sum(0, keepdim=True)
    assert torch.allclose(L.exact_denoiser(q, sigma), brute, atol=2e-2)


def test_karras_sigmas():
    s = L.karras_sigmas(10)
    assert s.shape == (11,) and s[0] == pytest.approx(20.0) and s[-2] == pytest.approx(0.002) and s[-1] == 0
    assert bool((s[1:] < s[:-1]).all())
    assert L.karras_sigmas(1).tolist() == pytest.approx([20.0, 0.0])


def test_one_step_blurs_to_the_mean_and_many_steps_find_the_modes():
    one = L.denoise_sample(1, n=1000)
    assert one.norm(dim=1).mean() < 0.3          # the average of the ring: its centre
    many = L.denoise_sample(50, n=1000)
    hq, modes = L._quality(many)
    assert hq > 0.95 and modes == 8
    assert L._quality(one) == (0.0, 0)


def test_measure_tradeoff_with_a_fake_clock_and_a_generator():
    clock = L.FakeClock()
    ticks = L.CountingCallable(clock, 0.001)
    points = L.measure_tradeoff((1, 8), n=400, warmup=0, repeats=1, clock=lambda: (ticks(), clock())[1],
                                generator=lambda n: L.denoise_sample(50, n))
    assert [p.steps for p in points] == [1, 8, 1]
    assert points[-1].family.startswith("GAN") and points[-1].modes == 8
    assert points[0].high_quality == 0 and points[1].high_quality > 0.5
    assert all(p.seconds == pytest.approx(0.001) for p in points)


def test_cited_numbers_are_the_course_facts():
    fid = {(r["system"], r["benchmark"]): r["fid"] for r in L.CITED_FID}
    assert fid == {("StyleGAN", "FFHQ 1024²"): 4.40, ("StyleGAN2", "FFHQ 1024²"): 2.84,
                   ("StyleGAN-XL", "FFHQ 1024²"): 2.02, ("BigGAN-deep", "ImageNet 256²"): 6.95,
                   ("StyleGAN-XL", "ImageNet 256²"): 2.30, ("BigGAN", "ImageNet 128²"): 7.4}
    assert L.BIGGAN_128_IS == 166.5
    seconds = {r["system"]: r["seconds"] for r in L.CITED_LATENCY}
    assert seconds == {"GigaGAN": 0.13, "SDXL-Turbo (ADD)": 0.207}


def test_timeline_years_are_arxiv_years():
    years = {name: L.arxiv_year(arxiv_id) for name, arxiv_id, _ in L.TIMELINE}
    assert years == {"GAN": 2014, "DCGAN": 2015, "WGAN": 2017, "WGAN-GP": 2017, "ProGAN": 2017, "SN-GAN": 2018,
                     "BigGAN": 2018, "StyleGAN": 2018, "StyleGAN2": 2019, "DDPM": 2020, "StyleGAN3": 2021,
                     "StyleGAN-XL": 2022, "GigaGAN": 2023, "ADD / SDXL-Turbo": 2023}
    for bad in ("14.2661", "1413.0001", "abcd.1234"):
        with pytest.raises(ValueError):
            L.arxiv_year(bad)


def test_figures_draw_with_labelled_axes():
    points = [L.TradeoffPoint("1-step", "diffusion (exact denoiser)", 1, 0.001, 0.0, 0),
              L.TradeoffPoint("8-step", "diffusion (exact denoiser)", 8, 0.008, 0.8, 8),
              L.TradeoffPoint("trained GAN", "GAN (one pass)", 1, 0.0005, 0.97, 8)]
    axes = L.plot_tradeoff(points, highlight_steps=8, network_seconds={1: 1e-4, 8: 8e-4})
    assert all(ax.get_xlabel() for ax in axes) and axes[0].get_ylabel()
    assert "cited" in axes[1].get_title() and "Measured" in axes[0].get_title()
    bar_labels = [t.get_text() for t in axes[1].get_yticklabels()]
    assert any("8 passes" in t and "measured" in t for t in bar_labels)
    assert any("GigaGAN" in t and "cited" in t for t in bar_labels)
    assert len(bar_labels) == 4
    cpu_axes = L.plot_tradeoff(points, network_seconds={1: 1e-4}, time_label="CPU time", show_cited=False)
    assert "CPU time" in cpu_axes[0].get_xlabel()
    assert [t.get_text() for t in cpu_axes[1].get_yticklabels()] == ["small MLP, 1 pass\n(measured here: CPU, CPU time)"]
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert any("8 steps" in t for t in labels) and any("GAN" in t for t in labels)
    panels = {"1 step": L.denoise_sample(1, 300), "50 steps": L.denoise_sample(50, 300)}
    for fig in (L.timeline_figure(), L.fid_figure(), L.samples_figure(panels)):
        assert all(ax.get_xlabel() for ax in fig.axes)
    plt.close("all")


def test_show_tradeoff_static_and_live(monkeypatch):
    points = [L.TradeoffPoint("1-step", "diffusion (exact denoiser)", 1, 0.001, 0.0, 0),
              L.TradeoffPoint("4-step", "diffusion (exact denoiser)", 4, 0.004, 0.7, 8)]
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")
    L.show_tradeoff(points, network_seconds={1: 1e-4, 4: 4e-4})
    box = L.tradeoff_widget(points, network_seconds={1: 1e-4, 4: 4e-4})
    slider = box.children[0].children[0]
    assert list(slider.options) == [1, 4]
    slider.value = 1                              # the callback redraws without error
    box.children[0].children[1].value = False
    plt.close("all")


def test_measure_network_steps_on_a_fake_clock():
    clock = L.FakeClock()
    net = L.CountingNet(clock, cost=0.001)
    out = L.measure_network_steps(net, torch.zeros(2, 2), (1, 4, 10), warmup=1, repeats=3, clock=clock)
    assert out == pytest.approx({1: 0.001, 4: 0.004, 10: 0.01})
    assert net.calls == 4 * (1 + 4 + 10)


def test_ratio_report():
    line = L.ratio_report(0.0001, 0.005, 50.0, 50)
    assert "ratio 50.0" in line and "median" in line
    with pytest.raises(ValueError):
        L.ratio_report(float("nan"), 1.0, 1.0, 1)


def test_perf_counter_is_the_default_clock():
    import inspect
    assert inspect.signature(L.measure_latency).parameters["clock"].default is time.perf_counter
