"""gan_helpers.dcgan: shapes, official parameter counts, initialisation, errors and training behaviour."""

import copy
import dataclasses
import io
import math
import random

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from gan_helpers.dcgan import (DCGANConfig, DCGANDiscriminator, DCGANGenerator, DCGANTrainer, count_parameters,
                               convtranspose_output_size, dcgan_init_, train_step)

PRESETS = ["tiny", "ch1", "examples", "paper"]


pytestmark = pytest.mark.usefixtures("one_thread")


def config(name: str, resolution: int | None = None) -> DCGANConfig:
    cfg = DCGANConfig.preset(name)
    return cfg if resolution is None else dataclasses.replace(cfg, resolution=resolution)


def images(n: int, cfg: DCGANConfig, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, cfg.channels, cfg.resolution, cfg.resolution, generator=g) * 2 - 1


# ------------------------------------------------------------------------------------------------
# The transposed-convolution size formula
# ------------------------------------------------------------------------------------------------

def test_convtranspose_output_size_matches_torch_on_random_settings():
    rng = random.Random(0)
    checked = 0
    while checked < 150:
        size, kernel, stride = rng.randint(1, 9), rng.randint(1, 6), rng.randint(1, 4)
        dilation, padding = rng.randint(1, 3), rng.randint(0, 4)
        output_padding = rng.randint(0, max(stride, dilation) - 1)
        expected_side = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
        if expected_side < 1:
            continue
        layer = nn.ConvTranspose2d(1, 1, kernel, stride, padding, output_padding, dilation=dilation, bias=False)
        with torch.no_grad():
            side = layer(torch.zeros(1, 1, size, size)).shape[-1]
        ours = convtranspose_output_size(size, kernel, stride, padding, output_padding, dilation)
        assert ours == side, (f"size={size} kernel={kernel} stride={stride} padding={padding} "
                              f"output_padding={output_padding} dilation={dilation}: got {ours}, torch says {side}")
        checked += 1


def test_convtranspose_output_size_on_the_dcgan_layers():
    assert convtranspose_output_size(1, 4, 1, 0) == 4            # z as a 1×1 map → 4×4
    for side in (4, 8, 16, 32):
        assert convtranspose_output_size(side, 4, 2, 1) == 2 * side  # every stride-2 layer doubles


