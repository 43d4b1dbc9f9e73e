"""The local page's accessibility, in a real browser (headless Chromium, as
``test_ui_browser.py`` drives it), for the main states of the card in Japanese and
English, at a phone's width (390 px) and a desktop's (1280 px):

- axe-core (bundled by the ``selenium-axe-python`` package: no network), rules tagged
  WCAG 2.0, 2.1 and 2.2 A and AA, finds no serious or critical violation;
- at 200 % zoom (a 1280 px window showing 640 CSS px) and at 390 px nothing is wider
  than the window: no sideways scrolling;
- in forced-colours mode (Windows' high contrast) every button and field keeps a
  visible border, since backgrounds are dropped there, and no state is told by
  colour alone (its words are in the row);
- a screenshot of each state at both widths is kept in ``build/screenshots/``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait
from selenium_axe_python import Axe

from .test_ui_browser import WAIT, browser, start_ui

__all__ = ["browser"]  # the fixture, shared with test_ui_browser.py

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(
    os.environ.get(
        "JPKITOOL_SCREENSHOTS", Path(__file__).resolve().parents[2] / "build" / "screenshots"
    )
)
#: axe's tags for the WCAG 2.0-2.2 success criteria of levels A and AA.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: The states shown: a state file's changes (``docs/emulator.md``), or None for the
#: page without a card (the reader named is not there).
STATES: dict[str, dict[str, Any] | None] = {
    "fresh": {},
    "auth-last-try": {"pins": {"auth": {"remaining": 1}}},
    "auth-locked": {"pins": {"auth": {"remaining": 0}}},
    "both-locked": {"pins": {"sign": {"remaining": 0}, "auth": {"remaining": 0}}},
    "no-card": None,
}
#: What each state's page must say (and must not), in each language: the counts and
#: the recovery route that fits them (the guidance of ``jpkitool retries``).
SAYS: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "fresh": {"ja": (["5/5", "利用可"], ["ロック", "窓口"]), "en": (["5/5", "usable"], ["LOCKED"])},
    "auth-last-try": {
        "ja": (["1/3", "あと1回", "推測で入力しないでください"], ["ロック中"]),
        "en": (["1/3", "LAST TRY", "Do not guess"], ["LOCKED"]),
    },
    "auth-locked": {  # ① usable: the kiosk route resets ②
        "ja": (["0/3", "ロック中", "窓口", "キオスク端末で手続き"], []),
        "en": (["0/3", "LOCKED", "municipal office", "kiosk route also resets the ②"], []),
    },
    "both-locked": {  # ① locked too: no kiosk for ②
        "ja": (["0/5", "0/3", "窓口"], ["キオスク端末で手続き"]),
        "en": (["0/5", "0/3", "municipal office"], ["kiosk route also resets the ②"]),
    },
    "no-card": {
        "ja": (["カードを読み取れません", "PC/SC サービス（pcscd）"], ["利用可"]),
        "en": (["The card cannot be read", "PC/SC service (pcscd)"], ["usable"]),
    },
}
WIDTHS = {"phone": (390, 844, 2, True), "desktop": (1280, 900, 1, False)}


def emulate(driver: webdriver.Chrome, width: int, height: int, scale: float, mobile: bool) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile},
    )


def forced_colours(driver: webdriver.Chrome, on: bool) -> None:
    features = [{"name": "forced-colors", "value": "active" if on else "none"}]
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})


def screenshot(driver: webdriver.Chrome, name: str, width: int, scale: float, mobile: bool) -> None:
    """The whole page, not only the window's part, as ``build/screenshots/NAME.png``."""
    settled(driver)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    emulate(driver, width, height, scale, mobile)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def settled(driver: webdriver.Chrome) -> None:
    """Wait until the page shown has loaded whole (its stylesheets applied)."""
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def serious(driver: webdriver.Chrome) -> list[str]:
    """axe's serious and critical violations of the page shown, one line each."""
    settled(driver)
    axe = Axe(driver)
    axe.inject()
    found = axe.run(options=json.dumps({"runOnly": {"type": "tag", "values": WCAG_AA}}))
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in found["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def sideways(driver: webdriver.Chrome, width: int) -> int:
    """How many CSS px the page's elements reach beyond a window ``width`` px wide (0:
    no sideways scroll). Measured against the width set: a phone's browser widens its
    layout to fit a page too wide."""
    right = driver.execute_script(
        "return Math.max(0, ...[...document.body.querySelectorAll('*')]"
        ".map(e => e.getBoundingClientRect().right + window.scrollX))"
    )
    return max(0, int(right) - width)


def borderless_controls(driver: webdriver.Chrome) -> list[str]:
    """Buttons, links styled as buttons and fields with no visible border."""
    return list(
        driver.execute_script(
            """
            return [...document.querySelectorAll('button, input:not([type=hidden]), select')]
              .filter(e => { const s = getComputedStyle(e);
                return s.borderStyle === 'none' || parseFloat(s.borderWidth) === 0; })
              .map(e => e.outerHTML.slice(0, 80));
            """
        )
    )


class Page:
    """A running page: its address with the token until the browser has spent it."""

    def __init__(self, address: str) -> None:
        self.address = address

    def url(self) -> str:
        address, self.address = self.address, self.address.split("?", 1)[0]
        return address


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Page]]:
    """A running page for every state."""
    folder = tmp_path_factory.mktemp("states")
    running: list[subprocess.Popen[str]] = []
    addresses: dict[str, Page] = {}
    try:
        for name, changes in STATES.items():
            env: dict[str, str] = {}
            if changes is None:  # no PC/SC service, whatever the machine runs
                args: tuple[str, ...] = ("--reader", "no such reader")
                env["PCSCLITE_CSOCK_NAME"] = str(folder / "no-pcscd.comm")
            else:
                state = folder / f"{name}.json"
                state.write_text(json.dumps(changes), "utf-8")
                args = ("--emulator", "--emulator-state", str(state))
            process, address = start_ui("--lang", "ja", *args, **env)
            running.append(process)
            addresses[name] = Page(address)
        yield addresses
    finally:
        for process in running:
            process.terminate()
            process.wait(WAIT)


