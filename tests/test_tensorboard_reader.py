"""The grader's TensorBoard reader: the scalars SummaryWriter wrote, links refused, limits held."""
import os
import struct

import pytest

from autograder.checks import tensorboard_reader as tb


def write_events(folder, values, new_style=False):
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(folder))
    for step, v in enumerate(values):
        writer.add_scalar("loss/train", v, step, new_style=new_style)
        writer.add_scalar("lr", 0.1 / (step + 1), step, new_style=new_style)
    writer.close()


@pytest.mark.parametrize("new_style", [False, True])
def test_reads_the_scalars_summary_writer_wrote(tmp_path, new_style):
    write_events(tmp_path / "tb" / "run", [1.5, 1.25, 0.75], new_style)
    scalars, refused = tb.read_scalars(tmp_path, "tb")
    assert refused == []
    assert [s for s, _ in scalars["loss/train"]] == [0, 1, 2]
    assert [v for _, v in scalars["loss/train"]] == pytest.approx([1.5, 1.25, 0.75])
    assert [v for _, v in scalars["lr"]] == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_links_are_refused_not_followed(tmp_path):
    other = tmp_path / "elsewhere"
    write_events(other, [9.0])
    folder = tmp_path / "work" / "tb"
    folder.mkdir(parents=True)
    name = next(p.name for p in other.iterdir())
    os.symlink(other / name, folder / name)
    os.symlink(other, folder / "linked_run")
    scalars, refused = tb.read_scalars(tmp_path / "work", "tb")
    assert scalars == {}
    assert any("link" in r for r in refused)


def test_a_large_file_is_refused_and_records_are_capped(tmp_path, monkeypatch):
    folder = tmp_path / "tb"
    folder.mkdir()
    (folder / "events.out.tfevents.big").write_bytes(b"\0" * (tb.FILE_LIMIT + 1))
    scalars, refused = tb.read_scalars(tmp_path, "tb")
    assert scalars == {} and "larger" in refused[0]
    record = struct.pack("<Q", 0) + b"\0" * 8
    (folder / "events.out.tfevents.big").write_bytes(record * 50)
    monkeypatch.setattr(tb, "MAX_RECORDS", 10)
    with pytest.raises(tb.TooMuch):
        tb.read_scalars(tmp_path, "tb")


def test_garbage_and_truncated_records_are_skipped(tmp_path):
    write_events(tmp_path / "tb", [2.0, 1.0])
    name = next(p for p in (tmp_path / "tb").iterdir())
    name.write_bytes(name.read_bytes() + struct.pack("<Q", 10**9) + b"xxxx")
    (tmp_path / "tb" / "events.out.tfevents.junk").write_bytes(b"not a record stream at all")
    scalars, _ = tb.read_scalars(tmp_path, "tb")
    assert [v for _, v in scalars["loss/train"]] == pytest.approx([2.0, 1.0])