def test_convtranspose_output_size_rejects_bad_arguments():
    with pytest.raises(TypeError, match="size: expected an int; got float"):
        convtranspose_output_size(4.0, 4)
    with pytest.raises(TypeError, match="kernel: expected an int; got bool"):
        convtranspose_output_size(4, True)
    with pytest.raises(ValueError, match="size: expected an int ≥ 1; got 0"):
        convtranspose_output_size(0, 4)
    with pytest.raises(ValueError, match="stride: expected an int ≥ 1; got 0"):
        convtranspose_output_size(4, 4, stride=0)
    with pytest.raises(ValueError, match="padding: expected an int ≥ 0; got -1"):
        convtranspose_output_size(4, 4, padding=-1)
    with pytest.raises(ValueError, match=r"output_padding: expected less than stride \(2\) or dilation \(1\); got 2"):
        convtranspose_output_size(4, 4, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding 3 leaves no output"):
        convtranspose_output_size(1, 3, padding=3)
    # torch rejects the same output padding
    with pytest.raises((RuntimeError, ValueError)):
        nn.ConvTranspose2d(1, 1, 4, 2, 1, output_padding=2)(torch.zeros(1, 1, 4, 4))


# ------------------------------------------------------------------------------------------------
# Shapes and layouts
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("resolution", [32, 64])
def test_shapes_at_two_resolutions(name, resolution):
    torch.manual_seed(0)
    cfg = config(name, resolution)
    G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    x = G(torch.randn(2, cfg.z_dim))
    assert x.shape == (2, cfg.channels, resolution, resolution)
    assert x.abs().max() <= 1.0, "the generator must end in tanh"
    x4 = G(torch.randn(2, cfg.z_dim, 1, 1))          # z as a 1×1 map is accepted too
    assert x4.shape == x.shape
    logits = D(x)
    assert logits.shape == (2,), f"D must return one logit per image; got {list(logits.shape)}"
    n_convT = sum(isinstance(m, nn.ConvTranspose2d) for m in G.modules())
    expected = int(math.log2(resolution // 4)) + (cfg.layout == "conv")
    assert n_convT == expected, f"{name} at {resolution}: {n_convT} transposed convs, expected {expected}"


def test_higher_resolution_adds_a_layer_on_each_side():
    small, big = config("tiny"), config("tiny", 128)
    n_conv = lambda m, kind: sum(isinstance(x, kind) for x in m.modules())  # noqa: E731
    assert n_conv(DCGANGenerator(big), nn.ConvTranspose2d) == n_conv(DCGANGenerator(small), nn.ConvTranspose2d) + 2
    assert n_conv(DCGANDiscriminator(big), nn.Conv2d) == n_conv(DCGANDiscriminator(small), nn.Conv2d) + 2
    torch.manual_seed(0)
    assert DCGANGenerator(big)(torch.randn(2, big.z_dim)).shape == (2, 1, 128, 128)


def test_conv_layout_at_32_has_four_transposed_convs_and_64_five():
    """Section 8: from z as a 1×1 map, four ConvTranspose layers end at 32×32; 64×64 needs a fifth."""
    for resolution, n in ((32, 4), (64, 5)):
        G = DCGANGenerator(config("examples", resolution))
        assert sum(isinstance(m, nn.ConvTranspose2d) for m in G.modules()) == n


def _shapes_through(module: nn.Module, blocks: list[nn.Module], x: torch.Tensor) -> list[list[int]]:
    seen = []
    hooks = [b.register_forward_hook(lambda m, i, o: seen.append(list(o.shape))) for b in blocks]
    try:
        module(x)
    finally:
        for h in hooks:
            h.remove()
    return seen


def test_ch1_data_flow_is_chapter_1_exactly():
    torch.manual_seed(0)
    cfg = config("ch1")
    assert (cfg.z_dim, cfg.resolution, cfg.channels, cfg.layout) == (128, 64, 3, "dense")
    G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    g_shapes = _shapes_through(G, [G.stem, *G.body, G.to_image], torch.randn(2, 128))
    assert g_shapes == [[2, 512, 4, 4], [2, 256, 8, 8], [2, 128, 16, 16], [2, 64, 32, 32], [2, 3, 64, 64]]
    assert isinstance(G.stem[0], nn.Linear) and G.stem[0].out_features == 512 * 4 * 4
    d_shapes = _shapes_through(D, [D.from_image, *D.body, D.head], torch.zeros(2, 3, 64, 64))
    assert d_shapes == [[2, 64, 32, 32], [2, 128, 16, 16], [2, 256, 8, 8], [2, 512, 4, 4], [2, 1]]
    assert isinstance(D.head[-1], nn.Linear) and D.head[-1].in_features == 512 * 4 * 4


@pytest.mark.parametrize("name", ["ch1", "examples"])
def test_batch_norm_everywhere_except_g_output_and_d_input(name):
    cfg = config(name)
    G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    bn = lambda m: [x for x in m.modules() if isinstance(x, nn.BatchNorm2d)]  # noqa: E731
    assert not bn(G.to_image), "no batch norm on the generator's output layer"
    assert not bn(D.from_image), "no batch norm on the discriminator's input layer"
    assert not bn(D.head)
    assert len(bn(G)) == 4 and len(bn(G.stem)) == 1, "batch norm after the 4×4 layer and each hidden upsampling"
    assert len(bn(D)) == 3, "batch norm after each stride-2 conv but the first"
    assert isinstance(G.to_image[-1], nn.Tanh)
    assert not any(isinstance(m, nn.Sigmoid) for m in D.modules()), "D returns logits: no sigmoid"
    assert all(m.negative_slope == pytest.approx(0.2) for m in D.modules() if isinstance(m, nn.LeakyReLU))
    assert any(isinstance(m, nn.ReLU) for m in G.modules())


# ------------------------------------------------------------------------------------------------
# Parameter counts
# ------------------------------------------------------------------------------------------------

def test_examples_preset_matches_the_official_parameter_counts():
    # Measured by instantiating Generator(ngpu=0) and Discriminator(ngpu=0) of pytorch/examples,
    # dcgan/main.py (nz=100, ngf=ndf=64, nc=3) on CPU, outside this repository:
    # repository github.com/pytorch/examples, commit 77f55b912142e11fcfdf5b530231fb9c52f181e8
    # (dcgan/main.py last changed in cc8e404cbcbf3a3c326789260deed89ee04b3408);
    # sum(p.numel() for p in m.parameters()): G 3,576,704 and D 2,765,568.
    cfg = config("examples")
    assert count_parameters(DCGANGenerator(cfg)) == 3_576_704
    assert count_parameters(DCGANDiscriminator(cfg)) == 2_765_568


def test_ch1_parameter_count_by_hand():
    cfg = config("ch1")
    g = (128 * 8192 + 8192          # Linear 128 → 512·4·4, with bias
         + 2 * 512                  # BatchNorm2d(512): scale and shift
         + 512 * 256 * 16 + 256     # ConvTranspose 512 → 256, 4×4 kernel, bias
         + 2 * 256
         + 256 * 128 * 16 + 128     # 256 → 128
         + 2 * 128
         + 128 * 64 * 16 + 64       # 128 → 64
         + 2 * 64
         + 64 * 3 * 16 + 3)         # 64 → 3 (no batch norm)
    d = (3 * 64 * 16 + 64           # Conv 3 → 64 (no batch norm)
         + 64 * 128 * 16 + 128 + 2 * 128
         + 128 * 256 * 16 + 256 + 2 * 256
         + 256 * 512 * 16 + 512 + 2 * 512
         + 8192 * 1 + 1)            # Linear 512·4·4 → 1
    assert count_parameters(DCGANGenerator(cfg)) == g == 3_814_723
    assert count_parameters(DCGANDiscriminator(cfg)) == d == 2_766_529


def test_paper_preset_widths():
    """The paper gives no parameter count; check the widths it does give (4×4×1024 → 512, 256, 128 → 3)."""
    cfg = config("paper")
    assert cfg.z_dim == 100 and cfg.generator_widths() == [1024, 512, 256, 128]
    assert cfg.discriminator_widths() == [128, 256, 512, 1024]
    G = DCGANGenerator(cfg)
    assert G.stem[0].in_features == 100 and G.stem[0].out_features == 1024 * 16


# ------------------------------------------------------------------------------------------------
# Initialisation
# ------------------------------------------------------------------------------------------------

def _check_init(model: nn.Module):
    n_weighted = n_norm = 0
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            w = m.weight.detach().flatten()
            n = w.numel()
            assert abs(w.mean().item()) < 5 * 0.02 / math.sqrt(n), f"{name}: weight mean {w.mean().item():.2e}"
            assert abs(w.std().item() - 0.02) < 5 * 0.02 / math.sqrt(2 * n) + 1e-4, \
                f"{name}: weight std {w.std().item():.4f}, expected 0.02 — was dcgan_init_ applied?"
            if m.bias is not None:
                torch.testing.assert_close(m.bias.detach(), torch.zeros_like(m.bias), msg=f"{name}: bias not 0")
            n_weighted += 1
        elif isinstance(m, nn.BatchNorm2d):
            w = m.weight.detach()
            assert abs(w.mean().item() - 1.0) < 5 * 0.02 / math.sqrt(w.numel()), f"{name}: BN scale mean"
            assert 0.005 < w.std().item() < 0.04, f"{name}: BN scale std {w.std().item():.4f}, expected ≈ 0.02"
            torch.testing.assert_close(m.bias.detach(), torch.zeros_like(m.bias))
            n_norm += 1
    assert n_weighted >= 5 and n_norm >= 3


@pytest.mark.parametrize("name", ["examples", "ch1"])
def test_dcgan_init_is_applied_in_the_constructors(name):
    torch.manual_seed(0)
    cfg = config(name)
    _check_init(DCGANGenerator(cfg))
    _check_init(DCGANDiscriminator(cfg))


def test_dcgan_init_reinitialises_a_default_layer():
    torch.manual_seed(0)
    layer = nn.Conv2d(8, 64, 3)   # default init: std 1/sqrt(3·72) ≈ 0.068
    assert abs(layer.weight.std().item() - 0.02) > 0.005   # PyTorch's default is not DCGAN's
    assert dcgan_init_(layer) is layer
    assert abs(layer.weight.std().item() - 0.02) < 1e-3
    torch.testing.assert_close(layer.bias.detach(), torch.zeros(64))


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------

def test_bad_inputs_raise_clear_errors():
    cfg = config("tiny")
    G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    with pytest.raises(ValueError, match=r"DCGANDiscriminator input: expected images of shape \[B, 1, 32, 32\]; "
                                         r"got \[2, 3, 32, 32\]"):
        D(torch.zeros(2, 3, 32, 32))
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 1, 32, 32\]; got \[2, 1, 64, 64\]"):
        D(torch.zeros(2, 1, 64, 64))
    with pytest.raises(ValueError, match=r"got \[1, 32, 32\]"):
        D(torch.zeros(1, 32, 32))
    with pytest.raises(ValueError, match=r"DCGANGenerator input z: expected shape \[B, 32\] or \[B, 32, 1, 1\]; "
                                         r"got \[2, 31\]"):
        G(torch.zeros(2, 31))
    with pytest.raises(ValueError, match=r"got \[2, 32, 2, 2\]"):
        G(torch.zeros(2, 32, 2, 2))
    with pytest.raises(ValueError, match=r"got \[32\]"):
        G(torch.zeros(32))
    with pytest.raises(TypeError, match="floating-point"):
        G(torch.zeros(2, 32, dtype=torch.long))


def test_bad_configs_raise_clear_errors():
    with pytest.raises(ValueError, match="DCGANConfig.resolution: expected a power of two from 32 up; got 48"):
        DCGANConfig(resolution=48)
    with pytest.raises(ValueError, match="got 100"):
        dataclasses.replace(config("ch1"), resolution=100)
    with pytest.raises(ValueError, match="DCGANConfig.resolution: .*got 16"):
        DCGANConfig(resolution=16)
    with pytest.raises(ValueError, match=r"unknown DCGAN preset 'huge'; expected one of \['ch1', 'examples', "
                                         r"'paper', 'tiny'\]"):
        DCGANConfig.preset("huge")
    with pytest.raises(ValueError, match=r"DCGANConfig.layout: expected one of \['dense', 'conv'\]; got 'mlp'"):
        DCGANConfig(layout="mlp")
    with pytest.raises(ValueError, match="DCGANConfig.z_dim: expected a positive int; got 0"):
        DCGANConfig(z_dim=0)
    with pytest.raises(ValueError, match=r"norm: expected one of \['batch', 'layer', 'none'\]; got 'instance'"):
        DCGANDiscriminator(config("tiny"), norm="instance")


def test_trainer_rejects_bad_batches_and_foreign_checkpoints():
    torch.manual_seed(0)
    cfg = config("tiny")
    trainer = DCGANTrainer(cfg)
    with pytest.raises(ValueError, match=r"expected pixel values in \[-1, 1\]; got values in \[0, 255\]"):
        trainer.step(torch.full((4, 1, 32, 32), 255.0).index_fill_(0, torch.tensor([0]), 0.0))
    with pytest.raises(ValueError, match=r"DCGANTrainer batch: expected images of shape \[B, 1, 32, 32\]; "
                                         r"got \[4, 3, 32, 32\]"):
        trainer.step(torch.zeros(4, 3, 32, 32))
    assert trainer.step_count == 0, "a rejected batch must not count as a step"
    other = DCGANTrainer(dataclasses.replace(cfg, z_dim=16))
    with pytest.raises(ValueError, match="checkpoint was made with"):
        trainer.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match=r"betas: expected two numbers in \[0, 1\); got \(0.5, 1.5\)"):
        DCGANTrainer(cfg, betas=(0.5, 1.5))


# ------------------------------------------------------------------------------------------------
# train_step (chapter 3)
# ------------------------------------------------------------------------------------------------

def _zero_last_layer_setup(seed: int = 0):
    torch.manual_seed(seed)
    cfg = config("tiny")
    G, D = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    last = D.head[-1]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    return cfg, G, D, opt_G, opt_D


def test_train_step_with_zero_last_layer_discriminator():
    cfg, G, D, opt_G, opt_D = _zero_last_layer_setup()
    real = images(8, cfg)
    G_before, D_before = copy.deepcopy(G), copy.deepcopy(D)

    # Spy on the moment each optimiser steps.
    at_d_step, at_g_step = {}, {}

    def before_d_step(opt, args, kwargs):
        at_d_step["G_params"] = [p.detach().clone() for p in G.parameters()]
        at_d_step["G_grads"] = [p.grad for p in G.parameters()]
        at_d_step["D_grad_norm"] = sum(p.grad.norm() ** 2 for p in D.parameters() if p.grad is not None).item()

    def before_g_step(opt, args, kwargs):
        at_g_step["D_params"] = [p.detach().clone() for p in D.parameters()]

    opt_D.register_step_pre_hook(before_d_step)
    opt_G.register_step_pre_hook(before_g_step)

    rng = torch.get_rng_state()
    d_loss, g_loss = train_step(G, D, opt_G, opt_D, real, cfg.z_dim)
    assert isinstance(d_loss, float) and isinstance(g_loss, float)

    # Every logit is 0 before D moves: d_loss = 2 ln 2 exactly.
    assert d_loss == pytest.approx(2 * math.log(2), abs=1e-6)

    # g_loss is ln 2 up to one D step: replay the same z through the old G and the updated D.
    torch.set_rng_state(rng)
    z = torch.randn(8, cfg.z_dim)
    with torch.no_grad():
        logits = D(G_before(z))
    assert g_loss == pytest.approx(F.softplus(-logits).mean().item(), abs=1e-5)
    assert abs(g_loss - math.log(2)) <= logits.abs().mean().item() + 1e-6   # softplus is 1-Lipschitz
    assert logits.abs().mean().item() < 0.05, "one Adam step at lr 2e-4 moves the logits only a little"

    # The D step left G untouched: no gradients, same weights.
    assert all(g is None for g in at_d_step["G_grads"]), "G has gradients at the D step: missing .detach()?"
    for p, q in zip(at_d_step["G_params"], G_before.parameters()):
        torch.testing.assert_close(p, q.detach(), rtol=0, atol=0)
    assert at_d_step["D_grad_norm"] > 0
    # The G step left D untouched, and both networks moved.
    for p, q in zip(at_g_step["D_params"], D.parameters()):
        torch.testing.assert_close(p, q.detach(), rtol=0, atol=0)
    moved = lambda a, b: any(not torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))  # noqa: E731
    assert moved(G, G_before), "G was not updated"
    assert moved(D, D_before), "D was not updated"


