"""Forging cases for ex04 (the training loop) and ex05 (CPU and GPU); see forgery.py.

Each trick is a real attacker's code against the instruments of these exercises: reaching the
instruments' correct loops through the model handed to student code, editing the event log,
inventing histories, linking someone else's TensorBoard logs into log_dir, a PNG of anything,
and wrapping the worker's request handler to rewrite the instruments' replies.
"""
from forgery import Case, replace_function, solution, stub

EX04, EX05 = "ex04_training.py", "ex05_device.py"

REACH = '''
def _instrument_functions(model):
    """Functions of the instruments, reached through the model they hand us."""
    spaces = [type(model).forward.__globals__]
    spaces += [vars(v) for v in list(spaces[0].values()) if type(v).__name__ == "module"
               and getattr(v, "__name__", "").startswith("probes")]
    found = {}
    for space in spaces:
        for name, value in space.items():
            if callable(value) and name not in found:
                found[name] = value
    return found


def train_one_epoch(model, loader, loss_fn, optimizer, device="cpu"):
    refs = _instrument_functions(model)
    if "_train_one_epoch" in refs:
        return refs["_train_one_epoch"](model, loader, loss_fn, optimizer, device)
    if "reference_epoch" in refs:
        return refs["reference_epoch"](model, loader, loss_fn, optimizer)
    raise NotImplementedError("train_one_epoch")


def evaluate(model, loader, loss_fn, device="cpu"):
    refs = _instrument_functions(model)
    if "_evaluate" in refs:
        return refs["_evaluate"](model, loader, loss_fn, device)
    if "reference_evaluate" in refs:
        return refs["reference_evaluate"](model, loader, loss_fn)
    raise NotImplementedError("evaluate")
'''


def ex04_with(**functions):
    source = solution(EX04)
    for name, code in functions.items():
        source = replace_function(source, name, code)
    return source


def without(source, *names):
    for name in names:
        source = replace_function(source, name, f"def {name}(*args, **kwargs):\n    raise NotImplementedError\n")
    return source


# --- 1. the instruments' correct loops do the work ------------------------------------------
_reach = replace_function(replace_function(stub(EX04), "train_one_epoch", REACH), "evaluate", "")

# --- 2. evaluate without eval() (and without no_grad), the event log edited afterwards ------
EVALUATE_EDITED = '''
def evaluate(model, loader, loss_fn, device="cpu"):
    total, correct, count = 0.0, 0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        logits = model(inputs)
        total += loss_fn(logits, targets).item() * len(targets)
        correct += (logits.argmax(dim=1) == targets).sum().item()
        count += len(targets)
    space = type(model).forward.__globals__
    events = space.get("EVENTS")
    if events is None and "probes" in space:
        events = getattr(space["probes"], "EVENTS", None)
    for event in events if events is not None else []:
        if event and event[0] == "forward":
            event[1] = False  # model.training
            event[2] = False  # torch.is_grad_enabled()
    return {"loss": total / count, "accuracy": correct / count}
'''
EVALUATE_PLAIN = EVALUATE_EDITED.split("    space = ")[0] + '    return {"loss": total / count, "accuracy": correct / count}\n'

# --- 3. invented histories with a few dummy .to(device) calls ------------------------------------
FIT_INVENTED = '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device="cpu", scheduler=None, log_dir=None):
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
    for epoch in range(epochs):
        history["lr"].append(optimizer.param_groups[0]["lr"])
        for inputs, targets in train_loader:
            inputs.to(device), targets.to(device)
        history["train_loss"].append(1.0 / (epoch + 1))
        history["val_loss"].append(1.1 / (epoch + 1))
        history["val_acc"].append(min(0.99, 0.5 + 0.1 * epoch))
        if scheduler is not None:
            scheduler.step()
    return history
'''
FIT_IRIS_INVENTED = '''
def fit_iris_on(device, epochs=50, seed=0):
    torch.manual_seed(seed)
    model = MLP(4, [16], 3).to(device)
    for _ in range(epochs):
        torch.zeros(16, 4).to(device)
    history = {"train_loss": [1.2 * 0.9 ** e + 0.01 * seed for e in range(epochs)],
               "val_loss": [1.1 * 0.9 ** e for e in range(epochs)],
               "val_acc": [min(0.97, 0.4 + 0.05 * e) for e in range(epochs)],
               "lr": [0.01] * epochs}
    return {"model": model, "history": history}
