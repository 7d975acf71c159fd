"""Training on several processes or GPUs with PyTorch's own engine (torchrun, torch.distributed); mixed precision.

What it is
----------
Data-parallel training: every process (one per GPU, or a few on a CPU) holds a full copy of the
networks and trains on its own slice of each batch; before every optimiser step the gradients are
averaged over the processes, so the copies stay identical. PyTorch provides all the machinery:
``torchrun`` starts the processes and sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``
and ``MASTER_PORT``; ``torch.distributed`` talks between them (the *gloo* backend on CPUs, *NCCL* on
CUDA GPUs). Nothing here starts processes or moves bytes by itself.

:func:`gan_helpers.training.fit` and ``python -m gan_helpers train`` use this module on their own when
``WORLD_SIZE > 1``, so the same command runs on one process or many::

    python -m gan_helpers train --model dcgan --out runs/dcgan                          # one process
    torchrun --nproc_per_node=8 -m gan_helpers train --model stylegan2 --preset config-f \\
        --data folder:/data/ffhq --resolution 1024 --batch-size 32 --precision bf16 --out runs/ffhq

How a run is split (the rules :func:`fit` follows)
--------------------------------------------------
* **Batches.** ``--batch-size`` is the *global* batch, as in stylegan2-ada-pytorch's ``--batch``: every
  rank draws the same shuffled order (seeded with the run's seed) and takes its own contiguous slice
  of ``batch_size / world_size`` items (:class:`gan_helpers.training.BatchStream`). The batch order is
  therefore the same whatever the number of processes.
* **Randomness.** Rank ``r`` seeds Python, NumPy and torch with :func:`rank_seed` ``(seed, r)``
  (rank 0 keeps ``seed`` itself, so a one-process run is unchanged): each rank draws its own noise.
* **Gradients.** :func:`distribute` registers a pre-hook on each of the trainer's optimisers that
  averages the gradients of its parameters over the ranks with one ``torch.distributed.all_reduce``
  just before the update. This is how the official StyleGAN3 code trains (it calls ``all_reduce`` on
  the flattened gradients before each ``opt.step()``), and what ``DistributedDataParallel`` does
  inside ``backward``; the trainers' forward passes run on the wrapped module itself, outside the
  reducer (DDP's ``no_sync`` mode), so that GAN steps that DDP's reducer cannot follow stay correct:
  the discriminator called in the generator's phase without gradients for its weights, the double
  backward of R1, WGAN-GP and path-length penalties, several backward passes per update, and lazy
  regularisation steps taken only every ``k`` iterations. Every rank takes the same optimiser steps in
  the same order, because the control flow depends only on ``step_count``: lazy R1 and path-length
  steps fall on the same iterations everywhere.
* **State that is not a parameter** (batch-norm running statistics, StyleGAN2's ``w_avg`` and running
  path length, the EMA generator's buffers) is rank 0's: :func:`sync_state` broadcasts it after
  every step, as DDP's ``broadcast_buffers`` does before every forward. Parameters, the EMA
  generator's weights and optimiser states are identical on every rank by construction. Per-device
  statistics stay per device *within* a step: batch norm normalises each rank's slice (unless
  ``sync_batchnorm``), StyleGAN2's minibatch standard deviation groups samples of one rank only (as
  the official code does), and CycleGAN's image pool is each rank's own history of fakes.
* **Files.** Rank 0 alone shows the progress bar, writes sample grids and checkpoints. A checkpoint
  holds every rank's random-number state and the world size, so a run resumes exactly on the same
  number of processes; on another number it continues with rank 0's state and fresh per-rank seeds.
  All ranks resume from the same checkpoint (rank 0 reads it and broadcasts it, so only rank 0 needs
  the file), and a checkpoint from N processes resumes on one and the other way round.
* **Synchronised batch norm** (``sync_batchnorm=True``, ``--sync-batchnorm``): batch statistics over
  the global batch, with ``torch.nn.SyncBatchNorm`` (CUDA and NCCL only). Useful for DCGAN with a
  small per-GPU batch.

Mixed precision
---------------
``precision="bf16"`` runs each training step under ``torch.autocast(device_type="cuda",
dtype=torch.bfloat16)``: convolutions and matrix products in bfloat16, losses and weights in float32.
bfloat16 has float32's exponent range, so it needs no gradient scaler. It applies to CUDA devices
that support bf16 only; on a CPU or MPS device :func:`resolve_precision` switches it off (float32,
with a warning). The precision that ran is recorded in the checkpoint.

Usage
-----
>>> from gan_helpers.distributed import rank_seed, resolve_precision, world_size
>>> world_size()                       # 1 outside torchrun
1
>>> rank_seed(7, 0), rank_seed(7, 1) != 7
(7, True)
>>> import warnings, torch
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     resolve_precision("bf16", torch.device("cpu"))
'fp32'
"""

