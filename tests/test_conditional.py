"""gan_helpers.conditional: shapes, the projection logit, label handling, errors and the trainer contract.

Everything here is tiny (widths 8–16, batches 2–4, a few steps); the quality of the tuned "tiny"
preset is a benchmark, not a test.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn as nn

from gan_helpers.conditional import (CONDITIONAL_PRESETS, ConcatDiscriminator, ConditionalConfig,
                                     ConditionalGenerator, ConditionalTrainer, ProjectionDiscriminator,
                                     build_discriminator, check_labels, projection_logit)

MLP = ConditionalConfig(arch="mlp", resolution=8, channels=1, num_classes=10, z_dim=8, embed_dim=4, g_width=16,
                        d_width=16, mlp_depth=2, batch_size=4, grid_per_class=3)
CONV = ConditionalConfig(arch="conv", resolution=16, channels=3, num_classes=5, z_dim=8, embed_dim=3, g_width=8,
                         d_width=8, batch_size=4, grid_per_class=2)
CONFIGS = {"mlp": MLP, "conv": CONV}
KINDS = [(arch, disc) for arch in CONFIGS for disc in ("concat", "projection")]


pytestmark = pytest.mark.usefixtures("one_thread")


def cfg(arch: str, **changes) -> ConditionalConfig:
    return dataclasses.replace(CONFIGS[arch], **changes)


def images_labels(c: ConditionalConfig, b: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(b, c.channels, c.resolution, c.resolution, generator=g) * 2 - 1
    return x, torch.randint(c.num_classes, (b,), generator=g)


# ---------------------------------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("arch", CONFIGS)
def test_generator_shape_and_range(arch):
    c = cfg(arch)
    torch.manual_seed(0)
    g = ConditionalGenerator(c)
    out = g(torch.randn(3, c.z_dim) * 5, torch.tensor([0, 1, c.num_classes - 1]))
    assert out.shape == (3, c.channels, c.resolution, c.resolution), f"G output shape {list(out.shape)}"
    assert out.abs().max().item() <= 1.0, "G output must be tanh-bounded to [-1, 1]"
    assert isinstance(g.embed, nn.Embedding) and g.embed.weight.shape == (c.num_classes, c.embed_dim)


def test_conv_generator_is_dcgan_layout_at_32():
    """From z as a 1×1 map, 4×4 then three stride-2 layers: four ConvTranspose layers reach 32×32 (spec §8)."""
    c = CONDITIONAL_PRESETS["digits32"]
    g = ConditionalGenerator(c)
    convs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(convs) == 4
    assert (convs[0].stride, convs[0].padding) == ((1, 1), (0, 0))
    assert all((m.kernel_size, m.stride, m.padding) == ((4, 4), (2, 2), (1, 1)) for m in convs[1:])
    assert [m.out_channels for m in convs] == [4 * c.g_width, 2 * c.g_width, c.g_width, 1]
    assert not isinstance(list(g.net)[-1], nn.BatchNorm2d), "no batch norm on G's output layer"


@pytest.mark.parametrize("arch,disc", KINDS)
def test_discriminators_return_logits_of_shape_b(arch, disc):
    c = cfg(arch, discriminator=disc)
    torch.manual_seed(0)
    d = build_discriminator(c)
    assert isinstance(d, ConcatDiscriminator if disc == "concat" else ProjectionDiscriminator)
    x, y = images_labels(c, b=3)
    out = d(x * 50, y)  # far outside [-1, 1]: a sigmoid would pin these to 0/1, logits are unbounded
    assert out.shape == (3,), f"D output shape {list(out.shape)}; expected [3]"
    assert not any(isinstance(m, nn.Sigmoid) for m in d.modules()), "discriminators return logits"


def test_concat_discriminator_concatenates_the_label_embedding():
    # MLP: the first layer sees the 64 flat pixels plus the E embedding entries.
    mlp = ConcatDiscriminator(MLP)
    first = next(m for m in mlp.modules() if isinstance(m, nn.Linear))
    assert first.in_features == MLP.channels * MLP.resolution ** 2 + MLP.embed_dim
    # conv: the embedding arrives as E constant feature maps stacked on the C image channels.
    conv = ConcatDiscriminator(CONV)
    seen = {}
    first_conv = next(m for m in conv.modules() if isinstance(m, nn.Conv2d))
    first_conv.register_forward_hook(lambda m, inp, out: seen.update(x=inp[0].detach()))
    x, y = images_labels(CONV, b=2)
    conv(x, y)
    h = seen["x"]
    assert h.shape == (2, CONV.channels + CONV.embed_dim, CONV.resolution, CONV.resolution)
    torch.testing.assert_close(h[:, :CONV.channels], x)
    maps = h[:, CONV.channels:]
    torch.testing.assert_close(maps, conv.embed(y)[:, :, None, None].expand_as(maps))


# ---------------------------------------------------------------------------------------------------- projection


def test_projection_logit_by_hand():
    features = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    psi_out = torch.tensor([0.5, -1.0])
    v_y = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    # 0.5 + (1*1 + 2*0) = 1.5 ; -1 + (3*0 + 4*2) = 7
    torch.testing.assert_close(projection_logit(features, psi_out, v_y), torch.tensor([1.5, 7.0]))


@pytest.mark.parametrize("arch", CONFIGS)
def test_projection_discriminator_is_psi_plus_inner_product(arch):
    c = cfg(arch, discriminator="projection")
    torch.manual_seed(0)
    d = ProjectionDiscriminator(c).eval()
    x, y = images_labels(c)
    phi = d.features(x)
    assert phi.shape == (4, d.feature_dim)
    expected = phi @ d.psi.weight[0] + d.psi.bias[0] + (d.class_embed.weight[y] * phi).sum(1)
    torch.testing.assert_close(d(x, y), expected, rtol=1e-5, atol=1e-6)
    assert d.class_embed.weight.shape == (c.num_classes, d.feature_dim)


def test_projection_logit_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"psi_out: expected shape \[2\]; got \[2, 1\]"):
        projection_logit(torch.zeros(2, 3), torch.zeros(2, 1), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"class_embedding: expected shape \[2, 3\]; got \[2, 4\]"):
        projection_logit(torch.zeros(2, 3), torch.zeros(2), torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"features: expected shape \[B, F\]; got \[2\]"):
        projection_logit(torch.zeros(2), torch.zeros(2), torch.zeros(2))


# ---------------------------------------------------------------------------------------------------- labels matter


@pytest.mark.parametrize("arch", CONFIGS)
def test_changing_the_label_changes_g_and_d(arch):
    c = cfg(arch)
    torch.manual_seed(0)
    g = ConditionalGenerator(c).eval()
    z = torch.randn(1, c.z_dim).repeat(2, 1)
    out = g(z, torch.tensor([0, 1]))
    assert (out[0] - out[1]).abs().max().item() > 1e-4, "same z, different label: G's output must differ"
    for disc in ("concat", "projection"):
        d = build_discriminator(dataclasses.replace(c, discriminator=disc)).eval()
        x = images_labels(c, b=1)[0].repeat(2, 1, 1, 1)
        logits = d(x, torch.tensor([0, 1]))
        assert abs(logits[0].item() - logits[1].item()) > 1e-5, f"{disc} D ignores the label"


def test_sample_uses_the_given_generator_and_labels():
    torch.manual_seed(0)
    g = ConditionalGenerator(MLP).eval()
    labels = torch.tensor([3, 3, 7])
    a = g.sample(labels, generator=torch.Generator().manual_seed(5))
    b = g.sample(labels, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(a, b)
    z = torch.randn(3, MLP.z_dim, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(a, g(z, labels))
    assert not a.requires_grad


# ---------------------------------------------------------------------------------------------------- errors


def test_bad_labels_raise_clear_errors():
    g, d = ConditionalGenerator(MLP), ConcatDiscriminator(MLP)
    z, (x, _) = torch.randn(2, MLP.z_dim), images_labels(MLP, b=2)
    with pytest.raises(ValueError, match=r"class indices in \[0, 9\]; got values in \[0, 10\]"):
        g(z, torch.tensor([0, 10]))
    with pytest.raises(ValueError, match=r"class indices in \[0, 9\]; got values in \[-1, 2\]"):
        d(x, torch.tensor([-1, 2]))
    with pytest.raises(TypeError, match=r"integer tensor .*got dtype torch.float32"):
        g(z, torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match=r"integer tensor .*got dtype torch.bool"):
        d(x, torch.tensor([True, False]))
    with pytest.raises(TypeError, match="expected a torch.Tensor of int64 class indices; got list"):
        check_labels([0, 1], 10)
    with pytest.raises(ValueError, match=r"expected shape \[B\] .*got \[2, 10\]"):
        d(x, torch.zeros(2, 10, dtype=torch.long))  # one-hot labels
    with pytest.raises(ValueError, match="expected 2 labels, one per image; got 3"):
        g(z, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="must have the same batch size; got 2 and 3"):
        d(x, torch.tensor([0, 1, 2]))


def test_bad_images_and_noise_raise_clear_errors():
    g, d = ConditionalGenerator(MLP), ProjectionDiscriminator(MLP)
    with pytest.raises(ValueError, match=r"z: expected shape \[B, 8\]; got \[2, 9\]"):
        g(torch.randn(2, 9), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 1, 8, 8\]; got \[2, 64\]"):
        d(torch.zeros(2, 64), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 3, 16, 16\]; got \[2, 1, 16, 16\]"):
        ConcatDiscriminator(CONV)(torch.zeros(2, 1, 16, 16), torch.tensor([0, 1]))


def test_presets_and_config_validation():
    with pytest.raises(ValueError, match=r"unknown conditional GAN preset 'mnist'; expected one of \['cifar10', "
                                         r"'digits32', 'tiny'\]"):
        ConditionalConfig.preset("mnist")
    with pytest.raises(ValueError, match="unknown conditional GAN preset"):
        ConditionalTrainer("imagenet")
    with pytest.raises(ValueError, match=r"discriminator: expected one of \['concat', 'projection'\]; got 'sum'"):
        ConditionalConfig(discriminator="sum")
    with pytest.raises(ValueError, match=r"loss: expected one of \['bce', 'hinge'\]; got 'wgan'"):
        ConditionalConfig(loss="wgan")
    with pytest.raises(ValueError, match="power of two from 8 up; got 24"):
        ConditionalConfig(arch="conv", resolution=24)
    with pytest.raises(ValueError, match="label_smoothing applies to the BCE loss only"):
        ConditionalConfig(loss="hinge", label_smoothing=0.1)
    with pytest.raises(TypeError, match="expected a ConditionalConfig or a preset name; got dict"):
        ConditionalTrainer({"arch": "mlp"})
    with pytest.raises(ValueError, match=r"lr_decay_start: expected a number in \[0, 1\]; got 1.5"):
        ConditionalConfig(lr_decay_start=1.5)
    with pytest.raises(ValueError, match=r"lr_decay_final: expected a number in \[0, 1\]; got -0.1"):
        ConditionalConfig(lr_decay_final=-0.1)
    with pytest.raises(ValueError, match=r"lr_decay_start: expected a number in \[0, 1\]; got '0.5'"):
        ConditionalConfig(lr_decay_start="0.5")
    tiny = ConditionalConfig.preset("tiny")
    assert (tiny.arch, tiny.resolution, tiny.channels, tiny.num_classes) == ("mlp", 8, 1, 10)
    d32 = ConditionalConfig.preset("digits32")
    assert (d32.arch, d32.resolution, d32.channels) == ("conv", 32, 1)
    cifar = ConditionalConfig.preset("cifar10")
    assert (cifar.arch, cifar.resolution, cifar.channels, cifar.discriminator) == ("conv", 32, 3, "projection")
    assert (cifar.g_width, cifar.d_width) == (64, 64)  # DCGAN widths; no published layout, so no count asserted
    # Every preset builds and runs a forward pass (batch 2).
    for name, c in CONDITIONAL_PRESETS.items():
        torch.manual_seed(0)
        x, y = images_labels(c, b=2)
        assert build_discriminator(c)(x, y).shape == (2,), name
        assert ConditionalGenerator(c)(torch.randn(2, c.z_dim), y).shape == x.shape, name


def test_spectral_norm_wraps_every_d_layer_and_drops_batch_norm():
    c = cfg("conv", discriminator="projection", spectral_norm=True)
    torch.manual_seed(0)
    d = ProjectionDiscriminator(c)
    layers = [m for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert layers and all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    x, y = images_labels(c)
    for _ in range(20):  # power iterations run in training mode
        d(x, y)
    w = d.psi.weight
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=1e-3)


# ---------------------------------------------------------------------------------------------------- trainer


def batches(c: ConditionalConfig, n: int, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n`` fixed batches ``(images [B, C, R, R] in [-1, 1], labels [B])`` of the config's batch size."""
    return [images_labels(c, b=c.batch_size, seed=1000 * seed + i) for i in range(n)]


