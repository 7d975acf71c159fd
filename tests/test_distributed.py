"""Data-parallel training with PyTorch's engine (gloo on this CPU) against a single-process reference.

The distributed runs start two processes with ``torch.multiprocessing`` (the same environment
variables ``torchrun`` sets) and call :func:`gan_helpers.training.fit` unchanged. The reference runs
in this process: it feeds each rank's slice of the batch and each rank's noise (the rank's seed, the
same draw order) as separate micro-batches, and averages their gradients by back-propagating
``loss / world_size`` of each micro-batch before every optimiser step — so per-rank batch-norm
statistics and minibatch-stddev groups are the same as in the distributed run.

Tolerance: losses and parameters agree within ``rtol = 1e-5`` (``atol = 1e-6``) after 3 steps. The
only possible differences are the order of floating-point additions in gloo's all-reduce and in
autograd's gradient accumulation (float32, about 1e-7 relative per step, amplified a little by Adam);
with two processes the sum of two gradients halved is exact, and the runs measured bit-identical.

The workers also run the command line (``python -m gan_helpers train``) as ``torchrun`` would. No GPU
test runs here: NCCL, SyncBatchNorm and bf16 autocast need CUDA.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import io
import socket
import time
import warnings
from pathlib import Path

import pytest
import torch
from torch.utils.data import Dataset

from gan_helpers import distributed
from gan_helpers.course import seed_everything
from gan_helpers.dcgan import DCGANConfig, DCGANTrainer
from gan_helpers.losses import d_loss_bce, g_loss_nonsaturating, path_length_penalty, r1_penalty
from gan_helpers.stylegan2 import StyleGAN2Config, StyleGAN2Trainer, ema_beta, update_ema
from gan_helpers.training import BatchStream, fit, load_checkpoint, rng_state, set_rng_state

WORLD = 2
BATCH = 8             # global batch: 4 images per rank
STEPS = 3
RTOL, ATOL = 1e-5, 1e-6
DCGAN_SEED, SG2_SEED, ONE_SEED = 11, 5, 3
TIMEOUT_S = 240

# The workers run on one intra-op thread, and so must the single-process reference: with two threads
# a convolution's weight gradient sums its batch in another order, and Adam turns that rounding into
# differences of about lr in thousands of StyleGAN2 weights after 3 steps (seen on an AVX2 CPU). With
# one thread on both sides the reference matched the two processes bit for bit there.
pytestmark = pytest.mark.usefixtures("one_thread")


class Images(Dataset):
    """``n`` seeded random images ``[C, R, R]`` in [-1, 1] (the same on every process)."""

    def __init__(self, n: int, channels: int, resolution: int, seed: int):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.rand(n, channels, resolution, resolution, generator=g) * 2 - 1

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.x[i]


def dcgan_data() -> Images:
    return Images(40, 1, 32, seed=0)


def sg2_config() -> StyleGAN2Config:
    # Lazy R1 and path length every 2 steps: they run at steps 0 and 2 of 3.
    return StyleGAN2Config.preset("tiny", d_reg_interval=2, g_reg_interval=2)


def sg2_data() -> Images:
    return Images(24, 3, 32, seed=1)


def new_dcgan() -> DCGANTrainer:
    torch.manual_seed(0)
    # Without the tiny preset's biases: a bias just before batch norm has a true gradient of zero, so
    # Adam turns the rounding noise of its gradient into full-size steps and it cannot be compared.
    return DCGANTrainer(dataclasses.replace(DCGANConfig.preset("tiny"), bias=False))


def new_sg2() -> StyleGAN2Trainer:
    torch.manual_seed(0)
    return StyleGAN2Trainer(sg2_config())


def snapshot(trainer) -> dict[str, torch.Tensor]:
    """Every parameter and buffer of every network, plus the trainer's tensor attributes, on the CPU."""
    out = {}
    for name, value in vars(trainer).items():
        if isinstance(value, torch.nn.Module):
            out.update({f"{name}.{k}": v.detach().cpu().clone() for k, v in value.state_dict().items()})
        elif isinstance(value, torch.Tensor):
            out[name] = value.detach().cpu().clone()
    return out


def parameters(trainer, modules=("G", "D", "G_ema")) -> dict[str, torch.Tensor]:
    return {f"{m}.{k}": p.detach().clone() for m in modules if hasattr(trainer, m)
            for k, p in getattr(trainer, m).named_parameters()}