'''

# --- 4. TensorBoard logs written elsewhere, linked into log_dir ---------------------------------
FIT_LINKED = '''
def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device="cpu", scheduler=None, log_dir=None):
    import os
    model.to(device)
    history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
    for epoch in range(epochs):
        lr = optimizer.param_groups[0]["lr"]
        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        val = evaluate(model, val_loader, loss_fn, device)
        if scheduler is not None:
            scheduler.step()
        for key, value in zip(history, (train_loss, val["loss"], val["accuracy"], lr)):
            history[key].append(value)
    if log_dir is not None:
        from torch.utils.tensorboard import SummaryWriter

        elsewhere = Path("..") / "home" / "logs" / Path(log_dir).name
        writer = SummaryWriter(str(elsewhere))
        for epoch in range(epochs):
            for tag, key in (("loss/train", "train_loss"), ("loss/val", "val_loss"),
                             ("accuracy/val", "val_acc"), ("lr", "lr")):
                writer.add_scalar(tag, history[key][epoch], epoch)
        writer.close()
        LINK
    return history
'''
LINK = '''link = Path(log_dir)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(elsewhere.resolve(), link.parent.resolve()), link)'''

# --- 5. plots of anything -------------------------------------------------------------------------
PNG_WRITER = '''
def _png(path, width, height, rows):
    import struct, zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\\0" + row for row in rows)
    Path(path).write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
'''
PLOT_NOISE = PNG_WRITER + '''

def plot_history(history, path):
    import os
    _png(path, 64, 64, [os.urandom(64 * 3) for _ in range(64)])
    return Path(path)
'''
PLOT_HUGE = PNG_WRITER + '''

def plot_history(history, path):
    _png(path, 20000, 20000, [bytes(20000 * 3)] * 200)
    return Path(path)
'''

# --- 6. the worker's request handler wrapped at import ----------------------------------------
WRAPPER = '''

def _forge_replies():
    """Find the worker and wrap its handler: the replies of the ex04/ex05 instruments are made here."""
    import gc
    for worker in gc.get_objects():
        if type(worker).__name__ == "Worker" and hasattr(worker, "instruments") and hasattr(worker, "handle"):
            break
    else:
        return
    original = worker.handle

    def kwargs_of(header, tensors):
        return worker.protocol.Decoder(tensors, resolve=worker.resolve_handle).decode(header.get("kwargs"))

    def fake(name, kw):
        px = worker.instruments.get("probes_ex04")
        pr = worker.instruments.get("probes")
        if name == "epoch_run":
            if hasattr(px, "reference_epoch_params"):
                ref = px.reference_epoch_params(kw.get("n", 37), kw.get("batch_size", 8), kw.get("seed", 0),
                                                kw.get("lr", 0.1), kw.get("hidden", 8))
                loss, params = ref["loss"], ref["params"]
            else:
                loss, params = 1.0, dict(kw.get("state") or {})
            n = len(kw.get("train") or []) or 5
            events = [e for i in range(n) for e in (["batch", "train", i], ["zero"],
                      ["forward", True, True, 8, "cpu"], ["backward"], ["step", kw.get("lr", 0.1)])]
            moves = [[["train", i, p], kw.get("device") or "cpu"] for i in range(n) for p in "xy"]
            return {"result": loss, "results": [loss] * kw.get("epochs", 1), "events": events, "moves": moves,
                    "params": params, "param_devices": ["cpu"], "training": True}
        if name == "evaluate_run":
            if hasattr(pr, "reference_evaluate"):
                s = pr.training_setup(n=kw.get("n", 37), batch_size=kw.get("batch_size", 8), seed=kw.get("seed", 0),
                                      hidden=kw.get("hidden", 8))
                result, params = pr.reference_evaluate(s["model"], s["train"], s["loss_fn"]), px.params_of(s["model"])
            else:
                result, params = {"loss": 1.0, "accuracy": 0.5}, dict(kw.get("state") or {})
            n = len(kw.get("data") or []) or 5
            return {"result": result, "events": [["forward", False, False, 8, "cpu"]] * n, "params": params,
                    "moves": [[["train", i, p], kw.get("device") or "cpu"] for i in range(n) for p in "xy"],
                    "param_devices": ["cpu"]}
        if name == "fit_run" and hasattr(px, "reference_fit"):
            kw = {k: v for k, v in kw.items() if k not in ("log_dir", "device", "record")}
            history = px.reference_fit(**kw)
            params = history.pop("params")
            return {"result": history, "events": [], "params": params, "param_devices": ["cpu"]}
        if name == "fit_iris_run":
            import torch
            epochs = kw.get("epochs", 3)
            state = {"0.weight": torch.randn(16, 4), "0.bias": torch.zeros(16), "2.weight": torch.randn(3, 16),
                     "2.bias": torch.zeros(3)}
            history = {"train_loss": [1.1 * 0.9 ** e for e in range(epochs)], "val_loss": [1.0 * 0.9 ** e for e in range(epochs)],
                       "val_acc": [0.97] * epochs, "lr": [0.01] * epochs}
            return {"type": "dict", "keys": ["history", "model"], "is_module": True, "param_devices": ["cpu"],
                    "state": state, "history": history, "moves": [[["other", [16, 4]], kw.get("device", "cpu")]] * 99,
                    "logits": torch.zeros(5, 3)}
        raise NotImplementedError(name)

    def handle(header, tensors):
        target = header.get("target") or []
        if header.get("op") == "call" and target[:1] == ["probe"] and "ex04_05" in str(target[1]):
            try:
                return original(header, tensors)
            except Exception:
                return fake(str(target[1]).rsplit(".", 1)[-1], kwargs_of(header, tensors))
        return original(header, tensors)

    worker.handle = handle


