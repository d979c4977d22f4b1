"""The kit's DLGRADER_* settings: each declared once (autograder/settings.py), read only through it,
printed by ./grade.sh --help, and a value the kit cannot use stops the command with a message."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import settings

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"DLGRADER_[A-Z][A-Z_]*[A-Z]")


def _texts():
    for folder in ("autograder", "tests", "benchmarks", ".ci"):
        for path in sorted((ROOT / folder).rglob("*")):
            text_file = path.suffix in ("", ".py", ".md", ".sh", ".ipynb")
            if path.is_file() and text_file and "__pycache__" not in path.parts:
                yield path, path.read_text(encoding="utf-8", errors="replace")
    for name in ("grade.sh", "README.md", "README.zh-CN.md", "HANDOUT.md", "HANDOUT.zh-CN.md"):
        yield ROOT / name, (ROOT / name).read_text(encoding="utf-8")


def test_every_variable_the_kit_names_is_declared():
    unknown = {}
    for path, text in _texts():
        for name in set(NAME.findall(text)) - set(settings.BY_NAME):
            unknown.setdefault(name, str(path.relative_to(ROOT)))
    assert not unknown, f"declare these in autograder/settings.py (first seen in): {unknown}"


def test_the_engine_reads_settings_only_through_the_settings_module():
    reads = re.compile(r"""(?:environ\.get|getenv)\(\s*["']DLGRADER_|environ\[["']DLGRADER_[A-Z_]+["']\](?!\s*=)""")
    found = [f"{p.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
             for p, text in _texts() if p.suffix == ".py" and "autograder" in p.parts and p.name != "settings.py"
             for m in reads.finditer(text)]
    assert not found, f"read these with autograder.settings.value(...): {found}"


def test_values_are_typed_and_bad_ones_say_what_is_expected(monkeypatch):
    monkeypatch.delenv("DLGRADER_CALL_SECONDS", raising=False)
    assert settings.value("DLGRADER_CALL_SECONDS") == 120.0
    monkeypatch.setenv("DLGRADER_CALL_SECONDS", " 7.5 ")
    assert settings.value("DLGRADER_CALL_SECONDS") == 7.5
    for bad in ("abc", "-1", "nan"):
        monkeypatch.setenv("DLGRADER_CALL_SECONDS", bad)
        with pytest.raises(settings.SettingError, match=r"expected a number of at least 0 .*default, 120"):
            settings.value("DLGRADER_CALL_SECONDS")
    monkeypatch.setenv("DLGRADER_ISOLATION", "Process")
    assert settings.value("DLGRADER_ISOLATION") == "process"
    monkeypatch.setenv("DLGRADER_ISOLATION", "docker")
    assert settings.check_all() == [
        "DLGRADER_ISOLATION='docker': expected one of process, none (" + settings.setting("DLGRADER_ISOLATION").help
        + "); unset it to use the default.",
        "DLGRADER_CALL_SECONDS='nan': expected a number of at least 0 ("
        + settings.setting("DLGRADER_CALL_SECONDS").help + "); unset it to use the default, 120.0."]
    with pytest.raises(KeyError, match="declare it in autograder/settings.py"):
        settings.value("DLGRADER_" + "NO_SUCH_THING")


def _cli(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")} | env
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_help_lists_every_setting_with_its_default():
    done = _cli("--help")
    assert done.returncode == 0, done.stderr
    shown = done.stdout.split("environment variables:", 1)[1]
    for s in settings.SETTINGS:
        if s.who == "tests":
            assert s.name not in shown
            continue
        default = s.default if s.default != "" else "unset"
        default = int(default) if isinstance(default, float) and default.is_integer() else default
        assert f"{s.name} (default {default})" in shown
        assert " ".join(s.help.split()[:4]) in " ".join(shown.split())


def test_a_bad_value_stops_the_command_before_it_grades():
    done = _cli("grade", "solutions", DLGRADER_MEMORY_MB="3GB")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == ("grade.sh: DLGRADER_MEMORY_MB='3GB': expected a number of at least 0 ("
                                   + settings.setting("DLGRADER_MEMORY_MB").help
                                   + "); unset it to use the default, 3072.0.")
