"""How a user's browser reaches the page, in headless Chromium: ``jpkitool ui`` opens
it through its redirect file, the token is exchanged, and the token is then in no
address, page or file the browser keeps (history, open tabs, caches).

The command is started without ``--no-browser`` here, the only test that does:
``BROWSER`` names a script that writes down what it was asked to open (Python's
:mod:`webbrowser` runs it instead of a browser), and the test's Chromium opens that.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from .test_ui_browser import JPKITOOL, WAIT, found, start_ui

pytestmark = pytest.mark.browser


def chromium(profile: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = found("chromium", "/usr/lib/chromium/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=ja"):
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={profile}")
    service = Service(found("chromedriver", "/usr/lib/chromium/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """``jpkitool --emulator ui`` with a recording ``BROWSER``: the process, the printed
    address and the redirect file it asked the browser to open."""
    asked = tmp_path / "asked.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text(f"import sys\nopen({str(asked)!r}, 'w').write(sys.argv[1])\n", "utf-8")
    browser = f"{sys.executable} {recorder} %s"
    process, address = start_ui("--lang", "ja", "--emulator", browse=True, BROWSER=browser)
    try:
        for _ in range(WAIT * 10):  # the browser is opened right after the address
            if asked.exists() and asked.read_text("utf-8"):
                break
            time.sleep(0.1)
        yield process, address, Path(asked.read_text("utf-8").removeprefix("file://"))
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(WAIT)


def files_holding(folder: Path, secret: str) -> list[str]:
    needle = secret.encode()
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    )


def test_the_browser_opened_by_jpkitool_shows_the_page_and_keeps_no_token(
    opened: tuple[subprocess.Popen[str], str, Path], tmp_path: Path
) -> None:
    process, address, redirect = opened
    token = address.split("/?token=", 1)[1]
    assert redirect.name == "open.html" and token not in str(redirect)
    profile = tmp_path / "profile"
    browser = chromium(profile)
    try:
        browser.get(redirect.as_uri())
        table = WebDriverWait(browser, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "counts"))
        )
        assert "5/5" in table.text and "利用可" in table.text
        assert browser.current_url == address.split("?", 1)[0]
        browser.find_element(By.CSS_SELECTOR, "form[action='/quit'] button").click()
        assert process.wait(WAIT) == 0
    finally:
        browser.quit()
    assert not redirect.exists() and not redirect.parent.exists()
    assert files_holding(profile, token) == []
    assert files_holding(profile, "/welcome") != []  # the search does read the history


def test_a_token_typed_in_the_address_bar_is_kept_in_history_but_spent(
    tmp_path: Path,
) -> None:
    """The printed address is for a user who opens it by hand (``--no-browser``): the
    browser keeps that address in its history, and it opens nothing any more."""
    process = subprocess.Popen(
        [str(JPKITOOL), "--emulator", "ui", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    address = process.stdout.readline().strip()
    profile = tmp_path / "profile"
    browser = chromium(profile)
    try:
        browser.get(address)
        WebDriverWait(browser, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "counts"))
        )
        browser.delete_all_cookies()
        browser.get(address)
        assert browser.find_element(By.TAG_NAME, "body").text.strip() == "403"
    finally:
        browser.quit()
        process.terminate()
        process.wait(WAIT)
    assert files_holding(profile, address.split("=", 1)[1]) != []
