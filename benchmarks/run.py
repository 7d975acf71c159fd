"""The course benchmark: how far the course gets on a CPU, measured, not asserted.

    python -m benchmarks                       # everything (about 35 minutes on 2 cores)
    python -m benchmarks --only toys digits    # some sections
    python -m benchmarks --reference-seconds   # budgets as seconds on the specification's reference machine
    python -m benchmarks --quick               # every section with tiny budgets (a smoke test, ~1 min)

Prints one table per section and writes them all to ``benchmarks/results.json`` (``--out``).

Sections
--------
chapters     each chapter notebook executed top to bottom (nbclient), default and fast mode
toys         mode coverage on the ring of 8 and the grid of 25 reached by the 2-D GAN and WGAN-GP
             within fixed CPU time budgets, per seed, with mean and worst
digits       the unconditional DCGAN on the digits within a CPU budget: digits FID, precision/recall
             and the class histogram, next to the real-vs-real baseline
conditional  the class-conditional MLP GAN on the 8×8 digits within a budget: accuracy of the
             offline classifier on the requested classes, digits FID against the real-vs-real baseline
steps        training step time of every reference model at its tiny preset
autograde    time to autograde a class of generated submissions for one chapter

Time budgets are wall-clock seconds on the machine that runs the benchmark. With
``--reference-seconds`` they are read as seconds on the specification's reference 2-core machine
instead: each is multiplied by ``REFERENCE_STEPS_PER_S`` / the speed measured here of the
specification's yardstick (:func:`reference_speed`), so a machine 3x slower than the reference trains
3x longer, and the course targets (set in reference seconds) can be checked on it. The toy and conditional
presets decay their learning rates over a fixed number of steps, sized on the course's reference
2-core machine; the benchmark first times a few hundred steps of each and sizes that schedule to the
budget here (:func:`steps_for_budget`), so a slower machine trains fewer steps with the whole
schedule, rather than being cut off by the clock before its learning rates decay. The rows report
the steps taken and the measured steps per second.

Training-quality figures are reported over several seeds (mean and worst, seeds listed), never the
best seed alone: GANs collapse on some seeds.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECTIONS = ("chapters", "toys", "digits", "conditional", "steps", "autograde")
DEFAULT_SEEDS = (0, 1, 2, 3)
# The specification plans with its yardstick GAN at 200-250 steps a second on a 2-core machine.
REFERENCE_STEPS_PER_S = 225.0


# ----------------------------------------------------------------------------------------------------
# Helpers


BUDGET_MARGIN = 0.85  # the share of a time budget that the calibrated step count aims to fill


def steps_for_budget(run_steps: Callable[[int], object], seconds: float, probe_steps: int,
                     clock: Callable[[], float] = time.perf_counter) -> tuple[int, float]:
    """How many training steps fit in ``seconds`` on this machine, and the measured steps per second.

    ``run_steps(n)`` trains a throwaway copy of the run ``n`` steps. A tenth of ``probe_steps`` warms
    it up, then ``probe_steps`` are timed. The presets' step counts were sized on one 2-core machine,
    and machines differ by 3x or more in speed on these small networks (see the README's benchmark
    section), so a fixed step count can overrun a budget on a slow machine and be stopped by the clock
    before its learning-rate decay, or leave time unused on a fast one. The calibrated count is the
    run's whole schedule (its learning rates decay over it), sized to ``BUDGET_MARGIN`` of the budget;
    the clock still stops a run at the budget if the machine slows down meanwhile (compare a row's
    ``steps_mean`` with its ``budget_steps``: on a 2-core machine whose other core was busy, the
    grid's 60-second runs went about 13 % slower than their probe and were stopped short of the end of
    their schedule at a margin of 0.9).
    """
    run_steps(max(1, probe_steps // 10))
    start = clock()
    run_steps(probe_steps)
    rate = probe_steps / (clock() - start)
    return max(1, int(rate * seconds * BUDGET_MARGIN)), rate


def mean_worst(values: list[float], worst: Callable = min) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "worst": worst(values)}


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n## {title}")
    if not rows:
        print("(nothing measured)")
        return
    # per-seed lists and histograms go to the JSON; the table keeps the summaries
    keys = [k for k in dict.fromkeys(k for row in rows for k in row)
            if not (k.endswith("_per_seed") and k != "modes_per_seed") and "histogram" not in k]
    cells = [[_fmt(row.get(k, "")) for k in keys] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths)))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)))


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def reference_speed(steps: int = 300) -> float:
    """Steps per second of the course specification's yardstick on this machine, at the benchmark's threads.

    The yardstick is a plain 2-D toy GAN with 3 × 128 MLPs at batch 512 (no R1, no EMA), which the
    specification plans with at about 200-250 steps a second on a 2-core machine. Every time budget
    in this benchmark is wall-clock time, so compare this figure before comparing two machines' tables.
    """
    from gan_helpers.toy2d import Toy2DConfig, Toy2DTrainer

    torch.manual_seed(0)
    trainer = Toy2DTrainer(Toy2DConfig(data="grid25", batch_size=512, g_width=128, d_width=128, g_depth=3, d_depth=3))
    return steps_for_budget(lambda n: trainer.train_for(steps=n), 1.0, steps)[1]


def budget_scale(yardstick_steps_per_s: float) -> float:
    """Wall-clock seconds here per second of the specification's reference machine."""
    if not yardstick_steps_per_s > 0:
        raise ValueError(f"yardstick speed must be positive; got {yardstick_steps_per_s}")
    return REFERENCE_STEPS_PER_S / yardstick_steps_per_s


