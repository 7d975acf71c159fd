"""gan_helpers.pix2pix: the U-Net generator, the conditional PatchGAN and the trainer."""

import copy
import dataclasses
import io
import math

import pytest
import torch
import torch.nn as nn

from gan_helpers.cyclegan import PatchDiscriminator, count_parameters
from gan_helpers.pix2pix import PIX2PIX_PRESETS, Pix2PixConfig, Pix2PixTrainer, UNetGenerator

# Official parameter counts, measured by instantiating the official classes on CPU with
# /work/main/.venv/bin/python (torch 2.14.1) from a scratch copy outside this repository of
#   repository junyanz/pytorch-CycleGAN-and-pix2pix, file models/networks.py,
#   commit 48ced5e8e3af621acca066a70203a196ba571bed
# (the `fetch` tool refused the 3.17 GB snapshot, so the file was read at that commit with the search
# tool's read_file), norm_layer = networks.get_norm_layer('batch'):
#   UnetGenerator(3, 3, num_downs=8, ngf=64, use_dropout=True)    54,413,955   (unet_256)
#   UnetGenerator(3, 3, num_downs=7, ngf=64, use_dropout=True)    41,828,995   (unet_128)
#   NLayerDiscriminator(6, 64, n_layers=3)                          2,768,705   (basic, batch norm, 3 + 3 channels)
# With the official weights copied in, our modules also gave bit-identical outputs, dropout included
# (checked once, by hand).
OFFICIAL_UNET_256 = 54_413_955
OFFICIAL_UNET_128 = 41_828_995
OFFICIAL_PATCHGAN_BATCH_6CH = 2_768_705


pytestmark = pytest.mark.usefixtures("one_thread")


def images(b, c=3, r=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, c, r, r, generator=g) * 2 - 1


def pair(b=2, r=32, seed=0):
    a = images(b, 3, r, seed)
    return a, a.flip(-1).clamp(-1, 1)  # an aligned pair: b is a mirrored


def tiny(**overrides):
    return Pix2PixConfig.preset("tiny", **overrides)


# ---------------------------------------------------------------------------------------------- counts

@pytest.mark.parametrize("num_downs, expected", [(8, OFFICIAL_UNET_256), (7, OFFICIAL_UNET_128)])
def test_unet_parameter_count_matches_official(num_downs, expected):
    with torch.device("meta"):
        g = UNetGenerator(3, 3, width=64, num_downs=num_downs, norm="batch", dropout=True)
    assert count_parameters(g) == expected


def test_conditional_patchgan_parameter_count_matches_official():
    with torch.device("meta"):
        d = PatchDiscriminator(6, width=64, n_layers=3, norm="batch")
    assert count_parameters(d) == OFFICIAL_PATCHGAN_BATCH_6CH


def test_paper_trainer_networks_have_the_official_counts():
    with torch.device("meta"):
        t = Pix2PixTrainer("paper", device="meta")
    assert count_parameters(t.G) == OFFICIAL_UNET_256
    assert count_parameters(t.D) == OFFICIAL_PATCHGAN_BATCH_6CH
    assert t.D.in_channels == 6


# ---------------------------------------------------------------------------------------------- U-Net

