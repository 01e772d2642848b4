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
- representation (:func:`describe_themes`): candidate phrases of 1-4 whole
  words as the answers write them, ranked by BERTopic's class-based TF-IDF and,
  given an encoder, re-ranked KeyBERT-style by similarity to the theme centre;
  the label is the best phrase of 2-6 words, the description the most central
  answer sentence; quotes are picked near the theme centre and different from
  each other.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from consult.codebook import NON_SUBSTANTIVE, OTHER, slugify, unique_id
from consult.errors import ConsultError

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
    description: str = ""


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
    n_candidates:
        Candidate phrases per theme (best by class-based TF-IDF) that labels
        and key terms are chosen from.
    ctfidf_model:
        Scores phrases per theme; default BERTopic's ``ClassTfidfTransformer``
        with ``reduce_frequent_words``.
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
        n_candidates: int = 30,
        ctfidf_model: Any = None,
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
        self.n_candidates = n_candidates
        self.ctfidf_model = ctfidf_model

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
        *,
        encoder: Encoder | None = None,
    ) -> ThemeResult:
        """Find themes. ``weights[i]``: respondents text ``i`` stands for (default 1).

        ``encoder`` embeds short texts with the model that made ``embeddings``
        (a list of strings -> one row each); it lets labels, key terms and
        descriptions be chosen by meaning. Without it they come from word counts.
        """
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
            return self._result(texts, emb, w, labels, encoder, note=f"All {n} answers are the same: one theme")
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
        result = self._result(texts, emb, w, labels, encoder)
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
        self, texts: list[str], emb: np.ndarray, w: np.ndarray, labels: np.ndarray,
        encoder: Encoder | None, note: str | None = None,
    ) -> ThemeResult:
        raw_ids = [int(t) for t in np.unique(labels) if t >= 0]
        order = sorted(raw_ids, key=lambda t: (-float(w[labels == t].sum()), t))
        # renumber first: labels are made distinct in this order, largest theme first
        new_labels = np.full(len(texts), UNCLUSTERED, dtype=int)
        for new_id, t in enumerate(order):
            new_labels[labels == t] = new_id
        described = describe_themes(
            texts, emb, new_labels, w, encoder=encoder, n_terms=self.n_terms,
            n_candidates=self.n_candidates, ctfidf_model=self.ctfidf_model,
        )
        themes = []
        for new_id in range(len(order)):
            members = np.flatnonzero(new_labels == new_id)
            quotes = _mmr_quotes(emb, members, self.n_quotes)
            d = described[new_id]
            themes.append(
                Theme(new_id, d.label, d.terms, [int(q) for q in quotes], float(w[members].sum()),
                      members.tolist(), d.description)
            )
        unclustered = np.flatnonzero(new_labels == UNCLUSTERED)
        return ThemeResult(
            themes, new_labels, unclustered.tolist(), note, float(w[unclustered].sum())
        )


# --------------------------------------------------------------------------- labels and descriptions

Encoder = Callable[[Sequence[str]], np.ndarray]

# scikit-learn's English list without the content words it also holds (Nothman et al. 2018:
# "system", "call", "fire", "interest"... are topics, not function words), plus the
# auxiliaries, contractions (with and without apostrophe) and fillers of informal answers.
_NOT_STOP = {
    "amount", "bill", "bottom", "call", "con", "cry", "de", "describe", "detail", "empty", "fill", "find",
    "fire", "found", "front", "full", "interest", "mill", "move", "name", "part", "serious", "side",
    "sincere", "system", "thick", "thin", "top",
}
_CONTRACTIONS = """
aren't can't could've couldn't didn't doesn't don't hadn't hasn't haven't he'd he's i'd i'll i'm i've isn't
it'd it'll it's let's might've must've mustn't shan't she'd she's should've shouldn't that's there's they'd
they'll they're they've wasn't we'd we'll we're we've weren't what's where's who'd who'll who's who've won't
would've wouldn't you'd you'll you're you've
arent couldnt couldve didnt doesnt dont hadnt havent im isnt ive mustnt shouldnt shouldve thats theres theyre
theyve wasnt weve werent wont wouldnt wouldve youre youve
""".split()
_FILLERS = """
able actually basically bit certainly definitely did does doing feel felt frankly genuinely gets getting got
guess having honestly just know like literally lot lots maybe obviously ok okay probably quite really said say
says sure thing things think thought yeah yes
""".split()


