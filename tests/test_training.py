"""The generic training loop: batches, checkpoints, exact resume, sample grids and its errors."""

import dataclasses
import math
import random

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from gan_helpers.losses import d_loss_bce, g_loss_nonsaturating
from gan_helpers.training import (
    BatchStream, fit, load_checkpoint, rng_state, save_checkpoint, save_grid, set_rng_state,
)


@dataclasses.dataclass(frozen=True)
class PointsConfig:
    z_dim: int = 2
    lr: float = 1e-2


class PointsTrainer:
    """The smallest honest GAN: affine G and D on 2-D points, drawing noise from torch's global RNG."""

    def __init__(self, config=PointsConfig(), device="cpu"):
        self.config, self.device, self.step_count = config, torch.device(device), 0
        self.G = torch.nn.Linear(config.z_dim, 2)
        self.D = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
        self.opt_g = torch.optim.Adam(self.G.parameters(), config.lr)
        self.opt_d = torch.optim.Adam(self.D.parameters(), config.lr)
        self.fixed_z = torch.randn(16, config.z_dim)

    def step(self, batch):
        real = batch[0] if isinstance(batch, (list, tuple)) else batch
        fake = self.G(torch.randn(len(real), self.config.z_dim))
        d_loss = d_loss_bce(self.D(real).squeeze(1), self.D(fake.detach()).squeeze(1))
        self.opt_d.zero_grad()
        d_loss.backward()
        self.opt_d.step()
        g_loss = g_loss_nonsaturating(self.D(fake).squeeze(1))
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        self.step_count += 1
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}

    def state_dict(self):
        return {"G": self.G.state_dict(), "D": self.D.state_dict(), "opt_g": self.opt_g.state_dict(),
                "opt_d": self.opt_d.state_dict(), "fixed_z": self.fixed_z, "step_count": self.step_count}

    def load_state_dict(self, state):
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.fixed_z = state["fixed_z"]
        self.step_count = state["step_count"]

    def sample_grid(self, batch):
        with torch.no_grad():
            return self.G(self.fixed_z)


def points(n=200):
    return TensorDataset(torch.randn(n, 2, generator=torch.Generator().manual_seed(5)) + 3)


def losses(history):
    return [(h["step"], h["d_loss"], h["g_loss"]) for h in history]


def test_resume_reproduces_an_uninterrupted_run(tmp_path):
    torch.manual_seed(0)
    straight = fit(PointsTrainer(), points(), steps=30, batch_size=32, seed=3, progress=False)
    torch.manual_seed(0)
    fit(PointsTrainer(), points(), steps=13, batch_size=32, seed=3, progress=False, out_dir=tmp_path)
    # a new process would start from other RNG states: disturb them all before resuming
    random.seed(99), np.random.seed(99), torch.manual_seed(99)
    resumed = fit(PointsTrainer(), points(), steps=30, batch_size=32, seed=3, progress=False,
                  out_dir=tmp_path, resume=True)
    assert len(resumed) == 30, "the resumed history should include the 13 steps before the interruption"
    for a, b in zip(losses(straight), losses(resumed)):
        assert a[0] == b[0]
        assert a[1:] == pytest.approx(b[1:], rel=1e-6, abs=1e-7), f"step {a[0]} differs after resume"


def test_same_seed_same_run_other_seed_other_run():
    def run(seed):
        torch.manual_seed(0)
        return losses(fit(PointsTrainer(), points(), steps=5, batch_size=32, seed=seed, progress=False))
    assert run(1) == run(1)
    assert run(1) != run(2)


def test_checkpoints_and_sample_grids_are_written(tmp_path):
    fit(PointsTrainer(), points(), steps=6, batch_size=32, out_dir=tmp_path, sample_every=3, checkpoint_every=3,
        progress=False)
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["step_000003.png", "step_000006.png"]
    ckpt = load_checkpoint(tmp_path / "checkpoint.pt")
    assert ckpt["step"] == 6 and len(ckpt["history"]) == 6
    assert ckpt["config"] == {"z_dim": 2, "lr": 1e-2}
    assert ckpt["trainer_class"].endswith("PointsTrainer")


def test_batch_stream_covers_each_epoch_once_and_resumes():
    data = TensorDataset(torch.arange(10.0))
    stream = BatchStream(data, batch_size=3, seed=0)
    epoch = torch.cat([next(stream)[0] for _ in range(3)])  # 9 of the 10 items, no repeats
    assert epoch.unique().numel() == 9
    state = stream.state_dict()
    ahead = [next(stream)[0].tolist() for _ in range(4)]
    other = BatchStream(data, batch_size=3, seed=123)
    other.load_state_dict(state)
    assert [next(other)[0].tolist() for _ in range(4)] == ahead
    with pytest.raises(ValueError, match="at most the dataset size 10; got 11"):
        BatchStream(data, batch_size=11)


def test_rng_state_round_trip():
    state = rng_state()
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    set_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_save_grid_images_and_points(tmp_path):
    from PIL import Image

    path = save_grid(torch.rand(6, 3, 8, 8) * 2 - 1, tmp_path / "g.png", nrow=3)
    assert Image.open(path).size == (3 * 9 + 1, 2 * 9 + 1)  # 3×2 tiles of 8 px with 1 px padding
    assert save_grid(torch.randn(50, 2), tmp_path / "p.png").stat().st_size > 0
    with pytest.raises(ValueError, match=r"got \[4, 3\]"):
        save_grid(torch.zeros(4, 3), tmp_path / "bad.png")


def test_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        fit(PointsTrainer(), points(), steps=2, batch_size=8, resume=tmp_path / "missing.pt", progress=False)
    with pytest.raises(ValueError, match="needs out_dir"):
        fit(PointsTrainer(), points(), steps=2, batch_size=8, resume=True, progress=False)

    class Other(PointsTrainer):
        pass
    save_checkpoint(tmp_path / "c.pt", PointsTrainer())
    with pytest.raises(ValueError, match="written by .*PointsTrainer; this trainer is .*Other"):
        fit(Other(), points(), steps=2, batch_size=8, resume=tmp_path / "c.pt", progress=False)

    class Exploding(PointsTrainer):
        def step(self, batch):
            self.step_count += 1
            return {"d_loss": math.nan}
    with pytest.raises(FloatingPointError, match="non-finite losses"):
        fit(Exploding(), points(), steps=2, batch_size=8, progress=False)


def test_linear_decay_is_flat_then_linear_then_flat():
    from gan_helpers.training import linear_decay
    assert [linear_decay(s, 100, 0.5, 0.2) for s in (0, 49, 50)] == [1.0, 1.0, 1.0]
    assert linear_decay(75, 100, 0.5, 0.2) == pytest.approx(0.6)   # halfway from 1 to 0.2
    assert linear_decay(100, 100, 0.5, 0.2) == pytest.approx(0.2) and linear_decay(500, 100, 0.5, 0.2) == pytest.approx(0.2)
    assert linear_decay(5, 10, 0.0, 0.0) == pytest.approx(0.5)     # decay from the first step
    assert linear_decay(99, 100, 1.0, 0.0) == 1.0                  # decay_start 1: constant
    for args, message in [((-1, 10, 0.5, 0.2), "step: expected a non-negative int; got -1"),
                          ((0, 0, 0.5, 0.2), "steps: expected a positive int; got 0"),
                          ((0, 10, 1.5, 0.2), r"decay_start: expected a fraction in \[0, 1\]; got 1.5"),
                          ((0, 10, 0.5, -0.1), r"final: expected a fraction in \[0, 1\]; got -0.1")]:
        with pytest.raises(ValueError, match=message):
            linear_decay(*args)
