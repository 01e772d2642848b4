"""Column roles inferred from a data file's content, and a config drafted from them.

``infer(path)`` looks at every column's values (how many are filled, how many
distinct, how long, what they look like: ids, dates, URLs, emails, numbers,
yes/no, a few repeated options or varied free text) and decides each column's
role: respondent id, type, organisation, group, consent, an attribute kept for
breakdowns, a question (closed, open, or a closed answer with its "why"), or
left out, with the reason. Header words only break ties. A long layout
(respondent, question, answer) is recognised by its shape.

``draft_config(path)`` writes the result as a TOML config that loads unedited,
with a comment on every guess.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from consult.config import DATA_SUFFIXES, ROW_ID
from consult.errors import ConsultError

# --- what values look like ------------------------------------------------------------

_DATE = re.compile(
    r"""^(?:
        \d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?
      | \d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?
      | \d{1,2}\s+[A-Za-z]{3,9}\s+\d{4}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?
      | [A-Za-z]{3,9}\s+\d{1,2},?\s+\d{4}(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?
    )$""",
    re.X,
)
_URL = re.compile(r"^(?:(?:https?://|www\.)\S+[\s,;]*)+$", re.I)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_IP = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})$", re.I)
_NUMBER = re.compile(r"^[-+]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?%?$")
_BOOL = {"true", "false"}
_YES = re.compile(r"^(?:yes|y|i agree|agree|i consent|consent)\b", re.I)
_NO = re.compile(r"^(?:no|n|do not|don't|i do not|i don't|not)\b", re.I)

# --- header hints: tie-breakers only ---------------------------------------------------

_H_ID = [(re.compile(r"\b(respon(se|dent)|submission|participant)\s*_?(id|number|no|ref)\b|^response_?id$|responseid", re.I), 4),
         (re.compile(r"\b(document|comment)\s*id\b", re.I), 3),
         (re.compile(r"^(id|ref|reference|identifier)$|\bid$", re.I), 2),
         (re.compile(r"tracking|unique", re.I), 1),
         (re.compile(r"\brow\b|\bindex\b|\bline\b", re.I), -1)]
_H_TYPE = re.compile(r"responding as|individual or|on behalf of|respondent type|capacity|type of respon", re.I)
_H_ORG = re.compile(r"organi[sz]ation('s)?\s*name|name of (your |the )?organi[sz]ation|^organi[sz]ation$|"
                    r"organi[sz]ation name|company|employer|^organi[sz]ation\b", re.I)
_H_CONSENT = re.compile(r"publish|confidential|consent|anonym", re.I)
_H_GROUP = re.compile(r"best describes|which of (these|the following) (best )?describes?|sector|^category$|"
                      r"\brole\b|type of organi[sz]ation|stakeholder|interest", re.I)
_H_PLACE = re.compile(r"region|country|state|province|county|city|town|area|location|where do you live|"
                      r"where are you|based in|nation|local authority area|ward", re.I)
_H_PERSONAL = re.compile(r"\b(first|last|full|given|family|sur)\s*name|^name$|your name|^names?\b|e-?mail|phone|"
                         r"telephone|mobile|address|post\s*code|zip|latitude|longitude|ip\s*address|ipaddress|"
                         r"date of birth|\bdob\b|recipient|representative", re.I)
_H_META = re.compile(r"^(status|finished|progress|duration|language|user ?language|channel|distribution ?channel|"
                     r"page count|page length|paper width|media|is withdrawn\??|document type|document subtype|"
                     r"agency id|docket id|legacy id|attachment files|content files|title|subject|"
                     r"last modified time|start time|completion time|started|ended|submitted on|"
                     r"total points|quiz feedback)$|tracking|display properties|import ?id", re.I)
_H_OPEN = re.compile(r"\bwhy\b|explain|comment|reason|what else|please describe|describe (your|how|what|why|any)|tell us|please give|views|suggest|"
                     r"anything else|specify|_text$|\btext$|other\b.*\b(please|text)", re.I)
_H_WHY = re.compile(r"\bwhy\b|explain|reason|please give (your )?reasons|tell us (more|why)|please specify|"
                    r"_text$|\btext$|comments? on (this|your answer)|if (you answered|so|not|other)|say that", re.I)
_H_ENTRY = re.compile(r"_text$|-\s*text$|please specify|other \(please", re.I)  # an "Other: ..." text box
_H_QUESTION = re.compile(r"\?\s*$|^\s*(q(uestion)?\s*)?\d+[a-z]?[.):\s_-]|^q\d", re.I)
_QNUM = re.compile(r"^\s*(?:q(?:uestion)?\s*)?(\d+)([a-z]?)(?=[\s.):_-]|$)", re.I)

_INDIVIDUAL = re.compile(r"individual|myself|personal|private (citizen|individual)|member of (the )?public|"
                         r"citizen|\bme\b|\bself\b|anonymous|resident|parent|person", re.I)
_ORGANISATION = re.compile(r"organi[sz]ation|behalf|company|business|industry|association|charity|council|"
                           r"authority|government|nonprofit|non-profit|ngo|group|union|academic|university|"
                           r"school|trust|federation|society|institut|agency|firm|corporat|llc|ltd|provider", re.I)

_LONG_Q = re.compile(r"^(question|item|field|variable|question_?id|prompt)s?$", re.I)
_LONG_A = re.compile(r"^(answer|response|value|text|answer_?text|response_?text)s?$", re.I)
_LONG_R = re.compile(r"respondent|participant|person|submission|user|^rid$", re.I)


_SCALE = ["strongly agree", "agree", "somewhat agree", "tend to agree", "neither agree nor disagree", "neutral",
          "tend to disagree", "somewhat disagree", "disagree", "strongly disagree", "yes", "no", "not sure", "don't know",
          "prefer not to say"]


def _scale_rank(v: str) -> int | None:
    low = v.lower().strip(" .")
    return _SCALE.index(low) if low in _SCALE else None


@dataclass
class Column:
    """What a column's values look like."""

    name: str
    label: str  # the question text (Qualtrics' second header row) or the name
    values: list[str]  # every row's value, blanks included
    filled: int = 0
    distinct: int = 0
    mean_words: float = 0.0
    max_words: int = 0
    max_len: int = 0
    look: str = ""  # blank, constant, date, url, email, ip, number, bool, yesno, json, id, closed, free, short, label
    counts: Counter = field(default_factory=Counter)

    @property
    def unique(self) -> bool:
        return self.filled == len(self.values) and self.distinct == self.filled

    def options(self) -> list[str]:
        """Distinct values (case aside: the loader matches options ignoring case, so the commonest spelling
        stands for all), in scale order for an agree/disagree or yes/no scale, else most frequent first."""
        merged: Counter = Counter()
        spelling: dict[str, str] = {}
        for v, k in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            spelling.setdefault(v.lower(), v)
            merged[spelling[v.lower()]] += k
        by_count = [v for v, _ in sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))]
        ranks = [_scale_rank(v) for v in by_count]
        if all(r is not None for r in ranks) and len(set(ranks)) == len(ranks):
            return [v for _, v in sorted(zip(ranks, by_count))]
        return by_count

    def example(self) -> str:
        v = self.options()[0] if self.counts else ""
        return v if len(v) <= 40 else v[:37] + "..."


