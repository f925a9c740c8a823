"""``report.pdf``: the report printed by headless Chromium (``journeykit run --pdf``).

The PDF is the report's own print stylesheet (``viz/report/templates/report_print.css``:
A4 portrait pages, the journey map on an A3-landscape page) laid out by the same
Chromium the browser tests open the report in, called as
``chromium --headless --print-to-pdf``. That needs no Python package at run time (no
browser-automation library, no download: Debian's ``chromium`` package is enough), and
``--print-to-pdf`` uses the page sizes of the CSS ``@page`` rules, named pages included.
WeasyPrint was not chosen: it would be a second layout engine whose output differs
from what the tests check in the browser, with native libraries of its own.

Chromium is found as ``$JOURNEYKIT_CHROMIUM`` when set, else the first of
:data:`CHROMIUM_NAMES` on ``PATH``; :class:`ChromiumNotFound` (a
:class:`~journeykit.core.errors.JourneykitError`) says how to install it.

Example:
    >>> print_pdf("reports/latest/index.html")           # doctest: +SKIP
    PosixPath('reports/latest/report.pdf')
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from journeykit.core.errors import JourneykitError
from journeykit.core.safety import atomic_write_bytes

__all__ = ["CHROMIUM_FLAGS", "CHROMIUM_NAMES", "ChromiumNotFound", "PdfError", "find_chromium", "print_pdf"]

#: program names tried on ``PATH`` (Debian's package installs ``chromium``)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: headless, no GPU, nothing fetched in the background; ``--no-sandbox`` because the
#: sandbox cannot start as root or in most containers, and the page printed is the kit's
#: own file, whose Content-Security-Policy forbids scripts and every network request
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
)

INSTALL_HINT = ("install Chromium (Debian/Ubuntu: apt-get install chromium) or set "
                "JOURNEYKIT_CHROMIUM to the path of a Chromium or Chrome program")


class ChromiumNotFound(JourneykitError):
    """No headless Chromium to print the report with."""


class PdfError(JourneykitError):
    """Chromium ran but wrote no PDF (its last lines of output are in the message)."""


def find_chromium(environ: Mapping[str, str] | None = None) -> str:
    """The Chromium program to print with: ``$JOURNEYKIT_CHROMIUM`` when set (it must be an
    executable file), else the first of :data:`CHROMIUM_NAMES` found on ``PATH``.

    Raises :class:`ChromiumNotFound` naming what was looked for and how to install it.

    >>> find_chromium({"PATH": "/nonexistent"})
    Traceback (most recent call last):
    ...
    journeykit.run.pdf.ChromiumNotFound: headless Chromium not found (looked for chromium, chromium-browser, google-chrome, google-chrome-stable on PATH): install Chromium (Debian/Ubuntu: apt-get install chromium) or set JOURNEYKIT_CHROMIUM to the path of a Chromium or Chrome program
    """
    env = os.environ if environ is None else environ
    chosen = env.get("JOURNEYKIT_CHROMIUM", "").strip()
    if chosen:
        found = shutil.which(chosen, path=env.get("PATH", ""))
        if found is None:
            raise ChromiumNotFound(f"JOURNEYKIT_CHROMIUM={chosen} is not an executable program: {INSTALL_HINT}")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=env.get("PATH", ""))
        if found:
            return found
    raise ChromiumNotFound(
        f"headless Chromium not found (looked for {', '.join(CHROMIUM_NAMES)} on PATH): {INSTALL_HINT}")


def print_pdf(html: str | os.PathLike, pdf: str | os.PathLike | None = None, *,
              chromium: str | None = None, timeout: float = 180.0) -> Path:
    """Print the report ``html`` (a file) to ``pdf`` (default: ``report.pdf`` beside it)
    with headless Chromium; return the PDF's path.

    Page sizes come from the page's CSS (``@page``; the report's are A4 portrait and an
    A3-landscape page for the journey map); no header or footer is added. The PDF is
    written atomically: an old ``report.pdf`` stays until the new one is complete.
    ``timeout`` is in seconds. Raises :class:`ChromiumNotFound` or :class:`PdfError`.
    """
    source = Path(html).resolve()
    if not source.is_file():
        raise PdfError(f"cannot print {source}: no such file")
    target = Path(pdf) if pdf is not None else source.with_name("report.pdf")
    program = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="journeykit-pdf-") as scratch:
        # a profile of its own: never hand the job to a Chromium the user has open
        out = Path(scratch) / "report.pdf"
        command = [program, *CHROMIUM_FLAGS, f"--user-data-dir={Path(scratch) / 'profile'}",
                   "--no-pdf-header-footer", f"--print-to-pdf={out}", source.as_uri()]
        try:
            result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                    timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Chromium did not finish printing {source.name} within {timeout:.0f} s") from exc
        except OSError as exc:
            raise ChromiumNotFound(f"cannot start {program}: {exc}; {INSTALL_HINT}") from exc
        data = out.read_bytes() if out.is_file() else b""
        if result.returncode != 0 or not data.startswith(b"%PDF"):
            tail = "\n".join((result.stderr or "").strip().splitlines()[-5:])
            raise PdfError(f"Chromium ({program}) wrote no PDF of {source.name} "
                           f"(exit code {result.returncode}){': ' + tail if tail else ''}")
    return atomic_write_bytes(target, data)