@pytest.mark.parametrize("num_downs, res", [(5, 32), (5, 64), (6, 64), (6, 128)])
def test_unet_shapes_and_range(num_downs, res):
    torch.manual_seed(0)
    g = UNetGenerator(3, 2, width=4, num_downs=num_downs)
    y = g(images(2, 3, res))
    assert y.shape == (2, 2, res, res)
    assert y.abs().max() < 1  # tanh output
    feats = g.encode(images(2, 3, res))
    assert [f.shape[-1] for f in feats] == [res // 2 ** k for k in range(1, num_downs + 1)]
    assert [f.shape[1] for f in feats] == [4 * min(2 ** k, 8) for k in range(num_downs)]


def test_unet_forward_is_decode_of_encode():
    torch.manual_seed(0)
    g = UNetGenerator(3, 3, width=4, num_downs=5).eval()
    x = images(2, 3, 32)
    torch.testing.assert_close(g(x), g.decode(g.encode(x)))


def test_unet_skip_connection_carries_a_local_change_straight_to_the_output():
    """Nudging one pixel of the first encoder map h_1 changes the output only where the outermost
    transposed conv (4×4, stride 2) puts it: a 4×4 patch. Without the skip, h_1 would reach the output
    only through the 1×1 bottleneck, which spreads any change over the whole image."""
    torch.manual_seed(0)
    g = UNetGenerator(3, 3, width=4, num_downs=5).eval()
    x = images(1, 3, 32)
    feats = g.encode(x)
    base = g.decode(feats)
    nudged = [f.clone() for f in feats]
    i, j = 7, 9
    nudged[0][0, :, i, j] += 5.0
    diff = (g.decode(nudged) - base).abs().amax(dim=(0, 1))  # [32, 32]
    assert diff.max() > 1e-4, "the skip connection did not carry the change"
    rows, cols = diff.nonzero().unbind(1)
    assert rows.min() >= 2 * i - 1 and rows.max() <= 2 * i + 2
    assert cols.min() >= 2 * j - 1 and cols.max() <= 2 * j + 2
    # The same nudge to the bottleneck reaches far beyond that patch.
    deep = [f.clone() for f in feats]
    deep[-1] += 5.0
    assert ((g.decode(deep) - base).abs().amax(dim=(0, 1)) > 1e-4).sum() > 16


def test_unet_dropout_in_the_three_decoder_blocks_after_the_bottleneck():
    g = UNetGenerator(3, 3, width=2, num_downs=8)
    where = [k for k, block in enumerate(g.up) if any(isinstance(m, nn.Dropout) for m in block)]
    assert where == [4, 5, 6]  # up[7] is the bottleneck's own decoder block, up[0] the output block
    assert all(m.p == 0.5 for m in g.modules() if isinstance(m, nn.Dropout))
    no_dropout = UNetGenerator(3, 3, width=2, num_downs=8, dropout=False)
    assert not any(isinstance(m, nn.Dropout) for m in no_dropout.modules())


def test_unet_dropout_is_active_in_train_mode_and_off_in_eval_mode():
    torch.manual_seed(0)
    g = UNetGenerator(3, 3, width=4, num_downs=6)  # one dropout block at num_downs 6
    x = images(2, 3, 64)
    assert not torch.allclose(g(x), g(x)), "train mode: two passes should drop different units"
    g.eval()
    torch.testing.assert_close(g(x), g(x))
    # Without dropout, train mode is deterministic too (batch norm uses the batch's statistics).
    plain = UNetGenerator(3, 3, width=4, num_downs=6, dropout=False)
    torch.testing.assert_close(plain(x), plain(x))


def test_unet_uses_batch_norm_but_not_on_the_input_layer_or_the_bottleneck():
    g = UNetGenerator(3, 3, width=4, num_downs=5, norm="batch")
    assert isinstance(g.down[0], nn.Conv2d) and g.down[0].bias is None  # bare conv: no norm on the input
    assert not any(isinstance(m, nn.BatchNorm2d) for m in g.down[-1])      # bottleneck: no norm
    assert all(isinstance(block[2], nn.BatchNorm2d) for block in g.down[1:-1])
    assert isinstance(g.up[0][-1], nn.Tanh) and g.up[0][1].bias is not None


def test_unet_rejects_bad_input():
    g = UNetGenerator(3, 3, width=4, num_downs=5)
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 3, H, W\]; got \[2, 1, 32, 32\]"):
        g(images(2, 1, 32))
    with pytest.raises(ValueError, match=r"height: expected a power of two from 32 up; got 48"):
        g(images(1, 3, 48))
    with pytest.raises(ValueError, match=r"height: expected a power of two from 32 up; got 16 \(num_downs=5"):
        g(images(1, 3, 16))
    with pytest.raises(ValueError, match=r"width: expected a power of two from 32 up; got 40"):
        g(torch.zeros(1, 3, 32, 40))
    with pytest.raises(ValueError, match=r"num_downs: expected an int ≥ 5 .*; got 4"):
        UNetGenerator(num_downs=4)
    with pytest.raises(ValueError, match=r"decode: expected 5 feature maps; got 4"):
        g.decode(g.encode(images(1, 3, 32))[:4])


