"""gan_helpers.cyclegan: the ResNet generator, the PatchGAN, the image pool, the losses and the trainer."""

import copy
import dataclasses
import io
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from gan_helpers.cyclegan import (CYCLEGAN_PRESETS, CycleGANConfig, CycleGANTrainer, ImagePool, PatchDiscriminator,
                                  ResnetGenerator, count_parameters, cycle_loss, identity_loss, patchgan_output_size,
                                  patchgan_receptive_field)

# Official parameter counts, measured by instantiating the official classes on CPU with
# /work/main/.venv/bin/python (torch 2.14.1) from a scratch copy outside this repository of
#   repository junyanz/pytorch-CycleGAN-and-pix2pix, file models/networks.py,
#   commit 48ced5e8e3af621acca066a70203a196ba571bed
# (the `fetch` tool refused the 3.17 GB snapshot, so the file was read at that commit with the search
# tool's read_file), norm_layer = networks.get_norm_layer('instance'), use_dropout=False:
#   ResnetGenerator(3, 3, 64, n_blocks=9)           11,378,179   (resnet_9blocks)
#   ResnetGenerator(3, 3, 64, n_blocks=6)            7,837,699   (resnet_6blocks)
#   NLayerDiscriminator(3, 64, n_layers=3)           2,764,737   (basic, instance norm)
# With the official weights copied in, our modules also gave bit-identical outputs (checked once, by hand).
OFFICIAL_RESNET_9BLOCKS = 11_378_179
OFFICIAL_RESNET_6BLOCKS = 7_837_699
OFFICIAL_PATCHGAN_INSTANCE_3CH = 2_764_737


pytestmark = pytest.mark.usefixtures("one_thread")


def images(b, c=3, r=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, c, r, r, generator=g) * 2 - 1


def tiny(**overrides):
    return CycleGANConfig.preset("tiny", **overrides)


# ---------------------------------------------------------------------------------------------- counts

@pytest.mark.parametrize("n_blocks, expected", [(9, OFFICIAL_RESNET_9BLOCKS), (6, OFFICIAL_RESNET_6BLOCKS)])
def test_resnet_generator_parameter_count_matches_official(n_blocks, expected):
    with torch.device("meta"):  # no memory, no init cost: only the shapes matter
        g = ResnetGenerator(3, 3, width=64, n_blocks=n_blocks, norm="instance")
    assert count_parameters(g) == expected


def test_patchgan_parameter_count_matches_official():
    with torch.device("meta"):
        d = PatchDiscriminator(3, width=64, n_layers=3, norm="instance")
    assert count_parameters(d) == OFFICIAL_PATCHGAN_INSTANCE_3CH


def test_paper_trainer_networks_have_the_official_counts():
    with torch.device("meta"):
        t = CycleGANTrainer("paper", device="meta")
    assert count_parameters(t.G_AB) == count_parameters(t.G_BA) == OFFICIAL_RESNET_9BLOCKS
    assert count_parameters(t.D_A) == count_parameters(t.D_B) == OFFICIAL_PATCHGAN_INSTANCE_3CH
    with torch.device("meta"):
        t128 = CycleGANTrainer("paper-128", device="meta")
    assert count_parameters(t128.G_AB) == OFFICIAL_RESNET_6BLOCKS


# ---------------------------------------------------------------------------------------------- generator

@pytest.mark.parametrize("res", [32, 64])
def test_resnet_generator_shapes_and_range(res):
    torch.manual_seed(0)
    g = ResnetGenerator(3, 1, width=4, n_blocks=1)
    y = g(images(2, 3, res))
    assert y.shape == (2, 1, res, res)
    assert y.abs().max() < 1  # tanh output
    # Non-square inputs whose sides are multiples of 4 work too.
    assert g(images(1, 3, 32)[:, :, :, :20]).shape == (1, 1, 32, 20)


