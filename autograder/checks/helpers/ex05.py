"""Helpers of ex05's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import math

from ...engine.worker import probes_ex05
from ...feedback.catalog import Msg
from ...feedback.reasons import reason
from ..api import expect, expect_close, expect_length, fail, hinted, run_probe
from ..reference import ex05 as ref

MODULE = "ex05_device"


HISTORY_KEYS = ("train_loss", "val_loss", "val_acc", "lr")


def probe(sub, name, func, **kwargs):
    """Run probes_ex05.<name> in the worker; errors are reported against the student's ``func``."""
    return run_probe(sub, name, f"{MODULE}.{func}", **kwargs)


def machine(sub) -> dict:
    """Which accelerators the worker sees: {"cuda": bool, "mps": bool}."""
    return sub.probe(probes_ex05.availability)()


def best_device(available: dict) -> str:
    return "cuda" if available["cuda"] else "mps" if available["mps"] else "cpu"


def expect_device(out, expected: str, hint, name):
    expect(out["is_device"], Msg("cmp.type", expected="torch.device", got=out["type"]), hint="hint.ex05_device_type",
           name=name)
    got = out["result"]
    expect(got.type == expected, Msg("cmp.number", got=str(got), expected=expected), hint=hint, name=name)


def fit_iris(sub, device, epochs, seed=0, record=False):
    """fit_iris_on(device, epochs, seed) checked for its return shape; the probe's output."""
    with hinted("hint.ex05_fit_iris_return"):
        out = probe(sub, probes_ex05.fit_iris_run, "fit_iris_on", device=device, epochs=epochs, seed=seed,
                    record=record)
    name = f"fit_iris_on({device!r}, epochs={epochs})"
    expect(out["type"] == "dict" and {"model", "history"} <= set(out["keys"]),
           Msg("cmp.type", expected="{'model', 'history'}", got=f"{out['type']} {out['keys']}"),
           hint="hint.ex05_fit_iris_return", name=name)
    expect(out["is_module"], Msg("cmp.type", expected="nn.Module", got=Msg("value.something_else")),
           hint="hint.ex05_fit_iris_return", name=f"{name}['model']")
    history = out["history"]
    expect(isinstance(history, dict), Msg("cmp.type", expected="dict", got=type(history).__name__),
           hint="hint.ex05_fit_iris_return", name=f"{name}['history']")
    for key in HISTORY_KEYS:
        expect(key in history, Msg("cmp.type", expected=f"history[{key!r}]", got=sorted(map(str, history))),
               hint="hint.ex05_fit_iris_return", name=f"{name}['history']")
        expect_length(history[key], epochs, hint="hint.ex05_fit_iris_return", name=f"{name}['history'][{key!r}]")
        for value in history[key]:
            expect(isinstance(value, (int, float)) and not isinstance(value, bool),
                   Msg("cmp.type", expected="float", got=type(value).__name__), hint="hint.ex05_fit_iris_return",
                   name=f"{name}['history'][{key!r}]")
    return out


def judged(sub, out, name: str) -> dict:
    """The grader's own scores of the returned model (its state dict rebuilt as Linear layers with
    ReLU between) on the validation split; the history's last epoch must report the same."""
    try:
        layers = ref.layers_of(out["state"])
    except ref.NotAnMLP as exc:
        fail(Msg("cmp.type", expected=Msg("value.ex05_mlp"), got=reason(str(exc))),
             hint="hint.ex05_fit_iris_return", name=f"{name}['model']")
    expect([list(w.shape) for w, _ in layers] == [[16, 4], [3, 16]],
           Msg("cmp.type", expected="MLP(4, [16], 3)", got=f"Linear layers {[list(w.shape) for w, _ in layers]}"),
           hint="hint.ex05_fit_iris_return", name=f"{name}['model']")
    val = ref.scores(layers, ref.iris(sub.data_dir)["val"])
    history = out["history"]
    reported_loss, reported_acc = float(history["val_loss"][-1]), float(history["val_acc"][-1])
    loss_ok = math.isclose(reported_loss, val["loss"], rel_tol=1e-3, abs_tol=1e-4)
    acc_ok = abs(reported_acc - val["accuracy"]) <= 1 / 24 + 1e-9  # one flower of 24, for rounding on a GPU
    expect(loss_ok and acc_ok,
           Msg("cmp.number", got=f"history: val_loss {reported_loss:.4g}, val_acc {reported_acc:.4g}",
               expected=Msg("value.ex05_val_metrics", loss=val['loss'], acc=val['accuracy'])),
           hint="hint.ex05_fit_iris_history", name=Msg("label.ex05_after_last_epoch", what=f"{name}['history']"))
    return val


def simulated(sub, prefer, cuda, mps):
    """get_device(prefer) where torch.cuda.is_available() and torch.backends.mps.is_available() answer
    ``cuda`` and ``mps`` (nothing is allocated: only the availability is simulated)."""
    return probe(sub, probes_ex05.get_device_simulated, "get_device", prefer=prefer, cuda=cuda, mps=mps)


def moved(sub, device):
    with hinted("hint.ex05_move_recursive"):
        return probe(sub, probes_ex05.move_to_run, "move_to", tensors=ref.move_tensors(), device=device)


def expect_structure(out, device: str):
    """The nested structure comes back with the same containers, tensors on ``device``, values kept."""
    result, original = out["result"], ref.move_tensors()
    name = f"move_to(batch, {device!r})"
    expect(isinstance(result, dict) and {"x", "pair", "nested", "flag"} <= set(result),
           Msg("cmp.type", expected=Msg("value.ex05_same_keys"), got=type(result).__name__),
           hint="hint.ex05_move_containers", name=name)
    pair = result["pair"]
    expect(isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], list),
           Msg("cmp.type", expected="(tensor, [tensor, 7, 'label', None])", got=repr(type(pair).__name__)),
           hint="hint.ex05_move_containers", name=f"{name}['pair']")
    expect(pair[1][1:] == [7, "label", None] and result["flag"] is True,
           Msg("cmp.number", got=repr(pair[1][1:]), expected="[7, 'label', None]"), hint="hint.ex05_move_containers",
           name=f"{name}['pair'][1]")
    try:
        deep = result["nested"]["deep"][0]["t"]
    except (KeyError, IndexError, TypeError):
        deep = None
    tensors = {"x": (result["x"], "a"), "pair[0]": (pair[0], "b"), "pair[1][0]": (pair[1][0], "c"),
               "nested['deep'][0]['t']": (deep, "d")}
    for where, (got, key) in tensors.items():
        expect_close(got, original[key], atol=0, rtol=0, hint="hint.ex05_move_recursive", name=f"{name}{where}")
        expect(str(getattr(got, "remote_device", "cpu")).split(":")[0] == device,
               Msg("cmp.number", got=getattr(got, "remote_device", "?"), expected=device),
               hint="hint.ex05_move_recursive", name=f"{name}{where}.device")


def numpy_run(sub, device):
    inputs = ref.numpy_inputs()
    return probe(sub, probes_ex05.to_numpy_run, "to_numpy", base=inputs["base"], plain=inputs["plain"], device=device)