def run_steps(trainer: ConditionalTrainer, n: int) -> list[dict[str, float]]:
    return [trainer.step(b) for b in batches(trainer.config, n)]


@pytest.mark.parametrize("arch,disc,loss", [("mlp", "concat", "bce"), ("mlp", "projection", "hinge"),
                                            ("conv", "concat", "bce"), ("conv", "projection", "hinge")])
def test_trainer_steps_are_finite_and_update_both_networks(arch, disc, loss):
    torch.manual_seed(0)
    tr = ConditionalTrainer(cfg(arch, discriminator=disc, loss=loss, spectral_norm=loss == "hinge"))
    g0 = [p.detach().clone() for p in tr.generator.parameters()]
    d0 = [p.detach().clone() for p in tr.discriminator.parameters()]
    history = run_steps(tr, 3)
    assert tr.step_count == 3
    for h in history:
        assert set(h) == {"d_loss", "g_loss"} and all(isinstance(v, float) and math.isfinite(v) for v in h.values())
    assert history[0] != history[-1], "losses did not change over 3 steps"
    assert any((a - p).abs().max() > 0 for a, p in zip(g0, tr.generator.parameters())), "G was not updated"
    assert any((a - p).abs().max() > 0 for a, p in zip(d0, tr.discriminator.parameters())), "D was not updated"