def profile(name: str, values: list[str], label: str | None = None) -> Column:
    """Describe a column from its values."""
    col = Column(name=name, label=label or name, values=values)
    filled = [v for v in values if v]
    col.filled = len(filled)
    col.counts = Counter(filled)
    col.distinct = len(col.counts)
    if not filled:
        col.look = "blank"
        return col
    words = [len(v.split()) for v in filled]
    col.mean_words = sum(words) / len(words)
    col.max_words = max(words)
    col.max_len = max(len(v) for v in filled)
    col.look = _look(col, filled)
    return col


def _share(values: list[str], test) -> float:
    return sum(1 for v in values if test(v)) / len(values)


def _look(col: Column, filled: list[str]) -> str:
    short = [v for v in filled if len(v) <= 80]
    if len(short) == len(filled):
        for look, pattern in (("url", _URL), ("email", _EMAIL), ("ip", _IP), ("date", _DATE)):
            if _share(filled, pattern.match) >= 0.9:
                return look
    else:
        if _share(filled, _URL.match) >= 0.9:
            return "url"
    if col.distinct == 1:
        return "constant"
    if all(v.startswith("{") for v in filled) and _share(filled, _is_json) >= 0.9:
        return "json"
    if col.unique and col.max_len <= 64 and _share(filled, lambda v: " " not in v.strip()) >= 0.95 and len(filled) >= 5:
        return "id"
    if _share(filled, _NUMBER.match) >= 0.95:
        return "number"
    if {v.lower() for v in col.counts} <= _BOOL:
        return "bool"
    if col.distinct <= 6 and all(_YES.match(v) or _NO.match(v) for v in col.counts):
        return "yesno"
    return _text_look(col)


