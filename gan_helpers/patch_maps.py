"""Chapter 7's companion: PatchGAN real/fake maps over a photo, and a short CycleGAN on strokes.

PatchGAN maps
-------------
A PatchGAN discriminator (:class:`gan_helpers.cyclegan.PatchDiscriminator`) is fully convolutional:
it returns one logit per overlapping square patch of its input, not one per image. The side of
that patch is its receptive field, set by the number of stride-2 layers ``n_layers``::

    n_layers   1    2    3    4
    patch     16   34   70  142      (gan_helpers.cyclegan.patchgan_receptive_field)

This module trains one small PatchGAN per ``n_layers`` for the chapter's slider. The task is the one
pix2pix gives its discriminator: tell **sharp** photo patches (real) from **blurred** ones (fake:
what an L1 loss alone makes, a blurred average). The photo is scikit-learn's bundled ``china.jpg``
in grey, halved to 213×320 (:func:`photo`); a fake is the same photo under a Gaussian blur of
``BLUR_SIGMA`` pixels (:func:`gaussian_blur`). Each step shows each D a batch of random crops, half
sharp (target 1 at every position of the logit map) and half blurred (target 0), with BCE on logits.
No normalisation layers (``norm="none"``), so each logit depends only on its own patch.

:func:`patch_map` turns an image into the map of P(real) per patch, and :func:`patch_boxes` says
which pixels each map entry sees (output ``(i, j)`` covers rows ``stride·i − offset`` … ``+ field``;
:func:`patch_geometry`). :func:`show_patch_maps` is the interactive (a patch-size slider over a photo
whose central band is blurred); headless it draws all four sizes side by side.

The chapter uses weights shipped in ``gan_helpers/weights/patch_maps.pt`` (the four discriminators,
≈ 180k parameters stored in float16, ≈ 0.4 MB), made by ``python scripts/train_patch_maps.py`` (or
``python -m gan_helpers.patch_maps``): :data:`SHIPPED_STEPS` steps each from seed 0, about 20 s
per discriminator on one CPU core. :func:`load_patch_discriminators` reads them;
:func:`train_patch_discriminator` trains one afresh (deterministic, single-threaded, cached per
``(n_layers, steps, seed)``).

A short CycleGAN on thin and thick strokes
------------------------------------------
:func:`train_strokes_cyclegan` trains :class:`gan_helpers.cyclegan.CycleGANTrainer` (the ``tiny``
preset with one channel: 32×32, width 8, two residual blocks, the 70×70 PatchGAN) on the unpaired
thin-stroke (A) and thick-stroke (B) digits of :func:`gan_helpers.data.strokes_domains`. The
translation needs a real spatial operation (growing or eroding strokes), not a per-pixel map.
:func:`ink_fraction` measures stroke thickness (the fraction of pixels brighter than mid-grey) and
:func:`translation_report` compares the translations with the paired ground truth of
:func:`gan_helpers.data.strokes_pairs`, which CycleGAN never sees.

Usage
-----
>>> from gan_helpers.patch_maps import half_blurred, load_patch_discriminators, patch_geometry, patch_map, photo
>>> patch_geometry(3)                                   # (field, stride, offset) of the 70×70 PatchGAN
(70, 8, 23)
>>> image, mask = half_blurred(photo())                 # [1, 1, 213, 320] with the middle third blurred
>>> patch_map(load_patch_discriminators()[3], image).shape   # one P(real) per 70×70 patch
torch.Size([24, 38])
>>> run = train_strokes_cyclegan(steps=2)               # doctest: +SKIP
>>> translation_report(run.trainer)["ink_thin_to_thick"]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from pathlib import Path
from dataclasses import dataclass, field
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from gan_helpers.course import budget
from gan_helpers.cyclegan import (CycleGANConfig, CycleGANTrainer, PatchDiscriminator, init_weights,
                                  patchgan_output_size, patchgan_receptive_field)
from gan_helpers.data import strokes_domains, strokes_pairs
from gan_helpers.losses import bce_with_logits
from gan_helpers.validate import require_images, require_positive_int, require_shape
from gan_helpers.widgets import front_end_attached, show_in

PATCH_LAYERS = (1, 2, 3, 4)
BLUR_SIGMA = 1.5
CROP = 96
PATCH_STEPS = (300, 60)      # (default, fast) training steps per discriminator trained in a session
SHIPPED_STEPS = 800          # steps of the shipped discriminators
WEIGHTS_PATH = Path(__file__).resolve().parent / "weights" / "patch_maps.pt"
PATCH_WIDTH = 8
PATCH_BATCH = 8
PATCH_LR = 1e-3


# --------------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _photo(name: str, scale: float) -> torch.Tensor:
    from sklearn.datasets import load_sample_image

    rgb = torch.tensor(np.asarray(load_sample_image(name)), dtype=torch.float32) / 255.0    # [H, W, 3] in [0, 1]
    grey = (rgb * torch.tensor([0.299, 0.587, 0.114])).sum(-1)[None, None]          # [1, 1, H, W]
    if scale != 1.0:
        grey = F.interpolate(grey, scale_factor=scale, mode="bilinear", antialias=True, align_corners=False)
    return (grey * 2 - 1).clamp(-1, 1)                                              # [1, 1, H', W'] in [-1, 1]


def _check_photo_name(name: object) -> None:
    if name not in ("china.jpg", "flower.jpg"):
        raise ValueError(f"photo name: expected 'china.jpg' or 'flower.jpg'; got {name!r}")


def _check_sigma(sigma: object, name: str) -> float:
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real):
        raise TypeError(f"{name}: expected a positive number of pixels; got {type(sigma).__name__} {sigma!r}")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"{name}: expected a positive number of pixels; got {sigma}")
    return float(sigma)


def photo(name: str = "china.jpg", scale: float = 0.5) -> torch.Tensor:
    """One of scikit-learn's sample photos in grey, resized by ``scale``: ``[1, 1, H, W]`` in [-1, 1].

    ``"china.jpg"`` and ``"flower.jpg"`` are 427×640; at the default scale they are 213×320.
    """
    _check_photo_name(name)
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real):
        raise TypeError(f"photo scale: expected a number in (0, 1]; got {type(scale).__name__} {scale!r}")
    if not 0 < scale <= 1:
        raise ValueError(f"photo scale: expected a value in (0, 1]; got {scale}")
    return _photo(name, float(scale)).clone()


def gaussian_blur(images: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """Separable Gaussian blur with reflected borders: ``[B, C, H, W]`` → ``[B, C, H, W]``."""
    require_images(images, "gaussian_blur images")
    sigma = _check_sigma(sigma, "gaussian_blur sigma")
    radius = max(1, math.ceil(3 * sigma))
    if min(images.shape[-2:]) <= radius:
        raise ValueError(f"gaussian_blur images: expected height and width > {radius} (the blur radius 3·sigma, "
                         f"rounded up, for sigma = {sigma:g}); got {list(images.shape)}")
    x = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    k = k / k.sum()                                                                  # [2r+1]
    c = images.shape[1]
    out = F.pad(images, (radius, radius, radius, radius), mode="reflect")
    out = F.conv2d(out, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)           # along the width
    return F.conv2d(out, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)          # along the height


def half_blurred(image: torch.Tensor, sigma: float = BLUR_SIGMA) -> tuple[torch.Tensor, torch.Tensor]:
    """The image with its central vertical band (the middle third of the width) blurred.

    Returns ``(image [1, C, H, W], mask [H, W])`` with ``mask`` 1 where the pixels were blurred.
    """
    require_images(image, "half_blurred image")
    sigma = _check_sigma(sigma, "half_blurred sigma")
    w = image.shape[-1]
    mask = torch.zeros(image.shape[-2:], device=image.device)
    mask[:, w // 3: 2 * w // 3] = 1.0
    return torch.where(mask.bool(), gaussian_blur(image, sigma), image), mask


# --------------------------------------------------------------------------------------------------
# Geometry of a PatchGAN's map
# --------------------------------------------------------------------------------------------------

def patch_geometry(n_layers: int) -> tuple[int, int, int]:
    """``(field, stride, offset)`` of a :class:`PatchDiscriminator` with ``n_layers`` stride-2 layers.

    Output position ``i`` sees input rows ``stride·i − offset`` to ``stride·i − offset + field − 1``
    (negative rows are the zero padding). Every conv has kernel 4 and padding 1: the stride is the
    product of the strides (``2^n_layers``) and the offset sums each layer's padding times the stride
    before it. For 3 layers: (70, 8, 23).
    """
    require_positive_int(n_layers, "n_layers")
    strides = [2] * n_layers + [1, 1]
    offset, jump = 0, 1
    for s in strides:
        offset += 1 * jump    # padding 1, in input pixels
        jump *= s
    return patchgan_receptive_field(n_layers), jump, offset


def patch_boxes(n_layers: int, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-left corners of every patch a map entry sees: ``(rows [H'], cols [W'])`` (may be negative)."""
    _, stride, offset = patch_geometry(n_layers)
    require_positive_int(height, "patch_boxes height")
    require_positive_int(width, "patch_boxes width")
    rows = torch.arange(patchgan_output_size(height, n_layers)) * stride - offset
    cols = torch.arange(patchgan_output_size(width, n_layers)) * stride - offset
    return rows, cols