def show(driver: webdriver.Chrome, page: Page, lang: str) -> None:
    """Load the page (spending its token on the first visit) in ``lang``."""
    driver.get(page.url())
    WebDriverWait(driver, WAIT).until(
        expected_conditions.presence_of_element_located((By.TAG_NAME, "main"))
    )
    if driver.find_element(By.TAG_NAME, "html").get_attribute("lang") != lang:
        driver.find_element(By.CSS_SELECTOR, f"nav button[value='{lang}']").click()
        WebDriverWait(driver, WAIT).until(
            lambda d: d.execute_script("return document.documentElement.lang") == lang
        )


@pytest.mark.parametrize("state", list(STATES))
def test_every_state_is_accessible_at_both_widths_in_both_languages(
    browser: webdriver.Chrome, pages: dict[str, Page], state: str
) -> None:
    problems: list[str] = []
    for lang in ("ja", "en"):
        for width_name, metrics in WIDTHS.items():
            emulate(browser, *metrics)
            show(browser, pages[state], lang)
            where = f"{state} {lang} {width_name}"
            shown = browser.find_element(By.TAG_NAME, "main").text
            wanted, unwanted = SAYS[state][lang]
            problems += [f"{where}: missing {w!r}" for w in wanted if w not in shown]
            problems += [f"{where}: shows {w!r}" for w in unwanted if w in shown]
            problems += [f"{where}: {p}" for p in serious(browser)]
            if wider := sideways(browser, metrics[0]):
                problems.append(f"{where}: {wider} px wider than the window")
            width, _, scale, mobile = metrics
            screenshot(browser, f"{state}-{lang}-{width_name}", width, scale, mobile)
    assert problems == []


@pytest.mark.parametrize("state", ["fresh", "both-locked", "no-card"])
def test_at_200_percent_zoom_nothing_scrolls_sideways(
    browser: webdriver.Chrome, pages: dict[str, Page], state: str
) -> None:
    emulate(browser, 640, 450, 2, False)  # a 1280 x 900 window at 200 %
    show(browser, pages[state], "ja")
    assert browser.execute_script("return window.innerWidth") == 640
    assert sideways(browser, 640) == 0
    screenshot(browser, f"{state}-ja-zoom200", 640, 2, False)