def test_resnet_generator_uses_reflection_padding_and_instance_norm_without_batch_norm():
    g = ResnetGenerator(3, 3, width=4, n_blocks=3, norm="instance")
    modules = list(g.modules())
    # Stem and output conv, plus two per residual block.
    assert sum(isinstance(m, nn.ReflectionPad2d) for m in modules) == 2 + 2 * 3
    assert not any(isinstance(m, nn.BatchNorm2d) for m in modules)
    norms = [m for m in modules if isinstance(m, nn.InstanceNorm2d)]
    assert len(norms) == 3 + 2 + 2 * 3  # stem + 2 down, 2 up, 2 per block
    assert all(not m.affine and not m.track_running_stats for m in norms)
    convs = [m for m in modules if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert all(c.bias is not None for c in convs), "with affine-free instance norm every conv keeps its bias"
    assert isinstance(modules[-1], nn.Tanh)


def test_resnet_generator_with_batch_norm_drops_the_redundant_biases():
    g = ResnetGenerator(3, 3, width=4, n_blocks=1, norm="batch")
    convs = [m for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert [c.bias is not None for c in convs] == [False] * (len(convs) - 1) + [True]


def test_residual_block_is_a_skip_connection():
    g = ResnetGenerator(3, 3, width=4, n_blocks=1)
    block = g.net[10]
    for p in block.body.parameters():
        nn.init.zeros_(p)  # F(x) = norm(0) = 0, so the block is the identity
    x = torch.randn(2, 16, 8, 8)
    torch.testing.assert_close(block(x), x)


def test_resnet_generator_rejects_bad_input():
    g = ResnetGenerator(3, 3, width=4, n_blocks=1)
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 3, H, W\]; got \[2, 1, 32, 32\]"):
        g(images(2, 1, 32))
    with pytest.raises(ValueError, match=r"multiples of 4 and at least 8.*\[1, 3, 30, 30\]"):
        g(images(1, 3, 30))
    with pytest.raises(ValueError, match=r"multiples of 4 and at least 8.*\[1, 3, 4, 4\]"):
        g(images(1, 3, 4))
    with pytest.raises(ValueError, match=r"norm: expected one of \['instance', 'batch', 'none'\]; got 'group'"):
        ResnetGenerator(3, 3, norm="group")
    with pytest.raises(ValueError, match=r"n_blocks: expected an int ≥ 0; got -1"):
        ResnetGenerator(3, 3, n_blocks=-1)
    with pytest.raises(TypeError, match="floating-point"):
        g(torch.zeros(1, 3, 32, 32, dtype=torch.long))


# ---------------------------------------------------------------------------------------------- PatchGAN

def test_patchgan_receptive_field_known_values():
    assert patchgan_receptive_field(3) == 70  # the "70×70 PatchGAN"
    assert patchgan_receptive_field(2) == 34
    assert patchgan_receptive_field(4) == 142
    assert patchgan_receptive_field() == 70


def test_patchgan_output_size_known_values_and_256_gives_30():
    assert patchgan_output_size(256) == 30
    assert patchgan_output_size(256, n_layers=2) == 62
    assert patchgan_output_size(256, n_layers=4) == 14
    assert patchgan_output_size(16) < 1  # too small for 3 layers
    d = PatchDiscriminator(3, width=4, n_layers=3, norm="instance")
    assert d(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)


@pytest.mark.parametrize("n_layers, size", [(1, 9), (1, 37), (2, 37), (3, 37), (3, 64), (3, 100), (4, 64), (4, 100)])
def test_patchgan_output_size_matches_the_network(n_layers, size):
    d = PatchDiscriminator(3, width=2, n_layers=n_layers, norm="batch")
    out = d(torch.zeros(2, 3, size, size + 4))
    assert out.shape == (2, 1, patchgan_output_size(size, n_layers), patchgan_output_size(size + 4, n_layers))


@pytest.mark.parametrize("n_layers", [2, 3, 4])
def test_patchgan_receptive_field_matches_the_network(n_layers):
    """The gradient of one central logit is non-zero on exactly a receptive-field-sized square."""
    torch.manual_seed(0)
    rf = patchgan_receptive_field(n_layers)
    d = PatchDiscriminator(1, width=2, n_layers=n_layers, norm="none")  # a norm would couple every pixel
    x = torch.randn(1, 1, 2 * rf, 2 * rf, requires_grad=True)
    out = d(x)
    c = out.shape[-1] // 2
    (grad,) = torch.autograd.grad(out[0, 0, c, c], x)
    rows = grad[0, 0].abs().sum(1).nonzero().flatten()
    cols = grad[0, 0].abs().sum(0).nonzero().flatten()
    assert (rows.max() - rows.min() + 1).item() == rf
    assert (cols.max() - cols.min() + 1).item() == rf


def test_patch_discriminator_returns_logits_and_no_norm_on_the_input_layer():
    torch.manual_seed(0)
    d = PatchDiscriminator(3, width=4, n_layers=3, norm="instance")
    assert isinstance(d.net[-1], nn.Conv2d)  # no sigmoid
    assert isinstance(d.net[1], nn.LeakyReLU)  # conv → LeakyReLU directly: no norm on the input layer
    with torch.no_grad():
        d.net[-1].bias.fill_(3.0)
    assert d(images(2, 3, 64)).min() > 1  # a logit, not a probability


def test_patch_discriminator_rejects_bad_input():
    d = PatchDiscriminator(3, width=4, n_layers=3)
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 3, H, W\]; got \[2, 1, 64, 64\]"):
        d(images(2, 1, 64))
    with pytest.raises(ValueError, match=r"at least \d+ for n_layers=3; got shape \[2, 3, 16, 16\]"):
        d(images(2, 3, 16))
    with pytest.raises(ValueError, match=r"norm: expected one of"):
        PatchDiscriminator(3, norm="layer")