# Words that start a new clause: a phrase holding one is two half phrases ("family why the
# waiting", "currencies can I use"), not a name for something.
CLAUSE_WORDS = frozenset("""
although as because but he how i if it since she so than that they though unless until we what whatever when
whenever where whereas whether which while who whom whose why you
""".split())


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset((set(ENGLISH_STOP_WORDS) - _NOT_STOP) | set(_CONTRACTIONS) | set(_FILLERS))


STOP_WORDS = _stop_words()

# Bracketed markers ("[redacted]", "[name]") and punctuation end a phrase; hyphens and
# apostrophes inside a word keep it whole ("opt-out", "don't").
_BREAK = re.compile(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}|[.,;:!?()\"“”/\\|…–—•*]|\s[-'‘’]+|[-'‘’]+\s|\n")
_MARKER = re.compile(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}")
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+|-[A-Za-z0-9]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

LABEL_WORDS = (2, 6)
DESCRIPTION_WORDS = 25
EXAMPLE_WORDS = 20


@dataclass
class ThemeText:
    """What a group of answers is called: a label, key terms and a one-sentence description."""

    label: str
    terms: list[str]
    description: str


@functools.lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A crude English stem, enough to see that "staff" and "staffing" are one word."""
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s$|s'$", "", w)
    for suffix, repl in (
        ("ies", "y"), ("sses", "ss"), ("ss", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"),
        ("ing", ""), ("ed", ""), ("s", ""), ("ly", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    # "advocate", "advocated", "advocating": one stem
    return w[:-1] if w.endswith("e") and len(w) > 4 else w


def describe_themes(
    texts: Sequence[str],
    embeddings: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    encoder: Encoder | None = None,
    n_terms: int = 10,
    n_candidates: int = 30,
    ctfidf_model: Any = None,
) -> dict[int, ThemeText]:
    """Label, key terms and description of every group (``labels[i] >= 0``) of the texts.

    Candidates are whole phrases of 1-4 words as written in the answers (not
    starting or ending with a stop word, no repeated word, nothing inside
    brackets), spelt as most answers spell them and used in enough answers of
    the group, ranked by BERTopic's class-based TF-IDF; short answers that
    several people gave word for word are label candidates too. With
    ``encoder`` (texts -> vectors, the model that made ``embeddings``)
    candidates are re-ranked by similarity to the group's centre, KeyBERT-style,
    and key terms are picked for diversity (maximal marginal relevance); without
    it the TF-IDF order is kept. The label is the best candidate of 2-6 words
    not taken by a larger group; the description is the answer sentence nearest
    the centre, shortened to about 25 words.
    """
    return _describe(texts, embeddings, labels, weights, encoder, n_terms, n_candidates, ctfidf_model)[0]


def _describe(
    texts: Sequence[str], embeddings: np.ndarray, labels: Sequence[int] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None, encoder: Encoder | None, n_terms: int, n_candidates: int,
    ctfidf_model: Any,
) -> tuple[dict[int, ThemeText], _Vocabulary | None]:
    texts = [str(t) for t in texts]
    labels = np.asarray(labels, dtype=int)
    emb = _normalize(np.asarray(embeddings, dtype=np.float32))
    w = _weights(weights, len(texts))
    if emb.ndim != 2 or emb.shape[0] != len(texts) or labels.shape != (len(texts),):
        raise ConsultError(f"got {len(texts)} texts, {emb.shape[0]} embeddings and {labels.size} theme labels")
    ids = sorted({int(t) for t in labels.tolist() if t >= 0})
    if not ids:
        return {}, None
    members = {t: np.flatnonzero(labels == t) for t in ids}
    centres = {t: _centre(emb[m], w[m]) for t, m in members.items()}
    vocab = _Vocabulary(texts, w)
    ranked, short = vocab.ranked_candidates(labels, ids, n_candidates, ctfidf_model)

    phrase_vecs: dict[str, np.ndarray] = {}
    if encoder is not None:
        wanted = sorted({vocab.surface(k) for t in ids for k in ranked[t] + short[t]})
        if wanted:
            vecs = _encode(encoder, wanted, emb.shape[1])
            phrase_vecs = dict(zip(wanted, vecs))

    descriptions = _central_sentences(texts, emb, members, centres, encoder)
    order = sorted(ids, key=lambda t: (-float(w[members[t]].sum()), t))
    taken: set[tuple[str, ...]] = set()
    out: dict[int, ThemeText] = {}
    for t in order:
        keys = ranked[t]
        if phrase_vecs:
            pool = keys + [k for k in short[t] if k not in keys]
            sims = np.array([float(phrase_vecs[vocab.surface(k)] @ centres[t]) for k in pool])
            options = [pool[i] for i in np.argsort(-sims, kind="stable")]
            vecs = np.stack([phrase_vecs[vocab.surface(k)] for k in keys]) if keys else None
            terms = _mmr_terms(keys, vecs, centres[t], n_terms)
        else:
            options = keys + [k for k in short[t] if k not in keys]
            terms = _distinct_terms(keys, n_terms)
        label = _pick_label(options, vocab, taken, descriptions[t])
        out[t] = ThemeText(label, [vocab.surface(k) for k in terms], descriptions[t])
    return out, vocab


def _encode(encoder: Encoder, texts: list[str], dim: int) -> np.ndarray:
    vecs = np.asarray(encoder(texts), dtype=np.float32)
    if vecs.shape != (len(texts), dim):
        raise ConsultError(
            f"the encoder gave vectors of shape {vecs.shape} for {len(texts)} texts;"
            f" the answers' embeddings have {dim} dimensions"
        )
    return _normalize(vecs)


def _centre(vecs: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean direction of unit vectors."""
    mean = (vecs * w[:, None]).sum(0) if w.sum() > 0 else vecs.mean(0)
    return _normalize(mean[None, :])[0]