def budgets(budget_s: float, quick: bool, time_scale: float, quick_s: float) -> tuple[float, float]:
    """A section's ``(budget_s, wall_budget_s)``: the nominal budget and the wall-clock seconds it gets here.

    ``--quick`` replaces the budget by ``quick_s`` wall-clock seconds; otherwise the wall-clock budget is
    ``budget_s * time_scale`` (see ``--reference-seconds`` and :func:`budget_scale`).
    """
    return (quick_s, quick_s) if quick else (budget_s, budget_s * time_scale)


# ----------------------------------------------------------------------------------------------------
# Sections


def bench_chapters(quick: bool) -> list[dict]:
    """Execute every solution notebook with nbclient, in default mode and in fast mode (quick: chapter 0, fast)."""
    import os

    import nbformat
    from nbclient import NotebookClient

    from gan_helpers.course import FAST_ENV
    from gan_helpers.widgets import WIDGETS_ENV
    from grading.course import chapters, notebook_path

    rows = []
    modes = ("fast",) if quick else ("default", "fast")
    for chapter in chapters(ROOT)[:1] if quick else chapters(ROOT):
        row = {"chapter": chapter}
        for mode in modes:
            nb = nbformat.read(notebook_path(ROOT, "solutions", chapter), as_version=4)
            saved = {k: os.environ.get(k) for k in (FAST_ENV, WIDGETS_ENV)}
            os.environ[FAST_ENV] = "1" if mode == "fast" else "0"
            os.environ[WIDGETS_ENV] = "static"
            try:
                start = time.perf_counter()
                NotebookClient(nb, timeout=900, kernel_name="python3",
                               resources={"metadata": {"path": str(notebook_path(ROOT, "solutions", chapter).parent)}}
                               ).execute()
                row[f"{mode}_s"] = time.perf_counter() - start
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        rows.append(row)
    return rows


TRUNCATION_REJECT = 0.01  # the fraction of draws that the "truncated_" columns throw away