# ---------------------------------------------------------------------------------------------- pool

def labelled(values, c=1, r=2):
    """Images whose every pixel holds their label, so a returned image tells where it came from."""
    return torch.tensor(values, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, c, r, r).clone()


def test_image_pool_size_zero_passes_through():
    pool = ImagePool(0)
    x = images(4, 3, 8)
    assert pool.query(x) is x
    assert len(pool) == 0


def test_image_pool_fills_to_its_size_returning_the_new_images_while_filling():
    torch.manual_seed(0)
    pool = ImagePool(50)
    for i in range(12):  # 48 images: the pool is not full yet, so each image comes back unchanged
        batch = labelled(range(4 * i, 4 * i + 4), c=3, r=4)
        out = pool.query(batch)
        assert out.shape == (4, 3, 4, 4)
        torch.testing.assert_close(out, batch)
    assert len(pool) == 48
    pool.query(labelled([48, 49, 50, 51], c=3, r=4))
    assert len(pool) == 50
    pool.query(labelled(range(100, 110), c=3, r=4))
    assert len(pool) == 50  # never grows past its size


def test_image_pool_swaps_with_probability_one_half_once_full():
    torch.manual_seed(1234)
    pool = ImagePool(50)
    pool.query(labelled(range(50)))
    n = 2000
    incoming = labelled(range(1000, 1000 + n))
    out = pool.query(incoming)
    assert out.shape == incoming.shape
    swapped = (out[:, 0, 0, 0] != incoming[:, 0, 0, 0])
    # Binomial(2000, 0.5): standard deviation 0.011, so ±0.05 is more than 4 standard deviations.
    assert abs(swapped.float().mean().item() - 0.5) < 0.05
    # A swapped-out image is one that was stored earlier (an initial one or an earlier incoming one),
    # never one from later in this batch.
    for i in swapped.nonzero().flatten().tolist():
        v = out[i, 0, 0, 0].item()
        assert v < 50 or 1000 <= v < 1000 + i
    assert len(pool) == 50


def test_image_pool_stores_detached_copies_and_checks_shapes():
    pool = ImagePool(4)
    x = torch.zeros(2, 3, 4, 4, requires_grad=True)
    pool.query(x * 1.0)
    assert all(not im.requires_grad for im in pool.images)
    with pytest.raises(ValueError,
                       match=r"expected images of shape \[B, 3, 4, 4\] like those already stored; got \[2, 1, 4, 4\]"):
        pool.query(torch.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match=r"expected images of shape \[B, C, H, W\]; got \[3, 4, 4\]"):
        pool.query(torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match=r"size: expected an int ≥ 0; got -1"):
        ImagePool(-1)


