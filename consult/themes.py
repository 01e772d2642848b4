"""Theme discovery for the free-text answers to one question.

The pipeline is BERTopic's (embeddings -> reduction -> clustering ->
representation), set up to be deterministic and to leave few outliers:

- reduction: PCA (seeded), rows re-normalised; any object with
  ``fit_transform`` can be given instead;
- clustering: :class:`WardClusterer`, Ward's method on neighbour-smoothed
  vectors, the number of themes chosen within bounds by silhouette; above
  5,000 texts it starts from 1,000 seeded k-means micro-clusters instead, so
  100k texts take well under a minute of CPU. Any object with ``fit(X)`` and ``labels_`` can be given;
- outliers: groups smaller than ``min_theme_size`` are dissolved; their texts,
  and texts less similar to their theme's centre than ``outlier_threshold``
  (cosine), join the most similar theme if they reach the threshold there, and
  are otherwise kept as *unclustered*;
- representation: BERTopic's class-based TF-IDF (English stop words, 1-3 grams)
  gives key terms and a label; quotes are picked near the theme centre and
  different from each other.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from consult.errors import ConsultError

log = logging.getLogger(__name__)

UNCLUSTERED = -1


# --------------------------------------------------------------------------- clustering


def weighted_ward_linkage(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Ward linkage (SciPy format) of points that each stand for ``weights`` members.

    Equivalent to Ward's method on the members when every point is the centroid
    of its members; with unit weights it matches ``scipy...linkage(method="ward")``.
    """
    m = points.shape[0]
    w = np.asarray(weights, dtype=np.float64).copy()
    x = np.asarray(points, dtype=np.float64)
    sq = (x * x).sum(1)
    # Ward distance between singletons: 2 wi wj / (wi + wj) * ||xi - xj||^2
    d = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)
    d *= 2.0 * w[:, None] * w[None, :] / (w[:, None] + w[None, :])
    np.fill_diagonal(d, np.inf)
    node = np.arange(m)  # scipy cluster id held in each row
    leaves = np.ones(m, dtype=np.int64)
    out = np.zeros((max(m - 1, 0), 4))
    for step in range(m - 1):
        flat = int(np.argmin(d))
        i, j = divmod(flat, m)
        if i > j:
            i, j = j, i
        dij = d[i, j]
        wi, wj = w[i], w[j]
        wk = w
        # Lance-Williams update for Ward on squared distances
        new = ((wk + wi) * d[i] + (wk + wj) * d[j] - wk * dij) / (wk + wi + wj)
        new[i] = np.inf
        new[j] = np.inf
        d[i] = new
        d[:, i] = new
        d[j] = np.inf
        d[:, j] = np.inf
        w[i] = wi + wj
        w[j] = 0.0
        out[step] = (node[i], node[j], math.sqrt(max(dij, 0.0)), leaves[i] + leaves[j])
        node[i] = m + step
        leaves[i] += leaves[j]
    return out


