"""The case counts the fuzz tests state are the ones they run."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

from hypothesis import settings

from . import budget


def _fuzz_tests() -> Iterator[tuple[str, Any]]:
    package = importlib.import_module(__package__ or "fuzz")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("test_fuzz_"):
            continue
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")
        for name, test in inspect.getmembers(loaded, inspect.isfunction):
            if name.startswith("test_") and getattr(test, "is_hypothesis_test", False):
                yield f"{module.name}.{name}", test


def test_every_fuzz_test_states_and_runs_its_count() -> None:
    tests = dict(_fuzz_tests())
    assert len(tests) >= 14, sorted(tests)
    for name, test in tests.items():
        ci = getattr(test, "fuzz_ci_cases", None)
        assert ci is not None, f"{name}: no @cases(ci=...)"
        stated = f"{budget.FUZZ_CASES:,} cases under the fuzz profile, {ci:,} under ci."
        assert stated in " ".join((test.__doc__ or "").split()), f"{name}: docstring"
        used: settings = test._hypothesis_internal_use_settings
        assert used.max_examples == budget.count(ci), name
        assert used.max_examples == (budget.FUZZ_CASES if budget.fuzzing() else ci), name
        assert used.deadline is None, f"{name}: a deadline makes a loaded machine fail"
