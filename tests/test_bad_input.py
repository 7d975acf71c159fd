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

import numpy as np
import pytest
import torch

from gan_helpers import checks, course, data, losses, metrics, minmax, validate
from gan_helpers import conditional, cyclegan, dcgan, digits_classifier, dynamics, noise_mapping, pix2pix
from gan_helpers import stylegan2, toy1d, toy2d, wgan

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
         ValueError, r"style_mixing_prob: expected a value in \[0, 1\]; got 1\.5"),
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
    if name == "DigitsClassifier":
        return digits_classifier.load_digits_classifier(), t(2, 1, 8, 8), None, [
            (t(2, 1, 32, 32), r"DigitsClassifier input: expected images of shape \[B, 1, 8, 8\]; got \[2, 1, 32, 32\]")]
    raise KeyError(name)


MODELS = ["DCGANGenerator", "DCGANDiscriminator", "WGANCritic", "StyleGAN2Generator", "StyleGAN2Synthesis",
          "StyleGAN2Discriminator", "ConditionalGenerator", "ConcatDiscriminator", "ProjectionDiscriminator",
          "MappingNetwork", "ResnetGenerator", "PatchDiscriminator", "UNetGenerator", "MLPGenerator",
          "MLPDiscriminator", "DigitsClassifier"]


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


# --- the enumeration: every public name of these modules has a row above, or a reason it needs none ---

CHECKED_MODULES = [losses, data, metrics, dcgan, wgan, stylegan2, conditional, cyclegan, pix2pix, toy1d, toy2d,
                   digits_classifier, course, validate, checks]

# Covered by the dedicated tests above rather than by a table row.
COVERED_ELSEWHERE = {
    "fast_mode", "choose_device",                                              # course settings tests
    "mnist", "fashion_mnist", "cifar10", "celeba", "image_folder", "UnpairedImageFolder", "load_image",
    "read_idx", "write_unpaired",                                              # file tests
    "DCGANConfig", "WGANGPConfig", "StyleGAN2Config", "ConditionalConfig", "CycleGANConfig", "Pix2PixConfig",
    "Toy2DConfig", "lookup_preset",                                            # preset lookups
    "Generator", "Discriminator",                                              # stylegan2's aliases
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
}


def covered_names() -> set[str]:
    ids = [p.id for p in LOSS_CASES + DATA_CASES + METRIC_CASES + CONFIG_CASES + COURSE_CASES + TRAINER_CASES]
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
