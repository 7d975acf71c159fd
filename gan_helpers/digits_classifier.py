"""The course's offline digits classifier: a feature extractor for a digits FID, and its training script.

What it is
----------
A small CNN trained on the *train* split of scikit-learn's 8×8 digits
(:func:`gan_helpers.data.digits`, 1,500 images) and shipped inside the package as
``gan_helpers/weights/digits_classifier.pt`` (a ``state_dict`` of about 180 KB). Its 64-d
penultimate layer plays the part Inception-v3's 2048-d pool features play in FID (Heusel et al.
2017); its 10 logits read generated digits.

* :func:`digits_fid` — the squared Fréchet distance between Gaussians fitted to the classifier's
  features of generated images and of real ones (train split by default).
* :func:`real_vs_real_fid` — the same number for the held-out test split against the train split:
  the floor every generated-sample FID should be read against (two finite samples of the *same*
  distribution do not score 0).
* :func:`classifier_accuracy` (for a class-conditional generator, whose labels are known),
  :func:`class_histogram` (for an unconditional one) and :func:`digits_precision_recall`.

A digits FID from this classifier is comparable only within the course: it is not the FID of the
literature (no Inception network, 64-d features, 8×8 digits, a few hundred samples), so never put
it next to published FIDs. Compare it with :func:`real_vs_real_fid` and with other runs measured
the same way.

Inputs are digit images ``[N, 1, 8, 8]`` or ``[N, 1, 32, 32]`` with values in ``[-1, 1]`` (the
course's data layout). 32×32 images are average-pooled 4×4 down to 8×8 first, so one network
serves both resolutions; the classifier was trained on the 8×8 originals and on their
32×32-upsampled-then-pooled copies, so it reads both equally well. Real reference statistics
are computed at the resolution of the images being scored.

Retraining
----------
``python -m gan_helpers.digits_classifier`` retrains it on the CPU from a fixed seed for a fixed
number of epochs (about 20 s on one core), prints the test accuracy and the baselines,
and overwrites the weights file. The same command gives the same weights on the same machine and
PyTorch version.

Usage::

    from gan_helpers.digits_classifier import digits_fid, real_vs_real_fid, class_histogram
    fake = generator(torch.randn(1000, 64))       # [1000, 1, 32, 32] in [-1, 1]
    print(digits_fid(fake), "vs real-vs-real", real_vs_real_fid(resolution=32))
    print(class_histogram(fake))                  # [10] fractions; ≈ 0.1 each when no digit is missing
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_helpers import data
from gan_helpers.metrics import frechet_distance, frechet_distance_from_features, precision_recall
from gan_helpers.validate import require_images, require_positive_int, require_same_batch, require_values

WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "digits_classifier.pt"
FEATURE_DIM = 64
NUM_CLASSES = 10
RESOLUTIONS = (8, 32)
TRAIN_SEED = 0
TRAIN_EPOCHS = 20
TRAIN_BATCH = 128
TRAIN_LR = 3e-3
_CHUNK = 2048  # images per forward pass when scoring

_MODELS: dict[str, "DigitsClassifier"] = {}
_REFERENCES: dict[tuple[str, int], torch.Tensor] = {}  # (split, resolution) → CPU features [N, 64]


class DigitsClassifier(nn.Module):
    """A small CNN for 8×8 digits: 64-d features, then 10 logits (about 45K parameters).

    ``forward`` and :meth:`features` take ``[B, 1, 8, 8]`` images in ``[-1, 1]``; callers with
    32×32 images pool them first (:func:`to_8x8`).
    """

    def __init__(self, feature_dim: int = FEATURE_DIM, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),       # [B, 32, 8, 8]
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),      # [B, 32, 8, 8]
            nn.MaxPool2d(2),                                 # [B, 32, 4, 4]
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),      # [B, 64, 4, 4]
            nn.MaxPool2d(2),                                 # [B, 64, 2, 2]
            nn.Flatten(),                                    # [B, 256]
            nn.Linear(256, feature_dim),                     # [B, 64]  the feature layer
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, num_classes)      # [B, 10]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 1, 8, 8]`` → ``[B, 64]`` penultimate features.

        Taken before the ReLU that follows them: after it, about a third of the units are zero on
        every digit, which wastes dimensions of the Gaussian fit.
        """
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 1, 8, 8]`` → ``[B, 10]`` logits."""
        require_images(x, "DigitsClassifier input", channels=1, resolution=8, like=self)
        return self.head(self.dropout(F.relu(self.body(x))))


# ----------------------------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------------------------

def check_digit_images(images: torch.Tensor, name: str = "images", min_batch: int = 1) -> torch.Tensor:
    """Check digit images: ``[N, 1, 8, 8]`` or ``[N, 1, 32, 32]``, finite, in ``[-1, 1]``, N ≥ ``min_batch``.

    Raises ``TypeError`` / ``ValueError`` naming the expected and received shape or range;
    returns ``images`` unchanged.
    """
    require_images(images, name, channels=1)
    require_values(images, name)
    if tuple(images.shape[2:]) not in ((8, 8), (32, 32)):
        raise ValueError(f"{name}: expected images of shape [B, 1, 8, 8] or [B, 1, 32, 32]; got {list(images.shape)}")
    if images.shape[0] < min_batch:
        raise ValueError(f"{name}: expected at least {min_batch} images; got shape {list(images.shape)}")
    if not torch.isfinite(images).all():
        raise ValueError(f"{name}: expected finite pixel values; got NaN or inf")
    require_images(images, name, channels=1, check_range=True)
    return images


def to_8x8(images: torch.Tensor) -> torch.Tensor:
    """``[N, 1, 32, 32]`` → ``[N, 1, 8, 8]`` by 4×4 average pooling; 8×8 images pass through."""
    require_images(images, "to_8x8 images", channels=1)
    if tuple(images.shape[2:]) not in ((8, 8), (32, 32)):
        raise ValueError(f"to_8x8 images: expected images of shape [B, 1, 8, 8] or [B, 1, 32, 32]; "
                         f"got {list(images.shape)}")
    if images.shape[-1] == 32:
        return F.avg_pool2d(images, 4)
    return images


# ----------------------------------------------------------------------------------------------
# loading and scoring
# ----------------------------------------------------------------------------------------------

def load_digits_classifier(device: torch.device | str | None = None) -> DigitsClassifier:
    """The shipped classifier in eval mode, with frozen parameters, on ``device`` (default CPU); cached."""
    try:
        device = torch.device(device or "cpu")
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device: expected 'cpu', 'cuda', 'cuda:N', 'mps' or a torch.device; got {device!r}") from err
    key = str(device)
    if key not in _MODELS:
        if not WEIGHTS_PATH.exists():
            raise FileNotFoundError(f"digits classifier weights not found at {WEIGHTS_PATH}; "
                                    "recreate them with `python -m gan_helpers.digits_classifier`")
        model = DigitsClassifier()
        state = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        model.eval().requires_grad_(False)
        _MODELS[key] = model.to(device)
    return _MODELS[key]


def _run(images: torch.Tensor, what: str) -> torch.Tensor:
    """Features (``what="features"``, ``[N, 64]``) or logits (``[N, 10]``) on ``images.device``."""
    model = load_digits_classifier(images.device)
    outs = []
    with torch.no_grad():
        for start in range(0, images.shape[0], _CHUNK):
            x = to_8x8(images[start:start + _CHUNK].float())       # [c, 1, 8, 8]
            outs.append(model.features(x) if what == "features" else model(x))
    return torch.cat(outs)


def digits_features(images: torch.Tensor) -> torch.Tensor:
    """``[N, 1, R, R]`` digits in ``[-1, 1]`` (R = 8 or 32) → ``[N, 64]`` features, on the images' device."""
    return _run(check_digit_images(images), "features")


