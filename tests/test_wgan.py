"""gan_helpers.wgan: the WGAN-GP critic, the penalty's closed form, and the trainer."""

import dataclasses
import io
import math

import pytest
import torch
import torch.nn as nn

from gan_helpers.dcgan import DCGANGenerator
from gan_helpers.wgan import WGANCritic, WGANGPConfig, WGANGPTrainer, gradient_penalty


pytestmark = pytest.mark.usefixtures("one_thread")


def config(name: str, resolution: int | None = None, **changes) -> WGANGPConfig:
    cfg = WGANGPConfig.preset(name)
    if resolution is not None:
        changes["resolution"] = resolution
    return dataclasses.replace(cfg, **changes) if changes else cfg


def images(n: int, cfg: WGANGPConfig, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, cfg.channels, cfg.resolution, cfg.resolution, generator=g) * 2 - 1


def test_paper_preset_has_the_papers_hyperparameters():
    cfg = config("paper")
    assert cfg.gp_weight == 10.0 and cfg.n_critic == 5
    assert cfg.lr == pytest.approx(1e-4) and cfg.betas == (0.0, 0.9)
    assert (cfg.resolution, cfg.channels, cfg.critic_norm) == (64, 3, "layer")
    trainer = WGANGPTrainer(config("tiny"))
    group = trainer.opt_critic.param_groups[0]
    assert group["lr"] == pytest.approx(1e-4) and group["betas"] == (0.0, 0.9)


@pytest.mark.parametrize("name", ["tiny", "paper"])
@pytest.mark.parametrize("resolution", [32, 64])
def test_shapes_at_two_resolutions(name, resolution):
    torch.manual_seed(0)
    cfg = config(name, resolution)
    G, critic = DCGANGenerator(cfg.architecture()), WGANCritic(cfg)
    x = G(torch.randn(2, cfg.z_dim))
    assert x.shape == (2, cfg.channels, resolution, resolution)
    scores = critic(x)
    assert scores.shape == (2,), f"the critic must return one score per image; got {list(scores.shape)}"