class _Vocabulary:
    """The words and candidate phrases of one question's answers, with their counts and spellings."""

    def __init__(self, texts: list[str], weights: np.ndarray) -> None:
        self.weights = weights
        # each text: its segments (stretches between punctuation or markers), each a list of tokens
        self.segments = [
            [_TOKEN.findall(seg.replace("’", "'")) for seg in _BREAK.split(text)] for text in texts
        ]
        forms: dict[str, dict[str, float]] = {}
        doc_freq: dict[str, float] = {}
        for segs, wt in zip(self.segments, weights.tolist()):
            seen = set()
            for s_i, seg in enumerate(segs):
                for pos, tok in enumerate(seg):
                    low = tok.lower()
                    seen.add(low)
                    # a capital at the start of a sentence says nothing about the word's spelling
                    if not (pos == 0 and tok[:1].isupper() and tok[1:].islower()):
                        counts = forms.setdefault(low, {})
                        counts[tok] = counts.get(tok, 0.0) + wt
            for low in seen:
                doc_freq[low] = doc_freq.get(low, 0.0) + wt
        self.doc_freq = doc_freq
        self.fold = _misspellings(doc_freq)
        self.forms = {
            low: max(sorted(c.items()), key=lambda kv: kv[1])[0] for low, c in forms.items() if c
        }

    def word(self, low: str) -> str:
        """The most common spelling (case included) of a word, after correcting rare misspellings."""
        return self.forms.get(low, low)

    def surface(self, key: str) -> str:
        return " ".join(self.word(w) for w in key.split())

    def phrases(self, i: int, max_words: int = 4) -> dict[str, int]:
        """Candidate phrases of text ``i`` (lower case, misspellings corrected) and how often it uses each."""
        out: dict[str, int] = {}
        for seg in self.segments[i]:
            # a single letter ("N/A" -> "N", "A") ends a phrase like a clause word
            words = [self.fold.get(t.lower(), t.lower()) if len(t) > 1 or t.isdigit() else "" for t in seg]
            for a in range(len(words)):
                if words[a] in STOP_WORDS or not words[a]:
                    continue
                for b in range(a + 1, min(a + max_words, len(words)) + 1):
                    if words[b - 1] in CLAUSE_WORDS or not words[b - 1]:
                        break
                    gram = words[a:b]
                    stems = [stem(g) for g in gram]
                    if len(set(stems)) < len(stems):
                        break  # longer phrases repeat the word too
                    if gram[-1] not in STOP_WORDS and not all(g.isdigit() for g in gram):
                        key = " ".join(gram)
                        out[key] = out.get(key, 0) + 1
        return out

    def short_answer(self, i: int) -> str | None:
        """Text ``i`` as a label candidate if it is one phrase of 2-6 words (lower case), else None."""
        segs = [seg for seg in self.segments[i] if seg]
        if len(segs) != 1 or not LABEL_WORDS[0] <= len(segs[0]) <= LABEL_WORDS[1]:
            return None
        words = [self.fold.get(t.lower(), t.lower()) for t in segs[0]]
        stems = [stem(x) for x in words]
        if len(set(stems)) < len(stems) or all(x in STOP_WORDS for x in words):
            return None
        return " ".join(words)

    def ranked_candidates(
        self, labels: np.ndarray, ids: list[int], n: int, ctfidf_model: Any, n_short: int = 5
    ) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
        """Per group: up to ``n`` phrases by class-based TF-IDF, used in enough of its answers;
        and up to ``n_short`` short answers that enough of its answers give word for word."""
        from scipy import sparse

        from bertopic.vectorizers import ClassTfidfTransformer

        index: dict[str, int] = {}
        rows, cols, occurrences = [], [], []
        for i, lab in enumerate(labels.tolist()):
            if lab < 0:
                continue
            for p, c in sorted(self.phrases(i).items()):
                rows.append(i)
                cols.append(index.setdefault(p, len(index)))
                occurrences.append(c)
        short_counts: dict[int, dict[str, float]] = {t: {} for t in ids}
        for i, lab in enumerate(labels.tolist()):
            key = self.short_answer(i) if lab >= 0 else None
            if key is not None:
                short_counts[lab][key] = short_counts[lab].get(key, 0.0) + float(self.weights[i])
        if not index:
            return {t: [] for t in ids}, {t: [] for t in ids}
        vocab = np.array(sorted(index, key=index.get), dtype=object)
        docs = sparse.csr_matrix((occurrences, (rows, cols)), shape=(len(labels), len(index)), dtype=np.float64)
        used_in = docs.copy()
        used_in.data[:] = 1.0
        pos = {t: k for k, t in enumerate(ids)}
        keep = labels >= 0
        member = sparse.csr_matrix(
            (self.weights[keep], ([pos[int(t)] for t in labels[keep]], np.flatnonzero(keep))),
            shape=(len(ids), len(labels)),
        )
        counts = (member @ docs).tocsr()  # occurrences, as BERTopic's c-TF-IDF counts them
        users = (member @ used_in).tocsr()  # respondents (weighted) in each group using each phrase
        model = ctfidf_model if ctfidf_model is not None else ClassTfidfTransformer(reduce_frequent_words=True)
        if counts.shape[1] > 1:
            scores = model.fit_transform(counts.copy()).tocsr()  # it normalises its input in place
        else:  # one phrase in all: nothing to rank (and ClassTfidfTransformer fails on it)
            scores = counts.copy()
        out: dict[int, list[str]] = {}
        short: dict[int, list[str]] = {}
        for t, k in pos.items():
            row_c = users.getrow(k)
            total = float(self.weights[labels == t].sum())
            # a phrase must be used in answers standing for 2 respondents and 1% of the group
            floor = max(min(2.0, total), 0.01 * total)
            common = sorted((-c, key) for key, c in short_counts[t].items() if c >= floor)
            short[t] = [key for _, key in common[:n_short]]
            used = dict(zip(row_c.indices.tolist(), row_c.data.tolist()))
            row = scores.getrow(k)
            cand = [
                (-float(s), str(vocab[j])) for j, s in zip(row.indices.tolist(), row.data.tolist())
                if s > 0 and used.get(j, 0.0) >= floor
            ]
            cand.sort()
            out[t] = [p for _, p in cand[:n]]
        return out, short


