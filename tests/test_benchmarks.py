"""The benchmark runs from a clean clone: every section, with tiny budgets (`--quick`)."""

import json
import subprocess
import sys

import pytest


def test_benchmark_quick_run_writes_every_section(root, tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--seeds", "0", "1", "--students", "2",
                             "--reference-seconds", "--out", str(out)], cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads(out.read_text())
    sections = results["sections"]
    assert set(sections) == {"chapters", "toys", "digits", "conditional", "steps", "autograde"}
    assert results["seeds"] == [0, 1]
    assert results["machine"]["reference_gan_steps_per_s"] > 0
    assert abs(results["budget_scale"] * results["machine"]["reference_gan_steps_per_s"] - 225.0) < 1e-6
    toys = sections["toys"]["rows"]
    assert {(r["model"], r["data"]) for r in toys} == {(m, d) for m in ("gan", "wgan-gp") for d in ("ring8", "grid25")}
    for row in toys:
        assert len(row["modes_per_seed"]) == 2 and row["modes_worst"] == min(row["modes_per_seed"])
        assert 0 <= row["hq_worst"] <= row["hq_mean"] <= 1
        assert 0 <= row["truncated_hq_worst"] <= row["truncated_hq_mean"] <= 1 and row["truncated_reject"] == 0.01
    for row in sections["digits"]["rows"] + sections["conditional"]["rows"]:
        assert row["real_vs_real_fid"] > 0 and row["fid_worst"] >= row["fid_mean"] > 0
    assert {r["model"] for r in sections["steps"]["rows"]} >= {"dcgan", "wgan-gp", "stylegan2", "cyclegan",
                                                               "pix2pix", "conditional", "toy2d"}
    assert all(r["median_ms"] > 0 for r in sections["steps"]["rows"])
    assert sections["autograde"]["rows"][0]["students"] == 2
    for section in sections:
        assert f"## {section}" in result.stdout, f"the {section} table was not printed"


def test_steps_for_budget_fills_the_budget_at_the_measured_speed():
    from benchmarks.run import BUDGET_MARGIN, steps_for_budget

    now = [0.0]
    calls = []

    def run_steps(n):  # a machine that takes 10 ms a step
        calls.append(n)
        now[0] += 0.01 * n

    steps, rate = steps_for_budget(run_steps, seconds=60.0, probe_steps=300, clock=lambda: now[0])
    assert calls == [30, 300], f"expected a 30-step warm-up, then 300 timed steps; got {calls}"
    assert abs(rate - 100.0) < 1e-6, f"10 ms a step is 100 steps/s; got {rate}"
    assert steps == int(100 * 60 * BUDGET_MARGIN), f"expected {int(100 * 60 * BUDGET_MARGIN)} steps; got {steps}"


def test_reference_seconds_scale_with_the_yardstick():
    from benchmarks.run import REFERENCE_STEPS_PER_S, budget_scale

    assert REFERENCE_STEPS_PER_S == 225.0, "the middle of the specification's 200-250 steps/s"
    assert abs(budget_scale(75.0) - 3.0) < 1e-12, "a machine 3x slower than the reference runs each budget 3x longer"
    assert abs(budget_scale(450.0) - 0.5) < 1e-12
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="yardstick speed must be positive"):
            budget_scale(bad)


def test_budgets_scale_the_wall_clock_only_outside_quick_mode():
    from benchmarks.run import budgets

    assert budgets(60.0, quick=False, time_scale=2.5, quick_s=2.0) == (60.0, 150.0), \
        "a 60 s reference budget on a machine 2.5x slower should get 150 s of wall clock"
    assert budgets(60.0, quick=False, time_scale=1.0, quick_s=2.0) == (60.0, 60.0)
    assert budgets(60.0, quick=True, time_scale=2.5, quick_s=2.0) == (2.0, 2.0), \
        "--quick replaces every budget by its few wall-clock seconds, unscaled"