def smooth_neighbours(x: np.ndarray, k: int, block: int | None = None) -> np.ndarray:
    """Each row replaced by the normalised mean of its ``k`` nearest rows (itself included).

    Averaging over neighbours removes noise that is particular to one answer's
    wording, so Ward's method groups by what the answers have in common.
    """
    n = x.shape[0]
    k = min(k, n)
    if k <= 1:
        return x
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty_like(x)
    if block is None:  # about 2**25 similarities per block: a few hundred MB at most
        block = max(64, min(4096, 2**25 // n))
    for lo in range(0, n, block):
        sims = x[lo : lo + block] @ x.T
        idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out[lo : lo + block] = x[idx].mean(1)
    return _normalize(out)


class WardClusterer:
    """Ward clustering that picks the number of clusters itself.

    Parameters
    ----------
    min_clusters, max_clusters:
        Bounds for the automatic choice.
    n_clusters:
        Fixed number of clusters (skips the choice).
    smooth_neighbors:
        Neighbours averaged before clustering (1 = no smoothing); capped at 2%
        of the points; not used above ``max_points``, where micro-clusters average instead.
    max_points:
        Above this many points, Ward runs on ``n_micro`` seeded k-means
        micro-clusters instead of on the points (memory and time stay bounded).
    n_micro:
        Number of micro-clusters for large inputs.
    sample_size:
        Points (seeded sample) on which silhouette is measured.
    tolerance:
        The smallest number of clusters whose silhouette reaches ``tolerance``
        times the best is chosen (prefers fewer, broader themes).
    random_state:
        Seed for k-means and sampling.

    After ``fit``: ``labels_``, ``n_clusters_``, ``scores_`` ({k: silhouette}).
    """

    def __init__(
        self,
        min_clusters: int = 5,
        max_clusters: int = 30,
        n_clusters: int | None = None,
        *,
        smooth_neighbors: int = 10,
        max_points: int = 5000,
        n_micro: int = 1000,
        sample_size: int = 1000,
        tolerance: float = 0.95,
        random_state: int = 42,
    ) -> None:
        self.min_clusters = min_clusters
        self.max_clusters = max_clusters
        self.n_clusters = n_clusters
        self.smooth_neighbors = smooth_neighbors
        self.max_points = max_points
        self.n_micro = n_micro
        self.sample_size = sample_size
        self.tolerance = tolerance
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: Any = None) -> WardClusterer:
        """Cluster the rows of ``X``; sets ``labels_``."""
        from scipy.cluster.hierarchy import fcluster, linkage
        from sklearn.cluster import MiniBatchKMeans

        x = _normalize(np.asarray(X, dtype=np.float32))
        n = x.shape[0]
        if n < 2:
            self.labels_ = np.zeros(n, dtype=int)
            self.n_clusters_, self.scores_ = n, {}
            return self
        if n > self.max_points:
            # Micro-cluster centres are already averages of neighbours, so the
            # O(n^2) neighbour smoothing is skipped here: it would dominate at 100k.
            xs = x
            km = MiniBatchKMeans(
                self.n_micro, random_state=self.random_state, n_init=1,
                batch_size=4096, max_no_improvement=20,
            ).fit(xs)
            micro = km.labels_
            counts = np.bincount(micro, minlength=self.n_micro)
            used = np.flatnonzero(counts)
            remap = np.full(self.n_micro, -1)
            remap[used] = np.arange(used.size)
            micro = remap[micro]
            tree = weighted_ward_linkage(km.cluster_centers_[used], counts[used])
        else:
            xs = smooth_neighbours(x, max(1, min(self.smooth_neighbors, n // 50)))
            micro = np.arange(n)
            tree = linkage(xs.astype(np.float64), method="ward")
        n_leaves = tree.shape[0] + 1

        def cut(k: int) -> np.ndarray:
            return fcluster(tree, k, criterion="maxclust")[micro] - 1

        if self.n_clusters is not None:
            k = max(1, min(self.n_clusters, n_leaves))
            self.scores_ = {}
        else:
            k, self.scores_ = self._choose_k(x, cut, n_leaves)
        self.labels_ = cut(k)
        self.n_clusters_ = int(self.labels_.max()) + 1
        return self

    def _choose_k(self, x: np.ndarray, cut: Any, n_leaves: int) -> tuple[int, dict[int, float]]:
        from sklearn.metrics import silhouette_score

        n = x.shape[0]
        lo = max(2, min(self.min_clusters, n_leaves))
        hi = max(lo, min(self.max_clusters, n_leaves, n - 1))
        if lo >= hi:
            return lo, {}
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(n, size=min(n, self.sample_size), replace=False))
        xs = x[sample]
        dist = np.clip(1.0 - xs @ xs.T, 0.0, None)
        np.fill_diagonal(dist, 0.0)
        scores: dict[int, float] = {}
        for k in range(lo, hi + 1):
            labels = cut(k)[sample]
            if 2 <= len(np.unique(labels)) < len(sample):
                scores[k] = float(silhouette_score(dist, labels, metric="precomputed"))
        if not scores:
            return lo, scores
        best = max(scores.values())
        target = best * self.tolerance if best > 0 else best
        return min(k for k, s in scores.items() if s >= target), scores


class PCAReducer:
    """PCA to at most ``n_components`` dimensions (seeded), rows then L2-normalised."""

    def __init__(self, n_components: int = 64, random_state: int = 42) -> None:
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: Any = None) -> PCAReducer:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        from sklearn.decomposition import PCA

        x = np.asarray(X, dtype=np.float32)
        n_comp = min(self.n_components, x.shape[0] - 1, x.shape[1])
        if n_comp < 2:
            self.pca_ = None
            return _normalize(x)
        self.pca_ = PCA(n_comp, svd_solver="randomized", random_state=self.random_state)
        return _normalize(self.pca_.fit_transform(x))

    def transform(self, X: np.ndarray) -> np.ndarray:
        x = np.asarray(X, dtype=np.float32)
        return _normalize(x if self.pca_ is None else self.pca_.transform(x))


# --------------------------------------------------------------------------- results


@dataclass
class Theme:
    """One theme: a group of answers making a similar point."""

    id: int
    label: str
    terms: list[str]
    quotes: list[int]
    size: float
    members: list[int]


@dataclass
class ThemeResult:
    """Themes of one question; ``labels[i]`` is the theme id of text ``i`` (-1: unclustered)."""

    themes: list[Theme]
    labels: np.ndarray
    unclustered: list[int]
    note: str | None = None
    unclustered_size: float = 0.0
    scores: dict[int, float] = field(default_factory=dict)

    @property
    def n_themes(self) -> int:
        return len(self.themes)


# --------------------------------------------------------------------------- theme finder


class ThemeFinder:
    """Finds the themes in the answers to one question, deterministically.

    Parameters
    ----------
    min_themes, max_themes:
        Bounds when the number of themes is chosen automatically.
    n_themes:
        Fix the number of themes instead.
    random_state:
        Seed for every random step.
    reducer:
        Dimensionality reduction (``fit_transform``); default :class:`PCAReducer`.
    clusterer:
        Clustering (``fit`` then ``labels_``, -1 for outliers); default
        :class:`WardClusterer` with the bounds above.
    outlier_threshold:
        Cosine similarity to its theme's centre that every member must have.
        Texts below it, and texts of groups smaller than ``min_theme_size``,
        join the most similar theme if they reach it there, else stay unclustered.
    min_theme_size:
        Smallest theme (texts); default ``max(3, 0.2% of texts)``.
    n_quotes:
        Representative answers per theme (3-5 is typical).
    n_terms:
        Key terms kept per theme.
    vectorizer_model, ctfidf_model, representation_model:
        Passed to BERTopic for the representation step.
    """

    def __init__(
        self,
        min_themes: int = 5,
        max_themes: int = 30,
        n_themes: int | None = None,
        random_state: int = 42,
        reducer: Any = None,
        clusterer: Any = None,
        outlier_threshold: float = 0.3,
        min_theme_size: int | None = None,
        n_quotes: int = 5,
        n_terms: int = 10,
        vectorizer_model: Any = None,
        ctfidf_model: Any = None,
        representation_model: Any = None,
    ) -> None:
        if min_themes < 1 or max_themes < min_themes:
            raise ConsultError(
                f"theme bounds must satisfy 1 <= min_themes <= max_themes, got {min_themes}..{max_themes}"
            )
        if n_themes is not None and n_themes < 1:
            raise ConsultError(f"n_themes must be at least 1, not {n_themes}")
        if not -1.0 <= outlier_threshold <= 1.0:
            raise ConsultError(f"outlier_threshold is a cosine similarity in [-1, 1], not {outlier_threshold}")
        self.min_themes = min_themes
        self.max_themes = max_themes
        self.n_themes = n_themes
        self.random_state = random_state
        self.reducer = reducer
        self.clusterer = clusterer
        self.outlier_threshold = outlier_threshold
        self.min_theme_size = min_theme_size
        self.n_quotes = n_quotes
        self.n_terms = n_terms
        self.vectorizer_model = vectorizer_model
        self.ctfidf_model = ctfidf_model
        self.representation_model = representation_model

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
    ) -> ThemeResult:
        """Find themes. ``weights[i]``: respondents text ``i`` stands for (default 1)."""
        texts = [str(t) for t in texts]
        n = len(texts)
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != n:
            raise ConsultError(f"got {n} texts but embeddings of shape {emb.shape}")
        w = _weights(weights, n)
        emb = _normalize(emb)

        if n == 0:
            return _no_themes(n, w, "No answers to find themes in")
        n_distinct = len(np.unique(emb.round(5), axis=0))
        if n_distinct == 1 and n > 1:
            labels = np.zeros(n, dtype=int)
            return self._result(texts, emb, w, labels, note=f"All {n} answers are the same: one theme")
        wanted = self.n_themes if self.n_themes is not None else self.min_themes
        if n_distinct < max(wanted, 2) or n < 2 * max(wanted, 2):
            return _no_themes(
                n, w, f"Too few answers ({n}, {n_distinct} different) to find {wanted} themes"
            )

        reduced = self._reducer().fit_transform(emb)
        clusterer = self._clusterer(n)
        clusterer.fit(reduced)
        labels = np.asarray(clusterer.labels_, dtype=int).copy()
        labels = self._handle_outliers(emb, labels)
        result = self._result(texts, emb, w, labels)
        result.scores = dict(getattr(clusterer, "scores_", {}) or {})
        return result

    # -- steps

    def _reducer(self) -> Any:
        return self.reducer if self.reducer is not None else PCAReducer(random_state=self.random_state)

    def _clusterer(self, n: int) -> Any:
        if self.clusterer is not None:
            return self.clusterer
        return WardClusterer(
            self.min_themes, self.max_themes, self.n_themes, random_state=self.random_state
        )

    def _min_size(self, n: int) -> int:
        if self.min_theme_size is not None:
            return self.min_theme_size
        return max(3, math.ceil(0.002 * n))

    def _handle_outliers(self, emb: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Dissolve groups that are too small and drop texts far from their theme centre;
        each such text joins the most similar theme if similar enough, else stays unclustered."""
        min_size = self._min_size(len(labels))
        ids, counts = np.unique(labels[labels >= 0], return_counts=True)
        keep = ids[counts >= min_size]
        if keep.size == 0:  # everything tiny: keep the groups rather than lose them all
            keep = ids
        out = np.where(np.isin(labels, keep), labels, UNCLUSTERED)
        if keep.size == 0:
            return out
        centres = _normalize(np.stack([emb[out == t].mean(0) for t in keep]))
        sims = emb @ centres.T
        own = np.full(len(out), -np.inf)
        placed = out >= 0
        own[placed] = sims[placed, np.searchsorted(keep, out[placed])]
        loose = np.flatnonzero(own < self.outlier_threshold)
        best = sims[loose].argmax(1)
        ok = sims[loose, best] >= self.outlier_threshold
        out[loose] = np.where(ok, keep[best], UNCLUSTERED)
        return out

    def _result(
        self, texts: list[str], emb: np.ndarray, w: np.ndarray, labels: np.ndarray, note: str | None = None
    ) -> ThemeResult:
        raw_ids = [int(t) for t in np.unique(labels) if t >= 0]
        terms = self._terms(texts, labels, raw_ids)
        drafts = []
        for t in raw_ids:
            members = np.flatnonzero(labels == t)
            quotes = _mmr_quotes(emb, members, self.n_quotes)
            label = _label_from_terms(terms.get(t, [])) or _short(texts[quotes[0]])
            drafts.append((float(w[members].sum()), label, t, members, quotes))
        drafts.sort(key=lambda d: (-d[0], d[1], d[2]))
        new_labels = np.full(len(texts), UNCLUSTERED, dtype=int)
        themes = []
        for new_id, (size, label, t, members, quotes) in enumerate(drafts):
            new_labels[members] = new_id
            themes.append(
                Theme(new_id, label, terms.get(t, []), [int(q) for q in quotes], size, members.tolist())
            )
        unclustered = np.flatnonzero(new_labels == UNCLUSTERED)
        return ThemeResult(
            themes, new_labels, unclustered.tolist(), note, float(w[unclustered].sum())
        )

    def _terms(self, texts: list[str], labels: np.ndarray, ids: list[int]) -> dict[int, list[str]]:
        """Key terms per theme from BERTopic's class-based TF-IDF."""
        if not ids:
            return {}
        from bertopic import BERTopic
        from bertopic.cluster import BaseCluster
        from bertopic.dimensionality import BaseDimensionalityReduction
        from bertopic.vectorizers import ClassTfidfTransformer
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = self.vectorizer_model or CountVectorizer(
            stop_words="english", ngram_range=(1, 3), min_df=1, token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z'-]+\b"
        )
        model = BERTopic(
            embedding_model=None,
            umap_model=BaseDimensionalityReduction(),
            hdbscan_model=BaseCluster(),
            vectorizer_model=vectorizer,
            ctfidf_model=self.ctfidf_model or ClassTfidfTransformer(reduce_frequent_words=True),
            representation_model=self.representation_model,
            top_n_words=self.n_terms,
            calculate_probabilities=False,
        )
        self.topic_model_ = model
        try:
            # Embeddings are not needed for c-TF-IDF; a placeholder keeps BERTopic from embedding.
            model.fit(texts, embeddings=np.zeros((len(texts), 1), dtype=np.float32), y=labels)
        except ValueError as exc:  # e.g. only stop words: no vocabulary
            log.info("no key terms: %s", exc)
            return {}
        # BERTopic renumbers topics by frequency: map back through the documents.
        mapped = np.asarray(model.topics_)
        out = {}
        for t in ids:
            topic = int(mapped[np.flatnonzero(labels == t)[0]])
            words = model.get_topic(topic) or []
            out[t] = [wd for wd, score in words if wd and score > 0][: self.n_terms]
        return out


# --------------------------------------------------------------------------- helpers


def _normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def _weights(weights: Sequence[float] | np.ndarray | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ConsultError(f"got {n} texts but {w.size} weights")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ConsultError("weights must be finite and not negative")
    return w


def _no_themes(n: int, w: np.ndarray, note: str) -> ThemeResult:
    labels = np.full(n, UNCLUSTERED, dtype=int)
    return ThemeResult([], labels, list(range(n)), note, float(w.sum()))


def _mmr_quotes(emb: np.ndarray, members: np.ndarray, k: int, diversity: float = 0.3) -> list[int]:
    """Up to ``k`` members close to the centre and unlike each other (maximal marginal relevance)."""
    vecs = emb[members]
    centre = _normalize(vecs.mean(0, keepdims=True))[0]
    relevance = vecs @ centre
    # Only the members nearest the centre are candidates: keeps big themes cheap.
    cand = np.argsort(-relevance, kind="stable")[:200]
    chosen = [int(cand[0])]
    while len(chosen) < min(k, cand.size):
        sim_to_chosen = (vecs[cand] @ vecs[chosen].T).max(1)
        score = (1 - diversity) * relevance[cand] - diversity * sim_to_chosen
        score[np.isin(cand, chosen)] = -np.inf
        score[sim_to_chosen > 0.98] = -np.inf  # near-identical wording says nothing new
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        chosen.append(int(cand[best]))
    return [int(members[i]) for i in chosen]


def _label_from_terms(terms: list[str]) -> str:
    """A readable label: the best multi-word term among the top three, else the top term."""
    if not terms:
        return ""
    phrase = next((t for t in terms[:3] if " " in t), terms[0])
    return phrase[:1].upper() + phrase[1:]


def _short(text: str, words: int = 6) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


# --------------------------------------------------------------------------- reporting helpers


def theme_split(
    labels: Sequence[int] | np.ndarray,
    closed_answers: Sequence[Any],
    weights: Sequence[float] | np.ndarray | None = None,
) -> dict[int, dict[Any, float]]:
    """For each theme (and -1, unclustered), the weighted count of each closed answer."""
    labels = np.asarray(labels, dtype=int)
    if len(closed_answers) != labels.size:
        raise ConsultError(f"got {labels.size} theme labels but {len(closed_answers)} closed answers")
    w = _weights(weights, labels.size)
    out: dict[int, dict[Any, float]] = {}
    for lab, ans, wt in zip(labels.tolist(), closed_answers, w.tolist()):
        counts = out.setdefault(lab, {})
        counts[ans] = counts.get(ans, 0.0) + wt
    return dict(sorted(out.items()))


def slugify(text: str, fallback: str = "theme") -> str:
    """Lower-case letters, digits and hyphens, as code ids require."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:48].strip("-") or fallback


def draft_codebook(
    result: ThemeResult, question_id: str, texts: Sequence[str], max_examples: int = 3
) -> dict[str, Any]:
    """A draft codebook (the YAML format of docs/formats.md) for a reviewer to edit."""
    codes = []
    used: set[str] = {"other", "non-substantive"}
    for theme in result.themes:
        base = slugify(theme.label)
        code_id, i = base, 2
        while code_id in used:
            code_id, i = f"{base}-{i}", i + 1
        used.add(code_id)
        terms = ", ".join(theme.terms[:6])
        codes.append(
            {
                "id": code_id,
                "label": theme.label,
                "description": f"Answers about: {terms}." if terms else "Answers like the examples.",
                "examples": [str(texts[q]) for q in theme.quotes[:max_examples]],
                "counter_examples": [],
                "parent": None,
            }
        )
    return {"question": question_id, "codes": codes}


def themes_as_dict(result: ThemeResult) -> Mapping[str, Any]:
    """Plain data (JSON-ready) view of a result."""
    return {
        "themes": [t.__dict__ for t in result.themes],
        "labels": result.labels.tolist(),
        "unclustered": result.unclustered,
        "note": result.note,
    }
