"""The data model: a consultation, its questions, respondents and their responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

QuestionKind = Literal["closed", "open", "hybrid"]
RespondentType = Literal["individual", "organisation"]


@dataclass(frozen=True)
class Question:
    """A question. ``hybrid`` is a closed "Do you agree?" paired with its free-text "Why?"."""

    id: str
    text: str
    kind: QuestionKind
    options: tuple[str, ...] = ()
    closed_column: str | None = None
    text_column: str | None = None

    @property
    def has_text(self) -> bool:
        return self.kind in ("open", "hybrid")

    @property
    def has_options(self) -> bool:
        return self.kind in ("closed", "hybrid")


@dataclass
class Respondent:
    """One person or organisation that responded."""

    id: str
    type: RespondentType | None = None
    organisation: str | None = None
    group: str | None = None
    consent: bool | None = None  # consent to publish; None = not asked / not answered
    attributes: dict[str, str] = field(default_factory=dict)
    source_row: int | None = None


@dataclass
class Response:
    """One respondent's answer to one question: the chosen option and/or free text."""

    respondent_id: str
    question_id: str
    option: str | None = None
    text: str | None = None


@dataclass
class Consultation:
    """Everything loaded from a consultation's input files."""

    id: str
    title: str
    questions: list[Question]
    respondents: list[Respondent]
    responses: list[Response]
    organisation: str | None = None
    opened: str | None = None
    closed: str | None = None
    how: str | None = None
    input_hash: str = ""

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)