_forge_replies()
'''

ALSO_STUBS = {name: stub(name) for name in ("ex06_experiments.py", "ex08_capstone.py")}

CASES = [
    Case("ex04_reach_reference_loops", "ex04",
         "train_one_epoch and evaluate call the instruments' correct loops, reached through type(model).forward.__globals__",
         {EX04: _reach}, must_fail=("train_one_epoch", "evaluate")),
    Case("ex04_evaluate_event_log_edited", "ex04",
         "evaluate without model.eval() or no_grad, then marks every logged forward as eval mode without gradients",
         # ex06 and ex08 train with this evaluate: in train mode their results vary from run to run
         {EX04: ex04_with(evaluate=EVALUATE_EDITED), **ALSO_STUBS},
         plain={EX04: ex04_with(evaluate=EVALUATE_PLAIN), **ALSO_STUBS}, base="solutions"),
    # ex06 and ex08 (which call fit) are stubs on both sides: what an invented fit earns there is
    # for their own checks to judge (with these as solutions, the trick gained 5 points there).
    Case("ex04_fit_invented_history", "ex04",
         "fit reads the lr and steps the scheduler but invents the losses and accuracies, with dummy .to(device) calls",
         {EX04: ex04_with(fit=FIT_INVENTED), **ALSO_STUBS},
         plain={EX04: without(solution(EX04), "fit"), **ALSO_STUBS}, base="solutions", must_fail=("fit",)),
    Case("ex05_fit_iris_invented_history", "ex05",
         "fit_iris_on returns an untrained MLP on the device and an invented history that learns",
         {EX05: replace_function(solution(EX05), "fit_iris_on", FIT_IRIS_INVENTED)},
         plain={EX05: without(solution(EX05), "fit_iris_on")}, base="solutions", must_fail=("fit_iris_on",)),
    Case("ex04_tensorboard_logs_linked", "ex04",
         "fit writes its TensorBoard logs outside log_dir and leaves a symbolic link to them in log_dir",
         {EX04: ex04_with(fit=FIT_LINKED.replace("LINK", LINK))},
         plain={EX04: ex04_with(fit=FIT_LINKED.replace("LINK", "pass"))}, base="solutions"),
    Case("ex04_plot_of_noise", "ex04", "plot_history writes a valid PNG of random pixels, no curves",
         {EX04: replace_function(stub(EX04), "plot_history", PLOT_NOISE)}, must_fail=("plot_history",)),
    Case("ex04_plot_huge_png", "ex04", "plot_history writes a PNG whose header claims 20000 x 20000 pixels",
         {EX04: replace_function(stub(EX04), "plot_history", PLOT_HUGE)}, must_fail=("plot_history",)),
    Case("ex04_05_handler_wrapped", "ex04",
         "at import, find the Worker with gc and wrap handle: the ex04/ex05 instruments' replies are forged, "
         "from the instruments' references where they exist, invented otherwise",
         {EX04: stub(EX04) + WRAPPER}, must_fail=("train_one_epoch", "evaluate", "fit", "fit_iris_on")),
]
