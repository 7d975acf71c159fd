"""Wrong implementations for chapter 4: the pairwise-distance diagnostic, mode coverage, the JSD companion,
the minibatch-stddev layer, the Fréchet distance, and the scenario's diagnosis.

Each build-it has one test cell (visible tests, then hidden tests), so each mistake loses exactly that cell.
"""

from tests.catalogue import Mistake

PAIRWISE, COVERAGE, JSD, MBSTD, FD = ("pairwise_solution", "coverage_solution", "jsd_solution", "mbstd_solution",
                                      "fd_solution")

MISTAKES = [
    # -- pairwise-distance diagnostic -------------------------------------------------------------------
    Mistake(
        name="pairwise-self-pairs",
        cell=PAIRWISE,
        patches=(("return distances.sum() / (n * (n - 1))", "return distances.mean()"),),
        loses=("pairwise_tests",),
        why="the mean over the whole N x N matrix: the N zero self-distances are averaged in",
    ),
    Mistake(
        name="pairwise-std-of-distances",
        cell=PAIRWISE,
        patches=(("return distances.sum() / (n * (n - 1))",
                  "return distances[~torch.eye(n, dtype=torch.bool)].std()"),),
        loses=("pairwise_tests",),
        why="the standard deviation of the distances instead of their mean (the seed's 'std of distances' test)",
    ),
    Mistake(
        name="pairwise-ratio-upside-down",
        cell=PAIRWISE,
        patches=(("return mean_pairwise_distance(fake) / mean_pairwise_distance(real)",
                  "return mean_pairwise_distance(real) / mean_pairwise_distance(fake)"),),
        loses=("pairwise_tests",),
        why="reals over fakes: a collapsed generator scores far above 1 instead of far below",
    ),
    # -- mode coverage ----------------------------------------------------------------------------------
    Mistake(
        name="coverage-no-quality-threshold",
        cell=COVERAGE,
        patches=(("counts = torch.bincount(nearest[high_quality], minlength=k)",
                  "counts = torch.bincount(nearest, minlength=k)"),),
        loses=("coverage_tests",),
        why="every sample counts for its nearest mode, however far away: scattered samples 'capture' modes",
    ),
    Mistake(
        name="coverage-kl-direction-swapped",
        cell=COVERAGE,
        patches=(("reverse_kl = float((q[nz] * torch.log(k * q[nz])).sum())",
                  "reverse_kl = float(((1.0 / k) * torch.log(1.0 / (k * q[nz]))).sum())"),),
        loses=("coverage_tests",),
        why="KL(uniform || q) (over the covered modes) instead of the reverse KL(q || uniform)",
    ),
    Mistake(
        name="coverage-min-count-ignored",
        cell=COVERAGE,
        patches=(('"modes_captured": int((counts >= min_count).sum())', '"modes_captured": int((counts > 0).sum())'),),
        loses=("coverage_tests",),
        why="a mode counts as captured with a single high-quality sample, whatever min_count says",
    ),
    # -- JSD companion ----------------------------------------------------------------------------------
    Mistake(
        name="jsd-log-base-2",
        cell=JSD,
        patches=(("torch.log(a[nz] / m[nz])", "torch.log2(a[nz] / m[nz])"),),
        loses=("jsd_tests",),
        why="base-2 logarithms (bits): the collapsed case gives 0.311 instead of 0.2158 nats",
    ),
    Mistake(
        name="jsd-no-zero-mask",
        cell=JSD,
        patches=(("nz = a > 0", "nz = torch.ones_like(a, dtype=torch.bool)"),),
        loses=("jsd_tests",),
        why="0 log 0 not treated as 0: any zero probability makes the divergence NaN",
    ),
    # -- minibatch stddev ---------------------------------------------------------------------------------
    Mistake(
        name="mbstd-wrong-axis",
        cell=MBSTD,
        patches=(("groups.var(dim=1, unbiased=False)", "groups.var(dim=2, unbiased=False)"),),
        loses=("mbstd_tests",),
        why="the standard deviation over the channels instead of over the group's samples",
    ),
    Mistake(
        name="mbstd-unbiased-std",
        cell=MBSTD,
        patches=(("groups.var(dim=1, unbiased=False)", "groups.var(dim=1)"),),
        loses=("mbstd_tests",),
        why="torch's default unbiased estimate (divide by G - 1) instead of the population standard deviation",
    ),
    Mistake(
        name="mbstd-no-divisibility-check",
        cell=MBSTD,
        patches=(('    if b % group_size != 0:\n        raise ValueError(f"minibatch_stddev: the batch size {b} is '
                  'not a multiple of the group size {group_size}")\n', ""),),
        loses=("mbstd_tests",),
        why="no check that the group size divides the batch: reshape fails with an obscure RuntimeError",
    ),
    # -- Fréchet distance -------------------------------------------------------------------------------
    Mistake(
        name="fd-sqrt-elementwise",
        cell=FD,
        patches=(("tr_covmean = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()",
                  "tr_covmean = torch.sqrt(sigma1 @ sigma2).trace()"),),
        loses=("fd_tests",),
        why="the trace term's square root taken entry by entry (torch.sqrt of the product), not the matrix square root",
    ),
    Mistake(
        name="fd-returns-distance-not-squared",
        cell=FD,
        patches=(("return float(d2)", "return float(d2.clamp(min=0).sqrt())"),),
        loses=("fd_tests",),
        why="the Fréchet distance itself returned, where FID is its square",
    ),
    # -- scenario diagnosis -------------------------------------------------------------------------------
    Mistake(
        name="scenario-fid-45-is-fine",
        cell="answer_scenario",
        patches=(('answer_scenario = "b"', 'answer_scenario = "a"'),),
        loses=("check_scenario",),
        why="believes FID 45 and balanced losses mean healthy training",
    ),
]