from __future__ import annotations

import atexit
import contextlib
import numbers
import os
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn

PRECISIONS = ("fp32", "bf16")
_HOOKED = "_gan_helpers_distributed"   # attribute set on a trainer once distribute() has prepared it


# --------------------------------------------------------------------------------------------------
# Where am I?
# --------------------------------------------------------------------------------------------------

def env_world_size() -> int:
    """``WORLD_SIZE`` as ``torchrun`` sets it (1 when the variable is absent)."""
    return _env_int("WORLD_SIZE", 1, minimum=1)


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}: expected an integer; got {value!r}") from exc
    if number < minimum:
        raise ValueError(f"environment variable {name}: expected an integer ≥ {minimum}; got {value!r}")
    return number


def _as_device(device: object, name: str) -> torch.device:
    """``device`` as a ``torch.device``; a clear error for anything PyTorch cannot read as one."""
    if isinstance(device, torch.device):
        return device
    if isinstance(device, str):
        try:
            return torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"{name}: expected a device such as 'cpu', 'cuda', 'cuda:0' or 'mps'; got {device!r}") \
                from exc
    raise TypeError(f"{name}: expected a torch.device or a device string such as 'cpu' or 'cuda:0'; got "
                    f"{type(device).__name__}")


def _check_src(src: object, name: str) -> int:
    if isinstance(src, bool) or not isinstance(src, int):
        raise TypeError(f"{name} src: expected an int rank; got {type(src).__name__}")
    n = world_size()
    if not 0 <= src < n:
        raise ValueError(f"{name} src: expected a rank in [0, {n}); got {src}")
    return src


