"""Helpers shared by the CLV models: column checks, dates, the RFM arrays, the optimiser."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from journeykit.core.errors import JourneykitError

if TYPE_CHECKING:  # pragma: no cover
    from scipy.optimize import OptimizeResult

TimeUnit = Literal["D", "W", "M", "Y"]

#: Length of each time unit in days. A month is 365.25 / 12 days, a year 365.25 days.
DAYS_PER_UNIT: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str, hint: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise JourneykitError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise JourneykitError(
            f"{what} has no column(s) {', '.join(repr(c) for c in missing)}; "
            f"columns present: {', '.join(map(str, frame.columns))}. {hint}"
        )


def _to_datetime(values: pd.Series, column: str, what: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values
    else:
        out = pd.to_datetime(values, errors="coerce", format="mixed")
        bad = values.notna() & out.isna()
        if bad.any():
            examples = ", ".join(repr(v) for v in values[bad].astype(str).unique()[:3])
            raise JourneykitError(
                f"{what}: {int(bad.sum())} value(s) in column {column!r} are not dates "
                f"(for example {examples})"
            )
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out


def _days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> np.ndarray:
    """Elapsed days as floats, whatever the datetime resolution (ns, us, s)."""
    delta = later - earlier
    return np.asarray(delta / pd.Timedelta(days=1), dtype=float)


def _array(values: object, name: str) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise JourneykitError(f"{name} must be numbers, got {values!r:.60}") from exc
    return out


def _check_rfm(frequency: object, recency: object, T: object) -> tuple[np.ndarray, ...]:
    x = _array(frequency, "frequency")
    t_x = _array(recency, "recency")
    big_t = _array(T, "T")
    try:
        x, t_x, big_t = np.broadcast_arrays(x, t_x, big_t)
    except ValueError as exc:
        raise JourneykitError(
            "frequency, recency and T must have the same length "
            f"(got {np.shape(x)}, {np.shape(t_x)}, {np.shape(big_t)})"
        ) from exc
    for name, arr in (("frequency", x), ("recency", t_x), ("T", big_t)):
        if not np.all(np.isfinite(arr)):
            raise JourneykitError(f"{name} has missing or infinite values")
        if np.any(arr < 0):
            raise JourneykitError(f"{name} must be >= 0; found {arr[arr < 0][:3].tolist()}")
    if np.any(x != np.round(x)):
        raise JourneykitError("frequency must be whole numbers (counts of repeat purchases)")
    tol = 1e-9 * np.maximum(1.0, big_t)
    if np.any(t_x > big_t + tol):
        bad = int(np.sum(t_x > big_t + tol))
        raise JourneykitError(
            f"recency must be <= T (the last purchase cannot come after the end of "
            f"observation); {bad} customer(s) break this"
        )
    if np.any((x == 0) & (t_x > tol)):
        raise JourneykitError(
            "recency must be 0 for customers with frequency 0 (no repeat purchase)"
        )
    if np.any((x > 0) & (t_x <= 0)):
        raise JourneykitError(
            "recency must be > 0 for customers with repeat purchases (frequency > 0)"
        )
    return x, t_x, big_t


def _summary_arrays(summary: pd.DataFrame, what: str) -> tuple[np.ndarray, ...]:
    _require_columns(
        summary,
        ["frequency", "recency", "T"],
        what,
        "Build the summary with journeykit.rfm_summary(orders).",
    )
    if len(summary) == 0:
        raise JourneykitError(f"{what} has no customers")
    return _check_rfm(summary["frequency"], summary["recency"], summary["T"])


def _time_unit(summary: pd.DataFrame, time_unit: str | None) -> str:
    unit = time_unit or summary.attrs.get("time_unit") or "W"
    if unit not in DAYS_PER_UNIT:
        raise JourneykitError(f"time_unit must be one of {list(DAYS_PER_UNIT)}, got {unit!r}")
    return unit


def _minimize(neg_ll: Callable[[np.ndarray], float], start: np.ndarray) -> OptimizeResult:
    """Maximise the likelihood over log-parameters: L-BFGS-B (quick), then Nelder-Mead
    from there only when L-BFGS-B did not converge; the best of the tries wins."""
    # scipy.optimize takes a noticeable part of a second to import: only when a model is fitted
    from scipy import optimize

    tries = []
    with np.errstate(all="ignore"):
        quick = optimize.minimize(neg_ll, start, method="L-BFGS-B",
                                  options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-7})
        tries.append(quick)
        if not quick.success or not np.isfinite(quick.fun):
            slow = optimize.minimize(
                neg_ll, quick.x if np.isfinite(quick.fun) else start, method="Nelder-Mead",
                options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-10},
            )
            tries.append(slow)
    best = min(tries, key=lambda r: r.fun if np.isfinite(r.fun) else np.inf)
    if not np.isfinite(best.fun) or best.fun >= 1e300:
        raise JourneykitError("the model could not be fitted: the likelihood is not finite")
    best.success = bool(any(r.success for r in tries))
    return best