@pytest.mark.parametrize("loss,d_expected,g_expected", [("bce", 2 * math.log(2), math.log(2)), ("hinge", 2.0, 0.0)])
def test_first_losses_with_a_zero_logit_discriminator(loss, d_expected, g_expected):
    """A D whose head is zero-initialised outputs logit 0: BCE d_loss = 2 ln 2, hinge d_loss = 2 (before its step)."""
    torch.manual_seed(0)
    tr = ConditionalTrainer(cfg("mlp", loss=loss))
    nn.init.zeros_(tr.discriminator.head.weight)
    nn.init.zeros_(tr.discriminator.head.bias)
    out = run_steps(tr, 1)[0]
    assert out["d_loss"] == pytest.approx(d_expected, abs=1e-6)
    # g_loss is measured after D's first update, which moves the logits a little away from 0.
    assert out["g_loss"] == pytest.approx(g_expected, abs=0.05)


def test_fake_labels_are_drawn_uniformly_not_copied_from_the_batch():
    torch.manual_seed(0)
    tr = ConditionalTrainer(MLP)
    seen = []
    tr.generator.register_forward_pre_hook(lambda m, args: seen.append(args[1].clone()))
    x = images_labels(MLP, b=40)[0]
    tr.step((x, torch.zeros(40, dtype=torch.long)))  # every real image labelled 0
    (fake_labels,) = seen
    assert fake_labels.dtype == torch.int64 and fake_labels.shape == (40,)
    # 40 uniform draws over 10 classes cover at least 5 of them except with probability < 1e-12.
    assert len(fake_labels.unique()) >= 5, f"fake labels {fake_labels.tolist()} look copied from the batch"


