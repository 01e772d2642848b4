"""Analysis units: what the embedding, theme and coding stages analyse for a question.

Every substantive answer is analysed once. A campaign's template counts once with
the campaign's size as its weight, and each member's personal addition is
analysed as an answer of its own. Long answers can be cut into passages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consult.dedupe import NON_SUBSTANTIVE

# The model reads about 256 word pieces (~180 words) of a text; longer answers are
# coded in passages so that points made late in a long submission are not lost.
CHUNK_WORDS = 150


@dataclass
class Unit:
    """A text analysed once: an answer, a campaign template (weighted), a personal addition or a passage."""

    text: str
    weight: float
    response_ids: list[int]
    kind: str  # answer | template | addition | passage


def passages(text: str, max_words: int = CHUNK_WORDS) -> list[str]:
    """A long text cut at sentence ends into passages of at most about ``max_words`` words."""
    from consult.dedupe import split_sentences

    if len(text.split()) <= max_words:
        return [text]
    out: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in split_sentences(text):
        n = len(sentence.split())
        if current and count + n > max_words:
            out.append(" ".join(current))
            current, count = [], 0
        current.append(sentence.strip())
        count += n
    if current:
        out.append(" ".join(current))
    return out


def build_units(rows: Sequence[Mapping[str, Any]], templates: Mapping[str, str], chunk_words: int | None = None) -> list[Unit]:
    """Units from a question's answers (id, text, kind, campaign_id, personal_addition, in id order).

    ``templates`` maps campaign ids to their template text. With ``chunk_words``,
    answers longer than that are analysed in passages.
    """
    units: list[Unit] = []
    campaigns: dict[str, Unit] = {}
    for r in rows:
        text = (r["text"] or "").strip()
        if not text or r["kind"] == NON_SUBSTANTIVE:
            continue
        if r["kind"] == "campaign" and r["campaign_id"] in templates:
            unit = campaigns.get(r["campaign_id"])
            if unit is None:
                unit = campaigns[r["campaign_id"]] = Unit(templates[r["campaign_id"]], 0.0, [], "template")
                units.append(unit)
            unit.weight += 1
            unit.response_ids.append(r["id"])
            addition = (r["personal_addition"] or "").strip()
            if addition:
                units.append(Unit(addition, 1.0, [r["id"]], "addition"))
        elif chunk_words and len(text.split()) > chunk_words:
            units += [Unit(p, 1.0, [r["id"]], "passage") for p in passages(text, chunk_words)]
        else:
            units.append(Unit(text, 1.0, [r["id"]], "answer"))
    return units
