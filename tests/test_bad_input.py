"""Bad input to gan_helpers: every public entry point rejects it with an error naming both sides.

One table per kind of entry point. Each row calls something a learner or practitioner calls (a loss,
a data function, a metric, a model's forward, a config or preset, a course setting) with one wrong
thing (shape, dtype, device, range, type or preset name) and states the exception type and a regex
that the message must match: the regex names the expected *and* the received value, so an error
that only says "invalid input" fails the test.

Model forwards are checked the same way for every family (:data:`MODELS`): a good input is accepted
(the positive control), and a wrong shape, an integer tensor, a float64 tensor given to float32
weights, a ``meta`` tensor given to a CPU model and a plain list are each refused with a clear error.
Trainers are handed the batches a data loader could wrongly give them.

The last test enumerates every public function and class of the library modules
(:data:`CHECKED_MODULES`): each must have a row here (the row's id starts with its name), or a written
reason in :data:`NO_BAD_INPUT_SURFACE`, so a new public function cannot arrive unchecked.
Everything is tiny: the whole file runs in about 10 s on one CPU core.
"""

from __future__ import annotations

import functools
import inspect
import re
import time

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from gan_helpers import checks, course, data, losses, metrics, minmax, validate
from gan_helpers import conditional, cyclegan, dcgan, digits_classifier, dynamics, noise_mapping, pix2pix
from gan_helpers import stylegan2, toy1d, toy2d, wgan
from gan_helpers import collapse, distributed, latency, lipschitz, patch_maps

META = "meta"


def t(*shape, dtype=torch.float32, device="cpu", fill=0.0):
    return torch.full(shape, fill, dtype=dtype, device=device)


def case(id_, fn, exc, match):
    return pytest.param(fn, exc, match, id=id_)


def check_case(fn, exc, match):
    with pytest.raises(exc, match=match) as info:
        fn()
    # The message is for a person: a sentence, not a bare repr or an empty string.
    assert len(str(info.value)) > 20, f"the error message {str(info.value)!r} is too short to explain anything"


# --- losses ----------------------------------------------------------------------------------------

def _needs_grad(x):
    return x.requires_grad_(True)


LOSS_CASES = [
    case("bce_with_logits-not-tensor", lambda: losses.bce_with_logits([0.5], 1.0), TypeError,
         r"logits must be a torch\.Tensor; got list"),
    case("bce_with_logits-int-dtype", lambda: losses.bce_with_logits(t(4, dtype=torch.int64), 1.0), TypeError,
         r"floating-point tensor; got dtype torch\.int64"),
    case("bce_with_logits-empty", lambda: losses.bce_with_logits(t(0), 1.0), ValueError,
         r"empty \(shape \[0\]\); expected at least one logit"),
    case("bce_with_logits-target-shape", lambda: losses.bce_with_logits(t(4), t(3)), ValueError,
         r"targets must have the logits' shape \[4\]; got \[3\]"),
    case("bce_with_logits-target-range", lambda: losses.bce_with_logits(t(4), 2.0), ValueError,
         r"targets must lie in \[0, 1\]; got values in \[2, 2\]"),
    case("d_loss_bce-int", lambda: losses.d_loss_bce(t(4), t(4, dtype=torch.int32)), TypeError,
         r"fake_logits must be a floating-point tensor; got dtype torch\.int32"),
    case("d_loss_bce-device", lambda: losses.d_loss_bce(t(4), t(4, device=META)), ValueError,
         r"fake_logits: expected a tensor on cpu, the device of real_logits; got one on meta"),
    case("g_loss_nonsaturating-list", lambda: losses.g_loss_nonsaturating([1.0]), TypeError,
         r"fake_logits must be a torch\.Tensor; got list"),
    case("g_loss_saturating-int", lambda: losses.g_loss_saturating(t(2, dtype=torch.int64)), TypeError,
         r"fake_logits must be a floating-point tensor; got dtype torch\.int64"),
    case("d_loss_lsgan-device", lambda: losses.d_loss_lsgan(t(4), t(4, device=META)), ValueError,
         r"fake_scores: expected a tensor on cpu, the device of real_scores; got one on meta"),
    case("g_loss_lsgan-empty", lambda: losses.g_loss_lsgan(t(0, 1)), ValueError,
         r"fake_scores is empty \(shape \[0, 1\]\)"),
    case("d_loss_hinge-device", lambda: losses.d_loss_hinge(t(4, device=META), t(4)), ValueError,
         r"fake_scores: expected a tensor on meta, the device of real_scores; got one on cpu"),
    case("g_loss_hinge-str", lambda: losses.g_loss_hinge("scores"), TypeError,
         r"fake_scores must be a torch\.Tensor; got str"),
    case("critic_loss_wasserstein-device", lambda: losses.critic_loss_wasserstein(t(4), t(4, device=META)),
         ValueError, r"expected a tensor on cpu, the device of real_scores; got one on meta"),
    case("g_loss_wasserstein-int", lambda: losses.g_loss_wasserstein(t(3, dtype=torch.int64)), TypeError,
         r"floating-point tensor; got dtype torch\.int64"),
    case("gradient_penalty-shape", lambda: losses.gradient_penalty(lambda x: x.sum(1), t(2, 2), t(3, 2)),
         ValueError, r"real and fake must have the same shape; got \[2, 2\] and \[3, 2\]"),
    case("gradient_penalty-list", lambda: losses.gradient_penalty(lambda x: x.sum(1), [[0.0]], t(1, 1)),
         TypeError, r"real must be a floating-point tensor; got list"),
    case("gradient_penalty-device", lambda: losses.gradient_penalty(lambda x: x.sum(1), t(2, 2), t(2, 2, device=META)),
         ValueError, r"fake: expected a tensor on cpu, the device of gradient_penalty: real; got one on meta"),
    case("gradient_penalty-critic-output", lambda: losses.gradient_penalty(lambda x: x.sum().view(1), t(2, 2), t(2, 2)),
         ValueError, r"one score per sample, shape \[2\] or \[2, 1\]; got \[1\]"),
    case("r1_penalty-no-grad", lambda: losses.r1_penalty(t(2), t(2, 3), gamma=10.0), ValueError,
         r"real_images must have requires_grad=True"),
    case("lazy_r1-every", lambda: losses.lazy_r1(lambda x: x.sum(1), t(2, 3), gamma=1.0, every=0, step=0), ValueError,
         r"lazy_r1: every: expected a positive int; got 0"),
    case("r1_penalty-not-tensor", lambda: losses.r1_penalty(t(2), [[0.0]], gamma=10.0), TypeError,
         r"r1_penalty: real_images: expected a torch\.Tensor; got list"),
    case("r1_penalty-batch", lambda: losses.r1_penalty(t(3), _needs_grad(t(2, 3)), gamma=10.0), ValueError,
         r"same batch size; got 3 and 2"),
    case("path_length_penalty-shape", lambda: losses.path_length_penalty(t(2, 3, 4), _needs_grad(t(2, 8)), 0.0),
         ValueError, r"expected fake_images of shape \[B, C, H, W\]; got \[2, 3, 4\]"),
    case("path_length_penalty-w-batch", lambda: losses.path_length_penalty(t(2, 3, 4, 4), _needs_grad(t(3, 8)), 0.0),
         ValueError, r"expected w of shape \[2, w_dim\] or \[2, num_ws, w_dim\]; got \[3, 8\]"),
    case("path_length_penalty-not-tensor", lambda: losses.path_length_penalty("images", t(2, 8), 0.0), TypeError,
         r"fake_images: expected a torch\.Tensor; got str"),
    case("cycle_loss-shape", lambda: cyclegan.cycle_loss(t(2, 3, 8, 8), t(2, 3, 4, 4)), ValueError,
         r"reconstructed: expected the shape of real, \[2, 3, 8, 8\]; got \[2, 3, 4, 4\]"),
    case("cycle_loss-device", lambda: cyclegan.cycle_loss(t(2, 3, 8, 8), t(2, 3, 8, 8, device=META)), ValueError,
         r"reconstructed: expected a tensor on cpu, the device of real; got one on meta"),
    case("identity_loss-int", lambda: cyclegan.identity_loss(t(2, 3, 8, 8), t(2, 3, 8, 8, dtype=torch.uint8)),
         TypeError, r"same: expected a floating-point tensor; got dtype torch\.uint8"),
    case("lsgan_discriminator_loss-device",
         lambda: cyclegan.lsgan_discriminator_loss(t(2, 1, 4, 4), t(2, 1, 4, 4, device=META)), ValueError,
         r"expected a tensor on cpu, the device of real_scores; got one on meta"),
]


# --- data --------------------------------------------------------------------------------------------

DATA_CASES = [
    case("sample_toy-name", lambda: data.sample_toy("ring9", 10), ValueError,
         r"unknown 2-D toy 'ring9'; expected one of \['ring8', 'grid25', 'spirals'\]"),
    case("ring8-n-zero", lambda: data.ring8(0), ValueError, r"n: expected a positive int; got 0"),
    case("ring8-n-float", lambda: data.ring8(2.5), TypeError, r"n: expected a positive int; got float"),
    case("toy_centres-name", lambda: data.toy_centres("rings"), ValueError,
         r"unknown 2-D toy 'rings'; expected one of \['ring8', 'grid25', 'spirals'\]"),
    case("toy_dataset-split", lambda: data.toy_dataset("ring8", split="val"), ValueError,
         r"split: expected one of \['train', 'test'\]; got 'val'"),
    case("digits-split", lambda: data.digits(split="val"), ValueError,
         r"split: expected 'train', 'test' or 'all'; got 'val'"),
    case("digits-resolution", lambda: data.digits(resolution=7), ValueError, r"resolution: expected 8 or 32; got 7"),
    case("strokes_domains-resolution", lambda: data.strokes_domains(resolution=7), ValueError,
         r"resolution: expected a power of two from 8 to 256; got 7"),
    case("strokes_domains-channels", lambda: data.strokes_domains(channels=2), ValueError,
         r"channels: expected 1 \(greyscale\) or 3 \(RGB\); got 2"),
    case("thin_strokes-shape", lambda: data.thin_strokes(t(2, 8, 8)), ValueError,
         r"thin_strokes images: expected images of shape \[B, C, H, W\]; got \[2, 8, 8\]"),
    case("thin_strokes-range", lambda: data.thin_strokes(t(1, 1, 8, 8, fill=255.0)), ValueError,
         r"expected pixel values in \[-1, 1\]; got values in \[255, 255\]"),
    case("thin_strokes-meta", lambda: data.thin_strokes(t(1, 1, 8, 8, device=META)), ValueError,
         r"expected a tensor with values \(on cpu, cuda or mps\); got a tensor on the meta device"),
    case("thicken_strokes-even-window", lambda: data.thicken_strokes(t(1, 1, 8, 8), size=2), ValueError,
         r"thicken_strokes size: expected an odd int ≥ 1 .*; got 2"),
    case("thicken_strokes-list", lambda: data.thicken_strokes([[0.0]]), TypeError,
         r"thicken_strokes images: expected a torch\.Tensor; got list"),
    case("make_dataset-spec", lambda: data.make_dataset("imagenet"), ValueError,
         r"unknown dataset spec 'imagenet'; expected one of \['digits', 'ring8'"),
    case("ring8_centres-radius", lambda: data.ring8_centres(-1.0), ValueError,
         r"ring8_centres radius: expected a positive number; got -1\.0"),
    case("grid25_centres-spacing", lambda: data.grid25_centres(0.0), ValueError,
         r"grid25_centres spacing: expected a positive number; got 0\.0"),
    case("grid25-n", lambda: data.grid25(-3), ValueError, r"n: expected a positive int; got -3"),
    case("spirals-n", lambda: data.spirals(0), ValueError, r"n: expected a positive int; got 0"),
    case("spiral_arms-steps", lambda: data.spiral_arms(0), ValueError, r"steps: expected a positive int; got 0"),
    case("toy_std-name", lambda: data.toy_std("x"), ValueError, r"unknown 2-D toy 'x'; expected one of \["),
    case("DigitsDataset-shape", lambda: data.DigitsDataset(t(4, 8, 8), t(4, dtype=torch.int64)), ValueError,
         r"DigitsDataset images: expected images of shape \[B, C, H, W\]; got \[4, 8, 8\]"),
    case("DigitsDataset-labels", lambda: data.DigitsDataset(t(4, 1, 8, 8), t(3, dtype=torch.int64)), ValueError,
         r"DigitsDataset labels: expected shape \[4\] \(one per image\); got \[3\]"),
    case("PairedDataset-shape", lambda: data.PairedDataset(t(4, 1, 8, 8), t(3, 1, 8, 8)), ValueError,
         r"A and B must have the same shape; got \[4, 1, 8, 8\] and \[3, 1, 8, 8\]"),
    case("UnpairedDataset-seed", lambda: data.UnpairedDataset(t(2, 1, 8, 8), t(2, 1, 8, 8), seed="0"), TypeError,
         r"UnpairedDataset seed: expected None or an int; got str"),
    case("ImageTensorDataset-dtype", lambda: data.ImageTensorDataset(t(4, 1, 8, 8), t(4, dtype=torch.int64)),
         ValueError, r"ImageTensorDataset images: expected uint8 \[N, C, H, W\]; got torch\.float32"),
    case("strokes_pairs-split", lambda: data.strokes_pairs(split="val"), ValueError,
         r"split: expected one of \['train', 'test'\]; got 'val'"),
    case("write_strokes_domains-resolution", lambda: data.write_strokes_domains("unused", resolution=7), ValueError,
         r"resolution: expected a power of two from 8 to 256; got 7"),
]


