"""What jpkitool's pytest plugin costs a pytest run that uses none of its fixtures.

Times ``python -m pytest --co -q -p no:cacheprovider`` on a directory holding one
trivial test, in a fresh interpreter each run, and prints the median wall time:

- ``-p no:jpkitool``: the plugin is not loaded (as if jpkitool were not installed;
  the entry point list is still read);
- plugin enabled: what every pytest run where jpkitool is installed pays today;
- old eager plugin: enabled, plus a conftest importing what the plugin used to
  import when loaded (the virtual card and its certificates with ``cryptography``,
  its state and transport, the vpcd bridge, the pcscd harness);
- with ``--lazy-root``, also the plugin over a copy of ``src/jpki`` whose
  ``__init__.py`` imports nothing, put first on ``PYTHONPATH``: what the plugin
  would cost once ``import jpki`` no longer imports the whole library.

Usage: ``.venv/bin/python benchmarks/bench_plugin_startup.py [--runs 7] [--lazy-root]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
#: What the old plugin module and the old eager ``jpki/emulator/__init__.py`` imported.
EAGER_CONFTEST = (
    "import jpki.emulator.card, jpki.emulator.certs, jpki.emulator.state\n"
    "import jpki.emulator.transport, jpki.emulator.vpcd, jpki.testing.pcscd\n"
)


def _env(pythonpath: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        env.pop(name, None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _project(root: Path, conftest: str = "") -> Path:
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "test_trivial.py").write_text("def test_nothing():\n    pass\n")
    if conftest:
        (root / "conftest.py").write_text(conftest)
    return root


def _cmd(extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *extra]


def medians_ms(rows: list[tuple[str, Path, list[str], dict[str, str]]], runs: int) -> list[float]:
    """Median wall time of each row; the rows take turns, so a slow spell hits all."""
    for _, cwd, extra, env in rows:  # warm-up: .pyc files, page cache
        subprocess.run(_cmd(extra), cwd=cwd, env=env, capture_output=True, check=True)
    times: list[list[float]] = [[] for _ in rows]
    for _ in range(runs):
        for i, (_, cwd, extra, env) in enumerate(rows):
            start = time.perf_counter()
            subprocess.run(_cmd(extra), cwd=cwd, env=env, capture_output=True, check=True)
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) * 1000 for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lazy-root", action="store_true", help="also simulate a lazy jpki")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jpkitool-bench-") as tmp:
        base = Path(tmp)
        plain = _project(base / "plain")
        eager = _project(base / "eager", EAGER_CONFTEST)
        rows = [
            ("plugin disabled (-p no:jpkitool)", plain, ["-p", "no:jpkitool"], _env()),
            ("plugin enabled", plain, [], _env()),
            ("old eager plugin (enabled + eager imports)", eager, [], _env()),
        ]
        if args.lazy_root:
            shadow = base / "lazy-root"
            shutil.copytree(SRC / "jpki", shadow / "jpki", ignore=shutil.ignore_patterns("*.pyc"))
            (shadow / "jpki" / "__init__.py").write_text('"""jpki with nothing imported."""\n')
            rows.append(("plugin enabled, lazy jpki (simulated)", plain, [], _env(str(shadow))))

        print(f"python -m pytest --co -q on one trivial test, median of {args.runs} runs")
        results = medians_ms(rows, args.runs)
        for (label, *_), ms in zip(rows, results, strict=True):
            print(f"  {label:<46} {ms:7.1f} ms  ({ms - results[0]:+6.1f} ms)")


if __name__ == "__main__":
    main()