def test_trainer_rejects_bad_batches():
    tr = ConditionalTrainer(MLP)
    x, y = images_labels(MLP)
    with pytest.raises(TypeError, match=r"expected a batch \(images \[B, C, R, R\], labels \[B\]\); got Tensor"):
        tr.step(x)
    with pytest.raises(ValueError, match="same batch size; got 4 and 3"):
        tr.step((x, y[:3]))
    with pytest.raises(TypeError, match="integer tensor"):
        tr.step((x, y.float()))
    with pytest.raises(ValueError, match=r"class indices in \[0, 9\]; got values in \[0, 12\]"):
        tr.step((x, torch.tensor([0, 1, 2, 12])))
    with pytest.raises(ValueError, match=r"pixel values in \[-1, 1\]"):
        tr.step(((x + 1) * 127.5, y))
    assert tr.step_count == 0


def test_sample_grid_has_one_row_per_class_with_fixed_noise():
    torch.manual_seed(0)
    tr = ConditionalTrainer(CONV)
    run_steps(tr, 1)
    grid = tr.sample_grid(None)
    k, n = CONV.num_classes, CONV.grid_per_class
    assert grid.shape == (k * n, CONV.channels, CONV.resolution, CONV.resolution)
    assert grid.abs().max().item() <= 1.0
    tr.generator.eval()
    expected = tr.generator(tr.fixed_noise.repeat(k, 1), torch.arange(k).repeat_interleave(n))
    tr.generator.train()
    torch.testing.assert_close(grid, expected)
    torch.testing.assert_close(tr.sample_grid(None), grid)  # no randomness, no batch-norm update
    assert tr.generator.training, "sample_grid must restore G's training mode"
    rows = grid.view(k, n, -1)
    assert (rows[0] - rows[1]).abs().max().item() > 1e-4, "rows of different classes should differ"