def _text_look(col: Column) -> str:
    """free (varied text), closed (a few repeated options) or short (varied short values: names, titles)."""
    n, d, mw = col.filled, col.distinct, col.mean_words
    open_header = bool(_H_OPEN.search(col.label))
    if n < 8:  # too few answers to judge by repetition: length, then the header
        if mw >= 6 or col.max_words >= 12:
            return "free"
        return "free" if open_header else "closed"
    repeats = n / d  # how often each value recurs, on average
    if mw < 8 and d / n > 0.5:
        prefix, k = Counter(" ".join(v.split()[:2]) for v in col.counts.elements()).most_common(1)[0]
        if k >= 0.6 * n and len(prefix.split()) == 2:
            return "label"  # "Comment submitted by <name>": made from a template, not written by respondents
    if mw >= 6 or (col.max_words >= 15 and d / n > 0.3):
        return "free"
    if d <= 30 and repeats >= 2 and mw < 6:
        return "closed"
    if mw >= 3.5 and d / n > 0.6:
        return "free"
    return "free" if open_header and mw >= 2 else "short"


def _is_json(v: str) -> bool:
    try:
        return isinstance(json.loads(v), dict)
    except ValueError:
        return False


# --- the guesses ----------------------------------------------------------------------


@dataclass
class QuestionGuess:
    id: str
    text: str
    kind: str  # closed | open | hybrid
    closed_column: str | None = None
    text_column: str | None = None
    options: list[str] = field(default_factory=list)
    why: str = ""


@dataclass
class Draft:
    """Every role guessed for a data file, with the reason for each."""

    path: Path
    rows: int
    columns: list[str]
    platform: str | None = None
    layout: str = "wide"
    header_rows: int = 1
    respondent_column: str | None = None  # long layout
    question_column: str | None = None
    answer_column: str | None = None
    id: str | None = None  # wide layout: a column, or "@row"
    type: str | None = None
    type_values: dict[str, str] = field(default_factory=dict)
    organisation: str | None = None
    group: str | None = None
    consent: str | None = None
    consent_values: dict[str, bool] = field(default_factory=dict)
    attributes: list[str] = field(default_factory=list)
    questions: list[QuestionGuess] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # column -> why
    why: dict[str, str] = field(default_factory=dict)  # role -> why (or why not found)


def is_data_file(path: str | Path) -> bool:
    """Whether ``path`` is a file that ``consult`` can read as data (CSV, TSV, TXT, XLSX, JSONL)."""
    p = Path(path)
    return p.is_file() and p.suffix.lower() in DATA_SUFFIXES


def infer(data_file: str | Path) -> Draft:
    """Guess every column's role in a data file (see the module docstring)."""
    from consult.load import read_table

    path = Path(data_file)
    table = read_table(path)
    if not table.rows:
        raise ConsultError("the file has a header but no rows", file=path)
    draft = Draft(path=path, rows=len(table.rows), columns=list(table.columns))
    rows = table.rows
    labels: dict[str, str] = {}
    if _qualtrics_rows(table.columns, rows):
        draft.header_rows = 3
        draft.platform = "Qualtrics"
        labels = {c: rows[0].get(c) or c for c in table.columns}
        import_ids = {c: _import_id(rows[1].get(c, "")) for c in table.columns}
        rows = rows[2:]
        draft.rows = len(rows)
        if not rows:
            raise ConsultError("the file has Qualtrics' three header rows but no answers", file=path)
    else:
        import_ids = {}
    cols = [profile(c, [r.get(c, "") for r in rows], labels.get(c)) for c in table.columns]
    long = _long_shape(cols)
    if long is not None:
        draft.layout = "long"
        draft.platform = draft.platform or "a long layout (one row per answer)"
        _infer_long(draft, cols, rows, *long)
    else:
        draft.platform = draft.platform or _platform(table.columns)
        _infer_wide(draft, cols, import_ids)
    return draft


def _qualtrics_rows(columns: list[str], rows: list[dict[str, str]]) -> bool:
    """Qualtrics exports put the question texts in row 2 and ``{"ImportId": ...}`` in row 3."""
    if len(rows) < 2:
        return False
    third = [rows[1].get(c, "") for c in columns]
    return sum(1 for v in third if v.startswith("{") and "ImportId" in v) >= 0.5 * len(columns)


def _import_id(v: str) -> str:
    try:
        return str(json.loads(v).get("ImportId", ""))
    except (ValueError, AttributeError):
        return ""


def _platform(columns: list[str]) -> str | None:
    """The platform a header looks like it came from (for the draft's comments only)."""
    have = {c.lower() for c in columns}

    def has(*names: str) -> bool:
        return all(n.lower() in have for n in names)

    if has("Document ID", "Docket ID", "Tracking Number"):
        return "regulations.gov"
    if has("ID", "Start time", "Completion time"):
        return "Microsoft Forms"
    if has("Response ID", "Started", "Ended"):
        return "SmartSurvey"
    if has("Response ID", "Submitted on") or any(c.lower().startswith("are you responding as") for c in columns):
        return "Citizen Space"
    if has("ResponseId", "StartDate"):
        return "Qualtrics"
    return None


