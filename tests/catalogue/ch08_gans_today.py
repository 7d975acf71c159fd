"""Wrong implementations for chapter 8: measuring latency, comparing one pass with iterative sampling,
and the check questions.

What the test cells observe (all on a fake clock, with counting fakes from gan_helpers.latency):

* ``latency_basics``: call counts and the value for calls of constant cost (and the source check:
  no gan_helpers, no ``perf_counter()`` inside the function);
* ``latency_honest``: one slow call among the timed ones (median, not mean), slow warm-up calls
  (made and not timed), jitter (the median, not the minimum);
* ``compare_values``: one-pass latency, iterative latency and ratio for several step counts;
* ``compare_same_network``: every pass on the network object given, warm-up and repeats passed on,
  no autograd while sampling.

The compare cells run with the reference ``measure_latency``, so mistakes in the first exercise never
reach the second.
"""

from tests.catalogue import Mistake

LAT = "latency_solution"
CMP = "compare_solution"
LAT_BOTH = ("latency_basics", "latency_honest")
CMP_BOTH = ("compare_values", "compare_same_network")

WARMUP_LOOP = "    for _ in range(warmup):\n        fn()\n"
TIMED_LOOP = ("    durations = []\n    for _ in range(repeats):\n        start = clock()\n        fn()\n"
              "        durations.append(clock() - start)\n    return float(statistics.median(durations))")
ONE_TIMED = "one_pass_s = measure_latency(one_pass, warmup, repeats, clock)"
ITER_TIMED = "iterative_s = measure_latency(refine, warmup, repeats, clock)"
RETURN = "    return one_pass_s, iterative_s, iterative_s / one_pass_s"

MISTAKES = [
    Mistake(
        name="latency-warmup-skipped",
        cell=LAT,
        patches=((WARMUP_LOOP, ""),),
        loses=LAT_BOTH,
        why="no warm-up calls at all: the slow first calls are among the timed ones",
    ),
    Mistake(
        name="latency-warmup-timed",
        cell=LAT,
        patches=((WARMUP_LOOP + "    durations = []\n    for _ in range(repeats):",
                  "    durations = []\n    for _ in range(warmup + repeats):"),),
        loses=("latency_honest",),
        why="the warm-up calls are made but timed with the others",
    ),
    Mistake(
        name="latency-mean",
        cell=LAT,
        patches=(("statistics.median(durations)", "statistics.mean(durations)"),),
        loses=("latency_honest",),
        why="the mean of the timings instead of the median: one slow call drags it",
    ),
    Mistake(
        name="latency-total-over-repeats",
        cell=LAT,
        patches=((TIMED_LOOP,
                  "    start = clock()\n    for _ in range(repeats):\n        fn()\n"
                  "    return float((clock() - start) / repeats)"),),
        loses=("latency_honest",),
        why="the whole loop timed once and divided by repeats: a mean in disguise",
    ),
    Mistake(
        name="latency-minimum",
        cell=LAT,
        patches=(("statistics.median(durations)", "min(durations)"),),
        loses=("latency_honest",),
        why="the fastest call instead of the median",
    ),
    Mistake(
        name="latency-ignores-clock",
        cell=LAT,
        patches=(("start = clock()", "start = time.perf_counter()"),
                 ("clock() - start", "time.perf_counter() - start")),
        loses=LAT_BOTH,
        why="time.perf_counter() used directly instead of the clock argument, so a test cannot control it",
    ),
    Mistake(
        name="compare-fresh-network",
        cell=CMP,
        patches=(("    def refine():\n", "    import copy\n    fresh = copy.deepcopy(net)\n\n    def refine():\n"),
                 ("                x = net(x)", "                x = fresh(x)")),
        loses=CMP_BOTH,
        why="the iterative sampler runs on a separate copy of the network, not the network given",
    ),
    Mistake(
        name="compare-ratio-inverted",
        cell=CMP,
        patches=((RETURN, "    return one_pass_s, iterative_s, one_pass_s / iterative_s"),),
        loses=("compare_values",),
        why="the ratio upside down: one pass divided by the iterative latency",
    ),
    Mistake(
        name="compare-steps-off-by-one",
        cell=CMP,
        patches=(("for _ in range(steps):", "for _ in range(steps - 1):"),),
        loses=CMP_BOTH,
        why="one refinement pass too few",
    ),
    Mistake(
        name="compare-clock-not-passed",
        cell=CMP,
        patches=((ONE_TIMED, ONE_TIMED.replace(", clock)", ")")), (ITER_TIMED, ITER_TIMED.replace(", clock)", ")"))),
        loses=CMP_BOTH,
        why="the clock argument is not passed on to measure_latency, which then times with the real clock",
    ),
    Mistake(
        name="compare-warmup-not-passed",
        cell=CMP,
        patches=((ONE_TIMED, "one_pass_s = measure_latency(one_pass, repeats=repeats, clock=clock)"),
                 (ITER_TIMED, "iterative_s = measure_latency(refine, repeats=repeats, clock=clock)")),
        loses=("compare_same_network",),
        why="warmup is not passed on: measure_latency's default warm-up is used whatever the caller asked",
    ),
    Mistake(
        name="compare-with-autograd",
        cell=CMP,
        patches=(("    def one_pass():\n        with torch.no_grad():\n            return net(z)",
                  "    def one_pass():\n        return net(z)"),
                 ("        with torch.no_grad():\n            x = z\n            for _ in range(steps):\n"
                  "                x = net(x)\n            return x",
                  "        x = z\n        for _ in range(steps):\n            x = net(x)\n        return x")),
        loses=("compare_same_network",),
        why="sampling with autograd on: every pass records a graph that nobody will use",
    ),
    Mistake(
        name="check-diffusion-is-faster",
        cell="answer_q1",
        patches=(('answer_q1 = "b"', 'answer_q1 = "a"'),),
        loses=("check_q1",),
        why="thinks diffusion won because it samples faster",
    ),
    Mistake(
        name="check-add-is-lcm",
        cell="answer_q3",
        patches=(('answer_q3 = "a"', 'answer_q3 = "b"'),),
        loses=("check_q3",),
        why="confuses adversarial diffusion distillation with consistency distillation (LCM)",
    ),
]
