"""gan_helpers.stylegan2: official parameter counts, the building blocks, and the trainer.

Official counts were measured by running NVlabs/stylegan2-ada-pytorch at commit
d72cc7d041b42ec8e806021a205ed9349f87c6a4 (``training/networks.py``) in a scratch directory outside
this repository, with the arguments of ``train.py --cfg=stylegan2`` in full precision:

    Generator(z_dim=512, c_dim=0, w_dim=512, img_resolution=R, img_channels=3,
              mapping_kwargs=dict(num_layers=8),
              synthesis_kwargs=dict(channel_base=32768, channel_max=512, num_fp16_res=0, conv_clamp=None))
    Discriminator(c_dim=0, img_resolution=R, img_channels=3, architecture='resnet', channel_base=32768,
                  channel_max=512, num_fp16_res=0, conv_clamp=None, epilogue_kwargs=dict(mbstd_group_size=4))

and counting ``sum(p.numel() for p in module.parameters())`` (parameters, not buffers).
"""

import io
import math

import pytest
import torch
import torch.nn.functional as F

import gan_helpers.stylegan2 as sg2
from gan_helpers.stylegan2 import (EqualConv2d, EqualLinear, MinibatchStdDev, StyleGAN2Config,
                                   StyleGAN2Discriminator, StyleGAN2Generator, StyleGAN2Trainer, downsample2d,
                                   ema_beta, fir_filter, modulate_weights, modulated_conv2d, update_ema,
                                   upsample2d)


pytestmark = pytest.mark.usefixtures("one_thread")


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def tiny(**overrides) -> StyleGAN2Config:
    return StyleGAN2Config.preset("tiny", **overrides)


def real_batch(n: int = 4, res: int = 32, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, res, res, generator=g) * 2 - 1


# --- parameter counts against the official implementation -------------------------------------------

# (resolution, mapping, synthesis, whole G, D, num_ws) measured from stylegan2-ada-pytorch
# d72cc7d041b42ec8e806021a205ed9349f87c6a4, training/networks.py, as described in the module docstring.
OFFICIAL_CONFIG_F = [
    (1024, 2_101_248, 28_268_812, 30_370_060, 29_012_513, 18),
    (32, 2_101_248, 19_422_227, 21_523_475, 21_507_073, 8),
]


@pytest.mark.parametrize("res, mapping, synthesis, g_total, d_total, num_ws", OFFICIAL_CONFIG_F)
def test_config_f_parameter_counts_equal_official(res, mapping, synthesis, g_total, d_total, num_ws):
    torch.manual_seed(0)
    config = StyleGAN2Config.preset("config-f", resolution=res)
    G, D = StyleGAN2Generator(config), StyleGAN2Discriminator(config)
    assert n_params(G.mapping) == mapping
    assert n_params(G.synthesis) == synthesis
    assert n_params(G) == g_total
    assert n_params(D) == d_total
    assert G.num_ws == config.num_ws == num_ws


def test_config_f_preset_and_spec_figures():
    config = StyleGAN2Config.preset("config-f")
    assert (config.resolution, config.img_channels, config.z_dim, config.w_dim, config.mapping_layers) == (
        1024, 3, 512, 512, 8)
    assert (config.channel_base, config.channel_max, config.mbstd_group_size) == (32768, 512, 4)
    assert config.num_ws == 18  # 17 synthesis convs + the last toRGB (spec section 8)
    assert (config.lr, config.betas, config.r1_gamma, config.d_reg_interval, config.g_reg_interval) == (
        0.002, (0.0, 0.99), 10.0, 16, 4)
    assert (config.pl_weight, config.pl_decay, config.style_mixing_prob, config.batch_size) == (2.0, 0.01, 0.9, 32)
    assert [config.channels(r) for r in (4, 64, 128, 256, 512, 1024)] == [512, 512, 256, 128, 64, 32]


