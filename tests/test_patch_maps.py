"""gan_helpers.patch_maps (chapter 7): PatchGAN geometry, the shipped patch discriminators and their
maps, the interactive's two faces, and the short CycleGAN on thin/thick strokes."""

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from gan_helpers import patch_maps as pm  # noqa: E402
from gan_helpers.cyclegan import PatchDiscriminator, patchgan_output_size, patchgan_receptive_field  # noqa: E402


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_FAST", "1")
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")


# -- images -------------------------------------------------------------------------------------------

def test_photo_is_grey_in_range_and_a_copy():
    image = pm.photo()
    assert image.shape == (1, 1, 213, 320)
    assert image.min() >= -1 and image.max() <= 1 and image.std() > 0.2
    image.zero_()
    assert pm.photo().abs().sum() > 0, "photo() must return a copy, not the cached tensor"
    with pytest.raises(ValueError, match="china.jpg"):
        pm.photo("nope.jpg")
    with pytest.raises(ValueError, match="scale"):
        pm.photo(scale=0)


def test_gaussian_blur_keeps_constants_and_removes_detail():
    flat = torch.full((2, 3, 20, 30), 0.3)
    assert torch.allclose(pm.gaussian_blur(flat, 2.0), flat, atol=1e-6)
    noise = torch.rand(1, 1, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    blurred = pm.gaussian_blur(noise, 1.5)
    assert blurred.shape == noise.shape
    assert blurred.std() < 0.5 * noise.std()
    assert abs(blurred.mean() - noise.mean()) < 0.02     # reflected borders: the mean is (nearly) kept
    with pytest.raises(ValueError, match="sigma"):
        pm.gaussian_blur(noise, 0)


def test_half_blurred_blurs_the_middle_third_only():
    image = pm.photo()
    out, mask = pm.half_blurred(image)
    assert mask.shape == (213, 320) and mask[:, :106].sum() == 0 and mask[:, 106:213].all() and mask[:, 213:].sum() == 0
    assert torch.equal(out[..., :106], image[..., :106]) and torch.equal(out[..., 213:], image[..., 213:])
    assert (out[..., 120:200] - image[..., 120:200]).abs().mean() > 0.01


# -- geometry -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("n_layers,expected", [(1, (16, 2, 5)), (2, (34, 4, 11)), (3, (70, 8, 23)),
                                               (4, (142, 16, 47))])
def test_patch_geometry(n_layers, expected):
    assert pm.patch_geometry(n_layers) == expected


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_patch_boxes_match_the_gradient_of_one_logit(n_layers):
    """The box of every map entry is exactly where its gradient is non-zero (away from the borders)."""
    torch.manual_seed(0)
    D = PatchDiscriminator(1, width=4, n_layers=n_layers, norm="none")
    x = torch.randn(1, 1, 160, 180, requires_grad=True)
    logits = D(x)
    rows, cols = pm.patch_boxes(n_layers, 160, 180)
    assert (len(rows), len(cols)) == tuple(logits.shape[-2:])
    field = patchgan_receptive_field(n_layers)
    i, j = len(rows) // 2, len(cols) // 3
    logits[0, 0, i, j].backward()
    touched = x.grad[0, 0].abs() > 0
    r, c = touched.any(1).nonzero().flatten(), touched.any(0).nonzero().flatten()
    assert (r.min().item(), r.max().item() + 1) == (rows[i].item(), rows[i].item() + field)
    assert (c.min().item(), c.max().item() + 1) == (cols[j].item(), cols[j].item() + field)


# -- the discriminators -------------------------------------------------------------------------------

def test_shipped_weights_are_small_and_load():
    assert pm.WEIGHTS_PATH.exists(), "ship gan_helpers/weights/patch_maps.pt (python scripts/train_patch_maps.py)"
    assert pm.WEIGHTS_PATH.stat().st_size < 1_000_000
    nets = pm.load_patch_discriminators()
    assert sorted(nets) == list(pm.PATCH_LAYERS)
    for n, D in nets.items():
        assert isinstance(D, PatchDiscriminator) and D.n_layers == n and not D.training
        assert not any(p.requires_grad for p in D.parameters())


def test_shipped_discriminators_tell_sharp_from_blurred():
    image, mask = pm.half_blurred(pm.photo())
    nets = pm.load_patch_discriminators()
    for n in (1, 2, 3):
        probs = pm.patch_map(nets[n], image)
        assert probs.shape == (patchgan_output_size(213, n), patchgan_output_size(320, n))
        assert probs.min() >= 0 and probs.max() <= 1 and probs.std() > 0.1
        s = pm.map_summary(probs, mask, n)
        assert s["n_sharp"] > 0 and s["n_blurred"] > 0
        assert s["sharp"] - s["blurred"] > 0.3, (n, s)
    s = pm.map_summary(pm.patch_map(nets[3], image), mask, 3)
    assert s["sharp"] > 0.7 and s["blurred"] < 0.1, s   # the 70×70 PatchGAN: clear-cut
    s4 = pm.map_summary(pm.patch_map(nets[4], image), mask, 4)
    assert s4["n_blurred"] == 0                          # no 142-pixel patch fits in the 107-pixel band


