"""How many cases each fuzz test runs, per hypothesis profile (see tests/conftest.py).

Under the ``fuzz`` profile (``--hypothesis-profile=fuzz`` or ``HYPOTHESIS_PROFILE=fuzz``)
every fuzz test runs :data:`FUZZ_CASES` cases; under any other profile (``ci``, the
default) it runs the smaller count its :func:`cases` decorator names, so that the
default run of tests/fuzz stays short. Each test's docstring states both counts, and
``test_case_counts.py`` checks that the docstring and the settings agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import settings

#: The profile that runs every fuzz test :data:`FUZZ_CASES` times.
FUZZ_PROFILE = "fuzz"
#: Cases per fuzz test under :data:`FUZZ_PROFILE`.
FUZZ_CASES = 10_000

F = TypeVar("F", bound=Callable[..., Any])


def fuzzing() -> bool:
    """Whether the active profile is the fuzz profile (or one the hypothesis plugin
    derived from it, such as ``fuzz-with-verbose-verbosity``)."""
    return settings.get_current_profile_name().startswith(FUZZ_PROFILE)


def count(ci: int) -> int:
    """Cases a test whose default count is ``ci`` runs under the active profile."""
    return FUZZ_CASES if fuzzing() else ci


def cases(ci: int) -> Callable[[F], F]:
    """``@settings(max_examples=...)``: :data:`FUZZ_CASES` under the fuzz profile, ``ci``
    otherwise; the test keeps ``ci`` in ``fuzz_ci_cases`` for ``test_case_counts.py``."""

    def apply(test: F) -> F:
        wrapped = settings(max_examples=count(ci))(test)
        wrapped.fuzz_ci_cases = ci  # type: ignore[attr-defined]
        return wrapped

    return apply