# --------------------------------------------------------------------------------------------------
# Training the small discriminators
# --------------------------------------------------------------------------------------------------

@dataclass
class PatchRun:
    """A trained PatchGAN and what its training measured."""

    n_layers: int
    discriminator: PatchDiscriminator
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def field(self) -> int:
        return patchgan_receptive_field(self.n_layers)


def _crops(sharp: torch.Tensor, blurred: torch.Tensor, n: int, size: int, g: torch.Generator):
    """``n`` random crops at the same places of the sharp and the blurred photo: two ``[n, 1, size, size]``."""
    h, w = sharp.shape[-2:]
    top = torch.randint(0, h - size + 1, (n,), generator=g).tolist()
    left = torch.randint(0, w - size + 1, (n,), generator=g).tolist()
    s = torch.cat([sharp[..., t:t + size, l:l + size] for t, l in zip(top, left)])
    b = torch.cat([blurred[..., t:t + size, l:l + size] for t, l in zip(top, left)])
    return s, b


@lru_cache(maxsize=16)
def _train_cached(n_layers: int, steps: int, seed: int) -> PatchRun:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        g = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        D = init_weights(_new_discriminator(n_layers))
        opt = torch.optim.Adam(D.parameters(), lr=PATCH_LR, betas=(0.5, 0.999))
        sharp = photo("china.jpg")
        blurred = gaussian_blur(sharp)
        size = max(CROP, patchgan_receptive_field(n_layers) + 2 ** n_layers)
        run = PatchRun(n_layers, D)
        start = time.perf_counter()
        for _ in range(steps):
            s, b = _crops(sharp, blurred, PATCH_BATCH // 2, size, g)
            real, fake = D(s), D(b)                                   # [B/2, 1, H', W'] each
            loss = bce_with_logits(real, torch.ones_like(real)) + bce_with_logits(fake, torch.zeros_like(fake))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            run.losses.append(loss.item())
        run.seconds = time.perf_counter() - start
        D.eval().requires_grad_(False)
        return run
    finally:
        torch.set_num_threads(threads)


def train_patch_discriminator(n_layers: int, steps: int | None = None, seed: int = 0) -> PatchRun:
    """Train (or fetch from the cache) the PatchGAN with ``n_layers`` on sharp vs blurred crops.

    ``steps`` defaults to :data:`PATCH_STEPS` (default or fast budget). Returns a :class:`PatchRun`
    whose discriminator is in eval mode with gradients off.
    """
    if isinstance(n_layers, bool) or n_layers not in PATCH_LAYERS:
        raise ValueError(f"n_layers: expected one of {list(PATCH_LAYERS)}; got {n_layers!r}")
    steps = budget(*PATCH_STEPS) if steps is None else require_positive_int(steps, "steps")
    _check_seed(seed, "train_patch_discriminator seed")
    return _train_cached(n_layers, steps, seed)


def _check_seed(seed: object, name: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{name}: expected an int; got {type(seed).__name__}")


def _new_discriminator(n_layers: int) -> PatchDiscriminator:
    return PatchDiscriminator(1, PATCH_WIDTH, n_layers, norm="none")


@lru_cache(maxsize=1)
def _load_shipped() -> dict[int, PatchDiscriminator] | None:
    if not WEIGHTS_PATH.exists():
        return None
    state = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
    out = {}
    for n in PATCH_LAYERS:
        D = _new_discriminator(n)
        D.load_state_dict({k: v.float() for k, v in state[f"n_layers={n}"].items()})
        out[n] = D.eval().requires_grad_(False)
    return out


def load_patch_discriminators() -> dict[int, PatchDiscriminator]:
    """``{n_layers: PatchDiscriminator}`` for 1 … 4 layers, from the shipped weights.

    Without the weights file (a broken install), trains them here with the session's budget and warns.
    """
    shipped = _load_shipped()
    if shipped is not None:
        return dict(shipped)
    warnings.warn(f"{WEIGHTS_PATH} is missing: training the patch discriminators now "
                  "(recreate the file with `python scripts/train_patch_maps.py`)", stacklevel=2)
    return {n: train_patch_discriminator(n).discriminator for n in PATCH_LAYERS}


@torch.no_grad()
def patch_map(discriminator: PatchDiscriminator, image: torch.Tensor) -> torch.Tensor:
    """P(real) for every patch of ``image [1, 1, H, W]``: ``[H', W']`` in (0, 1)."""
    if not isinstance(discriminator, PatchDiscriminator):
        raise TypeError(f"patch_map discriminator: expected a gan_helpers.cyclegan.PatchDiscriminator; got "
                        f"{type(discriminator).__name__}")
    require_images(image, "patch_map image", channels=1, like=discriminator)
    if image.shape[0] != 1:
        raise ValueError(f"patch_map image: expected one image, shape [1, 1, H, W]; got {list(image.shape)}")
    return torch.sigmoid(discriminator(image))[0, 0]


def map_summary(probs: torch.Tensor, mask: torch.Tensor, n_layers: int) -> dict[str, float]:
    """Mean P(real) over map entries whose patch lies wholly in the sharp part / the blurred part.

    ``probs [H', W']`` is the :func:`patch_map` of an image whose ``mask [H, W]`` is 1 where it is blurred.
    """
    require_shape(mask, [None, None], "map_summary mask [H, W]")
    h, w = mask.shape
    expected = [patchgan_output_size(h, n_layers), patchgan_output_size(w, n_layers)]
    require_shape(probs, expected, f"map_summary probs (the patch map of a {h}×{w} image, {n_layers} layers)")
    field_, _, _ = patch_geometry(n_layers)
    rows, cols = patch_boxes(n_layers, h, w)
    padded = F.pad(mask[None, None], (field_, field_, field_, field_), value=-1)[0, 0]  # -1 marks the border
    inside_blur, inside_sharp = [], []
    for i, r in enumerate(rows.tolist()):
        for j, c in enumerate(cols.tolist()):
            box = padded[r + field_: r + 2 * field_, c + field_: c + 2 * field_]
            box = box[box >= 0]
            if box.numel() == 0:
                continue
            if bool((box == 1).all()):
                inside_blur.append(probs[i, j].item())
            elif bool((box == 0).all()):
                inside_sharp.append(probs[i, j].item())
    mean = lambda v: float(np.mean(v)) if v else float("nan")  # noqa: E731
    return {"sharp": mean(inside_sharp), "blurred": mean(inside_blur),
            "n_sharp": len(inside_sharp), "n_blurred": len(inside_blur)}


# --------------------------------------------------------------------------------------------------
# Figures and the interactive
# --------------------------------------------------------------------------------------------------

def plot_patch_map(image: torch.Tensor, probs: torch.Tensor, n_layers: int, ax: plt.Axes | None = None,
                   mask: torch.Tensor | None = None, show_patch: bool = True):
    """The photo in grey with the map of P(real) over it (red: fake, blue: real), one cell per patch.

    Each map cell is drawn at the centre of the patch it judges, one stride wide; the white square
    shows the size of one patch. ``mask`` (1 = blurred) outlines the blurred band. Returns
    ``(ax, image artist of the map)`` (for a colour bar).
    """
    require_images(image, "plot_patch_map image")
    h, w = image.shape[-2:]
    field_, stride, offset = patch_geometry(n_layers)
    expected = [patchgan_output_size(h, n_layers), patchgan_output_size(w, n_layers)]
    require_shape(probs, expected, f"plot_patch_map probs (the patch map of a {h}×{w} image, {n_layers} layers)")
    if mask is not None:
        require_shape(mask, [h, w], "plot_patch_map mask")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.6))
    hh, ww = probs.shape
    centre0 = -offset + (field_ - 1) / 2                        # centre of patch (0, 0), in pixels
    extent = (centre0 - stride / 2, centre0 + stride * (ww - 0.5), centre0 + stride * (hh - 0.5), centre0 - stride / 2)
    ax.imshow(image[0, 0].numpy(), cmap="gray", vmin=-1, vmax=1, extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    im = ax.imshow(probs.numpy(), cmap="coolwarm_r", vmin=0, vmax=1, alpha=0.55, extent=extent,
                   interpolation="nearest")
    if mask is not None:
        cols = torch.nonzero(mask.any(0)).flatten()
        for x in (cols.min().item() - 0.5, cols.max().item() + 0.5):
            ax.axvline(x, color="yellow", ls="--", lw=1)
    if show_patch:
        top = min(h - field_, 4) if field_ < h else 0
        ax.add_patch(plt.Rectangle((4 - 0.5, top - 0.5), field_, field_, fill=False, color="white", lw=1.5))
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    ax.set_title(f"{n_layers} stride-2 layers: {field_}×{field_} patches, map {hh}×{ww}", fontsize=9)
    return ax, im


def patch_maps_figure(discriminators: dict[int, PatchDiscriminator] | None = None,
                      name: str = "china.jpg") -> plt.Figure:
    """The four patch sizes in a 2×2 grid over photo ``name`` with its central band blurred."""
    _check_photo_name(name)
    if discriminators is not None and (not isinstance(discriminators, dict) or not discriminators or not all(
            n in PATCH_LAYERS and isinstance(d, PatchDiscriminator) for n, d in discriminators.items())):
        raise ValueError(f"patch_maps_figure discriminators: expected a dict {{n_layers in {list(PATCH_LAYERS)}: "
                         f"PatchDiscriminator}} (from load_patch_discriminators); got {discriminators!r:.80}")
    discriminators = load_patch_discriminators() if discriminators is None else discriminators
    image, mask = half_blurred(photo(name))
    layers = sorted(discriminators)
    rows = math.ceil(len(layers) / 2)
    fig, axes = plt.subplots(rows, 2, figsize=(11, 4.0 * rows), squeeze=False)
    im = None
    for ax, n in zip(axes.flat, layers):
        probs = patch_map(discriminators[n], image)
        _, im = plot_patch_map(image, probs, n, ax, mask)
    for ax in list(axes.flat)[len(layers):]:
        ax.axis("off")
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.7, label="D's P(real) for each patch")
    fig.suptitle("PatchGAN maps: between the yellow lines the photo is blurred (fake); the white square is one patch",
                 fontsize=10)
    return fig