def digits_logits(images: torch.Tensor) -> torch.Tensor:
    """``[N, 1, R, R]`` digits in ``[-1, 1]`` (R = 8 or 32) → ``[N, 10]`` class logits."""
    return _run(check_digit_images(images), "logits")


def classifier_accuracy(images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``images [N, 1, R, R]`` the classifier reads as their ``labels [N]`` (int 0–9).

    For a class-conditional generator: generate with known labels, then score the samples.
    """
    check_digit_images(images)
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels: expected a torch.Tensor of class indices; got {type(labels).__name__}")
    if labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
        raise TypeError(f"labels: expected an integer tensor of class indices 0-9; got dtype {labels.dtype}")
    if labels.dim() != 1:
        raise ValueError(f"labels: expected shape [N]; got {list(labels.shape)}")
    require_same_batch(images, labels, "images", "labels")
    if labels.numel() and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise ValueError(f"labels: expected class indices in 0-9; got values in "
                         f"[{int(labels.min())}, {int(labels.max())}]")
    predicted = digits_logits(images).argmax(dim=1)
    return (predicted.cpu() == labels.cpu()).double().mean().item()


def class_histogram(images: torch.Tensor) -> torch.Tensor:
    """``[10]`` fraction of ``images [N, 1, R, R]`` read as each digit (CPU, float32, sums to 1).

    For an unconditional generator: a missing digit shows as a 0, collapse as one large bin.
    """
    predicted = digits_logits(images).argmax(dim=1).cpu()
    return torch.bincount(predicted, minlength=NUM_CLASSES).float() / predicted.numel()


def _reference_features(reference: str | torch.Tensor, resolution: int) -> torch.Tensor:
    """CPU features ``[M, 64]`` of a named split at ``resolution`` (cached) or of given images."""
    if isinstance(reference, str):
        if reference not in ("train", "test"):
            raise ValueError(f"reference: expected 'train', 'test' or a tensor of images; got {reference!r}")
        key = (reference, resolution)
        if key not in _REFERENCES:
            _REFERENCES[key] = _run(data.digits(reference, resolution).images, "features").cpu()
        return _REFERENCES[key]
    if not isinstance(reference, torch.Tensor):
        raise TypeError(f"reference: expected 'train', 'test' or a tensor of images; got {type(reference).__name__}")
    return _run(check_digit_images(reference, "reference", min_batch=2), "features").cpu()


def digits_fid(images: torch.Tensor, reference: str | torch.Tensor = "train") -> float:
    """The course's digits FID of ``images [N, 1, R, R]`` (N ≥ 2) against real digits.

    Args:
        images: generated digits in ``[-1, 1]``, R = 8 or 32 (use a few hundred or more: the
            Gaussian fit of 64-d features needs samples).
        reference: ``"train"`` (default: the 1,500 training digits at the images' resolution),
            ``"test"``, or a tensor of reference images ``[M, 1, R, R]``.

    Returns:
        the squared Fréchet distance between Gaussians fitted to the two sets of 64-d features.
        Comparable only within the course; read it against :func:`real_vs_real_fid`.
    """
    check_digit_images(images, min_batch=2)
    fake = _run(images, "features").cpu()
    real = _reference_features(reference, images.shape[-1])
    return frechet_distance_from_features(fake, real)


def real_vs_real_fid(resolution: int = 8) -> float:
    """Digits FID of the held-out test split (297 images) against the train split (1,500).

    The baseline for every generated-sample FID: real digits not seen in training already score
    this much, because two finite samples never give identical Gaussian fits.

    To compare a generator with it, score many generated digits (the course benchmark uses 10,000)
    with ``digits_fid(samples, reference="test")``: the same 297 held-out digits, so a generator that
    reproduced its training split would score this baseline, and the generated side adds little
    sampling noise. A few hundred generated digits against the train split are too noisy for
    the comparison: five random 297-digit subsets of the training split itself scored 12.7-33.6
    against it.
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution: expected 8 or 32; got {resolution!r}")
    test = _reference_features("test", resolution).double()
    train = _reference_features("train", resolution).double()
    return frechet_distance(test.mean(0), torch.cov(test.T), train.mean(0), torch.cov(train.T))


def digits_precision_recall(images: torch.Tensor, k: int = 3,
                            reference: str | torch.Tensor = "train") -> dict[str, float]:
    """Improved precision and recall (k-NN manifolds, Kynkäänniemi et al. 2019) in the classifier's feature space.

    ``images [N, 1, R, R]`` (N > k) against the ``reference`` digits (default: the train split at
    the images' resolution). Returns ``{"precision": float, "recall": float}``.
    """
    require_positive_int(k, "k")
    check_digit_images(images, min_batch=k + 1)
    fake = _run(images, "features").cpu()
    real = _reference_features(reference, images.shape[-1])
    return precision_recall(real, fake, k=k)


# ----------------------------------------------------------------------------------------------
# training (python -m gan_helpers.digits_classifier)
# ----------------------------------------------------------------------------------------------

def _training_images() -> tuple[torch.Tensor, torch.Tensor]:
    """The train split twice: 8×8 originals and their 32×32-upsampled-then-pooled copies ``[3000, 1, 8, 8]``."""
    small = data.digits("train", 8)
    large = data.digits("train", 32)
    images = torch.cat([small.images, to_8x8(large.images)])
    labels = torch.cat([small.labels, large.labels])
    return images, labels


def train_digits_classifier(epochs: int = TRAIN_EPOCHS, seed: int = TRAIN_SEED,
                            verbose: bool = False) -> DigitsClassifier:
    """Train a fresh :class:`DigitsClassifier` on the train split only, deterministically on the CPU.

    Uses its own seeded RNG state (the caller's global RNG is left as it was) and one CPU thread
    (bit-for-bit repeatable, and faster than two threads for a network this small): Adam (lr 3e-3,
    cosine decay), batch 128, a fixed number of ``epochs``, cross-entropy. Returns the model in
    eval mode.
    """
    require_positive_int(epochs, "epochs")
    images, labels = _training_images()                           # [3000, 1, 8, 8], [3000]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(images, labels, epochs, seed, verbose)
    finally:
        torch.set_num_threads(threads)


def _train(images: torch.Tensor, labels: torch.Tensor, epochs: int, seed: int, verbose: bool) -> DigitsClassifier:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitsClassifier()
        optimiser = torch.optim.Adam(model.parameters(), lr=TRAIN_LR)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs)
        shuffle = torch.Generator().manual_seed(seed)
        model.train()
        for epoch in range(epochs):
            order = torch.randperm(len(labels), generator=shuffle)
            total = 0.0
            for start in range(0, len(order), TRAIN_BATCH):
                idx = order[start:start + TRAIN_BATCH]
                loss = F.cross_entropy(model(images[idx]), labels[idx])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item() * len(idx)
            scheduler.step()
            if verbose:
                print(f"epoch {epoch + 1:2d}/{epochs}  loss {total / len(order):.4f}")
    return model.eval()


def _accuracy(model: DigitsClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(to_8x8(images)).argmax(1) == labels).double().mean().item()


def main(argv: list[str] | None = None) -> None:
    """Retrain the classifier, report its test accuracy and baselines, and overwrite the weights file."""
    parser = argparse.ArgumentParser(prog="python -m gan_helpers.digits_classifier",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=TRAIN_EPOCHS)
    parser.add_argument("--seed", type=int, default=TRAIN_SEED)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help="where to write the state_dict")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model = train_digits_classifier(args.epochs, args.seed, verbose=True)
    seconds = time.perf_counter() - start
    for resolution in RESOLUTIONS:
        test = data.digits("test", resolution)
        print(f"test accuracy at {resolution}x{resolution}: {_accuracy(model, test.images, test.labels):.4f} "
              f"({len(test.labels)} held-out digits)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, args.out)
    print(f"trained in {seconds:.1f} s; wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB, "
          f"{sum(p.numel() for p in model.parameters())} parameters)")
    if args.out.resolve() == WEIGHTS_PATH:
        _MODELS.clear()
        _REFERENCES.clear()
        for resolution in RESOLUTIONS:
            print(f"real-vs-real digits FID at {resolution}x{resolution}: {real_vs_real_fid(resolution):.3f}")


if __name__ == "__main__":
    main()
