"""Every sentence the grader says to a student, in English and Chinese (zh-CN).

A check never builds feedback text itself: it names a message key and its
parameters (``Msg("hint.ex04_zero_grad")``), and the report renders it in the
language asked for. Keys starting with ``hint.`` explain a likely mistake.
Add a message here, in both languages, and use its key in a check;
tests/test_catalog.py fails when a language is missing or a key is unused.
"""
from __future__ import annotations

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    # --- outcomes of running student code -------------------------------
    "not_implemented": {
        "en": "{func} is not implemented yet: replace `raise NotImplementedError()` under `# YOUR CODE HERE` with your code.",
        "zh": "{func} 还没有实现：请把 `# YOUR CODE HERE` 下面的 `raise NotImplementedError()` 换成你的代码。",
    },
    "raised": {
        "en": "{func} raised {exc}: {message}",
        "zh": "{func} 抛出了 {exc}：{message}",
    },
    "where": {"en": "at {where}", "zh": "位置：{where}"},
    "module_missing": {
        "en": "{module}.py is not in the submission, so its checks cannot run. Submit the file with exactly this name.",
        "zh": "提交中没有 {module}.py，相关检查无法运行。请按这个文件名提交。",
    },
    "module_import": {
        "en": "{module}.py could not be imported ({exc}: {message}). Fix this first: none of its functions can be checked until it imports.",
        "zh": "{module}.py 无法导入（{exc}：{message}）。请先修复它：在能导入之前，其中的函数都无法检查。",
    },
    "module_import_crash": {
        "en": "importing {module}.py ended the process (it called os._exit, crashed, or ran out of time or memory). Remove code that runs at import time.",
        "zh": "导入 {module}.py 时进程结束了（调用了 os._exit、崩溃，或超时/超内存）。请删除在导入时就执行的代码。",
    },
    "module_rejected": {
        "en": "{module}.py was not graded: {reason}",
        "zh": "{module}.py 没有被评分：{reason}",
    },
    "next_step.write": {
        "en": "Next: open {path}, write {func} (its docstring says the shapes, what to return, and a hint), "
              "then run ./grade.sh again.",
        "zh": "下一步：打开 {path}，完成 {func}（文档字符串写明了形状、返回值和提示），然后再次运行 ./grade.sh。",
    },
    "next_step.fix": {
        "en": "Next: fix the first line above ({func} in {path}), then run ./grade.sh again.",
        "zh": "下一步：先修正上面第一行指出的问题（{path} 中的 {func}），然后再次运行 ./grade.sh。",
    },
    "intake.ignored": {
        "en": "{name} was not graded: only the exNN_*.py files of the assignment are.",
        "zh": "{name} 没有被评分：只评作业规定的 exNN_*.py 文件。",
    },
    "crash": {
        "en": "the process running {func} ended unexpectedly (a crash, os._exit, or a killed process). Last output: {detail}",
        "zh": "运行 {func} 的进程意外结束（崩溃、os._exit 或被终止）。最后的输出：{detail}",
    },
    "timeout": {
        "en": "{func} did not finish within {seconds:.0f} s. Look for an endless loop, or far more work than asked for.",
        "zh": "{func} 在 {seconds:.0f} 秒内没有结束。请检查是否有死循环，或做了远超要求的计算。",
    },
    "memory": {
        "en": "{func} used more memory than the limit ({limit}). Look for tensors that grow every step, or a huge allocation.",
        "zh": "{func} 使用的内存超过了上限（{limit}）。请检查是否有每一步都在增长的张量，或过大的内存分配。",
    },
    "budget": {
        "en": "the submission used up its total time ({seconds:.0f} s) before this check ran.",
        "zh": "在运行这项检查之前，提交已经用完了总时间（{seconds:.0f} 秒）。",
    },
    "startup": {
        "en": "the grader could not start a process for your code: {detail}",
        "zh": "评分程序无法为你的代码启动进程：{detail}",
    },
    "protocol": {
        "en": "the process running {func} sent back something that is not a result ({detail}).",
        "zh": "运行 {func} 的进程返回的不是结果（{detail}）。",
    },
    "not_data": {
        "en": "{func} returned a {type}, which is not what it should return.",
        "zh": "{func} 返回了 {type}，这不是它应该返回的类型。",
    },
    "check_error": {
        "en": "this check could not finish ({exc}: {message}); this is usually a wrong return type.",
        "zh": "这项检查无法完成（{exc}：{message}）；通常是返回值的类型不对。",
    },
    "only_pass_counts": {
        "en": "the check did not pass (it was skipped or marked); only an explicit pass earns points.",
        "zh": "这项检查没有通过（被跳过或被标记）；只有明确通过才能得分。",
    },
    # --- comparing values --------------------------------------------------
    "cmp.type": {"en": "expected {expected}, got {got}", "zh": "期望 {expected}，实际得到 {got}"},
    "cmp.shape": {"en": "shape {got}, expected {expected}", "zh": "形状为 {got}，期望 {expected}"},
    "cmp.dtype": {"en": "dtype {got}, expected {expected}", "zh": "数据类型为 {got}，期望 {expected}"},
    "cmp.nonfinite": {
        "en": "{count} value(s) are nan or inf, first at index {index}",
        "zh": "有 {count} 个值是 nan 或 inf，第一个在下标 {index}",
    },
    "cmp.values": {
        "en": "values differ: largest difference {diff:.3g} at index {index} (got {got:.6g}, expected {expected:.6g})",
        "zh": "数值不一致：最大差异 {diff:.3g}，在下标 {index}（实际 {got:.6g}，期望 {expected:.6g}）",
    },
    "cmp.values_secret": {
        "en": "values differ: largest difference {diff:.3g} at index {index} (got {got:.6g})",
        "zh": "数值不一致：最大差异 {diff:.3g}，在下标 {index}（实际 {got:.6g}）",
    },
    "cmp.number": {
        "en": "got {got}, expected {expected}",
        "zh": "实际得到 {got}，期望 {expected}",
    },
    "cmp.number_secret": {"en": "got {got}, which is not the right value", "zh": "实际得到 {got}，这个值不对"},
    "cmp.length": {"en": "length {got}, expected {expected}", "zh": "长度为 {got}，期望 {expected}"},
    "label.expected": {"en": "expected", "zh": "期望"},
    "label.got": {"en": "got", "zh": "实际"},
    "label.hint": {"en": "hint", "zh": "提示"},
}


