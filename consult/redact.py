"""Redaction of personal data from quotes before they are published.

Every quote that consult publishes passes through :class:`Redactor`. It finds
emails, UK phone numbers, postcodes, street addresses, NHS and National
Insurance numbers, dates of birth, links and people's names, plus any spans a
reviewer marked by hand, and replaces each with a visible marker such as
``[name]`` or ``[phone]``. Redacting already-redacted text changes nothing.

Names are found from cue phrases ("my son Jack", "my name is ...", "I'm
Priya"), titles ("Mrs Patel") and a bundled list of given names. Names that
are also ordinary words ("Will", "Hope", "May", ...) are only redacted with a
cue.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from consult.errors import ConsultError

__all__ = ["MARKERS", "OPTIONAL_KINDS", "STRUCTURED_KINDS", "Redaction", "Redactor", "Span", "evaluate", "redact"]

#: Marker that replaces each kind of personal data.
MARKERS: dict[str, str] = {
    "name": "[name]",
    "email": "[email]",
    "phone": "[phone]",
    "postcode": "[postcode]",
    "address": "[address]",
    "nhs_number": "[NHS number]",
    "ni_number": "[NI number]",
    "date_of_birth": "[date of birth]",
    "place": "[place]",
    "url": "[link]",
    "marked": "[redacted]",
}

# When two detections overlap, the merged span takes the kind listed first.
_PRIORITY = [
    "marked",
    "email",
    "url",
    "nhs_number",
    "ni_number",
    "date_of_birth",
    "phone",
    "postcode",
    "address",
    "place",
    "name",
]


class Span(NamedTuple):
    """One redacted stretch of the original text."""

    start: int
    end: int
    kind: str
    original: str


@dataclass(frozen=True)
class Redaction:
    """The redacted text and the spans of the original that were replaced."""

    text: str
    spans: list[Span] = field(default_factory=list)


# --------------------------------------------------------------------------
# Bundled word lists


def _read_list(filename: str) -> frozenset[str]:
    data = resources.files("consult").joinpath("data", filename).read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in data.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def _bundled_names() -> tuple[frozenset[str], frozenset[str]]:
    """(all given names, the subset that are also ordinary words), lower-cased."""
    ordinary = {n.lower() for n in _read_list("ordinary_word_names.txt")}
    names = {n.lower() for n in _read_list("first_names.txt")} | ordinary
    return frozenset(names), frozenset(ordinary)


# --------------------------------------------------------------------------
# Structured patterns

_EXISTING_MARKER = re.compile(
    "|".join(re.escape(m) for m in sorted(set(MARKERS.values()), key=len, reverse=True))
)

# Lengths are bounded so that long runs like "a.a.a.a..." stay linear.
_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])"
)

_URL_TLDS = r"(?:com|org|net|uk|io|co|gov|edu|info|me|ly|be|tv|eu|app|dev|ie|us)"
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'\[\]]+"
    r"|(?<![\w.\-])(?:[A-Za-z0-9-]{1,63}\.){1,8}" + _URL_TLDS + r"/[^\s<>\"'\[\]]*",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)'\"’”"

# A UK number written nationally (leading 0, optionally in brackets) or
# internationally (+44 / 0044, optionally with "(0)"); digit count checked after.
_PHONE = re.compile(
    r"(?<![\w/.\-+£$])"
    r"(?:(?:\+|00)44[ \-.]?(?:\(0\)[ \-.]?)?[1-9]|\(?0[1-9])"
    r"(?:[ \-.)]{0,2}[0-9]){7,10}"
    r"(?![\w/])"
)

_NHS = re.compile(
    r"(?<![\w/.\-+£$])[1-9][0-9]{2}(?P<sep>[ \-]?)[0-9]{3}(?P=sep)[0-9]{4}(?![\w/\-])"
)

_NI = re.compile(
    r"(?<![\w])[A-Z]{2}(?P<sep>[ \-]?)[0-9]{2}(?P=sep)[0-9]{2}(?P=sep)[0-9]{2}(?P=sep)[A-D](?![\w])",
    re.IGNORECASE,
)

_POSTCODE = re.compile(
    r"(?<![\w\-/])"
    r"(?P<out>[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?))"
    r" ?(?P<in>[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![\w\-])",
    re.IGNORECASE,
)
# "Y6 1st term" looks like a postcode; real inward codes are rarely lower case.
_ORDINAL = re.compile(r"[0-9](?:st|nd|rd|th)")

_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Way|Crescent|Court|Ct"
    r"|Gardens|Gdns|Grove|Place|Terrace|Walk|Hill|Rise|Row|Square|Sq|Mews|Park"
    r"|Green|View|Parade|Vale|Gate|Wharf|Yard|Boulevard|Heights|Fields|Meadows"
    r"|Mead|Croft|Wynd|Brae|Quay|Circus|Approach|Broadway|Crossway)"
)
_ADDRESS = re.compile(
    r"(?:\b(?:Flat|Apartment|Apt|Unit|Room|Suite)\.?\s*[0-9]{1,4}[A-Za-z]?,?\s+)?"
    r"(?<![\w£$.,/\-])[0-9]{1,4}[A-Za-z]?(?:-[0-9]{1,4}[A-Za-z]?)?,?\s+"
    r"(?P<words>(?:[A-Z][a-z'’]*\.?\s+){1,3})"
    r"(?P<suffix>" + _STREET_SUFFIX + r")\b"
)
# "3 High Court judges" and the like are not addresses.
_NOT_STREET_WORDS = re.compile(
    r"^(?:High|Family|Crown|County|Youth|Magistrates['’]?|Supreme|Appeal|Coroner['’]?s|Car|Theme|Safe)\s"
)

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"|[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-](?:[0-9]{4}|[0-9]{2})(?![0-9])"
    r"|[0-9]{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+" + _MONTH + r"(?:,?\s+[0-9]{4})?"
    r"|" + _MONTH + r"\s+[0-9]{1,2}(?:st|nd|rd|th)?(?:,?\s+[0-9]{4})?"
    r"|" + _MONTH + r"\s+[0-9]{4})"
)
_DOB = re.compile(
    r"(?:\bborn(?:\s+(?:on|in))?(?:\s+the)?"
    r"|\bd\.?\s?o\.?\s?b\b\.?"
    r"|\bdate\s+of\s+birth|\bbirth\s*date|\bbirthday)"
    r"(?:\s+(?:is|was))?\s*[:\-–]?\s*"
    r"(?P<date>" + _DATE + r")(?![0-9])",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------
# Names

_LOWER = "a-zß-öø-ÿ"
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME_WORD = (
    rf"(?:O['’]|D['’])?[{_UPPER}][{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?(?:-[{_UPPER}][{_LOWER}]+)*"
)
_NAME_TOKEN = re.compile(rf"(?<![\w'’\-]){_NAME_WORD}(?![\w\-])")
_LOWER_TOKEN = re.compile(rf"[{_LOWER}]+(?![\w\-])")

# Capitalised words that follow cues or names but are not themselves names.
_STOPWORDS = frozenset(
    """
    i a an the and but or if so as at by for from in into of on to with without
    is are was were be been has have had do does did will would can could may
    might must shall should not no yes my our his her their your its this that
    these those there here then than when where who what which why how all any
    both each every some he she they we you me him them us it also just only
    mr mrs ms miss mx dr prof sir dame lord lady cllr councillor judge
    monday tuesday wednesday thursday friday saturday sunday january february
    march april june july august september october november december
    national local authority authorities council county borough city district
    department government ministry office service services social care team unit
    school schools academy college university hospital clinic centre center trust
    foundation charity society house home homes court courts tribunal police
    children children's child young people family families parents standards
    standard act section review officer head virtual independent advocacy
    advocate advocates english british welsh scottish irish muslim christian
    jewish hindu sikh catholic deaf autistic disabled black white asian african
    caribbean polish romanian north south east west northern southern eastern
    western midlands england wales scotland ireland london uk street road lane
    avenue age aged year years dear sir madam regards thanks thank best kind
    """.split()
)

# Words that make a name-list token part of a place or organisation name.
_PLACE_AFTER = re.compile(
    r"\s*(?:['’]s?\s+)?(?:Street|St\b|Road|Rd\b|Lane|Avenue|Hospital|School|Academy|College|"
    r"University|House|Centre|Center|Trust|Foundation|Court|Square|Station|Park|"
    r"Church|Primary|Infant|Junior|Ward|Hall|Institute|Clinic|Place|Terrace|Gardens|"
    r"Close|Drive|Way|Grove|Crescent|Estate|Report|Review|Inquiry|Principles|Model)\b"
)
_PLACE_BEFORE = re.compile(r"\b(?:St\.?|Saint)\s+$")

_DETERMINER = r"(?:my|our|his|her|their|your|the|a|an|one|two|three|four|both|whose|\w+['’]s)"
_ADJECTIVE = (
    r"(?:eldest|youngest|oldest|little|older|younger|elder|foster|adopted|adoptive|step|"
    r"birth|biological|late|best|former|new|old|current|previous|allocated|independent|"
    r"lovely|amazing|own|twin|baby|first|second|third|middle|ex|kinship|named|"
    r"family|support|personal|dear|wonderful|brilliant)[\s\-]+"
)
_RELATION = (
    r"(?:son|daughter|child|kid|boy|girl|baby|grandson|granddaughter|grandchild|nephew|niece|"
    r"brother|sister|stepson|stepdaughter|stepbrother|stepsister|cousin|husband|wife|partner|"
    r"mum|mam|mom|mummy|mother|dad|daddy|father|parent|nan|nana|gran|granny|grandma|"
    r"grandmother|grandad|grandpa|grandfather|aunt|auntie|aunty|uncle|friend|mate|"
    r"boyfriend|girlfriend|carer|social\s+worker|advocate|worker|keyworker|teacher|"
    r"headteacher|head\s+teacher|senco|iro|pa|adviser|advisor|guardian|solicitor|lawyer|"
    r"barrister|manager|colleague|therapist|counsellor|psychologist|psychiatrist|doctor|gp|"
    r"nurse|paediatrician|visitor|mentor|tutor|caseworker|coordinator|director|chair|"
    r"neighbour|interpreter|person|lead|officer|youngest|eldest|oldest|middle\s+one|little\s+one)"
)
# Plural forms, for "my granddaughters Darcie and Poppy".
_RELATIONS = r"(?:" + _RELATION + r"(?:s|es)?|children|twins)"
_RELATION_CUE = re.compile(
    r"\b" + _DETERMINER + r"\s+(?:" + _ADJECTIVE + r")*"
    r"(?:" + _RELATIONS + r"['’]s\s+(?:" + _ADJECTIVE + r")*)?"
    + _RELATIONS + r"\b"
    r"(?P<link>['’]s\s+name\s+(?:is|was)\s+|\s+(?:is|was)\s+(?:called|named)\s+|"
    r"\s*,\s*|\s+(?:called|named)\s+|\s+\(|\s+(?:is|was)\s+|\s+)"
    r"(?=\S)",
    re.IGNORECASE,
)
_NAME_IS_CUE = re.compile(
    r"(?:\b(?:my|his|her|their|our|your)\s+(?:\w+['’]s\s+)?(?:first\s+|full\s+|real\s+)?"
    r"name\s+(?:is|was)\s*:?\s+|\bname['’]s\s+|\bname\s*:\s*|\bcall\s+me\s+|\bsigned\s*:?\s+|"
    r"\b(?:regards|sincerely|thanks|thank\s+you|best\s+wishes|cheers|love|from|with\s+love)\s*[,:\-–]\s*)",
    re.IGNORECASE,
)
_SELF_CUE = re.compile(r"\b(?:I['’]m|I\s+am|Im|im|this\s+is|called|named)\s+(?:called\s+)?", re.IGNORECASE)
# Titles in any case ("miss Grant" as a young person writes it); the name itself must be capitalised.
_TITLE = re.compile(
    r"\b(?i:Mrs|Mr|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lady|Lord|Cllr|Councillor|Judge|"
    r"Rev|Revd|Reverend|Auntie|Aunty|Uncle)\.?\s+"
    rf"(?P<name>(?:[A-Z]\.\s*){{0,3}}{_NAME_WORD}(?:\s+{_NAME_WORD})?)"
)
# "Grace, my foster daughter, ..."
_APPOSITIVE = re.compile(
    rf"(?<![\w'’\-])(?P<name>{_NAME_WORD}),\s+(?i:(?:my|our|his|her|their)\s+(?:" + _ADJECTIVE + r")*"
    + _RELATION + r")\b"
)
_TITLE_NOT_NAME = frozenset({"barnardo", "barnardo's", "who", "seuss"})
_SURNAME = re.compile(
    rf"[ \t]+((?:[A-Z]\.\s*)?(?:(?:de|da|di|du|van|von|der|den|la|le|el|al|bin|ibn|ben)\s+)?{_NAME_WORD})(?![\w\-])"
)
_COORD = re.compile(r"(?:\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*|\s+or\s+)")


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str


class Redactor:
    """Find personal data in a quote and replace it with visible markers.

    Parameters
    ----------
    names:
        Extra names to redact wherever they appear as whole words (for example
        respondents' or staff names known from the data), cue or not.
    use_names_list:
        Also redact capitalised words found in the bundled list of given
        names. Cue phrases and titles are used either way.
    extra_patterns:
        Extra regular expressions to redact, as ``{kind: pattern}`` or a
        sequence of ``(kind, pattern)``. A kind from :data:`MARKERS` uses that
        marker; any other kind is replaced by ``[redacted]``.
    """

    def __init__(
        self,
        names: Iterable[str] | None = None,
        use_names_list: bool = True,
        extra_patterns: Mapping[str, str | re.Pattern[str]]
        | Sequence[tuple[str, str | re.Pattern[str]]]
        | None = None,
    ) -> None:
        self.names = list(names) if names is not None else None
        self.use_names_list = use_names_list
        self.extra_patterns = extra_patterns
        self._known_names = self._compile_names(self.names)
        self._extra = self._compile_extra(extra_patterns)
        if use_names_list:
            self._name_list, self._ordinary = _bundled_names()
        else:
            self._name_list, self._ordinary = frozenset(), frozenset()

    # ---------------------------------------------------------------- set-up

    @staticmethod
    def _compile_names(names: list[str] | None) -> re.Pattern[str] | None:
        if not names:
            return None
        cleaned = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
        if not cleaned:
            return None
        alternatives = "|".join(r"\s+".join(map(re.escape, n.split())) for n in cleaned)
        return re.compile(rf"(?<![\w\-])(?:{alternatives})(?![\w\-])", re.IGNORECASE)

    @staticmethod
    def _compile_extra(extra: object) -> list[tuple[str, re.Pattern[str]]]:
        if not extra:
            return []
        items = extra.items() if isinstance(extra, Mapping) else extra
        compiled = []
        for item in items:
            try:
                kind, pattern = item
            except (TypeError, ValueError):
                raise ConsultError(
                    f"extra redaction patterns must be (kind, pattern) pairs, got {item!r}"
                ) from None
            try:
                compiled.append((str(kind), re.compile(pattern)))
            except (re.error, TypeError) as exc:
                raise ConsultError(f"extra redaction pattern for {kind!r} is not a valid regular expression: {exc}") from None
        return compiled

    # ------------------------------------------------------------ public API

    def redact(self, text: str, marked_spans: Iterable[tuple[int, int]] = ()) -> Redaction:
        """Redact ``text``; ``marked_spans`` are (start, end) offsets a reviewer marked."""
        if not isinstance(text, str):
            raise ConsultError(f"can only redact text, got {type(text).__name__}")
        hits = self._marked(text, marked_spans)
        hits += self._detect(text)
        spans = _merge(hits, text)
        return Redaction(text=_apply(text, spans), spans=spans)

    def _detect(self, text: str) -> list[_Hit]:
        """All detections in ``text``, unmerged (may overlap)."""
        existing = [(m.start(), m.end()) for m in _EXISTING_MARKER.finditer(text)]
        hits: list[_Hit] = []
        hits += _find(_EMAIL, text, "email")
        hits += self._urls(text)
        hits += _find(_NHS, text, "nhs_number")
        hits += _find(_NI, text, "ni_number")
        hits += _find(_DOB, text, "date_of_birth", group="date")
        hits += self._phones(text)
        hits += self._postcodes(text)
        hits += self._addresses(text)
        hits += self._names(text)
        for kind, pattern in self._extra:
            hits += [_Hit(m.start(), m.end(), kind) for m in pattern.finditer(text) if m.end() > m.start()]
        if existing:
            # markers from an earlier pass are left alone, so redacting is idempotent
            starts = [s for s, _ in existing]
            kept = []
            for h in hits:
                i = bisect.bisect_left(starts, h.end)
                if i == 0 or existing[i - 1][1] <= h.start:
                    kept.append(h)
            hits = kept
        return hits

    # ------------------------------------------------------------ detectors

    @staticmethod
    def _marked(text: str, marked_spans: Iterable[tuple[int, int]]) -> list[_Hit]:
        hits = []
        for span in marked_spans or ():
            try:
                start, end = span
                start, end = int(start), int(end)
            except (TypeError, ValueError):
                raise ConsultError(f"a marked span must be a (start, end) pair of offsets, got {span!r}") from None
            if not 0 <= start <= end <= len(text):
                raise ConsultError(
                    f"marked span ({start}, {end}) is outside the text (length {len(text)})"
                )
            if end > start:
                hits.append(_Hit(start, end, "marked"))
        return hits

    @staticmethod
    def _urls(text: str) -> list[_Hit]:
        hits = []
        for m in _URL.finditer(text):
            end = m.end()
            while end > m.start() and text[end - 1] in _URL_TRAILING:
                # keep a closing bracket that belongs to the link
                if text[end - 1] == ")" and text[m.start():end].count("(") >= text[m.start():end].count(")"):
                    break
                end -= 1
            if end > m.start():
                hits.append(_Hit(m.start(), end, "url"))
        return hits

    @staticmethod
    def _phones(text: str) -> list[_Hit]:
        hits = []
        for m in _PHONE.finditer(text):
            end = m.end()
            raw = m.group()
            digits = re.sub(r"[^0-9+]", "", raw)
            if digits.startswith("+44"):
                national = "0" + digits[3:]
            elif digits.startswith("0044"):
                national = "0" + digits[4:]
            else:
                national = digits
            national = national.replace("+", "")
            if national.startswith("00"):
                national = national[1:]  # "+44 (0)" form
            if len(national) in (10, 11) and national.startswith("0"):
                hits.append(_Hit(m.start(), end, "phone"))
        return hits

    @staticmethod
    def _postcodes(text: str) -> list[_Hit]:
        hits = []
        for m in _POSTCODE.finditer(text):
            if _ORDINAL.fullmatch(m.group("in")):
                continue
            hits.append(_Hit(m.start(), m.end(), "postcode"))
        return hits

    @staticmethod
    def _addresses(text: str) -> list[_Hit]:
        hits = []
        for m in _ADDRESS.finditer(text):
            words = m.group("words")
            if m.group("suffix") in ("Court", "Ct", "Park", "Place") and _NOT_STREET_WORDS.match(words):
                continue
            hits.append(_Hit(m.start(), m.end(), "address"))
        return hits

    # ------------------------------------------------------------------ names

    def _is_listed(self, word: str) -> bool:
        return word.lower() in self._name_list

    def _is_ordinary(self, word: str) -> bool:
        return word.lower() in self._ordinary

    def _name_at(self, text: str, pos: int, *, strict: bool, lowercase: bool = False) -> tuple[int, int] | None:
        """The name starting at ``pos`` after a cue, as (start, end), or None.

        ``strict`` cues only accept listed names; other cues accept any
        capitalised word that is not a common non-name word.
        """
        m = _NAME_TOKEN.match(text, pos)
        if m:
            word = m.group()
            if word.lower() in _STOPWORDS and not (self._is_listed(word) and not strict):
                return None
            if strict and not self._is_listed(word):
                return None
            return m.start(), self._extend_surname(text, m.end())
        if lowercase:
            m = _LOWER_TOKEN.match(text, pos)
            if m and len(m.group()) >= 3 and self._is_listed(m.group()) and not self._is_ordinary(m.group()):
                return m.start(), m.end()
        return None

    def _extend_surname(self, text: str, end: int) -> int:
        """Extend a name over up to two following capitalised surname words."""
        for _ in range(2):
            m = _SURNAME.match(text, end)
            if not m:
                break
            word = m.group(1).split()[-1]
            if word.lower() in _STOPWORDS or (self._is_ordinary(word) and not self._is_listed_strict(word)):
                break
            if _PLACE_AFTER.match(text, m.start()):
                break
            end = m.end()
        return end

    def _is_listed_strict(self, word: str) -> bool:
        w = word.lower()
        return w in self._name_list and w not in self._ordinary

    def _names(self, text: str) -> list[_Hit]:
        found: list[tuple[int, int]] = []

        if self._known_names is not None:
            found += [(m.start(), m.end()) for m in self._known_names.finditer(text)]

        for m in _TITLE.finditer(text):
            words = [w for w in m.group("name").split() if not re.fullmatch(r"[A-Z]\.", w)]
            first = words[0].lower() if words else ""
            if first in _TITLE_NOT_NAME or first in _STOPWORDS:
                continue
            found.append((m.start("name"), m.end("name")))

        for m in _RELATION_CUE.finditer(text):
            link = m.group("link")
            # "my son is Jack" needs a listed name; "my son Jack" any capitalised word
            strict = bool(re.fullmatch(r"\s+(?:is|was)\s+", link))
            pos = m.end()
            span = self._name_at(text, pos, strict=strict, lowercase=not strict)
            if span is None and not strict:
                # "my foster carer Auntie Pam": one capitalised word before the name
                t = _NAME_TOKEN.match(text, pos)
                if t and t.group().lower() not in _STOPWORDS:
                    nxt = re.compile(r"\s+").match(text, t.end())
                    if nxt:
                        span = self._name_at(text, nxt.end(), strict=True)
            if span:
                found.append(span)

        for m in _APPOSITIVE.finditer(text):
            word = m.group("name")
            if word.lower() not in _STOPWORDS:
                found.append((m.start("name"), m.end("name")))

        for m in _NAME_IS_CUE.finditer(text):
            span = self._name_at(text, m.end(), strict=False, lowercase=True)
            if span:
                found.append(span)

        for m in _SELF_CUE.finditer(text):
            span = self._name_at(text, m.end(), strict=True, lowercase=True)
            if span:
                found.append(span)

        if self._name_list:
            for m in _NAME_TOKEN.finditer(text):
                word = m.group()
                if not self._is_listed(word) or self._is_ordinary(word):
                    continue
                if _PLACE_BEFORE.search(text[max(0, m.start() - 8):m.start()]):
                    continue
                if _PLACE_AFTER.match(text, m.end()):
                    continue
                end = self._extend_surname(text, m.end())
                if len(word) < 3 and end == m.end():
                    continue  # a two-letter name ("Jo") alone is too easily something else
                found.append((m.start(), end))

        # "Jessica, Ellie and Ruby": listed names joined to a found name
        found.sort()
        extra: list[tuple[int, int]] = []
        queue = list(found)
        seen = set(queue)
        while queue:
            start, end = queue.pop()
            c = _COORD.match(text, end)
            if not c:
                continue
            t = _NAME_TOKEN.match(text, c.end())
            if t and self._is_listed(t.group()) and not _PLACE_AFTER.match(text, t.end()):
                span = (t.start(), self._extend_surname(text, t.end()))
                if span not in seen:
                    seen.add(span)
                    extra.append(span)
                    queue.append(span)
        return [_Hit(s, e, "name") for s, e in found + extra if e > s]


# --------------------------------------------------------------------------
# Helpers


def _find(pattern: re.Pattern[str], text: str, kind: str, group: str | int = 0) -> list[_Hit]:
    return [_Hit(m.start(group), m.end(group), kind) for m in pattern.finditer(text)]


def _rank(kind: str) -> int:
    return _PRIORITY.index(kind) if kind in _PRIORITY else 0


def _merge(hits: list[_Hit], text: str) -> list[Span]:
    """Merge overlapping hits; a merged span takes the most specific kind."""
    spans: list[Span] = []
    cur: list | None = None
    for h in sorted(hits, key=lambda h: (h.start, -h.end)):
        if cur is not None and h.start < cur[1]:
            cur[1] = max(cur[1], h.end)
            if _rank(h.kind) < _rank(cur[2]):
                cur[2] = h.kind
            continue
        if cur is not None:
            spans.append(Span(cur[0], cur[1], cur[2], text[cur[0]:cur[1]]))
        cur = [h.start, h.end, h.kind]
    if cur is not None:
        spans.append(Span(cur[0], cur[1], cur[2], text[cur[0]:cur[1]]))
    return spans


def _apply(text: str, spans: list[Span]) -> str:
    parts = []
    pos = 0
    for span in spans:
        parts.append(text[pos:span.start])
        parts.append(MARKERS.get(span.kind, MARKERS["marked"]))
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)


_DEFAULT: Redactor | None = None


def redact(text: str, marked_spans: Iterable[tuple[int, int]] = ()) -> str:
    """Redact ``text`` with the default :class:`Redactor` and return the new text."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Redactor()
    return _DEFAULT.redact(text, marked_spans).text


#: Kinds whose recall target is 0.98 (issue 11): data with a fixed shape.
STRUCTURED_KINDS = ("email", "phone", "postcode", "nhs_number", "ni_number", "address")
#: Labelled kinds that may be redacted or left: a public office holder named in
#: their public role ("Secretary Cardona"). They count neither as missed nor,
#: when redacted, as wrong.
OPTIONAL_KINDS = ("public_office",)
_GROUPS = {"structured": STRUCTURED_KINDS, "names": ("name",), "places": ("place",)}
_ALNUM = re.compile(r"\w")
# A title at the start of a labelled name ("Mrs Patel") is not itself personal data.
_LEADING_TITLES = re.compile(
    r"(?:(?i:the\s+)?(?i:Mrs|Mr|Ms|Miss|Mx|Dr|Prof|Professor|Rev|Revd|Reverend|Sir|Dame|Lady|Lord|Cllr|Councillor)\.?\s+)+"
)


def _covered(start: int, end: int, text: str, pred: Sequence[Span]) -> bool:
    """Whether every letter and digit of text[start:end], after a leading title, lies inside a redacted span."""
    title = _LEADING_TITLES.match(text, start, end)
    if title and title.end() < end:
        start = title.end()
    for m in _ALNUM.finditer(text, start, end):
        i = m.start()
        if not any(p.start <= i < p.end for p in pred):
            return False
    return True


def evaluate(
    records: Iterable[Mapping], redactor: Redactor | None = None, *, match: str = "cover"
) -> dict[str, dict[str, float | int | None]]:
    """Recall and precision of ``redactor`` against labelled records.

    Each record is ``{"text": ..., "spans": [{"start", "end", "kind"}, ...]}``.
    With ``match="cover"`` a labelled span counts as found only when every
    letter and digit in it is inside some redacted span, of any kind (a
    surname left after "Mr. [name]" is a miss; a leading title such as "Mrs"
    may stay); with ``match="overlap"`` any
    overlapping redaction will do. A redacted span is correct when it
    overlaps any labelled span. Spans of :data:`OPTIONAL_KINDS` are neither
    required nor wrong. ``typed`` is the share of labelled spans overlapped by
    a redaction of their own kind.

    Figures are given per kind and for the groups ``"structured"``
    (:data:`STRUCTURED_KINDS`), ``"names"``, ``"places"`` and ``"all"``.
    """
    if match not in ("cover", "overlap"):
        raise ConsultError(f"match must be 'cover' or 'overlap', got {match!r}")
    redactor = redactor or Redactor()
    found: dict[str, list[int]] = {}  # kind -> [found, total]
    typed: dict[str, list[int]] = {}  # kind -> [right kind, total]
    right: dict[str, list[int]] = {}  # kind -> [correct, predicted]

    def add(table: dict[str, list[int]], kind: str, ok: bool) -> None:
        groups = [kind] if kind in OPTIONAL_KINDS else [kind, "all"]
        groups += [g for g, kinds in _GROUPS.items() if kind in kinds]
        for g in groups:
            row = table.setdefault(g, [0, 0])
            row[0] += ok
            row[1] += 1

    for rec in records:
        text = rec["text"]
        gold = [(s["start"], s["end"], s["kind"]) for s in rec.get("spans", [])]
        pred = redactor.redact(text).spans
        for gs, ge, gk in gold:
            near = [p for p in pred if p.start < ge and gs < p.end]
            ok = _covered(gs, ge, text, pred) if match == "cover" else bool(near)
            add(found, gk, ok)
            add(typed, gk, any(p.kind == gk for p in near))
        for p in pred:
            hits = [gk for gs, ge, gk in gold if p.start < ge and gs < p.end]
            if hits and all(k in OPTIONAL_KINDS for k in hits):
                continue
            add(right, p.kind, bool(hits))

    out: dict[str, dict[str, float | int | None]] = {}
    for key in sorted(set(found) | set(right)):
        f, total = found.get(key, [0, 0])
        t, _ = typed.get(key, [0, 0])
        c, predicted = right.get(key, [0, 0])
        out[key] = {
            "recall": round(f / total, 4) if total else None,
            "precision": round(c / predicted, 4) if predicted else None,
            "typed": round(t / total, 4) if total else None,
            "labelled": total,
            "found": f,
            "redacted": predicted,
        }
    return out
