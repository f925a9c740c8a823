"""The report in a real browser: headless Chromium (Debian's ``chromium``) opens
index.html; no console errors, no request leaves the file, every image decodes, and a
full-page screenshot is kept in test-artifacts/report.png.

Chromium is driven through the Chrome DevTools Protocol over ``--remote-debugging-pipe``
(JSON messages separated by NUL bytes on file descriptors 3 and 4): no websocket
library and no network port are needed. Skipped when Chromium is missing, unless
``CI=true`` (then it fails: .ci/run installs it).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_report import HOSTILE, make_run

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

pytestmark = pytest.mark.browser


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = "headless Chromium not found (apt-get install chromium); needed to open the report"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _above_nine(fd: int) -> int:
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class DevTools:
    """A minimal Chrome DevTools Protocol client over --remote-debugging-pipe."""

    def __init__(self, chromium: str, user_data_dir: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # move the child's ends above 9 so that copying them to 3 and 4 cannot clobber them
        to_chrome_r, from_chrome_w = (_above_nine(fd) for fd in (to_chrome_r, from_chrome_w))
        flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
            f"--user-data-dir={user_data_dir}", "--remote-debugging-pipe", "about:blank",
        ]
        # Chromium reads commands from fd 3 and writes replies to fd 4: a tiny Python
        # trampoline copies our pipe ends there and then becomes Chromium (exec).
        trampoline = (
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.close(int(sys.argv[1])); os.close(int(sys.argv[2])); os.execv(sys.argv[3], sys.argv[3:])"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-c", trampoline, str(to_chrome_r), str(from_chrome_w), chromium, *flags],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], remaining)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self._next_id += 1
        request = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._to_chrome, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == method:
                return message

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - the browser may already be gone
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass


def open_report(chromium: str, html: Path, tmp_path: Path, screenshot: Path | None = None) -> dict:
    """Open ``html`` in headless Chromium; return console errors, requests, images and
    (optionally) save a full-page screenshot."""
    browser = DevTools(chromium, tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        browser.events.clear()
        browser.send("Page.navigate", {"url": html.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        images = browser.send("Runtime.evaluate", {
            "expression": "Array.from(document.images).map(i => ({complete: i.complete, "
                          "width: i.naturalWidth, alt: i.alt}))",
            "returnByValue": True}, session=session)["result"]["value"]
        title = browser.send("Runtime.evaluate", {"expression": "document.title", "returnByValue": True},
                             session=session)["result"]["value"]
        if screenshot is not None:
            metrics = browser.send("Page.getLayoutMetrics", session=session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            shot = browser.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1},
            }, session=session)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        events = browser.events
    finally:
        browser.close()
    errors = [e["params"]["entry"] for e in events
              if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    errors += [e["params"] for e in events if e.get("method") == "Runtime.exceptionThrown"]
    errors += [e["params"] for e in events if e.get("method") == "Runtime.consoleAPICalled"
               and e["params"]["type"] in ("error", "assert")]
    requests = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    return {"errors": errors, "requests": requests, "images": images, "title": title}


def test_report_opens_cleanly_in_headless_chromium(chromium_path, tmp_path):
    run = make_run(tmp_path / "run", "20261122T195300Z", hostile=True)
    from journeykit.viz.report import build_report

    index = build_report(run, previous_run_dir=make_run(tmp_path / "prev", "20261101T000000Z", nps=5.0))
    result = open_report(chromium_path, index, tmp_path, screenshot=ARTIFACTS / "report.png")

    assert result["errors"] == []
    # only the file itself is loaded: images are data: URIs, nothing goes to the network
    assert [url for url in result["requests"] if not url.startswith(("file://", "data:"))] == []
    assert result["images"] and all(i["complete"] and i["width"] > 0 for i in result["images"])
    assert result["title"].startswith(HOSTILE[0])  # shown as text, not run as a script
    shot = (ARTIFACTS / "report.png").read_bytes()
    assert shot.startswith(b"\x89PNG") and len(shot) > 10_000


def test_hostile_script_in_the_report_would_be_reported(chromium_path, tmp_path):
    """The harness itself notices a page that runs a script or throws (so a clean result
    above means something)."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html lang='en'><body><img src='missing.png' alt='x'>"
                    "<script>console.error('injected'); throw new Error('boom')</script></body></html>", "utf-8")
    result = open_report(chromium_path, page, tmp_path)
    texts = json.dumps(result["errors"])
    assert "injected" in texts and "boom" in texts
    assert any(not i["width"] for i in result["images"])
