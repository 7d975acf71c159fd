"""Every model family through the shared loop and the command line: finite losses, exact resume, samples.

The family modules test their own networks; this file checks that each trainer keeps the contract
`gan_helpers.training.fit` relies on, on the offline data the command line trains it on.
"""

import dataclasses

import pytest
import torch

from gan_helpers.cli import FAMILIES, _fit_config_to_data, main
from gan_helpers.data import make_dataset
from gan_helpers.training import fit, load_checkpoint

BATCH = {"toy2d": 64, "wgan-gp": 10}  # every other family trains on 4 images per step here


pytestmark = pytest.mark.usefixtures("one_thread")


def build(name):
    fam = FAMILIES[name]
    config_cls, trainer_cls = fam.classes()
    config = config_cls.preset("tiny")
    resolution = None if fam.data in ("ring8", "grid25", "spirals") else getattr(config, "resolution", None)
    dataset = make_dataset(fam.data, resolution=resolution, split="train")
    return trainer_cls, _fit_config_to_data(config, dataset), dataset


def run(name, steps, **kwargs):
    trainer_cls, config, dataset = build(name)
    torch.manual_seed(0)
    trainer = trainer_cls(config, device="cpu")
    history = fit(trainer, dataset, steps=steps, batch_size=BATCH.get(name, 4), seed=1, progress=False, **kwargs)
    return trainer, history


@pytest.mark.parametrize("name", list(FAMILIES))
def test_family_trains_and_resumes_exactly(name, tmp_path):
    trainer, straight = run(name, 4)
    keys = [k for k in straight[0] if k != "step"]
    for record in straight:
        for k in keys:
            assert torch.isfinite(torch.tensor(record[k])), f"{name}: {k} is not finite at step {record['step']}"
    assert any(straight[0][k] != straight[-1][k] for k in keys), f"{name}: no loss changed in 4 steps"
    run(name, 2, out_dir=tmp_path)
    torch.manual_seed(123)  # a fresh process would not share the first run's RNG state
    _, resumed = run(name, 4, out_dir=tmp_path, resume=True)
    for a, b in zip(straight, resumed):
        for k in keys:
            assert a[k] == pytest.approx(b[k], rel=1e-5, abs=1e-6), f"{name}: {k} differs at step {a['step']}"
    grid = trainer.sample_grid(None if name != "cyclegan" and name != "pix2pix" else next(iter(
        torch.utils.data.DataLoader(build(name)[2], batch_size=2))))
    assert grid.dim() in (2, 4) and bool(torch.isfinite(grid).all())
    assert float(grid.abs().max()) <= 1.0 + 1e-5 or grid.dim() == 2, f"{name}: sample grid outside [-1, 1]"


def test_command_line_trains_resumes_and_samples(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--model", "dcgan", "--steps", "3", "--batch-size", "8", "--out", str(out),
                 "--no-progress", "--sample-every", "2"]) == 0
    assert main(["train", "--model", "dcgan", "--steps", "5", "--batch-size", "8", "--out", str(out),
                 "--no-progress", "--resume"]) == 0
    ckpt = load_checkpoint(out / "checkpoint.pt")
    assert ckpt["step"] == 5 and len(ckpt["history"]) == 5
    assert ckpt["extra"] == {"model": "dcgan", "preset": "tiny", "data": "digits", "resolution": 32}
    # every 2 steps in the first run, and at the end of each run
    assert {p.name for p in (out / "samples").iterdir()} == {"step_000002.png", "step_000003.png",
                                                             "step_000005.png"}
    assert main(["sample", "--checkpoint", str(out / "checkpoint.pt"), "--n", "9", "--out",
                 str(tmp_path / "s.png")]) == 0
    assert "wrote 9 samples from step 5" in capsys.readouterr().out
    assert main(["presets"]) == 0
    listing = capsys.readouterr().out
    for name in FAMILIES:
        assert name in listing


def test_command_line_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--model", "biggan"])
    assert "invalid choice: 'biggan'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown DCGAN preset 'huge'"):
        main(["train", "--model", "dcgan", "--preset", "huge", "--out", str(tmp_path)])
    with pytest.raises(ValueError, match="unknown dataset spec 'imagenet'"):
        main(["train", "--model", "dcgan", "--data", "imagenet", "--out", str(tmp_path)])
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        main(["sample", "--checkpoint", str(tmp_path / "nope.pt")])


def test_config_follows_the_data():
    trainer_cls, config, _ = build("pix2pix")
    assert (config.in_channels, config.out_channels, config.resolution) == (1, 1, 32)
    _, config, _ = build("cyclegan")
    assert (config.channels, config.resolution) == (1, 32)
    assert dataclasses.is_dataclass(config)