def test_tiny_parameter_counts_equal_official():
    # The same official classes with z_dim=w_dim=64, mapping num_layers=2, img_resolution=32,
    # channel_base=1024, channel_max=64 (stylegan2-ada-pytorch d72cc7d0..., training/networks.py):
    # mapping 8,320, synthesis 255,667, G 263,987, D 288,993.
    torch.manual_seed(0)
    G, D = StyleGAN2Generator(tiny()), StyleGAN2Discriminator(tiny())
    assert (n_params(G.mapping), n_params(G.synthesis), n_params(G), n_params(D)) == (8_320, 255_667, 263_987,
                                                                                      288_993)


def test_noise_buffers_are_buffers_not_parameters():
    G = StyleGAN2Generator(tiny())
    names = {name for name, _ in G.named_parameters()}
    buffers = {name for name, _ in G.named_buffers()}
    assert not any("noise_const" in name for name in names)
    noise = [name for name in buffers if name.endswith("noise_const")]
    assert len(noise) == 2 * int(math.log2(32)) - 3  # one per synthesis conv
    assert "mapping.w_avg" in buffers and "mapping.w_avg" not in names
    assert sum(name.endswith("noise_strength") for name in names) == len(noise)


# --- shapes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("res, num_ws", [(32, 8), (64, 10)])
def test_shapes_of_mapping_synthesis_generator_and_discriminator(res, num_ws):
    torch.manual_seed(0)
    config = tiny(resolution=res)
    G, D = StyleGAN2Generator(config), StyleGAN2Discriminator(config)
    z = torch.randn(3, config.z_dim)
    w = G.mapping(z)
    assert w.shape == (3, config.w_dim)
    ws = G.map_to_ws(z)
    assert ws.shape == (3, num_ws, config.w_dim) == (3, G.num_ws, config.w_dim)
    assert G.synthesis(ws).shape == (3, 3, res, res)
    images = G(z)
    assert images.shape == (3, 3, res, res)
    assert torch.isfinite(images).all()
    logits = D(images)
    assert logits.shape == (3,)
    assert torch.isfinite(logits).all()


# --- building blocks ----------------------------------------------------------------------------------

def test_fir_resampling_preserves_constants_and_shapes():
    f = fir_filter()
    torch.testing.assert_close(f.sum(), torch.tensor(1.0))
    torch.testing.assert_close(f, torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 64)
    x = torch.full((2, 3, 8, 8), 0.5)
    up, down = upsample2d(x, f), downsample2d(x, f)
    assert up.shape == (2, 3, 16, 16) and down.shape == (2, 3, 4, 4)
    torch.testing.assert_close(up[:, :, 2:-2, 2:-2], torch.full((2, 3, 12, 12), 0.5))  # gain 4 after zero insertion
    torch.testing.assert_close(down[:, :, 1:-1, 1:-1], torch.full((2, 3, 2, 2), 0.5))


def test_demodulated_weights_have_unit_norm_per_output_channel_and_sample():
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(6, 5, 3, 3, generator=g)
    styles = torch.rand(4, 5, generator=g) * 3 + 0.1
    w = modulate_weights(weight, styles, demodulate=True)
    assert w.shape == (4, 6, 5, 3, 3)
    norms = w.square().sum(dim=[2, 3, 4]).sqrt()  # [B, O]
    torch.testing.assert_close(norms, torch.ones(4, 6), atol=1e-5, rtol=0)
    # Without demodulation it is plain modulation: input channel i scaled by styles[b, i].
    plain = modulate_weights(weight, styles, demodulate=False)
    torch.testing.assert_close(plain[2], weight * styles[2].reshape(1, 5, 1, 1))


def test_modulated_conv_equals_one_convolution_per_sample():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 4, 8, 8, generator=g)
    weight = torch.randn(5, 4, 3, 3, generator=g)
    styles = torch.randn(3, 4, generator=g)
    out = modulated_conv2d(x, weight, styles)
    w = modulate_weights(weight, styles)
    expected = torch.cat([F.conv2d(x[b:b + 1], w[b], padding=1) for b in range(3)])
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    # Upsampling: transposed stride-2 conv then the FIR filter equals FIR upsampling then the (flipped)
    # kernel, away from the border where the two orders pad differently.
    f = fir_filter()
    up = modulated_conv2d(x, weight, styles, up=2, resample_filter=f)
    assert up.shape == (3, 5, 16, 16)
    expected_up = torch.cat([F.conv2d(upsample2d(x[b:b + 1], f), w[b].flip([2, 3]), padding=1) for b in range(3)])
    torch.testing.assert_close(up[:, :, 2:-2, 2:-2], expected_up[:, :, 2:-2, 2:-2], atol=1e-5, rtol=1e-5)


