"""Chapter 0 in a real browser: JupyterLab, headless Chromium, Run All, and what the page shows.

The other notebook tests execute chapters with nbclient, which never renders anything. This one
does what a learner does: it starts JupyterLab on a scratch copy of ``notebooks/``, opens chapter 0
in Debian's Chromium (driven by Selenium through Debian's ``chromium-driver``), clicks
*Run > Run All Cells* and reads the rendered page:

* on a copy of chapter 0 with every solution cell filled in from ``solutions/``, the 1-D game's
  ipywidgets control is a live widget in the DOM (its buttons and its figure), every visible test
  prints its ``✔`` pass message, and the kernel is the course environment's Python;
* on the untouched release, Run All stops at the first exercise with the stub's
  ``NotImplementedError``, and running the first check cell shows the learner-facing message
  ("answer_q1 is not answered yet: ...").

Screenshots land in pytest's ``tmp_path``; set ``GAN_COURSE_BROWSER_SCREENSHOTS=<folder>`` to keep
a copy. Without Chromium the test is skipped with a message saying how to enable it; with
``GAN_COURSE_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets) a missing browser is a failure instead.

Enable it on Debian/Ubuntu with ``sudo apt-get install chromium chromium-driver`` (the Selenium
pin is in requirements.txt); elsewhere point ``GAN_COURSE_CHROMIUM`` and ``GAN_COURSE_CHROMEDRIVER``
at a Chromium or Chrome and its matching driver. Selenium is pointed at the system driver explicitly,
so it never tries to download a browser or a driver of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest
import requests

from grading.course import fill_release, nbgrader_cells, notebook_path

CHAPTER = "ch00_adversarial_idea"
REQUIRE_ENV = "GAN_COURSE_REQUIRE_BROWSER"
SCREENSHOT_ENV = "GAN_COURSE_BROWSER_SCREENSHOTS"
HOW_TO_ENABLE = ("install Debian's chromium and chromium-driver to run this test "
                 "(sudo apt-get install chromium chromium-driver), and selenium from requirements.txt")
BROWSER_ENV, DRIVER_ENV = "GAN_COURSE_CHROMIUM", "GAN_COURSE_CHROMEDRIVER"  # other paths, e.g. a Chrome
BROWSERS = ["/usr/bin/chromium", "chromium", "chromium-browser"]
DRIVERS = ["/usr/bin/chromedriver", "chromedriver"]
KERNEL_PROBE = 'import sys\nprint("kernel prefix: " + sys.prefix)'
CELLS = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"  # the open notebook's cells, in order
WIDGET_BUTTONS = ".jupyter-widgets button, button.jupyter-button"      # ipywidgets Buttons as rendered
WIDGET_FIGURE = ".jupyter-widgets-output-area img, .widget-output img"  # an image inside an Output widget
RUN_LIMIT_S = 120  # for one Run All; chapter 0 takes about 10 s of kernel time in fast mode

PASSED_CALL = re.compile(r"""passed\(\s*(["'])(.+?)\1\s*\)""")


def pass_messages(nb: nbformat.NotebookNode) -> dict[str, str]:
    """``{grade_id: message}`` for each visible test cell that ends by calling ``passed("...")``."""
    out = {}
    for grade_id, cell in nbgrader_cells(nb).items():
        meta = cell.metadata["nbgrader"]
        match = PASSED_CALL.search(cell.source) if cell.cell_type == "code" and meta.get("grade") else None
        if match:
            out[grade_id] = match[2]
    return out


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason: str):
    """Skip, or fail when GAN_COURSE_REQUIRE_BROWSER asks for the browser test to run."""
    if required():
        pytest.fail(f"{reason}; {REQUIRE_ENV} is set, so the browser test must run: {HOW_TO_ENABLE}")
    pytest.skip(f"{reason}: {HOW_TO_ENABLE}")


def find_executable(candidates: list[str], override: str) -> str | None:
    """The first candidate on PATH, or only the one that the environment variable ``override`` names."""
    if os.environ.get(override):
        candidates = [os.environ[override]]
    for name in candidates:
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def code_cell_index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    """Position of a cell among the notebook's cells (the DOM lists cells in the same order)."""
    for i, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(f"chapter 0 has no cell with grade_id {grade_id!r}")


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def selenium_webdriver():
    try:
        from selenium import webdriver
    except ImportError:
        unavailable("the selenium package is not installed")
    return webdriver


@pytest.fixture(scope="module")
def lab_root(root, tmp_path_factory) -> Path:
    """A scratch folder: ``notebooks/`` as released, and ``solved/`` with chapter 0 answered."""
    scratch = tmp_path_factory.mktemp("browser_lab")
    shutil.copytree(root / "notebooks", scratch / "notebooks")
    release = nbformat.read(notebook_path(root, "notebooks", CHAPTER), as_version=4)
    solution = nbformat.read(notebook_path(root, "solutions", CHAPTER), as_version=4)
    solved = fill_release(release, solution)
    solved.cells.append(nbformat.v4.new_code_cell(KERNEL_PROBE))
    target = notebook_path(scratch, "solved", CHAPTER)
    target.parent.mkdir(parents=True)
    nbformat.write(solved, target)
    return scratch


@pytest.fixture(scope="module")
def lab_server(lab_root, tmp_path_factory, selenium_webdriver):
    """JupyterLab on a free loopback port, isolated from the user's Jupyter config and state."""
    home = tmp_path_factory.mktemp("jupyter_home")
    settings = home / "settings"
    # Render every cell into the DOM (no windowing) and never ask to fetch news from the internet.
    for plugin, body in [("notebook-extension/tracker", '{"windowingMode": "none"}'),
                         ("apputils-extension/notification", '{"fetchNews": "false", "checkForUpdates": false}')]:
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    env = {k: v for k, v in os.environ.items()
           if k not in {"MPLBACKEND", "GAN_COURSE_WIDGETS", "JUPYTER_PATH", "JPY_SESSION_NAME"}}
    env.update({
        "GAN_COURSE_FAST": "1",
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),  # no user kernelspec can shadow the .venv's python3
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "OMP_NUM_THREADS": "1",
    })
    token = uuid.uuid4().hex
    port = free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={lab_root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(home / "jupyterlab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}"}
    try:
        for _ in range(240):
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{(home / 'jupyterlab.log').read_text()}")
            try:
                if requests.get(f"{base}/api/status", headers=headers, timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        specs = requests.get(f"{base}/api/kernelspecs", headers=headers, timeout=10).json()
        assert specs["default"] == "python3" and "python3" in specs["kernelspecs"], (
            f"JupyterLab should offer the course environment's python3 kernel; it offers {specs}")
        # The python3 kernelspec JupyterLab sees (same environment) is the course environment's own.
        listed = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"], env=env,
                                capture_output=True, text=True, timeout=60, check=True)
        resource_dir = Path(json.loads(listed.stdout)["kernelspecs"]["python3"]["resource_dir"])
        assert resource_dir.is_relative_to(sys.prefix), (
            f"the python3 kernelspec should be the one in {sys.prefix}; JupyterLab would use {resource_dir}")
        yield {"base": base, "token": token, "headers": headers}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def driver(selenium_webdriver):
    """Headless Debian Chromium through Debian's chromium-driver (never Selenium Manager's downloads)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser, chromedriver = find_executable(BROWSERS, BROWSER_ENV), find_executable(DRIVERS, DRIVER_ENV)
    if not browser or not chromedriver:
        missing = " and ".join(n for n, p in [("chromium", browser), ("chromedriver", chromedriver)] if not p)
        unavailable(f"no {missing} found (looked on PATH, or at ${BROWSER_ENV} / ${DRIVER_ENV} when set)")
    options = Options()
    options.binary_location = browser
    for arg in ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--no-first-run", "--disable-extensions"]:
        options.add_argument(arg)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    try:
        drv = selenium_webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    except WebDriverException as err:
        unavailable(f"Chromium ({browser}) did not start under {chromedriver}: {err.msg}")
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


# --- driving JupyterLab ---------------------------------------------------------------------------

def wait_for(predicate, timeout: float, what: str, poll: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


CELL_STATE_JS = """
const cells = Array.from(document.querySelectorAll(arguments[0]));
return cells.map(c => {
  const prompt = c.querySelector('.jp-InputArea-prompt');
  return {prompt: prompt ? prompt.textContent.trim() : '',
          text: Array.from(c.querySelectorAll('.jp-OutputArea-output')).map(o => o.innerText).join('\\n'),
          error: c.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]') !== null};
});
"""


def cell_states(driver) -> list[dict]:
    return driver.execute_script(CELL_STATE_JS, CELLS)


def kernel_idle(driver) -> bool:
    """The notebook toolbar's execution indicator says the kernel is idle."""
    return driver.execute_script("""
const el = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
return el !== null && el.getAttribute('data-status') === 'idle';
""")


def open_notebook(driver, server, relpath: str, n_cells: int) -> None:
    driver.get(f"{server['base']}/lab/tree/{relpath}?token={server['token']}&reset")
    wait_for(lambda: len(cell_states(driver)) == n_cells, 60, f"JupyterLab to show the {n_cells} cells of {relpath}")
    wait_for(lambda: kernel_idle(driver), 60, "the kernel to start and report idle")


def run_menu_command(driver, menu: str, label: str) -> None:
    """Click a menu of the menu bar, then its item with this label, as a learner does."""
    from selenium.webdriver.common.by import By

    items = driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
    match = [i for i in items if i.text.strip() == menu]
    assert match, f"no {menu!r} menu in JupyterLab's menu bar; menus: {[i.text for i in items]}"
    match[0].click()

    def entry():
        for item in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu .lm-Menu-item"):
            labels = item.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel")
            if labels and labels[0].text.strip() == label:
                return item
        return None

    wait_for(entry, 10, f"the {label!r} entry of the {menu} menu").click()


def run_all_and_wait(driver, done) -> list[dict]:
    run_menu_command(driver, "Run", "Run All Cells")
    started = time.monotonic()

    def finished():
        states = cell_states(driver)
        busy = any("*" in s["prompt"] for s in states)
        return states if not busy and done(states) and kernel_idle(driver) else None

    states = wait_for(finished, RUN_LIMIT_S, "Run All to finish", poll=0.5)
    print(f"Run All took {time.monotonic() - started:.1f} s")
    return states


def save_screenshot(driver, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"Chromium could not save the screenshot {path}"
    keep = os.environ.get(SCREENSHOT_ENV)
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


def scroll_to_cell(driver, index: int) -> None:
    driver.execute_script("""
document.querySelectorAll(arguments[0])[arguments[1]].scrollIntoView({block: 'start'});
""", CELLS, index)
    time.sleep(0.3)


# --- the tests ------------------------------------------------------------------------------------

def test_solved_chapter_runs_in_the_browser_with_live_widget_and_pass_messages(
        driver, lab_server, lab_root, tmp_path):
    from selenium.webdriver.common.by import By

    relpath = f"solved/{CHAPTER}/{CHAPTER}.ipynb"
    nb = nbformat.read(lab_root / relpath, as_version=4)
    open_notebook(driver, lab_server, relpath, len(nb.cells))
    states = run_all_and_wait(driver, lambda s: "kernel prefix:" in s[-1]["text"])

    errors = [(i, s["text"][-300:]) for i, s in enumerate(states) if s["error"]]
    assert not errors, f"cells of the solved chapter 0 raised in the browser: {errors}"
    messages = pass_messages(nb)
    assert len(messages) >= 6, f"chapter 0 should have at least 6 visible tests that call passed(); found {messages}"
    for grade_id, message in messages.items():
        text = states[code_cell_index(nb, grade_id)]["text"]
        assert f"\u2714 {message}" in text, (
            f"the visible test {grade_id} should print '\u2714 {message}' on the page; it shows {text!r}")

    # The kernel JupyterLab started is the course environment's Python (the .venv's python3 kernelspec).
    probe = states[-1]["text"]
    assert f"kernel prefix: {sys.prefix}" in probe, (
        f"the notebook kernel should run in {sys.prefix} (the course environment); it printed {probe!r}")

    # The 1-D game is a live ipywidgets control: its buttons and its Output widget holding the figure.
    widget_index = code_cell_index(nb, "widget_game")
    cell = driver.find_elements(By.CSS_SELECTOR, CELLS)[widget_index]
    buttons = [b.text.strip() for b in cell.find_elements(By.CSS_SELECTOR, WIDGET_BUTTONS)]
    assert buttons == ["1 step", "10 steps", "Reset"], (
        f"the widget cell should render the game's three buttons as ipywidgets; it shows {buttons} "
        f"and the text {states[widget_index]['text'][:300]!r}")
    figure = cell.find_elements(By.CSS_SELECTOR, WIDGET_FIGURE)
    assert figure, "the game widget's Output area should hold the rendered figure (an <img>)"
    assert "Error displaying widget" not in states[widget_index]["text"], "the widget manager failed to render"

    # Clicking a button runs the Python callback in the kernel: the figure's title moves to step 10.
    before = figure[0].get_attribute("src")
    [b for b in cell.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == "10 steps"][0].click()
    wait_for(lambda: any(i.get_attribute("src") != before for i in cell.find_elements(By.CSS_SELECTOR, WIDGET_FIGURE)),
             30, "the widget's figure to redraw after clicking '10 steps'")

    scroll_to_cell(driver, widget_index)
    shot = save_screenshot(driver, tmp_path, "ch00_solved_widget")
    assert shot.stat().st_size > 10_000, f"the screenshot {shot} is suspiciously small"
    scroll_to_cell(driver, code_cell_index(nb, "bce_values"))
    save_screenshot(driver, tmp_path, "ch00_solved_tests")


def test_release_shows_the_learner_facing_failure_message(driver, lab_server, lab_root, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    relpath = f"notebooks/{CHAPTER}/{CHAPTER}.ipynb"
    nb = nbformat.read(lab_root / relpath, as_version=4)
    assert "answer_q1" in nbgrader_cells(nb), "chapter 0's release should start its exercises with answer_q1"
    open_notebook(driver, lab_server, relpath, len(nb.cells))
    first = code_cell_index(nb, "answer_q1")
    states = run_all_and_wait(driver, lambda s: s[first]["error"])

    # Run All stops at the first stub: everything before it ran, nothing after it did.
    assert "NotImplementedError" in states[first]["text"], (
        f"the unanswered answer_q1 cell should show the stub's NotImplementedError; it shows {states[first]['text']!r}")
    earlier = [i for i in range(first) if states[i]["error"]]
    assert not earlier, f"cells {earlier} before the first exercise failed in the release"
    widget_index = code_cell_index(nb, "widget_game")
    assert driver.find_elements(By.CSS_SELECTOR, ".jupyter-widgets button"), (
        f"the widget (before the first exercise) should render in the release too; cell shows "
        f"{states[widget_index]['text'][:200]!r}")
    later = [i for i in range(first + 1, len(states)) if states[i]["text"]]
    assert not later, f"Run All should stop at the first unanswered exercise; cells {later} ran after it"

    # The learner runs the check cell anyway: it explains what to do, in plain words.
    check = code_cell_index(nb, "check_q1")
    cell = driver.find_elements(By.CSS_SELECTOR, CELLS)[check]
    scroll_to_cell(driver, check)
    cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
    text = wait_for(lambda: cell_states(driver)[check]["text"], 30, "the check_q1 cell's output")
    expected = "answer_q1 is not answered yet: set it to one of 'a', 'b', 'c', 'd'."
    assert expected in text, f"the check cell should tell the learner {expected!r}; the page shows {text!r}"
    save_screenshot(driver, tmp_path, "ch00_release_not_answered")


# --- skipping without a browser, failing when CI requires one --------------------------------------

def test_missing_browser_skips_with_how_to_enable(monkeypatch):
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="install Debian's chromium and chromium-driver"):
        unavailable("no chromium found on PATH")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_missing_browser_fails_when_required(monkeypatch, value):
    monkeypatch.setenv(REQUIRE_ENV, value)
    with pytest.raises(pytest.fail.Exception, match=f"no chromium found on PATH; {REQUIRE_ENV} is set"):
        unavailable("no chromium found on PATH")


def test_ci_installs_chromium_and_requires_the_browser_test(root):
    ci = (root / ".ci" / "run").read_text()
    assert "apt-get install" in ci and "chromium chromium-driver" in ci, ".ci/run must install Debian's chromium"
    assert f"export {REQUIRE_ENV}=1" in ci, f".ci/run must set {REQUIRE_ENV}=1 so a missing browser fails"
    assert ci.index(f"export {REQUIRE_ENV}=1") < ci.index("\nmake test"), f"{REQUIRE_ENV} must be set before make test"