def bench_toys(quick: bool, seeds: tuple[int, ...], time_scale: float = 1.0) -> list[dict]:
    """Mode coverage of the 2-D GAN and WGAN-GP presets within wall-clock budgets (each budget
    times ``time_scale``, see ``--reference-seconds``).

    2,500 samples per run; high quality = within 3 std of a centre; a mode is captured with at least
    ``gan_helpers.collapse.MIN_COUNT`` (20) high-quality samples, as in chapter 4 (stricter than the 1
    of the PacGAN code). The ``truncated_`` columns measure the same generator again with Jacobian-based
    truncation (``Toy2DTrainer.sample(reject=TRUNCATION_REJECT)``, Tanielian et al. 2020): the same
    noise plus 1 % more draws, of which the 1 % where G is steepest are thrown away. They are reported
    beside the plain figures, never instead of them.
    """
    from gan_helpers.collapse import MIN_COUNT
    from gan_helpers.data import toy_centres, toy_std
    from gan_helpers.metrics import mode_coverage
    from gan_helpers.toy2d import Toy2DConfig, Toy2DTrainer

    budget_by_data = {"ring8": (10.0,), "grid25": (60.0,)}  # the budgets of the course targets (spec section 9)
    rows = []
    for loss in ("gan", "wgan-gp"):
        for data, times in budget_by_data.items():
            for budget_s, seconds in (budgets(t, quick, time_scale, 1.0) for t in times):
                preset = f"{loss}-{'ring' if data == 'ring8' else 'grid'}"
                config = Toy2DConfig.preset(preset)
                preset_steps, rate = config.steps, None
                if not quick:  # the preset's schedule stretched or shrunk to the budget on this machine
                    probe = Toy2DTrainer(config)
                    budget_steps, rate = steps_for_budget(lambda n: probe.train_for(steps=n), seconds, 300)
                    config = replace(config, steps=budget_steps)
                modes, quality, kl, steps, wall, modes_cut, quality_cut = [], [], [], [], [], [], []
                for seed in seeds:
                    torch.manual_seed(seed)  # weights, noise and the data stream all come from this seed
                    trainer = Toy2DTrainer(config)
                    start = time.perf_counter()
                    trainer.train_for(seconds=seconds, steps=1 if quick else config.steps)
                    wall.append(time.perf_counter() - start)
                    def coverage(reject: float) -> dict:  # the same noise each time, plus the draws rejection needs
                        torch.manual_seed(10_000 + seed)
                        return mode_coverage(trainer.sample(2500, reject=reject), toy_centres(data), toy_std(data),
                                             min_count=MIN_COUNT)
                    cov, cut = coverage(0.0), coverage(TRUNCATION_REJECT)
                    modes.append(cov["modes_captured"])
                    quality.append(cov["high_quality_fraction"])
                    kl.append(cov["reverse_kl"])
                    modes_cut.append(cut["modes_captured"])
                    quality_cut.append(cut["high_quality_fraction"])
                    steps.append(trainer.step_count)
                k = len(toy_centres(data))
                rows.append({"model": loss, "data": data, "budget_s": budget_s, "wall_budget_s": seconds,
                             "preset": preset, "preset_steps": preset_steps, "probe_steps_per_s": rate,
                             "budget_steps": config.steps,
                             "seeds": list(seeds),
                             "modes_per_seed": modes, "hq_per_seed": quality, "modes_mean": statistics.fmean(modes),
                             "modes_worst": min(modes), "of": k,
                             "hq_mean": statistics.fmean(quality), "hq_worst": min(quality),
                             "reverse_kl_worst": max(kl),
                             "truncated_reject": TRUNCATION_REJECT, "truncated_modes_worst": min(modes_cut),
                             "truncated_hq_per_seed": quality_cut, "truncated_hq_mean": statistics.fmean(quality_cut),
                             "truncated_hq_worst": min(quality_cut),
                             "steps_mean": statistics.fmean(steps), "wall_s_max": max(wall)})
    return rows


FID_SAMPLES = 10_000  # generated digits per FID: enough that the generated side's sampling noise is small
PR_SAMPLES = 1_500    # generated digits for precision/recall: as many as the train split they are compared with


def _digits_row(name: str, seeds, per_seed: list[dict], baseline: float, extra_keys: tuple[str, ...]) -> dict:
    row = {"model": name, "seeds": list(seeds), "real_vs_real_fid": baseline}
    fids = [r["fid"] for r in per_seed]
    row.update({"fid_per_seed": fids, "fid_mean": statistics.fmean(fids), "fid_worst": max(fids),
                "fid_over_baseline_worst": max(fids) / baseline})
    for key in extra_keys:
        values = [r[key] for r in per_seed]
        row.update({f"{key}_per_seed": values, f"{key}_mean": statistics.fmean(values), f"{key}_worst": min(values)})
    row["steps_mean"] = statistics.fmean(r["steps"] for r in per_seed)
    return row


def bench_digits(quick: bool, seeds: tuple[int, ...], budget_s: float = 180.0, time_scale: float = 1.0) -> list[dict]:
    """Unconditional DCGAN (tiny preset, 32×32 digits) within a CPU budget (times ``time_scale``): FID,
    precision/recall, classes.

    The FID protocol is the conditional section's (see :func:`bench_conditional`): 10,000 generated
    digits against the 297 held-out ones, read against the training split's own FID against them.
    """
    from gan_helpers.data import digits
    from gan_helpers.dcgan import DCGANConfig, DCGANTrainer
    from gan_helpers.digits_classifier import class_histogram, digits_fid, digits_precision_recall, real_vs_real_fid
    from gan_helpers.training import fit

    budget_s, wall_budget_s = budgets(budget_s, quick, time_scale, 2.0)
    per_seed = []
    for seed in seeds:
        torch.manual_seed(seed)
        trainer = DCGANTrainer(DCGANConfig.preset("tiny"))
        fit(trainer, digits("train", resolution=32), steps=10**9, batch_size=64, seed=seed, progress=False,
            time_budget_s=wall_budget_s)
        torch.manual_seed(10_000 + seed)
        samples = trainer.sample(FID_SAMPLES)
        pr = digits_precision_recall(samples[:PR_SAMPLES])
        hist = class_histogram(samples)
        per_seed.append({"fid": digits_fid(samples, reference="test"), "precision": pr["precision"],
                         "recall": pr["recall"], "min_class_fraction": float(hist.min()), "steps": trainer.step_count,
                         "histogram": [round(float(h), 3) for h in hist]})
    row = _digits_row("dcgan tiny (32x32)", seeds, per_seed, real_vs_real_fid(32),
                      ("precision", "recall", "min_class_fraction"))
    row.update(budget_s=budget_s, wall_budget_s=wall_budget_s)
    row["class_histogram_worst_seed"] = min(per_seed, key=lambda r: r["min_class_fraction"])["histogram"]
    return [row]