def test_equalised_linear_and_mapping_learning_rate_multiplier():
    torch.manual_seed(0)
    config = tiny()
    G = StyleGAN2Generator(config)
    first = G.mapping.layers[0]
    assert len(G.mapping.layers) == config.mapping_layers == 2
    assert first.weight_gain == pytest.approx(0.01 / math.sqrt(config.z_dim))
    assert first.bias_gain == pytest.approx(0.01)
    # Stored weights are N(0, 1) / lr_mul, so the effective weights are N(0, 1 / fan_in).
    assert first.weight.std().item() == pytest.approx(100, rel=0.1)
    assert (first.weight * first.weight_gain).std().item() == pytest.approx(1 / math.sqrt(config.z_dim), rel=0.1)
    x = torch.randn(5, config.z_dim)
    with torch.no_grad():
        first.bias.normal_()
        expected = F.leaky_relu(F.linear(x, first.weight * 0.01 / math.sqrt(config.z_dim), first.bias * 0.01),
                                0.2) * math.sqrt(2)
        torch.testing.assert_close(first(x), expected)

    # The multiplier is a learning-rate multiplier: one Adam step (which moves each stored weight by
    # about lr) moves the effective weights lr_mul times as far as those of an ordinary layer.
    def effective_step(lr_mul):
        torch.manual_seed(1)
        layer = EqualLinear(16, 8, lr_mul=lr_mul).double()  # float64: stored weights near 100 keep a 1e-3 step exactly
        before = (layer.weight * layer.weight_gain).detach().clone()
        opt = torch.optim.Adam(layer.parameters(), lr=1e-3)
        layer(torch.randn(4, 16, dtype=torch.float64)).square().sum().backward()
        opt.step()
        return ((layer.weight * layer.weight_gain).detach() - before).abs().mean().item()

    assert effective_step(0.01) / effective_step(1.0) == pytest.approx(0.01, rel=1e-4)  # up to Adam eps


def test_equal_conv_scales_weights_at_run_time_and_downsamples():
    torch.manual_seed(0)
    conv = EqualConv2d(4, 6, 3, activation="lrelu")
    x = torch.randn(2, 4, 8, 8)
    expected = F.leaky_relu(F.conv2d(x, conv.weight / math.sqrt(4 * 9), conv.bias, padding=1), 0.2) * math.sqrt(2)
    torch.testing.assert_close(conv(x), expected)
    down = EqualConv2d(4, 6, 3, down=2)
    assert down(x).shape == (2, 6, 4, 4)
    skip = EqualConv2d(4, 6, 1, bias=False, down=2)
    assert skip.bias is None and skip(x).shape == (2, 6, 4, 4)


def test_minibatch_stddev_appends_group_standard_deviation():
    x = torch.zeros(4, 2, 3, 3)
    x[1] = 2.0  # groups of 4: one group; per-feature std over the group = sqrt(mean((v - 0.5)^2)) = sqrt(3)/2
    out = MinibatchStdDev(group_size=4)(x)
    assert out.shape == (4, 3, 3, 3)
    torch.testing.assert_close(out[:, 2], torch.full((4, 3, 3), math.sqrt(3) / 2), atol=1e-4, rtol=0)
    torch.testing.assert_close(out[:, :2], x)
    # Identical samples give (almost) zero: the signal against mode collapse.
    same = MinibatchStdDev(group_size=2)(torch.ones(4, 2, 3, 3))
    assert same[:, 2].abs().max().item() < 1e-3


# --- truncation, style mixing, noise ------------------------------------------------------------------