# ---------------------------------------------------------------------------------------------- conditional D

def test_conditional_patchgan_takes_the_concatenated_pair():
    torch.manual_seed(0)
    d = PatchDiscriminator(6, width=4, norm="batch")
    a, b = pair(2)
    assert d(torch.cat([a, b], dim=1)).shape == (2, 1, 2, 2)
    with pytest.raises(ValueError, match=r"expected images of shape \[B, 6, H, W\]; got \[2, 3, 32, 32\]\. "
                                         r"This is a conditional discriminator.*torch\.cat\(\[a, b\], dim=1\)"):
        d(a)


# ---------------------------------------------------------------------------------------------- config

def test_presets_hold_the_paper_settings():
    p = Pix2PixConfig.preset("paper")
    assert (p.resolution, p.in_channels, p.out_channels, p.width, p.d_width) == (256, 3, 3, 64, 64)
    assert (p.num_downs, p.d_layers, p.norm, p.dropout) == (8, 3, "batch", True)
    assert (p.lambda_l1, p.lr, p.betas, p.batch_size) == (100.0, 2e-4, (0.5, 0.999), 1)
    t = Pix2PixConfig.preset("tiny")
    assert (t.resolution, t.width, t.num_downs) == (32, 8, 5)
    assert set(PIX2PIX_PRESETS) == {"tiny", "paper"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.lambda_l1 = 10.0


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match=r"unknown pix2pix preset 'facades'; expected one of \['paper', 'tiny'\]"):
        Pix2PixConfig.preset("facades")
    with pytest.raises(ValueError, match="unknown pix2pix preset"):
        Pix2PixTrainer("facades")
    with pytest.raises(ValueError, match=r"resolution: expected a power of two from 32 up; got 48"):
        tiny(resolution=48)
    with pytest.raises(ValueError, match=r"resolution: expected a power of two from 256 up; got 128"):
        Pix2PixConfig.preset("paper", resolution=128)  # unet_256 needs 256×256 (use num_downs=7 for 128)
    assert Pix2PixConfig.preset("paper", resolution=128, num_downs=7).num_downs == 7
    with pytest.raises(ValueError, match=r"num_downs: expected an int ≥ 5; got 3"):
        tiny(num_downs=3)
    with pytest.raises(ValueError, match=r"in_channels: expected a positive int; got 0"):
        tiny(in_channels=0)
    with pytest.raises(ValueError, match=r"lambda_l1: expected a value ≥ 0; got -1"):
        tiny(lambda_l1=-1.0)
    with pytest.raises(TypeError, match="expected a Pix2PixConfig or a preset name; got dict"):
        Pix2PixTrainer({})


# ---------------------------------------------------------------------------------------------- trainer

def test_trainer_steps_are_finite_and_change_both_networks():
    torch.manual_seed(0)
    t = Pix2PixTrainer(tiny())
    before_g = [p.detach().clone() for p in t.G.parameters()]
    before_d = [p.detach().clone() for p in t.D.parameters()]
    history = [t.step(pair(4, seed=s)) for s in range(3)]
    for losses in history:
        assert set(losses) == {"d_loss", "g_gan", "g_l1"}
        assert all(isinstance(v, float) and math.isfinite(v) for v in losses.values())
    assert history[0] != history[-1]
    assert t.step_count == 3
    assert any(not torch.equal(a, b) for a, b in zip(before_g, t.G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before_d, t.D.parameters()))


def test_trainer_loss_scaling_matches_the_official_code():
    """With D's last conv at zero every logit is 0: D's loss is ½·(ln 2 + ln 2) = ln 2 (the paper halves
    D's objective), G's BCE is ≈ ln 2 (D moved by one small Adam step first), and the L1 term is
    100 · mean|G(a) − b| for the G that the step starts from."""
    torch.manual_seed(0)
    t = Pix2PixTrainer(tiny())
    nn.init.zeros_(t.D.net[-1].weight)
    nn.init.zeros_(t.D.net[-1].bias)
    a, b = pair(4)
    g0 = copy.deepcopy(t.G)
    with torch.no_grad():
        expected_l1 = 100.0 * (g0(a) - b).abs().mean().item()  # train mode, as in the step (no dropout here)
    losses = t.step((a, b))
    assert losses["d_loss"] == pytest.approx(math.log(2), abs=1e-6)
    assert losses["g_gan"] == pytest.approx(math.log(2), abs=0.05)
    assert losses["g_l1"] == pytest.approx(expected_l1, rel=1e-5)


