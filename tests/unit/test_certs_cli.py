"""cert show/export and expiry in process on the virtual card: personal data stays out
of outputs, traces and recordings; errors are one line; CA certificates get a chain
status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_runner import jpkitool_inprocess as run
from jpki.cli.failures import Exit
from jpki.emulator import build_state

NOW = ["--now", "2026-11-25T03:00:00Z"]
HOLDER = build_state().holder


def test_sign_personal_data_never_in_trace_recording_or_default_output(tmp_path: Path) -> None:
    record = tmp_path / "s.jsonl"
    r = run("--lang", "en", "-v", "--record", str(record), "--emulator", *NOW,
            "cert", "show", "sign", input="ABC123\n")  # fmt: skip
    assert r.code == 0, r.err
    assert "bytes of personal data hidden" in r.err
    recorded = record.read_text("utf-8")
    utf8 = HOLDER.name.encode().hex().upper()
    for text in (r.out, r.err, recorded):
        assert HOLDER.name not in text and HOLDER.address not in text
        assert utf8 not in text.upper()
    assert "Tokyo" not in r.out and "L=(hidden)" in r.out
    header = json.loads(recorded.splitlines()[0])
    assert any("personal" in line for line in header["redacted"])
    shown = run("--json", "--emulator", *NOW, "cert", "show", "sign", "--show-personal",
                input="ABC123\n")  # fmt: skip
    assert shown.json["personal"]["name"] == HOLDER.name
    assert shown.json["personal"]["birth_date"].startswith(f"{HOLDER.birth_date:%Y-%m-%d}")


@pytest.mark.parametrize("kind", ["auth-ca", "sign-ca"])
def test_a_ca_certificate_gets_its_own_chain_status(kind: str) -> None:
    r = run("--json", "--emulator", *NOW, "cert", "show", kind)
    assert r.code == 0, r.err
    chain = r.json["chain"]
    assert chain["status"] == "not-j-lis-root" and chain["ca_self_signed"] is True
    assert chain["ca_sha256"] == r.json["sha256"]


def test_export_to_a_missing_folder_is_refused_before_the_card(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "auth.pem"
    for lang, words in (("en", "cannot write"), ("ja", "書き込めません")):
        r = run("--lang", lang, "-v", "--emulator", "cert", "export", "sign", "-o", str(target))
        assert r.code == Exit.USAGE and words in r.err
        assert "> " not in r.err and "tries left" not in r.err  # no APDU, no PIN asked
    assert not target.parent.exists()


def test_export_writes_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "auth.der"
    r = run("--emulator", "cert", "export", "auth", "--format", "der", "-o", str(target))
    assert r.code == 0
    from jpki.emulator.certs import certificates

    assert target.read_bytes() == certificates(build_state()).auth
    assert [p.name for p in tmp_path.iterdir()] == ["auth.der"]  # no temporary left


def test_a_failed_sign_export_keeps_stdout_clean() -> None:
    r = run("--lang", "en", "--emulator", "cert", "export", "sign", input="ZZZ999\n")
    assert r.code == Exit.WRONG_PIN
    assert r.out == "" and "not confirmed" in r.err


def test_smartphone_token_expiry_reports_the_card_and_an_unreadable_auth(tmp_path: Path) -> None:
    state = tmp_path / "phone.json"
    state.write_text(json.dumps({"token": "android"}), "utf-8")
    opts = ["--emulator", "--emulator-state", str(state), *NOW]
    r = run("--json", *opts, "expiry")
    assert r.code == 0, r.out
    items = {i["id"]: i for i in r.json["items"]}
    assert items["card"]["state"] == "ok" and items["auth"]["state"] == "unknown"
    en = run("--lang", "en", *opts, "expiry")
    assert "needs ②" in en.out


@pytest.mark.parametrize("now", ["", "yesterday", "9999-12-31T23:59:59-01:00"])
def test_a_bad_now_is_a_usage_error(now: str) -> None:
    r = run("--lang", "en", "--emulator", "--now", now, "expiry")
    assert r.code == Exit.USAGE and "ISO 8601" in r.err and len(r.err.splitlines()) == 1


def test_expired_wording_is_said_once() -> None:
    r = run("--lang", "en", "--emulator", "--now", "2040-01-01", "expiry")
    assert r.code == Exit.EXPIRED
    line = next(x for x in r.out.splitlines() if x.startswith("User-authentication"))
    assert line.count("EXPIRED") == 1 and "days ago" in line
    info = run("--lang", "en", "--emulator", "--now", "2040-01-01", "info")
    assert "-" not in next(x for x in info.out.splitlines() if "days ago" in x).split("(")[-1]