# --------------------------------------------------------------------------------------------------
# The distributed side: two worker processes, each calling fit as a torchrun process would
# --------------------------------------------------------------------------------------------------

def _worker(rank: int, world: int, port: int, tmp: str) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    import gan_helpers.training as training

    writes: list[str] = []   # every call of the two functions that write files, on this rank
    save_checkpoint, save_grid = training.save_checkpoint, training.save_grid

    def counting_checkpoint(path, *args, **kwargs):
        writes.append(f"checkpoint {path}")
        return save_checkpoint(path, *args, **kwargs)

    def counting_grid(images, path, *args, **kwargs):
        writes.append(f"grid {path}")
        return save_grid(images, path, *args, **kwargs)

    training.save_checkpoint, training.save_grid = counting_checkpoint, counting_grid
    tmp = Path(tmp)
    results = {"rank": rank}

    trainer = new_dcgan()
    history = fit(trainer, dcgan_data(), steps=STEPS, batch_size=BATCH, seed=DCGAN_SEED, out_dir=tmp / "dcgan",
                  sample_every=2, progress=False)
    results["dcgan"] = {"history": history, "state": snapshot(trainer)}

    trainer = new_sg2()
    history = fit(trainer, sg2_data(), steps=STEPS, batch_size=BATCH, seed=SG2_SEED, out_dir=tmp / "sg2",
                  progress=False)
    results["sg2"] = {"history": history, "state": snapshot(trainer), "cur_nimg": trainer.cur_nimg,
                      "world_size": trainer.world_size}

    trainer = new_dcgan()     # resume a checkpoint written by one process (made before the workers start)
    history = fit(trainer, dcgan_data(), steps=4, batch_size=BATCH, seed=ONE_SEED, out_dir=tmp / "one_to_two",
                  resume=tmp / "one" / "checkpoint.pt", progress=False)
    results["one_to_two"] = {"history": history, "state": snapshot(trainer)}

    # The command line, as `torchrun --nproc_per_node=2 -m gan_helpers train ...` runs it (it leaves the
    # process group at the end, so it comes last). bf16 is switched off on the CPU.
    from gan_helpers.cli import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        results["cli_rc"] = main(["train", "--model", "dcgan", "--steps", "2", "--batch-size", "8", "--device", "cpu",
                                  "--out", str(tmp / "cli"), "--no-progress", "--precision", "bf16"])
    results["cli_stdout"] = printed.getvalue()
    results["writes"] = writes
    torch.save(results, tmp / f"results_rank{rank}.pt")
    distributed.cleanup()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def runs(one_thread, tmp_path_factory):
    """Run the workers once (on one thread, like the reference); return the directory and both ranks' results."""
    tmp = tmp_path_factory.mktemp("ddp")
    # A one-process checkpoint after 2 steps, for the 1 → 2 processes resume.
    fit(new_dcgan(), dcgan_data(), steps=2, batch_size=BATCH, seed=ONE_SEED, out_dir=tmp / "one", progress=False)
    context = torch.multiprocessing.start_processes(_worker, args=(WORLD, free_port(), str(tmp)), nprocs=WORLD,
                                                    join=False, start_method="spawn")
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while not context.join(timeout=2):
            if time.monotonic() > deadline:
                pytest.fail(f"the {WORLD}-process run did not finish in {TIMEOUT_S} s")
    finally:
        for process in context.processes:
            if process.is_alive():
                process.kill()
    results = [torch.load(tmp / f"results_rank{r}.pt", weights_only=False) for r in range(WORLD)]
    return tmp, results


# --------------------------------------------------------------------------------------------------
# The single-process reference
# --------------------------------------------------------------------------------------------------

class VirtualRanks:
    """Each rank's random-number state, swapped in while that rank's micro-batch runs."""

    def __init__(self, states: list[dict]):
        self.states = states

    @classmethod
    def seeded(cls, seed: int, world: int, step: int = 0) -> VirtualRanks:
        states = []
        for r in range(world):
            seed_everything(distributed.rank_seed(seed, r, step))
            states.append(rng_state())
        return cls(states)

    @contextlib.contextmanager
    def on(self, r: int):
        set_rng_state(self.states[r])
        try:
            yield
        finally:
            self.states[r] = rng_state()


