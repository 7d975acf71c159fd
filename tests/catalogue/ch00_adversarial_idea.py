"""Wrong implementations for chapter 0: binary cross-entropy from logits, and the check questions."""

from tests.catalogue import Mistake

STABLE = "    return (logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))).mean()"


def bce(body: str) -> tuple[tuple[str, str], ...]:
    return ((STABLE, body),)


MISTAKES = [
    Mistake(
        name="bce-textbook-formula",
        cell="bce_solution",
        patches=bce("    p = torch.sigmoid(logits)\n"
                    "    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()"),
        loses=("bce_stable",),
        why="the loss written with probabilities: log(1 - sigmoid(50)) = log(0) = -inf",
    ),
    Mistake(
        name="bce-clamped-probabilities",
        cell="bce_solution",
        patches=bce("    p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)\n"
                    "    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()"),
        loses=("bce_stable",),
        why="clamping avoids the infinity but caps the loss near 16 for confident mistakes",
    ),
    Mistake(
        name="bce-half-stable",
        cell="bce_solution",
        patches=bce("    return ((1 - targets) * logits + torch.log(1 + torch.exp(-logits))).mean()"),
        loses=("bce_stable",),
        why="rewritten in logits but exp(-a) still overflows for very negative logits",
    ),
    Mistake(
        name="bce-sum-not-mean",
        cell="bce_solution",
        patches=bce(STABLE.replace(").mean()", ").sum()")),
        loses=("bce_values", "bce_stable"),
        why="summed over the batch instead of averaging",
    ),
    Mistake(
        name="bce-per-element",
        cell="bce_solution",
        patches=bce(STABLE.replace(").mean()", ")")),
        loses=("bce_values", "bce_stable"),
        why="returned the per-element losses, not a scalar",
    ),
    Mistake(
        name="bce-targets-swapped",
        cell="bce_solution",
        patches=bce(STABLE.replace("logits * targets", "logits * (1 - targets)")),
        loses=("bce_values", "bce_stable"),
        why="target 1 treated as fake: the labels' roles swapped",
    ),
    Mistake(
        name="bce-sigmoid-twice",
        cell="bce_solution",
        patches=(("    return (logits.clamp", "    logits = torch.sigmoid(logits)\n    return (logits.clamp"),),
        loses=("bce_values", "bce_stable"),
        why="a sigmoid applied to the logits before a loss that already contains one",
    ),
    Mistake(
        name="check-d-outputs-one",
        cell="answer_q3",
        patches=(('answer_q3 = "b"', 'answer_q3 = "a"'),),
        loses=("check_q3",),
        why="thinks a perfect generator makes D output 1 everywhere",
    ),
]
