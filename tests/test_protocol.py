"""The wire format carries data only: round trips, tensor subclasses flattened, bad frames refused."""
import io
import math

import pytest
import torch

from autograder.engine.worker import protocol


def roundtrip(value, keep=None):
    enc = protocol.Encoder(keep=keep)
    node = enc.encode(value)
    buf = io.BytesIO()
    protocol.write_frame(buf, {"value": node}, enc.tensors)
    buf.seek(0)
    header, tensors = protocol.read_frame(buf)
    return protocol.Decoder(tensors).decode(header["value"])


def test_nested_values_round_trip():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    value = {"a": [1, 2.5, None, True, "x"], 0.1: (t, {"nested": t[0]}), "inf": math.inf}
    out = roundtrip(value)
    assert out["a"] == [1, 2.5, None, True, "x"]
    assert torch.equal(out[0.1][0], t) and torch.equal(out[0.1][1]["nested"], t[0])
    assert out["inf"] == math.inf
    assert isinstance(out[0.1], tuple)


def test_nan_survives():
    assert math.isnan(roundtrip(float("nan")))


def test_tensor_metadata_kept():
    p = torch.nn.Parameter(torch.ones(2))
    out = roundtrip(p)
    assert type(out) is torch.Tensor and out.remote_requires_grad and out.remote_parameter


class Liar(torch.Tensor):
    """A tensor subclass that claims to equal anything."""

    def __eq__(self, other):
        return True

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return super().__torch_function__(func, types, args, kwargs or {})


def test_tensor_subclass_arrives_as_plain_tensor():
    liar = torch.zeros(3).as_subclass(Liar)
    out = roundtrip(liar)
    assert type(out) is torch.Tensor
    assert out.remote_subclass
    assert not torch.equal(out, torch.ones(3))


def test_objects_need_a_handle():
    with pytest.raises(protocol.ProtocolError):
        roundtrip(object())
    kept = []
    out = roundtrip({"m": object()}, keep=lambda obj: kept.append(obj) or len(kept))
    assert isinstance(out["m"], protocol.Handle) and out["m"].id == 1


@pytest.mark.parametrize("frame", [
    b"\x00\x00\x00\x05" + b"\x00" * 8 + b"nope!",
    b"\x00\x00\x00\x02" + b"\x00" * 7 + b"\x05" + b"{}" + b"12345",
    b"\xff\xff\xff\xff" + b"\xff" * 8,
])
def test_malformed_frames_are_refused(frame):
    with pytest.raises((protocol.ProtocolError, EOFError)):
        protocol.read_frame(io.BytesIO(frame))


def test_no_pickle_anywhere_in_the_protocol():
    source = (protocol.__file__)
    text = open(source).read()
    assert "pickle" not in text.replace("never pickle", "")
    assert "torch.load" not in text
