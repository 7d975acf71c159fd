"""Wrong implementations for chapter 2: the three losses from logits, the logit gradients, the
numerical best response, the game's value on a grid, and the check questions."""

from tests.catalogue import Mistake

# The solution lines each mistake replaces (they must stay in the solution cells verbatim).
D_REAL = "    real_term = F.softplus(-real_logits).mean()   # -log sigmoid(a) = softplus(-a): target 1\n"
D_FAKE = "    fake_term = F.softplus(fake_logits).mean()    # -log(1 - sigmoid(a)) = softplus(a): target 0\n"
D_RETURN = "    return real_term + fake_term"
G_SAT = "    return -F.softplus(fake_logits).mean()   # log(1 - sigmoid(a)) = -softplus(a)"
G_NS = "    return F.softplus(-fake_logits).mean()   # -log sigmoid(a) = softplus(-a)"
GRADS = ("    (grad_saturating,) = torch.autograd.grad(-F.softplus(a).sum(), a)\n"
         "    (grad_nonsaturating,) = torch.autograd.grad(F.softplus(-a).sum(), a)\n")
BEST_SCORES = "p_data[:, None] * torch.log(candidates) + p_g[:, None] * torch.log1p(-candidates)"
BEST_RETURN = "    return candidates[scores.argmax(dim=1)]"
VALUE_TERMS = "torch.xlogy(p_data, d) + torch.xlogy(p_g, 1 - d)"
VALUE_RETURN = "    return integrand.sum() * dx"

D_BOTH = ("d_loss_values", "d_loss_stable")
SAT_BOTH = ("g_sat_values", "g_sat_stable")
NS_BOTH = ("g_ns_values", "g_ns_stable")


def mistake(name: str, cell: str, patches: list[tuple[str, str]], loses: tuple[str, ...], why: str) -> Mistake:
    return Mistake(name=name, cell=cell, patches=tuple(patches), loses=loses, why=why)


