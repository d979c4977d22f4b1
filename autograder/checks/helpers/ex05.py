"""Helpers of ex05's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import math

import torch

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


def expect_simulated_choices(sub, cases):
    """get_device() on each simulated machine of ``cases`` ((cuda, mps) -> the device it must pick)."""
    for (cuda, mps), expected in cases:
        machine_name = f"cuda {'available' if cuda else 'absent'}, mps {'available' if mps else 'absent'}"
        with hinted("hint.ex05_device_auto"):
            out = simulated(sub, None, cuda, mps)
        expect_device(out, expected, "hint.ex05_device_auto", f"get_device() with {machine_name}")


def expect_user_warning(out, name):
    """The get_device call that fell back warned with a UserWarning."""
    expect(any(w["user_warning"] for w in out["warnings"]),
           Msg("cmp.number", got=[w["category"] for w in out["warnings"]] or Msg("value.no_warning"),
               expected="UserWarning"),
           hint="hint.ex05_device_fallback", name=name)


CONTAINER_TYPES = {"namedtuple": "Pair", "ordered": "OrderedDict", "list": "list", "tuple": "tuple", "nested": "dict",
                   "nested.inner": "list", "nested.inner[0]": "tuple"}  # move_to(batch): the types it keeps


def expect_on_meta(sub, tensors) -> dict:
    """move_to(batch, 'meta') of the grader's ``tensors``: every tensor it returns is on 'meta'. The
    probe's output, for what a check looks at besides."""
    with hinted("hint.ex05_move_recursive"):
        out = probe(sub, probes_ex05.move_to_meta_run, "move_to", tensors=tensors)
    where = {"x": "['x']", "y": "['pair'][0]", "z": "['pair'][1][0]", "w": "['extra']['w']"}
    for key, path in where.items():
        info = out[key]
        hint = "hint.ex05_move_return_value" if info["to_called"] and info["original"] else "hint.ex05_move_recursive"
        expect(info["device"] == "meta", Msg("cmp.number", got=info["device"], expected=Msg("value.ex05_on_meta")),
               hint=hint, name=f"move_to(batch, 'meta'){path}")
    return out


def expect_fit_on_device(sub, epochs: int, seed: int) -> None:
    """fit_iris_on(device, epochs, seed) trains (judged by the grader), and the worker saw the model's
    parameters and at least one feature batch per epoch moved to the device. Without a GPU, "cpu:0"
    stands for another device: a batch left to fit's default "cpu" shows."""
    device = "cuda" if machine(sub)["cuda"] else "cpu:0"
    kind = device.split(":")[0]
    out = fit_iris(sub, device, epochs=epochs, seed=seed, record=True)
    name = f"fit_iris_on({device!r})"
    judged(sub, out, name)  # it trained: the history is that of the returned weights
    # then what only the worker saw, which can only take the points away
    expect(out["param_devices"] and all(d.split(":")[0] == kind for d in out["param_devices"]),
           Msg("cmp.number", got=out["param_devices"], expected=kind), hint="hint.ex05_fit_iris_device",
           name=f"{name}['model'] parameters")
    # .to(dtype) moves nothing (no device): only moves to a device count
    moves = out.get("moves") if isinstance(out.get("moves"), list) else []
    feature_moves = [m[1] for m in moves if isinstance(m, list) and len(m) == 2 and isinstance(m[0], list)
                     and len(m[0]) == 2 and m[0][0] == "other" and isinstance(m[0][1], list) and len(m[0][1]) == 2
                     and m[0][1][-1] == 4 and isinstance(m[1], str)]
    wanted = str(torch.device(device)) if kind == "cpu" else None
    expect(len(feature_moves) >= epochs and all(d.split(":")[0] == kind and (wanted is None or d == wanted)
                                                for d in feature_moves),
           Msg("cmp.number", got=Msg("value.ex05_moved", count=len(feature_moves),
                                     devices=str(sorted(set(map(str, feature_moves))))),
               expected=Msg("value.ex05_every_moved", device=repr(device))),
           hint="hint.ex05_fit_iris_device", name=f"{name}: batches")


def expect_seeded(sub, epochs: int, seed: int, other: int) -> None:
    """fit_iris_on('cpu', epochs) twice with ``seed`` gives the same weights, with ``other`` others
    (each run judged by the grader: the weights are the history's)."""
    runs = {}
    for label, s in (("first", seed), ("again", seed), ("other", other)):
        out = fit_iris(sub, "cpu", epochs=epochs, seed=s)
        judged(sub, out, f"fit_iris_on('cpu', epochs={epochs}, seed={s})")
        runs[label] = out["state"]

    def same(a, b):
        return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)

    expect(same(runs["first"], runs["again"]),
           Msg("cmp.number", got=Msg("value.ex05_two_models"), expected=Msg("value.ex05_same_twice")),
           hint="hint.ex05_fit_iris_seed", name=Msg("label.twice", call=f"fit_iris_on('cpu', seed={seed})"))
    expect(not same(runs["first"], runs["other"]), Msg("cmp.number", got=Msg("value.ex05_same_model"),
                                                       expected=Msg("value.ex05_another_model")),
           hint="hint.ex05_fit_iris_seed", name=f"fit_iris_on('cpu', seed={other})")