def show_patch_maps(name: str = "china.jpg") -> None:
    """The patch-size slider with a front end; all four sizes in a grid when headless."""
    from IPython.display import display

    _check_photo_name(name)
    discriminators = load_patch_discriminators()
    if not front_end_attached():
        fig = patch_maps_figure(discriminators, name)
        display(fig)
        plt.close(fig)
        return
    import ipywidgets as widgets

    image, mask = half_blurred(photo(name))
    slider = widgets.SelectionSlider(options=[(f"{patchgan_receptive_field(n)} px", n) for n in PATCH_LAYERS],
                                     value=3, description="patch size", continuous_update=False)
    out = widgets.Output()

    def redraw(*_):
        n = slider.value
        probs = patch_map(discriminators[n], image)
        fig, ax = plt.subplots(figsize=(6.5, 4.6))
        _, im = plot_patch_map(image, probs, n, ax, mask)
        fig.colorbar(im, ax=ax, shrink=0.8, label="P(real)")
        show_in(out, fig)

    slider.observe(redraw, names="value")
    redraw()
    display(widgets.VBox([slider, out]))


# --------------------------------------------------------------------------------------------------
# A short CycleGAN on thin and thick strokes
# --------------------------------------------------------------------------------------------------

STROKES_STEPS = (600, 40)     # (default, fast) CycleGAN steps
STROKES_LR = (2e-4, 1e-3)     # (default, fast): the paper's rate; fast mode trades care for speed
STROKES_BATCH = 4


