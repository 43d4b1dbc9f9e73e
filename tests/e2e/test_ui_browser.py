"""``jpkitool --emulator ui --no-browser`` in a real browser: Debian's headless Chromium
driven by Selenium through Debian's chromium-driver (``scripts/install.sh`` installs
both, and fonts-noto-cjk). The server runs as a user starts it, in a subprocess; the
page is loaded through the address on its first stdout line."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from jpki.jst import JST

pytestmark = pytest.mark.browser

JPKITOOL = Path(sys.executable).with_name("jpkitool")
#: Generous: the machine running CI is small and shared; a wait ends when it succeeds.
WAIT = 120


def found(name: str, *places: str) -> str:
    path = shutil.which(name) or next((p for p in places if os.path.exists(p)), None)
    assert path, f"{name} is not installed: run scripts/install.sh"
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = found("chromium", "/usr/lib/chromium/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=ja"):
        options.add_argument(arg)
    service = Service(found("chromedriver", "/usr/lib/chromium/chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def start_ui(
    *args: str, browse: bool = False, **env_vars: str
) -> tuple[subprocess.Popen[str], str]:
    """``jpkitool ARGS ui --no-browser`` (without ``--no-browser`` when ``browse``), in
    the environment with ``env_vars`` set, and the address it printed first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    process = subprocess.Popen(
        [str(JPKITOOL), *args, "ui", *([] if browse else ["--no-browser"])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env | env_vars,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def test_the_page_shows_the_counts_in_japanese(browser: webdriver.Chrome) -> None:
    started = time.monotonic()
    process, address = start_ui("--lang", "ja", "--emulator")
    try:
        assert address.startswith("http://127.0.0.1:") and "/?token=" in address
        browser.get(address)
        table = WebDriverWait(browser, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "counts"))
        )
        shown = time.monotonic() - started
        rows = [row.text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert rows[0].startswith("① 署名用電子証明書の暗証番号") and "5/5" in rows[0]
        assert "利用可" in rows[0] and all("3/3" in row for row in rows[1:])
        assert "token" not in browser.current_url
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
        print(f"\njpkitool ui: counts shown {shown:.2f} s after the start")
        browser.find_element(By.CSS_SELECTOR, "nav button").click()  # English
        WebDriverWait(browser, WAIT).until(
            expected_conditions.text_to_be_present_in_element((By.ID, "counts"), "usable")
        )
        browser.find_element(By.CSS_SELECTOR, "form[action='/quit'] button").click()
        assert process.wait(WAIT) == 0
        assert "stopped" in browser.find_element(By.TAG_NAME, "main").text
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(WAIT)
    assert process.stdout is not None and process.stdout.read() == ""


def test_a_page_from_elsewhere_gets_nothing(browser: webdriver.Chrome) -> None:
    """The address without the token: refused, even in the browser that has none."""
    process, address = start_ui("--emulator")
    try:
        browser.get(address.split("?", 1)[0])
        assert "401" in browser.find_element(By.TAG_NAME, "body").text
    finally:
        process.terminate()
        assert process.wait(WAIT) == 0


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("ja", {"left": "残り回数 2/3", "weak": "推測されやすい", "changed": "変更しました。"}),
        ("en", {"left": "tries left 2/3", "weak": "too easy to guess", "changed": ": changed."}),
    ],
)
def test_a_wrong_pin_a_weak_value_and_a_change(
    browser: webdriver.Chrome, tmp_path: Path, lang: str, words: dict[str, str]
) -> None:
    """A wrong ② spends one try and the new count shows (a reload of its result spends
    none); a weak new ④ is refused (the
    card untouched); ④ changed with the value twice, and the card keeps it."""
    state = tmp_path / "card.json"
    process, address = start_ui("--lang", lang, "--emulator", "--emulator-state", str(state))
    wait = WebDriverWait(browser, WAIT)

    def fill(path: str, **values: str) -> None:
        browser.get(address.split("/?", 1)[0] + path)
        wait.until(expected_conditions.presence_of_element_located((By.ID, "current")))
        for name, value in values.items():
            browser.find_element(By.ID, name).send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "form.pin-form button[type=submit]").click()

    try:
        browser.get(address)
        wait.until(expected_conditions.presence_of_element_located((By.ID, "counts")))
        fill("/pin/verify?pin=auth", current="9071")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "pin-result")))
        assert "9071" not in browser.page_source
        assert "/pin/result/" in browser.current_url  # a GET (Post/Redirect/Get)
        browser.refresh()  # shows that the result was shown; sends nothing to the card
        assert not browser.find_elements(By.ID, "pin-result")
        browser.get(address.split("/?", 1)[0] + "/pin/verify?pin=auth")
        wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "pin-count"), "2/3"))
        assert words["left"] in browser.find_element(By.ID, "pin-count").text
        toggle = browser.find_element(By.CSS_SELECTOR, "button.pin-toggle")
        toggle.click()  # Show/Hide, from pin.js
        assert browser.find_element(By.ID, "current").get_attribute("type") == "text"
        fill("/pin/change?pin=cardinfo", current="1234", new="1111", again="1111")
        summary = wait.until(
            expected_conditions.presence_of_element_located((By.CLASS_NAME, "error-summary"))
        )
        assert words["weak"] in summary.text
        assert browser.switch_to.active_element == summary
        assert browser.find_element(By.ID, "new").get_attribute("value") == ""
        fill("/pin/change?pin=cardinfo", current="1234", new="5039", again="5039")
        result = wait.until(expected_conditions.presence_of_element_located((By.ID, "pin-result")))
        assert words["changed"] in result.text and "5039" not in browser.page_source
    finally:
        process.terminate()
        assert process.wait(WAIT) == 0
    saved = state.read_text("utf-8")
    assert '"5039"' in saved and '"remaining": 2' in saved


