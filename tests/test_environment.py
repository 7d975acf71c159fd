"""The set-up files agree with each other and with what the README promises."""

from __future__ import annotations

import re
import tomllib

import pytest

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([A-Za-z0-9_.+\-]+)$")


def requirement_pins(root):
    pins = {}
    for line in (root / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"requirements.txt line {line!r} is not an exact pin (name==version)"
        pins[match[1].lower()] = match[2]
    return pins


def conda_pins(root):
    text = (root / "environment.yml").read_text()
    python = re.search(r"^\s*-\s*python=(\S+)\s*$", text, re.M)
    pins = {}
    for name, version in re.findall(r"^\s{4,}-\s*([A-Za-z0-9_.\-\[\]]+)==(\S+)\s*$", text, re.M):
        pins[name.lower()] = version
    return (python[1] if python else None), pins


def test_requirements_are_exact_pins_of_what_the_course_needs(root):
    pins = requirement_pins(root)
    needed = {"torch": "2.14.1", "torchvision": "0.29.1"}
    for name, version in needed.items():
        assert pins.get(name) == version, f"requirements.txt pins {name}=={pins.get(name)}; expected {version}"
    for name in ["jupyterlab", "notebook", "ipywidgets", "matplotlib", "scipy", "nbgrader", "nbval",
                 "pytest", "tqdm", "scikit-learn"]:
        assert name in pins, f"requirements.txt does not pin {name}"


def test_environment_yml_matches_requirements(root):
    python, conda = conda_pins(root)
    assert python == "3.11", f"environment.yml asks for python={python}; the course pins are for 3.11"
    pip = requirement_pins(root)
    assert conda == pip, (
        "environment.yml and requirements.txt disagree: "
        f"only in environment.yml {sorted(set(conda.items()) - set(pip.items()))}, "
        f"only in requirements.txt {sorted(set(pip.items()) - set(conda.items()))}")


def test_pyproject_installs_gan_helpers(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "gan_helpers"
    assert project["tool"]["setuptools"]["packages"] == ["gan_helpers"]
    deps = {re.split(r"[<>=!~ ]", d)[0] for d in project["project"]["dependencies"]}
    assert {"torch", "numpy", "tqdm"} <= deps


@pytest.mark.parametrize("target", ["lab", "test", "release", "autograde", "feedback", "grades"])
def test_makefile_has_documented_targets(root, target):
    makefile = (root / "Makefile").read_text()
    readme = (root / "README.md").read_text()
    assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no `{target}` target"
    assert f"make {target}" in readme, f"README does not document `make {target}`"


def test_ci_runs_the_readme_test_command_and_fails_on_no_tests(root):
    ci = (root / ".ci" / "run").read_text()
    assert "make test" in ci
    assert "-eq 5" in ci and "exit 1" in ci, ".ci/run must turn pytest's exit 5 (no tests) into a failure"
    makefile = (root / "Makefile").read_text()
    assert "-eq 5" in makefile, "make test must turn pytest's exit 5 (no tests) into a failure"


def test_virtualenv_and_grading_state_are_ignored(root):
    ignored = (root / ".gitignore").read_text().split()
    for entry in [".venv/", "gradebook.db", "submitted/", "autograded/", "feedback/"]:
        assert entry in ignored, f".gitignore does not ignore {entry}"
