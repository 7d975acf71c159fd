"""Wrong implementations for chapter 3: the training step, the gradient penalty, the WGAN-GP step,
and the lab's diagnosis.

Which test cells each train_step mistake loses follows from what the cells observe:

* ``train_step_runs``: one call on fresh networks (types, d_loss of a guessing D, g_loss near ln 2,
  both networks changed);
* ``train_step_losses``: the values against a D that is right about real and fake data (labels);
* ``train_step_isolation``: recording optimisers (one step each, D first, no gradient on G at D's
  step, D unchanged after its step, no left-over gradients used).
"""

from tests.catalogue import Mistake

STEP = "train_step_solution"
GP = "gp_solution"
WGAN = "wgan_step_solution"
ALL_STEP_CELLS = ("train_step_runs", "train_step_losses", "train_step_isolation")

D_STEP_FAKES = "fake_logits = D(fake.detach())"
D_REAL_TERM = "F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))"
D_FAKE_TERM = "F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))"
G_LOSS = "g_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))"
EPS = "eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device)"

MISTAKES = [
    Mistake(
        name="no-detach",
        cell=STEP,
        patches=((D_STEP_FAKES, "fake_logits = D(fake)"),),
        loses=ALL_STEP_CELLS,
        why="no .detach() in the D step: its backward pass frees G's graph, and the G step's backward "
            "through the same fakes then fails",
    ),
    Mistake(
        name="no-detach-fresh-fakes",
        cell=STEP,
        patches=((D_STEP_FAKES, "fake_logits = D(fake)"),
                 ("    fake_logits = D(fake)\n    g_loss",
                  "    fake_logits = D(G(torch.randn(real_batch.shape[0], z_dim)))\n    g_loss")),
        loses=("train_step_isolation",),
        why="no .detach() in the D step, fresh fakes for the G step: no crash, but the D step's backward "
            "pass runs through G and leaves gradients on it",
    ),
    Mistake(
        name="no-zero-grad",
        cell=STEP,
        patches=(("    opt_D.zero_grad()\n", ""), ("    opt_G.zero_grad()\n", "")),
        loses=("train_step_isolation",),
        why="zero_grad forgotten: gradients accumulate across calls (the G step's pass leaves some on D)",
    ),
    Mistake(
        name="g-target-zero",
        cell=STEP,
        patches=((G_LOSS, G_LOSS.replace("torch.ones_like", "torch.zeros_like")),),
        loses=("train_step_losses",),
        why="the G step uses D's label for fakes (target 0), training G to look fake",
    ),
    Mistake(
        name="d-labels-swapped",
        cell=STEP,
        patches=((D_REAL_TERM, D_REAL_TERM.replace("torch.ones_like", "torch.zeros_like")),
                 (D_FAKE_TERM, D_FAKE_TERM.replace("torch.zeros_like", "torch.ones_like"))),
        loses=("train_step_losses",),
        why="the D step labels real data 0 and fakes 1",
    ),
    Mistake(
        name="detach-everywhere",
        cell=STEP,
        patches=(("fake = G(z)  ", "fake = G(z).detach()  "),),
        loses=("train_step_runs",),
        why="the fakes detached once for both steps, so the G step's loss never reaches G",
    ),
    Mistake(
        name="one-optimiser-for-both",
        cell=STEP,
        patches=(("    z = torch.randn",
                  "    opt = torch.optim.Adam(list(G.parameters()) + list(D.parameters()), lr=2e-4, betas=(0.5, 0.999))\n"
                  "    z = torch.randn"),
                 ("opt_D.zero_grad()", "opt.zero_grad()"), ("opt_D.step()", "opt.step()"),
                 ("opt_G.zero_grad()", "opt.zero_grad()"), ("opt_G.step()", "opt.step()")),
        loses=("train_step_isolation",),
        why="one optimiser over both networks: the G step also moves D, to help G fool it",
    ),
    Mistake(
        name="gp-no-create-graph",
        cell=GP,
        patches=((", create_graph=True)", ")"),),
        loses=("gp_values",),
        why="the penalty's gradient taken without create_graph: a constant that does not constrain the critic",
    ),
    Mistake(
        name="gp-one-eps-for-the-batch",
        cell=GP,
        patches=((EPS, "eps = torch.rand(1, device=real.device)"),),
        loses=("gp_values",),
        why="one interpolation factor for the whole batch",
    ),
    Mistake(
        name="gp-eps-per-pixel",
        cell=GP,
        patches=((EPS, "eps = torch.rand_like(real)"),),
        loses=("gp_values",),
        why="an interpolation factor per pixel: the interpolates leave the real-fake segments",
    ),
    Mistake(
        name="gp-gradient-of-mean",
        cell=GP,
        patches=(("scores.sum()", "scores.mean()"),),
        loses=("gp_values",),
        why="the gradient of C(x_hat).mean(): every sample's gradient divided by the batch size",
    ),
    Mistake(
        name="wgan-critic-loss-flipped",
        cell=WGAN,
        patches=(("critic(fake.detach()).mean() - critic(real_batch).mean()",
                  "critic(real_batch).mean() - critic(fake.detach()).mean()"),),
        loses=("wgan_step",),
        why="the critic's loss with the sign flipped: it pushes real scores down",
    ),
    Mistake(
        name="lab-b-vanishing",
        cell="answer_lab_b",
        patches=(('answer_lab_b = "a"', 'answer_lab_b = "c"'),),
        loses=("check_lab_b",),
        why="reads the over-trained D of run (b) as starving G, as the saturating loss would",
    ),
    Mistake(
        name="check-detach-stops-opt-d",
        cell="answer_q2",
        patches=(('answer_q2 = "b"', 'answer_q2 = "a"'),),
        loses=("check_q2",),
        why="thinks opt_D.step() would update G without detach",
    ),
]
