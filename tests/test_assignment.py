"""The manifest (autograder/assignment.py): the bonus is graded exactly where its data is, and the
bundles ship what the manifest says."""
import struct

import pytest

from autograder.assignment import BONUSES
from autograder.grading.grade import grade

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def _idx(path, count, images: bool):
    """A small, real IDX file (the format torchvision's MNIST reads) of ``count`` items."""
    if images:
        body = bytes((i * 7 + j) % 256 for i in range(count) for j in range(28 * 28))
        path.write_bytes(struct.pack(">IIII", 2051, count, 28, 28) + body)
    else:
        path.write_bytes(struct.pack(">II", 2049, count) + bytes(i % 10 for i in range(count)))


@pytest.fixture(scope="module")
def with_and_without_mnist(tmp_path_factory):
    """The bonus's checks of solutions/, graded once with a data folder holding (small) MNIST files
    and once with an empty one."""
    data = tmp_path_factory.mktemp("data")
    raw = data / BONUSES["mnist"].data
    raw.mkdir(parents=True)
    for name in BONUSES["mnist"].files:
        _idx(raw / name, 128, images="images" in name)
    empty = tmp_path_factory.mktemp("empty")
    # the loaders only (train_mnist would train for minutes on real data; here it only needs to be listed)
    return {"with": grade(ROOT / "solutions", data_dir=data, select="mnist_loaders"),
            "without": grade(ROOT / "solutions", data_dir=empty, select="mnist_loaders")}


def test_the_bonus_is_graded_where_its_data_is(with_and_without_mnist):
    bonus = [r for r in with_and_without_mnist["with"].results if r.exercise == "mnist"]
    assert [r.function for r in bonus] == ["mnist_loaders"]
    # it ran on the files: these pixels are not MNIST's, so the normalization it checks is off
    assert bonus[0].status == "failed"
    assert "mean about 0, std about 1" in bonus[0].feedback_text("en")


def test_without_its_data_the_bonus_has_no_line_and_no_points(with_and_without_mnist):
    report = with_and_without_mnist["without"]
    assert [r for r in report.results if r.exercise == "mnist"] == []
    # ex08's own check that a folder without the files gives a clear error still runs
    assert {r.function for r in report.results} == {"mnist_loaders"}
    assert all(r.exercise == "ex08" for r in report.results)
