"""The command line: ``python -m gan_helpers {train,sample,presets}``.

Train the reference DCGAN on the digits that ship with scikit-learn (about a minute on a laptop CPU)::

    python -m gan_helpers train --model dcgan --data digits --out runs/dcgan

Continue it later (same batches and noise as an uninterrupted run), then draw samples::

    python -m gan_helpers train --model dcgan --data digits --out runs/dcgan --steps 2000 --resume
    python -m gan_helpers sample --checkpoint runs/dcgan/checkpoint.pt --n 64 --out samples.png

On a GPU with your own data, pick a paper preset::

    python -m gan_helpers train --model stylegan2 --preset config-f --data folder:/data/ffhq \\
        --resolution 1024 --batch-size 32 --steps 100000 --device cuda --out runs/ffhq

On several GPUs (or several CPU processes) start the same command with ``torchrun``: ``--batch-size``
is the global batch, split evenly over the processes, and rank 0 alone writes files::

    torchrun --nproc_per_node=8 -m gan_helpers train --model stylegan2 --preset config-f \\
        --data folder:/data/ffhq --resolution 1024 --batch-size 32 --precision bf16 --out runs/ffhq

``python -m gan_helpers presets`` lists every model, its presets and its default data.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from gan_helpers.course import choose_device


@dataclass(frozen=True)
class Family:
    """Where a model family lives and what the command line trains it on by default."""

    module: str
    config: str
    trainer: str
    data: str
    steps: int          # tiny-preset default: about a minute on a 2-core CPU
    batch_size: int
    about: str

    def classes(self):
        mod = importlib.import_module(self.module)
        return getattr(mod, self.config), getattr(mod, self.trainer)


FAMILIES: dict[str, Family] = {
    "dcgan": Family("gan_helpers.dcgan", "DCGANConfig", "DCGANTrainer", "digits", 600, 64,
                    "DCGAN (Radford et al. 2015): strided convs, batch norm, BCE from logits"),
    "wgan-gp": Family("gan_helpers.wgan", "WGANGPConfig", "WGANGPTrainer", "digits", 300, 320,
                      "WGAN-GP (Gulrajani et al. 2017): critic without batch norm, gradient penalty, n_critic"),
    "stylegan2": Family("gan_helpers.stylegan2", "StyleGAN2Config", "StyleGAN2Trainer", "digits", 200, 16,
                        "StyleGAN2 (Karras et al. 2019): mapping net, modulated convs, lazy R1, path length, EMA"),
    "conditional": Family("gan_helpers.conditional", "ConditionalConfig", "ConditionalTrainer", "digits", 9000, 64,
                          "class-conditional GAN (embedding + concatenation or projection discriminator)"),
    "cyclegan": Family("gan_helpers.cyclegan", "CycleGANConfig", "CycleGANTrainer", "strokes", 200, 8,
                       "CycleGAN (Zhu et al. 2017): two ResNet generators, PatchGANs, cycle + identity losses"),
    "pix2pix": Family("gan_helpers.pix2pix", "Pix2PixConfig", "Pix2PixTrainer", "strokes-paired", 300, 8,
                      "pix2pix (Isola et al. 2017): U-Net generator, conditional PatchGAN, L1 weight 100"),
    "toy2d": Family("gan_helpers.toy2d", "Toy2DConfig", "Toy2DTrainer", "ring8", 2000, 512,
                    "MLP GANs on 2-D mixtures of Gaussians (chapter 4's mode-collapse lab)"),
}


TOY_DATA = ("ring8", "grid25", "spirals")


def family(name: str) -> Family:
    if name not in FAMILIES:
        raise SystemExit(f"unknown model {name!r}; expected one of {', '.join(FAMILIES)}")
    return FAMILIES[name]


def _fit_config_to_data(config, dataset):
    """Set the config's channels (``channels``, ``img_channels``, ``in_channels``/``out_channels``) and
    ``resolution`` from the data.

    Looks at the first item of ``dataset``: an image ``[C, R, R]``, an ``(image, label)`` pair or an
    ``(a, b)`` pair of images (image-to-image models); points ``[2]`` change nothing.
    """
    item = dataset[0]
    parts = list(item) if isinstance(item, (tuple, list)) else [item]
    images = [p for p in parts if isinstance(p, torch.Tensor) and p.dim() == 3]
    if not images:
        return config
    names = {f.name for f in dataclasses.fields(config)}
    c_in, c_out = images[0].shape[0], images[-1].shape[0]
    wanted = {"channels": c_in, "img_channels": c_in, "in_channels": c_in, "out_channels": c_out,
              "resolution": images[0].shape[-1]}
    changes = {k: int(v) for k, v in wanted.items() if k in names and getattr(config, k) != v}
    return dataclasses.replace(config, **changes) if changes else config


def _config_from_dict(config_cls, values: dict):
    """Rebuild a frozen config from a checkpoint's plain dict (lists back to tuples)."""
    fields = {f.name for f in dataclasses.fields(config_cls)}
    clean = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in fields}
    return config_cls(**clean)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gan_helpers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a model (tiny CPU defaults; paper presets for GPUs)",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument("--model", required=True, choices=list(FAMILIES), help="model family")
    train.add_argument("--data", default=None,
                       help="dataset spec: digits, ring8, grid25, spirals, strokes, strokes-paired, mnist:PATH, "
                            "fashion-mnist:PATH, cifar10:PATH, celeba:PATH, folder:PATH, unpaired:PATH "
                            "(default: the model's own offline default, see `presets`)")
    train.add_argument("--preset", default="tiny", help="configuration preset (see `presets`)")
    train.add_argument("--resolution", type=int, default=None,
                       help="resize images to this side (default: the preset's resolution, or the data's own)")
    train.add_argument("--steps", type=int, default=None, help="total training steps (default: the model's tiny "
                                                                "default, about a minute on a laptop CPU)")
    train.add_argument("--batch-size", type=int, default=None, help="batch size (default: the model's own)")
    train.add_argument("--out", default=None, help="run directory for samples/ and checkpoint.pt "
                                                   "(default: runs/<model>-<data>)")
    train.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.pt if it exists")
    train.add_argument("--sample-every", type=int, default=100, help="write a sample grid every N steps")
    train.add_argument("--checkpoint-every", type=int, default=500, help="write checkpoint.pt every N steps")
    train.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:1, mps")
    train.add_argument("--seed", type=int, default=0, help="seed for weights, noise and batch order")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    train.add_argument("--precision", choices=["fp32", "bf16"], default=None,
                       help="bf16: bfloat16 autocast on CUDA (fp32 elsewhere); default fp32, or the "
                            "checkpoint's when resuming")
    train.add_argument("--sync-batchnorm", action="store_true",
                       help="under torchrun on GPUs: batch-norm statistics over the global batch (SyncBatchNorm)")

    sample = sub.add_parser("sample", help="draw a sample grid from a checkpoint",
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sample.add_argument("--checkpoint", required=True, help="a checkpoint.pt written by `train`")
    sample.add_argument("--n", type=int, default=64, help="number of samples (unconditional models)")
    sample.add_argument("--out", default="samples.png", help="PNG file to write")
    sample.add_argument("--seed", type=int, default=0, help="seed for the noise")
    sample.add_argument("--device", default="auto", help="device to sample on")
    sample.add_argument("--truncation", type=float, default=None,
                        help="StyleGAN2 truncation ψ (0.7 is typical; 1 = none)")

    sub.add_parser("presets", help="list models, presets and default data")
    return parser


def cmd_presets() -> int:
    for name, fam in FAMILIES.items():
        config_cls, _ = fam.classes()
        mod = importlib.import_module(fam.module)
        table = next((v for k, v in vars(mod).items() if k.endswith("_PRESETS") and isinstance(v, dict)), {})
        print(f"{name:12s} {fam.about}")
        print(f"{'':12s} presets: {', '.join(table) or 'see ' + fam.module}; default data: {fam.data}; "
              f"tiny defaults: {fam.steps} steps, batch {fam.batch_size}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from gan_helpers import distributed
    from gan_helpers.course import seed_everything
    from gan_helpers.data import make_dataset
    from gan_helpers.training import fit

    fam = family(args.model)
    config_cls, trainer_cls = fam.classes()
    config = config_cls.preset(args.preset)
    data = args.data or fam.data
    resolution = args.resolution
    if resolution is None and not data.startswith(TOY_DATA):
        resolution = getattr(config, "resolution", None)  # e.g. the tiny presets read the digits at 32×32
    dataset = make_dataset(data, resolution=resolution, split="train")
    config = _fit_config_to_data(config, dataset)
    device = distributed.device_for_rank(args.device)   # under torchrun: the GPU of this LOCAL_RANK
    distributed.init_from_env(device)                   # under torchrun: join the process group
    seed_everything(args.seed)                          # the same initial weights on every rank
    trainer = trainer_cls(config, device=device)
    out = Path(args.out or f"runs/{args.model}-{data.split(':')[0]}")
    try:
        history = fit(trainer, dataset, steps=args.steps or fam.steps, batch_size=args.batch_size or fam.batch_size,
                      out_dir=out, sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
                      resume=args.resume, seed=args.seed, progress=not args.no_progress,
                      precision=args.precision, sync_batchnorm=args.sync_batchnorm,
                      extra={"model": args.model, "preset": args.preset, "data": data, "resolution": resolution})
    finally:
        world = distributed.world_size()
        main = distributed.is_main()
        distributed.cleanup()
    if main:
        last = history[-1] if history else {}
        where = f"{world} processes ({device.type})" if world > 1 else str(device)
        print(f"trained {args.model} to step {trainer.step_count} on {where}; last losses: "
              + ", ".join(f"{k}={v:.4f}" for k, v in last.items() if k != "step"))
        print(f"samples in {out / 'samples'}, checkpoint {out / 'checkpoint.pt'}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from gan_helpers.data import make_dataset
    from gan_helpers.training import load_checkpoint, save_grid

    ckpt = load_checkpoint(args.checkpoint)
    extra = ckpt.get("extra") or {}
    if "model" not in extra:
        raise SystemExit(f"{args.checkpoint} was not written by `python -m gan_helpers train` (no model recorded)")
    fam = family(extra["model"])
    config_cls, trainer_cls = fam.classes()
    device = choose_device(args.device)
    trainer = trainer_cls(_config_from_dict(config_cls, ckpt["config"]), device=device)
    trainer.load_state_dict(ckpt["trainer"])
    torch.manual_seed(args.seed)
    if args.truncation is not None and extra["model"] != "stylegan2":
        raise SystemExit("--truncation applies to stylegan2 only")
    if args.truncation is not None:
        images = trainer.sample(args.n, truncation_psi=args.truncation)
    elif extra["model"] == "conditional":
        images = trainer.sample_grid(None)  # one row per class
    elif hasattr(trainer, "sample"):
        images = trainer.sample(args.n)
    else:  # image-to-image models translate held-out inputs
        dataset = make_dataset(extra["data"], resolution=extra.get("resolution"), split="test")
        from torch.utils.data import default_collate

        batch = default_collate([dataset[i] for i in range(min(args.n, len(dataset)))])
        images = trainer.sample_grid(batch)
    path = save_grid(images, args.out)
    print(f"wrote {len(images)} samples from step {ckpt['step']} to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "presets":
        return cmd_presets()
    if args.command == "train":
        return cmd_train(args)
    return cmd_sample(args)


if __name__ == "__main__":
    sys.exit(main())