def _missing_data_cases(tmp):
    return [
        (lambda: data.mnist(tmp), FileNotFoundError, r"MNIST not found under .*: expected .*train-images-idx3-ubyte"),
        (lambda: data.fashion_mnist(tmp), FileNotFoundError, r"not found under .*: expected .*train-images-idx3-ubyte"),
        (lambda: data.cifar10(tmp), FileNotFoundError, r"CIFAR-10 not found under .*: expected data_batch_1"),
        (lambda: data.celeba(tmp), FileNotFoundError, r"CelebA not found under .*: expected .*img_align_celeba"),
        (lambda: data.image_folder(tmp / "nope"), FileNotFoundError, r"image folder not found: .*nope does not exist"),
        (lambda: data.UnpairedImageFolder(tmp), FileNotFoundError, r"expected image files in .*trainA and .*trainB"),
        (lambda: data.load_image(tmp / "missing.png", 32), FileNotFoundError, r"missing\.png"),
    ]


def test_real_data_loaders_never_download_and_say_where_the_files_should_be(tmp_path):
    for fn, exc, match in _missing_data_cases(tmp_path):
        check_case(fn, exc, match)


def test_files_with_bad_contents_are_refused(tmp_path):
    idx = tmp_path / "bad-idx3-ubyte"
    idx.write_bytes(bytes([0, 0, 8, 9]) + b"junk")  # promises 9 dimensions, holds 4 more bytes
    check_case(lambda: data.read_idx(idx), ValueError,
               r"the IDX header promises 9 dimensions \(40 header bytes\); the file holds only 8 bytes")
    not_idx = tmp_path / "image.png"
    not_idx.write_bytes(b"\x89PNG....")
    check_case(lambda: data.read_idx(not_idx), ValueError,
               r"not an IDX file of unsigned bytes \(expected the magic bytes 00 00 08 nd; got 89 50 4e 47\)")
    check_case(lambda: data.write_unpaired(tmp_path / "out", t(2, 3, 8, 8), t(2, 8, 8), t(2, 3, 8, 8), t(2, 3, 8, 8)),
               ValueError, r"write_unpaired trainB: expected images of shape \[B, C, H, W\]; got \[2, 8, 8\]")


# --- metrics and the digits classifier --------------------------------------------------------------

METRIC_CASES = [
    case("pairwise_distance_stats-list", lambda: metrics.pairwise_distance_stats([1.0, 2.0]), TypeError,
         r"x: expected a torch\.Tensor or numpy array; got list"),
    case("pairwise_distance_stats-one-sample", lambda: metrics.pairwise_distance_stats(t(1, 2)), ValueError,
         r"expected at least 2 samples of shape \[N ≥ 2, D\.\.\.\]; got \[1, 2\]"),
    case("pairwise_distance_stats-meta", lambda: metrics.pairwise_distance_stats(t(4, 2, device=META)), ValueError,
         r"x: expected a tensor with values .*; got a tensor on the meta device"),
    case("pairwise_distance_stats-nan", lambda: metrics.pairwise_distance_stats(t(4, 2, fill=float("nan"))), ValueError,
         r"expected finite values; got NaN or inf"),
    case("collapse_ratio-shape", lambda: metrics.collapse_ratio(t(4, 2), t(4, 3)), ValueError,
         r"same sample shape; got fake \[4, 2\] and real \[4, 3\] \(expected \[N, \*S\] and \[M, \*S\]\)"),
    case("mode_coverage-shape", lambda: metrics.mode_coverage(t(4, 3), data.toy_centres("ring8"), 0.05), ValueError,
         r"same dimension: samples \[4, 3\], centres \[8, 2\] \(expected \[N, d\] and \[K, d\]\)"),
    case("mode_coverage-std", lambda: metrics.mode_coverage(t(4, 2), data.toy_centres("ring8"), 0.0), ValueError,
         r"std: expected a positive number; got 0"),
    case("mode_coverage-meta", lambda: metrics.mode_coverage(t(4, 2, device=META), data.toy_centres("ring8"), 0.05),
         ValueError, r"expected a tensor with values .*; got a tensor on the meta device"),
    case("frechet_distance-shape", lambda: metrics.frechet_distance(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2)),
         ValueError,
         r"sigma1: expected shape \[2, 2\] to match mu1 of shape \[2\]; got \[3, 3\]"),
    case("frechet_distance-asymmetric",
         lambda: metrics.frechet_distance(np.zeros(2), np.array([[1.0, 1.0], [0.0, 1.0]]), np.zeros(2), np.eye(2)),
         ValueError, r"sigma1: expected a symmetric covariance matrix"),
    case("frechet_distance_from_features-dim",
         lambda: metrics.frechet_distance_from_features(np.zeros((5, 2)), np.zeros((5, 3))),
         ValueError, r"same feature dimension; got \[5, 2\] and \[5, 3\] \(expected \[N, D\] and \[M, D\]\)"),
    case("frechet_distance_from_features-meta",
         lambda: metrics.frechet_distance_from_features(t(4, 2, device=META), t(4, 2)),
         ValueError, r"features1: expected a tensor with values .*; got a tensor on the meta device"),
    case("jsd-sum", lambda: metrics.jsd([0.5, 0.6], [0.5, 0.5]), ValueError,
         r"p: probabilities must sum to 1; got a sum of 1\.1"),
    case("jsd-negative", lambda: metrics.jsd([1.5, -0.5], [0.5, 0.5]), ValueError,
         r"p: probabilities must be non-negative; got a minimum of -0\.5"),
    case("jsd-length", lambda: metrics.jsd([0.5, 0.5], [1.0]), ValueError,
         r"same number of outcomes; got \[2\] and \[1\]"),
    case("wasserstein_1d-2d", lambda: metrics.wasserstein_1d(np.zeros((2, 2)), np.zeros(3)), ValueError,
         r"u_samples: expected a 1-D array of samples \[N\] \(N ≥ 1\); got shape \[2, 2\]"),
    case("precision_recall-k", lambda: metrics.precision_recall(np.random.rand(3, 2), np.random.rand(3, 2), k=3),
         ValueError, r"expected more than k = 3 rows .*; got shape \[3, 2\]"),
    case("digits_fid-channels", lambda: digits_classifier.digits_fid(t(4, 3, 8, 8)), ValueError,
         r"images: expected images of shape \[B, 1, H, W\]; got \[4, 3, 8, 8\]"),
    case("digits_fid-side", lambda: digits_classifier.digits_fid(t(4, 1, 16, 16)), ValueError,
         r"expected images of shape \[B, 1, 8, 8\] or \[B, 1, 32, 32\]; got \[4, 1, 16, 16\]"),
    case("digits_fid-range", lambda: digits_classifier.digits_fid(t(4, 1, 8, 8, fill=255.0)), ValueError,
         r"expected pixel values in \[-1, 1\]; got values in \[255, 255\]"),
    case("digits_fid-meta", lambda: digits_classifier.digits_fid(t(4, 1, 8, 8, device=META)), ValueError,
         r"images: expected a tensor with values .*; got a tensor on the meta device"),
    case("digits_fid-reference", lambda: digits_classifier.digits_fid(t(4, 1, 8, 8), reference="val"), ValueError,
         r"reference: expected 'train', 'test' or a tensor of images; got 'val'"),
    case("classifier_accuracy-batch", lambda: digits_classifier.classifier_accuracy(t(4, 1, 8, 8),
                                                                                    t(3, dtype=torch.int64)),
         ValueError, r"same batch size; got 4 and 3"),
    case("classifier_accuracy-float-labels", lambda: digits_classifier.classifier_accuracy(t(4, 1, 8, 8), t(4)),
         TypeError, r"labels: expected an integer tensor of class indices 0-9; got dtype torch\.float32"),
    case("classifier_accuracy-label-range", lambda: digits_classifier.classifier_accuracy(
        t(4, 1, 8, 8), t(4, dtype=torch.int64, fill=11)), ValueError,
        r"labels: expected class indices in 0-9; got values in \[11, 11\]"),
    case("class_histogram-int", lambda: digits_classifier.class_histogram(t(4, 1, 8, 8, dtype=torch.int64)),
         TypeError, r"images: expected a floating-point tensor; got dtype torch\.int64"),
    case("fit_gaussian-1d", lambda: metrics.fit_gaussian(np.zeros(3)), ValueError,
         r"features: expected a 2-D array of features \[N, D\]; got shape \[3\]"),
    case("check_digit_images-nan", lambda: digits_classifier.check_digit_images(t(2, 1, 8, 8, fill=float("nan"))),
         ValueError, r"images: expected finite pixel values; got NaN or inf"),
    case("to_8x8-side", lambda: digits_classifier.to_8x8(t(2, 1, 16, 16)), ValueError,
         r"to_8x8 images: expected images of shape \[B, 1, 8, 8\] or \[B, 1, 32, 32\]; got \[2, 1, 16, 16\]"),
    case("load_digits_classifier-device", lambda: digits_classifier.load_digits_classifier("gpu"), ValueError,
         r"device: expected 'cpu', 'cuda', 'cuda:N', 'mps' or a torch\.device; got 'gpu'"),
    case("digits_features-channels", lambda: digits_classifier.digits_features(t(2, 3, 8, 8)), ValueError,
         r"images: expected images of shape \[B, 1, H, W\]; got \[2, 3, 8, 8\]"),
    case("digits_logits-int", lambda: digits_classifier.digits_logits(t(2, 1, 8, 8, dtype=torch.int64)), TypeError,
         r"images: expected a floating-point tensor; got dtype torch\.int64"),
    case("real_vs_real_fid-resolution", lambda: digits_classifier.real_vs_real_fid(7), ValueError,
         r"resolution: expected 8 or 32; got 7"),
    case("digits_precision_recall-k", lambda: digits_classifier.digits_precision_recall(t(2, 1, 8, 8), k=0),
         ValueError, r"k: expected a positive int; got 0"),
    case("train_digits_classifier-epochs", lambda: digits_classifier.train_digits_classifier(epochs=0), ValueError,
         r"epochs: expected a positive int; got 0"),
]


# --- configs and presets -----------------------------------------------------------------------------

PRESET_LOOKUPS = [
    ("DCGAN", lambda name: dcgan.DCGANConfig.preset(name), ["tiny", "ch1", "examples", "paper"]),
    ("WGAN-GP", lambda name: wgan.WGANGPConfig.preset(name), ["tiny", "paper"]),
    ("StyleGAN2", lambda name: stylegan2.StyleGAN2Config.preset(name), ["config-f", "tiny"]),
    ("conditional GAN", lambda name: conditional.ConditionalConfig.preset(name), ["tiny", "digits32", "cifar10"]),
    ("CycleGAN", lambda name: cyclegan.CycleGANConfig.preset(name), ["tiny", "paper"]),
    ("pix2pix", lambda name: pix2pix.Pix2PixConfig.preset(name), ["tiny", "paper"]),
    ("toy 2-D GAN", lambda name: toy2d.Toy2DConfig.preset(name), ["tiny", "gan-ring"]),
]


@pytest.mark.parametrize("what, lookup, known", PRESET_LOOKUPS, ids=[p[0] for p in PRESET_LOOKUPS])
def test_unknown_preset_names_list_the_known_ones(what, lookup, known):
    for name in known:  # positive control: the documented presets exist
        assert lookup(name) is not None
    with pytest.raises(ValueError, match=rf"unknown {re.escape(what)} preset 'Tiny'; expected one of \[") as info:
        lookup("Tiny")
    for name in known:
        assert repr(name) in str(info.value), f"the error for an unknown {what} preset should list {name!r}"


