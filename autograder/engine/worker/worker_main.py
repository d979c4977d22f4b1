"""The worker: the only process that imports student code.

It reads requests from the grader on its original stdin and answers on its
original stdout; student prints go to stderr. Every answer is data (see
protocol.py); anything else stays here behind a handle. Run as
``python -I worker_main.py PACKAGE_ROOT THREADS`` where PACKAGE_ROOT holds the
package ``submission`` (the student's ``exNN_*.py`` files).
"""
import importlib
import os
import sys
import traceback

PACKAGE = "submission"


def _private_streams():
    """Keep the protocol on private descriptors; fd 0 reads nothing, fd 1 is stderr."""
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    return proto_in, proto_out


class Worker:
    def __init__(self, proto_in, proto_out, instruments: dict):
        self.instruments = instruments
        self.protocol, self.probes = instruments["protocol"], instruments["probes"]
        self.proto_in, self.proto_out = proto_in, proto_out
        self.handles: dict = {}

    # handles ----------------------------------------------------------
    def keep(self, obj) -> int:
        hid = len(self.handles) + 1
        self.handles[hid] = obj
        return hid

    def resolve_handle(self, hid):
        try:
            return self.handles[int(hid)]
        except (KeyError, ValueError, TypeError):
            raise LookupError(f"unknown handle {hid!r}") from None

    def resolve(self, target):
        kind, root, *path = target
        if kind == "module":
            obj = importlib.import_module(f"{PACKAGE}.{root}")
        elif kind == "handle":
            obj = self.resolve_handle(root)
        elif kind == "probe":  # "name" in probes.py, or "probes_ex07.name"
            module, _, name = root.rpartition(".")
            module = module or "probes"
            if not module.startswith("probes") or module not in self.instruments:
                raise LookupError(f"unknown probe module {module!r}")
            obj = self.instruments[module]
            path = [name, *path]
        else:
            raise LookupError(f"unknown target kind {kind!r}")
        for step in path:  # an attribute name, or ["__item__", key] for obj[key]
            if isinstance(step, list) and len(step) == 2 and step[0] == "__item__":
                obj = obj[step[1]]
            else:
                obj = getattr(obj, step)
        return obj

    def resolve_argument(self, target):
        """An argument the grader named by reference: one of the worker's objects (a module's
        attribute, or a handle it holds, with a path), never an instrument."""
        if not isinstance(target, list) or not target or target[0] not in ("module", "handle"):
            raise LookupError("an argument may name a module attribute or a handle only")
        return self.resolve(target)

    # requests ---------------------------------------------------------
    def handle(self, header, tensors):
        import torch

        op = header.get("op")
        decoder = self.protocol.Decoder(tensors, resolve=self.resolve_handle, resolve_target=self.resolve_argument)
        if op == "ping":
            return None
        if op == "import":
            importlib.import_module(f"{PACKAGE}.{header['module']}")
            return None
        if op == "get":
            return self.resolve(header["target"])
        if op == "call":
            fn = self.resolve(header["target"])
            args = decoder.decode(header.get("args", []))
            kwargs = decoder.decode(header.get("kwargs", {"__dict__": []}))
            if header["target"][0] == "probe":
                declared = getattr(fn, "instrument", None)
                if not isinstance(declared, dict):  # only what probes*.py declares with @instrument
                    raise LookupError(f"{header['target'][1]!r} is not an instrument")
                if declared["ctx"]:
                    kwargs["ctx"] = self
            torch.set_grad_enabled(True)
            return fn(*args, **kwargs)
        raise LookupError(f"unknown op {op!r}")

    def serve(self):
        protocol = self.protocol
        protocol.write_frame(self.proto_out, {"ok": True, "ready": True, "pid": os.getpid()})
        while True:
            try:
                header, tensors = protocol.read_frame(self.proto_in)
            except EOFError:
                return
            as_handle = bool(header.get("handle"))
            try:
                value = self.handle(header, tensors)
                encoder = protocol.Encoder(keep=self.keep)
                if as_handle:
                    node = {"__handle__": self.keep(value), "type": type(value).__qualname__, "repr": ""}
                else:
                    node = encoder.encode(value)
                reply = {"ok": True, "value": node}
                tensors_out = encoder.tensors
            except BaseException as exc:  # SystemExit and KeyboardInterrupt included
                reply, tensors_out = {"ok": False, "error": describe_error(exc)}, {}
            try:
                protocol.write_frame(self.proto_out, reply, tensors_out)
            except Exception as exc:  # an unencodable tensor, say
                protocol.write_frame(self.proto_out, {"ok": False, "error": describe_error(exc)})