def test_image_pool_state_round_trip_reproduces_the_draws():
    torch.manual_seed(0)
    pool = ImagePool(6)
    pool.query(labelled(range(6)))
    state = pool.state_dict()
    assert state["images"].shape == (6, 1, 2, 2)
    rng = torch.get_rng_state()
    first = pool.query(labelled(range(10, 30)))
    restored = ImagePool(6)
    restored.load_state_dict(state)
    torch.set_rng_state(rng)
    torch.testing.assert_close(restored.query(labelled(range(10, 30))), first)
    with pytest.raises(ValueError, match="expected a pool of size 3; got 6"):
        ImagePool(3).load_state_dict(state)
    empty = ImagePool(6)
    empty.load_state_dict(ImagePool(6).state_dict())
    assert len(empty) == 0


# ---------------------------------------------------------------------------------------------- losses

def test_cycle_loss_is_weighted_l1_not_l2():
    real = torch.zeros(2, 3, 4, 4)
    rec = torch.full_like(real, 2.0)
    rec[:, :, :2] = -2.0  # residuals of ±2: L1 mean 2, L2 mean 4, plain mean difference 0
    torch.testing.assert_close(cycle_loss(real, rec), torch.tensor(2.0 * 10))
    torch.testing.assert_close(cycle_loss(real, rec, weight=3.0), torch.tensor(2.0 * 3))
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2, 3, 8, 8, generator=g), torch.randn(2, 3, 8, 8, generator=g)
    torch.testing.assert_close(cycle_loss(a, b, weight=10.0), 10.0 * F.l1_loss(b, a))


def test_identity_loss_is_half_the_cycle_weight():
    real = torch.zeros(1, 3, 4, 4)
    same = torch.ones_like(real)
    torch.testing.assert_close(identity_loss(real, same), torch.tensor(10.0 * 0.5 * 1.0))
    torch.testing.assert_close(identity_loss(real, 3 * same, weight=10.0, identity_weight=0.1),
                               torch.tensor(10.0 * 0.1 * 3.0))
    torch.testing.assert_close(identity_loss(real, same), 0.5 * cycle_loss(real, same))


def test_losses_reject_mismatched_shapes():
    with pytest.raises(ValueError,
                       match=r"reconstructed: expected the shape of real, \[2, 3, 4, 4\]; got \[2, 3, 4, 5\]"):
        cycle_loss(torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"same: expected the shape of real"):
        identity_loss(torch.zeros(2, 3, 4, 4), torch.zeros(1, 3, 4, 4))
    with pytest.raises(TypeError, match="expected a torch.Tensor"):
        cycle_loss([0.0], torch.zeros(1))


# ---------------------------------------------------------------------------------------------- config