CONFIG_CASES = [
    case("DCGANConfig-resolution", lambda: dcgan.DCGANConfig(resolution=48), ValueError,
         r"DCGANConfig\.resolution: expected a power of two from 32 up; got 48"),
    case("DCGANConfig-layout", lambda: dcgan.DCGANConfig(layout="deconv"), ValueError,
         r"DCGANConfig\.layout: expected one of \['dense', 'conv'\]; got 'deconv'"),
    case("WGANGPConfig-n_critic", lambda: wgan.WGANGPConfig(n_critic=0), ValueError,
         r"WGANGPConfig\.n_critic: expected a positive int; got 0"),
    case("StyleGAN2Config-resolution", lambda: stylegan2.StyleGAN2Config.preset("tiny", resolution=48), ValueError,
         r"StyleGAN2Config\.resolution: expected a power of two from 32 to 1024; got 48"),
    case("StyleGAN2Config-mixing", lambda: stylegan2.StyleGAN2Config.preset("tiny", style_mixing_prob=1.5),
         ValueError, r"style_mixing_prob: expected a number in \[0, 1\]; got 1\.5"),
    case("ConditionalConfig-arch", lambda: conditional.ConditionalConfig(arch="resnet"), ValueError,
         r"ConditionalConfig\.arch: expected one of \['mlp', 'conv'\]; got 'resnet'"),
    case("ConditionalConfig-discriminator", lambda: conditional.ConditionalConfig(discriminator="acgan"), ValueError,
         r"expected one of \['concat', 'projection'\]; got 'acgan'"),
    case("CycleGANConfig-norm", lambda: cyclegan.CycleGANConfig.preset("tiny", norm="group"), ValueError,
         r"norm: expected one of \['instance', 'batch', 'none'\]; got 'group'"),
    case("CycleGANConfig-resolution", lambda: cyclegan.CycleGANConfig.preset("tiny", resolution=30), ValueError,
         r"resolution: expected a power of two from 8 up; got 30"),
    case("Pix2PixConfig-num_downs", lambda: pix2pix.Pix2PixConfig.preset("tiny", num_downs=9), ValueError,
         r"resolution: expected a power of two from 512 up; got 32"),
    case("CycleGANConfig-betas", lambda: cyclegan.CycleGANConfig.preset("tiny", betas=(0.5, 1.0)), ValueError,
         r"CycleGANConfig betas: expected two numbers in \[0, 1\); got \(0\.5, 1\.0\)"),
    case("CycleGANConfig-init_gain", lambda: cyclegan.CycleGANConfig.preset("tiny", init_gain=0.0), ValueError,
         r"CycleGANConfig init_gain: expected a positive standard deviation; got 0\.0"),
    case("Pix2PixConfig-betas", lambda: pix2pix.Pix2PixConfig.preset("tiny", betas=(0.5,)), ValueError,
         r"Pix2PixConfig betas: expected two numbers in \[0, 1\); got \(0\.5,\)"),
    case("Pix2PixConfig-lr-nan", lambda: pix2pix.Pix2PixConfig.preset("tiny", lr=float("nan")), ValueError,
         r"Pix2PixConfig lr: expected a positive learning rate; got nan"),
    case("Pix2PixConfig-dropout", lambda: pix2pix.Pix2PixConfig.preset("tiny", dropout=0.5), TypeError,
         r"Pix2PixConfig dropout: expected True or False; got 0\.5"),
    case("ConditionalConfig-lr", lambda: conditional.ConditionalConfig(lr_d=-1e-4), ValueError,
         r"ConditionalConfig\.lr_d: expected a positive learning rate; got -0\.0001"),
    case("ConditionalConfig-betas", lambda: conditional.ConditionalConfig(betas=(0.5, True)), ValueError,
         r"ConditionalConfig\.betas: expected two numbers in \[0, 1\); got \(0\.5, True\)"),
    case("ConditionalConfig-r1-nan", lambda: conditional.ConditionalConfig(r1_gamma=float("nan")), ValueError,
         r"ConditionalConfig\.r1_gamma: expected a number in \[0, inf\) \(0 = no R1\); got nan"),
    case("ConditionalConfig-r1-every", lambda: conditional.ConditionalConfig(r1_every=0), ValueError,
         r"ConditionalConfig\.r1_every: expected a positive int; got 0"),
    case("StyleGAN2Config-r1-nan", lambda: stylegan2.StyleGAN2Config.preset("tiny", r1_gamma=float("nan")), ValueError,
         r"StyleGAN2Config\.r1_gamma: expected a number in \[0, inf\); got nan"),
    case("StyleGAN2Config-betas", lambda: stylegan2.StyleGAN2Config.preset("tiny", betas=(-0.1, 0.99)), ValueError,
         r"StyleGAN2Config\.betas: expected two numbers in \[0, 1\); got \(-0\.1, 0\.99\)"),
    case("require_positive_number-inf", lambda: validate.require_positive_number(float("inf"), "std"), ValueError,
         r"std: expected a positive number; got inf"),
    case("require_in_range-nan", lambda: validate.require_in_range(float("nan"), "ema", 0, 1, high_open=True), ValueError,
         r"ema: expected a number in \[0, 1\); got nan"),
    case("ConditionalConfig-ema-bool", lambda: conditional.ConditionalConfig(ema_decay=True), ValueError,
         r"ConditionalConfig\.ema_decay: expected a number in \[0, 1\) \(0 = no EMA\); got True"),
    case("require_betas-not-a-pair", lambda: validate.require_betas(0.9, "betas"), ValueError,
         r"betas: expected two numbers in \[0, 1\); got 0\.9"),
    case("Toy2DConfig-loss", lambda: toy2d.Toy2DConfig.preset("tiny", loss="hinge"), ValueError,
         r"loss: expected one of \['bce', 'wgan-gp'\]; got 'hinge'"),
    case("GameConfig-std", lambda: toy1d.GameConfig(real_std=0), ValueError,
         r"real_std and init_scale must be positive; got 0"),
    case("GameConfig-batch", lambda: toy1d.GameConfig(batch_size=1), ValueError,
         r"batch_size must be at least 2; got 1"),
    case("OneDGame-run-negative", lambda: toy1d.OneDGame().run(-1), ValueError,
         r"n_steps must be non-negative; got -1"),
    case("OneDGame-run-float", lambda: toy1d.OneDGame().run(2.5), TypeError, r"n_steps must be an int; got float 2\.5"),
    case("MappingConfig-weights", lambda: noise_mapping.MappingConfig(weights=(0.5, 0.6)), ValueError,
         r"weights must be positive and sum to 1; got \(0\.5, 0\.6\)"),
    case("RunConfig-g_loss", lambda: dynamics.RunConfig(g_loss="wasserstein"), ValueError,
         r"g_loss: expected one of \[.*\]; got 'wasserstein'"),
    case("RunConfig-data", lambda: dynamics.RunConfig(data="mnist"), ValueError,
         r"data: expected one of \[.*\]; got 'mnist'"),
    case("ResnetGenerator-norm", lambda: cyclegan.ResnetGenerator(3, 3, norm="layer"), ValueError,
         r"norm: expected one of \['instance', 'batch', 'none'\]; got 'layer'"),
    case("UNetGenerator-num_downs", lambda: pix2pix.UNetGenerator(num_downs=0), ValueError,
         r"UNetGenerator num_downs: expected an int ≥ 5 .*; got 0"),
    case("jacobian_norms-shape", lambda: toy2d.jacobian_norms(torch.nn.Linear(2, 2), torch.zeros(2)), ValueError,
         r"jacobian_norms z: expected a \[n, z_dim\] tensor; got shape \[2\]"),
    case("jacobian_norms-type", lambda: toy2d.jacobian_norms(torch.nn.Linear(2, 2), [[0.0, 0.0]]), TypeError,
         r"jacobian_norms z: expected a torch\.Tensor; got list"),
    case("MLPGenerator-activation", lambda: toy2d.MLPGenerator(activation="gelu"), ValueError,
         r"activation: expected one of \['elu', 'leaky_relu', 'relu', 'tanh'\]; got 'gelu'"),
    case("ImagePool-size", lambda: cyclegan.ImagePool(-1), ValueError,
         r"ImagePool size: expected an int ≥ 0; got -1"),
    case("ImagePool-query-list", lambda: cyclegan.ImagePool(2).query([1.0]), TypeError,
         r"ImagePool\.query images: expected a torch\.Tensor; got list"),
    case("convtranspose_output_size-kernel", lambda: dcgan.convtranspose_output_size(4, 0), ValueError,
         r"kernel: expected an int ≥ 1; got 0"),
    case("dcgan.count_parameters-not-module", lambda: dcgan.count_parameters("G"), TypeError,
         r"count_parameters: expected an nn\.Module; got str"),
    case("make_fixed_noise-n", lambda: dcgan.make_fixed_noise(0, 4, torch.device("cpu")), ValueError,
         r"make_fixed_noise n: expected a positive int; got 0"),
    case("ema_beta-batch", lambda: stylegan2.ema_beta(0, 0, 10.0), ValueError,
         r"ema_beta batch_size: expected a positive int; got 0"),
    case("update_ema-beta", lambda: stylegan2.update_ema(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), 1.5),
         ValueError, r"update_ema beta: expected a decay in \[0, 1\]; got 1\.5"),
    case("update_ema-architecture", lambda: stylegan2.update_ema(torch.nn.Linear(3, 3), torch.nn.Linear(2, 2), 0.9),
         ValueError, r"same architecture; .*expected \[\(2, 2\), \(2,\)\] \(model\); got \[\(3, 3\), \(3,\)\] \(ema\)"),
    case("projection_logit-shape", lambda: conditional.projection_logit(t(2, 4), t(2), t(3, 4)), ValueError,
         r"class_embedding: expected shape \[2, 4\]; got \[3, 4\]"),
    case("check_labels-float", lambda: conditional.check_labels(t(4), 10), TypeError,
         r"labels: expected an integer tensor \(int64 class indices\); got dtype torch\.float32"),
    case("check_labels-range", lambda: conditional.check_labels(t(4, dtype=torch.int64, fill=10), 10), ValueError,
         r"labels: expected class indices in \[0, 9\]; got values in \[10, 10\]"),
    case("optimal_discriminator-shape", lambda: minmax.optimal_discriminator(torch.ones(3), torch.ones(4)),
         ValueError, r"p_data and p_g must have the same shape; got \[3\] and \[4\]"),
    case("optimal_discriminator-negative", lambda: minmax.optimal_discriminator(-torch.ones(3), torch.ones(3)),
         ValueError, r"p_data must be non-negative; got a minimum of -1"),
    case("player_losses-str", lambda: minmax.player_losses("a"), TypeError,
         r"logits must be a number or a floating-point tensor; got str"),
    case("generator_race-loss", lambda: minmax.generator_race("hinge"), ValueError,
         r"loss must be 'saturating' or 'nonsaturating'; got 'hinge'"),
    case("cyclegan.count_parameters-not-module", lambda: cyclegan.count_parameters(None), TypeError,
         r"count_parameters: expected an nn\.Module; got NoneType"),
    case("dcgan_init_-not-module", lambda: dcgan.dcgan_init_("G"), TypeError,
         r"dcgan_init_: expected an nn\.Module; got str"),
    case("init_weights-not-module", lambda: cyclegan.init_weights("G"), TypeError,
         r"init_weights: expected an nn\.Module; got str"),
    case("build_discriminator-not-config", lambda: conditional.build_discriminator("tiny"), TypeError,
         r"build_discriminator: expected a ConditionalConfig .*; got str"),
    case("check_norm-name", lambda: cyclegan.check_norm("group"), ValueError,
         r"norm: expected one of \['instance', 'batch', 'none'\]; got 'group'"),
    case("norm_layer-name", lambda: cyclegan.norm_layer("layer", 4), ValueError,
         r"norm: expected one of \['instance', 'batch', 'none'\]; got 'layer'"),
    case("patchgan_output_size-size", lambda: cyclegan.patchgan_output_size(0), ValueError,
         r"input_size: expected a positive int; got 0"),
    case("patchgan_receptive_field-layers", lambda: cyclegan.patchgan_receptive_field(0), ValueError,
         r"n_layers: expected a positive int; got 0"),
    case("lsgan_generator_loss-list", lambda: cyclegan.lsgan_generator_loss([1.0]), TypeError,
         r"fake_scores must be a torch\.Tensor; got list"),
    case("split_pair-single", lambda: cyclegan.split_pair(t(2, 3, 8, 8), "step", 3, 3, 8, torch.device("cpu")),
         TypeError, r"expected a pair \(a, b\) of image batches \[B, C, H, W\]; got Tensor"),
    case("unconditional_images-channels", lambda: dcgan.unconditional_images(t(2, 3, 8, 8), "batch", 1, 8,
                                                                               torch.device("cpu")),
         ValueError, r"batch: expected images of shape \[B, 1, 8, 8\]; got \[2, 3, 8, 8\]"),
    case("sample_in_eval_mode-z", lambda: dcgan.sample_in_eval_mode(built("DCGANGenerator")[0], t(2, 5)), ValueError,
         r"expected shape \[B, 32\] or \[B, 32, 1, 1\]; got \[2, 5\]"),
    case("upfirdn2d-shape", lambda: stylegan2.upfirdn2d(t(2, 8), stylegan2.fir_filter()), ValueError,
         r"upfirdn2d x: expected images of shape \[B, C, H, W\]; got \[2, 8\]"),
    case("upfirdn2d-filter", lambda: stylegan2.upfirdn2d(t(1, 1, 8, 8), t(4)), ValueError,
         r"upfirdn2d filter f: expected a square \[k, k\] tensor .*; got \[4\]"),
    case("upsample2d-shape", lambda: stylegan2.upsample2d(t(8, 8), stylegan2.fir_filter()), ValueError,
         r"upsample2d x: expected images of shape \[B, C, H, W\]; got \[8, 8\]"),
    case("downsample2d-shape", lambda: stylegan2.downsample2d(t(8, 8), stylegan2.fir_filter()), ValueError,
         r"downsample2d x: expected images of shape \[B, C, H, W\]; got \[8, 8\]"),
    case("bias_act-activation", lambda: stylegan2.bias_act(t(2, 3), t(3), activation="gelu"), ValueError,
         r"activation: expected 'linear' or 'lrelu'; got 'gelu'"),
    case("bias_act-bias-shape", lambda: stylegan2.bias_act(t(2, 3), t(4)), ValueError,
         r"bias_act bias \(one per channel of x\): expected shape \[3\]; got \[4\]"),
    case("normalize_2nd_moment-str", lambda: stylegan2.normalize_2nd_moment("z"), TypeError,
         r"normalize_2nd_moment x: expected a torch\.Tensor; got str"),
    case("modulate_weights-styles", lambda: stylegan2.modulate_weights(t(4, 3, 3, 3), t(2, 5)), ValueError,
         r"modulate_weights styles \[B, I\]: expected shape \[B, 3\]; got \[2, 5\]"),
    case("modulated_conv2d-channels", lambda: stylegan2.modulated_conv2d(t(2, 5, 8, 8), t(4, 3, 3, 3), t(2, 3)),
         ValueError, r"modulated_conv2d x \[B, I, H, W\]: expected shape \[B, 3, \*, \*\]; got \[2, 5, 8, 8\]"),
    case("modulated_conv2d-styles-batch", lambda: stylegan2.modulated_conv2d(t(2, 3, 8, 8), t(4, 3, 3, 3), t(1, 3)),
         ValueError, r"modulated_conv2d styles \[B, I\]: expected shape \[2, 3\]; got \[1, 3\]"),
    case("MinibatchStdDev-group", lambda: stylegan2.MinibatchStdDev(4, 1)(t(6, 3, 4, 4)), ValueError,
         r"the batch size 6 must be divisible by the group size 4"),
    case("StyleGAN2Generator-truncation", lambda: built("StyleGAN2Generator")[0](t(2, 64), truncation_psi="0.7"),
         TypeError, r"truncation_psi: expected a number .*; got str '0\.7'"),
    case("StyleGAN2Generator-noise_mode", lambda: built("StyleGAN2Generator")[0](t(2, 64), noise_mode="fixed"),
         ValueError, r"noise_mode: expected one of \['random', 'const', 'none'\]; got 'fixed'"),
    case("StyleGAN2Generator-crossover", lambda: built("StyleGAN2Generator")[0](t(2, 64), mixing_z=t(2, 64),
                                                                               crossover=100),
         ValueError, r"crossover: expected an int layer index from 0 to num_ws = \d+; got 100"),
    case("AffineGenerator-str", lambda: toy1d.AffineGenerator(0.0, 1.0)("z"), TypeError,
         r"AffineGenerator input z: expected a torch\.Tensor; got str"),
    case("QuadraticDiscriminator-device", lambda: toy1d.QuadraticDiscriminator()(t(4, device=META)), ValueError,
         r"QuadraticDiscriminator input: expected a tensor on cpu .*; got one on meta"),
]