@pytest.mark.parametrize("arch", CONFIGS)
def test_resume_reproduces_an_uninterrupted_run(arch):
    c = cfg(arch, discriminator="projection", ema_decay=0.9)
    data = batches(c, 4)
    torch.manual_seed(0)
    straight = ConditionalTrainer(c)
    expected = [straight.step(b) for b in data]

    torch.manual_seed(0)
    first = ConditionalTrainer(c)
    got = [first.step(b) for b in data[:2]]
    state, rng = first.state_dict(), torch.get_rng_state()
    torch.manual_seed(123)  # as in a fresh process: another RNG state, other initial weights
    second = ConditionalTrainer(c)
    second.load_state_dict(state)
    torch.set_rng_state(rng)
    assert second.step_count == 2
    got += [second.step(b) for b in data[2:]]
    for i, (a, b) in enumerate(zip(got, expected)):
        for key in ("d_loss", "g_loss"):
            assert a[key] == pytest.approx(b[key], abs=1e-6), f"step {i}: {key} differs after resume"
    for p, q in zip(second.generator_ema.state_dict().values(), straight.generator_ema.state_dict().values()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


def test_ema_generator_is_the_moving_average_and_makes_the_grid():
    c = cfg("conv", ema_decay=0.75)
    torch.manual_seed(0)
    tr = ConditionalTrainer(c)
    before = [p.detach().clone() for p in tr.generator.parameters()]
    run_steps(tr, 1)
    for p0, p, p_ema in zip(before, tr.generator.parameters(), tr.generator_ema.parameters()):
        torch.testing.assert_close(p_ema, 0.75 * p0 + 0.25 * p)  # one step: d·θ_0 + (1 - d)·θ_1
    for b, b_ema in zip(tr.generator.buffers(), tr.generator_ema.buffers()):
        torch.testing.assert_close(b_ema, b)
    assert tr.sampler is tr.generator_ema and not tr.generator_ema.training
    assert not any(p.requires_grad for p in tr.generator_ema.parameters())
    k, n = c.num_classes, c.grid_per_class
    expected = tr.generator_ema(tr.fixed_noise.repeat(k, 1), torch.arange(k).repeat_interleave(n))
    torch.testing.assert_close(tr.sample_grid(None), expected)
    assert ConditionalTrainer(MLP).generator_ema is None
    with pytest.raises(ValueError, match=r"ema_decay: expected a number in \[0, 1\) \(0 = no EMA\); got 1.0"):
        ConditionalConfig(ema_decay=1.0)


def test_lazy_r1_is_added_to_d_loss_on_every_r1_every_th_step():
    """R1 (γ/2 · E‖∇ₓ D(x, y)‖², γ times r1_every when lazy) on the real images with their own labels."""
    gamma, every = 2.0, 2
    torch.manual_seed(0)
    with_r1 = ConditionalTrainer(cfg("mlp", r1_gamma=gamma, r1_every=every))
    torch.manual_seed(0)
    plain = ConditionalTrainer(cfg("mlp"))
    data = batches(MLP, 3)
    x, y = (t.clone() for t in data[0])
    x.requires_grad_(True)
    grad = torch.autograd.grad(with_r1.discriminator(x, y).sum(), x)[0]       # [B, 1, 8, 8], D before any step
    expected = gamma * every / 2 * grad.square().flatten(1).sum(1).mean().item()
    torch.manual_seed(1)                                   # the same noise and fake labels for both
    first = with_r1.step(data[0])
    torch.manual_seed(1)
    first_plain = plain.step(data[0])
    assert first["r1"] == pytest.approx(expected, rel=1e-5), "step 0 should apply R1 to the real batch and labels"
    assert first["d_loss"] - first_plain["d_loss"] == pytest.approx(expected, rel=1e-4), \
        "D's loss at an R1 step should be the plain loss plus the penalty"
    assert first["g_loss"] == pytest.approx(first_plain["g_loss"], abs=0.05)
    second = with_r1.step(data[1])
    assert second["r1"] == first["r1"], "step 1 is not a multiple of r1_every: the last value is reported again"
    third = with_r1.step(data[2])
    assert third["r1"] != first["r1"] and third["r1"] > 0, "step 2 should compute R1 again"
    assert "r1" not in first_plain, "without R1 the step reports only d_loss and g_loss"
    assert with_r1.state_dict()["last_r1"] == third["r1"]
    with pytest.raises(ValueError, match=r"r1_gamma: expected a number in \[0, inf\) \(0 = no R1\); got -1.0"):
        ConditionalConfig(r1_gamma=-1.0)


def test_lr_decay_schedule():
    """Constant up to the decay start, linear down to ``lr_decay_final`` at ``steps``, flat beyond."""
    tr = ConditionalTrainer(cfg("mlp", lr_g=2e-3, lr_d=1e-3, steps=100, lr_decay_start=0.6, lr_decay_final=0.2))
    assert [tr.lr_scale(s) for s in (0, 30, 60)] == [1.0, 1.0, 1.0]
    assert tr.lr_scale(80) == pytest.approx(0.6)     # halfway from step 60 to step 100: 1 - 0.8 / 2
    assert tr.lr_scale(100) == pytest.approx(0.2) and tr.lr_scale(150) == pytest.approx(0.2)
    tr.step_count = 80                                # the optimisers get the scaled rates at the next step
    tr.step(images_labels(tr.config))
    assert tr.opt_g.param_groups[0]["lr"] == pytest.approx(2e-3 * 0.6)
    assert tr.opt_d.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.6)
    constant = ConditionalTrainer(cfg("mlp", steps=100))  # the default: no decay
    assert all(constant.lr_scale(s) == 1.0 for s in (0, 50, 100, 200))
    whole = ConditionalTrainer(cfg("mlp", steps=10, lr_decay_start=0.0))  # decay from the first step, to 0
    assert [whole.lr_scale(s) for s in (0, 5, 10)] == pytest.approx([1.0, 0.5, 0.0])


def test_load_state_dict_refuses_another_config():
    state = ConditionalTrainer(MLP).state_dict()
    with pytest.raises(ValueError, match=r"different ConditionalConfig \(fields \['d_width'\] differ\)"):
        ConditionalTrainer(dataclasses.replace(MLP, d_width=32)).load_state_dict(state)


def test_cpu_training_is_deterministic():
    runs = []
    for _ in range(2):
        torch.manual_seed(7)
        tr = ConditionalTrainer(cfg("conv"))
        runs.append((run_steps(tr, 2), tr.sample_grid(None)))
    for a, b in zip(runs[0][0], runs[1][0]):
        assert a == pytest.approx(b, rel=0, abs=1e-7)
    torch.testing.assert_close(runs[0][1], runs[1][1], rtol=0, atol=1e-7)
