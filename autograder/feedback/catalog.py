"""Every sentence the grader says to a student, in English and Chinese (zh-CN).

A check never builds feedback text itself: it names a message key and its
parameters (``Msg("hint.ex04_zero_grad")``), and the report renders it in the
language asked for. Keys starting with ``hint.`` explain a likely mistake.
Add a message here, in both languages, and use its key in a check;
tests/test_catalog.py fails when a language is missing or a key is unused.
"""
from __future__ import annotations

import numbers
import re

from .. import settings

LANGUAGES = ("en", "zh")


def language(value: str | None = None) -> str:
    """The feedback language: ``value`` (``--lang``) when given, else $DLGRADER_LANG, else English;
    any ``zh...`` (zh, zh_CN, zh-CN.UTF-8) is Chinese, anything else English."""
    lang = (value or settings.value("DLGRADER_LANG")).lower()
    return "zh" if lang.startswith("zh") else "en"

MESSAGES: dict[str, dict[str, str]] = {
    # --- outcomes of running student code -------------------------------
    "not_implemented": {
        "en": "{func} is not implemented yet: replace `raise NotImplementedError()` under `# YOUR CODE HERE` with your code.",
        "zh": "{func} 还没有实现：请把 `# YOUR CODE HERE` 下面的 `raise NotImplementedError()` 换成你的代码。",
    },
    "raised": {
        "en": "{func} raised {exc}: {message}",
        "zh": "{func} 抛出了 `{exc}: {message}`",  # Python's own message, in English: quoted as code
    },
    "where": {"en": "at {where}", "zh": "位置：{where}"},
    "module_missing": {
        "en": "{module}.py is not in the submission, so its checks cannot run. Submit the file with exactly this name.",
        "zh": "提交中没有 {module}.py，相关检查无法运行。请按这个文件名提交。",
    },
    "module_import": {
        "en": "{module}.py could not be imported (`{exc}: {message}`). Fix this first: none of its functions can be checked until it imports.",
        "zh": "{module}.py 无法导入（`{exc}: {message}`）。请先修复它：在能导入之前，其中的函数都无法检查。",
    },
    "module_import_crash": {
        "en": "importing {module}.py ended the process (it called os._exit, crashed, or ran out of time or memory). Remove code that runs at import time.",
        "zh": "导入 {module}.py 时进程结束了（调用了 os._exit、崩溃，或超时/超内存）。请删除在导入时就执行的代码。",
    },
    "module_rejected": {
        "en": "{module}.py was not graded: {reason}",
        "zh": "{module}.py 没有被评分：{reason}",
    },
    # --- one cause, one message (grading/causes.py) ----------------------
    "cause.syntax": {
        "en": "{file}, line {line}: `SyntaxError: {message}` in `{text}`. Python cannot read this file.",
        "zh": "{file} 第 {line} 行：`SyntaxError: {message}`，出错的代码是 `{text}`。Python 无法读取这个文件。",
    },
    "cause.module": {
        "en": "{file} was not graded: it imports {cause}, which has an error (see its line). Fix {cause} first.",
        "zh": "{file} 没有被评分：它导入了 {cause}，而 {cause} 有错误（见它那一行）。请先修正 {cause}。",
    },
    "cause.function": {
        "en": "this check of `{func}` also runs your `{other}` ({exercise}), which fails its own checks: "
              "fix `{other}` first, then run the checks again.",
        "zh": "这项关于 `{func}` 的检查也会运行你的 `{other}`（{exercise}），而它没有通过自己的检查："
              "请先修正 `{other}`，再重新运行检查。",
    },
    # --- the console (reports/console.py) ---------------------------------
    "console.module_checks": {
        "en": "None of its {count} checks ran ({points} points).",
        "zh": "它的 {count} 项检查都没有运行（{points} 分）。",
    },
    "console.legend": {"en": "Marks: {marks}.", "zh": "标记：{marks}。"},
    "console.mark.failed": {"en": "failed", "zh": "未通过"},
    "console.mark.error": {"en": "could not run", "zh": "无法运行"},
    "console.mark.timeout": {"en": "took too long", "zh": "超时"},
    "console.mark.unwritten": {"en": "not written yet", "zh": "尚未编写"},
    "console.printed_total": {
        "en": "Your code printed output during {count} check(s); add --show-output to see it under each failing "
              "check.",
        "zh": "你的代码在 {count} 项检查中输出了内容；加上 --show-output 就会在每项未通过的检查下显示它。",
    },
    "console.printed": {
        "en": "your code printed {lines} line(s) during this check; see them with --show-output.",
        "zh": "这项检查运行时你的代码输出了 {lines} 行；加上 --show-output 可以看到。",
    },
    "console.printed_shown": {"en": "your code printed:", "zh": "你的代码输出了："},
    "console.running": {
        "en": "checking {exercise} {func}: {seconds} s",
        "zh": "正在检查 {exercise} {func}：{seconds} 秒",
    },
    "console.interrupted": {
        "en": "Stopped (Ctrl-C): nothing was graded and nothing is left running.",
        "zh": "已停止（Ctrl-C）：本次没有评分，也没有留下仍在运行的进程。",
    },
    "next_step.write": {
        "en": "Next: open {path}, write {func} (its docstring says the shapes, what to return, and a hint), "
              "then run {command} again.",
        "zh": "下一步：打开 {path}，完成 {func}（文档字符串写明了形状、返回值和提示），然后再次运行 {command}。",
    },
    "next_step.fix": {
        "en": "Next: fix the first line above ({func} in {path}), then run {command} again.",
        "zh": "下一步：先修正上面第一行指出的问题（{path} 中的 {func}），然后再次运行 {command}。",
    },
    "total.only": {"en": "({names} only)", "zh": "（仅 {names}）"},
    "curve.saved": {
        "en": "picture of your curve beside a correct run's: {path}",
        "zh": "你的曲线与正确结果的对比图：{path}",
    },
    "notebook.failed": {
        "en": "the grader ended without a report (exit status {code}); run ./grade.sh in a terminal to see why.",
        "zh": "评分程序没有生成报告就结束了（退出状态 {code}）；请在终端中运行 ./grade.sh 查看原因。",
    },
    "notebook.stopped": {"en": "check stopped: nothing was graded.", "zh": "检查已停止：没有评分。"},
    "curve.yours": {"en": "your code", "zh": "你的代码"},
    "curve.correct": {"en": "correct run", "zh": "正确结果"},
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
    "disk": {
        "en": "{func} stopped: the files written by your code (in its folder and /tmp) grew past the limit of "
              "{limit}. Write only the files asked for, and keep them small.",
        "zh": "{func} 被停止：你的代码写出的文件（在它的文件夹和 /tmp 中）超过了上限 {limit}。只写要求的文件，并让它们保持小巧。",
    },
    "budget": {
        "en": "the submission used up its total time ({seconds:.0f} s) before this check ran.",
        "zh": "在运行这项检查之前，提交已经用完了总时间（{seconds:.0f} 秒）。",
    },
    "startup": {
        "en": "the grader could not start a process for your code: {detail}",
        "zh": "评分程序无法为你的代码启动进程：{detail}",
    },
    "too_large": {
        "en": "{func} returned a result too large to check: {size} MB, the limit is {limit} MB.",
        "zh": "{func} 返回的结果太大，无法检查：{size} MB，上限为 {limit} MB。",
    },
    "too_complex": {
        "en": "{func} returned a result too complex to check ({what} {size}, the limit is {limit}).",
        "zh": "{func} 返回的结果过于复杂，无法检查（{what} {size}，上限为 {limit}）。",
    },
    "limit.depth": {"en": "nesting depth", "zh": "嵌套深度"},
    "limit.nodes": {"en": "values", "zh": "值的个数"},
    "limit.string": {"en": "characters in one string", "zh": "单个字符串的字符数"},
    "limit.entries": {"en": "entries in one object", "zh": "单个对象的条目数"},
    "limit.tensors": {"en": "tensors", "zh": "张量个数"},
    "limit.tensor_header": {"en": "bytes of tensor descriptions", "zh": "张量描述的字节数"},
    "grader_timeout": {
        "en": "checking what {func} returned took the grader more than {seconds:.0f} s; "
              "look for results far larger than asked for.",
        "zh": "评分程序检查 {func} 的返回值用了超过 {seconds:.0f} 秒；请检查返回的结果是否远大于要求。",
    },
    "cut": {"en": "… and {count} more characters", "zh": "……还有 {count} 个字符"},
    "cut.items": {"en": "… and {count} more", "zh": "……还有 {count} 项"},
    "cut.report": {
        "en": "… and {count} more characters of feedback in this report",
        "zh": "……本报告还有 {count} 个字符的反馈未显示",
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
    "in_process_tampering": {
        "en": "{file}, line {line}: `{what}`. This check watches how your code runs in the grader's worker, and it "
              "cannot trust what it sees while code that can change what the worker observes (frames, gc, patched "
              "torch functions or methods, the worker's descriptors, threads, ...) is in the submission, in any of "
              "its files. Remove it: no exercise needs it.",
        "zh": "{file} 第 {line} 行：`{what}`。这项检查要观察你的代码在评分工作进程中如何运行；只要提交的任何一个文件里"
              "还有能改变工作进程所见内容的代码（栈帧、gc、被替换的 torch 函数或方法、工作进程的文件描述符、线程等），"
              "它看到的就不可信。请删除这段代码：任何练习都不需要它。",
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
    # Hidden checks: where the values differ and what came back, never the expected value,
    # its size or the distance to it (got minus the difference would give it away).
    "cmp.values_secret": {
        "en": "values differ from the expected ones; the worst is at index {index} (got {got:.6g})",
        "zh": "数值与期望的不一致；偏差最大的在下标 {index}（实际 {got:.6g}）",
    },
    "cmp.number": {
        "en": "got {got}, expected {expected}",
        "zh": "实际得到 {got}，期望 {expected}",
    },
    "cmp.number_secret": {"en": "got {got}, which is not the expected value", "zh": "实际得到 {got}，不是期望的值"},
    "cmp.length": {"en": "length {got}, expected {expected}", "zh": "长度为 {got}，期望 {expected}"},
    # What a check shows as got or expected, when it is words rather than code or a value: a Msg
    # parameter of cmp.* (rendered in the same language). Those of one exercise are in its hints module.
    "value.no_exception": {"en": "no exception", "zh": "没有抛出异常"},
    "value.another_type": {"en": "another type", "zh": "其他类型"},
    "value.something_else": {"en": "something else", "zh": "其他对象"},
    # --- the readers' reasons for refusing a file or a model (feedback/reasons.py) ---
    "reason.missing": {"en": "missing", "zh": "不存在"},
    "reason.outside": {"en": "not a path inside the worker's folder", "zh": "不是工作目录中的路径"},
    "reason.link_or_not_folder": {"en": "a link or not a folder", "zh": "是链接或不是文件夹"},
    "reason.not_file": {"en": "not a file", "zh": "不是文件"},
    "reason.link": {"en": "a link, not a file", "zh": "是链接，不是文件"},
    "reason.not_regular": {"en": "not a regular file", "zh": "不是普通文件"},
    "reason.larger_kb": {"en": "larger than {kb} KB", "zh": "大于 {kb} KB"},
    "reason.entries": {"en": "more than {count} entries", "zh": "超过 {count} 个条目"},
    "reason.folder": {"en": "a folder, not a file", "zh": "是文件夹，不是文件"},
    "reason.records": {"en": "more than {count} records", "zh": "超过 {count} 条记录"},
    "reason.seconds": {"en": "more than {seconds} s to read", "zh": "读取需要超过 {seconds} 秒"},
    "reason.event_files": {"en": "more than {count} event files", "zh": "超过 {count} 个事件文件"},
    "reason.event_mb": {"en": "more than {mb} MB of event files", "zh": "事件文件超过 {mb} MB"},
    "reason.not_png": {"en": "not a PNG file", "zh": "不是 PNG 文件"},
    "reason.pixels": {"en": "{width}x{height} pixels", "zh": "{width}x{height} 像素"},
    "reason.pixels_large": {"en": "{width}x{height} pixels, far larger than a figure",
                            "zh": "{width}x{height} 像素，远大于一张图"},
    "reason.svg_entities": {"en": "an SVG that declares entities", "zh": "声明了实体（`<!ENTITY>`）的 SVG"},
    "reason.not_svg": {"en": "not an SVG file", "zh": "不是 SVG 文件"},
    "reason.not_svg_error": {"en": "not an SVG file (`{error}`)", "zh": "不是 SVG 文件（`{error}`）"},
    "reason.unreadable_svg": {"en": "not a readable SVG (`{error}`)", "zh": "无法读取的 SVG（`{error}`）"},
    "reason.elements": {"en": "too many elements", "zh": "元素太多"},
    "reason.points": {"en": "a path with too many points", "zh": "一条路径的点太多"},
    "reason.larger_figure": {"en": "larger than a figure", "zh": "比一张图还大"},
    "reason.no_series": {"en": "the grader's data has no varying series", "zh": "评分程序的数据中没有变化的序列"},
    "reason.no_line": {"en": "no line follows the values of {series}", "zh": "没有一条线与 {series} 的值吻合"},
    "reason.no_state": {"en": "no state_dict (no parameters)", "zh": "没有 state_dict（没有参数）"},
    "reason.not_pairs": {"en": "{count} tensors, not weight/bias pairs", "zh": "{count} 个张量，不是成对的 weight/bias"},
    "reason.not_linear_pair": {"en": "{weight}, {bias} are not a Linear layer's weight [out, in] and bias [out]",
                               "zh": "{weight}、{bias} 不是 Linear 层的 weight [out, in] 和 bias [out]"},
    "reason.not_float": {"en": "{weight} is not a floating-point weight", "zh": "{weight} 不是浮点数权重"},
    "reason.linear_inputs": {"en": "{weight} has shape {shape}, a Linear layer taking {width} inputs was expected",
                             "zh": "{weight} 的形状是 {shape}，期望的是输入为 {width} 的 Linear 层"},
    "reason.not_linear": {"en": "not the weight of a Linear layer", "zh": "不是 Linear 层的权重"},
    "reason.after_width": {"en": "shape {shape} after a layer of width {width}",
                           "zh": "形状为 {shape}，而前一层的宽度是 {width}"},
    "reason.last_layer": {"en": "the last layer gives {width} outputs, not {classes}",
                          "zh": "最后一层输出 {width} 个值，而不是 {classes} 个"},
    "reason.several": {"en": "{a}; {b}", "zh": "{a}；{b}"},
    "reason.at": {"en": "{at}: {why}", "zh": "{at}：{why}"},
    "reason.verbatim": {"en": "{t}", "zh": "`{t}`"},
    "value.no_file": {"en": "no file", "zh": "没有文件"},
    "value.file": {"en": "a file {name}", "zh": "文件 {name}"},
    "value.not_in_file": {"en": "not in the file", "zh": "文件中没有"},
    "value.at_save": {"en": "{what} at the save", "zh": "保存时的 {what}"},
    "value.no_warning": {"en": "no warning", "zh": "没有警告"},
    "value.not_moved": {"en": "not moved", "zh": "没有被移动"},
    "value.dict_keys": {"en": "dict with keys {keys}", "zh": "带有键 {keys} 的 dict"},
    "value.message_naming": {"en": "a message naming {names}", "zh": "提到 {names} 的错误信息"},
    "value.sequence": {"en": "a sequence", "zh": "序列"},
    "value.result": {"en": "a result", "zh": "一个结果"},
    "value.finite_float": {"en": "a finite float", "zh": "有限的 float"},
    "value.different_object": {"en": "a different object", "zh": "另一个对象"},
    "value.same_object": {"en": "the same object", "zh": "同一个对象"},
    "value.falling_loss": {"en": "a falling loss", "zh": "下降的损失"},
    # A check's label, shown in front of its message (name= of fail and the expect_* helpers), when it
    # is words rather than code: a Msg (rendered in the same language). Those of one exercise are in
    # its hints module.
    "label.named": {"en": "{it}:", "zh": "{it}："},  # the label in front (a short placeholder: zh has no word)
    "label.after_call": {"en": "{what} after {call}", "zh": "调用 {call} 之后的 {what}"},
    "label.same_seed": {"en": "{what} with the same seed", "zh": "相同种子下的 {what}"},
    "label.another_seed": {"en": "{what} with another seed", "zh": "换一个种子后的 {what}"},
    "label.error_message": {"en": "the {exc}'s message", "zh": "{exc} 的错误信息"},
    "label.keys": {"en": "{what} keys", "zh": "{what} 的键"},
    "label.twice": {"en": "{call}, called twice", "zh": "两次调用 {call}"},
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


# --- what student-derived text may look like once printed or written -------------------
# Exception messages, `where` lines, file names, reprs and printed output come from the
# submission. Every renderer goes through render() below (and the console and file writers
# through clean()), so none of it reaches a terminal or a report with escape sequences
# (a forged "total 100/100" drawn over the real one, an OSC 52 clipboard write) or control
# characters. Kept: \n and \t.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x20-\x3f]* [\x40-\x7e]?                    # CSI ... final byte
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|$)  # OSC, DCS, SOS, PM, APC ... ST
    | \x1b [\x20-\x2f]* [\x30-\x7e]?                                 # other ESC sequences
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 but \t and \n, DEL, C1, and the bidirectional overrides that reorder what is displayed.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

PARAM_CHARS = 1000  # one parameter (a message, a where line) once rendered
LIST_ITEMS = 8  # values shown of a list (an index, a shape, a list of losses)


def clean(text: str, keep_crlf: bool = False) -> str:
    """``text`` without escape sequences and control characters (\n and \t stay; with
    ``keep_crlf``, the \r of a \r\n line end stays too, for CSV files)."""
    if keep_crlf:
        return "\r\n".join(clean(part) for part in text.split("\r\n"))
    if not _CONTROLS.search(text):  # every escape sequence starts with one
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def cut(text: str, limit: int, lang: str = "en") -> str:
    """``text`` cut to about ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return text[:limit] + " " + render(Msg("cut", count=len(text) - limit), lang)


def _param(value, lang: str):
    """A parameter as it may appear in a message: Msg rendered, text cleaned and cut,
    lists and tuples shown with at most LIST_ITEMS values; numbers stay numbers (for {x:.3g})."""
    if isinstance(value, Msg):
        return render(value, lang)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, numbers.Real):
        return value
    if isinstance(value, (list, tuple)):
        shown = ", ".join(_item(v) for v in value[:LIST_ITEMS])
        if len(value) > LIST_ITEMS:
            shown += " " + render(Msg("cut.items", count=len(value) - LIST_ITEMS), lang)
        open_, close = ("[", "]") if isinstance(value, list) else ("(", ")")
        return cut(clean(open_ + shown + close), PARAM_CHARS, lang)
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a value whose __str__ fails is shown by its type
        text = f"<{type(value).__name__}>"
    return cut(clean(text), PARAM_CHARS, lang)


def _item(value) -> str:
    if isinstance(value, str):
        return repr(value[:PARAM_CHARS])
    if isinstance(value, (list, tuple)):
        return "[...]" if isinstance(value, list) else "(...)"
    try:
        return repr(value)[:PARAM_CHARS]
    except Exception:  # noqa: BLE001
        return f"<{type(value).__name__}>"


def render(msg, lang: str = "en") -> str:
    """Text of a Msg (or a plain string) in ``lang``, cleaned (see clean); the parameters are
    cleaned and cut before they are put in (see _param)."""
    if msg is None:
        return ""
    if isinstance(msg, str):
        return clean(msg)
    templates = MESSAGES[msg.key]
    template = templates.get(lang) or templates["en"]
    params = {k: _param(v, lang) for k, v in msg.params.items()}
    try:
        return clean(template.format(**params))
    except (KeyError, ValueError, IndexError, TypeError):
        return clean(templates["en"] + " " + cut(repr(params), PARAM_CHARS, lang))