# --- course settings and learner-facing checks -------------------------------------------------------

COURSE_CASES = [
    case("seed_everything-str", lambda: course.seed_everything("1"), TypeError, r"seed must be an int; got str"),
    case("choose_device-name", lambda: course.choose_device("gpu"), ValueError,
         r"device: expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got 'gpu'"),
    case("lookup_preset-unknown", lambda: validate.lookup_preset({"a": 1}, "b", "demo"), ValueError,
         r"unknown demo preset 'b'; expected one of \['a'\]"),
    case("require_power_of_two-48", lambda: validate.require_power_of_two(48, "side", minimum=8), ValueError,
         r"side: expected a power of two from 8 up; got 48"),
    case("require_same_batch-not-tensor", lambda: validate.require_same_batch(t(2), [1, 2], "x", "y"), TypeError,
         r"y: expected a torch\.Tensor; got list"),
    case("require_images-nan", lambda: validate.require_images(t(1, 1, 2, 2, fill=float("nan")), "x", check_range=True),
         ValueError, r"x: expected pixel values in \[-1, 1\]; got NaN"),
    case("check_shape-wrong", lambda: checks.check_shape(t(2, 3), [2, 4], "z"), checks.CheckFailed,
         r"z has shape \[2, 3\]; expected \[2, 4\]"),
    case("check_dtype-wrong", lambda: checks.check_dtype(t(2, dtype=torch.float64), torch.float32, "z"),
         checks.CheckFailed,
         r"z has dtype torch\.float64; expected torch\.float32"),
    case("require_answer-option", lambda: checks.require_answer("e", "answer_q1", ["a", "b"]), checks.CheckFailed,
         r"answer_q1 is 'e'; expected one of 'a', 'b'"),
    case("require_tensor-int", lambda: validate.require_tensor(t(2, dtype=torch.int64), "x"), TypeError,
         r"x: expected a floating-point tensor; got dtype torch\.int64"),
    case("require_shape-wrong", lambda: validate.require_shape(t(2, 3, 4), [None, 3, None, None], "x"), ValueError,
         r"x: expected shape \[B, 3, \*, \*\]; got \[2, 3, 4\]"),
    case("require_like-dtype", lambda: validate.require_like(t(2, dtype=torch.float64), t(2), "x"), ValueError,
         r"x: expected dtype torch\.float32 \(the reference tensor's dtype\); got torch\.float64"),
    case("require_like-device", lambda: validate.require_like(t(2, device=META), t(2), "x"), ValueError,
         r"x: expected a tensor on cpu \(where the reference tensor is\); got one on meta"),
    case("require_values-meta", lambda: validate.require_values(t(2, device=META), "x"), ValueError,
         r"x: expected a tensor with values \(on cpu, cuda or mps\); got a tensor on the meta device"),
    case("require_same_device", lambda: validate.require_same_device(t(2), t(2, device=META), "a", "b"), ValueError,
         r"b: expected a tensor on cpu, the device of a; got one on meta"),
    case("require_positive_int-bool", lambda: validate.require_positive_int(True, "n"), TypeError,
         r"n: expected a positive int; got bool"),
    case("check_tensor-list", lambda: checks.check_tensor([1], "x"), checks.CheckFailed,
         r"x is a list; expected a torch\.Tensor"),
    case("check_scalar-vector", lambda: checks.check_scalar(t(2), "x"), checks.CheckFailed,
         r"x has shape \[2\]; expected a scalar \(shape \[\]\)"),
    case("check_finite-nan", lambda: checks.check_finite(torch.tensor([float("nan")]), "x"), checks.CheckFailed,
         r"x contains 1 NaN and 0 infinite value\(s\); expected only finite numbers"),
    case("check_close-values", lambda: checks.check_close(t(2), torch.ones(2), "x"), checks.CheckFailed,
         r"x is 0 at flat index 0 of 2; expected 1"),
    case("check_number_close-values", lambda: checks.check_number_close(1.0, 2.0, "x"), checks.CheckFailed,
         r"x is 1; expected 2 \(difference 1\)"),
    case("check_grad_close-values", lambda: checks.check_grad_close(lambda x: x.sum(), lambda x: (2 * x).sum(), [t(2)],
                                                                    "x"),
         checks.CheckFailed, r"the gradient of x is 1 at flat index 0 of 2; expected 2"),
]


def test_choose_device_cuda_without_cuda_says_so():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(RuntimeError, match=r"device 'cuda:1' was requested but CUDA is not available"):
        course.choose_device("cuda:1")


def test_fast_mode_rejects_an_unknown_value(monkeypatch):
    monkeypatch.setenv(course.FAST_ENV, "maybe")
    with pytest.raises(ValueError, match=r"GAN_COURSE_FAST must be one of 1/0/true/false/yes/no/on/off; got 'maybe'"):
        course.fast_mode()


@pytest.mark.parametrize("fn, exc, match", LOSS_CASES + DATA_CASES + METRIC_CASES + CONFIG_CASES + COURSE_CASES)
def test_bad_input_is_refused_with_expected_and_received(fn, exc, match):
    check_case(fn, exc, match)


# --- model forwards, the same checks for every family -----------------------------------------------

