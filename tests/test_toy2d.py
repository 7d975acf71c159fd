"""gan_helpers.toy2d: shapes, errors, the trainer interface (resume, determinism) and a short quality run."""

import math

import pytest
import torch

from gan_helpers.data import RING8_STD, ring8, ring8_centres
from gan_helpers.toy2d import PRESETS, MLPDiscriminator, MLPGenerator, Toy2DConfig, Toy2DTrainer, jacobian_norms


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(**overrides) -> Toy2DConfig:
    return Toy2DConfig.preset("tiny", **overrides)


def batches(trainer: Toy2DTrainer, n: int, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [ring8(trainer.points_per_step, generator=g) for _ in range(n)]


# -- networks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("z_dim,width,depth", [(2, 8, 1), (5, 16, 3)])
def test_generator_and_discriminator_shapes(z_dim, width, depth):
    G = MLPGenerator(z_dim, width, depth, scale=2.0)
    D = MLPDiscriminator(width, depth, activation="leaky_relu", scale=2.0)
    x = G(torch.randn(7, z_dim))
    assert x.shape == (7, 2)
    assert D(x).shape == (7,)
    hidden = [m for m in G.net if isinstance(m, torch.nn.Linear)]
    assert len(hidden) == depth + 1 and hidden[0].out_features == width


def test_discriminator_returns_unbounded_logits_not_probabilities():
    D = MLPDiscriminator(8, 1)
    last = D.net[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(-3.0)
    torch.testing.assert_close(D(torch.randn(4, 2)), torch.full((4,), -3.0))  # a sigmoid could not give -3


def test_scale_is_applied_to_output_and_input():
    torch.manual_seed(0)
    G1, G2 = MLPGenerator(scale=1.0), MLPGenerator(scale=4.0)
    G2.load_state_dict(G1.state_dict())
    z = torch.randn(5, 2)
    torch.testing.assert_close(G2(z), 4.0 * G1(z))
    D1, D4 = MLPDiscriminator(scale=1.0), MLPDiscriminator(scale=4.0)
    D4.load_state_dict(D1.state_dict())
    x = torch.randn(5, 2)
    torch.testing.assert_close(D4(4.0 * x), D1(x))


def test_networks_reject_wrong_input_shapes():
    with pytest.raises(ValueError, match=r"MLPGenerator input z: expected shape \[B, 2\]; got \[4, 3\]"):
        MLPGenerator(z_dim=2)(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"MLPDiscriminator input: expected shape \[B, 2\]; got \[4, 2, 1\]"):
        MLPDiscriminator()(torch.zeros(4, 2, 1))
    with pytest.raises(TypeError, match="floating-point"):
        MLPDiscriminator()(torch.zeros(4, 2, dtype=torch.long))


# -- configuration ----------------------------------------------------------------------------------


def test_presets_exist_and_unknown_names_are_listed():
    for name in ("tiny", "gan-ring", "gan-grid", "wgan-gp-ring", "wgan-gp-grid"):
        assert name in PRESETS
    assert Toy2DConfig.preset("gan-grid").data == "grid25"
    assert Toy2DConfig.preset("wgan-gp-ring").loss == "wgan-gp"
    assert Toy2DConfig.preset("gan-ring", steps=3).steps == 3
    with pytest.raises(ValueError, match=r"unknown toy 2-D GAN preset 'nope'; expected one of \[.*'gan-grid'"):
        Toy2DConfig.preset("nope")
    with pytest.raises(ValueError, match=r"unknown toy 2-D GAN preset"):
        Toy2DTrainer("nope")


@pytest.mark.parametrize("field,value,message", [
    ("data", "spiral", r"data: expected one of \['grid25', 'ring8'\]; got 'spiral'"),
    ("loss", "hinge", r"loss: expected one of \['bce', 'wgan-gp'\]; got 'hinge'"),
    ("activation", "gelu", r"activation: expected one of .*; got 'gelu'"),
    ("batch_size", 0, r"batch_size: expected a positive int; got 0"),
    ("lr_g", 0.0, r"lr_g: expected a positive number; got 0.0"),
    ("betas", (0.5, 1.0), r"betas: expected two numbers in \[0, 1\); got \(0.5, 1.0\)"),
    ("decay_start", 1.5, r"decay_start: expected a number in \[0, 1\] \(a fraction\); got 1.5"),
    ("decay_start", float("nan"), r"decay_start: expected a number in \[0, 1\] \(a fraction\); got nan"),
    ("ema_beta", 1.0, r"ema_beta: expected a number in \[0, 1\) \(0 = no average\); got 1.0"),
    ("gp_weight", -1.0, r"gp_weight: expected a number in \[0, inf\) \(0 = off\); got -1.0"),
    ("gp_weight", float("nan"), r"gp_weight: expected a number in \[0, inf\) \(0 = off\); got nan"),
    ("r1_gamma", -1.0, r"r1_gamma: expected a number in \[0, inf\) \(0 = off\); got -1.0"),
    ("r1_gamma", float("nan"), r"r1_gamma: expected a number in \[0, inf\) \(0 = off\); got nan"),
    ("r1_every", 0, r"r1_every: expected a positive int; got 0"),
    ("z_dist", "cauchy", r"z_dist: expected 'normal' or 'uniform'; got 'cauchy'"),
    ("g_input_gain", 0.0, r"g_input_gain: expected a positive number; got 0.0"),
    ("g_input_scale", -3.0, r"g_input_scale: expected a positive number; got -3.0"),
    ("lr_final", 1.5, r"lr_final: expected a number in \[0, 1\] \(a fraction\); got 1.5"),
])
def test_config_rejects_bad_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        tiny(**{field: value})


def test_learning_rate_decays_linearly_to_its_final_fraction():
    c = tiny(steps=100, decay_start=0.6, lr_final=0.0)
    assert c.lr_factor(0) == 1.0 and c.lr_factor(59) == 1.0
    assert math.isclose(c.lr_factor(80), 0.5, rel_tol=1e-9)  # halfway from step 60 to 100
    assert c.lr_factor(100) == 0.0 and c.lr_factor(150) == 0.0
    floor = tiny(steps=100, decay_start=0.6, lr_final=0.2)
    assert math.isclose(floor.lr_factor(80), 0.6, rel_tol=1e-9)  # halfway from 1 to 0.2
    assert math.isclose(floor.lr_factor(100), 0.2, rel_tol=1e-9)
    assert tiny(steps=100, decay_start=1.0).lr_factor(99) == 1.0


def test_optimisers_follow_the_schedule():
    t = Toy2DTrainer(tiny(steps=4, decay_start=0.5, lr_final=0.0, lr_g=1e-3, lr_d=2e-3))
    seen = []
    for b in batches(t, 4):
        t.step(b)
        seen.append((t.opt_G.param_groups[0]["lr"], t.opt_D.param_groups[0]["lr"]))
    expected = [(1e-3, 2e-3), (1e-3, 2e-3), (1e-3, 2e-3), (5e-4, 1e-3)]  # steps 0-1 flat, 2 → 1.0, 3 → 0.5
    for (g, d), (eg, ed) in zip(seen, expected):
        assert math.isclose(g, eg, rel_tol=1e-9) and math.isclose(d, ed, rel_tol=1e-9), seen


def test_noise_distributions_and_generator_input_gain():
    t = Toy2DTrainer(tiny(z_dist="uniform", z_dim=3))
    z = t.noise(4000, torch.Generator().manual_seed(0))
    assert z.shape == (4000, 3) and z.min() >= -1 and z.max() <= 1
    assert abs(z.std().item() - 1 / math.sqrt(3)) < 0.02  # uniform on [-1, 1]: std 1/√3
    n = Toy2DTrainer(tiny()).noise(4000, torch.Generator().manual_seed(0))
    assert abs(n.std().item() - 1) < 0.05
    torch.manual_seed(0)
    plain = MLPGenerator(width=16, input_gain=1.0)
    torch.manual_seed(0)
    steep = MLPGenerator(width=16, input_gain=10.0)
    torch.testing.assert_close(steep.net[0].weight, 10 * plain.net[0].weight)
    torch.testing.assert_close(steep.net[0].bias, 10 * plain.net[0].bias)
    torch.testing.assert_close(steep.net[2].weight, plain.net[2].weight)


def test_generator_input_scale_multiplies_the_noise_not_the_weights():
    torch.manual_seed(0)
    plain = MLPGenerator(width=16)
    torch.manual_seed(0)
    scaled = MLPGenerator(width=16, input_scale=30.0)
    torch.testing.assert_close(scaled.net[0].weight, plain.net[0].weight)  # same initial weights
    z = torch.randn(8, 2)
    torch.testing.assert_close(scaled(z), plain(30 * z))  # ... applied to 30 times the noise
    assert Toy2DTrainer(tiny(g_input_scale=30.0)).G.input_scale == 30.0


def test_fused_adam_is_the_same_update_as_plain_adam():
    """fused_adam changes only the kernel: after 5 steps the weights agree to rounding."""
    runs = []
    for fused in (False, True):
        torch.manual_seed(0)
        t = Toy2DTrainer(tiny(fused_adam=fused))
        assert t.opt_G.defaults["fused"] is (True if fused else None)
        t.train_for(steps=5)
        runs.append(t)
    for a, b in zip(runs[0].G.parameters(), runs[1].G.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match="fused_adam: expected True or False; got 1"):
        tiny(fused_adam=1)
    with pytest.raises(ValueError, match="fused_adam: PyTorch's fused Adam runs on 'cpu' and 'cuda'; got device 'meta'"):
        Toy2DTrainer(tiny(fused_adam=True), device="meta")


# -- trainer ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["bce", "wgan-gp"])
def test_step_returns_finite_losses_and_changes_both_players(loss):
    t = Toy2DTrainer(tiny(loss=loss, n_critic=2))
    g0 = [p.clone() for p in t.G.parameters()]
    d0 = [p.clone() for p in t.D.parameters()]
    e0 = [p.clone() for p in t.G_ema.parameters()]
    logs = t.step(batches(t, 1)[0])
    expected = {"d_loss", "g_loss", "lr_factor"} | ({"gp"} if loss == "wgan-gp" else set())
    assert expected <= set(logs), logs
    assert all(isinstance(v, float) and math.isfinite(v) for v in logs.values()), logs
    assert t.step_count == 1
    assert any(not torch.equal(a, b) for a, b in zip(g0, t.G.parameters())), "G did not move"
    assert any(not torch.equal(a, b) for a, b in zip(d0, t.D.parameters())), "D did not move"
    # The moving average moved by (1 - beta) of the way towards G's new weights.
    beta = t.config.ema_beta
    for old, new, avg in zip(e0, t.G.parameters(), t.G_ema.parameters()):
        torch.testing.assert_close(avg, beta * old + (1 - beta) * new, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss,n_critic", [("bce", 1), ("wgan-gp", 3)])
def test_one_step_is_n_critic_discriminator_updates_then_one_generator_update(loss, n_critic):
    t = Toy2DTrainer(tiny(loss=loss, n_critic=n_critic))
    t.step(batches(t, 1)[0])
    d_steps = {int(v["step"]) for v in t.opt_D.state.values()}
    g_steps = {int(v["step"]) for v in t.opt_G.state.values()}
    assert d_steps == {n_critic} and g_steps == {1}, (d_steps, g_steps)


def test_trainer_rejects_a_config_of_the_wrong_type():
    with pytest.raises(TypeError, match="config: expected a Toy2DConfig or a preset name; got int"):
        Toy2DTrainer(3)


def test_step_accepts_points_labels_pairs_and_rejects_bad_batches():
    t = Toy2DTrainer(tiny())
    pts = batches(t, 1)[0]
    assert math.isfinite(t.step((pts, torch.zeros(len(pts), dtype=torch.long)))["d_loss"])
    with pytest.raises(ValueError, match=r"batch of real points: expected shape \[B, 2\]; got \[64, 3\]"):
        t.step(torch.zeros(64, 3))
    with pytest.raises(ValueError, match="a sequence of 3 items"):
        t.step((pts, pts, pts))
    w = Toy2DTrainer(tiny(loss="wgan-gp", n_critic=5))
    assert w.points_per_step == 5 * w.config.batch_size
    with pytest.raises(ValueError, match="5 critic updates need at least 5 points; got 3"):
        w.step(torch.zeros(3, 2))


@pytest.mark.parametrize("loss", ["bce", "wgan-gp"])
def test_resume_reproduces_an_uninterrupted_run(loss):
    cfg = tiny(loss=loss, n_critic=2, r1_gamma=0.5 if loss == "bce" else 0.0, r1_every=2, steps=4, decay_start=0.25)
    data = batches(Toy2DTrainer(cfg), 4, seed=1)

    torch.manual_seed(0)
    straight = Toy2DTrainer(cfg)
    expected = [straight.step(b) for b in data]

    torch.manual_seed(0)
    first = Toy2DTrainer(cfg)
    for b in data[:2]:
        first.step(b)
    state, rng = first.state_dict(), torch.get_rng_state()
    torch.manual_seed(1234)  # disturb the global RNG; loading must restore everything
    resumed = Toy2DTrainer(cfg)
    resumed.load_state_dict(state)
    torch.set_rng_state(rng)
    got = [resumed.step(b) for b in data[2:]]
    for e, g in zip(expected[2:], got):
        for key in e:
            assert g[key] == pytest.approx(e[key], abs=1e-6), key
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    torch.testing.assert_close(resumed.sample(50, g1), straight.sample(50, g2), rtol=0, atol=1e-6)
    assert resumed.step_count == 4


def test_load_state_dict_rejects_another_config():
    state = Toy2DTrainer(tiny()).state_dict()
    with pytest.raises(ValueError, match="the checkpoint was made with config"):
        Toy2DTrainer(tiny(lr_g=5e-4)).load_state_dict(state)


def test_training_is_deterministic_and_depends_on_the_seed():
    samples = []
    for seed in (0, 0, 1):
        torch.manual_seed(seed)  # the trainer draws everything from torch's global RNG
        t = Toy2DTrainer(tiny())
        t.train_for(steps=5)
        samples.append(t.sample(100))
    torch.testing.assert_close(samples[0], samples[1], rtol=0, atol=0)
    assert (samples[0] - samples[2]).abs().max() > 1e-3


def test_sampling_noise_sources_and_fixed_noise():
    t = Toy2DTrainer(tiny())
    torch.manual_seed(5)
    a = t.sample(30)
    torch.manual_seed(5)
    torch.testing.assert_close(t.sample(30), a)  # default: torch's global RNG
    assert not torch.equal(t.sample(30), a)
    before = torch.get_rng_state()
    b = t.sample(30, generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.get_rng_state(), before)  # a generator of its own leaves the global RNG alone
    torch.testing.assert_close(t.sample(30, generator=torch.Generator().manual_seed(7)), b)
    torch.testing.assert_close(t.sample(10, fixed=True), t.G_ema(t.fixed_z[:10]))
    with pytest.raises(ValueError, match="the fixed noise holds 2500 vectors; got n=2501"):
        t.sample(2501, fixed=True)
    with pytest.raises(ValueError, match="n: expected a positive int; got 0"):
        t.sample(0)


def test_jacobian_norms_match_closed_forms_and_finite_differences():
    linear = torch.nn.Linear(3, 2)
    z = torch.randn(5, 3)
    torch.testing.assert_close(jacobian_norms(linear, z), linear.weight.norm().expand(5).detach())
    torch.manual_seed(0)
    G = MLPGenerator(z_dim=2, width=16, depth=2, activation="tanh", scale=2.0).double()
    z = torch.randn(6, 2, dtype=torch.float64)
    eps = 1e-6
    columns = [(G(z + eps * e) - G(z - eps * e)) / (2 * eps) for e in torch.eye(2, dtype=torch.float64)]
    numeric = torch.stack(columns, dim=2).flatten(1).norm(dim=1)  # [6]
    torch.testing.assert_close(jacobian_norms(G, z), numeric, rtol=1e-6, atol=1e-8,
                               msg="the norms should equal central finite differences of G")


class _TwoModes(torch.nn.Module):
    """z in [-1, 1]² → a point near (±2, 0): a continuous map with one steep cut at z₀ = 0."""
    z_dim = 2

    def forward(self, z):
        return torch.stack([2 * torch.tanh(25 * z[:, 0]), 0.01 * z[:, 1]], dim=1)


def test_rejection_by_jacobian_norm_removes_the_samples_in_the_cut():
    t = Toy2DTrainer(tiny(z_dist="uniform"))
    t.G_ema = _TwoModes()
    def in_cut(x):  # farther than 3 std (0.05) from both modes at (±2, 0)
        return ((x[:, 0].abs() - 2).abs() > 0.15)
    plain = t.sample(4000, generator=torch.Generator().manual_seed(1))
    assert 0.04 < in_cut(plain).float().mean() < 0.09, "about 6.5 % of uniform z land in this cut"
    kept = t.sample(4000, generator=torch.Generator().manual_seed(1), reject=0.1)
    assert kept.shape == (4000, 2)
    assert in_cut(kept).sum() == 0, "rejecting the 10 % of draws with the largest Jacobian should empty the cut"
    assert 0.45 < (kept[:, 0] > 0).float().mean() < 0.55, "both modes should keep their share"
    # the kept points are the smallest-norm draws of the same noise, in draw order
    z = t.noise(math.ceil(4000 / 0.9), torch.Generator().manual_seed(1))
    norms = jacobian_norms(t.G_ema, z)
    expected = t.G_ema(z[norms <= norms.sort().values[3999]])
    torch.testing.assert_close(kept, expected)


@pytest.mark.parametrize("kwargs,message", [
    (dict(reject=1.0), r"reject: expected a number in \[0, 1\) \(the fraction of draws thrown away\); got 1.0"),
    (dict(reject=float("nan")), r"reject: expected a number in \[0, 1\) .*; got nan"),
    (dict(reject=0.1, fixed=True), r"reject: the fixed noise cannot be truncated .*got reject=0.1 with fixed=True"),
])
def test_rejection_refuses_bad_fractions(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Toy2DTrainer(tiny()).sample(10, **kwargs)


def test_train_for_budgets_and_snapshots():
    t = Toy2DTrainer(tiny())
    history = t.train_for(steps=3)
    assert len(history) == 3 and t.step_count == 3
    assert [h["time"] for h in history] == sorted(h["time"] for h in history)
    history = t.train_for(seconds=0.05)
    assert len(history) >= 1 and history[-1]["time"] >= 0.05
    assert len(t.train_for(seconds=100.0, steps=2)) == 2  # whichever budget ends first
    with pytest.raises(ValueError, match="steps: expected a non-negative int; got -1"):
        t.train_for(steps=-1)
    with pytest.raises(ValueError, match="seconds: expected a positive number; got 0"):
        t.train_for(seconds=0)

    s = Toy2DTrainer(tiny())
    frames = s.train_with_snapshots(steps=5, every=2, n=100)
    assert [step for step, _ in frames] == [0, 2, 4, 5]
    assert all(x.shape == (100, 2) for _, x in frames)
    assert not torch.equal(frames[0][1], frames[-1][1])


def test_sample_grid_is_a_one_channel_picture_in_range():
    t = Toy2DTrainer(tiny())
    img = t.sample_grid(None, size=32)
    assert img.shape == (1, 1, 32, 32)
    assert img.min() >= -1 and img.max() <= 1
    assert img.min() == -1  # the busiest cell is black
    assert (img == 1).float().mean() > 0.5  # most of the picture is empty


def test_short_ring_run_captures_most_modes():
    """600 steps of the tiny preset (about 2 s on one core): at least 7 of the 8 modes are captured.

    Counted here from the nearest centres: a sample is high quality within 3 std of its nearest centre,
    and a mode is captured when at least 20 of 2,500 samples are high-quality ones of it (PacGAN's
    protocol). Measured: seeds 0-7 capture 8/8 except seed 5 (7/8), and on seed 0 the samples' mean
    distance to the nearest centre falls from 0.90 to 0.17 (by 3.7× to 9× over seeds 0-7).
    """
    torch.manual_seed(0)
    t = Toy2DTrainer("tiny")
    before = t.sample(2500)
    t.train_for(steps=t.config.steps)
    after = t.sample(2500)
    centres = ring8_centres()
    dist_before = torch.cdist(before, centres).min(1).values
    dist, nearest = torch.cdist(after, centres).min(1)
    high = dist <= 3 * RING8_STD
    counts = torch.bincount(nearest[high], minlength=8)
    modes = int((counts >= 20).sum())
    assert modes >= 7, f"only {modes} of 8 modes captured after {t.config.steps} steps; counts {counts.tolist()}"
    assert dist.mean() < dist_before.mean() / 3, (f"samples should move onto the modes: mean distance to the "
                                                  f"nearest centre {dist_before.mean():.2f} before, "
                                                  f"{dist.mean():.2f} after")
