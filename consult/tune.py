"""Fine-tune the embedding model on reviewers' codes, for sharper code suggestions.

:mod:`consult.assign` learns from reviewers on frozen sentence embeddings: fast
(seconds), but the embeddings were never taught what this codebook separates.
Once reviewers have coded enough answers, :class:`FineTuner` adapts the encoder
itself: the sentence-transformers model and a linear head are trained together
with binary cross-entropy on the reviewed answers and the codebook's own texts,
and give a probability per code for any answer. Training takes minutes on a
laptop CPU, so :func:`tuned_probabilities` caches the results in the workspace
under a key of everything they depend on; a re-run with the same reviews
reuses them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


log = logging.getLogger(__name__)

TUNE_VERSION = "tune-1"


class FineTuner:
    """A sentence-transformers encoder and a multi-label head, trained on coded texts.

    Parameters
    ----------
    model:
        Folder of a sentence-transformers model; ``None`` is the bundled
        all-MiniLM-L6-v2. The model on disk is never changed.
    epochs, batch_size:
        Passes over the training texts, and texts per step.
    learning_rate, head_learning_rate:
        AdamW learning rates of the encoder and of the new linear head.
    max_length:
        Tokens of a text the encoder reads (longer texts are truncated).
    random_state:
        Seed for the head's initial weights, dropout and the order of batches.
    enabled, min_reviewed, weight:
        How :mod:`consult.pipeline` uses the tuner: only when ``enabled`` and a
        question has at least ``min_reviewed`` reviewed answers, and then code
        probabilities are ``weight`` times the tuned model's plus
        ``1 - weight`` times :class:`consult.assign.CodeAssigner`'s.
    show_progress:
        Show a progress bar (steps, time left) on stderr.
    """

    # cosine similarities live in [-1, 1]; a fixed scale lets the head reach confident logits
    _scale = 5.0

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        epochs: int = 8,
        batch_size: int = 16,
        learning_rate: float = 5e-5,
        head_learning_rate: float = 3e-3,
        max_length: int = 128,
        random_state: int = 0,
        enabled: bool = True,
        min_reviewed: int = 100,
        weight: float = 0.5,
        show_progress: bool = False,
    ) -> None:
        if epochs < 1 or batch_size < 1 or max_length < 8:
            raise ValueError("epochs and batch_size must be at least 1, max_length at least 8")
        if not (learning_rate > 0 and head_learning_rate > 0):
            raise ValueError("learning rates must be positive")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"weight must be between 0 and 1, not {weight}")
        if min_reviewed < 1:
            raise ValueError(f"min_reviewed must be at least 1, not {min_reviewed}")
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.head_learning_rate = head_learning_rate
        self.max_length = max_length
        self.random_state = random_state
        self.enabled = enabled
        self.min_reviewed = min_reviewed
        self.weight = weight
        self.show_progress = show_progress

    def blend(self, proba: np.ndarray, tuned: np.ndarray) -> np.ndarray:
        """Code probabilities: ``weight`` of the tuned model's, the rest another model's (same columns)."""
        return (1.0 - self.weight) * np.asarray(proba) + self.weight * np.asarray(tuned)

    # ------------------------------------------------------------------ helpers
    def model_path(self) -> Path:
        from consult.embed import model_folder

        return model_folder(self.model)

    def _load(self) -> Any:
        from consult.embed import load_model

        return load_model(self.model_path())

    def _encode(self, texts: Sequence[str]) -> Any:
        """Mean-pooled, L2-normalised sentence vectors, with gradients (the model's own pooling)."""
        import torch

        batch = self._tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        hidden = self._encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def _batches(self, lengths: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Shuffled batches of texts of similar length (less padding: faster, same gradients' worth)."""
        order = rng.permutation(len(lengths))
        pool = self.batch_size * 8
        batches = []
        for lo in range(0, len(order), pool):
            part = order[lo : lo + pool]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches += [part[i : i + self.batch_size] for i in range(0, len(part), self.batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    # ------------------------------------------------------------------ fit
    def fit(self, texts: Sequence[str], labels: Sequence[set[str]], classes: Sequence[str]) -> FineTuner:
        """Train on ``texts`` with one set of class ids per text (each in ``classes``)."""
        import torch
        from tqdm.auto import tqdm

        texts = [str(t) for t in texts]
        classes = [str(c) for c in classes]
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} label sets")
        if len(texts) < 2 or len(classes) < 1:
            raise ValueError("fine-tuning needs at least two coded texts and one code")
        index = {c: j for j, c in enumerate(classes)}
        Y = np.zeros((len(texts), len(classes)), dtype=np.float32)
        for i, s in enumerate(labels):
            unknown = set(map(str, s)) - set(index)
            if unknown:
                raise ValueError(f"text {i + 1} has code(s) not in the classes: {', '.join(sorted(unknown))}")
            for c in s:
                Y[i, index[str(c)]] = 1.0

        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        st = self._load()
        self._tokenizer = st.tokenizer
        self._encoder = st[0].auto_model
        dim = int(st.get_embedding_dimension())
        self._head = torch.nn.Linear(dim, len(classes))
        self.classes_ = classes
        # rare codes weigh more, up to 10 times, so they are not drowned by the common ones
        rate = np.clip(Y.mean(0), 1e-3, None)
        pos_weight = torch.tensor(np.clip((1.0 - rate) / rate, 1.0, 10.0), dtype=torch.float32)
        optimiser = torch.optim.AdamW(
            [
                {"params": self._encoder.parameters(), "lr": self.learning_rate},
                {"params": self._head.parameters(), "lr": self.head_learning_rate},
            ],
            weight_decay=0.01,
        )
        lengths = np.array([len(t) for t in texts])
        steps = self.epochs * -(-len(texts) // self.batch_size)
        bar = tqdm(total=steps, unit="step", desc="Fine-tuning", disable=not self.show_progress, leave=False)
        target = torch.from_numpy(Y)
        self._encoder.train()
        self.loss_: list[float] = []
        for _ in range(self.epochs):
            total = 0.0
            for idx in self._batches(lengths, rng):
                logits = self._head(self._encode([texts[i] for i in idx]) * self._scale)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, target[idx], pos_weight=pos_weight
                )
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(idx)
                bar.update(1)
            self.loss_.append(total / len(texts))
        bar.close()
        self._encoder.eval()
        log.info("fine-tuned on %d texts, %d epochs; loss %.3f -> %.3f",
                 len(texts), self.epochs, self.loss_[0], self.loss_[-1])
        return self

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Probability of each class (``classes_``) per text."""
        import torch

        if not hasattr(self, "_head"):
            raise RuntimeError("the fine-tuner has not been fitted")
        texts = [str(t) for t in texts]
        out = np.zeros((len(texts), len(self.classes_)), dtype=np.float64)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        with torch.inference_mode():
            for lo in range(0, len(texts), batch_size):
                idx = order[lo : lo + batch_size]
                logits = self._head(self._encode([texts[i] for i in idx]) * self._scale)
                out[idx] = torch.sigmoid(logits).double().numpy()
        return out


def training_set(
    codes: Sequence[object], texts: Sequence[str], labels: Sequence[set[str]]
) -> tuple[list[str], list[set[str]]]:
    """Reviewed texts and their codes, plus each code's description and examples as texts of that code."""
    from consult.assign import code_texts

    book = [(t, {str(c.id)}) for c in codes for t in code_texts(c)[0][1:]]
    return [str(t) for t in texts] + [t for t, _ in book], list(labels) + [s for _, s in book]


# --------------------------------------------------------------------------- cache

def training_key(tuner: FineTuner, model_id: str, texts: Sequence[str], labels: Sequence[set[str]],
                 classes: Sequence[str]) -> str:
    """A key of everything the tuned probabilities depend on."""
    from consult.embed import text_hash

    params = {k: getattr(tuner, k) for k in (
        "epochs", "batch_size", "learning_rate", "head_learning_rate", "max_length", "random_state")}
    data = sorted((text_hash(str(t)), sorted(map(str, s))) for t, s in zip(texts, labels))
    blob = json.dumps([TUNE_VERSION, model_id, params, list(map(str, classes)), data], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def tuned_probabilities(
    conn: sqlite3.Connection,
    question_id: str,
    tuner: FineTuner,
    model_id: str,
    train_texts: Sequence[str],
    train_labels: Sequence[set[str]],
    classes: Sequence[str],
    texts: Sequence[str],
) -> np.ndarray:
    """Tuned probabilities (len(texts) × classes), trained only when the cache lacks them."""
    from consult.embed import text_hash

    key = training_key(tuner, model_id, train_texts, train_labels, classes)
    from consult.workspace.caches import TunedCache

    cache = TunedCache(conn)
    hashes = [text_hash(str(t)) for t in texts]
    found = cache.get(key, hashes, len(classes))
    missing = {h: str(t) for h, t in zip(hashes, texts) if h not in found}
    if missing:
        tuner.fit(train_texts, train_labels, classes)
        todo = list(missing.items())
        P = tuner.predict_proba([t for _, t in todo])
        new = {h: P[i] for i, (h, _) in enumerate(todo)}
        cache.replace(question_id, key, new)
        found.update(new)
    if not texts:
        return np.zeros((0, len(classes)))
    return np.stack([found[h] for h in hashes])