def test_the_signature_certificate_after_the_sign_pin(browser: webdriver.Chrome) -> None:
    """From the top page's link: ① entered, the certificate with its personal data
    hidden, then shown when asked, once."""
    process, address = start_ui("--lang", "ja", "--emulator")
    wait = WebDriverWait(browser, WAIT)
    try:
        browser.get(address)
        wait.until(expected_conditions.presence_of_element_located((By.ID, "counts")))
        browser.find_element(By.CSS_SELECTOR, "a[href='/certificate/sign']").click()
        field = wait.until(expected_conditions.presence_of_element_located((By.ID, "current")))
        assert "残り回数 5/5" in browser.find_element(By.ID, "pin-count").text
        field.send_keys("ABC123")
        browser.find_element(By.CSS_SELECTOR, "form.pin-form button[type=submit]").click()
        result = wait.until(expected_conditions.presence_of_element_located((By.ID, "pin-result")))
        assert (
            "署名用電子証明書" in result.text
            and "個人情報（氏名・住所・生年月日・性別）: 非表示" in result.text
        )
        assert "架空 花子" not in browser.page_source and "ABC123" not in browser.page_source
        assert "/pin/result/" in browser.current_url
        browser.find_element(By.CSS_SELECTOR, "form.reveal button").click()
        wait.until(
            expected_conditions.text_to_be_present_in_element((By.ID, "pin-result"), "架空 花子")
        )
        shown = browser.find_element(By.ID, "pin-result").text
        assert "住所: 東京都千代田区" in shown and "照合していない状態に戻しました" in shown
        assert browser.current_url.endswith("/certificate/sign/personal")
    finally:
        process.terminate()
        assert process.wait(WAIT) == 0


def test_a_certificate_thirty_days_from_its_end_is_shown_as_expiring(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """The card's date, and so its certificates' (capped at it), 30 JST days from now:
    within ``expiry``'s 90 days, in Japanese, then in English."""
    today = dt.datetime.now(JST).date()
    state = tmp_path / "card.json"
    card = {"card_expiry": str(today + dt.timedelta(days=30)), "cert_issued": "2024-06-01"}
    state.write_text(json.dumps(card), "utf-8")
    process, address = start_ui("--lang", "ja", "--emulator-state", str(state), "--emulator")
    try:
        browser.get(address)
        expiring = WebDriverWait(browser, WAIT).until(
            expected_conditions.presence_of_all_elements_located(
                (By.CSS_SELECTOR, "#expiry + ul li.expiry-expiring")
            )
        )
        assert len(expiring) == 2  # the card and the auth certificate
        auth = expiring[1].text
        assert auth.startswith("利用者証明用電子証明書: まもなく期限切れ。")
        assert re.search(r"残り (30|29) 日", auth)  # 29 only across midnight in Japan
        # bold once the stylesheet applies (the welcome page may still be moving on to /)
        WebDriverWait(browser, WAIT).until(
            lambda _: expiring[1].value_of_css_property("font-weight") in ("700", "bold")
        )
        advice = browser.find_element(By.CLASS_NAME, "expiry-advice").text
        assert advice.startswith("90 日以内に有効期限が来ます")
        browser.find_element(By.CSS_SELECTOR, "nav button").click()  # English
        WebDriverWait(browser, WAIT).until(
            expected_conditions.text_to_be_present_in_element((By.ID, "expiry"), "Expiry")
        )
        auth = browser.find_elements(By.CSS_SELECTOR, "li.expiry-expiring")[1].text
        assert auth.startswith(
            "User-authentication certificate (利用者証明用電子証明書): EXPIRES SOON"
        )
        assert re.search(r"\b(30|29) days left$", auth)
    finally:
        process.terminate()
        assert process.wait(WAIT) == 0


def test_a_pin_is_checked_by_keyboard_alone(browser: webdriver.Chrome) -> None:
    """Tab and Enter only: from the top page to the PIN menu, to ④'s check, to its
    field (reached by Tab), the value sent with Enter, and the result shown."""
    process, address = start_ui("--lang", "ja", "--emulator")
    keys = ActionChains(browser)

    def tab_to(selector: str) -> None:
        """Tab forward until ``selector`` has the focus (at most 60 presses)."""
        for _ in range(60):
            keys.send_keys(Keys.TAB).perform()
            if browser.execute_script(f"return document.activeElement.matches({selector!r})"):
                return
        pytest.fail(f"Tab never reached {selector}")

    try:
        browser.get(address)
        WebDriverWait(browser, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "counts"))
        )
        tab_to("a[href='/pin']")
        keys.send_keys(Keys.ENTER).perform()
        WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("/pin"))
        tab_to("a[href='/pin/verify?pin=cardinfo']")
        keys.send_keys(Keys.ENTER).perform()
        WebDriverWait(browser, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "current"))
        )
        tab_to("#current")
        keys.send_keys("1234", Keys.ENTER).perform()
        result = WebDriverWait(browser, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "pin-result"))
        )
        assert "正しい" in result.text and "3/3" in result.text
        assert "1234" not in browser.page_source
    finally:
        process.terminate()
        assert process.wait(WAIT) == 0