def test_trainer_with_grey_input_and_colour_output():
    torch.manual_seed(0)
    t = Pix2PixTrainer(tiny(in_channels=1))
    assert t.D.in_channels == 4
    a = images(2, 1, 32)
    b = images(2, 3, 32, seed=1)
    assert math.isfinite(t.step((a, b))["d_loss"])
    grid = t.sample_grid((a, b))
    assert grid.shape == (6, 3, 32, 32)
    torch.testing.assert_close(grid[0::3], a.expand(-1, 3, -1, -1))


def save_load(state):
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=False)


def test_resume_reproduces_an_uninterrupted_run():
    cfg = tiny(resolution=64, num_downs=6)  # one dropout block, so the steps draw random numbers
    batches = [pair(2, r=64, seed=10 * s) for s in range(4)]
    torch.manual_seed(3)
    straight = Pix2PixTrainer(cfg)
    expected = [straight.step(b) for b in batches]

    torch.manual_seed(3)
    first = Pix2PixTrainer(cfg)
    got = [first.step(b) for b in batches[:2]]
    checkpoint = save_load({"trainer": first.state_dict(), "torch_rng": torch.get_rng_state()})
    del first
    torch.manual_seed(99)
    resumed = Pix2PixTrainer(cfg)
    resumed.load_state_dict(checkpoint["trainer"])
    torch.set_rng_state(checkpoint["torch_rng"])
    assert resumed.step_count == 2
    got += [resumed.step(b) for b in batches[2:]]
    for e, g in zip(expected, got):
        for k in e:
            assert g[k] == pytest.approx(e[k], abs=1e-6), k
    for (name, x), y in zip(straight.G.state_dict().items(), resumed.G.state_dict().values()):
        if x.is_floating_point():  # weights and batch-norm running statistics
            torch.testing.assert_close(x, y, rtol=0, atol=1e-6, msg=name)


def test_load_state_dict_rejects_another_config():
    state = Pix2PixTrainer(tiny()).state_dict()
    with pytest.raises(ValueError, match="differs from this trainer's"):
        Pix2PixTrainer(tiny(lambda_l1=10.0)).load_state_dict(state)


def test_sample_grid_rows_and_no_side_effects():
    torch.manual_seed(0)
    t = Pix2PixTrainer(tiny(resolution=64, num_downs=6))
    t.step(pair(2, r=64))
    a, b = pair(3, r=64, seed=1)
    buffers = [x.clone() for x in t.G.buffers()]
    rng = torch.get_rng_state()
    grid = t.sample_grid((a, b))
    assert grid.shape == (9, 3, 64, 64)
    torch.testing.assert_close(grid[0::3], a)
    torch.testing.assert_close(grid[2::3], b)
    torch.testing.assert_close(grid, t.sample_grid((a, b)))  # eval mode: dropout off, same output twice
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(x, y) for x, y in zip(buffers, t.G.buffers()))  # batch-norm statistics untouched
    assert t.G.training


def test_trainer_rejects_bad_batches():
    t = Pix2PixTrainer(tiny())
    a, b = pair(2)
    with pytest.raises(TypeError, match=r"expected a pair \(a, b\) of image batches"):
        t.step([a])
    with pytest.raises(ValueError, match=r"batch a: expected images of shape \[B, 3, 32, 32\]; got \[2, 1, 32, 32\]"):
        t.step((a[:, :1], b))
    with pytest.raises(ValueError, match=r"batch b: expected images of shape \[B, 3, 32, 32\]; got \[2, 3, 16, 16\]"):
        t.step((a, b[:, :, :16, :16]))
    with pytest.raises(ValueError, match=r"must have the same batch size; got 2 and 1"):
        t.step((a, b[:1]))
    with pytest.raises(ValueError, match=r"expected pixel values in \[-1, 1\]"):
        t.step(((a + 1) * 127.5, b))
    assert t.step_count == 0
