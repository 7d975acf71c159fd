"""gan_helpers.data: the 2-D toys, the digits, the strokes domains, the real-dataset loaders on tiny
files made here, and make_dataset. Nothing is downloaded."""

from __future__ import annotations

import gzip
import math
import pickle
import struct

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import stats
from torch.utils.data import default_collate

from gan_helpers import data
from gan_helpers.data import (
    KNOWN_SPECS, TOYS, DigitsDataset, ImageFileDataset, ImageTensorDataset, ToyDataset, UnpairedDataset,
    UnpairedImageFolder, celeba, cifar10, digits, fashion_mnist, grid25, image_folder, make_dataset, mnist,
    read_idx, ring8, sample_toy, spiral_arms, spirals, strokes_domains, thicken_strokes, thin_strokes,
    toy_centres, toy_dataset, toy_std, write_strokes_domains, write_unpaired,
)

PNG_STEP = 1 / 127.5  # one 8-bit level in [-1, 1]


@pytest.fixture(scope="module")
def strokes_train() -> UnpairedDataset:
    return strokes_domains("train")


@pytest.fixture(scope="module")
def digits_train() -> DigitsDataset:
    return digits("train")


# --------------------------------------------------------------------------------------------------
# 2-D toys
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", TOYS)
def test_toy_shape_dtype_device_and_seed(name):
    direct = {"ring8": ring8, "grid25": grid25, "spirals": spirals}[name]
    x = sample_toy(name, 1000, generator=torch.Generator().manual_seed(5))
    assert x.shape == (1000, 2) and x.dtype == torch.float32 and x.device.type == "cpu"
    torch.testing.assert_close(direct(1000, torch.Generator().manual_seed(5)), x, rtol=0, atol=0)
    again = sample_toy(name, 1000, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(again, x, rtol=0, atol=0)
    other = sample_toy(name, 1000, generator=torch.Generator().manual_seed(6))
    assert (other - x).abs().max() > 0.1, "a different seed must give different points"
    # the device argument is honoured (the meta device needs no accelerator)
    assert sample_toy(name, 3, device="meta").device.type == "meta"
    assert sample_toy(name, 3, device=torch.device("cpu")).device.type == "cpu"
    if torch.cuda.is_available():
        on_gpu = sample_toy(name, 1000, generator=torch.Generator().manual_seed(5), device="cuda")
        torch.testing.assert_close(on_gpu.cpu(), x, rtol=0, atol=0)


@pytest.mark.parametrize("name, n_modes, nearest", [("ring8", 8, 4 * math.sin(math.pi / 8)), ("grid25", 25, 2.0)])
def test_mixture_toys_samples_near_modes_and_modes_equally_used(name, n_modes, nearest):
    centres = toy_centres(name)
    assert centres.shape == (n_modes, 2)
    gaps = torch.cdist(centres, centres) + torch.eye(n_modes) * 100
    assert gaps.min().item() == pytest.approx(nearest, rel=1e-5)  # 1.53 for the ring (2·2·sin(π/8)), 2 for the grid

    n, std = 20_000, toy_std(name)
    x = sample_toy(name, n, generator=torch.Generator().manual_seed(0))
    dist, mode = torch.cdist(x, centres).min(dim=1)
    assert dist.max() < 6 * std, f"a sample lies {dist.max():.3f} from its nearest mode, more than 6 std = {6 * std}"
    # the per-axis spread is the documented std (a chi-square-sized tolerance on n samples)
    residual = x - centres[mode]
    assert residual.std().item() == pytest.approx(std, rel=0.03)
    counts = torch.bincount(mode, minlength=n_modes).numpy()
    p = stats.chisquare(counts).pvalue
    assert p > 1e-3, f"mode counts {counts.tolist()} are far from uniform (chi-square p = {p:.2g})"


def test_spirals_lie_on_two_equally_used_arms_spread_along_the_arc():
    n, std = 10_000, toy_std("spirals")
    x = spirals(n, generator=torch.Generator().manual_seed(0))
    arms = spiral_arms(steps=2000)                                       # [2, 2000, 2], ~0.01 apart
    assert arms.shape == (2, 2000, 2)
    torch.testing.assert_close(arms[:, -1].norm(dim=1), torch.full((2,), data.SPIRALS_RADIUS))
    to_arm = torch.stack([torch.cdist(x, arm).min(dim=1).values for arm in arms], dim=1)   # [n, 2]
    assert to_arm.min(dim=1).values.max() < 6 * std, "every point lies within 6 std of an arm"
    # away from the centre, where the arms meet, each point is much closer to one arm than the other
    r = x.norm(dim=1)
    outer = r > 1.0
    nearest = to_arm.argmin(dim=1)
    assert (to_arm[outer].max(dim=1).values > 0.5).all()
    share = nearest[outer].float().mean().item()
    assert abs(share - 0.5) < 4 * math.sqrt(0.25 / outer.sum().item()), f"arm shares {share:.3f}, expected 1/2"
    # uniform along the arc: r = R·√u, so P(r < R/2) = 1/4; the rim is R (+ noise)
    inner = (r < data.SPIRALS_RADIUS / 2).float().mean().item()
    assert inner == pytest.approx(0.25, abs=4 * math.sqrt(0.25 * 0.75 / n) + 0.005)
    assert r.max() < data.SPIRALS_RADIUS + 6 * std


def test_toy_errors_name_what_is_expected():
    with pytest.raises(ValueError, match=r"unknown 2-D toy 'moons'; expected one of \['ring8', 'grid25', 'spirals'\]"):
        sample_toy("moons", 10)
    with pytest.raises(ValueError, match="'spirals' has no discrete modes"):
        toy_centres("spirals")
    with pytest.raises(ValueError, match="expected a positive int; got 0"):
        sample_toy("ring8", 0)
    with pytest.raises(TypeError, match="expected a positive int; got float"):
        spirals(2.5)
    with pytest.raises(ValueError, match=r"split: expected one of \['train', 'test'\]; got 'valid'"):
        toy_dataset("ring8", "valid")


@pytest.mark.parametrize("name", TOYS)
def test_toy_datasets_are_fixed_point_sets_that_collate_to_batches(name):
    ds = toy_dataset(name)
    assert isinstance(ds, ToyDataset) and len(ds) == data.TOY_DATASET_SIZE == 100_000
    batch = default_collate([ds[i] for i in range(8)])
    assert batch.shape == (8, 2) and batch.dtype == torch.float32
    torch.testing.assert_close(toy_dataset(name).points, ds.points, rtol=0, atol=0)
    assert (toy_dataset(name, "test").points[:100] - ds.points[:100]).abs().max() > 0.1
    if name != "spirals":  # labels are the mode each point came from
        assert torch.equal(torch.cdist(ds.points[:2000], toy_centres(name)).argmin(dim=1), ds.labels[:2000])


# --------------------------------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------------------------------

def test_digits_split_is_fixed_disjoint_and_in_range(digits_train):
    test, everything = digits("test"), digits("all")
    assert (len(digits_train), len(test), len(everything)) == (1500, 297, 1797)
    for ds in (digits_train, test, everything):
        assert ds.images.shape[1:] == (1, 8, 8) and ds.images.dtype == torch.float32
        assert ds.images.min() >= -1 and ds.images.max() <= 1
        assert ds.images.min() == -1 and ds.images.max() == 1
    assert set(digits_train.labels.tolist()) == set(range(10))
    torch.testing.assert_close(digits("train").images, digits_train.images, rtol=0, atol=0)
    # train and test together are exactly the whole set (a partition of its rows, counted with duplicates)
    rows = lambda ds: torch.cat([ds.images.flatten(1), ds.labels[:, None].float()], dim=1)  # noqa: E731
    merged, merged_counts = torch.unique(torch.cat([rows(digits_train), rows(test)]), dim=0, return_counts=True)
    whole, whole_counts = torch.unique(rows(everything), dim=0, return_counts=True)
    assert torch.equal(merged, whole) and torch.equal(merged_counts, whole_counts)


def test_digits_upsampled_to_32_keep_order_labels_and_content(digits_train):
    d32 = digits("train", resolution=32)
    assert d32.images.shape == (1500, 1, 32, 32)
    assert d32.images.min() >= -1 and d32.images.max() <= 1
    assert torch.equal(d32.labels, digits_train.labels)
    back = F.interpolate(d32.images, size=8, mode="area")      # average each 4×4 block
    assert (back - digits_train.images).abs().mean() < 0.2
    with pytest.raises(ValueError, match="resolution: expected 8 or 32; got 16"):
        digits("train", resolution=16)
    with pytest.raises(ValueError, match="split: expected 'train', 'test' or 'all'; got 'val'"):
        digits("val")


# --------------------------------------------------------------------------------------------------
# Strokes domains and unpaired datasets
# --------------------------------------------------------------------------------------------------

def ink_fraction(images: torch.Tensor) -> float:
    return (images > 0).float().mean().item()


def test_strokes_domains_shapes_ranges_and_thickness(strokes_train):
    a, b = strokes_train.domain_a, strokes_train.domain_b
    assert a.shape == (750, 1, 32, 32) and b.shape == (750, 1, 32, 32) and len(strokes_train) == 750
    for x in (a, b):
        assert x.min() >= -1 and x.max() <= 1
    # B has measurably thicker strokes: about 20 % ink in A, 42 % in B
    assert ink_fraction(b) > ink_fraction(a) + 0.15, (ink_fraction(a), ink_fraction(b))
    assert ink_fraction(a) > 0.1, "thin strokes must not vanish"
    assert ((a > 0).flatten(1).sum(dim=1) > 0).all(), "every thin digit keeps some ink"
    item_a, item_b = strokes_train[0]
    assert item_a.shape == item_b.shape == (1, 32, 32)
    test = strokes_domains("test")
    assert (len(test.domain_a), len(test.domain_b)) == (148, 149)
    rgb = strokes_domains("test", resolution=16, channels=3)
    assert rgb.domain_a.shape == (148, 3, 16, 16)


def crisp_digits(split: str) -> torch.Tensor:
    """The digits as strokes_domains sees them before erosion or dilation: [N, 1, 32, 32]."""
    return (digits(split, resolution=32).images * data.STROKES_CONTRAST).clamp(-1, 1)


def test_strokes_need_spatial_context_not_a_per_pixel_map():
    x = crisp_digits("test")
    thin, thick = thin_strokes(x), thicken_strokes(x)
    assert (thin <= x + 1e-6).all() and (x <= thick + 1e-6).all()    # erosion ≤ image ≤ dilation
    # the same value in A (pure background, -1) becomes background or full ink in B depending on its
    # neighbours, so no function of the pixel value alone translates A into B ...
    background = thin == -1
    assert (thick[background] == -1).any() and (thick[background] == 1).any()
    # ... and the best such function (B's mean given A's value, in 64 bins) explains little of B
    a, b = thin.flatten(), thick.flatten()
    bins = torch.bucketize(a, torch.linspace(-1, 1, 65))
    best = torch.zeros(66).index_add_(0, bins, b) / torch.bincount(bins, minlength=66).clamp(min=1)
    explained = 1 - (b - best[bins]).var() / b.var()
    assert explained < 0.75, f"a per-pixel map explains {explained:.2f} of B's variance"
    with pytest.raises(ValueError, match=r"expected pixel values in \[-1, 1\]"):
        thicken_strokes(x * 3)


def test_strokes_domains_come_from_different_digits(strokes_train):
    images = crisp_digits("train")
    # each image of A is the thinned version of exactly one training digit, each of B the thickened one
    flat = lambda x: x.flatten(1).double()  # noqa: E731  (float64: exact matches give distances ~1e-7)
    idx_a = torch.cdist(flat(strokes_train.domain_a), flat(thin_strokes(images))).min(dim=1)
    idx_b = torch.cdist(flat(strokes_train.domain_b), flat(thicken_strokes(images))).min(dim=1)
    assert idx_a.values.max() < 1e-3 and idx_b.values.max() < 1e-3
    assert set(idx_a.indices.tolist()).isdisjoint(idx_b.indices.tolist()), "A and B must be unpaired"


def test_unpaired_dataset_draws_b_independently_and_reproducibly(strokes_train):
    n_b = len(strokes_train.domain_b)
    torch.manual_seed(0)
    first = [strokes_train.b_index(0) for _ in range(300)]
    torch.manual_seed(0)
    assert [strokes_train.b_index(0) for _ in range(300)] == first, "seeded by torch's global generator"
    assert len(set(first)) > 150, "the partner of a fixed a must vary (no pairing)"
    # with an int seed: a fixed function of (seed, epoch, i), uniform over B
    fixed = UnpairedDataset(strokes_train.domain_a, strokes_train.domain_b, seed=3)
    twin = UnpairedDataset(strokes_train.domain_a, strokes_train.domain_b, seed=3)
    draws = [fixed.b_index(i) for i in range(3000)]
    assert draws == [twin.b_index(i) for i in range(3000)]
    counts = np.bincount(np.array(draws) * 10 // n_b, minlength=10)      # 10 bins over B
    assert stats.chisquare(counts).pvalue > 1e-3, counts
    fixed.set_epoch(1)
    assert sum(fixed.b_index(i) == d for i, d in enumerate(draws[:300])) < 10, "a new epoch, new pairings"
    a, b = fixed[5]
    torch.testing.assert_close(a, strokes_train.domain_a[5], rtol=0, atol=0)
    torch.testing.assert_close(b, strokes_train.domain_b[fixed.b_index(5)], rtol=0, atol=0)
    # the length is that of the larger domain; items cycle through the smaller A
    uneven = UnpairedDataset(strokes_train.domain_a[:3], strokes_train.domain_b[:10], seed=0)
    assert len(uneven) == 10
    torch.testing.assert_close(uneven[4][0], strokes_train.domain_a[1], rtol=0, atol=0)
    batch = default_collate([uneven[i] for i in range(4)])
    assert batch[0].shape == batch[1].shape == (4, 1, 32, 32)


def test_unpaired_dataset_bad_input():
    good = torch.zeros(4, 1, 8, 8)
    with pytest.raises(ValueError, match="domain_b: expected at least one image"):
        UnpairedDataset(good, torch.zeros(0, 1, 8, 8))
    with pytest.raises(ValueError, match=r"domain_a: expected pixel values in \[-1, 1\]"):
        UnpairedDataset(good + 2, good)
    with pytest.raises(ValueError, match=r"domain_a: expected images of shape \[B, C, H, W\]; got \[4, 8, 8\]"):
        UnpairedDataset(torch.zeros(4, 8, 8), good)
    with pytest.raises(TypeError, match="seed: expected None or an int; got str"):
        UnpairedDataset(good, good, seed="0")
    with pytest.raises(IndexError, match="index 4 out of range for length 4"):
        UnpairedDataset(good, good)[4]
    with pytest.raises(ValueError, match=r"split: expected one of \['train', 'test'\]; got 'all'"):
        strokes_domains("all")
    with pytest.raises(ValueError, match="resolution: expected a power of two from 8 to 256; got 24"):
        strokes_domains("train", resolution=24)


# --------------------------------------------------------------------------------------------------
# horse2zebra layout: write and read back
# --------------------------------------------------------------------------------------------------

def test_strokes_round_trip_through_the_horse2zebra_layout(tmp_path, strokes_train):
    root = write_strokes_domains(tmp_path / "strokes")
    counts = {name: len(list((root / name).glob("*.png"))) for name in ("trainA", "trainB", "testA", "testB")}
    assert counts == {"trainA": 750, "trainB": 750, "testA": 148, "testB": 149}
    back = UnpairedImageFolder(root, "train", resolution=32, channels=1, seed=0)
    assert len(back) == 750
    for i in (0, 1, 749):
        a, _ = back.domain_a[i]
        b, _ = back.domain_b[i]
        torch.testing.assert_close(a, strokes_train.domain_a[i], rtol=0, atol=PNG_STEP / 2 + 1e-6)
        torch.testing.assert_close(b, strokes_train.domain_b[i], rtol=0, atol=PNG_STEP / 2 + 1e-6)
    a, b = back[3]
    assert a.shape == b.shape == (1, 32, 32)
    via_spec = make_dataset(f"unpaired:{root}", resolution=16, split="test")
    assert len(via_spec) == 149 and via_spec[0][0].shape == (3, 16, 16)
    with pytest.raises(FileExistsError, match="trainA already holds files"):
        write_strokes_domains(root)


def test_write_unpaired_rgb_round_trip_and_bad_input(tmp_path):
    g = torch.Generator().manual_seed(0)
    sets = [torch.rand(n, 3, 8, 8, generator=g) * 2 - 1 for n in (3, 2, 2, 1)]
    root = write_unpaired(tmp_path / "h2z", *sets)
    back = UnpairedImageFolder(root, "test", resolution=8, seed=0)
    assert len(back) == 2
    torch.testing.assert_close(back.domain_a[0][0], sets[2][0], rtol=0, atol=PNG_STEP / 2 + 1e-6)
    torch.testing.assert_close(back.domain_b[0][0], sets[3][0], rtol=0, atol=PNG_STEP / 2 + 1e-6)
    with pytest.raises(ValueError, match="write_unpaired trainB: expected 1 or 3 channels; got 2"):
        write_unpaired(tmp_path / "bad", sets[0], torch.zeros(1, 2, 8, 8), sets[2], sets[3])
    with pytest.raises(ValueError, match=r"write_unpaired testA: expected pixel values in \[-1, 1\]"):
        write_unpaired(tmp_path / "bad", sets[0], sets[1], sets[2] * 3, sets[3])


def test_unpaired_image_folder_missing_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"expected image files in .*trainA and .*trainB.*horse2zebra"):
        UnpairedImageFolder(tmp_path / "nowhere")
    (tmp_path / "h2z" / "testA").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "h2z" / "testA" / "x.png")
    (tmp_path / "h2z" / "testB").mkdir()
    with pytest.raises(FileNotFoundError, match=r"testB holds no images.*never downloads"):
        UnpairedImageFolder(tmp_path / "h2z", "test")


