"""Map answers to the codes of a human codebook (multi-label, with confidences).

With no reviewed answers, :class:`CodeAssigner` works zero-shot from the
codebook: each code's label, description, examples and counter-examples are
embedded, answers are scored by similarity to them, the scores are turned into
probabilities calibrated on the codebook's own examples, and (when the
unreviewed answers are given) linear models on the embeddings and on the words
are self-trained on the confident zero-shot labels and the codebook's texts. As reviewers code answers it learns from them: a
one-vs-rest ridge classifier on the embeddings with a logistic calibration,
blended with the zero-shot prior for codes with few reviewed examples; the
ridge penalty, calibration and decision threshold are set by cross-validation
inside the reviewed answers. Closed-form ridge keeps retraining fast.

Inputs are duck-typed: codes are objects with ``id`` and ``label`` (and
optionally ``description``, ``examples``, ``counter_examples``); embeddings are
precomputed L2-normalised arrays, so this module never loads a model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy import sparse
from scipy.optimize import minimize
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from consult.codebook import OTHER
from consult.errors import ConsultError

MODEL_VERSION = "assign-5"

Encoder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Assignment:
    """One code given to one answer, with a confidence in [0, 1]."""

    code: str
    confidence: float
    model_version: str = MODEL_VERSION


@dataclass
class CodePrototypes:
    """Embeddings of what a code is (positive) and what it is not (negative)."""

    positive: np.ndarray
    negative: np.ndarray


def code_texts(code: object) -> tuple[list[str], list[str]]:
    """The texts that describe a code (label, description, examples) and its counter-examples."""
    label = str(getattr(code, "label", "") or getattr(code, "id", "")).strip()
    positive = [label] if label else []
    description = str(getattr(code, "description", "") or "").strip()
    if description:
        positive.append(description)
    positive += [str(e).strip() for e in (getattr(code, "examples", None) or []) if str(e).strip()]
    negative = [
        str(e).strip() for e in (getattr(code, "counter_examples", None) or []) if str(e).strip()
    ]
    if not positive:
        positive = [str(code.id)]
    return positive, negative


def embed_codebook(codes: Iterable[object], encode: Encoder) -> dict[str, CodePrototypes]:
    """Embed every code's texts with ``encode`` (texts -> L2-normalised array), in one batch."""
    codes = list(codes)
    texts: list[str] = []
    spans = []
    for code in codes:
        pos, neg = code_texts(code)
        spans.append((len(texts), len(pos), len(neg)))
        texts += pos + neg
    emb = _as_matrix(encode(texts), "code embeddings") if texts else np.zeros((0, 0))
    out = {}
    for code, (start, n_pos, n_neg) in zip(codes, spans):
        out[str(code.id)] = CodePrototypes(
            positive=emb[start : start + n_pos],
            negative=emb[start + n_pos : start + n_pos + n_neg],
        )
    return out


