"""A PIN sent through the page appears nowhere, in a real browser (issue 19, item 6).

``jpkitool -v --emulator --emulator-state FILE ui`` runs with its own temporary folder
and Chromium with its own profile. Through the page: ① checked with its right value
and with a wrong one, ① changed, ④ changed, ② checked with a wrong value. Then every
place a value could be left is searched:

- the server's stdout and stderr (``-v`` traces every APDU), for the values as text
  and as the hex the trace would print them in;
- every page the browser was served (its source after each step);
- every file of the browser's profile (history, caches, form data, session), in UTF-8
  and UTF-16 (Chromium keeps some text so);
- every file written under the server's temporary folder.

The ① values are distinctive (10 letters and digits), so finding none anywhere means
something; the 4-digit values are searched for where they cannot occur by chance
(the trace as hex, the pages and the server's output). The virtual card's own state
file is left out: it holds the PINs by design. The one-time token is searched for in
the server's output and the pages (the browser's profile: ``test_ui_signin.py``).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from .test_ui_browser import WAIT, start_ui
from .test_ui_signin import chromium, files_holding

pytestmark = pytest.mark.browser

SIGN_PIN = "QZ7XJ4KW9P"  # the card's ①, as the state file sets it
WRONG_SIGN = "WX3KQ9ZV7J"
NEW_SIGN = "NQ8ZK3MX5T"
NEW_CARDINFO = "5827"
WRONG_AUTH = "9071"
DISTINCTIVE = (SIGN_PIN, WRONG_SIGN, NEW_SIGN)
FOUR_DIGITS = (NEW_CARDINFO, WRONG_AUTH)


#: The name on the virtual card's sign certificate: shown once, when asked, and kept
#: nowhere.
NAME = "架空 花子"


def forms(value: str) -> list[bytes]:
    """``value`` as text, as UTF-16 and as the trace's hex of its ASCII bytes."""
    raw = value.encode()
    return [raw, value.encode("utf-16-le"), raw.hex().encode(), raw.hex(" ").upper().encode()]


def holding(folder: Path, value: str, leave_out: Path | None = None) -> list[str]:
    return sorted(
        {
            name
            for form in forms(value)
            for name in files_holding(folder, form.decode("latin-1"))
            if leave_out is None or folder / name != leave_out
        }
    )


def test_no_pin_sent_through_the_page_is_left_anywhere(tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    state.write_text(json.dumps({"pins": {"sign": {"value": SIGN_PIN}}}), "utf-8")
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()
    args = ("-v", "--emulator", "--emulator-state", str(state))
    process, address = start_ui(*args, TMPDIR=str(server_tmp))
    token = address.split("/?token=", 1)[1]
    base = address.split("/?", 1)[0]
    profile = tmp_path / "profile"
    browser = chromium(profile)
    # The -v trace is read as it comes: a full pipe would stop the server mid-request.
    trace: list[str] = []
    assert process.stderr is not None and process.stdout is not None
    reader = threading.Thread(target=lambda: trace.append(process.stderr.read()), daemon=True)
    reader.start()
    wait = WebDriverWait(browser, WAIT)
    served: list[str] = []

    def submit(path: str, result: str = "#pin-result", **values: str) -> None:
        browser.get(base + path)
        wait.until(expected_conditions.presence_of_element_located((By.ID, "current")))
        served.append(browser.page_source)
        for name, value in values.items():
            browser.find_element(By.ID, name).send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "form.pin-form button[type=submit]").click()
        wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, result)))
        served.append(browser.page_source)

    try:
        browser.get(address)
        wait.until(expected_conditions.presence_of_element_located((By.ID, "counts")))
        submit("/pin/verify?pin=sign", current=SIGN_PIN)
        assert "pin-result done" in browser.page_source  # the right ①: correct
        submit("/certificate/sign", ".sign-hidden", current=SIGN_PIN)
        browser.find_element(By.CSS_SELECTOR, "form.reveal button").click()
        wait.until(
            expected_conditions.presence_of_element_located((By.CLASS_NAME, "sign-personal"))
        )
        served.append(browser.page_source)
        assert NAME in browser.page_source  # the personal data, when asked
        submit("/certificate/sign", current=WRONG_SIGN)
        submit("/pin/verify?pin=sign", current=WRONG_SIGN)
        submit("/pin/change?pin=sign", current=SIGN_PIN, new=NEW_SIGN, again=NEW_SIGN)
        submit("/pin/change?pin=cardinfo", current="1234", new=NEW_CARDINFO, again=NEW_CARDINFO)
        submit("/pin/verify?pin=auth", current=WRONG_AUTH)
        browser.get(base + "/")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "counts")))
        served.append(browser.page_source)
        browser.find_element(By.CSS_SELECTOR, "form[action='/quit'] button").click()
        assert process.wait(WAIT) == 0
    finally:
        browser.quit()
        if process.poll() is None:
            process.terminate()
            process.wait(WAIT)
    out = process.stdout.read()
    reader.join(WAIT)
    err = "".join(trace)
    saved = json.loads(state.read_text("utf-8"))["pins"]
    assert saved["sign"]["value"] == NEW_SIGN and saved["cardinfo"]["value"] == NEW_CARDINFO
    assert saved["sign"]["remaining"] == 5 and saved["auth"]["remaining"] == 2  # spent, kept
    assert "VERIFY" in err or "00 20" in err  # the trace did run
    pages = "\n".join(served)
    for value in (*DISTINCTIVE, *FOUR_DIGITS, token):
        for form in forms(value):
            text = form.decode("latin-1")
            assert text not in out and text not in err, f"{value} in the server's output"
            assert text not in pages, f"{value} in a page"
    assert holding(profile, "/pin/change?pin=sign") != []  # the search reads the history
    for value in DISTINCTIVE:  # the token typed in is kept: test_ui_signin.py
        assert holding(profile, value) == [], f"{value} in the browser's profile"
    for value in (*DISTINCTIVE, *FOUR_DIGITS):
        assert holding(server_tmp, value, leave_out=state) == [], f"{value} in a temporary file"
    assert holding(profile, NAME) == [], "the sign certificate's personal data in the profile"
