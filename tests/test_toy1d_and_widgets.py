"""The 1-D game of chapter 0 and its widget: logic tested as plain functions, as the notebook uses it."""

import math

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from gan_helpers.toy1d import GameConfig, OneDGame  # noqa: E402
from gan_helpers.widgets import front_end_attached, game_snapshots, game_widget, show_game  # noqa: E402


def test_game_starts_far_from_the_data_and_is_deterministic():
    a, b = OneDGame(GameConfig(seed=3)), OneDGame(GameConfig(seed=3))
    assert a.distance() == pytest.approx(math.hypot(4.0, 0.5))
    a.run(20)
    b.run(20)
    assert [r.d_loss for r in a.history] == [r.d_loss for r in b.history]
    a.reset()
    assert a.steps == 0 and a.distance() == pytest.approx(math.hypot(4.0, 0.5))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_game_reaches_the_data_and_the_equilibrium_losses(seed):
    game = OneDGame(GameConfig(seed=seed))
    records = game.run(1500)
    late = records[-500:]
    mean_shift = sum(r.shift for r in late) / len(late)
    mean_scale = sum(r.scale for r in late) / len(late)
    assert abs(mean_shift - 2.0) < 0.05, f"seed {seed}: G's shift averages {mean_shift:.3f}; data mean is 2"
    assert abs(mean_scale - 0.5) < 0.12, f"seed {seed}: G's scale averages {mean_scale:.3f}; data std is 0.5"
    d_late = sum(r.d_loss for r in late) / len(late)
    g_late = sum(r.g_loss for r in late) / len(late)
    assert d_late == pytest.approx(2 * math.log(2), abs=0.01)
    assert g_late == pytest.approx(math.log(2), abs=0.01)
    probs = game.d_prob(torch.linspace(1.0, 3.0, 21))
    assert ((probs - 0.5).abs() < 0.08).all(), f"D is not near 1/2 on the data: {probs}"


def test_discriminator_step_does_not_move_the_generator():
    game = OneDGame()
    before = [p.detach().clone() for p in game.G.parameters()]
    d_before = [p.detach().clone() for p in game.D.parameters()]
    game.d_step(game.sample_real(64), game.G(torch.randn(64)))  # fakes still attached to G's graph
    assert all(p.grad is None for p in game.G.parameters())
    assert all(torch.equal(p, q) for p, q in zip(before, game.G.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(d_before, game.D.parameters())), "D did not move"


def test_config_rejects_nonsense():
    with pytest.raises(ValueError, match="real_std"):
        GameConfig(real_std=0)
    with pytest.raises(ValueError, match="batch_size"):
        GameConfig(batch_size=1)
    with pytest.raises(ValueError, match="non-negative"):
        OneDGame().run(-1)


def test_front_end_detection(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_WIDGETS", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert not front_end_attached()
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/learner/ch00.ipynb")
    assert front_end_attached()
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")
    assert not front_end_attached()
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "sometimes")
    with pytest.raises(ValueError, match="live' or 'static"):
        front_end_attached()


def test_static_snapshots_train_to_each_step():
    game = OneDGame()
    fig = game_snapshots(game, [0, 5, 20])
    assert game.steps == 20
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "step 0" and titles[1].startswith("step 5 ") and titles[2].startswith("step 20 ")
    with pytest.raises(ValueError, match="increasing"):
        game_snapshots(game, [30, 25])


def test_show_game_headless_draws_the_static_figure(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_WIDGETS", "static")
    game = OneDGame()
    show_game(game, static_steps=(0, 3))
    assert game.steps == 3


def test_widget_buttons_train_and_reset():
    game = OneDGame()
    box = game_widget(game)
    buttons = {b.description: b for b in box.children[0].children}
    buttons["1 step"].click()
    assert game.steps == 1
    buttons["10 steps"].click()
    assert game.steps == 11
    buttons["Reset"].click()
    assert game.steps == 0