def bench_conditional(quick: bool, seeds: tuple[int, ...], budget_s: float = 60.0, time_scale: float = 1.0
                      ) -> list[dict]:
    """Class-conditional MLP GAN on the 8×8 digits within a budget (times ``time_scale``): classifier
    accuracy on requested classes, FID.

    Protocol: 10,000 labels drawn from the training split's class frequencies, one generated digit
    for each; the classifier's accuracy on the requested labels, and their digits FID against the
    297 held-out digits (``reference="test"``). The real-vs-real baseline is the same computation
    with the 1,500 training digits in place of the generated ones, so a generator that reproduced
    its training set would score the baseline. (A few hundred generated digits against the train
    split are far too noisy to compare with it: 297-digit subsets of the training split itself
    scored 12.7-33.6 (five draws) against the split they were drawn from.)
    """
    from gan_helpers.conditional import ConditionalConfig, ConditionalTrainer
    from gan_helpers.data import digits
    from gan_helpers.digits_classifier import classifier_accuracy, digits_fid, real_vs_real_fid
    from gan_helpers.training import fit

    budget_s, wall_budget_s = budgets(budget_s, quick, time_scale, 2.0)
    config = ConditionalConfig.preset("tiny")
    train = digits("train", resolution=8)
    preset_steps, rate = config.steps, None
    if not quick:  # the preset's schedule (lr decaying to 0) sized to the budget on this machine
        probe = ConditionalTrainer(config)
        budget_steps, rate = steps_for_budget(
            lambda n: fit(probe, train, steps=probe.step_count + n, batch_size=config.batch_size, progress=False),
            wall_budget_s, 200)
        config = replace(config, steps=budget_steps)
    per_seed = []
    for seed in seeds:
        torch.manual_seed(seed)
        trainer = ConditionalTrainer(config)
        fit(trainer, train, steps=config.steps, batch_size=config.batch_size, seed=seed, progress=False,
            time_budget_s=wall_budget_s)
        torch.manual_seed(10_000 + seed)
        labels = train.labels[torch.randint(len(train.labels), (FID_SAMPLES,))]
        with torch.no_grad():
            samples = trainer.sampler.sample(labels)
        per_seed.append({"accuracy": classifier_accuracy(samples, labels),
                         "fid": digits_fid(samples, reference="test"), "steps": trainer.step_count})
    row = _digits_row("conditional tiny (8x8 MLP)", seeds, per_seed, real_vs_real_fid(8), ("accuracy",))
    row.update(budget_s=budget_s, wall_budget_s=wall_budget_s, preset_steps=preset_steps, probe_steps_per_s=rate,
               budget_steps=config.steps)
    return [row]


def bench_steps(quick: bool) -> list[dict]:
    """Median wall-clock time of one training step of each family at its tiny preset (CLI batch size)."""
    from gan_helpers.cli import FAMILIES, TOY_DATA, _fit_config_to_data
    from gan_helpers.data import make_dataset
    from gan_helpers.training import BatchStream

    rows = []
    repeats = 3 if quick else 20
    for name, fam in FAMILIES.items():
        config_cls, trainer_cls = fam.classes()
        config = config_cls.preset("tiny")
        resolution = None if fam.data.startswith(TOY_DATA) else getattr(config, "resolution", None)
        dataset = make_dataset(fam.data, resolution=resolution)
        config = _fit_config_to_data(config, dataset)
        torch.manual_seed(0)
        trainer = trainer_cls(config)
        stream = BatchStream(dataset, fam.batch_size, seed=0)
        for _ in range(2):  # warm-up
            trainer.step(next(stream))
        times = []
        for _ in range(repeats):
            batch = next(stream)
            start = time.perf_counter()
            trainer.step(batch)
            times.append(time.perf_counter() - start)
        rows.append({"model": name, "preset": "tiny", "batch": fam.batch_size,
                     "median_ms": 1000 * statistics.median(times), "max_ms": 1000 * max(times),
                     "steps_per_s": 1 / statistics.median(times)})
    return rows