# --- wide layout ----------------------------------------------------------------------


def _infer_wide(draft: Draft, cols: list[Column], import_ids: dict[str, str]) -> None:
    free = {c.name: c for c in cols}

    def take(c: Column) -> None:
        free.pop(c.name, None)

    # Qualtrics marks its own metadata: an ImportId that is not a question's (QID...).
    for c in cols:
        iid = import_ids.get(c.name, "")
        if iid and not iid.startswith("QID") and iid != "_recordId":
            draft.left_out[c.name] = f"Qualtrics metadata ({iid})"
            take(c)

    # respondent id: unique, filled, short and patterned; header words rank candidates
    ids = [c for c in free.values() if c.look in ("id", "number") and c.unique and c.max_len <= 64]
    if ids:
        best = max(ids, key=lambda c: (_id_score(c), -cols.index(c)))
        draft.id = best.name
        draft.why["id"] = f"unique on every row, short and patterned (e.g. {best.example()!r})"
        take(best)
        for c in ids:
            if c is not best:
                draft.left_out[c.name] = ("personal data (names, contact details or location)"
                                          if _H_PERSONAL.search(c.label) else "another unique id per row")
                take(c)
    else:
        draft.id = ROW_ID
        draft.why["id"] = ("no column holds a unique, filled, short value on every row, "
                           "so respondents are numbered by their row in the file")

    # what cannot be an answer: blanks, constants, dates, links, emails, IP addresses, JSON
    for c in list(free.values()):
        if c.look in _NOT_ANSWERS:
            draft.left_out[c.name] = _NOT_ANSWERS[c.look] if c.look != "label" else _label_reason(c)
            take(c)
        elif c.look == "constant" and not (_H_ORG.search(c.label) and c.filled < len(c.values)):
            draft.left_out[c.name] = f"the same value on every filled row ({c.example()!r})"
            take(c)

    _respondent_fields(draft, list(free.values()), take)

    # Personal data and platform metadata, then numbers that are not rating scales.
    for c in list(free.values()):
        if _H_PERSONAL.search(c.label) and c.look in ("short", "closed", "number", "id", "free") and c.mean_words <= 4:
            draft.left_out[c.name] = "personal data (names, contact details or location)"
            take(c)
        elif _H_META.search(c.name) and c.look not in ("free",):
            draft.left_out[c.name] = "survey metadata, not an answer"
            take(c)
        elif c.look == "number" and not (c.distinct <= 11 and _H_QUESTION.search(c.label)):
            draft.left_out[c.name] = "numbers that are not answers to a question"
            take(c)
        elif c.look == "short" and not _H_QUESTION.search(c.label):
            draft.left_out[c.name] = "short varied values (names or labels), not answers to a question"
            take(c)
        elif c.look == "id":
            draft.left_out[c.name] = "a unique code per row"
            take(c)

    draft.questions = _questions([c for c in cols if c.name in free])


def _id_score(c: Column) -> int:
    score = sum(w for pattern, w in _H_ID if pattern.search(c.name))
    if c.look == "number":
        nums = sorted(int(v) for v in c.values if v.isdigit()) or [0]
        if nums == list(range(nums[0], nums[0] + len(nums))):
            score -= 1  # a plain row counter: fine, but a platform's own id is better
    return score


_NOT_ANSWERS = {"blank": "always blank", "date": "dates and times", "url": "links",
                "email": "email addresses (personal data)", "ip": "IP addresses (personal data)",
                "json": "structured data, not answers", "label": ""}


def _label_reason(c: Column) -> str:
    prefix = Counter(" ".join(v.split()[:2]) for v in c.counts.elements()).most_common(1)[0][0]
    return f"labels made from a template ({prefix!r} ...), not written by respondents"