MISTAKES = [
    # ---- d_loss
    mistake("d-sigmoid-then-log", "d_loss_solution",
            [(D_REAL, "    real_term = -torch.log(torch.sigmoid(real_logits)).mean()\n"),
             (D_FAKE, "    fake_term = -torch.log(1 - torch.sigmoid(fake_logits)).mean()\n")],
            ("d_loss_stable",),
            "the textbook formula with probabilities: log(1 - sigmoid(100)) = log 0 = -inf"),
    mistake("d-labels-swapped", "d_loss_solution",
            [(D_REAL, "    real_term = F.softplus(real_logits).mean()\n"),
             (D_FAKE, "    fake_term = F.softplus(-fake_logits).mean()\n")],
            D_BOTH,
            "real samples given target 0 and fakes target 1"),
    mistake("d-sum-not-mean", "d_loss_solution",
            [(D_REAL, D_REAL.replace(".mean()", ".sum()")), (D_FAKE, D_FAKE.replace(".mean()", ".sum()"))],
            D_BOTH,
            "summed over each batch instead of averaging"),
    mistake("d-terms-averaged", "d_loss_solution",
            [(D_RETURN, "    return (real_term + fake_term) / 2")],
            D_BOTH,
            "averaged the real and fake terms, so logit 0 gives ln 2 instead of 2 ln 2"),
    mistake("d-sigmoid-before-logit-loss", "d_loss_solution",
            [(D_REAL, "    real_logits, fake_logits = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)\n" + D_REAL)],
            D_BOTH,
            "a sigmoid at the end of D, then a loss that expects logits: the sigmoid applied twice"),
    mistake("d-clamped-probabilities", "d_loss_solution",
            [(D_REAL, "    real_term = -torch.log(torch.sigmoid(real_logits).clamp(min=1e-7)).mean()\n"),
             (D_FAKE, "    fake_term = -torch.log((1 - torch.sigmoid(fake_logits)).clamp(min=1e-7)).mean()\n")],
            ("d_loss_stable",),
            "clamped the probabilities to dodge log 0: finite, but each term is capped near 16"),
    # ---- g_loss_saturating
    mistake("g-sat-wrong-sign", "g_sat_solution",
            [(G_SAT, "    return F.softplus(fake_logits).mean()")],
            SAT_BOTH,
            "G minimises -log(1 - D(G(z))), the sign that makes G help the discriminator"),
    mistake("g-sat-sigmoid-then-log", "g_sat_solution",
            [(G_SAT, "    return torch.log(1 - torch.sigmoid(fake_logits)).mean()")],
            ("g_sat_stable",),
            "log(1 - sigmoid(a)) with probabilities: -inf at a = 100"),
    # ---- g_loss_nonsaturating
    mistake("g-ns-is-saturating", "g_ns_solution",
            [(G_NS, "    return -F.softplus(fake_logits).mean()")],
            NS_BOTH,
            "wrote the saturating loss log(1 - D) where the non-saturating -log D is asked"),
    mistake("g-ns-fake-labels", "g_ns_solution",
            [(G_NS, "    return F.softplus(fake_logits).mean()")],
            NS_BOTH,
            "BCE on the fakes with target 0, the discriminator's label, instead of 1"),
    mistake("g-ns-sigmoid-then-log", "g_ns_solution",
            [(G_NS, "    return -torch.log(torch.sigmoid(fake_logits)).mean()")],
            ("g_ns_stable",),
            "-log(sigmoid(a)) with probabilities: sigmoid(-100) is 0 in float32, so the loss is inf"),
    mistake("g-ns-log1p-exp-overflow", "g_ns_solution",
            [(G_NS, "    return torch.log(1 + torch.exp(-fake_logits)).mean()")],
            ("g_ns_stable",),
            "softplus by hand as log(1 + exp(-a)): exp(100) overflows to inf"),
    mistake("g-ns-sum-not-mean", "g_ns_solution",
            [(G_NS, G_NS.replace(".mean()", ".sum()"))],
            NS_BOTH,
            "summed over the batch instead of averaging"),
    # ---- generator_logit_gradients
    mistake("grads-of-the-batch-mean", "grads_solution",
            [(GRADS, GRADS.replace(".sum(), a)", ".mean(), a)"))],
            ("grads_tests",),
            "differentiated the batch mean, so every gradient is divided by the batch size"),
    mistake("grads-accumulated", "grads_solution",
            [(GRADS, "    (-F.softplus(a).sum()).backward()\n"
                     "    grad_saturating = a.grad\n"
                     "    F.softplus(-a).sum().backward()\n"
                     "    grad_nonsaturating = a.grad\n")],
            ("grads_tests",),
            "two .backward() calls into one a.grad: both results are the same accumulated tensor"),
    mistake("grads-wrt-probability", "grads_solution",
            [("    a = logits.detach().clone().requires_grad_(True)\n",
              "    a = torch.sigmoid(logits.detach()).requires_grad_(True)\n"),
             (GRADS, "    (grad_saturating,) = torch.autograd.grad(torch.log(1 - a).sum(), a)\n"
                     "    (grad_nonsaturating,) = torch.autograd.grad(-torch.log(a).sum(), a)\n")],
            ("grads_tests",),
            "differentiated with respect to D = sigmoid(a) instead of the logit"),
    # ---- best_response_numerically
    mistake("best-one-d-for-every-x", "best_response_solution",
            [(BEST_RETURN, "    return candidates[scores.sum(dim=0).argmax()].expand_as(p_data)")],
            ("best_response_tests",),
            "maximised the whole integral with one D for every x instead of pointwise"),
    mistake("best-terms-swapped", "best_response_solution",
            [(BEST_SCORES, "p_data[:, None] * torch.log1p(-candidates) + p_g[:, None] * torch.log(candidates)")],
            ("best_response_tests",),
            "paired p_data with log(1 - D) and p_g with log D, which finds 1 - D*"),
    # ---- game_value
    mistake("value-zero-log-zero-nan", "game_value_solution",
            [(VALUE_TERMS, "p_data * torch.log(d) + p_g * torch.log(1 - d)")],
            ("game_value_tests",),
            "p * log(d) with d = 0 where p = 0: 0 * -inf = nan"),
    mistake("value-forgot-dx", "game_value_solution",
            [(VALUE_RETURN, "    return integrand.sum()")],
            ("game_value_tests",),
            "summed the integrand without multiplying by the grid spacing"),
    # ---- check questions
    mistake("check-nash-d-perfect", "answer_q1",
            [('answer_q1 = "b"', 'answer_q1 = "a"')],
            ("check_q1",),
            "thinks the discriminator is perfect at the equilibrium"),
    mistake("check-more-gradient-saturating", "answer_q3",
            [('answer_q3 = "b"', 'answer_q3 = "a"')],
            ("check_q3",),
            "thinks the saturating loss gives the larger gradient when D rejects a fake"),
    mistake("check-dstar-half-where-only-fakes", "answer_q4",
            [('answer_q4 = "c"', 'answer_q4 = "a"')],
            ("check_q4",),
            "thinks D* is 1/2 where only the generator has mass"),
]
