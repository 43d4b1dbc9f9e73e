"""The test kit's pytest plugin costs nothing when unused.

Every pytest run in an environment with pytest-jpkitool installed loads the plugin
named by its ``pytest11`` entry point ``jpkitool``. Importing it, or running pytest on
tests that use none of its fixtures, must not load the virtual card, its
certificates, ``cryptography`` or pyscard. Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

#: Modules a run that uses no fixture must not load (prefixes; ``x`` covers ``x.*``).
HEAVY = ("cryptography", "jpki.emulator", "smartcard")
FIXTURES = ("jpki_pcscd", "serve_card", "serve_virtual_card", "virtual_card_reader")


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def _plugin_module() -> str:
    (ep,) = [ep for ep in entry_points(group="pytest11") if ep.name == "jpkitool"]
    return ep.module


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        env.pop(name, None)
    return env


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env(),
        timeout=60,
    ).stdout
    return set(json.loads(out))


@functools.cache
def _root_modules() -> frozenset[str]:
    return frozenset(_modules_after("import jpki"))


def test_the_plugin_is_the_test_kits() -> None:
    (ep,) = [ep for ep in entry_points(group="pytest11") if ep.name == "jpkitool"]
    assert ep.module == "pytest_jpkitool.plugin"
    assert ep.dist is not None and ep.dist.name == "pytest-jpkitool"


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    loaded = _modules_after(f"import {_plugin_module()}")
    assert "pytest" in loaded
    assert {"jpki.emulator.card", "jpki.emulator.certs"}.isdisjoint(loaded)
    assert _heavy(loaded) == []
    # What the plugin adds on top of the jpki package itself: nothing heavy, ever.
    assert _heavy(loaded - _root_modules()) == []
    assert "cryptography" not in loaded and "asn1crypto" not in loaded


CONFTEST = """
    import json
    import sys
    from pathlib import Path


    def pytest_sessionfinish(session):
        plugin = session.config.pluginmanager.get_plugin("jpkitool")
        record = {"plugin": getattr(plugin, "__name__", None), "modules": sorted(sys.modules)}
        Path(__file__).with_name("modules.json").write_text(json.dumps(record))
"""


@pytest.mark.parametrize("option", ["--co", "--fixtures"])
def test_pytest_run_without_the_fixtures_loads_nothing_heavy(tmp_path: Path, option: str) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tmp_path / "test_trivial.py").write_text("def test_nothing():\n    pass\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", option, "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    if option == "--co":
        assert "test_trivial.py::test_nothing" in run.stdout
    else:  # the fixtures are there for projects that want them
        for name in FIXTURES:
            assert name in run.stdout
    record = json.loads((tmp_path / "modules.json").read_text())
    assert record["plugin"] == _plugin_module()
    loaded = set(record["modules"])
    assert {"jpki.emulator.card", "jpki.emulator.certs"}.isdisjoint(loaded)
    assert _heavy(loaded) == []
    assert "cryptography" not in loaded and "asn1crypto" not in loaded