def _check_tensor_list(tensors: object, name: str) -> list[torch.Tensor]:
    if isinstance(tensors, torch.Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: expected a list of tensors; got {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}[{i}]: expected a torch.Tensor; got {type(t).__name__}")
    return list(tensors)


def _check_trainer(trainer: object, name: str) -> None:
    if not hasattr(trainer, "__dict__") or isinstance(trainer, (nn.Module, torch.Tensor, type)):
        raise TypeError(f"{name}: expected a trainer object (one with networks and optimisers as attributes, such as "
                        f"gan_helpers.dcgan.DCGANTrainer); got {type(trainer).__name__}")


def is_distributed() -> bool:
    """True inside an initialised process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 outside a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """The number of processes (1 outside a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def local_rank() -> int:
    """The rank within this machine (``LOCAL_RANK``; 0 outside torchrun): the GPU this process uses."""
    return _env_int("LOCAL_RANK", 0)


def is_main() -> bool:
    """True on rank 0, the process that logs and writes files."""
    return rank() == 0


def device_for_rank(preference: str = "auto") -> torch.device:
    """The device this process should train on.

    Under ``torchrun`` with ``"auto"`` or ``"cuda"`` on a CUDA machine, each process takes the GPU of
    its ``LOCAL_RANK`` (``cuda:0`` … ``cuda:7`` on an 8-GPU node) and makes it the current device. An
    explicit ``"cuda:k"`` is used as given; ``"cpu"`` is the CPU. Outside torchrun this is
    :func:`gan_helpers.course.choose_device`.
    """
    from gan_helpers.course import choose_device

    device = choose_device(preference)
    if env_world_size() > 1 and device.type == "cuda" and device.index is None:
        n = torch.cuda.device_count()
        if local_rank() >= n:
            raise RuntimeError(f"LOCAL_RANK {local_rank()} has no GPU: this machine has {n}; start at most "
                               f"{n} processes per node (torchrun --nproc_per_node={n})")
        device = torch.device("cuda", local_rank())
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def init_from_env(device: str | torch.device) -> bool:
    """Join the process group that ``torchrun`` describes in the environment, if there is one.

    Does nothing (and returns False) when ``WORLD_SIZE`` is absent or 1. Otherwise initialises
    ``torch.distributed`` with NCCL for a CUDA ``device`` and gloo for anything else (the same command
    works on both), reading ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``; the group is
    destroyed when the process exits. Returns True when running distributed.

    Raises:
        RuntimeError: a CUDA ``device`` is not the GPU of this process's ``LOCAL_RANK`` (two
            processes on one GPU deadlock NCCL): build the trainer on :func:`device_for_rank`.
    """
    device = _as_device(device, "init_from_env device")
    if env_world_size() <= 1:
        return is_distributed()
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        if index != local_rank():
            raise RuntimeError(f"under torchrun, process LOCAL_RANK={local_rank()} must train on cuda:{local_rank()}; "
                               f"its trainer is on cuda:{index}. Build it on "
                               "gan_helpers.distributed.device_for_rank('cuda')")
        torch.cuda.set_device(index)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        atexit.register(cleanup)
    return is_distributed()


def cleanup() -> None:
    """Leave the process group (safe to call twice, or without one)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def rank_seed(seed: int, rank: int, step: int = 0) -> int:
    """The seed of rank ``rank`` in a run seeded with ``seed``: ``seed`` itself for rank 0 at step 0.

    Other ranks (and ranks that restart at ``step`` without a saved random state, after a change in the
    number of processes) get a seed derived with NumPy's ``SeedSequence`` from ``(seed, rank, step)``.
    """
    for value, name in ((seed, "seed"), (rank, "rank"), (step, "step")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name}: expected an int; got {type(value).__name__}")
    if rank < 0 or step < 0:
        raise ValueError(f"rank and step: expected ints ≥ 0; got rank={rank}, step={step}")
    if rank == 0 and step == 0:
        return seed
    entropy = [seed & (2**64 - 1), rank, step]
    return int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint32)[0])


# --------------------------------------------------------------------------------------------------
# The trainer's networks, optimisers and tensors
# --------------------------------------------------------------------------------------------------

def trainer_modules(trainer: Any) -> list[nn.Module]:
    """The distinct ``nn.Module`` attributes of a trainer (G, D, G_ema, ...), in attribute order."""
    _check_trainer(trainer, "trainer_modules trainer")
    seen, out = set(), []
    for value in vars(trainer).values():
        if isinstance(value, nn.Module) and id(value) not in seen:
            seen.add(id(value))
            out.append(value)
    return out


def trainer_optimizers(trainer: Any) -> list[torch.optim.Optimizer]:
    """The ``torch.optim.Optimizer`` attributes of a trainer."""
    _check_trainer(trainer, "trainer_optimizers trainer")
    out: list[torch.optim.Optimizer] = []
    for value in vars(trainer).values():
        if isinstance(value, torch.optim.Optimizer) and all(value is not o for o in out):
            out.append(value)
    return out


def _state_tensors(trainer: Any) -> list[torch.Tensor]:
    """What :func:`sync_state` makes equal to rank 0's: every buffer, plus plain tensor attributes."""
    tensors = [b for m in trainer_modules(trainer) for b in m.buffers()]
    tensors += [v for v in vars(trainer).values() if isinstance(v, torch.Tensor) and not isinstance(v, nn.Parameter)]
    return tensors


def _comm_device(tensor: torch.Tensor) -> torch.device:
    """Where a tensor must be for the current backend (NCCL moves CUDA tensors only)."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu") if tensor.device.type != "cpu" and dist.get_backend() == "gloo" else tensor.device


def _groups(tensors: list[torch.Tensor]) -> Iterator[list[torch.Tensor]]:
    """Tensors grouped by (device, dtype), so each group travels as one flat tensor."""
    groups: dict[tuple, list[torch.Tensor]] = {}
    for t in tensors:
        if t.numel():
            groups.setdefault((t.device, t.dtype), []).append(t)
    yield from groups.values()


@torch.no_grad()
def broadcast_tensors_(tensors: list[torch.Tensor], src: int = 0) -> None:
    """Overwrite ``tensors`` on every rank with rank ``src``'s values (one broadcast per device and dtype)."""
    tensors = _check_tensor_list(tensors, "broadcast_tensors_ tensors")
    _check_src(src, "broadcast_tensors_")
    if not is_distributed():
        return
    for group in _groups(tensors):
        flat = torch.cat([t.reshape(-1) for t in group])
        home = flat.device
        flat = flat.to(_comm_device(flat))
        dist.broadcast(flat, src=src)
        for t, part in zip(group, flat.to(home).split([t.numel() for t in group])):
            t.copy_(part.view_as(t))


@torch.no_grad()
def average_gradients_(params: list[torch.Tensor]) -> None:
    """Replace each parameter's gradient by its mean over the ranks (an ``all_reduce`` per device and dtype).

    A rank whose parameter has no gradient (``grad is None``) counts as a zero gradient in the mean; a
    parameter that has none on every rank keeps ``None``, so the optimiser skips it as it would in a
    single process.
    """
    params = _check_tensor_list(params, "average_gradients_ params")
    if not is_distributed():
        return
    n = world_size()
    params = [p for p in params if p.numel()]
    if not params:
        return
    present = torch.tensor([float(p.grad is not None) for p in params], device=params[0].device)
    present = present.to(_comm_device(present))
    dist.all_reduce(present)                                         # [P]: how many ranks have a gradient
    for group in _groups(params):
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in group]
        flat = torch.cat([g.reshape(-1) for g in grads])             # [sum of numel]
        home = flat.device
        flat = flat.to(_comm_device(flat))
        dist.all_reduce(flat)                                        # sum over ranks
        flat = flat.div_(n).to(home)
        for p, part in zip(group, flat.split([p.numel() for p in group])):
            p.grad = part.view_as(p).clone() if p.grad is None else p.grad.copy_(part.view_as(p))
    for p, count in zip(params, present.tolist()):
        if count == 0:
            p.grad = None


def _average_before_step(optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
    """Optimizer step pre-hook: average the gradients of the optimiser's parameters over the ranks."""
    average_gradients_([p for group in optimizer.param_groups for p in group["params"]])


def distribute(trainer: Any, sync_batchnorm: bool = False) -> Any:
    """Prepare ``trainer`` for data-parallel training in the current process group; returns it.

    1. Optionally converts every batch-norm layer to ``torch.nn.SyncBatchNorm`` (same parameters and
       buffers, so optimisers and checkpoints are unaffected; CUDA only).
    2. Wraps each network that has trainable parameters in ``DistributedDataParallel``: its
       constructor checks that every rank holds the same architecture and broadcasts rank 0's weights
       and buffers. The wrappers are kept in ``trainer.ddp`` (a dict by attribute name); the trainer
       goes on calling its own modules, which is DDP's ``no_sync`` mode.
    3. Broadcasts every other tensor of the trainer (the EMA generator, fixed noise, ...) from rank 0.
    4. Registers on each optimiser a step pre-hook that averages the gradients over the ranks
       (:func:`average_gradients_`), and tells a trainer with a ``world_size`` attribute (StyleGAN2,
       whose EMA half-life and image counter use the global batch) how many ranks there are.

    Idempotent; does nothing but the SyncBatchNorm check outside a process group of two or more.

    Raises:
        ValueError: ``sync_batchnorm`` on a device other than CUDA.
    """
    _check_trainer(trainer, "distribute trainer")
    device = _as_device(getattr(trainer, "device", "cpu"), "distribute trainer.device")
    if sync_batchnorm and device.type != "cuda":
        raise ValueError(f"sync_batchnorm: torch.nn.SyncBatchNorm needs CUDA devices (NCCL); this trainer is on "
                         f"{device}. On CPUs each process normalises its own slice of the batch")
    if not is_distributed() or getattr(trainer, _HOOKED, False):
        return trainer
    if sync_batchnorm:
        for name, value in list(vars(trainer).items()):
            if isinstance(value, nn.Module):
                setattr(trainer, name, nn.SyncBatchNorm.convert_sync_batchnorm(value))
    from torch.nn.parallel import DistributedDataParallel

    wrappers, wrapped = {}, set()
    for name, value in vars(trainer).items():
        trainable = isinstance(value, nn.Module) and any(p.requires_grad for p in value.parameters())
        if trainable and id(value) not in wrapped:
            wrapped.add(id(value))
            ids = [device.index if device.index is not None else torch.cuda.current_device()] \
                if device.type == "cuda" else None
            wrappers[name] = DistributedDataParallel(value, device_ids=ids)
    broadcast_tensors_([p.data for m in trainer_modules(trainer) for p in m.parameters()] + _state_tensors(trainer))
    for opt in trainer_optimizers(trainer):
        opt.register_step_pre_hook(_average_before_step)
    if hasattr(trainer, "world_size"):
        trainer.world_size = world_size()
    trainer.ddp = wrappers
    setattr(trainer, _HOOKED, True)
    return trainer


def sync_state(trainer: Any) -> None:
    """Make every buffer and tensor attribute of ``trainer`` equal to rank 0's (after each step)."""
    _check_trainer(trainer, "sync_state trainer")
    broadcast_tensors_(_state_tensors(trainer))


def average_logs(logs: dict[str, float], stop: bool = False) -> tuple[dict[str, float], bool]:
    """The step's losses averaged over the ranks, and whether any rank asked to stop (one ``all_reduce``)."""
    if not isinstance(logs, dict):
        raise TypeError(f"average_logs logs: expected a dict {{name: number}}; got {type(logs).__name__}")
    for key, value in logs.items():
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            continue
        if not isinstance(value, numbers.Real):
            raise TypeError(f"average_logs logs[{key!r}]: expected a number; got {type(value).__name__} {value!r:.60}")
    if not is_distributed():
        return logs, stop
    keys = list(logs)
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else None
    values = torch.tensor([float(logs[k]) for k in keys] + [float(stop)], dtype=torch.float64, device=device)
    dist.all_reduce(values)
    values = values.cpu() / world_size()
    return {k: float(v) for k, v in zip(keys, values[:-1])}, bool(values[-1] > 0)


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``obj`` on every rank (pickled; use CPU tensors inside it)."""
    _check_src(src, "broadcast_object")
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def gather_objects(obj: Any) -> list[Any]:
    """``[obj of rank 0, obj of rank 1, ...]`` on every rank (``[obj]`` in one process)."""
    if not is_distributed():
        return [obj]
    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


# --------------------------------------------------------------------------------------------------
# Mixed precision
# --------------------------------------------------------------------------------------------------

def resolve_precision(precision: str | None, device: str | torch.device) -> str:
    """The precision a run on ``device`` will use: ``"fp32"`` or ``"bf16"`` (``None`` means ``"fp32"``).

    ``"bf16"`` needs a CUDA device that supports bfloat16; elsewhere (CPU, MPS) mixed precision is
    switched off with a ``UserWarning`` and ``"fp32"`` is returned.

    Raises:
        ValueError: an unknown name (fp16 is not offered: it needs a gradient scaler inside every
            trainer's backward pass, and bf16 does the same job on GPUs from the A100 on).
    """
    if precision is None:
        return "fp32"
    if precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {list(PRECISIONS)}; got {precision!r}")
    device = _as_device(device, "resolve_precision device")
    if precision == "bf16":
        if device.type != "cuda":
            warnings.warn(f"precision 'bf16' applies to CUDA devices only; training in fp32 on {device}",
                          UserWarning, stacklevel=2)
            return "fp32"
        if not torch.cuda.is_bf16_supported():
            warnings.warn(f"{torch.cuda.get_device_name(device)} does not support bfloat16; training in fp32",
                          UserWarning, stacklevel=2)
            return "fp32"
    return precision


def autocast(precision: str, device: str | torch.device) -> contextlib.AbstractContextManager:
    """The context one training step runs in: ``torch.autocast`` for ``"bf16"`` on CUDA, else nothing."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {list(PRECISIONS)}; got {precision!r}")
    device = _as_device(device, "autocast device")
    if precision == "bf16" and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
