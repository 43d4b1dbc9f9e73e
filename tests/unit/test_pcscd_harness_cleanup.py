"""The pcscd test harness leaves nothing behind: a folder per pcscd (socket,
configuration, log) is removed when it closes, and kept only for a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_jpkitool import pcscd as harness
from pytest_jpkitool.pcscd import PcscdInstance, another_pcscd


@pytest.fixture
def no_pcscd(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """start/stop without running pcscd; what was called."""
    calls: list[str] = []

    def start(self: PcscdInstance, timeout: float = 15.0) -> PcscdInstance:
        calls.append("start")
        self.log.write_text("pcscd log\n")
        return self

    monkeypatch.setattr(PcscdInstance, "start", start)
    monkeypatch.setattr(PcscdInstance, "stop", lambda self: calls.append("stop"))
    return calls


def test_close_removes_the_folder_it_made(no_pcscd: list[str]) -> None:
    instance = PcscdInstance().start()
    assert instance.dir.is_dir() and instance.dir.name.startswith("jpkitool-pcscd-")
    instance.close()
    assert not instance.dir.exists() and no_pcscd == ["start", "stop"]
    kept = PcscdInstance().start()
    kept.close(keep=True)
    assert (kept.dir / "pcscd.log").read_text() == "pcscd log\n"
    kept.close()  # this test leaves nothing behind either
    assert not kept.dir.exists()


def test_a_folder_given_is_never_removed(no_pcscd: list[str], tmp_path: Path) -> None:
    instance = PcscdInstance(sockdir=str(tmp_path / "given")).start()
    instance.close()
    assert (tmp_path / "given" / "pcscd.log").exists()


def test_with_keeps_the_log_only_when_the_block_raised(
    no_pcscd: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "environ", dict(os.environ))  # __enter__ sets the socket
    with PcscdInstance() as fine:
        pass
    assert not fine.dir.exists()
    with pytest.raises(RuntimeError), PcscdInstance() as failing:
        raise RuntimeError("a test failed")
    assert (failing.dir / "pcscd.log").exists()
    failing.close()


def test_another_pcscd_closes_and_leaves_the_environment(
    no_pcscd: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", "/first/pcscd.comm")
    with another_pcscd(readers=False) as other:
        assert not other.readers and os.environ["PCSCLITE_CSOCK_NAME"] == "/first/pcscd.comm"
    assert not other.dir.exists()
    with pytest.raises(RuntimeError), another_pcscd() as failing:
        raise RuntimeError("a test failed")
    assert (failing.dir / "pcscd.log").exists() and no_pcscd.count("stop") == 2
    failing.close()


def test_a_pcscd_that_does_not_start_leaves_its_folder_only_for_its_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def start(self: PcscdInstance, timeout: float = 15.0) -> PcscdInstance:
        raise harness.HarnessError("pcscd is not installed")

    monkeypatch.setattr(PcscdInstance, "start", start)
    made: list[PcscdInstance] = []
    real_init = PcscdInstance.__init__

    def init(self: PcscdInstance, **kw: object) -> None:
        real_init(self, **kw)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(PcscdInstance, "__init__", init)
    with pytest.raises(harness.HarnessError), another_pcscd():
        pass
    assert made and made[0].dir.exists()  # kept: the failure's log
    made[0].close()
