"""Interactive figures for the notebooks.

Every interactive has two faces. With a live front end (JupyterLab, Notebook) it is an ipywidgets
control whose callbacks call plain functions. Without one (nbclient, nbval, the autograder, a
static HTML view) widget callbacks never run, so the same call draws a static figure instead.
The figures are drawn by plain functions that tests call directly.

Set ``GAN_COURSE_WIDGETS=live`` or ``GAN_COURSE_WIDGETS=static`` to force one face.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch

from gan_helpers.toy1d import OneDGame

WIDGETS_ENV = "GAN_COURSE_WIDGETS"


def front_end_attached() -> bool:
    """True when a notebook front end that can run widget callbacks is attached to this kernel.

    Jupyter Server (behind JupyterLab and Notebook 7) starts each kernel with ``JPY_SESSION_NAME``
    set; headless runners (nbclient, nbval, nbgrader) do not. ``GAN_COURSE_WIDGETS`` overrides.
    """
    forced = os.environ.get(WIDGETS_ENV, "").strip().lower()
    if forced in {"live", "static"}:
        return forced == "live"
    if forced:
        raise ValueError(f"{WIDGETS_ENV} must be 'live' or 'static'; got {forced!r}")
    return bool(os.environ.get("JPY_SESSION_NAME"))


def show_in(out, fig: plt.Figure) -> None:
    """Show ``fig`` in the ipywidgets ``Output`` ``out`` in place of what it showed, then close ``fig``.

    Every live widget of the course redraws this way: a closed figure is not drawn a second time by
    the inline backend, and ``clear_output(wait=True)`` avoids a flicker between the two frames.
    """
    from IPython.display import display

    with out:
        out.clear_output(wait=True)
        display(fig)
    plt.close(fig)


def plot_game(game: OneDGame, ax: plt.Axes | None = None, n_samples: int = 4000,
              x_range: tuple[float, float] = (-5.0, 5.0)) -> plt.Axes:
    """Draw one moment of the 1-D game: real density, a histogram of G's samples, D's P(real) curve."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    display_rng = torch.Generator().manual_seed(1234)  # same noise every frame: only G's change shows
    c = game.config
    xs = torch.linspace(*x_range, 400)
    real_pdf = torch.exp(-0.5 * ((xs - c.real_mean) / c.real_std) ** 2) / (c.real_std * (2 * torch.pi) ** 0.5)
    fake = game.sample_fake(n_samples, generator=display_rng).clamp(*x_range)
    ax.fill_between(xs, real_pdf, color="tab:blue", alpha=0.25, label="real data density")
    ax.hist(fake.numpy(), bins=60, range=x_range, density=True, color="tab:orange", alpha=0.6,
            label="G's samples")
    ax.set_xlim(*x_range)
    ax.set_ylim(0, max(1.0, float(real_pdf.max()) * 1.15))
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax2 = ax.twinx()
    ax2.plot(xs, game.d_prob(xs), color="black", lw=2, label="D(x) = P(real)")
    ax2.axhline(0.5, color="grey", ls=":", lw=1)
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel("D(x)")
    last = game.history[-1] if game.history else None
    losses = f"  d_loss {last.d_loss:.3f}, g_loss {last.g_loss:.3f}" if last else ""
    ax.set_title(f"step {game.steps}{losses}", fontsize=10)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    return ax


def game_snapshots(game: OneDGame, at_steps: Sequence[int]) -> plt.Figure:
    """Train ``game`` and draw it at each step count in ``at_steps`` (increasing), side by side."""
    at_steps = list(at_steps)
    if not at_steps or any(b <= a for a, b in zip(at_steps, at_steps[1:])) or at_steps[0] < game.steps:
        raise ValueError(f"at_steps must be increasing and start at or after step {game.steps}; got {at_steps}")
    fig, axes = plt.subplots(1, len(at_steps), figsize=(4.2 * len(at_steps), 3.2), squeeze=False)
    for ax, target in zip(axes[0], at_steps):
        game.run(target - game.steps)
        plot_game(game, ax)
    fig.tight_layout()
    return fig


def game_widget(game: OneDGame):
    """An ipywidgets control: buttons train one step, ten steps, or reset; the figure redraws."""
    import ipywidgets as widgets

    out = widgets.Output()
    buttons = {label: widgets.Button(description=label) for label in ("1 step", "10 steps", "Reset")}

    def redraw() -> None:
        show_in(out, plot_game(game).figure)

    def on_click(button) -> None:
        if button.description == "Reset":
            game.reset()
        else:
            game.run(1 if button.description == "1 step" else 10)
        redraw()

    for button in buttons.values():
        button.on_click(on_click)
    redraw()
    return widgets.VBox([widgets.HBox(list(buttons.values())), out])


def show_game(game: OneDGame, static_steps: Sequence[int] = (0, 40, 300, 1500)) -> None:
    """Show the 1-D game: the live widget with a front end, else snapshots at ``static_steps``."""
    from IPython.display import display

    if front_end_attached():
        display(game_widget(game))
    else:
        fig = game_snapshots(game, static_steps)
        display(fig)
        plt.close(fig)
