"""One training loop for every GAN family: progress bar, sample grids, checkpoints, exact resume.

Each family module (``dcgan``, ``wgan``, ``stylegan2``, ``cyclegan``, ``pix2pix``, ``conditional``,
``toy2d``) provides a *trainer* that knows how to take one optimisation step. This module owns
everything around it::

    from gan_helpers.data import digits
    from gan_helpers.dcgan import DCGANConfig, DCGANTrainer
    from gan_helpers.training import fit

    trainer = DCGANTrainer(DCGANConfig.preset("tiny"), device="cpu")
    history = fit(trainer, digits("train", resolution=32), steps=500, batch_size=64,
                  out_dir="runs/dcgan", sample_every=100, checkpoint_every=250)

The trainer interface
---------------------
``trainer.step(batch) -> dict[str, float]`` (one iteration, all of its inner steps), ``trainer.state_dict()``
/ ``trainer.load_state_dict(state)`` (networks, optimisers, EMA, counters, buffers such as an image
pool), ``trainer.sample_grid(batch) -> [N, C, H, W]`` in ``[-1, 1]`` (or ``[N, 2]`` points for the
2-D toys), ``trainer.config`` (a frozen dataclass) and ``trainer.step_count``.

Exact resume
------------
A checkpoint holds the trainer's state, the step, the random-number states of Python, NumPy, torch
(CPU and CUDA) and the batch sampler's position, so ``fit(..., resume=True)`` continues a run with the
same batches and the same noise it would have used without the interruption: on CPU the losses are
identical to an uninterrupted run (``tests/test_training.py`` checks it for every family).

Several processes and mixed precision
-------------------------------------
Under ``torchrun --nproc_per_node=N`` the same call trains data-parallel (see
:mod:`gan_helpers.distributed`): ``batch_size`` is the global batch, each rank trains on its slice of
it with its own noise, gradients are averaged before every optimiser step, and rank 0 alone shows
progress and writes grids and checkpoints. ``precision="bf16"`` runs the steps under bfloat16
autocast on CUDA (float32 elsewhere); the checkpoint records it.
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import Dataset, default_collate
from tqdm.auto import tqdm

from gan_helpers import distributed
from gan_helpers.validate import require_positive_int

CHECKPOINT_NAME = "checkpoint.pt"


class Trainer(Protocol):
    """What :func:`fit` needs from a family's trainer (see the module docstring)."""

    config: Any
    device: torch.device
    step_count: int

    def step(self, batch: Any) -> dict[str, float]: ...
    def state_dict(self) -> dict: ...
    def load_state_dict(self, state: dict) -> None: ...
    def sample_grid(self, batch: Any) -> torch.Tensor: ...


class BatchStream:
    """Endless shuffled mini-batches from a map-style dataset, resumable from a saved state.

    Each epoch is a fresh permutation drawn from the stream's own ``torch.Generator``; the last
    incomplete batch of an epoch is dropped so every batch has ``batch_size`` items. Items are
    collated with ``torch.utils.data.default_collate``, so a dataset of ``(image, label)`` pairs gives
    ``[images [B, C, H, W], labels [B]]`` and a dataset of points gives ``[B, 2]``.

    With ``world_size > 1`` (one stream per process of a distributed run) every rank draws the same
    permutation and returns its own contiguous slice of each global batch: items
    ``[rank·b, (rank+1)·b)`` of it, ``b = batch_size / world_size`` (a distributed sampler). The
    stream's state does not depend on the rank, so a checkpoint resumes on any number of processes.
    """

    def __init__(self, dataset: Dataset, batch_size: int, seed: int = 0, rank: int = 0, world_size: int = 1):
        self.dataset = dataset
        self.batch_size = require_positive_int(batch_size, "batch_size")
        self.world_size = require_positive_int(world_size, "world_size")
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < world_size:
            raise ValueError(f"rank: expected an int in [0, {world_size}); got {rank!r}")
        if batch_size % world_size:
            raise ValueError(f"batch_size: the global batch {batch_size} must split evenly over {world_size} "
                             f"processes; use a multiple of {world_size}")
        self.rank = rank
        self.local_batch_size = batch_size // world_size
        if len(dataset) < batch_size:
            raise ValueError(f"batch_size: expected at most the dataset size {len(dataset)}; got {batch_size}")
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(len(dataset), generator=self.generator)
        self.position = 0
        self.epoch = 0

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if self.position + self.batch_size > len(self.order):
            self.order = torch.randperm(len(self.dataset), generator=self.generator)
            self.position = 0
            self.epoch += 1
        start = self.position + self.rank * self.local_batch_size    # this rank's slice of the global batch
        idx = self.order[start:start + self.local_batch_size].tolist()
        self.position += self.batch_size
        return default_collate([self.dataset[i] for i in idx])

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order.clone(),
                "position": self.position, "epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.order = state["order"].clone()
        self.position = int(state["position"])
        self.epoch = int(state["epoch"])