def _respondent_fields(draft: Draft, cols: list[Column], take) -> None:
    """type, organisation, consent, group and place attributes, from values first."""
    # type: values that say individual or organisation
    best, best_score, best_map = None, 0.0, {}
    for c in cols:
        if c.look not in ("closed", "yesno", "short") or c.distinct > 12:
            continue
        mapping = _type_map(c)
        if not mapping:
            continue
        kinds = set(mapping.values())
        mapped = sum(n for v, n in c.counts.items() if mapping.get(v) != "unknown") / c.filled
        score = mapped + (0.5 if {"individual", "organisation"} <= kinds else 0) + (0.5 if _H_TYPE.search(c.label) else 0)
        enough = mapped >= (0.4 if _H_TYPE.search(c.label) else 0.7)
        if {"individual", "organisation"} <= kinds and enough and score > best_score:
            best, best_score, best_map = c, score, mapping
    if best is not None:
        draft.type, draft.type_values = best.name, best_map
        draft.why["type"] = "its values say individual or organisation (mapped in [respondent.type_values])"
        take(best)
    else:
        draft.why["type"] = "no column's values say individual or organisation"

    # organisation name: short text, header asks for it; mostly filled where the type says organisation
    orgs = [c for c in cols if c.name != draft.type and _H_ORG.search(c.label)
            and c.look in ("short", "closed", "free", "constant", "label")
            and c.mean_words <= 8]
    if orgs:
        c = orgs[0]
        draft.organisation = c.name
        draft.why["organisation"] = "the header asks for an organisation's name and the values are short names"
        take(c)
    else:
        draft.why["organisation"] = "no column holds organisation names"

    # consent: yes/no-like answers to a question about publishing
    for c in cols:
        if c.name in (draft.type, draft.organisation) or c.look not in ("yesno", "closed", "bool") or c.distinct > 8:
            continue
        if not _H_CONSENT.search(c.label):
            continue
        values = _consent_map(c)
        if sum(1 for v in values.values() if v is not None) < 2 / 3 * len(values):
            continue  # "Do you agree we should publish waiting times?": about publishing, not consent
        draft.consent = c.name
        draft.consent_values = {v: may for v, may in values.items() if may is not None and not _words_say(v)}
        unsure = [v for v, may in values.items() if may is None]
        for v in unsure:
            draft.consent_values[v] = False
        draft.why["consent"] = "the header asks about publishing and the values say yes or no"
        if unsure:
            draft.why["consent"] += "; values that say neither are treated as no (nothing of theirs is quoted)"
        take(c)
        break
    else:
        draft.why["consent"] = ("no column asks whether the response may be published, so consent to publish was "
                                "not recorded and no quotes will be published")

    # group: a few repeated categories, header asks which describes the respondent
    groups = [c for c in cols if c.name not in (draft.type, draft.organisation, draft.consent)
              and c.look == "closed" and 2 <= c.distinct <= 30 and _H_GROUP.search(c.label)]
    if groups:
        draft.group = groups[0].name
        draft.why["group"] = f"a few repeated categories ({groups[0].distinct}) describing the respondent"
        take(groups[0])
    elif draft.type is not None and len(draft.type_values) > 2:
        draft.group = draft.type
        draft.why["group"] = "the type column has more than two categories: kept as the group too"
    else:
        draft.why["group"] = "no column of categories describes the respondent"

    # attributes: where respondents are (not post codes or addresses)
    for c in cols:
        if c.name in (draft.type, draft.organisation, draft.consent, draft.group):
            continue
        if _H_PLACE.search(c.label) and not _H_PERSONAL.search(c.label) and c.look in ("closed", "short") \
                and c.mean_words <= 4:
            draft.attributes.append(c.name)
            take(c)
    if draft.attributes:
        draft.why["attributes"] = "where respondents are: kept for breakdowns, not analysed as answers"


def _type_map(c: Column) -> dict[str, str]:
    """Each value mapped to individual/organisation/unknown, or {} if the column is not about that."""
    yn = c.look == "yesno"
    if yn:  # "Are you responding on behalf of an organisation?" Yes/No
        asks_org = bool(re.search(r"organi[sz]ation|behalf", c.label, re.I))
        asks_ind = bool(re.search(r"individual|yourself|personal", c.label, re.I))
        if asks_org == asks_ind:
            return {}
        yes, no = ("organisation", "individual") if asks_org else ("individual", "organisation")
        return {v: (yes if _YES.match(v) else no) for v in c.counts}
    mapping = {}
    for v in c.counts:
        ind, org = bool(_INDIVIDUAL.search(v)), bool(_ORGANISATION.search(v))
        if "behalf" in v.lower() or ("organi" in v.lower() and not re.search(r"\bindividual\b", v, re.I)):
            ind = False
        mapping[v] = "organisation" if org and not ind else "individual" if ind and not org else "unknown"
    return mapping


def _words_say(v: str) -> bool:
    """Whether the loader's yes/no words understand a consent value by themselves."""
    from consult.load import FALSE_WORDS, TRUE_WORDS

    low = v.lower().strip(" .!")
    return low in TRUE_WORDS or low in FALSE_WORDS or low.startswith(("yes", "no", "do not", "don't"))