def test_presets_hold_the_paper_settings():
    p = CycleGANConfig.preset("paper")
    assert (p.resolution, p.channels, p.width, p.d_width) == (256, 3, 64, 64)
    assert (p.n_blocks, p.d_layers, p.norm) == (9, 3, "instance")
    assert (p.lambda_cycle, p.lambda_identity, p.pool_size) == (10.0, 0.5, 50)
    assert (p.lr, p.betas, p.batch_size) == (2e-4, (0.5, 0.999), 1)
    p128 = CycleGANConfig.preset("paper-128")
    assert (p128.resolution, p128.n_blocks) == (128, 6)
    t = CycleGANConfig.preset("tiny")
    assert (t.resolution, t.width, t.n_blocks) == (32, 8, 2)
    assert set(CYCLEGAN_PRESETS) == {"tiny", "paper", "paper-128"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.width = 16


def test_config_rejects_bad_values():
    with pytest.raises(ValueError,
                       match=r"unknown CycleGAN preset 'horse'; expected one of \['paper', 'paper-128', 'tiny'\]"):
        CycleGANConfig.preset("horse")
    with pytest.raises(ValueError, match="unknown CycleGAN preset"):
        CycleGANTrainer("horse")
    with pytest.raises(ValueError, match=r"resolution: expected a power of two from 8 up; got 48"):
        tiny(resolution=48)
    with pytest.raises(ValueError, match=r"3-layer PatchGAN needs images of at least 32×32; got 16"):
        tiny(resolution=16)
    with pytest.raises(ValueError, match=r"channels: expected a positive int; got 0"):
        tiny(channels=0)
    with pytest.raises(ValueError, match=r"pool_size: expected an int ≥ 0; got -5"):
        tiny(pool_size=-5)
    with pytest.raises(ValueError, match=r"lambda_identity: expected a value ≥ 0; got -0.5"):
        tiny(lambda_identity=-0.5)
    with pytest.raises(ValueError, match=r"norm: expected one of"):
        tiny(norm="layer")
    with pytest.raises(TypeError, match="expected a CycleGANConfig or a preset name; got int"):
        CycleGANTrainer(3)


# ---------------------------------------------------------------------------------------------- trainer

def pair(b=2, r=32, seed=0):
    return images(b, 3, r, seed), images(b, 3, r, seed + 1)


def test_trainer_steps_are_finite_and_change_every_network():
    torch.manual_seed(0)
    t = CycleGANTrainer(tiny(), device="cpu")
    before = {n: [p.detach().clone() for p in getattr(t, n).parameters()] for n in ("G_AB", "G_BA", "D_A", "D_B")}
    history = [t.step(pair(2, seed=s)) for s in range(3)]
    for losses in history:
        assert set(losses) == {"g_loss", "d_a", "d_b", "cycle", "identity"}
        assert all(isinstance(v, float) and math.isfinite(v) for v in losses.values())
        assert losses["cycle"] > 0 and losses["identity"] > 0
    assert history[0] != history[-1]
    assert t.step_count == 3
    for name, old in before.items():
        new = list(getattr(t, name).parameters())
        assert any(not torch.equal(a, b) for a, b in zip(old, new)), f"{name} did not change"
    assert len(t.pool_a) == len(t.pool_b) == 6


def test_trainer_losses_have_the_official_lsgan_scaling():
    """With D's last conv at zero every logit is 0: each G term MSE(0, 1) = 1, each D loss ½(1 + 0)."""
    torch.manual_seed(0)
    t = CycleGANTrainer(tiny(), device="cpu")
    for d in (t.D_A, t.D_B):
        nn.init.zeros_(d.net[-1].weight)
        nn.init.zeros_(d.net[-1].bias)
    losses = t.step(pair(2))
    assert losses["g_loss"] - losses["cycle"] - losses["identity"] == pytest.approx(2.0, abs=1e-5)
    assert losses["d_a"] == pytest.approx(0.5, abs=1e-6)
    assert losses["d_b"] == pytest.approx(0.5, abs=1e-6)


def test_trainer_cycle_and_identity_terms_match_their_definitions():
    torch.manual_seed(0)
    t = CycleGANTrainer(tiny(), device="cpu")
    a, b = pair(2)
    with torch.no_grad():  # instance norm: train and eval behave alike, and nothing here is random
        cyc = cycle_loss(a, t.G_BA(t.G_AB(a))) + cycle_loss(b, t.G_AB(t.G_BA(b)))
        idt = identity_loss(b, t.G_AB(b)) + identity_loss(a, t.G_BA(a))
    losses = t.step((a, b))
    assert losses["cycle"] == pytest.approx(cyc.item(), rel=1e-5)
    assert losses["identity"] == pytest.approx(idt.item(), rel=1e-5)
    t0 = CycleGANTrainer(tiny(lambda_identity=0.0), device="cpu")
    assert t0.step((a, b))["identity"] == 0.0


def test_trainer_pools_hold_each_generators_fakes():
    torch.manual_seed(0)
    t = CycleGANTrainer(tiny(pool_size=4), device="cpu")
    a, b = pair(2)
    g_ab, g_ba = copy.deepcopy(t.G_AB), copy.deepcopy(t.G_BA)  # the generators as the step sees them
    t.step((a, b))
    with torch.no_grad():
        torch.testing.assert_close(torch.stack(t.pool_b.images), g_ab(a))  # D_B's history: fakes of B
        torch.testing.assert_close(torch.stack(t.pool_a.images), g_ba(b))  # D_A's history: fakes of A


def save_load(state):
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=False)