def test_map_summary_counts_patches_by_where_they_lie():
    mask = torch.zeros(64, 64)
    mask[:, 32:] = 1
    rows, cols = pm.patch_boxes(1, 64, 64)
    probs = torch.zeros(len(rows), len(cols))
    probs[:, cols >= 32] = 0.2          # wholly in the blurred half
    probs[:, cols + 16 <= 32] = 0.9     # wholly in the sharp half
    s = pm.map_summary(probs, mask, 1)
    assert s["sharp"] == pytest.approx(0.9) and s["blurred"] == pytest.approx(0.2)
    assert s["n_sharp"] + s["n_blurred"] < probs.numel()     # straddling patches are left out


def test_training_is_deterministic_and_learns():
    # 80 steps: the per-step losses are noisy, and over 40 steps their trend was lost in the noise on
    # some CPUs (seeds 0-5 and 7 all fall by 0.05-0.3 from the first 20 steps to the last 20 here)
    first = pm._train_cached.__wrapped__(3, 80, 7)
    second = pm._train_cached.__wrapped__(3, 80, 7)
    for p, q in zip(first.discriminator.parameters(), second.discriminator.parameters()):
        assert torch.equal(p, q)
    assert len(first.losses) == 80 and first.field == 70
    start, end = sum(first.losses[:20]) / 20, sum(first.losses[-20:]) / 20
    assert end < start - 0.03, f"the discriminator's loss should fall: first 20 steps {start:.3f}, last 20 {end:.3f}"
    with pytest.raises(ValueError, match="n_layers"):
        pm.train_patch_discriminator(5)


def test_train_shipped_and_main_write_float16_weights(tmp_path, capsys):
    out = tmp_path / "w.pt"
    pm.main(["--steps", "2", "--out", str(out)])
    state = torch.load(out, weights_only=True)
    assert sorted(state) == [f"n_layers={n}" for n in pm.PATCH_LAYERS]
    assert all(v.dtype == torch.float16 for d in state.values() for v in d.values())
    assert "wrote" in capsys.readouterr().out


def test_figures_and_the_static_face_of_the_widget(monkeypatch):
    fig = pm.patch_maps_figure()
    assert len([ax for ax in fig.axes if ax.get_title()]) == 4
    matplotlib.pyplot.close(fig)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    pm.show_patch_maps()
    assert len(shown) == 1 and isinstance(shown[0], matplotlib.figure.Figure)


def test_live_face_builds_a_slider(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "live")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    pm.show_patch_maps()
    box = shown[-1]
    slider = box.children[0]
    assert [value for _, value in slider.options] == list(pm.PATCH_LAYERS)
    slider.value = 1                     # redraws without error
    assert slider.value == 1


# -- the strokes CycleGAN -----------------------------------------------------------------------------

def test_ink_fraction():
    images = -torch.ones(2, 1, 4, 4)
    images[0, 0, :2] = 1.0
    assert torch.allclose(pm.ink_fraction(images), torch.tensor([0.5, 0.0]))


def test_strokes_run_is_deterministic_and_leaves_the_global_rng_alone():
    state = torch.get_rng_state()
    run = pm._strokes_run.__wrapped__(3, 1e-3, 5)
    assert torch.equal(torch.get_rng_state(), state)
    again = pm._strokes_run.__wrapped__(3, 1e-3, 5)
    for p, q in zip(run.trainer.G_AB.parameters(), again.trainer.G_AB.parameters()):
        assert torch.equal(p, q)
    assert len(run.history) == 3 and {"cycle", "identity", "d_a", "d_b"} <= set(run.history[0])
    with pytest.raises(ValueError, match="lr"):
        pm.train_strokes_cyclegan(steps=2, lr=0)


def test_fast_budget_cyclegan_already_moves_the_strokes_the_right_way():
    run = pm.train_strokes_cyclegan()            # fast mode: 40 steps at lr 1e-3
    assert run.steps == 40
    report = pm.translation_report(run.trainer)
    assert report["ink_thick"] > 2 * report["ink_thin"]                       # the domains differ
    assert report["ink_thin_to_thick"] > report["ink_thin"] + 0.1
    assert report["ink_thick_to_thin"] < report["ink_thick"] - 0.1
    assert report["l1_thin_to_thick"] < report["l1_identity"]                 # closer to the unseen truth
    assert report["l1_thick_to_thin"] < report["l1_identity"]
    for fig in (pm.translations_figure(run.trainer), pm.losses_figure(run)):
        matplotlib.pyplot.close(fig)
