"""A card removed and inserted while the page is open, through pcscd: ``jpkitool --reader
R ui --no-browser`` against the test pcscd, the virtual card served into reader R by
``jpkitool emulator serve`` (stopped: the card is taken out; started: put back), and
the page in headless Chromium. The page changes by itself, without a reload, also
while another program holds the card exclusively (the reader in use) and after."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from apdu.pcsctransport import PcscTransport
from cli_runner import StderrLines, jpkitool, serve_process
from jpki.i18n import t
from pytest_jpkitool.pcscd import PcscdInstance

from . import test_ui_browser
from .test_ui_browser import WAIT, start_ui

pytestmark = [pytest.mark.pcscd, pytest.mark.browser]

#: test_ui_browser's Chromium, one for this module too.
browser = test_ui_browser.browser

#: A mark set on the page's window: still there after a change, so no reload came.
MARK = "window.jpkitoolTestMark"


class Served:
    """``emulator serve`` into slot 0 of the test pcscd: the card in, and out again."""

    def __init__(self, pcscd: PcscdInstance) -> None:
        self.pcscd = pcscd
        self.proc: subprocess.Popen[str] | None = None

    def insert(self) -> None:
        self.proc = serve_process(self.pcscd.port, env=self.pcscd.env)
        StderrLines(self.proc).until("Serving")
        self.pcscd.wait_for_card(0, timeout=WAIT)

    def remove(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(WAIT)
        self.proc = None
        self.pcscd.wait_for_no_card(0, timeout=WAIT)


@pytest.fixture
def served(jpki_pcscd: PcscdInstance) -> Iterator[Served]:
    card = Served(jpki_pcscd)
    try:
        yield card
    finally:
        if card.proc is not None:
            card.remove()


def live_says(driver: webdriver.Chrome, key: str) -> bool:
    return t(key, "ja") in driver.find_element(By.ID, "live").text


def test_a_card_removed_and_inserted_changes_the_open_page(
    browser: webdriver.Chrome, served: Served
) -> None:
    served.insert()
    process, address = start_ui("-v", "--lang", "ja", "--reader", served.pcscd.reader_name(0))
    logs = StderrLines(process)
    wait = WebDriverWait(browser, WAIT)
    try:
        browser.get(address)
        wait.until(lambda d: d.find_elements(By.ID, "counts"))
        assert "5/5" in browser.find_element(By.ID, "counts").text
        browser.execute_script(f"{MARK} = true")

        # Another program takes the card exclusively, then lets it go.
        with PcscTransport(served.pcscd.reader_name(0), exclusive=True):
            wait.until(lambda d: d.find_elements(By.ID, "doctor"))
            wait.until(lambda d: live_says(d, "ui.live.changed"))
            failed = browser.find_element(By.CSS_SELECTOR, "#doctor + ul .failed").text
            assert t("doctor.link.jpki", "ja") in failed
        wait.until(lambda d: d.find_elements(By.ID, "counts"))

        served.remove()
        wait.until(lambda d: d.find_elements(By.ID, "doctor"))
        wait.until(lambda d: live_says(d, "ui.live.removed"))
        assert not browser.find_elements(By.ID, "counts")
        failed = browser.find_element(By.CSS_SELECTOR, "#doctor + ul .failed").text
        assert t("doctor.link.card", "ja") in failed
        assert browser.execute_script(f"return {MARK}") is True

        # A keyboard user on Quit stays on Quit, in the new <main>.
        browser.execute_script("document.querySelector('main form button').focus()")
        served.insert()
        wait.until(lambda d: d.find_elements(By.ID, "counts"))
        wait.until(lambda d: live_says(d, "ui.live.inserted"))
        assert "5/5" in browser.find_element(By.ID, "counts").text
        assert browser.execute_script(f"return {MARK}") is True
        focused = browser.switch_to.active_element
        assert focused.tag_name == "button" and focused.text == t("ui.quit", "ja")

        # Something typed in a form of the page: it is kept, and the region says why.
        browser.execute_script(
            "const field = document.createElement('input');"
            "field.id = 'typed'; field.setAttribute('aria-label', 'test');"
            "document.querySelector('main form').append(field);"
        )
        browser.find_element(By.ID, "typed").send_keys("7391")
        browser.find_element(By.CSS_SELECTOR, "main a").send_keys("")  # focus elsewhere
        served.remove()
        wait.until(lambda d: live_says(d, "ui.live.held"))
        assert browser.find_element(By.ID, "typed").get_attribute("value") == "7391"
        assert browser.find_elements(By.ID, "counts")

        process.terminate()
        assert process.wait(WAIT) == 0
        wait.until(lambda d: live_says(d, "ui.stopped"))
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(WAIT)
    stderr = "".join(logs.all())
    assert "/status" not in stderr and address.split("token=")[1] not in stderr


def test_a_change_made_on_the_page_is_on_the_card(
    browser: webdriver.Chrome, served: Served
) -> None:
    """Issue 19, item 7: through pcscd, the page changes ④ of a card served by
    ``emulator serve``; then ``verify-pin 4``, another program, finds the new value on
    the card, and no try was spent."""
    served.insert()
    reader = served.pcscd.reader_name(0)
    process, address = start_ui("--lang", "en", "--reader", reader)
    wait = WebDriverWait(browser, WAIT)
    try:
        browser.get(address)
        wait.until(lambda d: d.find_elements(By.ID, "counts"))
        browser.get(address.split("/?", 1)[0] + "/pin/change?pin=cardinfo")
        wait.until(lambda d: d.find_elements(By.ID, "current"))
        for field, value in (("current", "1234"), ("new", "5039"), ("again", "5039")):
            browser.find_element(By.ID, field).send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "form.pin-form button[type=submit]").click()
        result = wait.until(lambda d: d.find_elements(By.ID, "pin-result"))[0]
        assert ": changed." in result.text and "5039" not in browser.page_source
    finally:
        process.terminate()
        process.wait(WAIT)
    checked = jpkitool(
        "--json", "--reader", reader, "verify-pin", "4", env=served.pcscd.env, input="5039\n"
    )
    assert checked.code == 0, checked.err
    counts = jpkitool("--json", "--reader", reader, "retries", "4", env=served.pcscd.env)
    assert [p["remaining"] for p in counts.json["pins"]] == [3]