def bench_autograde(quick: bool, students: int = 30, chapter: str | None = None, jobs: int = 2) -> list[dict]:
    """Autograde a generated class (solutions and catalogue mistakes in turn) in a scratch course,
    with the instructor's pipeline (`python -m grading autograde`: each submission in its own
    process and scratch course, with limits), ``jobs`` submissions at a time."""
    import nbformat

    from grading.course import chapters, fill_release, notebook_path, run_nbgrader
    from tests.catalogue import load

    chapter = chapter or chapters(ROOT)[0]
    students = min(students, 2) if quick else students
    with tempfile.TemporaryDirectory(prefix="gan-course-bench-") as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
        shutil.copytree(ROOT / "solutions" / chapter, course / "solutions" / chapter)
        start = time.perf_counter()
        run_nbgrader(["generate_assignment", chapter, "--force"], course_root=course, capture=True)
        release_s = time.perf_counter() - start
        release = nbformat.read(notebook_path(course, "notebooks", chapter), as_version=4)
        solution = nbformat.read(notebook_path(course, "solutions", chapter), as_version=4)
        mistakes = load(chapter)
        for i in range(students):
            patches = None if i % 2 == 0 or not mistakes else {
                mistakes[i // 2 % len(mistakes)].cell: mistakes[i // 2 % len(mistakes)].patches}
            path = notebook_path(course, "submitted", chapter, f"student{i:03d}")
            path.parent.mkdir(parents=True)
            nbformat.write(fill_release(release, solution, patches), path)
        start = time.perf_counter()
        graded = subprocess.run([sys.executable, "-m", "grading", "--course-root", str(course), "autograde", chapter,
                                 "--jobs", str(jobs)],
                                check=True, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        autograde_s = time.perf_counter() - start
        graded_ok = graded.stdout.count(": graded, ")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grading", "--course-root", str(course), "feedback", chapter],
                       check=True, cwd=ROOT, capture_output=True, stdin=subprocess.DEVNULL)
        feedback_s = time.perf_counter() - start
    return [{"chapter": chapter, "students": students, "graded": graded_ok, "jobs": jobs, "release_s": release_s,
             "autograde_s": autograde_s, "per_student_s": autograde_s / students, "feedback_s": feedback_s}]


# ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="sections to run")
    parser.add_argument("--quick", action="store_true", help="tiny budgets: checks the benchmark runs")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(DEFAULT_SEEDS),
                        help="seeds for every training-quality figure (at least 4 for reported numbers)")
    parser.add_argument("--students", type=int, default=30, help="class size for the autograde section")
    parser.add_argument("--jobs", type=int, default=2, help="submissions autograded at once (autograde section)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json", help="JSON output")
    parser.add_argument("--reference-seconds", action="store_true",
                        help="read the training budgets as seconds on the specification's reference machine "
                             f"(scaled by {REFERENCE_STEPS_PER_S:g} / this machine's yardstick steps per second)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads for training (the tiny models run fastest on one; 0 = torch's default)")
    args = parser.parse_args(argv)
    seeds = tuple(args.seeds)
    if args.threads:
        torch.set_num_threads(args.threads)

    yardstick = reference_speed(30 if args.quick else 300)
    scale = budget_scale(yardstick) if args.reference_seconds else 1.0
    runners = {
        "chapters": lambda: bench_chapters(args.quick),
        "toys": lambda: bench_toys(args.quick, seeds, time_scale=scale),
        "digits": lambda: bench_digits(args.quick, seeds, time_scale=scale),
        "conditional": lambda: bench_conditional(args.quick, seeds, time_scale=scale),
        "steps": lambda: bench_steps(args.quick),
        "autograde": lambda: bench_autograde(args.quick, args.students, jobs=args.jobs),
    }
    results = {"machine": {"python": platform.python_version(), "torch": torch.__version__,
                           "cpu_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available(),
                           "platform": platform.platform(),
                           "reference_gan_steps_per_s": yardstick},
               "budget_scale": scale,
               "quick": args.quick, "seeds": list(seeds), "sections": {}}
    print(f"machine: {results['machine']['reference_gan_steps_per_s']:.0f} steps/s of the specification's "
          "yardstick (2-D GAN, 3 x 128 MLPs, batch 512; planned at 200-250)")
    if args.reference_seconds:
        print(f"budgets in reference seconds: each training budget runs {scale:.2f}x as long here")
    for section in SECTIONS:
        if section not in args.only:
            continue
        start = time.perf_counter()
        rows = runners[section]()
        results["sections"][section] = {"rows": rows, "wall_s": time.perf_counter() - start}
        print_table(f"{section} ({results['sections'][section]['wall_s']:.0f} s)", rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
