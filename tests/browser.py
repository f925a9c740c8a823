"""The report in a real browser, for the tests: Debian's headless Chromium driven by
Playwright for Python (``playwright`` in the dev extra). Playwright never downloads a
browser here: it launches the system Chromium (``executable_path``, found by
:func:`journeykit.run.pdf.find_chromium`, the rule ``journeykit run --pdf`` uses).

:func:`open_report` opens one HTML file at one viewport width and returns what a person
would notice: console errors and uncaught exceptions, requests that leave the file,
images that did not decode, horizontal overflow of the page; optionally it saves a
full-page screenshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: screenshots and other files a person looks at after a run (git-ignored)
ARTIFACTS = ROOT / "test-artifacts"

#: the flags of every launch: headless, no GPU, nothing fetched in the background
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

#: viewport widths in CSS pixels: a laptop and a phone
WIDTHS = {"desktop": 1280, "phone": 390}

_PAGE_FACTS = """() => {
  const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
    if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true; }
    return false; };
  const summary = document.querySelector('#summary');
  const sections = Array.from(document.querySelectorAll('main section'));
  const heading = summary && summary.querySelector('h2');
  return {
    title: document.title,
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0),
    viewportWidth: window.innerWidth,
    images: Array.from(document.images).map(i => ({src: i.currentSrc.slice(0, 60), alt: i.alt,
                                                    complete: i.complete, width: i.naturalWidth})),
    widest: Array.from(document.querySelectorAll('body *'))
      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(e))
      .slice(0, 5).map(e => e.outerHTML.slice(0, 120)),
    summary: {present: !!summary, first: sections.length > 0 && sections[0] === summary,
              heading: heading ? heading.innerText.trim() : null,
              text: summary ? summary.innerText : '',
              height: summary ? summary.getBoundingClientRect().height : 0},
  };
}"""


def _short(url: str) -> str:
    """A URL for a message: data: URIs cut to their start, others whole."""
    return url[:60] + "…" if url.startswith("data:") else url


def open_report(chromium: str, html: Path, tmp_path: Path | None = None, *, width: int = 1280,
                height: int = 900, screenshot: Path | None = None) -> dict[str, Any]:
    """Open ``html`` in headless Chromium at ``width`` x ``height`` CSS pixels, wait for
    the load event, and return ``errors`` (console errors, uncaught exceptions, failed
    loads), ``requests`` (every URL the page asked for), ``images`` (complete, natural
    width, alt), ``title``, ``scroll_width`` and ``viewport_width`` (px) and ``widest``
    (up to five elements outside any scrolling box whose right edge passes the viewport)
    and ``summary`` (the Summary section: present, first, heading, visible text). With ``screenshot`` a
    full-page PNG is saved there. ``tmp_path`` is accepted for the old signature."""
    from playwright.sync_api import sync_playwright  # heavy: only the browser tests load it

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}")
                    if m.type in ("error", "assert") else None)
            page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
            page.on("requestfailed", lambda r: errors.append(f"failed to load {_short(r.url)}: {r.failure}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.resolve().as_uri(), wait_until="load", timeout=60_000)
            facts = page.evaluate(_PAGE_FACTS)
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True, timeout=60_000)
        finally:
            browser.close()
    return {"errors": errors, "requests": requests, "images": facts["images"], "title": facts["title"],
            "scroll_width": facts["scrollWidth"], "viewport_width": facts["viewportWidth"],
            "widest": facts["widest"], "summary": facts["summary"]}



# --------------------------------------------------------------------------- servers


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """A server process started for a test (JupyterLab, Voilà): its output is kept in
    ``log`` (a file) to show when something fails; :meth:`stop` ends it (and only it)."""

    def __init__(self, command: list[str], port: int, *, env: dict[str, str], cwd: Path, log: Path,
                 timeout: float = 90.0):
        import socket
        import subprocess
        import time

        self.port = port
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._out = log.open("wb")
        self.process = subprocess.Popen(command, env=env, cwd=str(cwd), stdout=self._out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited ({self.process.returncode}):\n{self.output()[-3000:]}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"server did not listen on port {port} within {timeout} s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text("utf-8", errors="replace")

    def stop(self) -> None:
        import os
        import signal
        import subprocess

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: the server and its kernels
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._out.close()


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a server under test: this checkout first on the path, the
    workshop name unset, plus ``extra``."""
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env.pop("JOURNEYKIT_USER", None)
    env.update(extra)
    return env