def _misspellings(freq: Mapping[str, float], min_len: int = 5, ratio: float = 5.0) -> dict[str, str]:
    """Words one edit away from a word used ``ratio`` times as often: taken as its misspelling.

    Plural and similar endings ("advocate"/"advocates") are not misspellings.
    """
    words = [w for w in freq if len(w) >= min_len and w.isalpha() and w not in STOP_WORDS]
    by_delete: dict[str, list[str]] = {}
    for w in words:
        for k in {w[:i] + w[i + 1 :] for i in range(len(w))} | {w}:
            by_delete.setdefault(k, []).append(w)
    out: dict[str, str] = {}
    for w in words:
        best = None
        for k in {w[:i] + w[i + 1 :] for i in range(len(w))} | {w}:
            for v in by_delete.get(k, ()):
                if v == w or freq[v] < ratio * freq[w] or stem(v) == stem(w) or not _one_edit(w, v):
                    continue
                if best is None or (freq[v], v) > (freq[best], best):
                    best = v
        if best is not None:
            out[w] = best
    return out


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1 :]


def _stem_key(key: str) -> tuple[str, ...]:
    """What makes two phrases the same label: their content words' stems, in any order."""
    return tuple(sorted(stem(w) for w in key.lower().split() if w not in STOP_WORDS)) or (key.lower(),)