def test_truncation_psi_zero_gives_w_avg_and_one_is_identity():
    torch.manual_seed(0)
    G = StyleGAN2Generator(tiny()).eval()
    with torch.no_grad():
        G.mapping.w_avg.normal_()
    z = torch.randn(5, 64)
    w = G.mapping(z)
    torch.testing.assert_close(G.mapping(z, truncation_psi=0.0), G.mapping.w_avg.expand(5, -1))
    torch.testing.assert_close(G.mapping(z, truncation_psi=1.0), w)
    torch.testing.assert_close(G.mapping(z, truncation_psi=0.7), G.mapping.w_avg + 0.7 * (w - G.mapping.w_avg))
    ws = G.map_to_ws(z, truncation_psi=0.0)
    torch.testing.assert_close(ws, G.mapping.w_avg.expand(5, G.num_ws, -1))
    # psi = 0: every sample is the same image (with constant noise).
    images = G(z, truncation_psi=0.0, noise_mode="const")
    torch.testing.assert_close(images, images[:1].expand(5, -1, -1, -1))


def test_w_avg_tracks_the_mean_of_w_in_training_only():
    torch.manual_seed(0)
    G = StyleGAN2Generator(tiny())
    z = torch.randn(8, 64)
    G.eval()
    w = G.mapping(z)
    torch.testing.assert_close(G.mapping.w_avg, torch.zeros(64))
    G.train()
    G.mapping(z, update_w_avg=False)
    torch.testing.assert_close(G.mapping.w_avg, torch.zeros(64))
    G.mapping(z)
    torch.testing.assert_close(G.mapping.w_avg, (1 - 0.995) * w.mean(0))  # beta = 0.995 from zero
    assert tiny().w_avg_beta == StyleGAN2Config.preset("config-f").w_avg_beta == 0.995


def test_style_mixing_uses_second_w_from_crossover_on():
    torch.manual_seed(0)
    G = StyleGAN2Generator(tiny()).eval()
    z1, z2 = torch.randn(3, 64), torch.randn(3, 64)
    w1, w2 = G.mapping(z1), G.mapping(z2)
    ws = G.map_to_ws(z1, mixing_z=z2, crossover=3)
    for layer in range(G.num_ws):
        torch.testing.assert_close(ws[:, layer], w1 if layer < 3 else w2, msg=f"ws row {layer}")
    # crossover = num_ws: no mixing at all; the image equals the unmixed one.
    torch.testing.assert_close(G(z1, mixing_z=z2, crossover=G.num_ws, noise_mode="const"), G(z1, noise_mode="const"))
    # Without a crossover one is drawn in 1 .. num_ws - 1: some rows of each w.
    for seed in range(5):
        torch.manual_seed(seed)
        ws = G.map_to_ws(z1, mixing_z=z2)
        first = torch.isclose(ws, w1.unsqueeze(1)).all(dim=2).all(dim=0)  # [num_ws]
        cut = int(first.sum())
        assert 1 <= cut <= G.num_ws - 1
        assert first[:cut].all() and not first[cut:].any()


def test_noise_modes():
    torch.manual_seed(0)
    G = StyleGAN2Generator(tiny()).eval()
    with torch.no_grad():
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.5)
    z = torch.randn(2, 64)
    torch.testing.assert_close(G(z, noise_mode="const"), G(z, noise_mode="const"))
    assert not torch.allclose(G(z, noise_mode="random"), G(z, noise_mode="random"))
    assert not torch.allclose(G(z, noise_mode="const"), G(z, noise_mode="none"))
    torch.testing.assert_close(G(z, noise_mode="none"), G(z, noise_mode="none"))


# --- EMA, lazy regularisation, trainer ----------------------------------------------------------------

def test_ema_beta_half_life_and_rampup():
    beta = ema_beta(32, cur_nimg=10**9, ema_kimg=10)
    assert beta ** (10_000 / 32) == pytest.approx(0.5)  # half-life of 10k images
    assert ema_beta(4, cur_nimg=0, ema_kimg=1.25, ema_rampup=0.05) == 0.0  # ramp-up: G_ema = G at first
    assert ema_beta(4, cur_nimg=1000, ema_kimg=1.25, ema_rampup=0.05) == pytest.approx(0.5 ** (4 / 50))