def test_forced_colours_keep_every_control_and_state_visible(
    browser: webdriver.Chrome, pages: dict[str, Page]
) -> None:
    emulate(browser, *WIDTHS["desktop"])
    forced_colours(browser, True)
    try:
        show(browser, pages["both-locked"], "ja")
        assert browser.execute_script("return matchMedia('(forced-colors: active)').matches")
        assert borderless_controls(browser) == []
        locked = browser.find_elements(By.CSS_SELECTOR, "#counts tr.state-locked")
        assert len(locked) == 2 and all("ロック" in row.text for row in locked)
        assert serious(browser) == []
        screenshot(browser, "both-locked-ja-forced-colours", 1280, 1, False)
    finally:
        forced_colours(browser, False)


def test_the_checks_see_what_they_look_for(
    browser: webdriver.Chrome, pages: dict[str, Page]
) -> None:
    """The checks above can fail: an image without text, a button without a border and
    an element wider than the window, planted in the page, are each found."""
    emulate(browser, *WIDTHS["phone"])
    show(browser, pages["fresh"], "en")
    assert (
        serious(browser) == []
        and sideways(browser, 390) == 0
        and borderless_controls(browser) == []
    )
    browser.execute_script(  # through the DOM: the page's CSP refuses style attributes
        """
        const main = document.querySelector('main');
        main.append(document.createElement('img'));
        const button = main.appendChild(document.createElement('button'));
        button.textContent = 'x';
        button.style.border = 'none';
        main.appendChild(document.createElement('div')).style.width = '2000px';
        """
    )
    assert any(line.startswith("image-alt (critical)") for line in serious(browser))
    assert sideways(browser, 390) > 1000
    assert len(borderless_controls(browser)) == 1


def test_the_pin_pages_are_accessible_at_both_widths_in_both_languages(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """The PIN menu, a check's and a change's form, a refused value (the error summary)
    and a result, the sign certificate's form, result and personal data, each checked
    as the card's states are above, and screenshotted."""
    state = tmp_path / "card.json"
    state.write_text("{}", "utf-8")
    process, address = start_ui("--lang", "ja", "--emulator", "--emulator-state", str(state))
    page = Page(address)
    base = address.split("/?", 1)[0]
    problems: list[str] = []

    def check(where: str, metrics: tuple[int, int, float, bool], name: str) -> None:
        nonlocal problems
        problems += [f"{where}: {p}" for p in serious(browser)]
        if wider := sideways(browser, metrics[0]):
            problems.append(f"{where}: {wider} px wider than the window")
        width, _, scale, mobile = metrics
        screenshot(browser, name, width, scale, mobile)
        emulate(browser, *metrics)

    def submit(path: str, **values: str) -> None:
        browser.get(base + path)
        for field, value in values.items():
            browser.find_element(By.ID, field).send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "form.pin-form button[type=submit]").click()

    try:
        for lang in ("ja", "en"):
            for width_name, metrics in WIDTHS.items():
                emulate(browser, *metrics)
                show(browser, page, lang)
                views = {  # how to get there, and what is there then
                    "menu": (lambda: browser.get(base + "/pin"), "main a[href^='/pin/']"),
                    "verify": (lambda: browser.get(base + "/pin/verify?pin=sign"), "#current"),
                    "change": (lambda: browser.get(base + "/pin/change?pin=auth"), "#again"),
                    "weak": (
                        lambda: submit(
                            "/pin/change?pin=cardinfo", current="1234", new="1111", again="1111"
                        ),
                        ".error-summary",
                    ),
                    "result": (
                        lambda: submit("/pin/verify?pin=auth", current="1234"),
                        "#pin-result",
                    ),
                    "sign-form": (lambda: browser.get(base + "/certificate/sign"), "#current"),
                    "sign-result": (
                        lambda: submit("/certificate/sign", current="ABC123"),
                        ".sign-hidden",
                    ),
                    "sign-personal": (
                        lambda: browser.find_element(By.CSS_SELECTOR, "form.reveal button").click(),
                        ".sign-personal",
                    ),
                }
                for view, (load, there) in views.items():
                    load()
                    WebDriverWait(browser, WAIT).until(
                        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, there))
                    )
                    name = f"pin-{view}-{lang}-{width_name}"
                    check(name, metrics, name)
    finally:
        process.terminate()
        process.wait(WAIT)
    assert problems == []