def _pick_label(keys: list[str], vocab: _Vocabulary, taken: set[tuple[str, ...]], description: str) -> str:
    """The first candidate of 2-6 words not already taken; else two top words ("X and Y"); else the
    description's first words; else one word; else the description's words numbered."""
    lo, hi = LABEL_WORDS
    singles = [k for k in keys if " " not in k]
    options = [k for k in keys if lo <= len(k.split()) <= hi]
    options += [f"{a} and {b}" for i, a in enumerate(singles) for b in singles[i + 1 :] if stem(a) != stem(b)]
    for key in options:
        if _stem_key(key) not in taken:
            taken.add(_stem_key(key))
            return _sentence_case(vocab.surface(key))
    words: list[str] = []
    for w in _TOKEN.findall(_MARKER.sub(" ", description)):
        if stem(w) not in {stem(x) for x in words}:
            words.append(w)
    opening = _sentence_case(" ".join(words[:hi]))
    if len(words) >= lo and _stem_key(opening) not in taken:
        taken.add(_stem_key(opening))
        return opening
    for key in singles:  # a one-word label only when nothing longer is left
        if _stem_key(key) not in taken:
            taken.add(_stem_key(key))
            return _sentence_case(vocab.surface(key))
    base = opening or "Other answers"
    label, i = base, 2
    while _stem_key(label) in taken:
        label, i = f"{base} ({i})", i + 1
    taken.add(_stem_key(label))
    return label


def _distinct_terms(keys: list[str], n: int) -> list[str]:
    out, seen = [], set()
    for k in keys:
        s = _stem_key(k)
        if s not in seen:
            seen.add(s)
            out.append(k)
        if len(out) == n:
            break
    return out