# --------------------------------------------------------------------------------------------------
# MNIST and Fashion-MNIST on idx files made here
# --------------------------------------------------------------------------------------------------

def write_idx(path, array: np.ndarray, compress: bool = False) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(f"{path}.gz", "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def fake_mnist(folder, n: int, compress: bool, prefix: str = "train") -> tuple[np.ndarray, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for k in range(n):
        images[k, k, :] = 255                       # image k: a white row k on black
    labels = np.arange(n, dtype=np.uint8) % 10
    write_idx(folder / f"{prefix}-images-idx3-ubyte", images, compress)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, compress)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    images, labels = fake_mnist(tmp_path / "MNIST" / "raw", 5, compress)
    ds = mnist(tmp_path)
    assert isinstance(ds, ImageTensorDataset) and len(ds) == 5
    x, y = ds[2]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and y.item() == 2
    expected = torch.from_numpy(images[2]).float()[None] / 127.5 - 1
    torch.testing.assert_close(x, expected)                                   # 255 → 1, 0 → -1
    x32, _ = mnist(tmp_path, resolution=32, channels=3)[2]
    assert x32.shape == (3, 32, 32) and x32.min() >= -1 and x32.max() <= 1
    torch.testing.assert_close(x32[0], x32[2])
    fake_mnist(tmp_path / "MNIST" / "raw", 3, compress, prefix="t10k")
    assert len(mnist(tmp_path, "test")) == 3


