"""Memory of the running process, read from /proc/self/status (Linux), for the
benchmark scripts' child processes."""

from __future__ import annotations

from pathlib import Path


def status_mb(field: str) -> float | None:
    """A ``/proc/self/status`` field in MB: ``VmHWM`` is the peak resident set (unlike
    ``ru_maxrss`` it is not inherited across fork/exec), ``VmRSS`` the resident set now.
    None where /proc is not available."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb() -> float | None:
    return status_mb("VmHWM")


def rss_mb() -> float | None:
    return status_mb("VmRSS")