def rank_streams(seed: int, world: int, data: Dataset, state: dict | None = None) -> list[BatchStream]:
    streams = [BatchStream(data, BATCH, seed=seed, rank=r, world_size=world) for r in range(world)]
    if state is not None:
        for s in streams:
            s.load_state_dict(state)
    return streams


def mean(values: list[torch.Tensor]) -> float:
    return torch.stack([v.detach() for v in values]).mean().item()


def dcgan_reference(t: DCGANTrainer, streams: list[BatchStream], ranks: VirtualRanks, steps: int) -> list[dict]:
    """DCGANTrainer.step over micro-batches: one D step then one G step, gradients averaged."""
    world, history = len(streams), []
    for _ in range(steps):
        reals = [next(s) for s in streams]                             # world × [b, C, R, R]
        fakes = []
        for r in range(world):
            with ranks.on(r):
                fakes.append(t.G(torch.randn(reals[r].shape[0], t.config.z_dim)))   # [b, C, R, R]
        t.opt_D.zero_grad(set_to_none=True)
        d_losses, d_real, d_fake = [], [], []
        for r in range(world):
            real_logits, fake_logits = t.D(reals[r]), t.D(fakes[r].detach())
            loss = d_loss_bce(real_logits, fake_logits)
            (loss / world).backward()
            d_losses.append(loss)
            d_real.append(torch.sigmoid(real_logits).mean())
            d_fake.append(torch.sigmoid(fake_logits).mean())
        t.opt_D.step()
        t.opt_G.zero_grad(set_to_none=True)
        g_losses = []
        for r in range(world):
            loss = g_loss_nonsaturating(t.D(fakes[r]))
            (loss / world).backward(inputs=list(t.G.parameters()))
            g_losses.append(loss)
        t.opt_G.step()
        t.step_count += 1
        history.append({"step": t.step_count, "d_loss": mean(d_losses), "g_loss": mean(g_losses),
                        "d_real": mean(d_real), "d_fake": mean(d_fake)})
    return history