@functools.cache
def built(name: str):
    """Tiny models, built once: ``name -> (module, good input, call, shape-error cases)``."""
    torch.manual_seed(0)
    if name in ("DCGANGenerator", "DCGANDiscriminator", "WGANCritic"):
        c = dcgan.DCGANConfig.preset("tiny")
        if name == "DCGANGenerator":
            return dcgan.DCGANGenerator(c), t(2, c.z_dim), None, [
                (t(2, c.z_dim + 1), r"expected shape \[B, 32\] or \[B, 32, 1, 1\]; got \[2, 33\]")]
        if name == "DCGANDiscriminator":
            model = dcgan.DCGANDiscriminator(c)
        else:
            model = wgan.WGANCritic(wgan.WGANGPConfig.preset("tiny"))
        r, ch = model.config.resolution, model.config.channels
        return model, t(2, ch, r, r), None, [
            (t(2, ch + 2, r, r), rf"expected images of shape \[B, {ch}, {r}, {r}\]; got \[2, {ch + 2}, {r}, {r}\]"),
            (t(2, ch, r // 2, r // 2),
             rf"expected images of shape \[B, {ch}, {r}, {r}\]; got \[2, {ch}, {r // 2}, {r // 2}\]")]
    if name.startswith("StyleGAN2"):
        c = stylegan2.StyleGAN2Config.preset("tiny")
        if name == "StyleGAN2Generator":
            return stylegan2.StyleGAN2Generator(c), t(2, c.z_dim), None, [
                (t(2, c.z_dim, 1), rf"StyleGAN2 generator z: expected shape \[B, {c.z_dim}\]; got \[2, {c.z_dim}, 1\]")]
        if name == "StyleGAN2Synthesis":
            G = built("StyleGAN2Generator")[0]
            return G.synthesis, t(2, c.num_ws, c.w_dim), None, [
                (t(2, c.w_dim), rf"synthesis ws: expected shape \[B, {c.num_ws}, {c.w_dim}\]; got \[2, {c.w_dim}\]")]
        return stylegan2.StyleGAN2Discriminator(c), t(4, 3, c.resolution, c.resolution), None, [
            (t(4, 1, c.resolution, c.resolution),
             rf"expected images of shape \[B, 3, {c.resolution}, {c.resolution}\]; got \[4, 1,")]
    if name.startswith("Conditional") or name in ("ConcatDiscriminator", "ProjectionDiscriminator"):
        c = conditional.ConditionalConfig.preset("tiny")
        labels = torch.tensor([1, 2])
        if name == "ConditionalGenerator":
            return conditional.ConditionalGenerator(c), t(2, c.z_dim), lambda m, x: m(x, labels), [
                (t(2, c.z_dim + 1),
                 rf"ConditionalGenerator z: expected shape \[B, {c.z_dim}\]; got \[2, {c.z_dim + 1}\]")]
        cls = conditional.ConcatDiscriminator if name == "ConcatDiscriminator" else conditional.ProjectionDiscriminator
        r = c.resolution
        return cls(c), t(2, c.channels, r, r), lambda m, x: m(x, labels), [
            (t(2, 3, r, r), rf"{name} images: expected images of shape \[B, 1, {r}, {r}\]; got \[2, 3, {r}, {r}\]")]
    if name == "ResnetGenerator":
        return cyclegan.ResnetGenerator(3, 3, width=4, n_blocks=1), t(1, 3, 8, 8), None, [
            (t(1, 3, 10, 10), r"multiples of 4 and at least 8 .*; got shape \[1, 3, 10, 10\]"),
            (t(1, 1, 8, 8), r"expected images of shape \[B, 3, H, W\]; got \[1, 1, 8, 8\]")]
    if name == "PatchDiscriminator":
        return cyclegan.PatchDiscriminator(6, width=4, n_layers=1), t(1, 6, 16, 16), None, [
            (t(1, 3, 16, 16), r"expected images of shape \[B, 6, H, W\]; got \[1, 3, 16, 16\]\. This is a conditional")]
    if name == "UNetGenerator":
        return pix2pix.UNetGenerator(3, 3, width=4, num_downs=5), t(1, 3, 32, 32), None, [
            (t(1, 3, 24, 24), r"UNetGenerator input height: expected a power of two from 32 up; got 24")]
    if name == "MLPGenerator":
        return toy2d.MLPGenerator(z_dim=2, width=8, depth=1), t(4, 2), None, [
            (t(4, 3), r"MLPGenerator input z: expected shape \[B, 2\]; got \[4, 3\]")]
    if name == "MLPDiscriminator":
        return toy2d.MLPDiscriminator(width=8, depth=1), t(4, 2), None, [
            (t(4, 2, 1), r"MLPDiscriminator input: expected shape \[B, 2\]; got \[4, 2, 1\]")]
    if name == "MappingNetwork":
        return stylegan2.MappingNetwork(z_dim=8, w_dim=8, num_layers=1), t(2, 8), None, [
            (t(2, 9), r"StyleGAN2 mapping z: expected shape \[B, 8\]; got \[2, 9\]")]
    if name == "MBStdDiscriminator":
        return collapse.MBStdDiscriminator(width=8, depth=1, group_size=2), t(4, 2), None, [
            (t(4, 3), r"MBStdDiscriminator input \(points\): expected shape \[B, 2\]; got \[4, 3\]")]
    if name == "TinyDenoiser":
        return latency.TinyDenoiser(dim=8, width=8), t(2, 8), None, [
            (t(2, 64), r"TinyDenoiser input: expected shape \[B, 8\]; got \[2, 64\]")]
    if name == "DigitsClassifier":
        return digits_classifier.load_digits_classifier(), t(2, 1, 8, 8), None, [
            (t(2, 1, 32, 32), r"DigitsClassifier input: expected images of shape \[B, 1, 8, 8\]; got \[2, 1, 32, 32\]")]
    raise KeyError(name)


MODELS = ["DCGANGenerator", "DCGANDiscriminator", "WGANCritic", "StyleGAN2Generator", "StyleGAN2Synthesis",
          "StyleGAN2Discriminator", "ConditionalGenerator", "ConcatDiscriminator", "ProjectionDiscriminator",
          "MappingNetwork", "ResnetGenerator", "PatchDiscriminator", "UNetGenerator", "MLPGenerator",
          "MLPDiscriminator", "DigitsClassifier", "MBStdDiscriminator", "TinyDenoiser"]


def call(name, x):
    model, _, caller, _ = built(name)
    model.eval()
    with torch.no_grad():
        return caller(model, x) if caller else model(x)


@pytest.mark.parametrize("name", MODELS)
def test_model_accepts_its_documented_input(name):
    out = call(name, built(name)[1])
    assert isinstance(out, torch.Tensor) and torch.isfinite(out).all(), f"{name} failed on a good input"


@pytest.mark.parametrize("name", MODELS)
def test_model_refuses_wrong_shapes(name):
    for bad, match in built(name)[3]:
        with pytest.raises(ValueError, match=match):
            call(name, bad)


@pytest.mark.parametrize("name", MODELS)
def test_model_refuses_wrong_dtype_device_and_type(name):
    good = built(name)[1]
    with pytest.raises(TypeError, match=r"expected a floating-point tensor; got dtype torch\.int64"):
        call(name, good.to(torch.int64))
    with pytest.raises(ValueError, match=r"expected dtype torch\.float32 \(the dtype of \w+'s parameters\); "
                                         r"got torch\.float64"):
        call(name, good.double())
    with pytest.raises(ValueError, match=r"expected a tensor on cpu \(where \w+'s parameters are\); got one on meta"):
        call(name, torch.empty_like(good, device=META))
    with pytest.raises(TypeError, match=r"expected a torch\.Tensor; got list"):
        call(name, good.tolist())


def test_autocast_inputs_are_not_refused_for_their_dtype():
    """Under torch.autocast the model casts inputs itself, so a bfloat16 input is fine there."""
    model = built("MLPDiscriminator")[0]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(t(4, 2, dtype=torch.bfloat16))
    assert out.shape == (4,)


# --- trainers: the batch a training loop hands them ---------------------------------------------------

@functools.cache
def trainer(family: str):
    torch.manual_seed(0)
    if family == "dcgan":
        return dcgan.DCGANTrainer(dcgan.DCGANConfig.preset("tiny"), "cpu")
    if family == "conditional":
        return conditional.ConditionalTrainer(conditional.ConditionalConfig.preset("tiny"), "cpu")
    if family == "cyclegan":
        return cyclegan.CycleGANTrainer(cyclegan.CycleGANConfig.preset("tiny"), "cpu")
    if family == "toy2d":
        return toy2d.Toy2DTrainer(toy2d.Toy2DConfig.preset("tiny"), "cpu")
    if family == "wgan":
        return wgan.WGANGPTrainer(wgan.WGANGPConfig.preset("tiny"), "cpu")
    if family == "stylegan2":
        return stylegan2.StyleGAN2Trainer(stylegan2.StyleGAN2Config.preset("tiny"), "cpu")
    if family == "pix2pix":
        return pix2pix.Pix2PixTrainer(pix2pix.Pix2PixConfig.preset("tiny"), "cpu")
    raise KeyError(family)


TRAINER_CASES = [
    case("DCGANTrainer-range", lambda: trainer("dcgan").step(t(4, 1, 32, 32, fill=255.0)), ValueError,
         r"DCGANTrainer batch: expected pixel values in \[-1, 1\]; got values in \[255, 255\]"),
    case("DCGANTrainer-shape", lambda: trainer("dcgan").step(t(4, 3, 8, 8)), ValueError,
         r"DCGANTrainer batch: expected images of shape \[B, 1, 32, 32\]; got \[4, 3, 8, 8\]"),
    case("DCGANTrainer-meta", lambda: trainer("dcgan").step(t(4, 1, 32, 32, device=META)), ValueError,
         r"DCGANTrainer batch: expected a tensor with values .*; got a tensor on the meta device"),
    case("ConditionalTrainer-labels",
         lambda: trainer("conditional").step((t(4, 1, 8, 8), t(4, dtype=torch.int64, fill=12))),
         ValueError, r"labels: expected class indices in \[0, 9\]; got values in \[12, 12\]"),
    case("ConditionalTrainer-no-labels", lambda: trainer("conditional").step(t(4, 1, 8, 8)), TypeError,
         r"expected a batch \(images \[B, C, R, R\], labels \[B\]\); got Tensor"),
    case("CycleGANTrainer-single", lambda: trainer("cyclegan").step(t(4, 3, 32, 32)), TypeError,
         r"expected a pair \(a, b\) of image batches \[B, C, H, W\]; got Tensor"),
    case("CycleGANTrainer-range", lambda: trainer("cyclegan").step((t(4, 3, 32, 32, fill=255.0), t(4, 3, 32, 32))),
         ValueError, r"batch a: expected pixel values in \[-1, 1\]; got values in \[255, 255\]"),
    case("Toy2DTrainer-shape", lambda: trainer("toy2d").step(t(4, 3)), ValueError,
         r"expected shape \[B, 2\]; got \[4, 3\]"),
    case("WGANGPTrainer-range", lambda: trainer("wgan").step(t(4, 1, 32, 32, fill=-3.0)), ValueError,
         r"WGANGPTrainer batch: expected pixel values in \[-1, 1\]; got values in \[-3, -3\]"),
    case("StyleGAN2Trainer-shape", lambda: trainer("stylegan2").step(t(4, 1, 8, 8)), ValueError,
         r"StyleGAN2Trainer batch: expected images of shape \[B, 3, 32, 32\]; got \[4, 1, 8, 8\]"),
    case("Pix2PixTrainer-batch", lambda: trainer("pix2pix").step((t(4, 3, 32, 32), t(2, 3, 32, 32))), ValueError,
         r"must have the same batch size; got 4 and 2"),
]


@pytest.mark.parametrize("fn, exc, match", TRAINER_CASES)
def test_trainers_refuse_a_bad_batch(fn, exc, match):
    check_case(fn, exc, match)


# --- chapter companions: collapse (4), lipschitz (5), patch_maps (7), latency (8), distributed --------

def _tiny_run(n_frames: int = 1) -> collapse.CollapseRun:
    """A hand-made CollapseRun (no training): ``n_frames`` snapshots of 4 points at the origin."""
    cov = {"modes": 0, "high_quality": 0.0, "reverse_kl": 0.0, "spread": 0.0}
    return collapse.CollapseRun("vanilla", 0, [(i, t(4, 2)) for i in range(n_frames)], [cov] * n_frames)


@functools.cache
def _patch_d():
    torch.manual_seed(0)
    return cyclegan.PatchDiscriminator(1, 4, 1, norm="none")


@functools.cache
def _strokes_trainer():
    torch.manual_seed(0)
    return cyclegan.CycleGANTrainer(patch_maps.strokes_config(), "cpu")


def _gan_point():
    return latency.TradeoffPoint("trained GAN", "GAN (one pass)", 1, 0.001, 0.9, 8)


def _sm_generator():
    from gan_helpers import style_mixing
    return style_mixing.load_digits_stylegan()


COLLAPSE_CASES = [
    case("minibatch_stddev-shape", lambda: collapse.minibatch_stddev(t(4, 2)), ValueError,
         r"minibatch_stddev x: expected images of shape \[B, C, H, W\]; got \[4, 2\]"),
    case("minibatch_stddev-int", lambda: collapse.minibatch_stddev(t(4, 1, 2, 2, dtype=torch.int64)), TypeError,
         r"minibatch_stddev x: expected a floating-point tensor; got dtype torch\.int64"),
    case("minibatch_stddev-group", lambda: collapse.minibatch_stddev(t(6, 1, 2, 2), 4), ValueError,
         r"the batch size 6 is not a multiple of the group size 4"),
    case("minibatch_stddev-group-zero", lambda: collapse.minibatch_stddev(t(4, 1, 2, 2), 0), ValueError,
         r"group_size: expected a positive int; got 0"),
    case("MBStdDiscriminator-activation", lambda: collapse.MBStdDiscriminator(activation="gelu"), ValueError,
         r"MBStdDiscriminator activation: expected one of \[.*'relu'.*\]; got 'gelu'"),
    case("MBStdDiscriminator-group", lambda: collapse.MBStdDiscriminator(width=8, depth=1, group_size=4)(t(6, 2)),
         ValueError, r"the batch size 6 is not a multiple of the group size 4"),
    case("cuts_numbers-run", lambda: collapse.cuts_numbers({"setting": "tuned"}), TypeError,
         r"cuts_numbers run: expected a CollapseRun \(from collapse_run\); got dict"),
    case("cuts_figure-no-trainer", lambda: collapse.cuts_figure(collapse.CollapseRun("tuned", 2, frames=[])), ValueError,
         r"cuts_figure run: this CollapseRun keeps no trainer; make it with collapse_run"),
    case("collapse_run-setting", lambda: collapse.collapse_run("adam"), ValueError,
         r"setting: expected one of \['vanilla', 'tuned', 'minibatch stddev'\]; got 'adam'"),
    case("collapse_run-steps", lambda: collapse.collapse_run("vanilla", steps=0), ValueError,
         r"steps: expected a positive int; got 0"),
    case("collapse_run-seed", lambda: collapse.collapse_run("vanilla", seed="2"), TypeError,
         r"collapse_run seed: expected an int; got str"),
    case("frame_coverage-shape", lambda: collapse.frame_coverage(t(10, 3)), ValueError,
         r"frame_coverage samples: expected shape \[B, 2\]; got \[10, 3\]"),
    case("plot_frame-type", lambda: collapse.plot_frame("run", 0), TypeError,
         r"plot_frame run: expected a CollapseRun \(from collapse_run\); got str"),
    case("plot_frame-index", lambda: collapse.plot_frame(_tiny_run(2), 5), IndexError,
         r"plot_frame index: expected an int snapshot index from 0 to 1; got 5"),
    case("coverage_curves-empty", lambda: collapse.coverage_curves([]), ValueError,
         r"coverage_curves runs: expected at least one CollapseRun \(from collapse_run\); got \[\]"),
    case("snapshots_figure-empty", lambda: collapse.snapshots_figure([]), ValueError,
         r"snapshots_figure runs: expected at least one CollapseRun \(from collapse_run\); got \[\]"),
    case("snapshots_figure-columns", lambda: collapse.snapshots_figure([_tiny_run()], n_columns=0), ValueError,
         r"snapshots_figure n_columns: expected a positive int; got 0"),
    case("collapse_widget-type", lambda: collapse.collapse_widget([_tiny_run()]), TypeError,
         r"collapse_widget runs: expected a dict \{setting: CollapseRun\}; got list"),
    case("show_collapse-setting", lambda: collapse.show_collapse(("vanilla", "adam")), ValueError,
         r"setting: expected one of \['vanilla', 'tuned', 'minibatch stddev'\]; got 'adam'"),
    case("coverage_table-entry", lambda: collapse.coverage_table({"vanilla": 3}), TypeError,
         r"coverage_table runs entry: expected a CollapseRun \(from collapse_run\); got int"),
    case("hopping_summary-type", lambda: collapse.hopping_summary({"frames": []}), TypeError,
         r"hopping_summary run: expected a CollapseRun \(from collapse_run\); got dict"),
    case("jsd_path-range", lambda: collapse.jsd_path([0.2, 1.5]), ValueError,
         r"ts: expected numbers in \[0, 1\]; got values in \[0\.2, 1\.5\]"),
    case("jsd_path-nan", lambda: collapse.jsd_path([float("nan")]), ValueError,
         r"ts: expected numbers in \[0, 1\]; got NaN or inf"),
    case("jsd_path-str", lambda: collapse.jsd_path("half"), TypeError,
         r"ts: expected numbers in \[0, 1\]; got str 'half'"),
    case("jsd_path_figure-range", lambda: collapse.jsd_path_figure([-1.0]), ValueError,
         r"ts: expected numbers in \[0, 1\]; got values in \[-1, -1\]"),
    case("three_mode_sampler-n", lambda: collapse.three_mode_sampler(0), ValueError,
         r"n: expected a positive int; got 0"),
    case("three_mode_sampler-noise", lambda: collapse.three_mode_sampler(4, noise=-0.1), ValueError,
         r"three_mode_sampler noise: expected a number ≥ 0 \(pixel noise std\); got -0\.1"),
    case("metric_cases-n", lambda: collapse.metric_cases(n=0), ValueError, r"n: expected a positive int; got 0"),
    case("metrics_table-shape", lambda: collapse.metrics_table({"blurry": t(10, 3)}), ValueError,
         r"metrics_table cases 'blurry': expected shape \[B, 2\]; got \[10, 3\]"),
    case("format_metrics-table", lambda: collapse.format_metrics({"perfect": {"modes": 8}}), ValueError,
         r"format_metrics table: expected the dict metrics_table\(\) returns .*; got \{'perfect': \{'modes': 8\}\}"),
    case("cases_figure-shape", lambda: collapse.cases_figure({"one": t(10, 3)}), ValueError,
         r"cases_figure cases 'one': expected shape \[B, 2\]; got \[10, 3\]"),
    case("digit_rows-shape", lambda: collapse.digit_rows(t(36, 1, 16, 16)), ValueError,
         r"digit_rows images: expected images of shape \[B, 1, 8, 8\]; got \[36, 1, 16, 16\]"),
    case("digit_rows-count", lambda: collapse.digit_rows(t(4, 1, 8, 8), rows=3, cols=12), ValueError,
         r"images: need at least 36 images for a 3x12 mosaic; got 4"),
]

LIPSCHITZ_CASES = [
    case("jsd_shifted_uniforms-width", lambda: lipschitz.jsd_shifted_uniforms(1.0, width=-1.0), ValueError,
         r"width must be a positive number; got -1\.0"),
    case("jsd_shifted_uniforms-str", lambda: lipschitz.jsd_shifted_uniforms("far"), TypeError,
         r"shift: expected a finite number; got str 'far'"),
    case("w1_shifted_uniforms-width", lambda: lipschitz.w1_shifted_uniforms(1.0, width=0), ValueError,
         r"width must be a positive number; got 0"),
    case("w1_shifted_uniforms-nan", lambda: lipschitz.w1_shifted_uniforms(float("nan")), ValueError,
         r"shift: expected a finite number; got nan"),
    case("uniform_density-list", lambda: lipschitz.uniform_density([0.5], 0.0), TypeError,
         r"uniform_density x: expected a torch\.Tensor of points; got list"),
    case("jsd_on_grid-shape", lambda: lipschitz.jsd_on_grid(t(5), t(4), 0.1), ValueError,
         r"jsd_on_grid: p and q must be tabulated on the same grid, shape \[K\]; got \[5\] and \[4\]"),
    case("jsd_on_grid-2d", lambda: lipschitz.jsd_on_grid(t(5, 2), t(5, 2), 0.1), ValueError,
         r"jsd_on_grid p: expected a 1-D tensor of density values \[K\] \(K ≥ 2\); got shape \[5, 2\]"),
    case("w1_on_grid-dx", lambda: lipschitz.w1_on_grid(t(5), t(5), 0.0), ValueError,
         r"w1_on_grid dx: expected a positive number; got 0\.0"),
    case("w1_on_grid-list", lambda: lipschitz.w1_on_grid([0.5, 0.5], t(2), 0.5), TypeError,
         r"w1_on_grid p: expected a 1-D torch\.Tensor of density values \[K\]; got list"),
    case("divergence_curves-width", lambda: lipschitz.divergence_curves([0.5], width=0.0), ValueError,
         r"width must be a positive number; got 0\.0"),
    case("divergence_curves-str", lambda: lipschitz.divergence_curves("abc"), TypeError,
         r"divergence_curves shifts: expected a sequence or tensor of numbers \[K\]; got str 'abc'"),
    case("plot_js_vs_w1-width", lambda: lipschitz.plot_js_vs_w1(0.5, width=-2.0), ValueError,
         r"width must be a positive number; got -2\.0"),
    case("plot_js_vs_w1-max_shift", lambda: lipschitz.plot_js_vs_w1(0.5, max_shift=0), ValueError,
         r"plot_js_vs_w1 max_shift: expected a positive number; got 0"),
    case("js_vs_w1_widget-shift", lambda: lipschitz.js_vs_w1_widget("half"), TypeError,
         r"js_vs_w1_widget initial_shift: expected a finite number; got str 'half'"),
    case("show_js_vs_w1-empty", lambda: lipschitz.show_js_vs_w1(()), ValueError,
         r"show_js_vs_w1 static_shifts: expected a non-empty sequence of shifts; got \(\)"),
    case("kr_critic_1d-shape", lambda: lipschitz.kr_critic_1d(t(2, 2), t(3), t(4)), ValueError,
         r"real: expected a 1-D tensor of samples \[N\] \(N ≥ 1\); got shape \[2, 2\]"),
    case("kr_critic_1d-empty", lambda: lipschitz.kr_critic_1d(t(3), t(0), t(4)), ValueError,
         r"fake: expected a 1-D tensor of samples \[N\] \(N ≥ 1\); got shape \[0\]"),
    case("kr_critic_1d-str", lambda: lipschitz.kr_critic_1d("real", t(3), t(4)), TypeError,
         r"real: expected a 1-D tensor of samples \[N\] \(N ≥ 1\); got str 'real'"),
    case("spectral_norm_power_iteration-1d", lambda: lipschitz.spectral_norm_power_iteration(t(3)), ValueError,
         r"weight: expected a tensor of shape \[out, in\] or \[out, in, kh, kw\]; got \[3\]"),
    case("spectral_norm_power_iteration-int",
         lambda: lipschitz.spectral_norm_power_iteration(t(3, 3, dtype=torch.int64)), TypeError,
         r"weight: expected a floating-point tensor; got dtype torch\.int64"),
    case("spectral_norm_power_iteration-list", lambda: lipschitz.spectral_norm_power_iteration([[1.0]]), TypeError,
         r"weight: expected a torch\.Tensor of shape \[out, in\] or \[out, in, kh, kw\]; got list"),
    case("spectral_norm_power_iteration-n_iters", lambda: lipschitz.spectral_norm_power_iteration(t(2, 2), 0),
         ValueError, r"n_iters must be a positive int; got 0"),
    case("clip_weights_-c", lambda: lipschitz.clip_weights_(torch.nn.Linear(2, 2), -0.01), ValueError,
         r"c must be a positive number; got -0\.01"),
    case("clip_weights_-module", lambda: lipschitz.clip_weights_(t(2, 2), 0.01), TypeError,
         r"clip_weights_ module: expected an nn\.Module; got Tensor"),
    case("mlp_critic-depth", lambda: lipschitz.mlp_critic(1, 8, depth=0), ValueError,
         r"mlp_critic depth: expected a positive int; got 0"),
    case("clipping_experiment-steps", lambda: lipschitz.clipping_experiment(steps=0), ValueError,
         r"clipping_experiment steps: expected a positive int; got 0"),
    case("clipping_experiment-clip", lambda: lipschitz.clipping_experiment(clips=(0.01, -1.0)), ValueError,
         r"clipping_experiment clip value: expected a positive number; got -1\.0"),
    case("clipping_experiment-std", lambda: lipschitz.clipping_experiment(std=0.0), ValueError,
         r"clipping_experiment std: expected a positive number; got 0\.0"),
    case("plot_clipping-empty", lambda: lipschitz.plot_clipping([]), ValueError,
         r"plot_clipping results: expected a non-empty list of ClippingResult .*; got \[\]"),
    case("ScenarioConfig-batch_size", lambda: lipschitz.ScenarioConfig(batch_size=0), ValueError,
         r"ScenarioConfig\.batch_size: expected a positive int; got 0"),
    case("ScenarioConfig-lr", lambda: lipschitz.ScenarioConfig(lr=-1e-4), ValueError,
         r"ScenarioConfig\.lr: expected a positive number; got -0\.0001"),
    case("ScenarioConfig-betas", lambda: lipschitz.ScenarioConfig(betas=(0.0, 1.5)), ValueError,
         r"ScenarioConfig\.betas: expected two numbers in \[0, 1\); got \(0\.0, 1\.5\)"),
    case("lipschitz_bound-dim", lambda: lipschitz.lipschitz_bound(0), ValueError,
         r"lipschitz_bound dim: expected a positive int; got 0"),
    case("lipschitz_bound-float", lambda: lipschitz.lipschitz_bound(64.0), TypeError,
         r"lipschitz_bound dim: expected a positive int; got float"),
    case("lipschitz_bound-box", lambda: lipschitz.lipschitz_bound(64, low=1.0, high=-1.0), ValueError,
         r"lipschitz_bound: expected low ≤ high; got low=1, high=-1"),
    case("scenario_generator-config", lambda: lipschitz.scenario_generator("tiny"), TypeError,
         r"scenario_generator config: expected a ScenarioConfig \(e\.g\. SCENARIO\); got str"),
    case("fixed_critic_objective-shape",
         lambda: lipschitz.fixed_critic_objective(torch.nn.Linear(4, 1), t(3, 4), t(2, 4)), ValueError,
         r"fixed_critic_objective fake \(the shape of real\): expected shape \[3, 4\]; got \[2, 4\]"),
    case("fixed_critic_objective-device",
         lambda: lipschitz.fixed_critic_objective(torch.nn.Linear(4, 1), t(3, 4), t(3, 4, device=META)), ValueError,
         r"fixed_critic_objective fake: expected a tensor on cpu, the device of real; got one on meta"),
    case("train_scenario_critic-objective", lambda: lipschitz.train_scenario_critic("buggy"), TypeError,
         r"train_scenario_critic objective: expected a function .*; got str"),
    case("train_scenario_critic-steps",
         lambda: lipschitz.train_scenario_critic(lipschitz.fixed_critic_objective, steps=0), ValueError,
         r"train_scenario_critic steps: expected a positive int; got 0"),
    case("train_scenario_critic-config",
         lambda: lipschitz.train_scenario_critic(lipschitz.fixed_critic_objective, config={"lr": 1e-4}), TypeError,
         r"train_scenario_critic config: expected a ScenarioConfig \(e\.g\. SCENARIO\); got dict"),
    case("scenario_log-every", lambda: lipschitz.scenario_log(every=0), ValueError,
         r"scenario_log every: expected a positive int; got 0"),
    case("plot_scenario-dim", lambda: lipschitz.plot_scenario({}, dim=0), ValueError,
         r"lipschitz_bound dim: expected a positive int; got 0"),
    case("plot_scenario-runs", lambda: lipschitz.plot_scenario({"buggy": [1.0, 2.0]}), TypeError,
         r"plot_scenario runs: expected a dict \{label: ScenarioRun\} .*; got dict"),
]

PATCH_MAPS_CASES = [
    case("photo-name", lambda: patch_maps.photo("lena.png"), ValueError,
         r"photo name: expected 'china\.jpg' or 'flower\.jpg'; got 'lena\.png'"),
    case("photo-scale", lambda: patch_maps.photo(scale=2.0), ValueError,
         r"photo scale: expected a value in \(0, 1\]; got 2\.0"),
    case("photo-scale-str", lambda: patch_maps.photo(scale="half"), TypeError,
         r"photo scale: expected a number in \(0, 1\]; got str 'half'"),
    case("gaussian_blur-shape", lambda: patch_maps.gaussian_blur(t(16, 16)), ValueError,
         r"gaussian_blur images: expected images of shape \[B, C, H, W\]; got \[16, 16\]"),
    case("gaussian_blur-sigma", lambda: patch_maps.gaussian_blur(t(1, 1, 16, 16), sigma=0.0), ValueError,
         r"gaussian_blur sigma: expected a positive number of pixels; got 0\.0"),
    case("gaussian_blur-small", lambda: patch_maps.gaussian_blur(t(1, 1, 4, 4)), ValueError,
         r"gaussian_blur images: expected height and width > 5 \(the blur radius .* sigma = 1\.5\); "
         r"got \[1, 1, 4, 4\]"),
    case("gaussian_blur-int", lambda: patch_maps.gaussian_blur(t(1, 1, 16, 16, dtype=torch.uint8)), TypeError,
         r"gaussian_blur images: expected a floating-point tensor; got dtype torch\.uint8"),
    case("half_blurred-shape", lambda: patch_maps.half_blurred(t(3, 16, 16)), ValueError,
         r"half_blurred image: expected images of shape \[B, C, H, W\]; got \[3, 16, 16\]"),
    case("half_blurred-sigma", lambda: patch_maps.half_blurred(t(1, 1, 16, 16), sigma="1"), TypeError,
         r"half_blurred sigma: expected a positive number of pixels; got str '1'"),
    case("patch_geometry-n_layers", lambda: patch_maps.patch_geometry(0), ValueError,
         r"n_layers: expected a positive int; got 0"),
    case("patch_boxes-height", lambda: patch_maps.patch_boxes(3, 0, 64), ValueError,
         r"patch_boxes height: expected a positive int; got 0"),
    case("train_patch_discriminator-n_layers", lambda: patch_maps.train_patch_discriminator(5), ValueError,
         r"n_layers: expected one of \[1, 2, 3, 4\]; got 5"),
    case("train_patch_discriminator-steps", lambda: patch_maps.train_patch_discriminator(1, steps=0), ValueError,
         r"steps: expected a positive int; got 0"),
    case("patch_map-channels", lambda: patch_maps.patch_map(_patch_d(), t(1, 3, 32, 32)), ValueError,
         r"patch_map image: expected images of shape \[B, 1, H, W\]; got \[1, 3, 32, 32\]"),
    case("patch_map-batch", lambda: patch_maps.patch_map(_patch_d(), t(2, 1, 32, 32)), ValueError,
         r"patch_map image: expected one image, shape \[1, 1, H, W\]; got \[2, 1, 32, 32\]"),
    case("patch_map-dtype", lambda: patch_maps.patch_map(_patch_d(), t(1, 1, 32, 32, dtype=torch.float64)),
         ValueError, r"patch_map image: expected dtype torch\.float32 \(the dtype of PatchDiscriminator's "
                     r"parameters\); got torch\.float64"),
    case("patch_map-discriminator", lambda: patch_maps.patch_map(torch.nn.Identity(), t(1, 1, 32, 32)), TypeError,
         r"patch_map discriminator: expected a gan_helpers\.cyclegan\.PatchDiscriminator; got Identity"),
    case("map_summary-shape", lambda: patch_maps.map_summary(t(3, 3), t(64, 64), 3), ValueError,
         r"map_summary probs \(the patch map of a 64×64 image, 3 layers\): expected shape "
         rf"\[{cyclegan.patchgan_output_size(64, 3)}, {cyclegan.patchgan_output_size(64, 3)}\]; got \[3, 3\]"),
    case("plot_patch_map-probs", lambda: patch_maps.plot_patch_map(t(1, 1, 64, 64), t(3, 3), 3), ValueError,
         r"plot_patch_map probs \(the patch map of a 64×64 image, 3 layers\): expected shape \[\d+, \d+\]; "
         r"got \[3, 3\]"),
    case("patch_maps_figure-name", lambda: patch_maps.patch_maps_figure(name="lena.png"), ValueError,
         r"photo name: expected 'china\.jpg' or 'flower\.jpg'; got 'lena\.png'"),
    case("patch_maps_figure-discriminators", lambda: patch_maps.patch_maps_figure({7: _patch_d()}), ValueError,
         r"patch_maps_figure discriminators: expected a dict \{n_layers in \[1, 2, 3, 4\]: PatchDiscriminator\} "
         r".*; got \{7: PatchDiscriminator"),
    case("show_patch_maps-name", lambda: patch_maps.show_patch_maps("lena.png"), ValueError,
         r"photo name: expected 'china\.jpg' or 'flower\.jpg'; got 'lena\.png'"),
    case("ink_fraction-list", lambda: patch_maps.ink_fraction([[0.0]]), TypeError,
         r"ink_fraction images: expected a torch\.Tensor; got list"),
    case("ink_fraction-shape", lambda: patch_maps.ink_fraction(t(32, 32)), ValueError,
         r"ink_fraction images: expected images of shape \[B, C, H, W\]; got \[32, 32\]"),
    case("strokes_config-lr", lambda: patch_maps.strokes_config(lr=-1.0), ValueError,
         r"CycleGANConfig lr: expected a positive learning rate; got -1\.0"),
    case("strokes_config-lr-str", lambda: patch_maps.strokes_config(lr="fast"), TypeError,
         r"strokes_config lr: expected a positive learning rate; got str 'fast'"),
    case("train_strokes_cyclegan-lr", lambda: patch_maps.train_strokes_cyclegan(steps=1, lr=0.0), ValueError,
         r"lr: expected a positive learning rate; got 0\.0"),
    case("train_strokes_cyclegan-steps", lambda: patch_maps.train_strokes_cyclegan(steps=-1), ValueError,
         r"steps: expected a positive int; got -1"),
    case("translation_report-type", lambda: patch_maps.translation_report("trainer"), TypeError,
         r"translation_report trainer: expected a CycleGANTrainer .*; got str"),
    case("translation_report-channels", lambda: patch_maps.translation_report(trainer("cyclegan")), ValueError,
         r"translation_report trainer: expected a CycleGAN for 1-channel 32×32 strokes \(strokes_config\(\)\); "
         r"got one for 3-channel 32×32 images"),
    case("translations_figure-n", lambda: patch_maps.translations_figure(_strokes_trainer(), n=0), ValueError,
         r"translations_figure n: expected a positive int; got 0"),
    case("losses_figure-type", lambda: patch_maps.losses_figure([{"d_a": 1.0}]), TypeError,
         r"losses_figure run: expected a StrokesRun \(from train_strokes_cyclegan\); got list"),
    case("train_shipped-steps", lambda: patch_maps.train_shipped(steps=0), ValueError,
         r"train_shipped steps: expected a positive int; got 0"),
]

LATENCY_CASES = [
    case("measure_latency-callable", lambda: latency.measure_latency("net"), TypeError,
         r"fn must be callable; got str"),
    case("measure_latency-repeats", lambda: latency.measure_latency(lambda: None, repeats=0), ValueError,
         r"repeats must be an integer ≥ 1; got 0"),
    case("one_pass-net", lambda: latency.one_pass("net", t(2, 2)), TypeError,
         r"one_pass net: expected a callable \(a network or a function\); got str"),
    case("iterative-steps", lambda: latency.iterative(torch.nn.Identity(), t(2, 2), 0), ValueError,
         r"steps must be an integer ≥ 1; got 0"),
    case("compare_sampling-steps", lambda: latency.compare_sampling(torch.nn.Identity(), t(2, 2), steps=2.5),
         ValueError, r"steps must be an integer ≥ 1; got 2\.5"),
    case("FakeClock-start", lambda: latency.FakeClock("now"), TypeError,
         r"FakeClock start: expected a number; got str 'now'"),
    case("FakeClock-advance", lambda: latency.FakeClock().advance(-1), ValueError,
         r"FakeClock\.advance seconds \(a clock cannot go backwards\): expected a finite number ≥ 0; got -1\.0"),
    case("CountingCallable-clock", lambda: latency.CountingCallable(time.perf_counter), TypeError,
         r"CountingCallable clock: expected a FakeClock .*; got builtin_function_or_method"),
    case("CountingCallable-cost", lambda: latency.CountingCallable(latency.FakeClock(), cost=-0.5), ValueError,
         r"CountingCallable cost: expected a finite number ≥ 0; got -0\.5"),
    case("CountingNet-cost", lambda: latency.CountingNet(latency.FakeClock(), cost="fast"), TypeError,
         r"CountingNet cost: expected seconds ≥ 0 as a number, a non-empty sequence or a function .*; got str 'fast'"),
    case("CountingNet-cost-entry", lambda: latency.CountingNet(latency.FakeClock(), cost=[0.1, -2.0]), ValueError,
         r"CountingNet cost\[1\]: expected a finite number ≥ 0; got -2\.0"),
    case("TinyDenoiser-dim", lambda: latency.TinyDenoiser(dim=0), ValueError,
         r"TinyDenoiser dim: expected a positive int; got 0"),
    case("exact_denoiser-shape", lambda: latency.exact_denoiser(t(4, 3), 1.0), ValueError,
         r"exact_denoiser x: expected points of shape \[N, 2\] \(the dimension of the centres \[8, 2\]\); "
         r"got \[4, 3\]"),
    case("exact_denoiser-sigma", lambda: latency.exact_denoiser(t(4, 2), -1.0), ValueError,
         r"exact_denoiser sigma: expected a finite number ≥ 0; got -1\.0"),
    case("exact_denoiser-centres", lambda: latency.exact_denoiser(t(4, 2), 1.0, centres=t(8)), ValueError,
         r"exact_denoiser centres: expected shape \[K, d\] with K ≥ 1; got \[8\]"),
    case("exact_denoiser-device", lambda: latency.exact_denoiser(t(4, 2), 1.0, centres=t(8, 2, device=META)),
         ValueError, r"exact_denoiser centres: expected a tensor on cpu, the device of x; got one on meta"),
    case("exact_denoiser-int", lambda: latency.exact_denoiser(t(4, 2, dtype=torch.int64), 1.0), TypeError,
         r"exact_denoiser x: expected a floating-point tensor; got dtype torch\.int64"),
    case("karras_sigmas-steps", lambda: latency.karras_sigmas(0), ValueError, r"steps must be an integer ≥ 1; got 0"),
    case("karras_sigmas-order", lambda: latency.karras_sigmas(4, sigma_max=0.001), ValueError,
         r"karras_sigmas: expected sigma_max > sigma_min; got sigma_max=0\.001, sigma_min=0\.002"),
    case("denoise_sample-n", lambda: latency.denoise_sample(4, n=0), ValueError,
         r"denoise_sample n: expected a positive int; got 0"),
    case("measure_tradeoff-steps", lambda: latency.measure_tradeoff((1, 0)), ValueError,
         r"a step count must be an integer ≥ 1; got 0"),
    case("measure_tradeoff-generator", lambda: latency.measure_tradeoff((1,), generator="G"), TypeError,
         r"measure_tradeoff generator: expected a callable \(a network or a function\); got str"),
    case("measure_network_steps-steps",
         lambda: latency.measure_network_steps(torch.nn.Identity(), t(2, 2), (1, -4)), ValueError,
         r"a step count must be an integer ≥ 1; got -4"),
    case("samples_figure-shape", lambda: latency.samples_figure({"1 step": t(10, 3)}), ValueError,
         r"samples_figure panel '1 step': expected shape \[B, 2\]; got \[10, 3\]"),
    case("samples_figure-empty", lambda: latency.samples_figure({}), ValueError,
         r"samples_figure panels: expected a non-empty dict \{title: samples \[N, 2\]\}; got \{\}"),
    case("arxiv_year-format", lambda: latency.arxiv_year("14.2661"), ValueError,
         r"expected an arXiv identifier like '1406\.2661'; got '14\.2661'"),
    case("arxiv_year-type", lambda: latency.arxiv_year(1406.2661), TypeError,
         r"arxiv_year: expected an arXiv identifier string like '1406\.2661'; got float"),
    case("plot_tradeoff-points", lambda: latency.plot_tradeoff([{"steps": 1}]), TypeError,
         r"plot_tradeoff points: expected a list of TradeoffPoint \(from measure_tradeoff\); got \[\{'steps': 1\}\]"),
    case("tradeoff_widget-no-diffusion", lambda: latency.tradeoff_widget([_gan_point()]), ValueError,
         r"tradeoff_widget points: expected at least one diffusion TradeoffPoint .*; got 1 point\(s\) with "
         r"families \['GAN \(one pass\)'\]"),
    case("show_tradeoff-empty", lambda: latency.show_tradeoff([]), ValueError,
         r"show_tradeoff points: expected at least one (diffusion )?TradeoffPoint .*; got"),
    case("ratio_report-nan", lambda: latency.ratio_report(float("nan"), 1.0, 1.0, 1), ValueError,
         r"ratio_report one_pass_s .*: expected a finite number; got nan"),
    case("ratio_report-steps", lambda: latency.ratio_report(0.001, 0.05, 50.0, 0), ValueError,
         r"ratio_report steps must be an integer ≥ 1; got 0"),
]

DISTRIBUTED_CASES = [
    case("rank_seed-float", lambda: distributed.rank_seed(1.5, 0), TypeError, r"seed: expected an int; got float"),
    case("rank_seed-negative", lambda: distributed.rank_seed(1, -1), ValueError,
         r"rank and step: expected ints ≥ 0; got rank=-1, step=0"),
    case("resolve_precision-name", lambda: distributed.resolve_precision("fp16", "cpu"), ValueError,
         r"precision: expected one of \['fp32', 'bf16'\]; got 'fp16'"),
    case("resolve_precision-device", lambda: distributed.resolve_precision("fp32", "gpu"), ValueError,
         r"resolve_precision device: expected a device such as 'cpu', 'cuda', 'cuda:0' or 'mps'; got 'gpu'"),
    case("autocast-precision", lambda: distributed.autocast("fp16", "cpu"), ValueError,
         r"precision: expected one of \['fp32', 'bf16'\]; got 'fp16'"),
    case("autocast-device", lambda: distributed.autocast("fp32", 0.5), TypeError,
         r"autocast device: expected a torch\.device or a device string such as 'cpu' or 'cuda:0'; got float"),
    case("init_from_env-device", lambda: distributed.init_from_env("gpu"), ValueError,
         r"init_from_env device: expected a device such as 'cpu', 'cuda', 'cuda:0' or 'mps'; got 'gpu'"),
    case("device_for_rank-name", lambda: distributed.device_for_rank("gpu"), ValueError,
         r"device: expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got 'gpu'"),
    case("distribute-sync_batchnorm",
         lambda: distributed.distribute(trainer("dcgan"), sync_batchnorm=True), ValueError,
         r"sync_batchnorm: torch\.nn\.SyncBatchNorm needs CUDA devices \(NCCL\); this trainer is on cpu"),
    case("distribute-type", lambda: distributed.distribute(torch.nn.Linear(2, 2)), TypeError,
         r"distribute trainer: expected a trainer object .*; got Linear"),
    case("trainer_modules-type", lambda: distributed.trainer_modules(3), TypeError,
         r"trainer_modules trainer: expected a trainer object .*; got int"),
    case("trainer_optimizers-type", lambda: distributed.trainer_optimizers("dcgan"), TypeError,
         r"trainer_optimizers trainer: expected a trainer object .*; got str"),
    case("sync_state-type", lambda: distributed.sync_state(None), TypeError,
         r"sync_state trainer: expected a trainer object .*; got NoneType"),
    case("broadcast_tensors_-entry", lambda: distributed.broadcast_tensors_([t(2), 1.0]), TypeError,
         r"broadcast_tensors_ tensors\[1\]: expected a torch\.Tensor; got float"),
    case("broadcast_tensors_-src", lambda: distributed.broadcast_tensors_([t(2)], src=1), ValueError,
         r"broadcast_tensors_ src: expected a rank in \[0, 1\); got 1"),
    case("average_gradients_-tensor", lambda: distributed.average_gradients_(t(3)), TypeError,
         r"average_gradients_ params: expected a list of tensors; got Tensor"),
    case("average_logs-value", lambda: distributed.average_logs({"d_loss": "high"}), TypeError,
         r"average_logs logs\['d_loss'\]: expected a number; got str 'high'"),
    case("average_logs-type", lambda: distributed.average_logs([1.0]), TypeError,
         r"average_logs logs: expected a dict \{name: number\}; got list"),
    case("broadcast_object-src", lambda: distributed.broadcast_object({"step": 1}, src=2), ValueError,
         r"broadcast_object src: expected a rank in \[0, 1\); got 2"),
]


def test_torchrun_environment_variables_are_read_with_clear_errors(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert distributed.env_world_size() == 1 and distributed.local_rank() == 0    # positive control: no torchrun
    monkeypatch.setenv("WORLD_SIZE", "two")
    check_case(distributed.env_world_size, ValueError,
               r"environment variable WORLD_SIZE: expected an integer; got 'two'")
    monkeypatch.setenv("WORLD_SIZE", "0")
    check_case(distributed.env_world_size, ValueError,
               r"environment variable WORLD_SIZE: expected an integer ≥ 1; got '0'")
    monkeypatch.setenv("LOCAL_RANK", "-1")
    check_case(distributed.local_rank, ValueError, r"environment variable LOCAL_RANK: expected an integer ≥ 0; got '-1'")


@pytest.mark.parametrize("fn, exc, match", COLLAPSE_CASES + LIPSCHITZ_CASES + PATCH_MAPS_CASES + LATENCY_CASES
                         + DISTRIBUTED_CASES)
def test_chapter_companions_refuse_bad_input(fn, exc, match):
    try:
        check_case(fn, exc, match)
    finally:
        plt.close("all")       # a figure function must refuse before it draws; close whatever it opened anyway


def test_companion_refusals_happen_before_any_figure_is_opened():
    plt.close("all")
    for fn in (lambda: collapse.cases_figure({"one": t(10, 3)}), lambda: lipschitz.plot_js_vs_w1(0.5, width=-2.0),
               lambda: patch_maps.plot_patch_map(t(1, 1, 64, 64), t(3, 3), 3),
               lambda: latency.samples_figure({"1 step": t(10, 3)}), lambda: lipschitz.plot_scenario({}, dim=0)):
        with pytest.raises((ValueError, TypeError)):
            fn()
    assert plt.get_fignums() == [], f"a refused call left figures open: {plt.get_fignums()}"


def test_companion_positive_controls():
    """The inputs just next to the refused ones are accepted (so the rows above test the check, not a crash)."""
    assert collapse.minibatch_stddev(t(4, 1, 2, 2), 2).shape == (4, 2, 2, 2)
    assert collapse.jsd_path([0.0, 0.5]).shape == (2,)
    assert lipschitz.lipschitz_bound(64) == pytest.approx(16.0, rel=1e-12)           # 2·√64
    assert lipschitz.jsd_on_grid(torch.ones(4), torch.ones(4), 0.25) == pytest.approx(0.0, abs=1e-12)
    assert patch_maps.patch_map(_patch_d(), t(1, 1, 32, 32)).shape == (cyclegan.patchgan_output_size(32, 1),) * 2
    assert patch_maps.gaussian_blur(t(1, 1, 6, 6)).shape == (1, 1, 6, 6)              # side 6 > radius 5
    out = latency.exact_denoiser(t(4, 3), 1e4, centres=torch.zeros(2, 3))            # d = 3 with 3-D centres
    torch.testing.assert_close(out, t(4, 3), atol=1e-6, rtol=0)
    torch.testing.assert_close(latency.exact_denoiser(t(1, 2), 0.5), t(1, 2), atol=1e-6, rtol=0)   # ring's mean
    assert distributed.average_logs({"d": 1.0, "g": torch.tensor(2.0)})[0]["d"] == pytest.approx(1.0)
    assert distributed.resolve_precision("fp32", torch.device("cpu")) == "fp32"


# --- style_mixing (chapter 6) ----------------------------------------------------------------------------
def _gap(id_, fn, exc, match, why):
    """A row for a gap that was found and fixed; ``why`` records what the function did before."""
    return case(id_, fn, exc, match)


def _style_mixing():
    from gan_helpers import style_mixing
    return style_mixing


STYLE_MIXING_CASES = [
    case("adain-shape", lambda: _style_mixing().adain(t(2, 3, 4), t(2, 3), t(2, 3)), ValueError,
         r"adain: x must be \[B, C, H, W\]; got shape \[2, 3, 4\]"),
    case("adain-style", lambda: _style_mixing().adain(t(2, 3, 4, 4), t(2, 4), t(2, 3)), ValueError,
         r"adain style_scale: expected shape \[2, 3\]; got \[2, 4\]"),
    case("mix_styles-crossover", lambda: _style_mixing().mix_styles(t(2, 8, 4), t(2, 8, 4), 9), ValueError,
         r"crossover: expected an int from 0 to num_ws = 8; got 9"),
    case("mix_styles-ws2", lambda: _style_mixing().mix_styles(t(2, 8, 4), t(2, 7, 4), 3), ValueError,
         r"mix_styles ws2: expected shape \[2, 8, 4\]; got \[2, 7, 4\]"),
    case("truncate-shape", lambda: _style_mixing().truncate(t(2, 8), t(4), 0.7), ValueError,
         r"truncate: w \[\.\.\., D\] and w_avg \[D\] must share D; got \[2, 8\] and \[4\]"),
    case("layer_groups-resolution", lambda: _style_mixing().layer_groups(48), ValueError,
         r"StyleGAN2Config\.resolution: expected a power of two from 32 to 1024; got 48"),
    case("digits_stylegan_config-resolution", lambda: _style_mixing().digits_stylegan_config(resolution=48),
         ValueError, r"StyleGAN2Config\.resolution: expected a power of two from 32 to 1024; got 48"),
    case("load_digits_stylegan-missing", lambda: _style_mixing().load_digits_stylegan("/nonexistent/weights.pt"),
         FileNotFoundError, r"StyleGAN2 digits weights not found at /nonexistent/weights\.pt; rerun "
                            r"`python scripts/train_stylegan2_digits\.py`"),
    case("source_ws-type", lambda: _style_mixing().source_ws("G", 2, 0), TypeError,
         r"G: expected a gan_helpers\.stylegan2\.StyleGAN2Generator; got str"),
    case("render-type", lambda: _style_mixing().render(None, t(2, 8, 64)), TypeError,
         r"G: expected a gan_helpers\.stylegan2\.StyleGAN2Generator; got NoneType"),
    case("render-shape", lambda: _style_mixing().render(_sm_generator(), t(2, 64)), ValueError,
         r"StyleGAN2 synthesis ws: expected shape \[B, 8, 64\]; got \[2, 64\]"),
    case("mixing_grid-crossover", lambda: _style_mixing().mixing_grid(_sm_generator(), 100), ValueError,
         r"crossover: expected an int from 0 to num_ws = 8; got 100"),
    case("truncation_row-type", lambda: _style_mixing().truncation_row("G", [0.7]), TypeError,
         r"G: expected a gan_helpers\.stylegan2\.StyleGAN2Generator; got str"),
    case("plot_mixing_grid-crossover", lambda: _style_mixing().plot_mixing_grid(_sm_generator(), -1), ValueError,
         r"crossover: expected an int from 0 to num_ws = 8; got -1"),
    case("plot_truncation-type", lambda: _style_mixing().plot_truncation("G"), TypeError,
         r"G: expected a gan_helpers\.stylegan2\.StyleGAN2Generator; got str"),
    case("show_mixing-type", lambda: _style_mixing().show_mixing("G"), TypeError,
         r"G: expected a gan_helpers\.stylegan2\.StyleGAN2Generator; got str"),
    case("show_truncation-type", lambda: _style_mixing().show_truncation("G"), TypeError,
         r"G: expected a gan_helpers\.stylegan2\.StyleGAN2Generator; got str"),
    _gap("truncate-psi", lambda: _style_mixing().truncate(t(2, 8), t(8), "a"), TypeError,
         r"truncate psi: expected a number; got str 'a'", "psi='a' fails inside torch (\"only integer tensors "
         "of a single element can be converted to an index\")"),
    _gap("truncate-list", lambda: _style_mixing().truncate([0.0] * 8, t(8), 0.7), TypeError,
         r"truncate w: expected a torch\.Tensor; got list", "a list w raises AttributeError: 'list' object has no "
         "attribute 'shape'"),
    _gap("adain-list", lambda: _style_mixing().adain([0.0], t(2, 3), t(2, 3)), TypeError,
         r"adain x: expected a torch\.Tensor; got list", "a list x raises AttributeError: 'list' object has no "
         "attribute 'dim'"),
    _gap("mix_styles-list", lambda: _style_mixing().mix_styles([0.0], t(2, 8, 4), 3), TypeError,
         r"mix_styles ws1: expected a torch\.Tensor; got list", "a list ws1 raises AttributeError"),
    _gap("save_digits_stylegan-type", lambda: _style_mixing().save_digits_stylegan("G", "/nonexistent/out.pt"),
         TypeError, r"G: expected a gan_helpers\.stylegan2\.StyleGAN2Generator; got str",
         "save_digits_stylegan('G') raises AttributeError: 'str' object has no attribute 'state_dict'"),
    _gap("truncation_row-psi", lambda: _style_mixing().truncation_row(_sm_generator(), ["a"]), TypeError,
         r"psi: expected a number; got str 'a'", "psis=['a'] raises float()'s \"could not convert string to float\""),
]


@pytest.mark.parametrize("fn, exc, match", STYLE_MIXING_CASES)
def test_style_mixing_refuses_bad_input(fn, exc, match):
    try:
        check_case(fn, exc, match)
    finally:
        plt.close("all")


# --- the enumeration: every public name of these modules has a row above, or a reason it needs none ---

CHECKED_MODULES = [losses, data, metrics, dcgan, wgan, stylegan2, conditional, cyclegan, pix2pix, toy1d, toy2d,
                   digits_classifier, course, validate, checks, collapse, lipschitz, patch_maps, latency, distributed,
                   _style_mixing()]

# Covered by the dedicated tests above rather than by a table row.
COVERED_ELSEWHERE = {
    "fast_mode", "choose_device",                                              # course settings tests
    "mnist", "fashion_mnist", "cifar10", "celeba", "image_folder", "UnpairedImageFolder", "load_image",
    "read_idx", "write_unpaired",                                              # file tests
    "DCGANConfig", "WGANGPConfig", "StyleGAN2Config", "ConditionalConfig", "CycleGANConfig", "Pix2PixConfig",
    "Toy2DConfig", "lookup_preset",                                            # preset lookups
    "Generator", "Discriminator",                                              # stylegan2's aliases
    "env_world_size", "local_rank",                                            # torchrun environment test
}

# Public names that take no input worth refusing, or whose input was already checked upstream.
NO_BAD_INPUT_SURFACE = {
    "checks.CheckFailed": "an exception class",
    "checks.NotAnswered": "an exception class",
    "checks.passed": "prints the message it is given",
    "course.budget": "returns one of its two arguments, whatever they are",
    "toy1d.StepRecord": "a record the game returns, never built by a caller",
    "data.ToyDataset": "built by toy_dataset(), which checks its arguments",
    "data.ImageFileDataset": "built by image_folder() and celeba(), which check the folder",
    "dcgan.validate_architecture": "called by the configs' __post_init__, covered by the config rows",
    "dcgan.train_step": "runs the caller's own G, D and optimisers; their errors are theirs (chapter 3 tests it)",
    "stylegan2.fir_filter": "builds the filter from taps; a bad filter is refused by upfirdn2d",
    "stylegan2.EqualLinear": "a layer inside the checked models (their forwards check first)",
    "stylegan2.EqualConv2d": "a layer inside the checked models (their forwards check first)",
    "stylegan2.SynthesisLayer": "a layer inside the checked models; modulated_conv2d checks its input",
    "stylegan2.ToRGB": "a layer inside the checked models; modulated_conv2d checks its input",
    "stylegan2.SynthesisBlock": "a block of SynthesisNetwork, whose forward checks ws",
    "stylegan2.DiscriminatorBlock": "a block of StyleGAN2Discriminator, whose forward checks the images",
    "stylegan2.SynthesisNetwork": "covered as StyleGAN2Synthesis in MODELS",
    "cyclegan.ResidualBlock": "a block of ResnetGenerator, whose forward checks the images",
    "digits_classifier.main": "the command line; argparse reports bad arguments",
    # chapter companions
    "collapse.CollapseRun": "a record collapse_run returns, never built by a caller",
    "collapse.default_steps": "takes no arguments (the step budget of the fast/default mode)",
    "lipschitz.ClippingResult": "a record clipping_experiment returns, never built by a caller",
    "lipschitz.ScenarioRun": "a record train_scenario_critic returns, never built by a caller",
    "lipschitz.buggy_critic_objective": "the planted bug of chapter 5's scenario, printed verbatim in the chapter "
                                        "(inspect.getsource); train_scenario_critic checks what reaches it",
    "lipschitz.make_scenario_critic": "printed verbatim in chapter 5 as the scenario's critic (inspect.getsource); "
                                      "nn.Linear checks its sizes",
    "patch_maps.PatchRun": "a record train_patch_discriminator returns, never built by a caller",
    "patch_maps.StrokesRun": "a record train_strokes_cyclegan returns, never built by a caller",
    "patch_maps.load_patch_discriminators": "takes no arguments (reads the shipped weights)",
    "patch_maps.main": "the command line; argparse reports bad arguments",
    "latency.TradeoffPoint": "a record measure_tradeoff returns; plot_tradeoff checks what it is given",
    "latency.timeline_figure": "takes no arguments (draws the cited TIMELINE)",
    "latency.fid_figure": "takes no arguments (draws the cited CITED_FID)",
    "distributed.cleanup": "takes no arguments",
    "distributed.is_distributed": "takes no arguments",
    "distributed.is_main": "takes no arguments",
    "distributed.rank": "takes no arguments",
    "distributed.world_size": "takes no arguments",
    "distributed.gather_objects": "takes any picklable object, by design",
}


def covered_names() -> set[str]:
    ids = [p.id for p in LOSS_CASES + DATA_CASES + METRIC_CASES + CONFIG_CASES + COURSE_CASES + TRAINER_CASES
           + COLLAPSE_CASES + LIPSCHITZ_CASES + PATCH_MAPS_CASES + LATENCY_CASES + DISTRIBUTED_CASES
           + STYLE_MIXING_CASES]
    return {i.split("-")[0] for i in ids} | set(MODELS) | COVERED_ELSEWHERE


def public_names(module) -> list[str]:
    return sorted(n for n, o in vars(module).items()
                  if not n.startswith("_") and (inspect.isfunction(o) or inspect.isclass(o))
                  and getattr(o, "__module__", None) == module.__name__)


@pytest.mark.parametrize("module", CHECKED_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_every_public_name_has_a_bad_input_row(module):
    short = module.__name__.rsplit(".", 1)[1]
    covered = covered_names()
    missing = [n for n in public_names(module)
               if n not in covered and f"{short}.{n}" not in covered and f"{short}.{n}" not in NO_BAD_INPUT_SURFACE]
    assert not missing, (f"gan_helpers.{short} has public names with no bad-input row in tests/test_bad_input.py: "
                         f"{missing}; add a row (or a reason in NO_BAD_INPUT_SURFACE)")


def test_exemptions_name_real_things():
    for qualified in NO_BAD_INPUT_SURFACE:
        short, name = qualified.split(".")
        module = next(m for m in CHECKED_MODULES if m.__name__.endswith("." + short))
        assert name in public_names(module), f"NO_BAD_INPUT_SURFACE lists {qualified}, which does not exist"