def _consent_map(c: Column) -> dict[str, bool | None]:
    out: dict[str, bool | None] = {}
    for v in c.counts:
        low = v.lower()
        if low in ("true", "false"):
            out[v] = low == "true"
        elif _NO.match(v) or re.search(r"\b(not|don't|do not|confidential|private|withhold)\b", low):
            out[v] = False
        elif _YES.match(v) or re.search(r"\b(may publish|can publish|happy|publish)\b", low):
            out[v] = True
        else:
            out[v] = None
    return out


# --- questions ------------------------------------------------------------------------


def _qnum(c: Column) -> str | None:
    m = _QNUM.match(c.name) or _QNUM.match(c.label)
    return m.group(1) if m else None


def _reads_as_why(closed: Column, text: Column) -> bool:
    """Whether a free-text column right after a closed one is its "why" (not a question of its own).

    It is when both carry the same question number (Q1 / Q1 Why; Q6 / Q6_4_TEXT),
    or when its header is a short follow-up ("Please explain your answer",
    "Why do you say that?"), whatever its number.
    """
    n1, n2 = _qnum(closed), _qnum(text)
    if n1 is not None and n1 == n2:
        return True
    for header in (text.label, text.name):
        rest = _QNUM.sub("", header).strip(" .):_-")
        if _H_WHY.search(header) and len(rest.split()) <= 10:
            return True
    return False


def _qid(c: Column, n: int, taken: set[str]) -> str:
    m = _QNUM.match(c.name) or _QNUM.match(c.label)
    if m:
        base = f"q{m.group(1)}{m.group(2).lower()}"
    else:
        words = re.findall(r"[a-z0-9]+", c.label.lower())
        base = "-".join(w for w in words if w not in _STOP)[:40].strip("-") or f"q{n}"
    qid, k = base, 2
    while qid in taken:
        qid, k = f"{base}-{k}", k + 1
    taken.add(qid)
    return qid


_STOP = {"the", "a", "an", "of", "to", "do", "you", "your", "is", "are", "that", "what", "how", "please", "and", "or",
         "in", "on", "for", "be", "should", "would", "this", "with", "it", "we", "us", "if", "any"}


def _question_text(c: Column) -> str:
    text = re.sub(r"\s*-\s*Selected Choice$", "", c.label)
    return text


def _questions(cols: list[Column]) -> list[QuestionGuess]:
    out: list[QuestionGuess] = []
    taken: set[str] = set()
    i = 0
    while i < len(cols):
        c = cols[i]
        nxt = cols[i + 1] if i + 1 < len(cols) else None
        closed = c.look in ("closed", "yesno", "bool", "number")
        texty = nxt is not None and (nxt.look in ("free", "short") or (nxt.look == "closed" and _H_ENTRY.search(nxt.label + " " + nxt.name)))
        if closed and nxt is not None and texty and _reads_as_why(c, nxt):
            out.append(QuestionGuess(
                id=_qid(c, len(out) + 1, taken), text=_question_text(c), kind="hybrid", closed_column=c.name,
                text_column=nxt.name, options=c.options(),
                why=f"{len(c.options())} options, followed by free text that reads as its \"why\"",
            ))
            i += 2
            continue
        if closed:
            out.append(QuestionGuess(
                id=_qid(c, len(out) + 1, taken), text=_question_text(c), kind="closed", closed_column=c.name,
                options=c.options(), why=f"{len(c.options())} options repeated across {c.filled} answers",
            ))
        else:
            out.append(QuestionGuess(
                id=_qid(c, len(out) + 1, taken), text=_question_text(c), kind="open", text_column=c.name,
                why=f"varied free text ({c.distinct} different answers of {c.filled}, {c.mean_words:.0f} words on average)",
            ))
        i += 1
    return out


# --- long layout ----------------------------------------------------------------------