def test_update_ema_moves_g_ema_towards_g():
    torch.manual_seed(0)
    G, G_ema = StyleGAN2Generator(tiny()), StyleGAN2Generator(tiny())
    with torch.no_grad():
        G.mapping.w_avg.normal_()
    before = [p.detach().clone() for p in G_ema.parameters()]
    update_ema(G_ema, G, beta=0.75)
    for p_ema, p_old, p in zip(G_ema.parameters(), before, G.parameters()):
        torch.testing.assert_close(p_ema, 0.75 * p_old + 0.25 * p)
    torch.testing.assert_close(G_ema.mapping.w_avg, G.mapping.w_avg)  # buffers are copied


def flat(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_trainer_step_updates_g_ema_towards_g():
    torch.manual_seed(0)
    trainer = StyleGAN2Trainer(tiny(ema_rampup=None, ema_kimg=0.004))  # beta = 0.5 ** (4 / 4) = 0.5
    trainer.step(real_batch())
    with torch.no_grad():
        for p in trainer.G_ema.parameters():
            p.add_(torch.randn_like(p) * 0.1)  # pull G_ema away from G
    old_ema = flat(trainer.G_ema)
    trainer.step(real_batch(seed=1))
    new_g, new_ema = flat(trainer.G), flat(trainer.G_ema)
    torch.testing.assert_close(new_ema, 0.5 * old_ema + 0.5 * new_g)
    assert (new_ema - new_g).norm() < (old_ema - new_g).norm()
    torch.testing.assert_close(trainer.G_ema.mapping.w_avg, trainer.G.mapping.w_avg)


def test_lazy_regularisation_runs_only_on_its_intervals(monkeypatch):
    torch.manual_seed(0)
    trainer = StyleGAN2Trainer(tiny(d_reg_interval=3, g_reg_interval=2))
    calls = {"r1": [], "pl": []}
    real_r1, real_pl = sg2.r1_penalty, sg2.path_length_penalty

    def r1(*args, **kwargs):
        calls["r1"].append(trainer.step_count)
        return real_r1(*args, **kwargs)

    def pl(*args, **kwargs):
        calls["pl"].append(trainer.step_count)
        return real_pl(*args, **kwargs)

    monkeypatch.setattr(sg2, "r1_penalty", r1)
    monkeypatch.setattr(sg2, "path_length_penalty", pl)
    logs = [trainer.step(real_batch(seed=i)) for i in range(5)]
    assert calls == {"r1": [0, 3], "pl": [0, 2, 4]}
    # The reported penalties are the last computed ones: unchanged between regularisation steps.
    assert logs[1]["r1"] == logs[2]["r1"] and logs[1]["pl"] == logs[0]["pl"]
    assert trainer.pl_mean.item() > 0  # the running mean path length has moved from 0


def test_lazy_penalties_are_weighted_and_scaled_by_their_interval(monkeypatch):
    torch.manual_seed(0)
    trainer = StyleGAN2Trainer(tiny(d_reg_interval=3, g_reg_interval=2, pl_weight=2.0))
    d_bias, g_bias = trainer.D.out.bias, trainer.G.synthesis.blocks[-1].torgb.bias
    # Stand-in penalties with gradient 1 with respect to one bias, so the gradient shows the loss's factor.
    monkeypatch.setattr(sg2, "r1_penalty", lambda logits, images, gamma: d_bias.sum() + 0 * logits.sum())
    monkeypatch.setattr(sg2, "path_length_penalty",
                        lambda images, ws, mean, decay: (g_bias.sum() + 0 * images.sum(), mean, None))
    grads = []
    real_step = trainer._optimiser_step

    def recording_step(opt, module):
        bias = g_bias if module is trainer.G else d_bias
        grads.append(bias.grad.clone())
        real_step(opt, module)

    monkeypatch.setattr(trainer, "_optimiser_step", recording_step)
    trainer.step(real_batch())
    assert len(grads) == 4  # G main, G reg, D main, D reg
    torch.testing.assert_close(grads[1], torch.full((3,), 2.0 * 2))  # pl_weight × g_reg_interval
    torch.testing.assert_close(grads[3], torch.full((1,), 3.0))       # d_reg_interval (γ/2 is inside r1_penalty)


def test_optimisers_use_lazy_regularisation_correction():
    trainer = StyleGAN2Trainer(tiny(lr=0.002))
    g, d = trainer.opt_G.param_groups[0], trainer.opt_D.param_groups[0]
    assert g["lr"] == pytest.approx(0.002 * 4 / 5) and d["lr"] == pytest.approx(0.002 * 16 / 17)
    assert g["betas"] == pytest.approx((0.0, 0.99 ** (4 / 5))) and d["betas"] == pytest.approx((0.0, 0.99 ** (16 / 17)))
    plain = StyleGAN2Trainer(tiny(lr=0.002, r1_gamma=0.0, pl_weight=0.0))
    assert plain.opt_D.param_groups[0]["lr"] == pytest.approx(0.002)
    assert plain.opt_G.param_groups[0]["betas"] == pytest.approx((0.0, 0.99))


def test_trainer_steps_give_finite_changing_losses_and_samples_from_g_ema():
    torch.manual_seed(0)
    trainer = StyleGAN2Trainer(tiny())
    g_before = flat(trainer.G)
    logs = [trainer.step((real_batch(seed=i), torch.zeros(4, dtype=torch.long))) for i in range(3)]
    for log in logs:
        assert set(log) == {"d_loss", "g_loss", "r1", "pl"}
        assert all(isinstance(v, float) and math.isfinite(v) for v in log.values()), log
    assert len({log["d_loss"] for log in logs}) == 3 and len({log["g_loss"] for log in logs}) == 3
    assert trainer.step_count == 3 and trainer.cur_nimg == 12
    assert not torch.allclose(flat(trainer.G), g_before)

    grid = trainer.sample_grid(None)
    assert grid.shape == (16, 3, 32, 32)
    assert grid.min() >= -1 and grid.max() <= 1
    torch.testing.assert_close(trainer.sample_grid(None), grid)  # fixed z and constant noise
    with torch.no_grad():
        for p in trainer.G.parameters():
            p.add_(1.0)
    torch.testing.assert_close(trainer.sample_grid(None), grid)  # G itself is not used
    with torch.no_grad():
        trainer.G_ema.synthesis.blocks[-1].torgb.bias.add_(0.1)
    assert not torch.allclose(trainer.sample_grid(None), grid)


def test_resume_reproduces_an_uninterrupted_run():
    config = tiny(d_reg_interval=3, g_reg_interval=2)  # the resumed steps 2 and 3 include both regularisers
    batches = [real_batch(seed=i) for i in range(4)]

    torch.manual_seed(0)
    straight = StyleGAN2Trainer(config)
    expected = [straight.step(b) for b in batches]

    torch.manual_seed(0)
    first = StyleGAN2Trainer(config)
    for b in batches[:2]:
        first.step(b)
    buffer = io.BytesIO()
    torch.save({"trainer": first.state_dict(), "rng": torch.get_rng_state()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)

    torch.manual_seed(123)  # a different initialisation, entirely replaced by the checkpoint
    resumed = StyleGAN2Trainer(config)
    resumed.load_state_dict(saved["trainer"])
    torch.set_rng_state(saved["rng"])
    assert resumed.step_count == 2
    got = [resumed.step(b) for b in batches[2:]]
    for want, have in zip(expected[2:], got):
        for key in want:
            assert have[key] == pytest.approx(want[key], abs=1e-6), key
    torch.testing.assert_close(flat(resumed.G_ema), flat(straight.G_ema), atol=1e-6, rtol=0)


# --- bad input ----------------------------------------------------------------------------------------

def test_bad_config_and_preset_errors():
    for res in (16, 48, 2048):
        with pytest.raises(ValueError, match=rf"resolution: expected a power of two from 32 to 1024; got {res}"):
            StyleGAN2Config(resolution=res)
    with pytest.raises(ValueError,
                       match=r"unknown StyleGAN2 preset 'config-e'; expected one of \['config-f', 'tiny'\]"):
        StyleGAN2Config.preset("config-e")
    with pytest.raises(ValueError, match=r"style_mixing_prob: expected a number in \[0, 1\]; got 1.5"):
        tiny(style_mixing_prob=1.5)
    with pytest.raises(ValueError, match=r"z_dim: expected a positive int; got 0"):
        tiny(z_dim=0)
    with pytest.raises(TypeError, match="expected a StyleGAN2Config; got dict"):
        StyleGAN2Trainer({"resolution": 32})


def test_bad_generator_inputs():
    torch.manual_seed(0)
    G = StyleGAN2Generator(tiny())
    with pytest.raises(ValueError, match=r"generator z: expected shape \[B, 64\]; got \[4, 63\]"):
        G(torch.randn(4, 63))
    with pytest.raises(ValueError, match=r"generator z: expected shape \[B, 64\]; got \[4, 64, 1, 1\]"):
        G(torch.randn(4, 64, 1, 1))
    with pytest.raises(TypeError, match="expected a torch.Tensor; got list"):
        G([0.0] * 64)
    with pytest.raises(ValueError, match=r"mapping z: expected shape \[B, 64\]; got \[2, 32\]"):
        G.mapping(torch.randn(2, 32))
    with pytest.raises(ValueError, match="z and mixing_z must have the same batch size; got 4 and 3"):
        G(torch.randn(4, 64), mixing_z=torch.randn(3, 64))
    with pytest.raises(ValueError, match="crossover was given without mixing_z"):
        G(torch.randn(4, 64), crossover=2)
    with pytest.raises(ValueError, match=r"crossover: expected an int layer index from 0 to num_ws = 8; got 9"):
        G(torch.randn(4, 64), mixing_z=torch.randn(4, 64), crossover=9)
    with pytest.raises(ValueError, match=r"synthesis ws: expected shape \[B, 8, 64\]; got \[2, 7, 64\]"):
        G.synthesis(torch.randn(2, 7, 64))
    with pytest.raises(ValueError, match=r"noise_mode: expected one of \['random', 'const', 'none'\]; got 'fixed'"):
        G(torch.randn(2, 64), noise_mode="fixed")


def test_bad_discriminator_and_trainer_inputs():
    torch.manual_seed(0)
    D = StyleGAN2Discriminator(tiny())
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 3, 32, 32\]; got \[2, 3, 64, 64\]"):
        D(torch.randn(2, 3, 64, 64))
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 3, 32, 32\]; got \[2, 1, 32, 32\]"):
        D(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="batch size 6 must be divisible by the group size 4"):
        D(torch.randn(6, 3, 32, 32))
    trainer = StyleGAN2Trainer(tiny())
    with pytest.raises(ValueError, match=r"batch: expected images of shape \[B, 3, 32, 32\]; got \[4, 3, 28, 28\]"):
        trainer.step(torch.zeros(4, 3, 28, 28))
    with pytest.raises(ValueError, match=r"expected pixel values in \[-1, 1\]; got values in \[0, 255\]"):
        trainer.step(torch.full((4, 3, 32, 32), 255.0).index_fill_(0, torch.tensor([0]), 0.0))
    other = StyleGAN2Trainer(tiny(z_dim=32))
    with pytest.raises(ValueError, match="checkpoint config differs"):
        trainer.load_state_dict(other.state_dict())


def test_trainer_sample_draws_new_images_and_truncates():
    trainer = StyleGAN2Trainer(StyleGAN2Config.preset("tiny"))
    torch.manual_seed(0)
    a = trainer.sample(3)
    b = trainer.sample(3)
    assert a.shape == (3, 3, 32, 32) and not torch.allclose(a, b)
    torch.manual_seed(0)
    flat = trainer.sample(2, truncation_psi=0.0)  # every w is w_avg: only the noise inputs differ
    assert (flat[0] - flat[1]).abs().mean() < (a[0] - a[1]).abs().mean()
    with pytest.raises(ValueError, match="positive int; got 0"):
        trainer.sample(0)
