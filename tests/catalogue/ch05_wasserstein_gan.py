"""Wrong implementations for chapter 5: the 1-D Wasserstein distance, the optimal critic, the WGAN losses,
the gradient penalty, spectral norm, R1, the scenario's fix, and the check questions.

Which test cells a gradient-penalty mistake loses follows from what the cells observe:

* ``gp_values``: the penalty's value (a linear critic with gradient norm 2, a non-linear critic at the
  learner's own interpolates) and where the interpolates lie (one ε per sample, each on its own segment);
* ``gp_graph``: whether the penalty trains the critic (its gradient with respect to the critic's weights).

The scenario's cells: ``scenario_critic`` checks the learner's critic (one score per sample, each from its
own sample, unbounded); ``scenario_training`` checks the objective on a linear critic and trains the
learner's critic with it for 300 updates (critic loss between −16 and −2, gradient norm near 1).
"""

from tests.catalogue import Mistake

W1 = "w1_solution"
KR = "kr_solution"
LOSSES = "losses_solution"
GP = "gp_solution"
SN = "sn_solution"
R1 = "r1_solution"
FIX = "scenario_fix"

W1_BODY = """    u = torch.sort(u.double()).values
    v = torch.sort(v.double()).values
    points = torch.sort(torch.cat([u, v])).values                            # [N + M]
    cdf_u = torch.searchsorted(u, points[:-1], right=True).double() / len(u)   # F_u on each interval
    cdf_v = torch.searchsorted(v, points[:-1], right=True).double() / len(v)
    return (torch.diff(points) * (cdf_u - cdf_v).abs()).sum()"""
GP_EPS = "eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)"
GP_GRAD = "(grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)"
GP_RETURN = "return weight * ((norms - 1) ** 2).mean()"
SN_V = "v = w.T @ u\n        v = v / v.norm()"
SN_U = "u = w @ v\n        u = u / u.norm()"
CRITIC_HIDDEN = "nn.Linear(width, width), nn.LeakyReLU(0.2),"
CRITIC_OUT = "nn.Linear(width, 1))"
FIX_GRAD = "critic(x_hat).sum()"

SCENARIO_CELLS = ("scenario_critic", "scenario_training")