def test_resume_reproduces_an_uninterrupted_run():
    # pool_size 3 with batches of 2: the pools fill during step 2, so steps 3–4 draw random swaps.
    cfg = tiny(pool_size=3)
    batches = [pair(2, seed=10 * s) for s in range(4)]
    torch.manual_seed(7)
    straight = CycleGANTrainer(cfg)
    expected = [straight.step(b) for b in batches]

    torch.manual_seed(7)
    first = CycleGANTrainer(cfg)
    got = [first.step(b) for b in batches[:2]]
    checkpoint = save_load({"trainer": first.state_dict(), "torch_rng": torch.get_rng_state()})
    del first
    torch.manual_seed(99)  # the fresh trainer's own init draws must not matter
    resumed = CycleGANTrainer(cfg)
    resumed.load_state_dict(checkpoint["trainer"])
    torch.set_rng_state(checkpoint["torch_rng"])
    assert resumed.step_count == 2 and len(resumed.pool_a) == 3
    got += [resumed.step(b) for b in batches[2:]]
    for e, g in zip(expected, got):
        for k in e:
            assert g[k] == pytest.approx(e[k], abs=1e-6), k
    for p, q in zip(straight.G_AB.parameters(), resumed.G_AB.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


def test_load_state_dict_rejects_another_config():
    state = CycleGANTrainer(tiny()).state_dict()
    with pytest.raises(ValueError, match="differs from this trainer's"):
        CycleGANTrainer(tiny(n_blocks=1)).load_state_dict(state)


def test_sample_grid_rows_and_no_side_effects():
    torch.manual_seed(0)
    t = CycleGANTrainer(tiny())
    a, b = pair(3)
    params = [p.detach().clone() for p in t.G_AB.parameters()]
    rng = torch.get_rng_state()
    grid = t.sample_grid((a, b))
    assert grid.shape == (18, 3, 32, 32)
    assert grid.min() >= -1 and grid.max() <= 1
    torch.testing.assert_close(grid[0::6], a)  # each group of six starts with real a ...
    torch.testing.assert_close(grid[3::6], b)  # ... and has real b fourth
    with torch.no_grad():
        torch.testing.assert_close(grid[1::6], t.G_AB(a))
        torch.testing.assert_close(grid[2::6], t.G_BA(t.G_AB(a)))
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(p, q) for p, q in zip(params, t.G_AB.parameters()))
    assert t.G_AB.training and t.step_count == 0


def test_trainer_rejects_bad_batches():
    t = CycleGANTrainer(tiny())
    a, b = pair(2)
    with pytest.raises(TypeError, match=r"expected a pair \(a, b\) of image batches \[B, C, H, W\]; got Tensor"):
        t.step(a)
    with pytest.raises(TypeError, match="got a tuple of length 3"):
        t.step((a, b, b))
    with pytest.raises(ValueError, match=r"batch a: expected images of shape \[B, 3, 32, 32\]; got \[2, 1, 32, 32\]"):
        t.step((a[:, :1], b))
    with pytest.raises(ValueError, match=r"batch b: expected images of shape \[B, 3, 32, 32\]; got \[2, 3, 64, 64\]"):
        t.step((a, images(2, 3, 64)))
    with pytest.raises(ValueError, match=r"must have the same batch size; got 2 and 1"):
        t.step((a, b[:1]))
    with pytest.raises(ValueError, match=r"expected pixel values in \[-1, 1\]"):
        t.step((a * 3, b))
    with pytest.raises(ValueError, match=r"same batch size"):
        t.sample_grid((a, b[:1]))
    assert t.step_count == 0
