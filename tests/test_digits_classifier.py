"""The shipped digits classifier: weights, accuracy, the digits FID and its baselines, inputs, retraining."""

import pytest
import torch

from gan_helpers import data
from gan_helpers import digits_classifier as dc
from gan_helpers.metrics import frechet_distance_from_features


@pytest.fixture(scope="module")
def test_split():
    return data.digits("test", 8)


@pytest.fixture(scope="module")
def noise():
    return torch.rand(500, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_weights_file_is_small_and_loads_with_weights_only():
    assert dc.WEIGHTS_PATH.exists(), "run `python -m gan_helpers.digits_classifier` to create the weights"
    size = dc.WEIGHTS_PATH.stat().st_size
    assert size < 300 * 1024, f"weights file is {size / 1024:.0f} KB; the course ships < 300 KB (hard limit 1 MB)"
    state = torch.load(dc.WEIGHTS_PATH, map_location="cpu", weights_only=True)
    fresh = dc.DigitsClassifier()
    assert set(state) == set(fresh.state_dict())
    model = dc.load_digits_classifier()
    assert model is dc.load_digits_classifier(), "the loaded classifier should be cached"
    assert not model.training and not any(p.requires_grad for p in model.parameters())


@pytest.mark.parametrize("resolution", [8, 32])
def test_test_split_accuracy_at_both_resolutions(resolution):
    test = data.digits("test", resolution)
    accuracy = dc.classifier_accuracy(test.images, test.labels)
    assert accuracy >= 0.97, f"held-out accuracy at {resolution}x{resolution} is {accuracy:.3f}; expected ≥ 0.97"


def test_features_and_logits_shapes(test_split):
    images = test_split.images[:7]
    assert dc.digits_features(images).shape == (7, dc.FEATURE_DIM)
    assert dc.digits_logits(images).shape == (7, 10)
    up = data.digits("test", 32).images[:7]
    assert dc.digits_features(up).shape == (7, dc.FEATURE_DIM)
    torch.testing.assert_close(dc.digits_features(up), dc.digits_features(dc.to_8x8(up)))


def test_class_histogram_matches_the_labels(test_split):
    hist = dc.class_histogram(test_split.images)
    truth = torch.bincount(test_split.labels, minlength=10).float() / len(test_split.labels)
    assert hist.shape == (10,) and hist.sum().item() == pytest.approx(1.0)
    # each misread digit moves 1/N from one bin to another: L1 ≤ 2 · (1 - accuracy)
    error = 1 - dc.classifier_accuracy(test_split.images, test_split.labels)
    assert (hist - truth).abs().sum().item() <= 2 * error + 1e-6


def test_real_vs_real_fid_is_small_positive_and_noise_is_far(test_split, noise):
    baseline = dc.real_vs_real_fid()
    noise_fid = dc.digits_fid(noise)
    single_digit = dc.digits_fid(test_split.images[test_split.labels == 1])   # total collapse onto "1"
    print(f"real-vs-real digits FID {baseline:.2f}; uniform noise {noise_fid:.1f}; only ones {single_digit:.1f}")
    assert baseline > 0, "two finite samples of the same distribution never give identical Gaussian fits"
    assert noise_fid > 50 * baseline
    assert single_digit > 20 * baseline
    assert dc.real_vs_real_fid(32) > 0
    # the same images against themselves: identical fits, FID 0
    assert dc.digits_fid(test_split.images, reference="test") == pytest.approx(0.0, abs=1e-6 * noise_fid)
    # reference="test" and an explicit tensor agree; the baseline is the test split scored against "train"
    fake = noise[:100]
    assert dc.digits_fid(fake, reference="test") == pytest.approx(dc.digits_fid(fake, reference=test_split.images), rel=1e-9)
    assert dc.real_vs_real_fid() == pytest.approx(dc.digits_fid(test_split.images), rel=1e-6)
    assert dc.real_vs_real_fid() == pytest.approx(frechet_distance_from_features(
        dc.digits_features(test_split.images), dc.digits_features(data.digits("train", 8).images)), rel=1e-6)


def test_digits_precision_recall(test_split, noise):
    real = dc.digits_precision_recall(test_split.images)
    assert real["precision"] > 0.85 and real["recall"] > 0.85
    ones = dc.digits_precision_recall(test_split.images[test_split.labels == 1])
    assert ones["precision"] > 0.85 and ones["recall"] < 0.2          # good ones, one digit in ten
    assert dc.digits_precision_recall(noise)["precision"] < 0.05


def test_bad_input_errors(test_split):
    good = test_split.images[:4]
    with pytest.raises(ValueError, match=r"images: expected images of shape \[B, 1, H, W\]; got \[4, 3, 8, 8\]"):
        dc.digits_features(good.repeat(1, 3, 1, 1))
    with pytest.raises(ValueError, match=r"images: expected images of shape \[B, 1, 8, 8\] or \[B, 1, 32, 32\]; got \[4, 1, 16, 16\]"):
        dc.digits_features(torch.zeros(4, 1, 16, 16))
    with pytest.raises(ValueError, match=r"images: expected pixel values in \[-1, 1\]; got values in \[0, 255\]"):
        dc.digits_logits(torch.linspace(0, 255, 256).reshape(4, 1, 8, 8))
    with pytest.raises(ValueError, match="images: expected finite pixel values"):
        dc.digits_features(torch.full((4, 1, 8, 8), float("nan")))
    with pytest.raises(TypeError, match="images: expected a floating-point tensor; got dtype torch.uint8"):
        dc.digits_features(torch.zeros(4, 1, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match="images and labels must have the same batch size; got 4 and 3"):
        dc.classifier_accuracy(good, test_split.labels[:3])
    with pytest.raises(TypeError, match="labels: expected an integer tensor of class indices 0-9; got dtype torch.float32"):
        dc.classifier_accuracy(good, torch.zeros(4))
    with pytest.raises(ValueError, match=r"labels: expected class indices in 0-9; got values in \[0, 10\]"):
        dc.classifier_accuracy(good, torch.tensor([0, 1, 2, 10]))
    with pytest.raises(ValueError, match=r"labels: expected shape \[N\]; got \[4, 1\]"):
        dc.classifier_accuracy(good, torch.zeros(4, 1, dtype=torch.long))
    with pytest.raises(ValueError, match="images: expected at least 2 images"):
        dc.digits_fid(good[:1])
    with pytest.raises(ValueError, match="reference: expected 'train', 'test' or a tensor of images; got 'val'"):
        dc.digits_fid(good, reference="val")
    with pytest.raises(ValueError, match=r"reference: expected images of shape \[B, 1, 8, 8\] or \[B, 1, 32, 32\]"):
        dc.digits_fid(good, reference=torch.zeros(4, 1, 9, 9))
    with pytest.raises(ValueError, match="resolution: expected 8 or 32; got 16"):
        dc.real_vs_real_fid(16)
    with pytest.raises(ValueError, match="images: expected at least 4 images"):
        dc.digits_precision_recall(good[:3], k=3)


def test_missing_weights_file_says_how_to_recreate_it(monkeypatch, tmp_path):
    monkeypatch.setattr(dc, "WEIGHTS_PATH", tmp_path / "missing.pt")
    monkeypatch.setattr(dc, "_MODELS", {})
    with pytest.raises(FileNotFoundError, match=r"python -m gan_helpers.digits_classifier"):
        dc.load_digits_classifier()


def test_training_is_deterministic_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    threads = torch.get_num_threads()
    a = dc.train_digits_classifier(epochs=1).state_dict()
    torch.testing.assert_close(torch.get_rng_state(), before)
    assert torch.get_num_threads() == threads
    b = dc.train_digits_classifier(epochs=1).state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=f"{name} differs between two runs")
    c = dc.train_digits_classifier(epochs=1, seed=1).state_dict()
    assert any(not torch.equal(a[n], c[n]) for n in a), "a different seed should give different weights"


def test_command_line_writes_a_loadable_state_dict(tmp_path, capsys):
    out = tmp_path / "clf.pt"
    dc.main(["--epochs", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "test accuracy at 8x8" in printed and "test accuracy at 32x32" in printed
    model = dc.DigitsClassifier()
    model.load_state_dict(torch.load(out, weights_only=True))