MISTAKES = [
    # ---- the 1-D Wasserstein distance
    Mistake(name="w1-unsorted", cell=W1,
            patches=((W1_BODY, "    return (u - v).abs().mean()"),),
            loses=("w1_equal", "w1_unequal"),
            why="pairs the samples in the order given instead of sorting them (and cannot handle unequal sizes)"),
    Mistake(name="w1-sorted-differences-only", cell=W1,
            patches=((W1_BODY, "    return (torch.sort(u.double()).values - torch.sort(v.double()).values).abs().mean()"),),
            loses=("w1_unequal",),
            why="the sorted-differences shortcut, which only works when both samples have the same size"),
    # ---- the optimal 1-D critic
    Mistake(name="kr-critic-sign-flipped", cell=KR,
            patches=(("slope = torch.sign(cdf_fake - cdf_real)", "slope = torch.sign(cdf_real - cdf_fake)"),),
            loses=("kr_values",),
            why="the critic climbs toward the fakes: its gap is −W1"),
    # ---- the WGAN losses
    Mistake(name="critic-loss-swapped", cell=LOSSES,
            patches=(("return fake_scores.mean() - real_scores.mean()", "return real_scores.mean() - fake_scores.mean()"),),
            loses=("wgan_losses",),
            why="critic loss E[D(real)] − E[D(fake)]: the critic is trained to score fakes higher"),
    Mistake(name="generator-loss-sign-flipped", cell=LOSSES,
            patches=(("return -fake_scores.mean()", "return fake_scores.mean()"),),
            loses=("wgan_losses",),
            why="the generator minimises E[D(fake)] and runs away from the data"),
    Mistake(name="critic-loss-through-sigmoid", cell=LOSSES,
            patches=(("return fake_scores.mean() - real_scores.mean()",
                      "return torch.sigmoid(fake_scores).mean() - torch.sigmoid(real_scores).mean()"),),
            loses=("wgan_losses",),
            why="a sigmoid on the critic's scores, out of habit from the original GAN"),
    # ---- the gradient penalty
    Mistake(name="gp-without-create-graph", cell=GP,
            patches=((GP_GRAD, "(grad,) = torch.autograd.grad(scores.sum(), x_hat)"),),
            loses=("gp_graph",),
            why="no create_graph=True: the penalty's value is right but it cannot train the critic"),
    Mistake(name="gp-one-eps-for-the-batch", cell=GP,
            patches=((GP_EPS, "eps = torch.rand(1, device=real.device, dtype=real.dtype)"),),
            loses=("gp_values",),
            why="one interpolation factor for the whole batch instead of one per sample"),
    Mistake(name="gp-eps-per-element", cell=GP,
            patches=((GP_EPS, "eps = torch.rand_like(real)"),),
            loses=("gp_values",),
            why="an interpolation factor of the wrong shape: one per pixel, so x̂ leaves the segment real → fake"),
    Mistake(name="gp-squared-norm", cell=GP,
            patches=((GP_RETURN, "return weight * (norms ** 2).mean()"),),
            loses=("gp_values", "gp_graph"),
            why="penalises ‖∇‖² (pushing the gradient to 0) instead of (‖∇‖ − 1)²"),
    Mistake(name="gp-gradient-of-the-mean", cell=GP,
            patches=((GP_GRAD, "(grad,) = torch.autograd.grad(scores.mean(), x_hat, create_graph=True)"),),
            loses=("gp_values", "gp_graph"),
            why="the gradient of the mean score: every per-sample gradient divided by B"),
    # ---- spectral norm
    Mistake(name="sn-frobenius-norm", cell=SN,
            patches=(("    return u @ w @ v", "    return weight.norm()"),),
            loses=("sn_values",),
            why="the Frobenius norm (root of the sum of squared entries) instead of the largest singular value"),
    Mistake(name="sn-no-normalising", cell=SN,
            patches=((SN_V, "v = w.T @ u"), (SN_U, "u = w @ v")),
            loses=("sn_values",),
            why="power iteration without normalising u and v: they overflow"),
    # ---- R1
    Mistake(name="r1-missing-half", cell=R1,
            patches=(("return gamma / 2 * grad", "return gamma * grad"),),
            loses=("r1_values",),
            why="γ·E‖∇‖² instead of γ/2·E‖∇‖²"),
    Mistake(name="r1-unit-norm-target", cell=R1,
            patches=(("return gamma / 2 * grad.flatten(1).pow(2).sum(1).mean()",
                      "return gamma / 2 * (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()"),),
            loses=("r1_values",),
            why="R1 written like WGAN-GP's penalty, pushing the gradient norm to 1 instead of 0"),
    # ---- the scenario
    Mistake(name="scenario-bug-not-fixed", cell=FIX,
            patches=((FIX_GRAD, "critic(x_hat).mean()"),),
            loses=("scenario_training",),
            why="the colleague's code copied as it was: the gradient of the mean score"),
    Mistake(name="scenario-sigmoid-on-critic", cell=FIX,
            patches=((CRITIC_OUT, "nn.Linear(width, 1), nn.Sigmoid())"),),
            loses=SCENARIO_CELLS,
            why="a sigmoid on the critic: its scores are capped in (0, 1)"),
    Mistake(name="scenario-batchnorm-in-critic", cell=FIX,
            patches=((CRITIC_HIDDEN, "nn.Linear(width, width), nn.BatchNorm1d(width), nn.LeakyReLU(0.2),"),),
            loses=SCENARIO_CELLS,
            why="batch norm in a WGAN-GP critic: each score depends on the whole batch"),
    # ---- check questions
    Mistake(name="check-critic-loss-should-grow", cell="answer_q3",
            patches=(('answer_q3 = "b"', 'answer_q3 = "a"'),),
            loses=("check_q3",),
            why="reads a growing critic loss as a winning critic"),
    Mistake(name="check-bug-is-create-graph", cell="answer_q5",
            patches=(('answer_q5 = "b"', 'answer_q5 = "c"'),),
            loses=("check_q5",),
            why="blames create_graph for the runaway critic"),
]