def ink_fraction(images: torch.Tensor) -> torch.Tensor:
    """Stroke thickness as the fraction of pixels brighter than mid-grey: ``[B, C, H, W]`` → ``[B]``.

    Ink is bright (+1) on a dark (−1) background; the thick strokes cover about twice the area of
    the thin ones (test split: 0.42 against 0.19).
    """
    require_images(images, "ink_fraction images")
    return (images > 0).float().mean(dim=(1, 2, 3))


@dataclass
class StrokesRun:
    """A CycleGAN trained on the strokes domains, with its loss history and wall-clock time."""

    trainer: CycleGANTrainer
    history: list[dict[str, float]]
    seconds: float
    steps: int
    lr: float


def strokes_config(lr: float = STROKES_LR[0]) -> CycleGANConfig:
    """The ``tiny`` CycleGAN preset (32×32, width 8, 2 residual blocks, 70×70 PatchGAN) with one channel."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise TypeError(f"strokes_config lr: expected a positive learning rate; got {type(lr).__name__} {lr!r}")
    return CycleGANConfig.preset("tiny", channels=1, lr=lr, batch_size=STROKES_BATCH)


@lru_cache(maxsize=4)
def _strokes_run(steps: int, lr: float, seed: int) -> StrokesRun:
    data = strokes_domains("train", resolution=32)
    a_all, b_all = data.domain_a, data.domain_b                    # [750, 1, 32, 32] each
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():                              # leave the caller's RNG stream alone
            torch.manual_seed(seed)
            trainer = CycleGANTrainer(strokes_config(lr))
            g = torch.Generator().manual_seed(seed + 1)
            history = []
            start = time.perf_counter()
            for _ in range(steps):
                ia = torch.randint(len(a_all), (STROKES_BATCH,), generator=g)
                ib = torch.randint(len(b_all), (STROKES_BATCH,), generator=g)   # unpaired: independent draws
                history.append(trainer.step((a_all[ia], b_all[ib])))
            seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    return StrokesRun(trainer, history, seconds, steps, lr)


def train_strokes_cyclegan(steps: int | None = None, lr: float | None = None, seed: int = 0) -> StrokesRun:
    """Train the tiny CycleGAN on unpaired thin (A) and thick (B) strokes; cached per (steps, lr, seed).

    ``steps`` and ``lr`` default to :data:`STROKES_STEPS` and :data:`STROKES_LR` (default or fast
    budget). One step (batch 4 per domain) takes about 65 ms on one CPU core: 600 steps ≈ 40 s.
    The global RNG is left as it was.
    """
    steps = budget(*STROKES_STEPS) if steps is None else require_positive_int(steps, "steps")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float))):
        raise TypeError(f"lr: expected a positive learning rate; got {type(lr).__name__} {lr!r}")
    lr = budget(*STROKES_LR) if lr is None else float(lr)
    if not lr > 0:
        raise ValueError(f"lr: expected a positive learning rate; got {lr}")
    _check_seed(seed, "train_strokes_cyclegan seed")
    return _strokes_run(steps, lr, int(seed))


def _check_strokes_trainer(trainer: object, name: str) -> None:
    if not isinstance(trainer, CycleGANTrainer):
        raise TypeError(f"{name}: expected a CycleGANTrainer (e.g. train_strokes_cyclegan().trainer); got "
                        f"{type(trainer).__name__}")
    c = trainer.config
    if c.channels != 1 or c.resolution != 32:
        raise ValueError(f"{name}: expected a CycleGAN for 1-channel 32×32 strokes (strokes_config()); got one for "
                         f"{c.channels}-channel {c.resolution}×{c.resolution} images")


@torch.no_grad()
def _translate(trainer: CycleGANTrainer, thin: torch.Tensor, thick: torch.Tensor):
    trainer.G_AB.eval()
    trainer.G_BA.eval()
    try:
        fake_b, fake_a = trainer.G_AB(thin), trainer.G_BA(thick)
        return fake_b, trainer.G_BA(fake_b), fake_a, trainer.G_AB(fake_a)
    finally:
        trainer.G_AB.train()
        trainer.G_BA.train()


def translation_report(trainer: CycleGANTrainer) -> dict[str, float]:
    """Measure a strokes CycleGAN on the 297 held-out digits, each drawn thin and thick (paired).

    Returns: ``ink_thin``, ``ink_thick`` (real images), ``ink_thin_to_thick`` (G_AB of the thin
    ones), ``ink_thick_to_thin`` (G_BA of the thick ones); ``l1_identity`` (mean |thin − thick|,
    what doing nothing scores against the paired truth), ``l1_thin_to_thick`` (mean |G_AB(thin) −
    thick|), ``l1_thick_to_thin``; ``cycle_a`` and ``cycle_b`` (mean |rec − input|).
    """
    _check_strokes_trainer(trainer, "translation_report trainer")
    pairs = strokes_pairs("test", resolution=32)
    thin, thick = pairs.domain_a, pairs.domain_b                     # [297, 1, 32, 32], same digits
    fake_b, rec_a, fake_a, rec_b = _translate(trainer, thin, thick)
    l1 = lambda x, y: (x - y).abs().mean().item()                    # noqa: E731
    return {"ink_thin": ink_fraction(thin).mean().item(), "ink_thick": ink_fraction(thick).mean().item(),
            "ink_thin_to_thick": ink_fraction(fake_b).mean().item(),
            "ink_thick_to_thin": ink_fraction(fake_a).mean().item(),
            "l1_identity": l1(thin, thick), "l1_thin_to_thick": l1(fake_b, thick), "l1_thick_to_thin": l1(fake_a, thin),
            "cycle_a": l1(rec_a, thin), "cycle_b": l1(rec_b, thick)}


def translations_figure(trainer: CycleGANTrainer, n: int = 8, title: str = "") -> plt.Figure:
    """Six rows of held-out digits: thin a, G_AB(a), G_BA(G_AB(a)); thick b, G_BA(b), G_AB(G_BA(b))."""
    _check_strokes_trainer(trainer, "translations_figure trainer")
    require_positive_int(n, "translations_figure n")
    pairs = strokes_pairs("test", resolution=32)
    if 2 * n > len(pairs.domain_a):
        raise ValueError(f"translations_figure n: expected at most {len(pairs.domain_a) // 2} (two sets of n held-out "
                         f"digits); got {n}")
    thin, thick = pairs.domain_a[:n], pairs.domain_b[n:2 * n]       # different digits in the two domains
    fake_b, rec_a, fake_a, rec_b = _translate(trainer, thin, thick)
    rows = [(thin, "A: thin"), (fake_b, "G_AB(a)"), (rec_a, "G_BA(G_AB(a))"),
            (thick, "B: thick"), (fake_a, "G_BA(b)"), (rec_b, "G_AB(G_BA(b))")]
    from torchvision.utils import make_grid

    fig, axes = plt.subplots(len(rows), 1, figsize=(1.0 * n + 1.4, 1.15 * len(rows)))
    for ax, (images, label) in zip(axes, rows):
        ink = ink_fraction(images).mean().item()
        ax.imshow(make_grid(images, nrow=n, padding=2, pad_value=0.3)[0].numpy(), cmap="gray", vmin=-1, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(f"{label}\nink {ink:.2f}", fontsize=8, rotation=0, ha="right", va="center")
    fig.suptitle(title or "CycleGAN on unpaired thin/thick strokes (held-out digits)", fontsize=10)
    fig.tight_layout()
    return fig


def losses_figure(run: StrokesRun) -> plt.Figure:
    """The run's loss curves: both discriminators, the weighted cycle and identity terms."""
    if not isinstance(run, StrokesRun):
        raise TypeError(f"losses_figure run: expected a StrokesRun (from train_strokes_cyclegan); got {type(run).__name__}")
    if not run.history:
        raise ValueError("losses_figure run: expected a run with at least one logged step; got an empty history")
    fig, ax = plt.subplots(figsize=(7, 3))
    steps = np.arange(1, len(run.history) + 1)
    for key, label in (("d_a", "D_A (LSGAN)"), ("d_b", "D_B (LSGAN)"), ("cycle", "cycle, λ = 10 (both)"),
                       ("identity", "identity, 0.5λ (both)")):
        values = np.array([h[key] for h in run.history])
        k = max(1, len(values) // 30)
        smooth = np.convolve(values, np.ones(k) / k, mode="valid")
        ax.plot(steps[k - 1:], smooth, label=label)
    ax.set_xlabel("training step")
    ax.set_ylabel("loss (running mean)")
    ax.set_yscale("log")
    ax.legend(fontsize=8, ncol=2)
    ax.set_title(f"{run.steps} steps in {run.seconds:.0f} s (lr {run.lr:g})", fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# Regenerating the shipped weights: python -m gan_helpers.patch_maps  (or scripts/train_patch_maps.py)
# --------------------------------------------------------------------------------------------------

def train_shipped(steps: int = SHIPPED_STEPS, seed: int = 0, verbose: bool = False) -> dict[str, dict]:
    """Train the four discriminators as shipped; returns the float16 state dicts keyed ``"n_layers=N"``."""
    require_positive_int(steps, "train_shipped steps")
    _check_seed(seed, "train_shipped seed")
    state = {}
    for n in PATCH_LAYERS:
        run = _train_cached(n, steps, seed)
        state[f"n_layers={n}"] = {k: v.detach().half().clone() for k, v in run.discriminator.state_dict().items()}
        if verbose:
            image, mask = half_blurred(photo())
            summary = map_summary(patch_map(run.discriminator, image), mask, n)
            blurred = (f"on blurred ones {summary['blurred']:.2f}" if summary["n_blurred"]
                       else "no patch lies wholly in the blurred half")
            print(f"n_layers={n} ({run.field}×{run.field} patches): {run.seconds:.1f} s, last loss "
                  f"{np.mean(run.losses[-50:]):.3f}; mean P(real) on sharp patches {summary['sharp']:.2f}, {blurred}")
    return state


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m gan_helpers.patch_maps",
                                     description="Retrain the chapter 7 patch discriminators and write their weights.")
    parser.add_argument("--steps", type=int, default=SHIPPED_STEPS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    state = train_shipped(args.steps, args.seed, verbose=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    if args.out.resolve() == WEIGHTS_PATH:
        _load_shipped.cache_clear()


if __name__ == "__main__":
    main()


__all__ = ["BLUR_SIGMA", "PATCH_LAYERS", "PatchRun", "StrokesRun", "gaussian_blur", "half_blurred", "ink_fraction",
           "load_patch_discriminators", "losses_figure", "map_summary", "patch_boxes", "patch_geometry", "patch_map",
           "patch_maps_figure", "photo", "plot_patch_map", "show_patch_maps", "strokes_config",
           "train_patch_discriminator", "train_shipped", "train_strokes_cyclegan", "translation_report",
           "translations_figure"]
