"""requirements.txt and environment.yml pin the same packages."""
import re

import yaml
from conftest import ROOT


def pins_from(lines):
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_requirements_and_environment_agree():
    req = pins_from((ROOT / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    conda_pins = pins_from(pip_section)
    assert req == conda_pins
    assert "python=3.11" in deps
    assert req["torch"] == "2.14.1" and req["torchvision"] == "0.29.1"
    for needed in ("scikit-learn", "matplotlib", "tensorboard", "pytest", "pytest-timeout", "nbgrader", "safetensors"):
        assert needed in req, needed