def test_train_step_checks_its_arguments():
    cfg, G, D, opt_G, opt_D = _zero_last_layer_setup()
    with pytest.raises(TypeError, match="real_batch: expected a torch.Tensor; got list"):
        train_step(G, D, opt_G, opt_D, [[0.0]], cfg.z_dim)
    with pytest.raises(ValueError, match="z_dim: expected a positive int; got 0"):
        train_step(G, D, opt_G, opt_D, images(4, cfg), 0)


# ------------------------------------------------------------------------------------------------
# The trainer
# ------------------------------------------------------------------------------------------------

def _run(trainer: DCGANTrainer, batches: list[torch.Tensor]) -> list[dict[str, float]]:
    return [trainer.step(b) for b in batches]


def test_trainer_five_steps_finite_and_changing():
    torch.manual_seed(0)
    cfg = config("tiny")
    trainer = DCGANTrainer(cfg)
    logs = _run(trainer, [images(8, cfg, seed=i) for i in range(5)])
    assert trainer.step_count == 5
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        values = [log[key] for log in logs]
        assert all(math.isfinite(v) for v in values), f"{key}: {values}"
        assert max(values) - min(values) > 1e-4, f"{key} did not change over 5 steps: {values}"
    assert all(0 < log["d_real"] < 1 and 0 < log["d_fake"] < 1 for log in logs)
    assert logs[0]["d_loss"] == pytest.approx(2 * math.log(2), abs=0.3), "an untrained D scores near 2 ln 2"