def _load_hints() -> None:
    """Merge the per-exercise hint tables of feedback/hints/ into MESSAGES."""
    import importlib
    import pkgutil

    from . import hints

    for info in sorted(pkgutil.iter_modules(hints.__path__), key=lambda i: i.name):
        table = importlib.import_module(f"{hints.__name__}.{info.name}").HINTS
        for key, texts in table.items():
            if key in MESSAGES:
                raise KeyError(f"message {key!r} defined twice")
            MESSAGES[key] = texts


_load_hints()


class Msg:
    """A message key with its parameters, rendered later in the student's language."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, **params):
        if key not in MESSAGES:
            raise KeyError(f"no message {key!r} in the catalog")
        self.key, self.params = key, params

    def render(self, lang: str = "en") -> str:
        return render(self, lang)

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, {self.params!r})"


def render(msg, lang: str = "en") -> str:
    """Text of a Msg (or a plain string) in ``lang``; Msg parameters render too."""
    if msg is None:
        return ""
    if isinstance(msg, str):
        return msg
    templates = MESSAGES[msg.key]
    template = templates.get(lang) or templates["en"]
    params = {k: render(v, lang) if isinstance(v, Msg) else v for k, v in msg.params.items()}
    try:
        return template.format(**params)
    except (KeyError, ValueError, IndexError):
        return templates["en"] + " " + repr(params)