def _mmr_terms(
    keys: list[str], vecs: np.ndarray | None, centre: np.ndarray, n: int, diversity: float = 0.3
) -> list[str]:
    """Up to ``n`` candidates close to the centre and unlike each other (maximal marginal relevance)."""
    if vecs is None or not keys:
        return []
    relevance = vecs @ centre
    chosen: list[int] = []
    stems: set[tuple[str, ...]] = set()
    while len(chosen) < n:
        score = (1 - diversity) * relevance
        if chosen:
            score = score - diversity * (vecs @ vecs[chosen].T).max(1)
        for i in range(len(keys)):
            if i in chosen or _stem_key(keys[i]) in stems:
                score[i] = -np.inf
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        chosen.append(best)
        stems.add(_stem_key(keys[best]))
    return [keys[i] for i in chosen]


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def split_sentences(text: str) -> list[str]:
    """The sentences of an answer (at . ! ? and line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(str(text)) if s and s.strip()]


# Openings about the respondent or the answer rather than the point ("Yes,", "Finally,",
# "I strongly believe", "In my experience,", "As a parent,").
_LEAD_IN = re.compile(
    r"^(?:(?:yes|no|agree|disagree|strongly agree|strongly disagree|because|so|well|also|however|overall"
    r"|personally|honestly|frankly|finally|firstly|secondly|thirdly|lastly|besides that|in addition|additionally"
    r"|at the same time|in short|put simply|simply put|to be honest|for me|for us|the way i see it"
    r"|(?:in|from) (?:my|our) (?:view|opinion|experience)|(?:our|my) (?:view|position|experience) is(?: that)?"
    r"|the (?:reality|truth|fact) is(?: that)?|another thing is|what's more|equally|as well as that|alongside this"
    r"|i have to say|i suppose|i'm convinced|i am convinced|we are clear that|and another thing"
    r"|i(?: strongly| really| genuinely| honestly| truly| firmly| personally| also| still| do| would| very much"
    r"| just|'d| 'd|’d)*"
    r" (?:agree|disagree|think|believe|feel|say|argue|suggest)(?: that)?"
    r"|as an? [^,.;:]{1,50}(?=,))\b[\s,.:;!-]*)+",
    re.IGNORECASE,
)


def strip_lead_in(text: str) -> str:
    """The sentence without an opening about the respondent or the answer, if enough is left."""
    stripped = _LEAD_IN.sub("", text).strip()
    return _sentence_case(stripped) if len(stripped.split()) >= 3 else text


def clean_sentence(text: str, max_words: int) -> str:
    """A sentence without bracketed markers, at most ``max_words`` words (cut at a clause if it can be)."""
    text = re.sub(r"\s+", " ", _MARKER.sub(" ", text)).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text).strip(" ,;:-")
    words = text.split()
    if not words:
        return ""
    if len(words) > max_words:
        cut = max_words
        for i in range(max_words - 1, max_words // 3, -1):
            if words[i - 1][-1:] in ",;:":
                cut = i
                break
        words = words[:cut]
        while len(words) > 1 and re.sub(r"\W", "", words[-1].lower()) in STOP_WORDS:
            words.pop()
        text = " ".join(words).rstrip(",;:-") + "…"
    elif text[-1] not in ".!?…":
        text += "."
    return _sentence_case(text)


def _central_sentences(
    texts: list[str], emb: np.ndarray, members: dict[int, np.ndarray], centres: dict[int, np.ndarray],
    encoder: Encoder | None, n_answers: int = 5,
) -> dict[int, str]:
    """Per group, its most central sentence (among those of its most central answers), cleaned."""
    pieces: dict[int, list[tuple[float, int, int, str]]] = {}
    to_embed: list[str] = []
    for t, m in members.items():
        sims = emb[m] @ centres[t]
        near = m[np.argsort(-sims, kind="stable")[:n_answers]]
        rows = []
        for rank, i in enumerate(near.tolist()):
            sents = split_sentences(texts[i])
            answer_sim = float(emb[i] @ centres[t])
            for k, s in enumerate(sents):
                if len(sents) == 1 or encoder is None:
                    # without an encoder a sentence ranks as its answer, earlier sentences first
                    rows.append((answer_sim - 1e-4 * k, rank, -1, s))
                else:
                    rows.append((0.0, rank, len(to_embed), s))
                    to_embed.append(s)
        pieces[t] = rows
    vecs = None
    if to_embed and encoder is not None:
        vecs = _encode(encoder, to_embed, emb.shape[1])
    out = {}
    for t, rows in pieces.items():
        scored = []
        for sim, rank, j, s in rows:
            if j >= 0:
                sim = float(vecs[j] @ centres[t])
            n_words = len(s.split())
            fits = 4 <= n_words <= DESCRIPTION_WORDS and not _MARKER.search(s)
            scored.append((not fits, -sim, rank, s))
        scored.sort()
        out[t] = clean_sentence(strip_lead_in(clean_sentence(scored[0][3], 10**6)), DESCRIPTION_WORDS) if scored else ""
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


class CodebookDraft(NamedTuple):
    """A draft codebook (the YAML structure of docs/formats.md), the number of themes
    merged into another theme's code, and the theme ids behind each code."""

    codebook: dict[str, Any]
    n_merged: int
    groups: list[list[int]]