def describe_error(exc: BaseException) -> dict:
    """Type, message and the innermost line of student code, for feedback."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        base = os.path.basename(frame.filename)
        if f"{os.sep}{PACKAGE}{os.sep}" in frame.filename and base.startswith("ex"):
            where = f"{base}, line {frame.lineno}, in {frame.name}: {(frame.line or '').strip()}"[:300]
    try:
        message = str(exc)
    except Exception:
        message = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{os.path.basename(exc.filename)}, line {exc.lineno}: {(exc.text or '').strip()}"[:300]
    return {
        "type": type(exc).__name__,
        "message": message[:500],
        "where": where,
        "not_implemented": isinstance(exc, NotImplementedError),
    }


# Libraries the assignment's modules import. The worker starts while the grader is still
# starting up, so importing them here overlaps with it instead of delaying a check later.
# torch._dynamo is what torch imports the first time an optimizer is built (seconds).
PRELOAD = ("numpy", "torch.utils.data", "torch._dynamo", "matplotlib.figure", "sklearn.datasets",
           "sklearn.model_selection")


def preload():
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing library is the student's module's problem, later
            pass


def load_instruments(folder: str) -> dict:
    """Import the protocol and the instruments (probes*.py) before any student code, then take
    their folder off sys.path and their names out of sys.modules: ``import probes`` in a
    submission finds nothing to patch, and what the instruments bound at import (torch's own
    comparison functions) is what torch defined."""
    names = sorted(f[:-3] for f in os.listdir(folder) if f.endswith(".py") and f.startswith(("probes", "protocol")))
    sys.path.insert(0, folder)
    try:
        modules = {name: importlib.import_module(name) for name in names}
    finally:
        sys.path.remove(folder)
    for name in names:
        sys.modules.pop(name, None)
    _share_classes(modules.values())
    return modules


OBJECTS = "dlgrader_objects"


def _share_classes(modules) -> None:
    """The instruments' classes (the models, loaders and optimizers handed to student code) move
    to one importable module of their own, so that pickling one (``torch.save(model)``, a common
    mistake) works as it would anywhere, without making the instruments' functions importable."""
    import types

    objects = types.ModuleType(OBJECTS, "Classes of the grader's instruments.")
    for module in modules:
        for name, value in list(vars(module).items()):
            if isinstance(value, type) and value.__module__ == module.__name__:
                value.__module__ = OBJECTS
                setattr(objects, name, value)
    sys.modules[OBJECTS] = objects


def serve(proto_in, proto_out, package_root: str, instruments: dict) -> None:
    """Serve the grader once torch, the preloaded libraries and the instruments are imported (here,
    or in the preloaded parent this worker was forked from: zygote.py)."""
    sys.path.insert(0, package_root)
    Worker(proto_in, proto_out, instruments).serve()


def main():
    proto_in, proto_out = _private_streams()
    package_root, threads = sys.argv[1], int(sys.argv[2])
    sys.dont_write_bytecode = True
    import torch

    torch.set_num_threads(threads)
    preload()
    instruments = load_instruments(os.path.dirname(os.path.abspath(__file__)))
    serve(proto_in, proto_out, package_root, instruments)


if __name__ == "__main__":
    main()