def test_trainer_accepts_images_with_labels():
    cfg = config("tiny")
    x, y = images(4, cfg), torch.arange(4)
    torch.manual_seed(1)
    a = DCGANTrainer(cfg).step(x)
    torch.manual_seed(1)
    b = DCGANTrainer(cfg).step((x, y))
    for key in a:
        assert a[key] == pytest.approx(b[key], abs=1e-7)


def test_resume_reproduces_an_uninterrupted_run():
    cfg = config("tiny")
    batches = [images(4, cfg, seed=10 + i) for i in range(4)]
    torch.manual_seed(0)
    full = _run(DCGANTrainer(cfg), batches)

    torch.manual_seed(0)
    first = DCGANTrainer(cfg)
    _run(first, batches[:2])
    buffer = io.BytesIO()
    torch.save({"trainer": first.state_dict(), "rng": torch.get_rng_state()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)

    torch.manual_seed(123)                    # a different init, overwritten by the checkpoint
    resumed = DCGANTrainer(cfg)
    resumed.load_state_dict(saved["trainer"])
    torch.set_rng_state(saved["rng"])
    assert resumed.step_count == 2
    rest = _run(resumed, batches[2:])
    for step, (a, b) in enumerate(zip(full[2:], rest), start=3):
        for key in a:
            assert b[key] == pytest.approx(a[key], abs=1e-6), f"step {step} {key}: {b[key]} vs {a[key]}"


def test_cpu_runs_are_deterministic():
    cfg = config("tiny")
    batches = [images(4, cfg, seed=i) for i in range(3)]
    runs = []
    for _ in range(2):
        torch.manual_seed(7)
        runs.append(_run(DCGANTrainer(cfg), batches))
    for a, b in zip(*runs):
        torch.testing.assert_close(torch.tensor(list(a.values())), torch.tensor(list(b.values())), rtol=0, atol=1e-7)


def test_sample_grid_uses_fixed_noise_and_leaves_state_alone():
    torch.manual_seed(0)
    cfg = config("tiny")
    trainer = DCGANTrainer(cfg)
    trainer.step(images(4, cfg))
    running_mean = trainer.G.stem[2].running_mean.clone()
    rng = torch.get_rng_state()
    grid = trainer.sample_grid()
    assert grid.shape == (64, 1, 32, 32) and grid.abs().max() <= 1.0
    torch.testing.assert_close(trainer.sample_grid(), grid)
    assert trainer.G.training, "sample_grid must give G back in training mode"
    torch.testing.assert_close(trainer.G.stem[2].running_mean, running_mean, rtol=0, atol=0)
    assert torch.equal(torch.get_rng_state(), rng), "sample_grid must not draw from the global RNG"
    torch.manual_seed(99)
    torch.testing.assert_close(DCGANTrainer(cfg).fixed_noise, trainer.fixed_noise)  # same grid noise every run


def test_sample_draws_new_images_from_the_global_rng():
    torch.manual_seed(0)
    trainer = DCGANTrainer(config("tiny"))
    torch.manual_seed(5)
    a = trainer.sample(3)
    torch.manual_seed(5)
    torch.testing.assert_close(trainer.sample(3), a)
    assert a.shape == (3, 1, 32, 32) and a.abs().max() <= 1.0 and trainer.G.training
    assert not torch.allclose(trainer.sample(3), a), "a new z each call"
    with pytest.raises(ValueError, match="n: expected a positive int; got 0"):
        trainer.sample(0)