def test_fashion_mnist_layouts_and_missing_files(tmp_path):
    fake_mnist(tmp_path / "FashionMNIST" / "raw", 4, compress=True)
    assert len(fashion_mnist(tmp_path)) == 4
    flat = tmp_path / "flat"
    fake_mnist(flat, 5, compress=False)          # the four files directly in root also work
    assert len(fashion_mnist(flat)) == 5 and len(make_dataset(f"fashion-mnist:{flat}")) == 5
    with pytest.raises(FileNotFoundError, match=r"Fashion-MNIST not found under .*t10k-images-idx3-ubyte\(\.gz\)"):
        fashion_mnist(tmp_path, "test")
    with pytest.raises(FileNotFoundError, match=r"MNIST not found under .*MNIST/raw/train-images-idx3-ubyte"
                                                r"\(\.gz\) and .*train-labels-idx1-ubyte.*never downloads"):
        mnist(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"split: expected one of \['train', 'test'\]; got 'valid'"):
        mnist(tmp_path, "valid")


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00\x00\x00\x00")
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">i", 10) + b"\x01\x02")
    with pytest.raises(ValueError, match=r"promises shape \[10\] \(10 bytes\); the file holds 2"):
        read_idx(tmp_path / "short")


# --------------------------------------------------------------------------------------------------
# CIFAR-10 on pickles made here
# --------------------------------------------------------------------------------------------------