def linear_decay(step: int, steps: int, decay_start: float, final: float) -> float:
    """A learning-rate multiplier: 1 until step ``decay_start * steps``, then linear down to ``final``
    at step ``steps``, and ``final`` after it (``decay_start = 1`` keeps it at 1 throughout).

    Used by the trainers' schedules (:meth:`gan_helpers.toy2d.Toy2DConfig.lr_factor`,
    :meth:`gan_helpers.conditional.ConditionalTrainer.lr_scale`). ``step`` is 0-based.
    """
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step: expected a non-negative int; got {step!r}")
    require_positive_int(steps, "steps")
    for name, value in (("decay_start", decay_start), ("final", final)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{name}: expected a fraction in [0, 1]; got {value!r}")
    start = decay_start * steps
    if step <= start or decay_start >= 1:
        return 1.0
    progress = min(1.0, (step - start) / (steps - start))  # 0 → 1 over the decay
    return 1.0 - (1.0 - final) * progress


def set_learning_rates(factor: float, *optimisers_and_rates: tuple[torch.optim.Optimizer, float]) -> float:
    """Set every parameter group of each ``(optimiser, base_lr)`` pair to ``base_lr * factor``; returns ``factor``."""
    for optimiser, base_lr in optimisers_and_rates:
        for group in optimiser.param_groups:
            group["lr"] = base_lr * factor
    return factor


def rng_state() -> dict:
    """The random-number states of Python, NumPy and torch (CPU, and CUDA).

    One process saves every CUDA device's state; a process of a distributed run saves only its own
    GPU's (reading the others would open a CUDA context on every GPU from every process).
    """
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"python": random.getstate(), "torch": torch.get_rng_state(),
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                       "has_gauss": int(has_gauss), "cached": float(cached)}}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        if distributed.is_distributed():
            state["cuda_device"] = torch.cuda.get_rng_state()
        else:
            state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` returned."""
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    if torch.cuda.is_available():
        if "cuda_device" in state:
            torch.cuda.set_rng_state(state["cuda_device"].cpu())
        elif "cuda" in state and len(state["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


def _plain(value: Any) -> Any:
    """Config values as plain Python (tuples become lists) so checkpoints load with ``weights_only=True``."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _to_device(value: Any, device: torch.device) -> Any:
    """Every tensor inside nested dicts, lists and tuples moved to ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: _to_device(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_device(v, device) for v in value)
    return value


def save_checkpoint(path: str | Path, trainer: Trainer, stream: BatchStream | None = None,
                    history: Sequence[dict] = (), extra: dict | None = None, *,
                    rng_per_rank: Sequence[dict] | None = None, seed: int | None = None,
                    precision: str = "fp32") -> Path:
    """Write everything needed to resume ``trainer`` exactly to ``path`` (written atomically).

    Besides the trainer, RNG states, sampler position and history, the checkpoint records ``seed``,
    ``precision`` and ``world_size`` (``len(rng_per_rank)``: the number of processes that wrote it);
    ``rng_per_rank`` holds each rank's :func:`rng_state` in a distributed run (``rng`` is rank 0's).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    per_rank = list(rng_per_rank) if rng_per_rank is not None else [rng_state()]
    payload = {
        "format": 1,
        "trainer_class": f"{type(trainer).__module__}.{type(trainer).__qualname__}",
        "config": _plain(dataclasses.asdict(trainer.config)) if dataclasses.is_dataclass(trainer.config) else None,
        "step": trainer.step_count,
        "trainer": trainer.state_dict(),
        "rng": per_rank[0],
        "rng_per_rank": per_rank,
        "world_size": len(per_rank),
        "seed": seed,
        "precision": precision,
        "stream": stream.state_dict() if stream is not None else None,
        "history": list(history),
        "extra": extra or {},
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device | None = "cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (tensors only: ``weights_only=True``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    return torch.load(path, map_location=map_location, weights_only=True)


def restore(trainer: Trainer, checkpoint: dict, stream: BatchStream | None = None,
            rank: int = 0, world_size: int = 1) -> list[dict]:
    """Load a checkpoint's trainer state, RNG states and sampler position; return its loss history.

    Rank ``rank`` of a ``world_size``-process run takes its own saved RNG state when the checkpoint was
    written by as many processes; otherwise rank 0 takes the saved rank-0 state and every other rank
    starts a fresh stream seeded with :func:`gan_helpers.distributed.rank_seed` ``(seed, rank, step)``.
    """
    expected = f"{type(trainer).__module__}.{type(trainer).__qualname__}"
    if checkpoint.get("trainer_class") != expected:
        raise ValueError(f"checkpoint was written by {checkpoint.get('trainer_class')}; this trainer is {expected}")
    trainer.load_state_dict(_to_device(checkpoint["trainer"], torch.device(trainer.device)))
    per_rank = checkpoint.get("rng_per_rank") or [checkpoint["rng"]]
    if len(per_rank) == world_size or rank == 0:
        set_rng_state(per_rank[rank])
    else:
        from gan_helpers.course import seed_everything

        seed = checkpoint.get("seed")
        seed_everything(distributed.rank_seed(seed if seed is not None else 0, rank, int(checkpoint["step"])))
    if stream is not None and checkpoint.get("stream") is not None:
        stream.load_state_dict(checkpoint["stream"])
    return list(checkpoint.get("history", []))


def save_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> Path:
    """Save ``[N, C, H, W]`` images in ``[-1, 1]`` as one PNG grid, or ``[N, 2]`` points as a scatter plot."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = images.detach().float().cpu()
    if images.dim() == 2 and images.shape[1] == 2:
        import matplotlib
        import matplotlib.pyplot as plt

        with matplotlib.rc_context({"backend": "Agg"}):
            fig, ax = plt.subplots(figsize=(4, 4))
            ax.scatter(images[:, 0], images[:, 1], s=2, alpha=0.5)
            ax.set_aspect("equal")
            fig.savefig(path, dpi=100, bbox_inches="tight")
            plt.close(fig)
        return path
    if images.dim() != 4:
        raise ValueError(f"save_grid: expected images [N, C, H, W] or points [N, 2]; got {list(images.shape)}")
    from torchvision.utils import save_image

    save_image(images, path, nrow=nrow or max(1, int(math.ceil(math.sqrt(len(images))))),
               normalize=True, value_range=(-1, 1), padding=1)
    return path


def fit(trainer: Trainer, dataset: Dataset, steps: int, batch_size: int = 64, *,
        out_dir: str | Path | None = None, sample_every: int = 0, checkpoint_every: int = 0,
        resume: bool | str | Path = False, seed: int = 0, progress: bool = True,
        time_budget_s: float | None = None, extra: dict | None = None,
        callback: Callable[[int, dict[str, float]], None] | None = None,
        precision: str | None = None, sync_batchnorm: bool = False) -> list[dict[str, float]]:
    """Train ``trainer`` on ``dataset`` until it has taken ``steps`` steps in all.

    Under ``torchrun`` (``WORLD_SIZE > 1`` in the environment) the same call trains data-parallel:
    it joins the process group (gloo on CPU, NCCL on CUDA), prepares the trainer with
    :func:`gan_helpers.distributed.distribute`, gives each rank its slice of every batch and its own
    seed, averages the logged losses over the ranks, and leaves progress, grids and checkpoints to rank 0.

    Args:
        trainer: a family trainer (see the module docstring); under torchrun with CUDA, built on
            :func:`gan_helpers.distributed.device_for_rank`.
        dataset: a map-style dataset whose items collate into what ``trainer.step`` takes.
        steps: the total number of steps (a resumed run continues up to this number).
        batch_size: items per step, over all processes (each of N processes trains on ``batch_size / N``).
        out_dir: where ``samples/step_XXXXXX.png`` and ``checkpoint.pt`` go (``None``: nothing written).
        sample_every: write a sample grid every this many steps (0: only at the end, if ``out_dir``).
        checkpoint_every: write ``checkpoint.pt`` every this many steps (0: only at the end, if ``out_dir``).
        resume: ``True`` continues from ``out_dir/checkpoint.pt`` if it exists; a path resumes from that file.
        seed: seeds Python, NumPy, torch and the batch order (ignored when resuming: the checkpoint's
            states are restored instead); rank ``r`` uses :func:`gan_helpers.distributed.rank_seed`.
        progress: show a ``tqdm`` progress bar (rank 0 only).
        time_budget_s: stop early once this much wall-clock time has passed (benchmarks use it).
        extra: plain data stored in every checkpoint under ``"extra"`` (the command line records the
            model, preset and data there so ``sample`` can rebuild the trainer).
        callback: called as ``callback(step, losses)`` after every step, on every rank.
        precision: ``"fp32"`` or ``"bf16"`` (autocast on CUDA; float32 elsewhere, with a warning).
            ``None``: a resumed run keeps its checkpoint's precision, a new one uses ``"fp32"``.
        sync_batchnorm: use ``torch.nn.SyncBatchNorm`` across the processes (CUDA only).

    Returns:
        the loss history: one dict per step taken in this run and any resumed run before it, each with
        the trainer's losses (averaged over the ranks) plus ``"step"``.
    """
    from gan_helpers.course import seed_everything

    require_positive_int(steps, "steps")
    out = Path(out_dir) if out_dir is not None else None
    distributed.init_from_env(trainer.device)
    distributed.distribute(trainer, sync_batchnorm=sync_batchnorm)
    rank, world = distributed.rank(), distributed.world_size()
    main = rank == 0
    seed_everything(distributed.rank_seed(seed, rank))
    stream = BatchStream(dataset, batch_size, seed=seed, rank=rank, world_size=world)
    history: list[dict[str, float]] = []
    ckpt_path = None
    if resume:
        ckpt_path = Path(resume) if not isinstance(resume, bool) else (out / CHECKPOINT_NAME if out else None)
        if ckpt_path is None:
            raise ValueError("resume=True needs out_dir (where checkpoint.pt is); or pass the checkpoint path")
        # Rank 0 reads the file and hands it to the others: every rank resumes from the same state.
        checkpoint = load_checkpoint(ckpt_path) if main and ckpt_path.is_file() else None
        checkpoint = distributed.broadcast_object(checkpoint)
        if checkpoint is not None:
            history = restore(trainer, checkpoint, stream, rank=rank, world_size=world)
            seed = checkpoint.get("seed") if checkpoint.get("seed") is not None else seed
            if precision is None:
                precision = checkpoint.get("precision")
        elif not isinstance(resume, bool):
            raise FileNotFoundError(f"resume: no checkpoint at {ckpt_path}")
    precision = distributed.resolve_precision(precision, trainer.device)

    def checkpoint_now() -> None:
        per_rank = distributed.gather_objects(rng_state())          # a collective: every rank takes part
        if main:
            save_checkpoint(out / CHECKPOINT_NAME, trainer, stream, history, extra, rng_per_rank=per_rank,
                            seed=seed, precision=precision)

    grid_batch = None
    start = time.perf_counter()
    bar = tqdm(total=steps, initial=trainer.step_count, disable=not (progress and main),
               desc=type(trainer).__name__, dynamic_ncols=True)
    try:
        while trainer.step_count < steps:
            batch = next(stream)
            if grid_batch is None:
                grid_batch = batch
            with distributed.autocast(precision, trainer.device):
                losses = trainer.step(batch)
            over_budget = time_budget_s is not None and time.perf_counter() - start >= time_budget_s
            if world > 1:
                distributed.sync_state(trainer)
                losses, over_budget = distributed.average_logs(losses, over_budget)
            bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
            if bad:
                raise FloatingPointError(f"step {trainer.step_count}: non-finite losses {bad}; lower the learning "
                                         "rate or check the data range")
            record = {"step": trainer.step_count, **losses}
            history.append(record)
            if callback is not None:
                callback(trainer.step_count, losses)
            bar.update(1)
            bar.set_postfix({k: f"{v:.3f}" for k, v in list(losses.items())[:4]}, refresh=False)
            n = trainer.step_count
            if out is not None and main and sample_every and n % sample_every == 0:
                save_grid(trainer.sample_grid(grid_batch), out / "samples" / f"step_{n:06d}.png")
            if out is not None and checkpoint_every and n % checkpoint_every == 0:
                checkpoint_now()
            if over_budget:
                break
    finally:
        bar.close()
    if out is not None:
        if grid_batch is not None and main:
            save_grid(trainer.sample_grid(grid_batch), out / "samples" / f"step_{trainer.step_count:06d}.png")
        checkpoint_now()
    return history