def merge_themes(centres: np.ndarray, max_codes: int = 12, min_similarity: float = 0.8) -> np.ndarray:
    """Which code each theme goes to: themes whose centres are alike (average cosine
    similarity above ``min_similarity``) share one, and there are at most ``max_codes``.

    Returns one group number per row of ``centres``, numbered in order of first theme.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    x = _normalize(np.asarray(centres, dtype=np.float64))
    n = x.shape[0]
    if max_codes < 1:
        raise ConsultError(f"max_codes must be at least 1, not {max_codes}")
    if n < 2:
        return np.zeros(n, dtype=int)
    dist = np.clip(1.0 - x @ x.T, 0.0, 2.0)
    condensed = dist[np.triu_indices(n, 1)]
    tree = linkage(condensed, method="average")
    groups = fcluster(tree, 1.0 - min_similarity, criterion="distance")
    if groups.max() > max_codes:
        groups = fcluster(tree, max_codes, criterion="maxclust")
    _, first = np.unique(groups, return_index=True)
    order = {int(groups[i]): k for k, i in enumerate(sorted(first))}
    return np.array([order[int(g)] for g in groups], dtype=int)


def propose_codebook(
    question_id: str,
    texts: Sequence[str],
    embeddings: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    encoder: Encoder | None = None,
    max_codes: int = 12,
    merge_similarity: float = 0.8,
    max_examples: int = 3,
    n_candidates: int = 30,
) -> CodebookDraft:
    """A draft codebook from the themes of one question, of a size reviewers keep.

    ``labels[i]`` is the theme of text ``i`` (-1: none), ``weights[i]`` the
    respondents it stands for. Near themes are merged (:func:`merge_themes`);
    each code is labelled afresh from its answers (:func:`describe_themes`),
    described in a plain sentence and given up to ``max_examples`` examples:
    single sentences of at most 20 words from different central answers.
    """
    texts = [str(t) for t in texts]
    labels = np.asarray(labels, dtype=int)
    emb = _normalize(np.asarray(embeddings, dtype=np.float32))
    w = _weights(weights, len(texts))
    if emb.ndim != 2 or emb.shape[0] != len(texts) or labels.shape != (len(texts),):
        raise ConsultError(f"got {len(texts)} texts, {emb.shape[0]} embeddings and {labels.size} theme labels")
    ids = sorted({int(t) for t in labels.tolist() if t >= 0})
    if not ids:
        return CodebookDraft({"question": question_id, "codes": []}, 0, [])
    centres = np.stack([_centre(emb[labels == t], w[labels == t]) for t in ids])
    group_of = merge_themes(centres, max_codes, merge_similarity)
    groups = [[ids[i] for i in np.flatnonzero(group_of == g)] for g in range(int(group_of.max()) + 1)]
    groups.sort(key=lambda g: (-float(w[np.isin(labels, g)].sum()), g[0]))
    code_labels = np.full(len(texts), UNCLUSTERED, dtype=int)
    for k, g in enumerate(groups):
        code_labels[np.isin(labels, g)] = k
    described, vocab = _describe(texts, emb, code_labels, w, encoder, 10, n_candidates, None)
    members = {k: np.flatnonzero(code_labels == k) for k in range(len(groups))}
    examples = _examples(texts, emb, members, {k: _centre(emb[m], w[m]) for k, m in members.items()},
                         encoder, max_examples)
    codes, used = [], {OTHER, NON_SUBSTANTIVE}
    for k in range(len(groups)):
        d = described[k]
        codes.append(_code(d.label, code_description(d.description, vocab), examples[k], used))
    return CodebookDraft({"question": question_id, "codes": codes}, len(ids) - len(groups), groups)


def draft_codebook(
    result: ThemeResult, question_id: str, texts: Sequence[str], max_examples: int = 3
) -> dict[str, Any]:
    """A draft codebook from stored themes, one code per theme (no merging: see :func:`propose_codebook`).

    ``texts`` holds at least the themes' quotes (``theme.quotes`` index it).
    """
    codes: list[dict[str, Any]] = []
    used = {OTHER, NON_SUBSTANTIVE}
    for theme in result.themes:
        picked: list[str] = []
        for q in theme.quotes:
            sentence = next((s for s in split_sentences(texts[q]) if _fits_example(s)), None)
            if sentence is not None and _add_example(picked, sentence) and len(picked) == max_examples:
                break
        sentence = theme.description or next(
            (s for q in theme.quotes[:1] for s in split_sentences(texts[q])), ""
        )
        codes.append(_code(theme.label, code_description(sentence), picked, used))
    return {"question": question_id, "codes": codes}


def _code(label: str, description: str, examples: list[str], used: set[str]) -> dict[str, Any]:
    code_id = unique_id(slugify(label)[:48].strip("-"), used)  # ids stay short enough to type
    return {
        "id": code_id,
        "label": label,
        "description": description,
        "examples": examples,
        "counter_examples": [],
        "parent": None,
    }


# A sentence starting with one of these, or whose second word is one of _VERBS, reads after "saying that".
_SUBJECTS = frozenset(
    "i we they it he she you there this these those that the a an my our their his her its your some many "
    "most all every each no any more people everyone everybody nobody someone".split()
)
_VERBS = frozenset(
    "is are was were be been has have had do does did can can't cannot could should shouldn't must would will "
    "won't may might need needs needed want wants feel feels seem seems get gets got don't doesn't didn't isn't "
    "aren't wasn't weren't".split()
)


def code_description(sentence: str, vocab: Any = None) -> str:
    """A plain-sentence code description built from a theme's central sentence.

    "Answers saying that ..." when the sentence reads as a statement, else
    'Answers such as: "..."' (or 'Answers asking: "..."' for a question).
    """
    core = strip_lead_in(clean_sentence(sentence, DESCRIPTION_WORDS))
    if not core:
        return "Answers like the examples."
    if core.endswith("?"):
        return f'Answers asking: "{core}"'
    words = core.split()
    first = re.sub(r"[^\w']", "", words[0]).lower()
    second = re.sub(r"[^\w']", "", words[1]).lower() if len(words) > 1 else ""
    if len(words) < 3 or (first not in _SUBJECTS and second not in _VERBS):
        return f'Answers such as: "{core}"'
    head = words[0]
    keep_case = head == "I" or head.startswith("I'") or any(c.isupper() for c in head[1:])
    if not keep_case and vocab is not None and first not in STOP_WORDS:
        keep_case = vocab.word(first)[:1].isupper()  # a name ("Ofsted said ...")
    body = core if keep_case else core[:1].lower() + core[1:]
    return f"Answers saying that {body}" + ("" if body[-1] in ".…!" else ".")


def _fits_example(sentence: str) -> bool:
    n = len(sentence.split())
    return 3 <= n <= EXAMPLE_WORDS and not _MARKER.search(sentence)


def _add_example(picked: list[str], sentence: str) -> bool:
    text = strip_lead_in(clean_sentence(sentence, EXAMPLE_WORDS))
    if not text or text.lower() in {p.lower() for p in picked}:
        return False
    picked.append(text)
    return True


def _examples(
    texts: list[str], emb: np.ndarray, members: dict[int, np.ndarray], centres: dict[int, np.ndarray],
    encoder: Encoder | None, k: int,
) -> dict[int, list[str]]:
    """Per group, up to ``k`` single-sentence examples of at most 20 words from different central answers.

    With an encoder, the sentences nearest the centre (one per answer, no two alike);
    without, the first short sentence of each of the central, mutually different answers.
    """
    candidates: dict[int, list[tuple[int, str]]] = {}
    to_embed: list[str] = []
    for t, m in members.items():
        quotes = _mmr_quotes(emb, m, 4 * k) if len(m) else []
        rows = []
        for q in quotes:
            sents = split_sentences(texts[q])
            for sent in sents:
                if _fits_example(sent):
                    rows.append((q, sent))
                    if encoder is not None and len(sents) > 1:
                        to_embed.append(sent)
                    if encoder is None:
                        break
        candidates[t] = rows
    vec: dict[str, np.ndarray] = {}
    if to_embed:
        uniq = sorted(set(to_embed))
        vec = dict(zip(uniq, _encode(encoder, uniq, emb.shape[1])))
    out: dict[int, list[str]] = {}
    for t, rows in candidates.items():
        picked: list[str] = []
        if encoder is None:
            for _, sent in rows:
                if _add_example(picked, sent) and len(picked) == k:
                    break
            out[t] = picked
            continue
        vecs = np.stack([vec.get(sent, emb[q]) for q, sent in rows]) if rows else np.zeros((0, emb.shape[1]))
        sims = vecs @ centres[t]
        used_answers: set[int] = set()
        chosen: list[int] = []
        for j in np.argsort(-sims, kind="stable").tolist():
            q, sent = rows[j]
            if q in used_answers or (chosen and float((vecs[chosen] @ vecs[j]).max()) > 0.9):
                continue
            if _add_example(picked, sent):
                used_answers.add(q)
                chosen.append(j)
                if len(picked) == k:
                    break
        out[t] = picked
    return out


def themes_as_dict(result: ThemeResult) -> Mapping[str, Any]:
    """Plain data (JSON-ready) view of a result."""
    return {
        "themes": [t.__dict__ for t in result.themes],
        "labels": result.labels.tolist(),
        "unclustered": result.unclustered,
        "note": result.note,
    }