def sg2_reference(t: StyleGAN2Trainer, streams: list[BatchStream], ranks: VirtualRanks, steps: int) -> list[dict]:
    """StyleGAN2Trainer.step over micro-batches: the four phases, lazy regularisation, EMA of the global batch."""
    cfg, world, history = t.config, len(streams), []
    last_r1 = last_pl = 0.0
    for _ in range(steps):
        reals = [next(s) for s in streams]
        b, i = reals[0].shape[0], t.step_count
        t.D.requires_grad_(False)
        t.G.requires_grad_(True)
        t.opt_G.zero_grad(set_to_none=True)
        g_losses = []
        for r in range(world):
            with ranks.on(r):
                fake, _ = t._generate(b)
            loss = g_loss_nonsaturating(t.D(fake))
            (loss / world).backward()
            g_losses.append(loss)
        t._optimiser_step(t.opt_G, t.G)
        if i % cfg.g_reg_interval == 0:
            t.opt_G.zero_grad(set_to_none=True)
            pls, means = [], []
            for r in range(world):
                with ranks.on(r):
                    fake, ws = t._generate(max(b // cfg.pl_batch_shrink, 1))
                    pl, new_mean, _ = path_length_penalty(fake, ws, t.pl_mean, cfg.pl_decay)
                (pl * cfg.pl_weight * cfg.g_reg_interval / world).backward()
                pls.append(pl)
                means.append(new_mean)
            t._optimiser_step(t.opt_G, t.G)
            t.pl_mean, last_pl = means[0].detach(), mean(pls)   # state that is not a parameter: rank 0's
        t.G.requires_grad_(False)
        t.D.requires_grad_(True)
        t.opt_D.zero_grad(set_to_none=True)
        d_losses = []
        for r in range(world):
            with ranks.on(r), torch.no_grad():
                fake, _ = t._generate(b)
            loss = d_loss_bce(t.D(reals[r]), t.D(fake))
            (loss / world).backward()
            d_losses.append(loss)
        t._optimiser_step(t.opt_D, t.D)
        if i % cfg.d_reg_interval == 0:
            t.opt_D.zero_grad(set_to_none=True)
            r1s = []
            for r in range(world):
                real = reals[r].detach().requires_grad_(True)
                r1 = r1_penalty(t.D(real), real, cfg.r1_gamma)
                (r1 * cfg.d_reg_interval / world).backward()
                r1s.append(r1)
            t._optimiser_step(t.opt_D, t.D)
            last_r1 = mean(r1s)
        t.G.requires_grad_(True)
        update_ema(t.G_ema, t.G, ema_beta(b * world, t.cur_nimg, cfg.ema_kimg, cfg.ema_rampup))
        t.cur_nimg += b * world
        t.step_count += 1
        history.append({"step": t.step_count, "d_loss": mean(d_losses), "g_loss": mean(g_losses),
                        "r1": last_r1, "pl": last_pl})
    return history


def assert_histories_close(got: list[dict], want: list[dict], what: str) -> None:
    assert [h["step"] for h in got] == [h["step"] for h in want], f"{what}: steps differ"
    for g, w in zip(got, want):
        assert set(g) == set(w), f"{what}: logged keys {sorted(g)} vs reference {sorted(w)}"
        for k in w:
            assert g[k] == pytest.approx(w[k], rel=RTOL, abs=ATOL), \
                f"{what}: {k} at step {w['step']} is {g[k]!r}; the micro-batch reference gives {w[k]!r}"


# Adam divides each gradient element by its own running RMS, so an element whose gradient is pure
# rounding noise (≈1e-9) still moves by about lr per step, in the direction the noise happens to take.
# Summation order differs between the processes and the reference (and with the state of the process's
# thread pool and allocator), so such elements may differ by up to ADAM_NOISE_STEPS · lr · steps. We
# allow that for at most NOISY_FRACTION of each tensor's elements; every other element must match to
# RTOL/ATOL. A wrong gradient average, a rank seeded like another or a wrong batch slice moves nearly
# every element of every tensor, far beyond that.
ADAM_NOISE_STEPS, NOISY_FRACTION = 2.0, 1e-3


def max_lr(trainer) -> float:
    """The largest learning rate of the trainer's optimisers (Adam moves an element by about lr a step)."""
    return max(group["lr"] for opt in (trainer.opt_G, trainer.opt_D) for group in opt.param_groups)


def assert_params_close(state: dict[str, torch.Tensor], reference: dict[str, torch.Tensor], what: str,
                        lr: float, steps: int) -> None:
    assert reference, f"{what}: nothing to compare"
    noise = ADAM_NOISE_STEPS * lr * steps
    for name, want in reference.items():
        got = state[name]
        assert got.shape == want.shape, f"{what}: {name} has shape {list(got.shape)}; reference {list(want.shape)}"
        diff = (got - want).abs()
        outside = diff > ATOL + RTOL * want.abs()
        n_out, allowed = int(outside.sum()), max(1, int(NOISY_FRACTION * want.numel()))
        worst = float(diff.max()) if diff.numel() else 0.0
        assert n_out <= allowed and worst <= noise, (
            f"{what}: {name} differs from the reference in {n_out} of {want.numel()} elements (at most "
            f"{allowed} may differ, by at most {noise:.2g} = Adam's rounding-noise steps); largest difference "
            f"{worst:.3g}")


# --------------------------------------------------------------------------------------------------
# Tests of the two-process runs
# --------------------------------------------------------------------------------------------------

def test_dcgan_two_processes_match_the_micro_batch_reference(runs):
    _, results = runs
    torch.manual_seed(0)
    ref = new_dcgan()
    want = dcgan_reference(ref, rank_streams(DCGAN_SEED, WORLD, dcgan_data()),
                           VirtualRanks.seeded(DCGAN_SEED, WORLD), STEPS)
    assert_histories_close(results[0]["dcgan"]["history"], want, "DCGAN, 2 processes")
    assert_params_close(results[0]["dcgan"]["state"], parameters(ref), "DCGAN, 2 processes",
                        max_lr(ref), ref.step_count)


def test_stylegan2_two_processes_match_the_micro_batch_reference(runs):
    _, results = runs
    ref = new_sg2()
    want = sg2_reference(ref, rank_streams(SG2_SEED, WORLD, sg2_data()), VirtualRanks.seeded(SG2_SEED, WORLD), STEPS)
    got = results[0]["sg2"]
    assert_histories_close(got["history"], want, "StyleGAN2, 2 processes")
    assert_params_close(got["state"], parameters(ref), "StyleGAN2, 2 processes", max_lr(ref), ref.step_count)
    torch.testing.assert_close(got["state"]["pl_mean"], ref.pl_mean, rtol=RTOL, atol=ATOL)
    assert got["world_size"] == WORLD and got["cur_nimg"] == STEPS * BATCH, "cur_nimg counts the global batch"
    # lazy regularisation ran at steps 0 and 2 only (the logged value changes exactly there)
    r1 = [h["r1"] for h in got["history"]]
    assert r1[0] > 0 and r1[1] == r1[0] and r1[2] != r1[1], f"R1 values per step: {r1}"


@pytest.mark.parametrize("job", ["dcgan", "sg2", "one_to_two"])
def test_every_rank_holds_the_same_networks_ema_and_buffers(runs, job):
    _, results = runs
    a, b = results[0][job]["state"], results[1][job]["state"]
    assert set(a) == set(b)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"{job}: ranks 0 and 1 differ in {len(different)} tensors, e.g. {different[:4]}"
    assert results[0][job]["history"] == results[1][job]["history"], f"{job}: ranks log different losses"


def test_only_rank_zero_writes_files(runs):
    tmp, results = runs
    assert results[1]["writes"] == [], f"rank 1 wrote {results[1]['writes']}"
    assert len(results[0]["writes"]) == 9, results[0]["writes"]   # dcgan: 2 grids + 1; the 3 others: 2 each
    samples = sorted(p.name for p in (tmp / "dcgan" / "samples").iterdir())
    assert samples == ["step_000002.png", "step_000003.png"], samples
    assert sorted(p.name for p in (tmp / "dcgan").iterdir()) == ["checkpoint.pt", "samples"]
    ckpt = load_checkpoint(tmp / "dcgan" / "checkpoint.pt")
    assert ckpt["world_size"] == WORLD and len(ckpt["rng_per_rank"]) == WORLD
    assert ckpt["precision"] == "fp32" and ckpt["seed"] == DCGAN_SEED and ckpt["step"] == STEPS


def test_a_two_process_checkpoint_resumes_in_one_process(runs):
    tmp, _ = runs
    ckpt = load_checkpoint(tmp / "dcgan" / "checkpoint.pt")
    trainer = new_dcgan()
    history = fit(trainer, dcgan_data(), steps=STEPS + 2, batch_size=BATCH, seed=DCGAN_SEED,
                  resume=tmp / "dcgan" / "checkpoint.pt", progress=False)
    assert len(history) == STEPS + 2 and history[:STEPS] == ckpt["history"]
    # the reference: the saved state, the saved batch position, rank 0's saved random state, one process
    ref = new_dcgan()
    ref.load_state_dict(ckpt["trainer"])
    want = dcgan_reference(ref, rank_streams(DCGAN_SEED, 1, dcgan_data(), ckpt["stream"]),
                           VirtualRanks([ckpt["rng_per_rank"][0]]), 2)
    assert_histories_close(history[STEPS:], want, "2 → 1 processes")
    assert_params_close(snapshot(trainer), parameters(ref), "2 → 1 processes", max_lr(ref), ref.step_count)


def test_a_one_process_checkpoint_resumes_in_two_processes(runs):
    tmp, results = runs
    ckpt = load_checkpoint(tmp / "one" / "checkpoint.pt")
    assert ckpt["world_size"] == 1 and ckpt["step"] == 2
    got = results[0]["one_to_two"]
    assert len(got["history"]) == 4 and got["history"][:2] == ckpt["history"]
    # rank 0 continues with the saved state; rank 1, which has none, from rank_seed(seed, 1, step 2)
    ref = new_dcgan()
    ref.load_state_dict(ckpt["trainer"])
    fresh = VirtualRanks.seeded(ONE_SEED, WORLD, step=2)
    ranks = VirtualRanks([ckpt["rng"], fresh.states[1]])
    want = dcgan_reference(ref, rank_streams(ONE_SEED, WORLD, dcgan_data(), ckpt["stream"]), ranks, 2)
    assert_histories_close(got["history"][2:], want, "1 → 2 processes")
    assert_params_close(got["state"], parameters(ref), "1 → 2 processes", max_lr(ref), ref.step_count)


def test_the_command_line_runs_unchanged_under_torchrun(runs):
    tmp, results = runs
    assert [r["cli_rc"] for r in results] == [0, 0]
    assert "trained dcgan to step 2 on 2 processes (cpu)" in results[0]["cli_stdout"], results[0]["cli_stdout"]
    assert results[1]["cli_stdout"] == "", "only rank 0 prints"
    ckpt = load_checkpoint(tmp / "cli" / "checkpoint.pt")
    assert ckpt["world_size"] == WORLD and ckpt["step"] == 2 and ckpt["extra"]["model"] == "dcgan"
    assert ckpt["precision"] == "fp32", "bf16 is switched off on CPU and the checkpoint records what ran"
    assert sorted(p.name for p in (tmp / "cli").iterdir()) == ["checkpoint.pt", "samples"]


# --------------------------------------------------------------------------------------------------
# The pieces, in one process
# --------------------------------------------------------------------------------------------------

def test_rank_slices_make_up_the_single_process_batch():
    data = dcgan_data()
    whole = BatchStream(data, BATCH, seed=4)
    parts = [BatchStream(data, BATCH, seed=4, rank=r, world_size=WORLD) for r in range(WORLD)]
    for _ in range(12):   # more than one epoch (40 items, 5 batches)
        torch.testing.assert_close(torch.cat([next(p) for p in parts]), next(whole), rtol=0, atol=0)
    assert parts[0].state_dict()["position"] == parts[1].state_dict()["position"] == whole.position


def test_batch_stream_rejects_a_batch_that_does_not_split():
    with pytest.raises(ValueError, match="global batch 9 must split evenly over 2 processes"):
        BatchStream(dcgan_data(), 9, world_size=2)
    with pytest.raises(ValueError, match=r"rank: expected an int in \[0, 2\); got 2"):
        BatchStream(dcgan_data(), 8, rank=2, world_size=2)


def test_rank_seeds():
    assert distributed.rank_seed(123, 0) == 123
    seeds = {distributed.rank_seed(123, r) for r in range(8)} | {distributed.rank_seed(123, 1, step=10)}
    assert len(seeds) == 9, "every rank (and a restart at another step) gets its own seed"
    assert distributed.rank_seed(123, 1) == distributed.rank_seed(123, 1)
    with pytest.raises(TypeError, match="seed: expected an int; got float"):
        distributed.rank_seed(1.5, 0)
    with pytest.raises(ValueError, match="expected ints ≥ 0; got rank=-1"):
        distributed.rank_seed(1, -1)


def test_outside_torchrun_nothing_changes(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed.init_from_env("cpu") is False
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)
    trainer = new_dcgan()
    assert distributed.distribute(trainer) is trainer and not hasattr(trainer, "ddp")


def test_precision_is_switched_off_on_cpu_and_recorded(tmp_path):
    with pytest.warns(UserWarning, match="precision 'bf16' applies to CUDA devices only; training in fp32 on cpu"):
        assert distributed.resolve_precision("bf16", "cpu") == "fp32"
    assert distributed.resolve_precision(None, "cpu") == "fp32"
    with pytest.raises(ValueError, match=r"precision: expected one of \['fp32', 'bf16'\]; got 'fp16'"):
        distributed.resolve_precision("fp16", "cpu")
    with distributed.autocast("bf16", "cpu"):
        assert not torch.is_autocast_enabled("cpu")
    with pytest.warns(UserWarning, match="applies to CUDA devices only"):
        fit(new_dcgan(), dcgan_data(), steps=1, batch_size=4, out_dir=tmp_path, progress=False, precision="bf16")
    assert load_checkpoint(tmp_path / "checkpoint.pt")["precision"] == "fp32"


def test_sync_batchnorm_needs_cuda():
    with pytest.raises(ValueError, match="sync_batchnorm: torch.nn.SyncBatchNorm needs CUDA devices"):
        distributed.distribute(new_dcgan(), sync_batchnorm=True)


def test_stylegan2_counts_images_over_all_processes():
    trainer = new_sg2()
    assert trainer.world_size == 1
    trainer.world_size = 3     # as distribute() sets it under torchrun --nproc_per_node=3
    trainer.step(sg2_data().x[:4])
    assert trainer.cur_nimg == 12, "the EMA half-life and cur_nimg count 4 images on each of 3 processes"
