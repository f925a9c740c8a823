"""k-means and the silhouette score in numpy (checked against scikit-learn in the tests).

* :func:`kmeans` — cluster labels by Lloyd's algorithm from k-means++ starts;
* :func:`silhouette_score` — how well separated the clusters are (−1…1);
* :func:`choose_k` — the number of clusters with the best silhouette.

Example:
    >>> x = np.array([[0.0], [0.1], [5.0], [5.2]])
    >>> round(silhouette_score(x, kmeans(x, 2)), 2)
    0.97
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from journeykit.core.errors import JourneykitError


def _squared_distances(x: np.ndarray, centres: np.ndarray, x_squared: np.ndarray | None = None) -> np.ndarray:
    """Squared Euclidean distances, rows of ``x`` × rows of ``centres`` (never negative);
    ``x_squared`` is ``(x * x).sum(axis=1)`` when already known."""
    if x_squared is None:
        x_squared = (x * x).sum(axis=1)
    d = x_squared[:, None] - 2.0 * x @ centres.T + (centres * centres).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)


def _kmeans_plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ starting centres: each next centre drawn with probability ∝ its squared
    distance to the nearest centre chosen so far."""
    centres = [x[rng.integers(len(x))]]
    nearest = _squared_distances(x, centres[0][None, :])[:, 0]
    for _ in range(1, k):
        total = nearest.sum()
        index = rng.choice(len(x), p=nearest / total) if total > 0 else rng.integers(len(x))
        centres.append(x[index])
        nearest = np.minimum(nearest, _squared_distances(x, x[index][None, :])[:, 0])
    return np.array(centres)


def kmeans(x: np.ndarray, k: int, *, n_init: int = 10, max_iter: int = 300, tol: float = 1e-4,
           random_state: int = 0) -> np.ndarray:
    """Cluster labels 0…k-1 of the rows of ``x`` by k-means: Lloyd's algorithm from
    ``n_init`` k-means++ starts, keeping the start with the smallest within-cluster sum
    of squares. It stops when the centres move less than ``tol`` × the mean variance of
    the columns (scikit-learn's rule). Deterministic for a given ``random_state``.

    >>> kmeans(np.array([[0.0], [0.1], [5.0], [5.2]]), 2).tolist() in ([0, 0, 1, 1], [1, 1, 0, 0])
    True
    """
    x = np.asarray(x, dtype=float)
    if not 1 <= k <= len(x):
        raise JourneykitError(f"k must be between 1 and {len(x)}, got {k}")
    rng = np.random.default_rng(random_state)
    threshold = tol * float(np.mean(np.var(x, axis=0)))
    x_squared = (x * x).sum(axis=1)
    best_labels, best_inertia = None, np.inf
    for _ in range(n_init):
        centres = _kmeans_plus_plus(x, k, rng)
        for _ in range(max_iter):
            distances = _squared_distances(x, centres, x_squared)
            labels = distances.argmin(axis=1)
            counts = np.bincount(labels, minlength=k)
            sums = np.column_stack([np.bincount(labels, weights=x[:, j], minlength=k)
                                    for j in range(x.shape[1])])
            moved = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres)
            empty = np.flatnonzero(counts == 0)
            if len(empty):  # an empty cluster takes the points farthest from their centres
                far = np.argsort(-distances[np.arange(len(x)), labels])[:len(empty)]
                moved[empty] = x[far]
            shift = float(((moved - centres) ** 2).sum())
            centres = moved
            if shift <= threshold:
                break
        distances = _squared_distances(x, centres, x_squared)
        labels = distances.argmin(axis=1)
        inertia = float(distances[np.arange(len(x)), labels].sum())
        if inertia < best_inertia:
            best_labels, best_inertia = labels, inertia
    assert best_labels is not None
    return best_labels


def silhouette_score(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of the rows of ``x`` (Euclidean): for each point, (b - a) / max(a, b)
    with a its mean distance to the other members of its cluster and b the smallest mean
    distance to another cluster's members; 0 for a point alone in its cluster.

    >>> round(silhouette_score(np.array([[0.0], [1.0], [10.0], [11.0]]), np.array([0, 0, 1, 1])), 3)
    0.9
    """
    return _silhouette(_pairwise_distances(np.asarray(x, dtype=float)), labels)


def _pairwise_distances(x: np.ndarray) -> np.ndarray:
    distances = np.sqrt(_squared_distances(x, x))
    np.fill_diagonal(distances, 0.0)
    return distances


def _silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """:func:`silhouette_score` from the points' pairwise distances."""
    n = len(distances)
    codes, labels = np.unique(labels, return_inverse=True)
    if not 2 <= len(codes) <= n - 1:
        raise JourneykitError(f"the silhouette needs 2 to {n - 1} clusters, got {len(codes)}")
    members = np.zeros((n, len(codes)))
    members[np.arange(n), labels] = 1.0
    sizes = members.sum(axis=0)
    totals = distances @ members  # sum of distances from each point to each cluster
    own = totals[np.arange(n), labels]
    own_size = sizes[labels]
    a = np.where(own_size > 1, own / np.maximum(own_size - 1, 1), 0.0)
    means = totals / sizes[None, :]
    means[np.arange(n), labels] = np.inf
    b = means.min(axis=1)
    s = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), np.finfo(float).tiny), 0.0)
    return float(s.mean())


def choose_k(x: np.ndarray, fit: Callable[[int], np.ndarray], k: int | None, random_state: int,
              max_silhouette_sample: int, n_distinct: int
              ) -> tuple[int, np.ndarray, dict[int, float]]:
    """(k, labels, silhouette per k tried) for the rows of ``x``, clustered by ``fit(k)``.

    With ``k=None`` each k in 2…min(6, ``n_distinct`` - 1, len(x) - 1) is fitted and
    scored by the silhouette on at most ``max_silhouette_sample`` rows (drawn with
    ``random_state``; the same rows for every k); the best score wins (ties: the
    smaller k), 2 when no k splits the sample. With a given ``k``: that k, no scores.
    Used by :func:`journeykit.analytics.personas.segments.suggest_segments`.

    >>> x = np.array([[0.0], [0.1], [5.0], [5.2], [9.0], [9.1]])
    >>> k, labels, scores = choose_k(x, lambda c: kmeans(x, c), None, 0, 3000, 6)
    >>> k, sorted(scores)
    (3, [2, 3, 4, 5])
    """
    scores: dict[int, float] = {}
    if k is None:
        rng = np.random.default_rng(random_state)
        sample = (rng.choice(len(x), size=max_silhouette_sample, replace=False)
                  if len(x) > max_silhouette_sample else np.arange(len(x)))
        labels_by_k = {}
        distances: np.ndarray | None = None
        for candidate in range(2, min(6, n_distinct - 1, len(x) - 1) + 1):
            labels = fit(candidate)
            if len(np.unique(labels[sample])) < 2:
                continue
            if distances is None:  # the same customers for every k: their distances once
                distances = _pairwise_distances(x[sample])
            scores[candidate] = _silhouette(distances, labels[sample])
            labels_by_k[candidate] = labels
        if not scores:
            k_used, raw = 2, fit(2)
        else:
            k_used = max(scores, key=lambda c: (scores[c], -c))
            raw = labels_by_k[k_used]
    else:
        if not 1 <= int(k) <= len(x):
            raise JourneykitError(f"k must be between 1 and {len(x)} customers, got {k}")
        k_used, raw = int(k), fit(int(k))
    return k_used, raw, scores