def fake_cifar(folder, per_batch: int = 2, bytes_keys: bool = False) -> None:
    folder.mkdir(parents=True)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        images = np.zeros((per_batch, 3, 32, 32), dtype=np.uint8)
        images[:, 0] = 255                                   # pure red: the red plane comes first
        batch = {"data": images.reshape(per_batch, 3072), "labels": list(range(per_batch))}
        if bytes_keys:
            batch = {k.encode(): v for k, v in batch.items()}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)


@pytest.mark.parametrize("bytes_keys", [False, True])
def test_cifar10_reads_python_batches(tmp_path, bytes_keys):
    fake_cifar(tmp_path / "cifar-10-batches-py", bytes_keys=bytes_keys)
    train, test = cifar10(tmp_path), cifar10(tmp_path, "test")
    assert (len(train), len(test)) == (10, 2)
    x, y = train[3]
    assert x.shape == (3, 32, 32) and y.item() == 1
    torch.testing.assert_close(x[0], torch.ones(32, 32))
    torch.testing.assert_close(x[1:], -torch.ones(2, 32, 32))
    grey, _ = cifar10(tmp_path, resolution=16, channels=1)[0]
    assert grey.shape == (1, 16, 16)
    torch.testing.assert_close(grey, torch.full((1, 16, 16), 0.299 * 255 / 127.5 - 1))   # ITU-R 601 luma of red


