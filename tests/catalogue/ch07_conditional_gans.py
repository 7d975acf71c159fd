"""Wrong implementations for chapter 7: the conditional G and D, the projection logit, the PatchGAN's
output size and receptive field, the cycle-consistency and identity losses, and a check question."""

from tests.catalogue import Mistake

G_CHECK = "labels.max() >= self.num_classes"
G_CAT = "h = torch.cat([z, self.embed(labels)], dim=1)"
G_OUT = "return torch.tanh(self.net(h)).view(-1, 1, 8, 8)"
D_OUT = "return self.head(self.body(h)).squeeze(1)"
PROJ = "return psi_out + (class_vectors[labels] * features).sum(dim=1)"
LAYERS = "[(4, 2)] * n_layers + [(4, 1), (4, 1)]"
SIZE_STEP = "n = (n + 2 * 1 - kernel) // stride + 1"
CYCLE = "return lam * (rec_a - real_a).abs().mean() + lam * (rec_b - real_b).abs().mean()"
IDT = "return lam * identity_weight * ((same_b - real_b).abs().mean() + (same_a - real_a).abs().mean())"

MISTAKES = [
    # -- the conditional generator and discriminator ---------------------------------------------------
    Mistake(name="cond-g-no-tanh", cell="cond_g_solution",
            patches=((G_OUT, "return self.net(h).view(-1, 1, 8, 8)"),),
            loses=("cond_g_tests",),
            why="no tanh at G's output: images are not bounded to (-1, 1) like the data"),
    Mistake(name="cond-g-cat-on-batch-dim", cell="cond_g_solution",
            patches=((G_CAT, G_CAT.replace("dim=1", "dim=0")),),
            loses=("cond_g_tests",),
            why="the embedding concatenated along the batch dimension instead of the feature dimension"),
    Mistake(name="cond-g-label-check-off-by-one", cell="cond_g_solution",
            patches=((G_CHECK, "labels.max() > self.num_classes"),),
            loses=("cond_g_tests",),
            why="labels checked against num_classes with > instead of >=: label K slips through to the embedding"),
    Mistake(name="cond-d-sigmoid", cell="cond_d_solution",
            patches=((D_OUT, "return torch.sigmoid(self.head(self.body(h))).squeeze(1)"),),
            loses=("cond_d_tests",),
            why="D returns probabilities (a sigmoid at the end) instead of logits"),
    Mistake(name="cond-d-logits-not-squeezed", cell="cond_d_solution",
            patches=((D_OUT, "return self.head(self.body(h))"),),
            loses=("cond_d_tests",),
            why="D returns [B, 1] instead of one logit per image, [B]"),
    # -- the projection logit -------------------------------------------------------------------------
    Mistake(name="projection-without-embedding", cell="projection_solution",
            patches=((PROJ, "return psi_out + (labels[:, None] * features).sum(dim=1)"),),
            loses=("projection_tests",),
            why="the inner product taken with the raw label index instead of its learned class vector V_y"),
    Mistake(name="projection-no-psi", cell="projection_solution",
            patches=((PROJ, "return (class_vectors[labels] * features).sum(dim=1)"),),
            loses=("projection_tests",),
            why="the unconditional term psi(phi(x)) left out"),
    Mistake(name="projection-sum-over-batch", cell="projection_solution",
            patches=((PROJ, "return psi_out + (class_vectors[labels] * features).sum()"),),
            loses=("projection_tests",),
            why="the inner products summed over the whole batch (.sum() without dim=1), then broadcast"),
    # -- the PatchGAN's sizes -------------------------------------------------------------------------
    Mistake(name="field-strides-wrong-order", cell="patch_field_solution",
            patches=((f"reversed({LAYERS})", LAYERS),),
            loses=("patch_field_tests",),
            why="the receptive-field recurrence walked from the input to the output (28 instead of 70)"),
    Mistake(name="size-no-padding", cell="patch_size_solution",
            patches=((SIZE_STEP, "n = (n - kernel) // stride + 1"),),
            loses=("patch_size_tests",),
            why="the padding of 1 left out of the output-size formula (24 instead of 30)"),
    Mistake(name="size-no-stride-1-layers", cell="patch_size_solution",
            patches=((f"in {LAYERS}:", "in [(4, 2)] * n_layers:"),),
            loses=("patch_size_tests",),
            why="only the stride-2 layers counted (32 instead of 30)"),
    Mistake(name="size-float-division", cell="patch_size_solution",
            patches=((SIZE_STEP, "n = (n + 2 * 1 - kernel) / stride + 1"),),
            loses=("patch_size_tests",),
            why="true division instead of floor division: a float, and wrong for odd sides"),
    # -- the cycle and identity losses ----------------------------------------------------------------
    Mistake(name="cycle-l2", cell="cycle_solution",
            patches=((CYCLE, "return lam * ((rec_a - real_a) ** 2).mean() + lam * ((rec_b - real_b) ** 2).mean()"),),
            loses=("cycle_tests",),
            why="the cycle loss with squared errors (L2) instead of absolute errors (L1)"),
    Mistake(name="cycle-one-direction", cell="cycle_solution",
            patches=((CYCLE, "return lam * (rec_a - real_a).abs().mean()"),),
            loses=("cycle_tests",),
            why="only the a -> b -> a cycle; the b -> a -> b cycle forgotten"),
    Mistake(name="cycle-sum-not-mean", cell="cycle_solution",
            patches=((CYCLE, CYCLE.replace(".mean()", ".sum()")),),
            loses=("cycle_tests",),
            why="summed over pixels and batch instead of averaged"),
    Mistake(name="identity-wrong-domain", cell="identity_solution",
            patches=(("same_b = G_AB(real_b)", "same_b = G_AB(real_a)"),
                     ("same_a = G_BA(real_a)", "same_a = G_BA(real_b)"),
                     (IDT, "return lam * identity_weight * ((same_b - real_a).abs().mean() + "
                           "(same_a - real_b).abs().mean())")),
            loses=("identity_tests",),
            why="the identity loss fed each generator its own input domain (G_AB(a) vs a) instead of its "
                "output domain"),
    Mistake(name="identity-full-weight", cell="identity_solution",
            patches=((IDT, IDT.replace("lam * identity_weight * ", "lam * ")),),
            loses=("identity_tests",),
            why="the identity terms weighted by lam (10) instead of 0.5 lam (5)"),
    # -- a check question -----------------------------------------------------------------------------
    Mistake(name="check-patchgan-one-logit", cell="answer_q1",
            patches=(('answer_q1 = "b"', 'answer_q1 = "a"'),),
            loses=("check_q1",),
            why="thinks a PatchGAN returns one logit per image from a random crop"),
]
