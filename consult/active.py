"""Active learning for the review queue: which unreviewed answer teaches the coding most.

:class:`ActiveLearner` holds the answers of one question (the *pool*). It codes
them with the closed-form :class:`consult.assign.CodeAssigner` (zero-shot from
the codebook and self-training on the pool, then ridge on what reviewers
decided), refits cheaply as reviews come in (:meth:`ActiveLearner.refit` keeps
the zero-shot part and relearns only from the reviews: well under a second for
a few thousand answers), and ranks unreviewed answers by expected benefit to
the whole coding (:meth:`ActiveLearner.rank`):

- **uncertainty**: the expected number of wrong labels in the answer's current
  coding, ``sum_c |decided_c - p_c|`` over the classes (a code given with
  probability ``p`` is wrong with probability ``1 - p``, one not given is
  missed with probability ``p``). With calibrated probabilities this is what
  reviewing the answer corrects, in the units micro-F1 counts;
- **weight**: an answer that stands for others (a campaign's template, a
  duplicate group's canonical answer) counts once per member, since its
  decision is inherited by all of them;
- **diversity**: answers are picked greedily, and each pick cuts the benefit of
  the answers like it (``benefit * (1 - diversity * similarity)``, cosine
  similarity of the embeddings), because once one of them is reviewed the
  refitted model learns the rest from it. Answers at least ``redundancy``
  similar to a pick (near copies) wait until nothing else is left.

This module never loads a model: embeddings are given, L2-normalised.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np

from consult.assign import CodeAssigner, CodePrototypes


class ActiveLearner:
    """Code a pool of answers, learn from reviews cheaply, and rank what to review next.

    Parameters
    ----------
    assigner:
        The closed-form coder to use, unfitted (it is copied at :meth:`fit`);
        default ``CodeAssigner(random_state=random_state)``.
    diversity:
        In [0, 1]. How much a pick cuts the benefit of answers similar to it:
        an answer's benefit is multiplied by ``1 - diversity * s``, ``s`` its
        largest cosine similarity (floored at 0) to the answers already picked
        (and to those reviewed since the last refit). 0 ranks by benefit alone.
    redundancy:
        In (0, 1]. Answers with cosine similarity at least this to a pick are
        near copies of it: they are only picked when no other answer is left.
    random_state:
        Seed of the default assigner's cross-validation folds; ranking itself
        is deterministic (ties go to the lower pool index).

    Attributes (after :meth:`fit`)
    ------------------------------
    assigner_:
        The fitted :class:`CodeAssigner`.
    classes_:
        Its classes (code ids, then ``"other"``).
    proba_:
        Probabilities (pool × classes) of the current model.
    decided_:
        Boolean (pool × classes): the codes the current model gives each answer.
    reviewed_:
        Pool indices of the reviewed answers the current model learnt from.
    n_fits_:
        How many times the model was fitted (the first fit and each refit).
    """

    def __init__(
        self,
        *,
        assigner: CodeAssigner | None = None,
        diversity: float = 1.0,
        redundancy: float = 0.9,
        random_state: int = 0,
    ) -> None:
        self.assigner = assigner
        self.diversity = diversity
        self.redundancy = redundancy
        self.random_state = random_state
        self._check_params()

    def _check_params(self) -> None:
        if self.assigner is not None and not isinstance(self.assigner, CodeAssigner):
            raise ValueError(f"assigner must be a CodeAssigner or None, not {type(self.assigner).__name__}")
        for name, low, high, low_open in (("diversity", 0.0, 1.0, False), ("redundancy", 0.0, 1.0, True)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not np.isfinite(value):
                raise ValueError(f"{name} must be a number, not {value!r}")
            if (value <= low if low_open else value < low) or value > high:
                raise ValueError(f"{name} must be {'above' if low_open else 'at least'} {low:g} and at most"
                                 f" {high:g}, not {value!r}")
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, (int, np.integer)):
            raise ValueError(f"random_state must be a whole number, not {self.random_state!r}")

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        codes: Sequence[object],
        embeddings: np.ndarray,
        texts: Sequence[str] | None = None,
        *,
        code_embeddings: Mapping[str, CodePrototypes],
        reviewed: Sequence[int] = (),
        labels: Sequence[set[str]] = (),
    ) -> ActiveLearner:
        """Code the pool (``embeddings``, and their ``texts`` when known) against ``codes``.

        The assigner learns zero-shot from the codebook (``code_embeddings``,
        from :func:`consult.assign.embed_codebook`), self-trains on the whole
        pool, and learns from the ``reviewed`` answers (pool indices) and their
        ``labels`` (one set of code ids each). This is the slow part (seconds
        for thousands of answers); later reviews go to :meth:`refit`.
        """
        X = np.asarray(embeddings, dtype=np.float32)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"embeddings must be a non-empty 2-D array, got shape {X.shape}")
        if texts is not None and len(texts) != len(X):
            raise ValueError(f"{len(texts)} texts but {len(X)} embeddings")
        self._X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
        self._texts = None if texts is None else [str(t) for t in texts]
        rows, labels = self._check_reviewed(reviewed, labels)
        base = self.assigner if self.assigner is not None else CodeAssigner(random_state=self.random_state)
        self.assigner_ = copy.deepcopy(base).fit(
            codes, self._texts_of(rows), self._X[rows], labels, code_embeddings=code_embeddings,
            unlabeled_embeddings=self._X, unlabeled_texts=self._texts,
        )
        self.classes_ = self.assigner_.classes_
        self.n_fits_ = 0
        self._update(rows)
        return self

    def refit(self, reviewed: Sequence[int], labels: Sequence[set[str]]) -> ActiveLearner:
        """Learn again from all the ``reviewed`` answers (pool indices) and their ``labels``.

        Cheap: the zero-shot part and the self-training are kept; only the
        closed-form learner is refitted (see :meth:`CodeAssigner.refit`).
        """
        self._check_fitted()
        rows, labels = self._check_reviewed(reviewed, labels)
        self.assigner_.refit(self._texts_of(rows), self._X[rows], labels)
        self._update(rows)
        return self

    def _update(self, rows: np.ndarray) -> None:
        self.reviewed_ = rows
        self.proba_ = self.assigner_.predict_proba(self._texts, self._X)
        self.decided_ = self.assigner_.decisions(self.proba_)
        self.n_fits_ += 1

    def _texts_of(self, rows: np.ndarray) -> list[str]:
        return [] if self._texts is None else [self._texts[i] for i in rows]

    def _check_reviewed(self, reviewed: Sequence[int], labels: Sequence[set[str]]) -> tuple[np.ndarray, list[set[str]]]:
        rows = self._indices(reviewed, "reviewed")
        labels = [set(map(str, s)) for s in labels]
        if len(labels) != len(rows):
            raise ValueError(f"{len(rows)} reviewed answers but {len(labels)} label sets")
        if len(np.unique(rows)) != len(rows):
            raise ValueError("reviewed lists an answer more than once")
        return rows, labels

    def _indices(self, index: Sequence[int] | np.ndarray, what: str) -> np.ndarray:
        rows = np.asarray(index if len(index) else np.zeros(0), dtype=float)
        if rows.ndim != 1 or not np.all(np.mod(rows, 1) == 0):
            raise ValueError(f"{what} must be whole-number positions in the pool")
        rows = rows.astype(int)
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self._X)):
            raise ValueError(f"{what} has positions outside the pool of {len(self._X)} answers")
        return rows

    def _check_fitted(self) -> None:
        if not hasattr(self, "assigner_"):
            raise ValueError("the active learner has not been fitted")

    # ------------------------------------------------------------------ using it
    def predict(self) -> list[set[str]]:
        """The current model's codes of every answer in the pool."""
        self._check_fitted()
        return [{str(self.classes_[j]) for j in np.flatnonzero(row)} for row in self.decided_]

    def expected_errors(self) -> np.ndarray:
        """Per pool answer, the expected number of wrong labels (missed or wrong codes) in its current coding."""
        self._check_fitted()
        return np.abs(self.decided_.astype(np.float64) - np.clip(self.proba_, 0.0, 1.0)).sum(1)

    def rank(
        self,
        k: int,
        *,
        candidates: Sequence[int] | None = None,
        weights: Sequence[float] | None = None,
        recent: Sequence[int] = (),
    ) -> np.ndarray:
        """Pool indices of the ``k`` candidates whose review would benefit the coding most, best first.

        ``candidates`` (pool indices; default: every answer not in ``reviewed_``)
        are the answers that may be queued; ``weights`` (one per candidate, ≥ 0,
        default 1) are how many answers each stands for. ``recent`` are answers
        reviewed since the model was fitted: they count as already picked, so
        the queue moves away from what people just did.
        """
        self._check_fitted()
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"k must be a whole number, 0 or more, not {k!r}")
        if candidates is None:
            cand = np.setdiff1d(np.arange(len(self._X)), self.reviewed_)
        else:
            cand = self._indices(candidates, "candidates")
            if len(np.unique(cand)) != len(cand):
                raise ValueError("candidates lists an answer more than once")
        if weights is None:
            w = np.ones(len(cand))
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (len(cand),) or not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError(f"weights must be {len(cand)} finite numbers, 0 or more")
        k = min(int(k), len(cand))
        if k == 0:
            return np.zeros(0, dtype=int)
        X = self._X[cand]
        base = w * self.expected_errors()[cand]
        done = self._indices(recent, "recent")
        max_sim = (X @ self._X[done].T).max(1) if len(done) else np.full(len(cand), -1.0)
        available = np.ones(len(cand), dtype=bool)
        picked: list[int] = []
        for _ in range(k):
            score = base * (1.0 - self.diversity * np.clip(max_sim, 0.0, 1.0))
            fresh = available & (max_sim < self.redundancy)
            pool = fresh if fresh.any() else available
            i = int(np.argmax(np.where(pool, score, -np.inf)))
            picked.append(i)
            available[i] = False
            max_sim = np.maximum(max_sim, X @ X[i])
        return cand[np.array(picked, dtype=int)]