def test_cifar10_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"CIFAR-10 not found under .*data_batch_1, .*data_batch_5 in "
                                                r".*cifar-10-batches-py.*never downloads"):
        cifar10(tmp_path)
    with pytest.raises(FileNotFoundError, match="expected test_batch in"):
        cifar10(tmp_path, "test")


# --------------------------------------------------------------------------------------------------
# CelebA and image folders on images made here
# --------------------------------------------------------------------------------------------------

def fake_face(path) -> None:
    """A 178×218 image, green in the central 178×178 square and red in the 20-row bands outside it."""
    pixels = np.zeros((218, 178, 3), dtype=np.uint8)
    pixels[:, :, 1] = 255
    pixels[:20], pixels[-20:] = (255, 0, 0), (255, 0, 0)
    Image.fromarray(pixels).save(path, quality=95)


@pytest.mark.parametrize("nested", [False, True])
def test_celeba_reads_the_standard_layout(tmp_path, nested):
    base = tmp_path / "celeba" if nested else tmp_path
    (base / "img_align_celeba").mkdir(parents=True)
    for k in range(1, 4):
        fake_face(base / "img_align_celeba" / f"{k:06d}.jpg")
    (base / "list_eval_partition.txt").write_text("000001.jpg 0\n000002.jpg 0\n000003.jpg 2\n")
    train = celeba(tmp_path)
    assert isinstance(train, ImageFileDataset) and len(train) == 2
    assert len(celeba(tmp_path, "test")) == 1 and len(celeba(tmp_path, "all")) == 3
    x, y = train[0]
    assert x.shape == (3, 64, 64) and y.item() == 0
    # the red bands above and below the central square are cropped away: the face crop is pure green
    torch.testing.assert_close(x[1, 2:-2], torch.ones(60, 64), rtol=0, atol=0.05)   # JPEG blurs the rims
    assert x[0].max() < -0.8, "the red bands outside the 178×178 centre must be cropped away"
    grey, _ = celeba(tmp_path, resolution=32, channels=1)[0]
    assert grey.shape == (1, 32, 32)
    with pytest.raises(ValueError, match=r"no images in the 'valid' split \(partition 1\)"):
        celeba(tmp_path, "valid")


