"""``jpkitool emulator serve`` as a user runs it, and OpenSC against the served card.

``emulator serve`` gets a pcscd of its own here, so that the test can restart it
and check that the card comes back.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cli_runner import Run, StderrLines, jpkitool, serve_process
from jpki.emulator import build_state, certificates, load_state
from outcomes import failed
from pytest_jpkitool.pcscd import PcscdInstance

pytestmark = pytest.mark.pcscd

Serve = Callable[..., str]
READER = "Virtual PCD 00 00"


@pytest.fixture
def own_pcscd(jpki_pcscd: PcscdInstance, request: pytest.FixtureRequest) -> Iterator[PcscdInstance]:
    instance = PcscdInstance().start()
    try:
        yield instance
    finally:
        instance.close(keep=failed(request))


def wait_for(env: dict[str, str], present: bool, timeout: float = 20) -> Run:
    deadline = time.monotonic() + timeout
    while True:
        run = jpkitool("--json", "readers", env=env)
        if run.code == 0:
            rows = {r["name"]: r for r in run.json["readers"]}
            if READER in rows and rows[READER]["card_present"] is present:
                return run
        if time.monotonic() > deadline:
            raise AssertionError(f"card present={present} not seen: {run.out} {run.err}")
        time.sleep(0.2)


def test_serve_restart_and_sigterm(own_pcscd: PcscdInstance, tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    # A partial file, as a user writes one: only what differs from the default card.
    state.write_text(json.dumps({"pins": {"auth": {"remaining": 2}}}), "utf-8")
    written = state.read_text("utf-8")

    env = {**os.environ, **own_pcscd.env}
    cmd = [sys.executable, "-m", "jpki", "--lang", "en", "emulator", "serve"]
    cmd += ["--vpcd-port", str(own_pcscd.port), "--state", str(state)]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(own_pcscd.env, present=True)
        first = jpkitool("--json", "--reader", READER, "retries", env=own_pcscd.env)
        assert first.code == 0, first.err
        assert {p["id"]: p["remaining"] for p in first.json["pins"]}["auth"] == 2

        own_pcscd.stop()
        own_pcscd.start()
        wait_for(own_pcscd.env, present=True)
        again = jpkitool("--json", "--reader", READER, "info", env=own_pcscd.env)
        assert again.code == 0 and again.json["token"] == "card"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "virtual card stopped" in err.lower()
    # Only read: the user's partial file is left exactly as written.
    assert state.read_text("utf-8") == written


# -- the state file keeps what was served; one card per vpcd port -----------------


def test_a_sigkilled_serve_keeps_a_pin_changed_through_pcscd(
    own_pcscd: PcscdInstance, tmp_path: Path
) -> None:
    state = tmp_path / "card.json"
    state.write_text(json.dumps({"pins": {"sign": {"remaining": 4}}}), "utf-8")
    proc = serve_process(own_pcscd.port, "--state", str(state), env=own_pcscd.env)
    try:
        wait_for(own_pcscd.env, present=True, timeout=60)
        changed = jpkitool("--lang", "en", "--reader", READER, "change-pin", "2",
                           input="1234\n7391\n7391\n", env=own_pcscd.env)  # fmt: skip
        assert changed.code == 0 and "changed" in changed.out, changed.out + changed.err
    finally:
        proc.kill()  # no chance to save anything at exit
        proc.communicate(timeout=60)
    saved = load_state(state)
    assert (saved.pins["auth"].value, saved.pins["auth"].remaining) == ("7391", 3)
    assert saved.pins["sign"].remaining == 4


def test_a_second_serve_on_a_served_port_waits_and_serves_once_the_first_stops(
    own_pcscd: PcscdInstance,
) -> None:
    first = serve_process(own_pcscd.port, env=own_pcscd.env)
    first_lines = StderrLines(first)
    second: subprocess.Popen[str] | None = None
    try:
        first_lines.until("Serving")  # (a fresh pcscd may open the port a little later)
        wait_for(own_pcscd.env, present=True, timeout=60)
        second = serve_process(own_pcscd.port, env=own_pcscd.env)
        second_lines = StderrLines(second)
        # vpcd never speaks to a second card on its port: this one says it waits.
        line = second_lines.next()
        assert "Waiting for pcscd's vpcd at" in line and "Serving" not in line, line
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
        assert first.returncode == 0
        assert "Serving" in second_lines.next()  # vpcd took it once the first left
        run = wait_for(own_pcscd.env, present=True, timeout=60)
        assert run.code == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=60)
    assert second is not None and second.returncode == 0


# -- OpenSC ------------------------------------------------------------------


def pkcs15_tool(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("pkcs15-tool")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pkcs15-tool (apt: opensc) is missing on CI")
        pytest.skip("pkcs15-tool (apt: opensc) is not installed")
    return subprocess.run(
        [tool, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.opensc
def test_opensc_lists_the_pins_with_the_emulators_counts(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    reader = serve_virtual_card(remaining={"auth": 2, "sign": 4})
    out = pkcs15_tool("--reader", reader, "--list-pins", env=pcsc_env)
    assert out.returncode == 0, out.stderr
    blocks = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"PIN \[([^\]]+)\].*?Tries left\s*:\s*(\d+)", out.stdout, re.S)
    }
    assert blocks == {"User Authentication PIN": 2, "Digital Signature PIN": 4}


@pytest.mark.opensc
def test_opensc_reads_the_emulators_auth_certificate(
    serve_virtual_card: Serve, pcsc_env: dict[str, str]
) -> None:
    state = build_state()
    reader = serve_virtual_card(state)
    out = pkcs15_tool("--reader", reader, "--read-certificate", "01", env=pcsc_env)
    assert out.returncode == 0, out.stderr
    cert = x509.load_pem_x509_certificate(out.stdout.encode("ascii"))
    assert cert.public_bytes(Encoding.DER) == certificates(state).auth