@pytest.mark.parametrize("norm", ["layer", "none"])
def test_no_batch_norm_anywhere_in_the_critic(norm):
    cfg = config("tiny", 64, critic_norm=norm)
    critic = WGANCritic(cfg)
    batch_norms = [m for m in critic.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert not batch_norms, f"batch norm in a WGAN-GP critic: {batch_norms}"
    layer_norms = [m for m in critic.modules() if isinstance(m, nn.GroupNorm)]
    if norm == "layer":
        assert len(layer_norms) == 3 and all(m.num_groups == 1 for m in layer_norms)  # 32→16→8→4 blocks
    else:
        assert not layer_norms
    assert not any(isinstance(m, nn.Sigmoid) for m in critic.modules())


def test_each_score_depends_on_its_own_image_only():
    """What batch norm would break: changing other images must not change an image's score."""
    torch.manual_seed(0)
    cfg = config("tiny")
    critic = WGANCritic(cfg)
    x = images(4, cfg)
    y = x.clone()
    y[1:] = images(3, cfg, seed=1)
    torch.testing.assert_close(critic(y)[0], critic(x)[0])
    torch.testing.assert_close(critic(x[:1]), critic(x)[:1])


@pytest.mark.parametrize("w_norm", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("weight", [10.0, 1.0])
def test_gradient_penalty_of_a_linear_critic_has_its_closed_form(w_norm, weight):
    """D(x) = w·x + b has gradient w at every x̂, so the penalty is λ(‖w‖ − 1)² whatever the mixing."""
    g = torch.Generator().manual_seed(0)
    shape = (1, 4, 4)
    w = torch.randn(shape, generator=g)
    w = w * (w_norm / w.norm())
    b = 0.7
    critic = lambda x: (x * w).flatten(1).sum(1) + b  # noqa: E731
    real, fake = torch.randn(6, *shape, generator=g), torch.randn(6, *shape, generator=g)
    gp = gradient_penalty(critic, real, fake, weight=weight)
    torch.testing.assert_close(gp, torch.tensor(weight * (w_norm - 1) ** 2), rtol=1e-5, atol=1e-6)


def test_bad_configs_and_batches_raise_clear_errors():
    with pytest.raises(ValueError, match=r"WGANGPConfig.critic_norm: expected one of \['layer', 'none'\] "
                                         r"\(never batch norm in a WGAN-GP critic\); got 'batch'"):
        WGANGPConfig(critic_norm="batch")
    with pytest.raises(ValueError, match="WGANGPConfig.resolution: expected a power of two from 32 up; got 48"):
        WGANGPConfig(resolution=48)
    with pytest.raises(ValueError, match=r"unknown WGAN-GP preset 'dcgan'; expected one of \['paper', 'tiny'\]"):
        WGANGPConfig.preset("dcgan")
    with pytest.raises(ValueError, match="WGANGPConfig.n_critic: expected a positive int; got 0"):
        WGANGPConfig(n_critic=0)
    with pytest.raises(ValueError, match="WGANGPConfig.gp_weight: expected a number ≥ 0; got -1"):
        WGANGPConfig(gp_weight=-1)
    with pytest.raises(ValueError, match=r"WGANGPConfig.betas: expected two numbers in \[0, 1\); got \(0.5,\)"):
        WGANGPConfig(betas=(0.5,))
    cfg = config("tiny")
    with pytest.raises(ValueError, match=r"WGANCritic input: expected images of shape \[B, 1, 32, 32\]; "
                                         r"got \[2, 3, 32, 32\]"):
        WGANCritic(cfg)(torch.zeros(2, 3, 32, 32))
    torch.manual_seed(0)
    trainer = WGANGPTrainer(cfg)
    with pytest.raises(ValueError, match="expected at least n_critic = 5 images .*; got 4"):
        trainer.step(images(4, cfg))
    with pytest.raises(ValueError, match=r"expected pixel values in \[-1, 1\]"):
        trainer.step(images(10, cfg) * 3)
    assert trainer.step_count == 0
    with pytest.raises(ValueError, match="checkpoint was made with config"):
        trainer.load_state_dict(WGANGPTrainer(dataclasses.replace(cfg, gp_weight=1.0)).state_dict())


def _run(trainer: WGANGPTrainer, batches: list[torch.Tensor]) -> list[dict[str, float]]:
    return [trainer.step(b) for b in batches]


def test_short_training_run_is_finite_changes_and_adds_up():
    torch.manual_seed(0)
    cfg = config("tiny")
    trainer = WGANGPTrainer(cfg)
    critic_steps, g_steps = [], []
    trainer.opt_critic.register_step_pre_hook(lambda opt, a, k: critic_steps.append(
        [p.detach().clone() for p in trainer.G.parameters()]))
    trainer.opt_G.register_step_pre_hook(lambda opt, a, k: g_steps.append(
        [p.detach().clone() for p in trainer.critic.parameters()]))
    G_start = [p.detach().clone() for p in trainer.G.parameters()]

    logs = _run(trainer, [images(10, cfg, seed=i) for i in range(3)])   # 5 critic steps on 2 images each
    assert trainer.step_count == 3
    assert len(critic_steps) == 15 and len(g_steps) == 3, "n_critic = 5 critic steps per generator step"
    for p, q in zip(critic_steps[4], G_start):   # the first 5 critic steps leave G alone
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    for p, q in zip(g_steps[-1], trainer.critic.parameters()):   # the G step leaves the critic alone
        torch.testing.assert_close(p, q.detach(), rtol=0, atol=0)
    for key in ("critic_loss", "g_loss", "gp", "wasserstein_estimate"):
        values = [log[key] for log in logs]
        assert all(math.isfinite(v) for v in values), f"{key}: {values}"
        assert max(values) - min(values) > 1e-5, f"{key} did not change over 3 steps: {values}"
    for log in logs:
        assert log["gp"] >= 0
        assert log["critic_loss"] == pytest.approx(log["gp"] - log["wasserstein_estimate"], abs=1e-5)
    assert trainer.sample_grid().shape == (64, 1, 32, 32)
    samples = trainer.sample(3)
    assert samples.shape == (3, 1, 32, 32) and samples.abs().max() <= 1.0 and trainer.G.training


def test_resume_reproduces_an_uninterrupted_run():
    cfg = config("tiny")
    batches = [images(5, cfg, seed=20 + i) for i in range(4)]
    torch.manual_seed(0)
    full = _run(WGANGPTrainer(cfg), batches)

    torch.manual_seed(0)
    first = WGANGPTrainer(cfg)
    _run(first, batches[:2])
    buffer = io.BytesIO()
    torch.save({"trainer": first.state_dict(), "rng": torch.get_rng_state()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)

    torch.manual_seed(321)
    resumed = WGANGPTrainer(cfg)
    resumed.load_state_dict(saved["trainer"])
    torch.set_rng_state(saved["rng"])
    assert resumed.step_count == 2
    rest = _run(resumed, batches[2:])
    for step, (a, b) in enumerate(zip(full[2:], rest), start=3):
        for key in a:
            assert b[key] == pytest.approx(a[key], abs=1e-6), f"step {step} {key}: {b[key]} vs {a[key]}"
