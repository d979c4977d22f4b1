"""exercises/walkthrough.ipynb runs end to end in a real Jupyter kernel.

The notebook drives the package that WALKTHROUGH_PACKAGE names (a student's own
exercises/ by default); here it runs against the reference solutions, with the
kernel started in exercises/ as a student's Jupyter would start it. The
"python3" kernel needs no registration: ipykernel's wheel installs its spec into
this environment's share/jupyter/kernels/python3, and jupyter_client falls back
to ipykernel's bundled spec when that is missing; both start this interpreter.
JUPYTER_PATH puts this environment's folder first, so a "python3" spec in the
user's home pointing at another Python cannot shadow it. Nothing is installed
globally and nothing is written into the repository.
"""
import base64
import io
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

NOTEBOOK = ROOT / "exercises" / "walkthrough.ipynb"
MODULES = ["ex01_gradient_descent", "ex02_data", "ex03_model", "ex04_training",
           "ex05_device", "ex06_experiments", "ex07_checkpoint", "ex08_capstone"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def jupyter_path() -> str:
    """JUPYTER_PATH with this environment's share/jupyter first, where ipykernel put its "python3" spec."""
    here = str(Path(sys.prefix) / "share" / "jupyter")
    return os.pathsep.join(p for p in (here, os.environ.get("JUPYTER_PATH")) if p)


def repo_files() -> set[str]:
    """The files where a stray write of the notebook would land: the repository root, the kernel's
    working folder exercises/, the package it runs (solutions/) and data/ (Python's caches aside).
    Only these, so that other work in the same checkout cannot make this test fail."""
    found = {entry.name for entry in ROOT.iterdir() if entry.is_file()}
    for folder in ("exercises", "solutions", "data"):
        for dirpath, dirnames, filenames in os.walk(ROOT / folder):
            dirnames[:] = [d for d in dirnames if d not in ("__pycache__", ".ipynb_checkpoints")]
            found.update(os.path.relpath(os.path.join(dirpath, name), ROOT) for name in filenames)
    return found


def png_outputs(nb) -> list[bytes]:
    return [base64.b64decode(output["data"]["image/png"])
            for cell in nb.cells if cell.cell_type == "code"
            for output in cell.outputs if "image/png" in output.get("data", {})]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after a run against solutions/; the run's seconds; the files it added to the repository."""
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    scratch = tmp_path_factory.mktemp("walkthrough")
    env = {
        "WALKTHROUGH_PACKAGE": "solutions",
        "PYTHONDONTWRITEBYTECODE": "1",  # no __pycache__ from the kernel's imports
        "TMPDIR": str(scratch),  # the notebook's tempfile.mkdtemp() lands here
        "IPYTHONDIR": str(scratch / "ipython"),  # no user startup files, no history in $HOME
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_PATH": jupyter_path(),
    }
    saved = {key: os.environ.get(key) for key in env}
    before = repo_files()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client = NotebookClient(nb, kernel_name="python3", timeout=300,
                                resources={"metadata": {"path": str(ROOT / "exercises")}})
        start = time.monotonic()
        client.execute()
        seconds = time.monotonic() - start
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb, seconds, sorted(repo_files() - before)


def test_python3_kernel_is_available_without_registering_one(monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.setenv("JUPYTER_PATH", jupyter_path())
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.language == "python"
    assert "ipykernel" in " ".join(spec.argv)
    # jupyter_client starts a bare "python" with sys.executable: this interpreter, with torch
    assert spec.argv[0] in ("python", "python3", sys.executable), spec.argv


def test_notebook_is_saved_clean_and_bilingual():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, "save the notebook without outputs"
    setup = code[0].source
    assert 'PACKAGE = os.environ.get("WALKTHROUGH_PACKAGE", "exercises")' in setup
    for module in MODULES:
        assert f'importlib.import_module(f"{{PACKAGE}}.{module}")' in setup, module
    markdown = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    assert markdown and all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in markdown), \
        "every markdown cell has English followed by Chinese"


def test_walkthrough_runs_against_the_solutions(executed):
    nb, seconds, _ = executed
    print(f"walkthrough ran in {seconds:.1f} s")
    errors = [output for cell in nb.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors, errors
    text = "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.outputs)
    assert "package: solutions" in text
    assert "test accuracy after 15 epochs" in text


def test_walkthrough_shows_real_png_figures(executed):
    from matplotlib.image import imread

    nb, _, _ = executed
    images = png_outputs(nb)
    assert len(images) >= 5, f"expected at least 5 figures, got {len(images)}"
    for data in images:
        assert data.startswith(PNG_SIGNATURE)
    pixels = imread(io.BytesIO(images[-1]), format="png")
    height, width = pixels.shape[:2]
    assert height > 0 and width > 0


def test_walkthrough_leaves_no_files_in_the_repository(executed):
    _, _, added = executed
    assert added == []


def test_walkthrough_checks_ex04_with_the_grader(executed):
    """The notebook's check("ex04") cell shows the grader's table for ex04 alone: full marks for solutions/."""
    nb, _, _ = executed
    shown = [output["data"]["text/html"] for cell in nb.cells if cell.cell_type == "code"
             for output in cell.outputs if "text/html" in output.get("data", {})]
    reports = [html for html in shown if 'class="dlgrader-check"' in html]
    cell = next(c for c in nb.cells if c.cell_type == "code" and "check(" in c.source)
    timing = cell.metadata.get("execution", {})
    if "shell.execute_reply" in timing:
        from datetime import datetime

        took = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00")) - \
            datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        print(f"the check cell ran in {took.total_seconds():.1f} s")
    assert len(reports) == 1, shown
    assert 'data-score="15" data-max-score="15"' in reports[0]
    assert ">15/15 (ex04 only)<" in reports[0]
