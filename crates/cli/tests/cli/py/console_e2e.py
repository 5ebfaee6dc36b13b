"""Headless Chromium for the console's end-to-end test (console_e2e.rs), driven over WebDriver.

The test sends one JSON command per line on stdin and reads one JSON answer per line on
stdout, so every assertion stays in the Rust test. Commands ({"op": ..., ...}):

  get URL                         open a page
  fill CSS TEXT                   clear an input and type into it
  click CSS                       click the first match and wait for the page it loads
  text CSS                        innerText of the first match
  texts CSS                       innerText of every match (a list)
  cells CSS                       for every match (a table row), the innerText of its
                                  th and td cells (a list of lists)
  value CSS                       the current value of the input CSS
  css_value CSS PROPERTY          the computed style PROPERTY of the first match
  url                             the current address
  source                          the page's HTML as the browser has it now
  wait CSS SECS                   wait until an element matches CSS (a page's script
                                  loads the page that has it)
  wait_text CSS NEEDLE SECS       reload until the first match's text holds NEEDLE
  screenshot PATH [FULL]          the viewport as a PNG (FULL: the whole page, same width)
  quit                            close the browser and exit

Every wait is WebDriver's explicit wait for a condition, with a deadline: nothing sleeps a
fixed time to let the page catch up.

Answers are {"ok": true, "value": ...} or {"ok": false, "error": "..."}. The first line,
before any command, says {"ok": true, "value": {"chromedriver_pid": N, "browser": "..."}}.

Usage: console_e2e.py PROFILE_DIR WIDTH HEIGHT

The browser is Debian's chromium with Debian's chromedriver, given by path: Debian's
python3-selenium has no Selenium Manager (and SE_OFFLINE forbids it any download anyway).
The browser is closed when stdin ends (the test finished or died), on SIGTERM, or on quit.
"""

import json
import os
import signal
import sys

os.environ["SE_OFFLINE"] = "true"

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The tallest full-page screenshot.
MAX_HEIGHT = 2000
# How long a click that loads a page may take (a login verifies an Argon2 hash).
NAVIGATION_SECS = 30
# When a link or GET form click that loaded nothing is repeated (see `click`).
RECLICK_SECS = 10


def start(profile, width, height):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--lang=en-US",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, log_path=os.devnull)
    driver = webdriver.Chrome(service=service, options=opts)
    # The window size includes the browser's own bars: pin the page's viewport instead, so
    # every screenshot is exactly WIDTH x HEIGHT.
    viewport(driver, width, height)
    driver.set_page_load_timeout(30)
    return driver


def first(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css)


def wait_text(driver, css, needle, secs):
    """Reloads (every half second, up to SECS) until the first match's text holds NEEDLE:
    for pages without a live view of what the test waits for."""
    seen = {"text": ""}

    def holds(d):
        d.refresh()
        try:
            seen["text"] = d.find_element(By.CSS_SELECTOR, css).text
        except WebDriverException:
            return False
        return needle in seen["text"] and seen["text"]

    try:
        return WebDriverWait(driver, secs, poll_frequency=0.5).until(holds)
    except WebDriverException as e:
        raise TimeoutError(
            f"no {needle!r} in {css} after {secs} s; last text: {seen['text']!r}"
        ) from e


def wait_for(driver, css, secs):
    """Waits until an element matches CSS (e.g. a page's script reloads the page with it)."""
    try:
        WebDriverWait(driver, secs).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))
    except WebDriverException as e:
        raise TimeoutError(f"no {css} after {secs} s on {driver.current_url}") from e


def click(driver, css):
    """Clicks, then waits until the page the click loads (a link, a form) is there.

    A link or a GET form's button whose click loaded nothing in RECLICK_SECS is clicked once
    more, saying so on stderr: headless Chromium on a loaded 2-core machine once lost such a
    click (the page never started loading). Repeating it is harmless; a POST is never sent
    twice, and a page that does not load fails the test all the same."""
    old = driver.find_element(By.TAG_NAME, "html")
    element = first(driver, css)
    repeatable = element.tag_name == "a" or driver.execute_script(
        "const f = arguments[0].form; return !!f && f.method.toLowerCase() === 'get';", element
    )
    element.click()
    wait = WebDriverWait(driver, NAVIGATION_SECS)
    try:
        if repeatable:
            try:
                WebDriverWait(driver, RECLICK_SECS).until(EC.staleness_of(old))
            except TimeoutException:
                print(f"console e2e: clicking {css} loaded nothing in {RECLICK_SECS} s; "
                      "clicking it again", file=sys.stderr)
                first(driver, css).click()
        wait.until(EC.staleness_of(old))
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    except WebDriverException as e:
        raise TimeoutError(f"clicking {css} loaded no page in {NAVIGATION_SECS} s") from e


def cells(driver, css):
    return [
        [c.text for c in row.find_elements(By.CSS_SELECTOR, "th, td")]
        for row in driver.find_elements(By.CSS_SELECTOR, css)
    ]


def viewport(driver, width, height):
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def screenshot(driver, path, full):
    """The viewport, or with `full` the whole page (at least the viewport's height)."""
    width, height = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if full:
        page = driver.execute_script("return document.documentElement.scrollHeight")
        viewport(driver, width, max(height, min(page, MAX_HEIGHT)))
    try:
        if not driver.save_screenshot(path):
            raise RuntimeError(f"screenshot to {path} failed")
    finally:
        if full:
            viewport(driver, width, height)
    return path


def run(driver, cmd):
    op = cmd["op"]
    if op == "get":
        driver.get(cmd["url"])
        return None
    if op == "fill":
        el = first(driver, cmd["css"])
        el.clear()
        el.send_keys(cmd["text"])
        return None
    if op == "click":
        click(driver, cmd["css"])
        return None
    if op == "text":
        return first(driver, cmd["css"]).text
    if op == "texts":
        return [e.text for e in driver.find_elements(By.CSS_SELECTOR, cmd["css"])]
    if op == "cells":
        return cells(driver, cmd["css"])
    if op == "value":
        return first(driver, cmd["css"]).get_property("value")
    if op == "source":
        return driver.page_source
    if op == "wait":
        return wait_for(driver, cmd["css"], float(cmd["secs"]))
    if op == "css_value":
        return first(driver, cmd["css"]).value_of_css_property(cmd["property"])
    if op == "url":
        return driver.current_url
    if op == "wait_text":
        return wait_text(driver, cmd["css"], cmd["needle"], float(cmd["secs"]))
    if op == "screenshot":
        return screenshot(driver, cmd["path"], cmd.get("full", False))
    raise ValueError(f"unknown op {op!r}")


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    profile, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    driver = start(profile, width, height)

    def stop(*_):
        driver.quit()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        answer(
            {
                "ok": True,
                "value": {
                    "chromedriver_pid": driver.service.process.pid,
                    "browser": driver.capabilities.get("browserVersion", "?"),
                },
            }
        )
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd["op"] == "quit":
                break
            try:
                answer({"ok": True, "value": run(driver, cmd)})
            except Exception as e:  # every failure goes back to the test, which shows it
                answer({"ok": False, "error": f"{type(e).__name__}: {e}"})
    finally:
        driver.quit()
    answer({"ok": True, "value": "closed"})


if __name__ == "__main__":
    main()