def _long_shape(cols: list[Column]) -> tuple[Column, Column, Column] | None:
    """(respondent, question, answer) columns if the file is one row per answer."""
    n = len(cols[0].values) if cols else 0
    if n < 4:
        return None
    best, best_score = None, 0.0
    questions = [c for c in cols if 2 <= c.distinct <= min(200, n // 2) and c.filled == n and c.max_len <= 300]
    respondents = [c for c in cols if c.filled == n and 2 <= c.distinct <= n / 1.5 and c.max_len <= 64]
    for q in questions:
        for r in respondents:
            if r is q or not _pairs_unique(r.values, q.values):  # every (respondent, question) once
                continue
            for a in cols:
                if a in (q, r) or a.filled < 0.5 * n:
                    continue
                varied = a.distinct / max(a.filled, 1)
                score = (varied + min(a.mean_words, 20) / 20 + (1 if _LONG_Q.search(q.name) else 0)
                         + (1 if _LONG_A.search(a.name) else 0) + (1 if _LONG_R.search(r.name) else 0))
                if varied < 0.2:
                    continue
                if score > best_score:
                    best, best_score = (r, q, a), score
    return best


def _pairs_unique(a: list[str], b: list[str]) -> bool:
    seen: set[tuple[str, str]] = set()
    for pair in zip(a, b):
        if pair in seen:
            return False  # a wide file fails within its first rows
        seen.add(pair)
    return True


def _infer_long(draft: Draft, cols: list[Column], rows: list[dict[str, str]], r: Column, q: Column, a: Column) -> None:
    draft.respondent_column, draft.question_column, draft.answer_column = r.name, q.name, a.name
    draft.why["long"] = (f"each {r.name!r} appears on several rows, each with a different {q.name!r} "
                         f"({q.distinct} values), and {a.name!r} holds the answers")
    # The other columns: respondent fields if they never vary within a respondent.
    first: dict[str, dict[str, str]] = {}
    for row in rows:
        first.setdefault(row[r.name], {})
        for c in cols:
            if c.name not in (r.name, q.name, a.name) and row.get(c.name) and c.name not in first[row[r.name]]:
                first[row[r.name]][c.name] = row[c.name]
    seen: dict[str, dict[str, str]] = {}  # column -> respondent -> the value it had
    varies: set[str] = set()
    for row in rows:
        for c in cols:
            v = row.get(c.name, "")
            if v and c.name not in varies:
                had = seen.setdefault(c.name, {}).setdefault(row[r.name], v)
                if had != v:
                    varies.add(c.name)
    per_respondent = []
    for c in cols:
        if c.name in (r.name, q.name, a.name):
            continue
        if c.name in varies:
            draft.left_out[c.name] = ("a different value on every row (a row id)" if c.unique
                                      else "varies within a respondent, so it is not about the respondent")
            continue
        per_respondent.append(profile(c.name, [first[rid].get(c.name, "") for rid in first]))
    free = {c.name: c for c in per_respondent}

    def take(c: Column) -> None:
        free.pop(c.name, None)

    for c in list(free.values()):
        if c.look in _NOT_ANSWERS:
            draft.left_out[c.name] = _NOT_ANSWERS[c.look] if c.look != "label" else _label_reason(c)
            take(c)
    _respondent_fields(draft, list(free.values()), take)
    for c in free.values():
        draft.left_out[c.name] = "a respondent column with no role found"

    # One profile per question key, from the answers given to it, in the order respondents meet them.
    keys = _key_order(rows, r.name, q.name)
    answers = {k: [row[a.name] for row in rows if row[q.name] == k] for k in keys}
    key_cols = [profile(k, answers[k]) for k in keys]
    draft.questions = _questions(key_cols)


def _key_order(rows: list[dict[str, str]], rcol: str, qcol: str) -> list[str]:
    """Question keys in questionnaire order: a key comes first if it precedes the other for most respondents.

    (Order of first appearance fails when the first respondents skipped a question.)
    """
    seqs: dict[str, list[str]] = {}
    for row in rows:
        seqs.setdefault(row[rcol], []).append(row[qcol])
    keys = list(dict.fromkeys(row[qcol] for row in rows))
    if len(keys) > 60:
        return keys
    before: Counter = Counter()
    for seq in list(seqs.values())[:2000]:
        for i, a in enumerate(seq):
            for b in seq[i + 1:]:
                before[(a, b)] += 1
    wins = {k: sum(1 for o in keys if o != k and before[(k, o)] > before[(o, k)]) for k in keys}
    return sorted(keys, key=lambda k: -wins[k])  # stable: ties keep first appearance


# --- writing the draft ----------------------------------------------------------------


def _s(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


def _c(text: str) -> str:
    """Text safe inside a one-line comment."""
    return " ".join(str(text).split())


def draft_config(data_file: str | Path, config_dir: str | Path | None = None) -> str:
    """A TOML config for ``data_file`` that loads unedited, each guess commented.

    ``config_dir`` is the folder the config will be written to (default: the
    data file's folder). ``[data] file`` is the file's name when the config sits
    beside it, else its absolute path, so the config works wherever it is read from.
    """
    path = Path(data_file)
    draft = infer(path)
    here = Path(config_dir) if config_dir is not None else path.parent
    if here.resolve() == path.parent.resolve():
        file_value, file_note = path.name, "beside this config"
    else:
        file_value, file_note = str(path.resolve()), "an absolute path, as this config is kept in another folder"
    return render(draft, file_value, file_note)


def _name(path: Path) -> str:
    name = path.stem
    if name.lower() in _GENERIC and path.resolve().parent.name:
        name = path.resolve().parent.name  # responses/advocacy-standards/responses.csv: the folder names it
    return name


def consultation_id(data_file: str | Path) -> str:
    """The id a drafted config gives the consultation: the file's name (or its folder's, for a generic name)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", _name(Path(data_file))).strip("-.") or "consultation"
    return stem if re.match(r"[A-Za-z0-9]", stem) else "c-" + stem


_GENERIC = {"responses", "response", "data", "export", "results", "answers", "comments", "survey", "download"}


def render(d: Draft, file_value: str, file_note: str = "") -> str:
    """The TOML text of a draft."""
    stem = consultation_id(d.path)
    name = _name(d.path)
    title = re.sub(r"[-_]+", " ", name).strip().capitalize() or "Consultation"
    n_q = len(d.questions)
    source = f"a {d.platform} export" if d.platform and not d.platform.startswith("a ") else (d.platform or "a wide export")
    out = [
        f"# Drafted by `consult init` from {_c(d.path.name)}: {d.rows} rows, {len(d.columns)} columns.",
        f"# It looks like {_c(source)}. Roles were guessed from each column's values (header words only",
        "# break ties); each guess says why. The config loads as it is: check the guesses, the title and",
        "# the question texts before you publish anything.",
        "",
        "[consultation]",
        f"id = {_s(stem)}",
        f"title = {_s(title)}  # check: shown as the title of the summary",
        '# organisation = "the organisation that ran the consultation"',
        "",
        "[data]",
        f"file = {_s(file_value)}" + (f"  # {_c(file_note)}" if file_note else ""),
        f'layout = "{d.layout}"',
    ]
    if d.header_rows != 1:
        out.append(f"header_rows = {d.header_rows}  # rows 2-{d.header_rows} hold question texts and import ids, not answers")
    if d.layout == "long":
        out += [
            f"respondent_column = {_s(d.respondent_column or '')}",
            f"question_column = {_s(d.question_column or '')}",
            f"answer_column = {_s(d.answer_column or '')}",
            f"# {_c(d.why.get('long', ''))}",
        ]
    out += ["", "[respondent]"]
    if d.layout == "wide":
        out.append(f"id = {_s(d.id or ROW_ID)}  # {_c(d.why.get('id', ''))}")
    for key in ("type", "organisation", "group", "consent"):
        value = getattr(d, key)
        if value is not None:
            out.append(f"{key} = {_s(value)}  # {_c(d.why.get(key, ''))}")
        else:
            out.append(f"# {key}: not found: {_c(d.why.get(key, ''))}")
    out.append("attributes = [" + ", ".join(_s(a) for a in d.attributes) + "]"
               + (f"  # {_c(d.why['attributes'])}" if d.attributes else ""))
    if d.type_values:
        out += ["", "[respondent.type_values]  # every value seen; \"unknown\" = says neither"]
        out += [f"{_s(k)} = {_s(v)}" for k, v in d.type_values.items()]
    if d.consent_values:
        out += ["", "[respondent.consent_values]  # values the plain yes/no words do not settle (false = do not publish)"]
        out += [f"{_s(k)} = {'true' if v else 'false'}" for k, v in d.consent_values.items()]
    if d.left_out:
        out += ["", "# Columns left out (add one to attributes above to keep it):"]
        out += [f"#   {_c(_s(col))}: {_c(why)}" for col, why in d.left_out.items()]
    out += ["", f"# {n_q} question{'s' if n_q != 1 else ''}:"]
    if not d.questions:
        out.append("# No column looked like answers to a question: add [[questions]] by hand (docs/formats.md).")
    for q in d.questions:
        out += ["", "[[questions]]", f"# {q.kind}: {_c(q.why)}", f"id = {_s(q.id)}", f"text = {_s(q.text)}",
                f'kind = "{q.kind}"']
        if q.closed_column is not None:
            out.append(f"closed_column = {_s(q.closed_column)}")
        if q.text_column is not None:
            out.append(f"text_column = {_s(q.text_column)}")
        if q.kind != "open":
            out.append("options = [" + ", ".join(_s(o) for o in q.options) + "]  # every value seen")
    return "\n".join(out) + "\n"


def write_draft(data_file: str | Path, config_path: str | Path, *, force: bool = False) -> Path:
    """Draft a config for ``data_file`` and write it to ``config_path`` (refusing to overwrite unless ``force``)."""
    from consult.files import atomic_write_text

    config_path = Path(config_path)
    if config_path.exists() and not force:
        raise ConsultError("already exists; use --force to overwrite", file=config_path)
    text = draft_config(data_file, config_dir=config_path.parent)
    atomic_write_text(config_path, text)
    return config_path