def _as_matrix(x, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim != 2:
        raise ConsultError(f"{what} must be a 2-D array, got shape {arr.shape}")
    return arr


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def fit_ovr_logistic(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    sample_weight: np.ndarray | None = None,
    l2: float = 1e-3,
    max_iter: int = 200,
) -> np.ndarray:
    """One-vs-rest L2 logistic regression for all columns of ``Y`` at once.

    Returns weights of shape (d + 1, k), the last row the intercepts. Full-batch
    L-BFGS, so the result is deterministic.
    """
    n, d = X.shape
    k = Y.shape[1]
    Xb = np.hstack([X, np.ones((n, 1), dtype=X.dtype)]).astype(np.float64)
    Yf = Y.astype(np.float64)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w = w / w.sum()
    reg = np.full((d + 1, 1), l2)
    reg[-1] = 0.0  # intercepts are not penalised

    def loss(flat):
        W = flat.reshape(d + 1, k)
        Z = Xb @ W
        # log(1 + e^z) - y z, stable
        ll = np.logaddexp(0.0, Z) - Yf * Z
        G = (_sigmoid(Z) - Yf) * w[:, None]
        value = float((ll * w[:, None]).sum() + 0.5 * (reg * W * W).sum())
        grad = Xb.T @ G + reg * W
        return value, grad.ravel()

    res = minimize(
        loss,
        np.zeros((d + 1) * k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter},
    )
    return res.x.reshape(d + 1, k)


def _fit_sparse_logistic(
    T: sparse.csr_matrix, y: np.ndarray, C: float, sample_weight: np.ndarray | None = None
) -> np.ndarray:
    """Weights (d + 1,) of a binary L2 logistic regression on sparse features (intercept last)."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, solver="liblinear", class_weight="balanced", random_state=0)
    clf.fit(T, y, sample_weight=sample_weight)
    return np.concatenate([clf.coef_[0], clf.intercept_])


def _predict_logistic(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    return _sigmoid(X.astype(np.float64) @ W[:-1] + W[-1])


class CodeAssigner:
    """Give each answer one or more codes of a codebook, or ``"other"``.

    Parameters
    ----------
    random_state:
        Seed for the cross-validation folds (everything else is deterministic).
    threshold:
        Probability a code needs to be given besides the top one; ``None``
        chooses it by cross-validation on the reviewed answers (0.5 without).
    relative:
        A code besides the top one also needs at least ``relative`` times the
        top code's probability.
    min_confidence:
        Below this top probability an answer is coded ``"other"``.
    prior_strength:
        How many reviewed examples of a code weigh as much as the zero-shot prior.
    l2:
        L2 penalty of the self-trained logistic regression.
    alphas:
        Ridge penalties tried (by cross-validation) for learning from reviewers.
    self_training:
        Train on confident zero-shot labels of the unreviewed answers (when
        ``unlabeled_embeddings`` are given to :meth:`fit`): per code, the half
        of its answers with the widest margin over the runner-up code, each
        weighted by that margin, together with the codebook's own texts.
    cv_folds:
        Folds for choosing ``threshold``.
    prior_scales:
        Factors on the zero-shot probabilities tried by cross-validation once
        there are reviewed answers (the codebook's wording may over- or
        under-state how often a code applies; 0 trusts the reviewers alone).
    text_features:
        Also learn from the words of reviewed answers (TF-IDF of word and
        character n-grams, a kernel ridge), when their texts are given.
    text_weight:
        Weight of the text model's scores against the embedding model's.
    text_alpha:
        Ridge penalty of the text model.
    max_text_reviewed:
        The text model learns from at most this many reviewed answers (a seeded
        random sample), which bounds retraining time; the embedding model uses all.
    top_k:
        A code's zero-shot score is the mean similarity of its ``top_k`` most
        similar texts (label, description, examples). ``None`` chooses it from
        ``top_k_grid`` by how well it classifies the codebook's own examples
        (leave-one-out, each code weighing alike); the choice is ``top_k_``.
    top_k_grid:
        Values of ``top_k`` tried when it is ``None``.
    other_quantile:
        An answer is "other" only when no code is near: its best similarity to
        any code is below this quantile of the best similarities of the
        codebook's own examples (leave-one-out), as well as the top code being
        unlikely. With reviewed answers this damps the "other" implied by no
        code fitting, not the "other" reviewers taught. ``None`` turns the
        nearness test off.
    self_training_rounds:
        Rounds of self-training; each relabels the unreviewed answers with the
        previous round's model.
    text_l2:
        Inverse L2 penalty (C) of the self-trained TF-IDF model, used when
        ``unlabeled_texts`` are given to :meth:`fit` and ``text_features`` is on.
    """

    def __init__(
        self,
        *,
        random_state: int = 0,
        threshold: float | None = None,
        relative: float = 0.5,
        min_confidence: float = 0.1,
        prior_strength: float = 10.0,
        l2: float = 1e-3,
        self_training: bool = True,
        cv_folds: int = 3,
        alphas: Sequence[float] = (0.3, 1.0, 3.0, 10.0),
        max_iter: int = 200,
        prior_scales: Sequence[float] = (1.0, 0.5, 0.0),
        text_features: bool = True,
        text_weight: float = 0.5,
        text_alpha: float = 1.0,
        max_text_reviewed: int = 1500,
        top_k: int | None = None,
        top_k_grid: Sequence[int] = (1, 2, 3, 4, 5, 6, 8, 10, 15),
        other_quantile: float | None = 0.05,
        self_training_rounds: int = 2,
        text_l2: float = 1.0,
    ) -> None:
        self.random_state = random_state
        self.threshold = threshold
        self.relative = relative
        self.min_confidence = min_confidence
        self.prior_strength = prior_strength
        self.l2 = l2
        self.self_training = self_training
        self.cv_folds = cv_folds
        self.alphas = tuple(alphas)
        self.max_iter = max_iter
        self.prior_scales = tuple(prior_scales)
        self.text_features = text_features
        self.text_weight = text_weight
        self.text_alpha = text_alpha
        self.max_text_reviewed = max_text_reviewed
        self.top_k = top_k
        self.top_k_grid = tuple(top_k_grid)
        self.other_quantile = other_quantile
        self.self_training_rounds = self_training_rounds
        self.text_l2 = text_l2
        self._check_params()

    def _check_params(self) -> None:
        """A ValueError naming the first parameter with a bad type or value (a programmer's error:
        settings from a config are checked by consult.settings before they get here)."""
        _check_int("random_state", self.random_state)
        _check_number("threshold", self.threshold, 0.0, 1.0, optional=True)
        _check_number("relative", self.relative, 0.0, 1.0)
        _check_number("min_confidence", self.min_confidence, 0.0, 1.0)
        _check_number("prior_strength", self.prior_strength, 0.0)
        _check_number("l2", self.l2, 0.0, low_open=True)
        _check_bool("self_training", self.self_training)
        _check_int("cv_folds", self.cv_folds, 2)
        _check_numbers("alphas", self.alphas, 0.0, low_open=True)
        _check_int("max_iter", self.max_iter, 1)
        _check_numbers("prior_scales", self.prior_scales, 0.0)
        _check_bool("text_features", self.text_features)
        _check_number("text_weight", self.text_weight, 0.0, 1.0)
        _check_number("text_alpha", self.text_alpha, 0.0, low_open=True)
        _check_int("max_text_reviewed", self.max_text_reviewed, 1)
        _check_int("top_k", self.top_k, 1, optional=True)
        if not self.top_k_grid:
            raise ValueError("top_k_grid must hold at least one value")
        for k in self.top_k_grid:
            _check_int("top_k_grid", k, 1)
        _check_number("other_quantile", self.other_quantile, 0.0, 1.0, optional=True)
        _check_int("self_training_rounds", self.self_training_rounds, 0)
        _check_number("text_l2", self.text_l2, 0.0, low_open=True)

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        codes: Sequence[object],
        reviewed_texts: Sequence[str] = (),
        reviewed_embeddings: np.ndarray | None = None,
        reviewed_labels: Sequence[set[str]] = (),
        *,
        code_embeddings: Mapping[str, CodePrototypes] | None = None,
        encode: Encoder | None = None,
        unlabeled_embeddings: np.ndarray | None = None,
        unlabeled_texts: Sequence[str] | None = None,
    ) -> CodeAssigner:
        """Learn from the codebook and the reviewed answers (there may be none).

        ``code_embeddings`` are from :func:`embed_codebook`; or pass ``encode``
        and they are computed here. ``reviewed_labels`` holds one set of code
        ids per reviewed answer (``"other"`` allowed). ``unlabeled_texts``
        (parallel to ``unlabeled_embeddings``) let self-training also learn
        from the answers' words.
        """
        codes = [c for c in codes if str(c.id) != OTHER]
        if not codes:
            raise ConsultError("the codebook has no codes to assign")
        # the matrices are small: BLAS threads cost more than they save on a shared machine
        with threadpool_limits(limits=1):
            return self._fit(codes, reviewed_texts, reviewed_embeddings, reviewed_labels,
                             code_embeddings, encode, unlabeled_embeddings, unlabeled_texts)

    def _fit(self, codes, reviewed_texts, reviewed_embeddings, reviewed_labels,
             code_embeddings, encode, unlabeled_embeddings, unlabeled_texts=None) -> CodeAssigner:
        ids = [str(c.id) for c in codes]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ConsultError(f"the codebook repeats code id(s): {', '.join(dup)}")
        if code_embeddings is None:
            if encode is None:
                raise ConsultError("fit needs code_embeddings or an encode function")
            code_embeddings = embed_codebook(codes, encode)
        missing = [i for i in ids if i not in code_embeddings]
        if missing:
            raise ConsultError(f"no code embeddings for code(s): {', '.join(missing)}")
        self.classes_ = np.array(ids + [OTHER], dtype=object)
        self._index = {c: j for j, c in enumerate(self.classes_)}

        R, labels = self._reviewed(reviewed_texts, reviewed_embeddings, reviewed_labels)

        self._fit_prototypes(ids, code_embeddings)
        # the codebook's own texts, for the self-trained word model
        self._code_texts = [(t, j) for j, c in enumerate(codes) for t in code_texts(c)[0]]
        self._choose_top_k()
        self._fit_calibration()
        U = None
        if unlabeled_embeddings is not None and len(unlabeled_embeddings):
            U = _normalise(_as_matrix(unlabeled_embeddings, "unlabeled embeddings"))
        self._st_W = None
        self._st_text = None
        # the unlabeled answers' n-grams are counted on the first refit (see _NgramCounts)
        self._pool_texts = None if unlabeled_texts is None else [str(t) for t in unlabeled_texts]
        self._counts = None
        if self.self_training and U is not None:
            if unlabeled_texts is not None and len(unlabeled_texts) != len(U):
                raise ConsultError(
                    f"{len(unlabeled_texts)} unlabeled texts but {len(U)} unlabeled embeddings"
                )
            self._self_train_rounds(U, unlabeled_texts)
        self._learn_reviewed(reviewed_texts, R, labels)
        return self

    def refit(
        self,
        reviewed_texts: Sequence[str] = (),
        reviewed_embeddings: np.ndarray | None = None,
        reviewed_labels: Sequence[set[str]] = (),
    ) -> CodeAssigner:
        """Learn again from the reviewed answers, keeping what :meth:`fit` learnt from the codebook
        and the unreviewed answers.

        The result is the same as calling :meth:`fit` again with these reviewed answers and the
        same codebook and unlabeled answers, without redoing the zero-shot part and the
        self-training: only the closed-form ridge, the word model and their cross-validation
        are refitted, which takes well under a second for a few thousand answers (for the
        review queue, which refits while people work).
        """
        self._check_fitted()
        with threadpool_limits(limits=1):
            R, labels = self._reviewed(reviewed_texts, reviewed_embeddings, reviewed_labels)
            if self._counts is None and self._pool_texts and self.text_features:
                # refits come often: analyse the unlabeled answers' words once, not at every refit
                self._counts = _NgramCounts.of(self._pool_texts)
            self._learn_reviewed(reviewed_texts, R, labels)
        return self

    def _reviewed(self, reviewed_texts, reviewed_embeddings, reviewed_labels) -> tuple[np.ndarray, list[set[str]]]:
        """The reviewed embeddings (normalised) and label sets, checked against the classes."""
        labels = [set(map(str, s)) for s in reviewed_labels]
        n_rev = len(labels)
        if not n_rev:
            return np.zeros((0, 0), dtype=np.float32), labels
        R = _as_matrix(reviewed_embeddings, "reviewed embeddings")
        if len(R) != n_rev or (reviewed_texts and len(reviewed_texts) != n_rev):
            raise ConsultError(
                f"{n_rev} reviewed label sets but {len(R)} reviewed embeddings"
                f" and {len(reviewed_texts)} reviewed texts"
            )
        unknown = sorted(set().union(*labels) - set(self._index))
        if unknown:
            raise ConsultError(
                "reviewed answers use code(s) not in the codebook: " + ", ".join(unknown)
            )
        if any(not s for s in labels):
            raise ConsultError("a reviewed answer has no codes (use 'other')")
        return _normalise(R), labels

    def _learn_reviewed(self, reviewed_texts: Sequence[str], R: np.ndarray, labels: list[set[str]]) -> None:
        """The supervised part: ridge on the embeddings and the word model, cross-validated."""
        n_rev = len(labels)
        self._sup_W = None
        self._text = None
        self.n_reviewed_ = n_rev
        self.code_counts_ = np.zeros(len(self.classes_))
        self.threshold_ = 0.5 if self.threshold is None else float(self.threshold)
        self.prior_scale_ = 1.0
        if n_rev:
            Y = np.zeros((n_rev, len(self.classes_)), dtype=np.float64)
            for i, s in enumerate(labels):
                for c in s:
                    Y[i, self._index[c]] = 1.0
            self.code_counts_ = Y.sum(0)
            self._fit_text(reviewed_texts, Y)
            self._cross_validate(R, Y, reviewed_texts)
            self._sup_W = self._solve_ridge(*self._gram(R, Y), self.alpha_)
            if self._text is not None:  # only what prediction needs
                self._text = {k: self._text[k] for k in ("vocab", "vectorizers", "sample", "T", "A", "mean")}

    def _fit_prototypes(self, ids: list[str], code_embeddings: Mapping[str, CodePrototypes]):
        pos, neg, pos_owner, neg_owner = [], [], [], []
        for j, cid in enumerate(ids):
            proto = code_embeddings[cid]
            p = np.asarray(proto.positive, dtype=np.float32).reshape(-1, proto.positive.shape[-1])
            pos.append(p)
            pos_owner += [j] * len(p)
            if proto.negative is not None and len(proto.negative):
                n = np.asarray(proto.negative, dtype=np.float32).reshape(-1, p.shape[-1])
                neg.append(n)
                neg_owner += [j] * len(n)
        if not pos or sum(len(p) for p in pos) == 0:
            raise ConsultError("the codebook's codes have no text to embed")
        self._pos = _normalise(np.vstack(pos))
        self._pos_owner = np.array(pos_owner)
        d = self._pos.shape[1]
        self._neg = _normalise(np.vstack(neg)) if neg else np.zeros((0, d), np.float32)
        self._neg_owner = np.array(neg_owner, dtype=int)
        self._n_codes = len(ids)

    def _similarity(
        self, X: np.ndarray, exclude: np.ndarray | None = None, top_k: int | None = None
    ) -> np.ndarray:
        """Per-code score: mean of the ``top_k_`` best prototype similarities, less counter-example pull.

        ``exclude`` (n × prototypes, bool) hides prototypes, for leave-one-out.
        """
        top_k = self.top_k_ if top_k is None else top_k
        S = X @ self._pos.T
        if exclude is not None:
            S = np.where(exclude, -np.inf, S)
        out = np.full((len(X), self._n_codes), -1.0)
        for j in range(self._n_codes):
            s = S[:, self._pos_owner == j]
            k = min(top_k, s.shape[1])
            top = np.sort(s, axis=1)[:, -k:]
            finite = np.isfinite(top)
            # mean of the k best that are not hidden (leave-one-out hides one)
            best = np.where(finite, top, 0.0).sum(1) / np.maximum(finite.sum(1), 1)
            best = np.where(finite.any(1), best, -np.inf)
            out[:, j] = np.where(np.isfinite(best), best, -1.0)
        if len(self._neg):
            N = X @ self._neg.T
            for j in np.unique(self._neg_owner):
                pull = N[:, self._neg_owner == j].max(1)
                out[:, j] -= np.maximum(pull - out[:, j], 0.0)
        return out

    @staticmethod
    def _calibration_features(S: np.ndarray) -> np.ndarray:
        gap = S - S.max(1, keepdims=True)
        return np.stack([S.ravel(), gap.ravel()], axis=1)

    def _loo_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Codebook texts that can be left out (their code has another), and the mask hiding each."""
        sizes = np.bincount(self._pos_owner, minlength=self._n_codes)
        rows = np.flatnonzero(sizes[self._pos_owner] >= 2)
        exclude = np.zeros((len(rows), len(self._pos)), dtype=bool)
        exclude[np.arange(len(rows)), rows] = True
        return rows, exclude

    def _choose_top_k(self) -> None:
        """Set ``top_k_``: given, or the one classifying the codebook's own texts best leave-one-out."""
        if self.top_k is not None:
            self.top_k_ = int(self.top_k)
            return
        rows, exclude = self._loo_rows()
        grid = sorted({int(k) for k in self.top_k_grid if int(k) >= 1}) or [5]
        if self._n_codes < 2 or len(rows) < 2:
            self.top_k_ = grid[len(grid) // 2]
            return
        owner = self._pos_owner[rows]
        best = (-1.0, grid[0])
        for k in grid:
            hit = self._similarity(self._pos[rows], exclude=exclude, top_k=k).argmax(1) == owner
            # mean per-code accuracy, so codes with many examples do not decide alone
            acc = float(np.mean([hit[owner == j].mean() for j in np.unique(owner)]))
            if acc > best[0] + 1e-9:
                best = (acc, k)
        self.top_k_ = best[1]

    def _fit_calibration(self) -> None:
        """Map similarity scores to probabilities, learnt leave-one-out on the codebook's own texts."""
        # leave-one-out only makes sense for codes left with a prototype
        rows, exclude = self._loo_rows()
        fallback = np.array([[8.0], [0.0], [-3.0]])  # a fixed cosine scale
        self.other_similarity_ = -np.inf
        if self._n_codes == 1 or len(rows) < 2:
            self._cal_W = fallback
            return
        S = self._similarity(self._pos[rows], exclude=exclude)
        if self.other_quantile is not None:
            self.other_similarity_ = float(np.quantile(S.max(1), self.other_quantile))
        Y = np.zeros_like(S)
        Y[np.arange(len(rows)), self._pos_owner[rows]] = 1.0
        if len(self._neg):
            S = np.vstack([S, self._similarity(self._neg)])
            Y = np.vstack([Y, np.zeros((len(self._neg), self._n_codes))])
        F = self._calibration_features(S)
        y = Y.ravel()
        # balance positives and negatives so the base rate of codes does not set the scale
        w = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1))
        W = fit_ovr_logistic(F, y[:, None], sample_weight=w, l2=1e-4)
        # more similar must never mean less likely
        self._cal_W = W if W[0, 0] + W[1, 0] > 0 and W[0, 0] >= 0 else fallback

    def _zero_shot_proba(self, X: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        S = self._similarity(X)
        P = _predict_logistic(self._cal_W, self._calibration_features(S)).reshape(S.shape)
        parts = [P]
        if self._st_W is not None:
            parts.append(_predict_logistic(self._st_W, X))
        if self._st_text is not None and texts is not None:
            parts.append(self._st_text_proba(texts))
        P = np.mean(parts, axis=0)
        return P

    def _pseudo_labels(self, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top code of each answer, which answers are confident, and their weights.

        An answer is confident when its margin (top score less the runner-up's)
        is at least the median margin of the answers with the same top code, so
        every code gets pseudo-labels. A confident answer weighs in proportion to
        its margin (mean weight 1), so near-ties teach less.
        """
        top = S.argmax(1)
        srt = np.sort(S, axis=1)
        margin = srt[:, -1] - (srt[:, -2] if S.shape[1] > 1 else 0.0)
        keep = np.zeros(len(S), dtype=bool)
        for j in range(self._n_codes):
            idx = np.flatnonzero(top == j)
            if len(idx):
                keep[idx[margin[idx] >= np.median(margin[idx])]] = True
        m = np.maximum(margin[keep], 0.0)
        weight = m / m.mean() if m.size and m.mean() > 0 else np.ones(int(keep.sum()))
        return top, keep, weight

    def _self_train_rounds(self, U: np.ndarray, texts: Sequence[str] | None) -> None:
        """Self-train on the unreviewed answers, relabelling them with each round's model."""
        S = self._similarity(U)
        for _ in range(max(1, self.self_training_rounds)):
            top, keep, weight = self._pseudo_labels(S)
            self._st_W = self._fit_st_embedding(U, top, keep, weight)
            if texts is not None and self.text_features:
                self._st_text = self._fit_st_text(texts, top, keep, weight)
            S = self._zero_shot_proba(U, texts)

    def _fit_st_embedding(
        self, U: np.ndarray, top: np.ndarray, keep: np.ndarray, weight: np.ndarray | None = None
    ) -> np.ndarray:
        """Logistic regression on pseudo-labelled answers (weighted) plus the codebook's own texts."""
        X = np.vstack([U[keep], self._pos])
        Y = np.zeros((len(X), self._n_codes))
        Y[np.arange(keep.sum()), top[keep]] = 1.0
        Y[keep.sum() + np.arange(len(self._pos)), self._pos_owner] = 1.0
        w = np.ones(len(X))
        if weight is not None:
            w[: keep.sum()] = weight
        return fit_ovr_logistic(X, Y, sample_weight=w, l2=self.l2, max_iter=self.max_iter)

    def _fit_st_text(
        self,
        texts: Sequence[str],
        top: np.ndarray,
        keep: np.ndarray,
        weight: np.ndarray | None = None,
    ) -> dict | None:
        """Logistic regression on the TF-IDF words of the pseudo-labelled answers (weighted) and the codebook's texts."""
        t = [str(texts[i]) for i in np.flatnonzero(keep)] + [c for c, _ in self._code_texts]
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, dtype=np.float64)
        try:
            T = vec.fit_transform(t)
        except ValueError:  # nothing but stop words or blanks
            return None
        if T[: int(keep.sum())].nnz == 0:  # the answers share no words with anything
            return None
        y = np.concatenate([top[keep], [j for _, j in self._code_texts]]).astype(int)
        w = np.ones(len(y))
        if weight is not None:
            w[: keep.sum()] = weight
        W = np.zeros((T.shape[1] + 1, self._n_codes))
        for j in range(self._n_codes):
            yj = (y == j).astype(np.float64)
            if 0 < yj.sum() < len(yj):
                W[:, j] = _fit_sparse_logistic(T, yj, self.text_l2, w)
            else:
                W[-1, j] = -10.0 if yj.sum() == 0 else 10.0
        return {"vectorizer": vec, "W": W}

    def _st_text_proba(self, texts: Sequence[str]) -> np.ndarray:
        T = self._st_text["vectorizer"].transform([str(x) for x in texts])
        W = self._st_text["W"]
        return _sigmoid(np.asarray(T @ W[:-1]) + W[-1])

    @staticmethod
    def _gram(R: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sufficient statistics of ridge regression with an intercept column."""
        Xa = np.hstack([R, np.ones((len(R), 1), dtype=R.dtype)]).astype(np.float64)
        return Xa.T @ Xa, Xa.T @ Y

    @staticmethod
    def _solve_ridge(G: np.ndarray, B: np.ndarray, alpha: float) -> np.ndarray:
        """Ridge weights (d + 1, k) from the statistics; the intercept is not penalised."""
        reg = np.full(len(G), alpha)
        reg[-1] = 1e-8
        return np.linalg.solve(G + np.diag(reg), B)

    @staticmethod
    def _ridge_scores(W: np.ndarray, X: np.ndarray) -> np.ndarray:
        return X @ W[:-1] + W[-1]

    def _mix(self, S_emb: np.ndarray, S_text: np.ndarray | None) -> np.ndarray:
        if S_text is None:
            return S_emb
        return (1.0 - self.text_weight) * S_emb + self.text_weight * S_text

    def _supervised_proba(
        self, model: np.ndarray, X: np.ndarray, texts: Sequence[str] | None = None
    ) -> np.ndarray:
        a, b = self.platt_
        S = self._ridge_scores(model, X)
        if self._text is not None and texts is not None:
            S = self._mix(S, self._text_scores(texts))
        return _sigmoid(a * S + b)

    def _prior(
        self, X: np.ndarray, texts: Sequence[str] | None = None, gate: np.ndarray | None = None
    ) -> np.ndarray:
        """Zero-shot probabilities of all classes.

        "Other" is one less the best code's, damped when some code is near
        (see ``other_quantile``).
        """
        Z = self._zero_shot_proba(X, texts)
        gate = self._nearness_gate(X) if gate is None else gate
        other = (1.0 - Z.max(1)) * gate
        return np.hstack([Z, other[:, None]])

    def _nearness_gate(self, X: np.ndarray) -> np.ndarray:
        """Per answer, ~0 when some code is near (see ``other_quantile``), ~1 when none is."""
        if not np.isfinite(self.other_similarity_):
            return np.ones(len(X))
        near = self._similarity(X).max(1)
        # a soft step of width ~0.01 in cosine similarity
        return _sigmoid((self.other_similarity_ - near) / 0.01)

    @staticmethod
    def _scale_prior(prior: np.ndarray, scale: float, gate: np.ndarray | None = None) -> np.ndarray:
        """The zero-shot code probabilities times ``scale``; "other" stays one less the best code's (gated)."""
        if scale == 1.0:
            return prior
        out = prior.copy()
        out[:, :-1] *= scale
        out[:, -1] = 1.0 - out[:, :-1].max(1)
        if gate is not None:
            out[:, -1] *= gate
        return out

    def _blend(
        self,
        prior: np.ndarray,
        sup: np.ndarray | None,
        counts: np.ndarray,
        gate: np.ndarray | None = None,
    ) -> np.ndarray:
        """Code probabilities (n × classes): zero-shot prior blended with what reviewers taught.

        ``sup`` holds the supervised probabilities; a code's weight on them grows
        with its number of reviewed examples (``prior_strength`` of them weigh half).
        ``gate`` (from :meth:`_nearness_gate`) damps the "other" that no code
        covering an answer implies, as in zero-shot mode.
        """
        if sup is None:
            return prior
        trust = counts / (counts + self.prior_strength)
        out = trust * sup + (1.0 - trust) * prior
        # "other" is what no code covers, unless reviewers taught it directly
        derived = 1.0 - out[:, :-1].max(1)
        if gate is not None:
            derived = derived * gate
        out[:, -1] = trust[-1] * sup[:, -1] + (1.0 - trust[-1]) * derived
        return out

    def _text_matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows of ``texts`` in the word model's vocabulary (word and character blocks, each of unit rows)."""
        t = [str(x) for x in texts]
        vocab = self._text.get("vocab")
        if vocab is not None and self._counts is not None:
            rows = self._counts.rows(t)
            if rows is not None:
                return self._counts.tfidf(rows, vocab)
        if self._text.get("vectorizers") is None:
            # the same vectorizers the counts stood for, fitted on the same sample
            self._text["vectorizers"] = _fit_vectorizers(self._text["sample"])
        vw, vc = self._text["vectorizers"]
        # each block has unit rows, so words and characters weigh alike
        return sparse.hstack([vw.transform(t), vc.transform(t)], format="csr")

    def _fit_text(self, texts: Sequence[str], Y: np.ndarray) -> None:
        """Fit the TF-IDF kernel ridge on (a sample of) the reviewed answers' texts."""
        self._text = None
        if not self.text_features or not texts or len(texts) < 20:
            return
        texts = [str(t) for t in texts]
        if not any(t.strip() for t in texts):
            return
        n = len(texts)
        rows = np.arange(n)
        if n > self.max_text_reviewed:
            rng = np.random.default_rng(self.random_state)
            rows = np.sort(rng.choice(n, self.max_text_reviewed, replace=False))
        sub = [texts[i] for i in rows]
        pool_rows = None if self._counts is None else self._counts.rows(sub)
        if pool_rows is not None:
            # answers of the pool analysed once (see refit): the vocabulary is a selection of its n-grams
            vocab = self._counts.vocabulary(pool_rows)
            if vocab is None:  # nothing but stop words or blanks
                return
            self._text = {"vocab": vocab, "vectorizers": None, "sample": sub, "rows": rows}
        else:
            vectorizers = _fit_vectorizers(sub)
            if vectorizers is None:
                return
            self._text = {"vocab": None, "vectorizers": vectorizers, "sample": sub, "rows": rows}
        T = self._text_matrix(sub)
        K = (T @ T.T).toarray()
        self._text.update(T=T, K=K, Y=Y[rows])
        self._text["A"], self._text["mean"] = self._solve_dual(K, Y[rows])

    def _solve_dual(self, K: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Kernel ridge coefficients for centred targets, and the target means."""
        mean = Y.mean(0)
        reg = K + self.text_alpha * np.eye(len(K))
        return scipy.linalg.solve(reg, Y - mean, assume_a="pos"), mean

    def _text_scores_oof(self, splits, n: int, k: int) -> np.ndarray | None:
        """Out-of-fold text-model scores of all reviewed answers (None without a text model)."""
        if self._text is None:
            return None
        rows, K, Yt = self._text["rows"], self._text["K"], self._text["Y"]
        pos = np.full(n, -1)
        pos[rows] = np.arange(len(rows))
        S = np.zeros((n, k))
        for train, test in splits:
            tr = pos[train][pos[train] >= 0]
            A, mean = self._solve_dual(K[np.ix_(tr, tr)], Yt[tr])
            te = test[pos[test] >= 0]
            # answers outside the text sample are left out of the choice of threshold
            S[te] = K[np.ix_(pos[te], tr)] @ A + mean
        return S

    def _text_scores(self, texts: Sequence[str]) -> np.ndarray:
        if "W" not in self._text:
            # the kernel ridge's primal weights: (X T')A = X (T'A), without the n × sample kernel
            self._text["W"] = np.asarray(self._text["T"].T @ self._text["A"])
        return np.asarray(self._text_matrix(texts) @ self._text["W"]) + self._text["mean"]

    def _cross_validate(
        self, R: np.ndarray, Y: np.ndarray, texts: Sequence[str] = ()
    ) -> None:
        """Choose ridge penalty, probability scale and threshold by out-of-fold micro-F1."""
        n = len(R)
        folds = min(self.cv_folds, n)
        if folds < 2 or n < 20:
            self.alpha_, self.platt_ = self.alphas[len(self.alphas) // 2], (4.0, -2.0)
            self.threshold_ = 0.5 if self.threshold is None else float(self.threshold)
            return
        order = np.random.default_rng(self.random_state).permutation(n)
        splits = [(np.setdiff1d(order, order[f::folds]), order[f::folds]) for f in range(folds)]
        G, B = self._gram(R, Y)
        # a fold's statistics are the whole set's less its test part's
        fold_stats = []
        for _, test in splits:
            Gt, Bt = self._gram(R[test], Y[test])
            fold_stats.append((G - Gt, B - Bt))
        grid = np.round(np.arange(0.15, 0.80, 0.05), 2)
        gate = self._nearness_gate(R)
        prior = self._prior(R, texts if texts else None, gate)
        # the 1-D calibration needs no more than a sample of (score, label) pairs
        best = (-1.0, None)
        S_text = self._text_scores_oof(splits, n, Y.shape[1])
        # with a text model, the choice is made on the answers it scored out of fold
        in_cv = np.ones(n, dtype=bool)
        if S_text is not None:
            in_cv[:] = False
            in_cv[self._text["rows"]] = True
        Ys = Y[in_cv]
        sample = np.random.default_rng(self.random_state).permutation(Ys.size)[:50_000]
        for alpha in self.alphas:
            S = np.zeros_like(Y)
            for (_, test), (Gf, Bf) in zip(splits, fold_stats):
                S[test] = self._ridge_scores(self._solve_ridge(Gf, Bf, alpha), R[test])
            if S_text is not None:
                S = self._mix(S, S_text)
            cal = fit_ovr_logistic(
                S[in_cv].reshape(-1, 1)[sample], Ys.reshape(-1, 1)[sample], l2=1e-6, max_iter=100
            )
            a, b = float(cal[0, 0]), float(cal[1, 0])
            for scale in self.prior_scales:
                P = np.zeros_like(Y)
                for train, test in splits:
                    te = test[in_cv[test]]
                    sup = _sigmoid(a * S[te] + b)
                    P[te] = self._blend(
                        self._scale_prior(prior[te], scale, gate[te]), sup, Y[train].sum(0), gate[te]
                    )
                thresholds = grid if self.threshold is None else [float(self.threshold)]
                for t in thresholds:
                    f1 = _micro_f1(self._decide(P[in_cv], t), Ys)
                    if f1 > best[0]:
                        best = (f1, (alpha, (a, b), float(t), scale))
        self.cv_score_ = best[0]
        self.alpha_, self.platt_, self.threshold_, self.prior_scale_ = best[1]

    # -------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise ConsultError("the code assigner has not been fitted")

    def predict_proba(self, texts: Sequence[str] | None, embeddings: np.ndarray) -> np.ndarray:
        """Probability of each class (``classes_``: code ids then ``"other"``) per answer."""
        self._check_fitted()
        X = _as_matrix(embeddings, "embeddings")
        if texts is not None and len(texts) != len(X):
            raise ConsultError(f"{len(texts)} texts but {len(X)} embeddings")
        if len(X) == 0:
            return np.zeros((0, len(self.classes_)))
        if X.shape[1] != self._pos.shape[1]:
            raise ConsultError(
                f"embeddings have {X.shape[1]} dimensions, the codebook's {self._pos.shape[1]}"
            )
        X = _normalise(X)
        sup = None if self._sup_W is None else self._supervised_proba(self._sup_W, X, texts)
        gate = self._nearness_gate(X)
        prior = self._scale_prior(
            self._prior(X, texts, gate), self.prior_scale_ if sup is not None else 1.0, gate
        )
        return self._blend(prior, sup, self.code_counts_, gate)

    def _decide(self, P: np.ndarray, threshold: float) -> np.ndarray:
        """Boolean (n × classes): top code always, others above threshold, or "other"."""
        codes = P[:, :-1]
        top = codes.argmax(1)
        p_top = codes[np.arange(len(P)), top]
        is_other = (P[:, -1] > p_top) | (p_top < self.min_confidence)
        out = np.zeros(P.shape, dtype=bool)
        out[:, :-1] = (codes >= threshold) & (codes >= self.relative * p_top[:, None])
        out[np.arange(len(P)), top] = True
        out[is_other] = False
        out[is_other, -1] = True
        return out

    def decisions(self, proba: np.ndarray) -> np.ndarray:
        """Boolean (n × ``classes_``): the classes that probabilities give each answer, as in :meth:`assignments`."""
        self._check_fitted()
        P = np.asarray(proba, dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != len(self.classes_):
            raise ConsultError(f"probabilities must have {len(self.classes_)} columns, got shape {P.shape}")
        return self._decide(P, self.threshold_)

    def predict(self, texts: Sequence[str] | None, embeddings: np.ndarray) -> list[list[Assignment]]:
        """The codes of each answer, most confident first; ``"other"`` when nothing fits."""
        return self.assignments(self.predict_proba(texts, embeddings))

    def assignments(
        self, proba: np.ndarray, model_version: str = MODEL_VERSION
    ) -> list[list[Assignment]]:
        """The codes that probabilities (n × ``classes_``) give each answer, most confident first.

        For probabilities from :meth:`predict_proba`, or a blend of them with
        another model's (``model_version`` then names the blend).
        """
        self._check_fitted()
        P = np.asarray(proba, dtype=np.float64)
        if P.ndim != 2 or P.shape[1] != len(self.classes_):
            raise ConsultError(f"probabilities must have {len(self.classes_)} columns, got shape {P.shape}")
        chosen = self._decide(P, self.threshold_)
        out = []
        for p, row in zip(P, chosen):
            idx = np.flatnonzero(row)
            idx = idx[np.argsort(-p[idx], kind="stable")]
            out.append(
                [Assignment(str(self.classes_[j]), float(np.clip(p[j], 0.0, 1.0)), model_version)
                 for j in idx]
            )
        return out

    def predict_labels(self, texts: Sequence[str] | None, embeddings: np.ndarray) -> list[set[str]]:
        """The code ids of each answer, as sets."""
        return [{a.code for a in row} for row in self.predict(texts, embeddings)]


def _fit_vectorizers(texts: Sequence[str]) -> tuple[TfidfVectorizer, TfidfVectorizer] | None:
    """The word model's TF-IDF vectorizers (words 1-2, characters 2-5) fitted on ``texts``; None without words."""
    vw = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float64)
    vc = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float64)
    try:
        vw.fit(texts)
        vc.fit(texts)
    except ValueError:  # nothing but stop words or blanks
        return None
    return vw, vc


class _NgramCounts:
    """Word and character n-gram counts of a fixed set of texts (the unlabeled answers), analysed once.

    For a sample of these texts, :func:`_fit_vectorizers` would learn a vocabulary that is a subset
    of their n-grams (in the same sorted order) with smoothed IDF weights, and transform any of them
    into counts of those n-grams, sublinear, times IDF, rows of unit length. All of that is done here
    on the stored counts, with the same result and without reading the texts again: what makes a
    refit on reviews and the re-scoring of every answer cheap.
    """

    def __init__(self, texts: Sequence[str], blocks: list[sparse.csr_matrix]) -> None:
        self.row: dict[str, int] = {}
        for i, t in enumerate(texts):
            self.row.setdefault(t, i)
        self.blocks = blocks

    @classmethod
    def of(cls, texts: Sequence[str]) -> _NgramCounts | None:
        from sklearn.feature_extraction.text import CountVectorizer

        blocks = []
        for vec in (CountVectorizer(ngram_range=(1, 2), dtype=np.float64),
                    CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), dtype=np.float64)):
            try:
                blocks.append(sparse.csr_matrix(vec.fit_transform(texts)))
            except ValueError:  # nothing but stop words or blanks
                return None
        return cls(texts, blocks)

    def rows(self, texts: Sequence[str]) -> np.ndarray | None:
        """Row of each text in the counts, or None when one of them is not there."""
        out = [self.row.get(t, -1) for t in texts]
        return None if -1 in out else np.array(out, dtype=np.int64)

    def vocabulary(self, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Per block, the columns of the n-grams found in ``rows`` and their smoothed IDF; None if a block has none."""
        out = []
        n = len(rows)
        for C in self.blocks:
            df = np.asarray((C[rows] > 0).sum(0)).ravel()
            cols = np.flatnonzero(df)
            if not len(cols):
                return None
            out.append((cols, np.log((1.0 + n) / (1.0 + df[cols])) + 1.0))
        return out

    def tfidf(self, rows: np.ndarray, vocabulary: list[tuple[np.ndarray, np.ndarray]]) -> sparse.csr_matrix:
        """The TF-IDF rows (word block, then character block, each of unit rows) of ``rows``."""
        parts = []
        for C, (cols, idf) in zip(self.blocks, vocabulary):
            M = sparse.csr_matrix(C[rows][:, cols])
            M.data = np.log(M.data) + 1.0
            M = sparse.csr_matrix(M.multiply(idf[None, :]))
            norms = np.sqrt(np.asarray(M.multiply(M).sum(1)).ravel())
            M = sparse.csr_matrix(sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ M)
            parts.append(M)
        return sparse.hstack(parts, format="csr")


def _check_int(name: str, value, low: int | None = None, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number{' or None' if optional else ''}, not {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be at least {low}, not {value!r}")


def _check_number(name: str, value, low: float | None = None, high: float | None = None, *,
                  low_open: bool = False, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a number{' or None' if optional else ''}, not {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'above' if low_open else 'at least'} {low:g}, not {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be at most {high:g}, not {value!r}")


def _check_numbers(name: str, values, low: float, *, low_open: bool = False) -> None:
    if not len(values):
        raise ValueError(f"{name} must hold at least one value")
    for v in values:
        _check_number(name, v, low, low_open=low_open)


def _check_bool(name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, not {value!r}")


def _micro_f1(pred: np.ndarray, Y: np.ndarray) -> float:
    tp = float((pred & (Y > 0)).sum())
    denom = float(pred.sum() + (Y > 0).sum())
    return 2 * tp / denom if denom else 0.0


def review_queue(
    proba: np.ndarray,
    embeddings: np.ndarray,
    reviewed_embeddings: np.ndarray | None,
    k: int,
    *,
    threshold: float = 0.5,
    novelty_weight: float = 1.0,
    redundancy: float = 0.9,
) -> np.ndarray:
    """Indices of the ``k`` unreviewed answers whose review would help most, best first.

    An answer ranks high when some code's probability is near ``threshold``
    (uncertain) and when it is unlike every reviewed answer (novel). Picks are
    made greedily, and an answer's score is cut by its similarity to answers
    already picked, so near-copies are not queued together; answers with
    cosine similarity ≥ ``redundancy`` to a pick are skipped while others remain.
    """
    P = np.asarray(proba, dtype=np.float64)
    X = _normalise(_as_matrix(embeddings, "embeddings"))
    n = len(X)
    if len(P) != n:
        raise ConsultError(f"{len(P)} probability rows but {n} embeddings")
    k = max(0, min(int(k), n))
    if k == 0:
        return np.zeros(0, dtype=int)
    # uncertainty: 1 when a code sits exactly at the threshold, 0 when all are far from it
    uncertainty = 1.0 - np.min(np.abs(P - threshold), axis=1) / max(threshold, 1 - threshold)
    if reviewed_embeddings is not None and len(reviewed_embeddings):
        Rv = _normalise(_as_matrix(reviewed_embeddings, "reviewed embeddings"))
        novelty = 1.0 - np.clip((X @ Rv.T).max(1), 0.0, 1.0)
    else:
        novelty = np.ones(n)
    base = uncertainty + novelty_weight * novelty
    picked: list[int] = []
    max_sim = np.full(n, -1.0)
    available = np.ones(n, dtype=bool)
    for _ in range(k):
        score = base * (1.0 - np.clip(max_sim, 0.0, 1.0))
        fresh = available & (max_sim < redundancy)
        pool = fresh if fresh.any() else available
        score = np.where(pool, score, -np.inf)
        i = int(np.argmax(score))
        picked.append(i)
        available[i] = False
        max_sim = np.maximum(max_sim, X @ X[i])
    return np.array(picked, dtype=int)