def test_celeba_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"CelebA not found under .*celeba/img_align_celeba/\*\.jpg and "
                                                r".*celeba/list_eval_partition\.txt.*never downloads"):
        celeba(tmp_path)
    (tmp_path / "img_align_celeba").mkdir()
    (tmp_path / "list_eval_partition.csv").write_text("image_id,partition\n000001.jpg,0\n")
    with pytest.raises(FileNotFoundError, match=r"lists 000001\.jpg but .*000001\.jpg does not exist"):
        celeba(tmp_path)
    with pytest.raises(ValueError, match=r"split: expected one of \['train', 'valid', 'test', 'all'\]"):
        celeba(tmp_path, "val")


def test_image_folder_reads_mixed_sizes_recursively(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    Image.new("RGB", (10, 20), (255, 255, 255)).save(tmp_path / "a.png")
    Image.new("L", (40, 40), 0).save(tmp_path / "sub" / "b.png")
    Image.new("RGB", (7, 5), (0, 0, 255)).save(tmp_path / "sub" / "deeper" / "c.JPG")
    tall = np.zeros((40, 20, 3), dtype=np.uint8)
    tall[10:30] = 255                               # white in the central 20×20, black above and below
    Image.fromarray(tall).save(tmp_path / "d.png")
    (tmp_path / "notes.txt").write_text("not an image")
    Image.new("RGB", (4, 4)).save(tmp_path / "._hidden.png")
    ds = image_folder(tmp_path, resolution=16)
    assert len(ds) == 4
    items = [ds[i] for i in range(4)]
    assert all(x.shape == (3, 16, 16) and y.item() == 0 for x, y in items)
    by_name = {p.name: x for p, (x, _) in zip(ds.paths, items)}
    torch.testing.assert_close(by_name["a.png"], torch.ones(3, 16, 16))
    torch.testing.assert_close(by_name["b.png"], -torch.ones(3, 16, 16))
    assert by_name["c.JPG"][2].mean() > 0.9 and by_name["c.JPG"][0].mean() < -0.9   # blue survives JPEG
    assert (by_name["d.png"][:, 2:-2] > 0.99).all(), "shorter side resized, then the centre kept"
    assert image_folder(tmp_path, resolution=8, channels=1)[0][0].shape == (1, 8, 8)


def test_image_folder_missing_or_empty(tmp_path):
    with pytest.raises(FileNotFoundError, match="image folder not found: .*nowhere does not exist"):
        image_folder(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"no images found under .*\.jpg, \.jpeg, \.png.*recursively"):
        image_folder(tmp_path)
    with pytest.raises(ValueError, match=r"channels: expected 1 \(greyscale\) or 3 \(RGB\); got 4"):
        image_folder(tmp_path, channels=4)


# --------------------------------------------------------------------------------------------------
# make_dataset
# --------------------------------------------------------------------------------------------------

def test_make_dataset_dispatches_every_offline_spec():
    d8 = make_dataset("digits")
    assert isinstance(d8, DigitsDataset) and d8[0][0].shape == (1, 8, 8)
    d32 = make_dataset("digits", resolution=32, split="test", channels=3)
    assert len(d32) == 297 and d32[0][0].shape == (3, 32, 32)
    for name in TOYS:
        ds = make_dataset(name, split="test")
        assert isinstance(ds, ToyDataset) and ds[0].shape == (2,)
        torch.testing.assert_close(ds.points, toy_dataset(name, "test").points, rtol=0, atol=0)
    strokes = make_dataset("strokes", split="test")
    assert isinstance(strokes, UnpairedDataset) and strokes[0][1].shape == (1, 32, 32)


def test_make_dataset_dispatches_path_specs(tmp_path):
    fake_mnist(tmp_path / "MNIST" / "raw", 5, compress=False)
    fake_cifar(tmp_path / "cifar-10-batches-py")
    (tmp_path / "imgs").mkdir()
    Image.new("RGB", (12, 12)).save(tmp_path / "imgs" / "x.png")
    assert make_dataset(f"mnist:{tmp_path}", resolution=32)[0][0].shape == (1, 32, 32)
    assert make_dataset(f"cifar10:{tmp_path}", split="test")[0][0].shape == (3, 32, 32)
    assert make_dataset(f"folder:{tmp_path / 'imgs'}")[0][0].shape == (3, 64, 64)
    with pytest.raises(FileNotFoundError, match="CelebA not found"):
        make_dataset(f"celeba:{tmp_path / 'none'}")


def test_make_dataset_bad_specs():
    with pytest.raises(ValueError, match=r"unknown dataset spec 'imagenet'; expected one of \['digits', 'ring8', "
                                         r"'grid25', 'spirals', 'strokes', 'strokes-paired', 'mnist:PATH'.*'unpaired:PATH'\]"):
        make_dataset("imagenet")
    assert "unpaired:PATH" in KNOWN_SPECS and len(KNOWN_SPECS) == 12
    with pytest.raises(ValueError, match="unknown dataset spec 'digits:/x'"):
        make_dataset("digits:/x")
    with pytest.raises(ValueError, match=r"'mnist' needs the folder that holds the files: 'mnist:PATH'"):
        make_dataset("mnist")
    with pytest.raises(ValueError, match="'ring8' is a set of 2-D points; resolution and channels do not apply"):
        make_dataset("ring8", resolution=32)
    with pytest.raises(ValueError, match=r"channels: expected 1 \(greyscale\) or 3 \(RGB\); got 2"):
        make_dataset("digits", channels=2)
    with pytest.raises(TypeError, match="spec: expected a str"):
        make_dataset(None)


def test_strokes_pairs_are_the_same_digit_thin_and_thick():
    from gan_helpers.data import strokes_pairs

    pairs = strokes_pairs("test")
    assert len(pairs) == 297
    a, b = pairs[5]
    assert a.shape == b.shape == (1, 32, 32)
    # B is the dilation of the same source digit whose erosion is A: B covers every ink pixel of A
    assert bool(((a > 0) <= (b > 0)).all()), "every thin-stroke ink pixel should be inside the thick stroke"
    ink_a = (pairs.domain_a > 0).float().mean().item()
    ink_b = (pairs.domain_b > 0).float().mean().item()
    assert ink_b > 1.8 * ink_a, f"thick strokes should carry clearly more ink: A {ink_a:.2f}, B {ink_b:.2f}"
    assert make_dataset("strokes-paired", split="test")[5][1].equal(b)
