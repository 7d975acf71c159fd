"""Wrong implementations for chapter 0: binary cross-entropy from logits, and the check questions."""

from tests.catalogue import Mistake

STABLE = "    return (logits.clamp(min=0) - logits * targets + torch.log1p(torch.exp(-logits.abs()))).mean()"


def bce(name: str, body: str, loses: tuple[str, ...], why: str) -> Mistake:
    """A mistake in the bce_with_logits exercise: the solution's return line replaced by ``body``."""
    return Mistake(name=name, cell="bce_solution", patches=((STABLE, body),), loses=loses, why=why)


BOTH = ("bce_values", "bce_stable")


MISTAKES = [
    bce("bce-textbook-formula",
        "    p = torch.sigmoid(logits)\n"
        "    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()",
        ("bce_stable",),
        "the loss written with probabilities: log(1 - sigmoid(50)) = log(0) = -inf"),
    bce("bce-clamped-probabilities",
        "    p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)\n"
        "    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()",
        ("bce_stable",),
        "clamping avoids the infinity but caps the loss near 16 for confident mistakes"),
    bce("bce-half-stable",
        "    return ((1 - targets) * logits + torch.log(1 + torch.exp(-logits))).mean()",
        ("bce_stable",),
        "rewritten in logits but exp(-a) still overflows for very negative logits"),
    bce("bce-sum-not-mean",
        STABLE.replace(").mean()", ").sum()"),
        BOTH,
        "summed over the batch instead of averaging"),
    bce("bce-per-element",
        STABLE.replace(").mean()", ")"),
        BOTH,
        "returned the per-element losses, not a scalar"),
    bce("bce-targets-swapped",
        STABLE.replace("logits * targets", "logits * (1 - targets)"),
        BOTH,
        "target 1 treated as fake: the labels' roles swapped"),
    bce("bce-sigmoid-twice",
        "    logits = torch.sigmoid(logits)\n" + STABLE,
        BOTH,
        "a sigmoid applied to the logits before a loss that already contains one"),
    Mistake(
        name="check-d-outputs-one",
        cell="answer_q3",
        patches=(('answer_q3 = "b"', 'answer_q3 = "a"'),),
        loses=("check_q3",),
        why="thinks a perfect generator makes D output 1 everywhere",
    ),
]
