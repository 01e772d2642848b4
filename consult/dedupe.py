"""Find exact copies, near-duplicates and organised campaigns among responses.

Nothing is ever dropped: every response gets exactly one record saying what it
is (``unique``, ``exact``, ``near``, ``campaign`` or ``non-substantive``), and
duplicates are grouped so that they can be counted and reported separately.
Original texts are never changed; :func:`normalise` is used only to compare.

How two answers are compared
    Each answer is normalised (Unicode NFKC, case-folded, punctuation, curly
    quotes and dashes removed, whitespace collapsed) and cut into sentences,
    and each sentence into overlapping runs of ``shingle_size`` words
    ("shingles"; Chinese, Japanese and Thai text, which has no spaces, is
    read one character at a time). Answers that are the same after
    normalisation are exact copies. Candidate near-duplicates are found with
    MinHash and locality-sensitive hashing, and by sharing a whole sentence of
    at least ``min_sentence_words`` words; every candidate pair is then checked
    exactly on its shingles. Hashing is deterministic (no salted ``hash()``),
    so the same input always gives the same result, whatever its order.

``jaccard_threshold`` (default 0.5)
    Two answers are near-duplicates when at least this share of all the
    shingles found in either answer is found in both (the Jaccard
    similarity). 0.5 catches answers with a few typos, reordered sentences or
    one sentence added or removed, while distinct answers on the same topic
    rarely share more than 0.2. Raise it to be stricter.

``containment_threshold`` (default 0.8)
    An answer made of a template plus a personal paragraph can have a low
    Jaccard similarity to the template (the personal paragraph dilutes it) and
    is still a copy of the template. So two answers are also near-duplicates
    when at least this share of the shorter answer's shingles is found in the
    longer one, provided the shorter answer has at least
    ``min_containment_shingles`` shingles (default 10, about a dozen words),
    so that a short generic phrase does not swallow long answers.

``num_perm`` (default 64) and ``random_state`` (default 0)
    The number of MinHash functions used to find candidate pairs, and the
    seed that draws them. More functions find candidates near the threshold
    more reliably, at some cost in time and memory; neither changes how
    candidates are checked, which is exact.

``shingle_size`` (default 3) and ``min_sentence_words`` (default 6)
    Shingles are runs of 3 words: a typo changes at most 3 of them, while
    different answers on the same topic share few. Two answers sharing a
    whole sentence of at least 6 words are always checked, which is how a
    template with a long personal paragraph is found even when the MinHash
    step would not pair them.

``min_campaign_size`` (default 10) and ``min_campaign_words`` (default 12)
    A group of at least ``min_campaign_size`` responses sharing a template of
    at least ``min_campaign_words`` words is reported as a campaign. Smaller
    groups, and groups of short common answers ("I agree with the proposals"),
    are reported as exact or near duplicates.

Templates and personal additions
    A campaign's template is made of the sentences found in at least half of
    its members, leaving out salutations ("Dear Secretary Cardona,"),
    sign-offs and everything signed under them. Sentences are split knowing
    common abbreviations and initials ("the U.S. Department", "Dr. Patel",
    "Jane A. Smith", "Site No. 14"). A member's personal addition (and a
    near-duplicate's) is what it says outside the template, less the letter's
    furniture: salutations, sign-offs, names, roles under a signature,
    addresses, towns, ZIP codes and postcodes, dates, reference and contact
    lines (e-mail, phone, web), "Sent from my iPhone". What is left counts only
    if it has at least ``min_addition_words`` words (default 4) in all; it is
    kept as written so that what each person added can still be read.
    :func:`campaign_labels` gives each campaign a short label that tells it
    apart from the others.

A group's canonical member is the one whose text is the most common in the
group; it is kind ``unique`` (``campaign`` if the group is a campaign), its
exact copies are ``exact`` and the other members ``near``; every member of a
campaign is ``campaign``. Answers such as "n/a", "no comment" or "see my
answer to question 3" are ``non-substantive`` and are not grouped. Reviewers'
decisions can be applied on top with ``overrides``.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numba
import numpy as np

# numba's default OpenMP threading layer keeps a second OpenMP runtime spinning
# beside torch's, which made embedding after deduplication 10x slower in one
# process; the workqueue layer has no spinning threads.
if numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "workqueue"

from consult.errors import ConsultError

__all__ = [
    "KINDS",
    "NOT_DUPLICATE",
    "DedupeRecord",
    "DedupeResult",
    "Deduplicator",
    "DuplicateGroup",
    "campaign_labels",
    "find_duplicates",
    "non_substantive",
    "normalise",
    "split_sentences",
]

NON_SUBSTANTIVE = "non-substantive"  # the kind of an answer that says nothing on the question
KINDS = ("unique", "exact", "near", "campaign", NON_SUBSTANTIVE)
NOT_DUPLICATE = "not-duplicate"

# --------------------------------------------------------------------------
# Normalisation

_SENTENCE_END = ".!?…。！？؟।"


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in range(sys.maxunicode + 1):
        cat = unicodedata.category(chr(cp))
        if cat[0] in "PS" or cat == "Cc":
            table[cp] = " "
        elif cat == "Cf":  # soft hyphens, zero-width spaces and joiners
            table[cp] = None
    for ch in "'’‘ʼ`´":  # "don't" and "dont" compare equal
        table[ord(ch)] = None
    for ch in _SENTENCE_END + "\n\r\u2028\u2029":
        table[ord(ch)] = "\n"
    return table


_TABLE: dict[int, str | None] = {}
_CHAR_TOKEN = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
_TOKENS = re.compile(f"[{_CHAR_TOKEN}]|[^\\s{_CHAR_TOKEN}]+")
_SENTENCE_BREAK = re.compile(r"[.!?…؟।。！？\n\r\u2028\u2029][.!?…؟।。！？\s]*")
_HARD_BREAK = frozenset("。！？\n\r\u2028\u2029")


def _prepare(text: str) -> str:
    """Case-folded NFKC text with punctuation removed and sentence ends as newlines."""
    if not _TABLE:
        _TABLE.update(_build_table())
    return unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)


def _tokens(key: str) -> list[str]:
    """Words of a normalised text; characters of scripts written without spaces."""
    return key.split() if key.isascii() else _TOKENS.findall(key)


def normalise(text: str | None) -> str:
    """Return ``text`` in the form used to compare answers (never shown to people).

    Unicode NFKC, case-folded, apostrophes removed, other punctuation, symbols,
    curly quotes and dashes replaced by spaces, whitespace collapsed to single
    spaces. ``None`` gives ``""``.
    """
    if text is None:
        return ""
    return " ".join(_prepare(text).split())


# A full stop after these words (lower-cased, without their last dot) does not
# end a sentence unless the next word is one that typically starts one:
# "the U.S. Department", "Dr. Patel", "Jane A. Smith", "at 7 p.m. that".
_ABBREVIATIONS = frozenset(
    "mr mrs ms mx dr prof rev revd hon sen rep gov gen lt col capt cmdr maj sgt cpl adm cllr supt insp det fr br "
    "sr jr esq messrs mme mlle pres st ste mt ft ave rd blvd ln ct pl sq hwy pkwy apt bldg dept univ assn govt "
    "inc ltd co corp llc plc bros etc al jan feb mar apr jun jul aug sep sept oct nov dec tel ext".split()
)
# These never end a sentence.
_ABBREVIATIONS_ALWAYS = frozenset("eg ie e.g i.e viz cf vs incl esp approx ca c.f n.b p.s ps w.r.t a.k.a aka".split())
# These are abbreviations only before a number: "Site No. 14", "p. 5", "Vol. 2".
_ABBREVIATIONS_NUMBERED = frozenset("no nos nr vol vols p pp para paras art sec ch chap fig figs".split())
_ABBREVIATION_KIND = {w: 0 for w in _ABBREVIATIONS} | {w: 1 for w in _ABBREVIATIONS_NUMBERED}
_ABBREVIATION_KIND |= {w: 2 for w in _ABBREVIATIONS_ALWAYS}
_LONGEST_ABBREVIATION = 8  # characters, with an opening bracket or quote
_DOTTED = re.compile(r"(?:[a-z]{1,3}\.)+[a-z]{1,3}")  # u.s, ph.d, a.m
_NEXT_WORD = re.compile(r"[\"'“‘(\[]*(\w+)")
_STARTERS = frozenset(
    "the this that these those there their they then thus therefore however it its i we our us my me you your "
    "he his she her in on at for from to as if when while where why what how who which please but and or so "
    "also many most some all any each every no not nor a an one both yet after before since because although "
    "though even without with only instead furthermore moreover finally first firstly secondly lastly thank "
    "thanks let do does is are was were will would should can could must may might over under here now today "
    "such other another".split()
)


def _joins(word: str, text: str, end: int) -> bool:
    """Whether a full stop after ``word`` (lower-cased), followed by ``text[end:]``, is inside a sentence."""
    word = word.lstrip("([{\"'“‘")
    kind = _ABBREVIATION_KIND.get(word)
    if kind is None:
        if not ((len(word) == 1 and word.isalpha()) or ("." in word and _DOTTED.fullmatch(word))):
            return False
        kind = 0
    if kind == 2:
        return True
    nxt = _NEXT_WORD.match(text, end)
    if kind == 1:
        return nxt is not None and nxt.group(1)[0].isdigit()
    return nxt is None or not (nxt.group(1)[0].isupper() and nxt.group(1).lower() in _STARTERS)


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences and paragraphs, keeping their original wording.

    Every line is a sentence of its own. A full stop is not a sentence end
    inside a number ("3.5"), in an ellipsis ("wait... what") or after a common
    abbreviation or initial ("U.S.", "Dr.", "Mr.", "e.g.", "i.e.", "No. 14",
    "St. Louis", "Jane A. Smith", "7 p.m."), unless the next word is one that
    usually starts a sentence ("... in the U.S. The law ...").
    """
    out = []
    start = 0
    n = len(text)
    for m in _SENTENCE_BREAK.finditer(text):
        end = m.end()
        mark = m.group()
        if end < n and _HARD_BREAK.isdisjoint(mark):
            # "3.5" and "e.g.x" are not breaks: a Latin stop must be followed by a space.
            if not mark[-1].isspace():
                continue
            if mark[0] == ".":
                if mark.count(".") > 1:  # an ellipsis
                    continue
                stop = m.start()
                j = text.rfind(" ", start, stop) + 1 or start
                if stop - j <= _LONGEST_ABBREVIATION:
                    word = text[j:stop].lower()
                    maybe = word in _ABBREVIATION_KIND or len(word) == 1 or "." in word or not word[:1].isalpha()
                    if maybe and _joins(word, text, end):
                        continue
            elif "…" in mark:
                continue
        s = text[start:end].strip()
        if s:
            out.append(s)
        start = end
    s = text[start:].strip()
    if s:
        out.append(s)
    return out


# --------------------------------------------------------------------------
# Letter furniture: what a copy of a form letter carries besides its message

_SALUTATION = re.compile(
    r"(?:dear|hello|hi|hiya|hey|greetings|good\s+(?:morning|afternoon|evening|day)|attn|attention|fao|annwyl|helo)\b"
    r"[^\n,:;!?]{0,80}?(?:[,:;!]+|$|(?=\s+(?:I|We|My|Our|As|Please)\s))"
    r"|to\s+whom\s+it\s+may\s+concern\b[\s,:;!.]*"
    r"|(?:sirs?|madam|sir\s*/\s*madam|sir\s+or\s+madam)\s*(?:[,:;!]+|$)",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"(?:(?:yours\s+)?(?:very\s+)?(?:sincerely|faithfully|truly|respectfully|cordially|gratefully)"
    r"(?:\s+yours)?(?:\s+submitted)?"
    r"|(?:with\s+)?(?:(?:kind|kindest|best|warm|warmest|many)\s+)?(?:regards|wishes)"
    r"|all\s+the\s+best|best|cheers|take\s+care|in\s+solidarity|blessings|god\s+bless"
    r"|(?:yr\s+eiddoch\s+)?yn\s+gywir|cofion(?:\s+(?:gorau|cynnes))?|diolch(?:\s+yn\s+fawr)?"  # Welsh
    r"|(?:with\s+|many\s+)?thanks(?:\s+(?:again|so\s+much|very\s+much|in\s+advance))?"
    r"|thank\s+you(?:\s+(?:again|so\s+much|very\s+much|kindly|in\s+advance))?"
    r"(?:\s+for\s+(?:your|the)\s+(?:time|consideration|attention|help|support)"
    r"(?:\s+(?:to|on|in)\s+this(?:\s+(?:important\s+)?(?:matter|issue))?)?)?"
    r")\b\s*([,.!:;\u2013\u2014-]*)\s*",
    re.IGNORECASE,
)
_POSTSCRIPT = re.compile(r"\bP\.?\s?S\b\.?")
_REFERENCE = re.compile(r"(?:re|subject|ref|reference|our\s+ref|your\s+ref|fao|cc)\s*[:.\u2013\u2014-]", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"(?:sent\s+(?:from|via|using)\s+(?:my\s+)?\w+|get\s+outlook\s+for\s+\w+"
    r"|this\s+(?:message|e-?mail|comment|letter)\s+was\s+(?:sent|generated|submitted)\s+(?:via|by|using|through))\b",
    re.IGNORECASE,
)
# Lower-case words that occur in names, addresses, places and contact lines
# ("Newcastle upon Tyne", "Peter and Ann Lowe", "Department of Education").
_DETAIL_WORDS = frozenset(
    "of the and & upon on in at by de da das dos del della di du van von der den la le el y bin ibn al "
    "st ste apt flat unit suite box po c/o email e-mail tel phone mobile cell fax ext x or retd".split()
)
_STRIP = "\"'“”‘’()[]{}<>,.;:!?*–—-"
# Words a salutation, sign-off, reference or boilerplate line can start with.
_FURNITURE_START = re.compile(
    r"(?:dear|hello|hi|hiya|hey|greetings|good|attn|attention|fao|to|sirs?|madam|yours|very|sincerely|faithfully"
    r"|truly|respectfully|cordially|gratefully|with|kind|kindest|best|warm|warmest|many|regards|wishes|all|cheers"
    r"|take|in|blessings|god|thanks|thank|sent|get|this|re|subject|ref|reference|our|your|cc"
    r"|annwyl|helo|yr|yn|cofion|diolch)\b",
    re.IGNORECASE,
)


def _prose_words(text: str, limit: int) -> int:
    """How many words of ``text`` read as running text (counting stops at ``limit``).

    Words starting with a capital, a digit or a symbol, e-mail addresses, web
    addresses and the small words of names and addresses are not counted;
    "I" is, and so are words of scripts without capitals.
    """
    count = 0
    head = text.split(None, 4)  # running text usually shows itself in the first few words
    words = head[:4] if len(head) == 5 else head
    for part in (words, head[4].split() if len(head) == 5 else ()):
        for word in part:
            w = word.strip(_STRIP)
            if not w:
                continue
            c = w[0]
            if w == "I":
                count += 1
            elif not c.isalpha() or c.isupper() or "@" in w or w.startswith(("http", "www.")):
                continue
            elif w.lower() not in _DETAIL_WORDS:
                count += 1
            if count >= limit:
                return count
    return count


def _signature_like(text: str) -> bool:
    """A name, role, address, place or contact details rather than a sentence."""
    words = text.split()
    return _prose_words(text, 3) <= (2 if len(words) <= 10 else 0)


def _letter_part(sentence: str) -> tuple[str, str, str]:
    """What one sentence or line of a letter is: ``(core, key, kind)``.

    ``kind`` is ``"salutation"``, ``"sign-off"`` or ``"text"``; ``core`` is
    the wording left once a leading salutation, or a sign-off with the
    signature after it, is taken off (what follows a sign-off may be a P.S.),
    and ``key`` its normalised form.
    """
    if _FURNITURE_START.match(sentence) is None:
        return sentence, normalise(sentence), "text"
    core = sentence
    m = _SALUTATION.match(sentence)
    if m is not None:
        core = sentence[m.end() :].strip()
        if not core:
            return "", "", "salutation"
    m = _SIGN_OFF.match(core)
    if m is not None:
        rest = core[m.end() :]
        ps = _POSTSCRIPT.search(rest)
        if not rest or _signature_like(rest if ps is None else rest[: ps.start()]):
            rest = "" if ps is None else rest[ps.start() :]
            return rest, normalise(rest), "sign-off"
        if m.group(1):  # "Thanks, and please ...": a sign-off followed by more words
            return rest, normalise(rest), "sign-off"
    return core, normalise(core), "text"


def _is_detail(text: str) -> bool:
    """A name, address, place, date, reference, contact or boilerplate line, not a sentence."""
    if text.count(" ") < 30 and _prose_words(text, 1) == 0:
        return True
    return _BOILERPLATE.match(text) is not None or (_REFERENCE.match(text) is not None and text.count(" ") < 20)


# --------------------------------------------------------------------------
# Non-substantive answers

_NS_MAX_WORDS = 16
_LATER = r"(?: at (?:this|the moment|present)| at this (?:time|stage|point))?"
_THANKS = r"(?: (?:thank you|thanks|many thanks|thank you very much))?"
_QREF = r"(?:q|question|questions|qu|section|part|no|number)? ?\d+[a-z]?(?: (?:and|&) ?\d+[a-z]?)?"
_NS_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "no-comment",
        re.compile(
            r"(?:"
            r"n ?a|na|nil|none|null|nothing|nada|nowt|not applicable|non applicable|"
            r"does not apply|doesnt apply|not relevant|"
            r"(?:i have |we have |i ve |weve |ive )?(?:no|none) (?:further |other |additional |more |particular |specific )?"
            r"(?:comments?|response|answer|views?|opinions?|input|thoughts|feedback|suggestions?|remarks?)"
            r"(?: to (?:add|make|give|offer))?|"
            r"(?:i have |we have |i ve |ive |weve )?nothing(?: (?:further|else|more|additional|much|at all))?"
            r"(?: (?:to (?:add|say|comment|report|suggest|mention|share)))?(?: (?:here|on this))?|"
            r"no (?:thanks?|thank you)|not at this (?:time|stage|point)|"
            r"dim|dim sylw(?:adau)?|dim i w ychwanegu|dim iw ychwanegu|dim byd|amherthnasol"
            r")" + _LATER + _THANKS
        ),
    ),
    (
        "dont-know",
        re.compile(r"(?:i )?(?:dont|do not|don t) know|not sure|unsure|no idea|idk|dk|dunno|ddim yn gwybod"),
    ),
    (
        "see-attachment",
        re.compile(
            r"(?:please )?(?:see|refer to|read) (?:the |our |my )?"
            r"(?:attached|attachment|enclosed|letter|email|e mail|submission|document|response document)"
            r"(?: (?:letter|document|submission|response|file|paper))?"
        ),
    ),
    (
        "see-other-answer",
        re.compile(
            r"(?:please )?(?:see|refer to|read|as per|same as|as in|as|ditto|again) ?"
            r"(?:my |our |the )?(?:previous|earlier|above|below|prior|last|first|other|same|former)? ?"
            r"(?:answers?|responses?|comments?|replies|reply|points?|questions?|q)? ?"
            r"(?:(?:to|for|in|at|under|on|given (?:to|in|for)) )?"
            r"(?:" + _QREF + r"|above|below|before|previously|earlier|previous|"
            r"(?:my |our |the )?(?:previous|earlier|last|other) (?:answers?|responses?|comments?|questions?))"
            r"(?: (?:above|below))?|"
            r"ditto|same(?: again| here)?|as (?:stated|said|mentioned|noted|explained|outlined|answered|described|above|before)"
            r"(?: (?:above|before|previously|earlier|already|in (?:my |our )?(?:previous|earlier|last|other) "
            r"(?:answers?|responses?|comments?)|in " + _QREF + r"))?|"
            r"gweler (?:uchod|isod|fy ateb blaenorol)|fel uchod"
        ),
    ),
    ("placeholder", re.compile(r"x+|test(?:ing)?|asdf\w*|qwerty|tbc|tbd|blah(?: blah)*")),
]
# Answers made of a few of these only, e.g. "N/A - no comment".
_NS_SHORT = re.compile(r"(?:n a|na|none|nil|no comment|nothing|see above|as above|ditto)(?: (?:n a|na|none|nil|no comment|nothing|see above|as above|ditto))+")


def _ns_reason(key: str) -> str | None:
    if not key:
        return "blank"
    if key.count(" ") >= _NS_MAX_WORDS:
        return None
    for reason, pattern in _NS_PATTERNS:
        if pattern.fullmatch(key):
            return reason
    if _NS_SHORT.fullmatch(key):
        return "no-comment"
    return None


def non_substantive(text: str | None) -> str | None:
    """Say why ``text`` has no substance, or return ``None`` if it may have some.

    Reasons: ``"blank"`` (empty, whitespace or punctuation only, or ``None``),
    ``"no-comment"`` ("n/a", "none", "no comment", "nothing to add"),
    ``"dont-know"`` ("don't know", "not sure"), ``"see-other-answer"`` ("see
    my answer to question 3", "as above", "same as before"),
    ``"see-attachment"`` ("see attached letter") and ``"placeholder"``
    ("xxx", "test"). Real short answers ("No, because ...", "Yes") are not caught.
    """
    return _ns_reason(normalise(text))


# --------------------------------------------------------------------------
# Hashing kernels (numba). Deterministic 64-bit hashes: FNV-1a over code
# points, finished with the splitmix64 mixer.

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True, inline="always")
def _mix(x):
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def _is_space(c):
    return c <= 32 or c == 0x85 or c == 0xA0 or c == 0x1680 or (0x2000 <= c <= 0x200B) or c == 0x202F or c == 0x205F or c == 0x3000 or c == 0xFEFF


@numba.njit(cache=True, inline="always")
def _is_char_token(c):
    # Scripts written without spaces between words: one character per token.
    return (
        (0x3040 <= c <= 0x30FF)  # hiragana, katakana
        or (0x3400 <= c <= 0x4DBF)
        or (0x4E00 <= c <= 0x9FFF)
        or (0xF900 <= c <= 0xFAFF)
        or (0x20000 <= c <= 0x2FA1F)
        or (0x0E00 <= c <= 0x0EFF)  # Thai, Lao
        or (0x1000 <= c <= 0x109F)  # Myanmar
        or (0x1780 <= c <= 0x17FF)  # Khmer
    )


@numba.njit(cache=True)
def _emit_sentence(toks, ntok, k, min_sent, shbuf, nsh, sent_hash, sent_doc, nsent, doc):
    if ntok == 0:
        return nsh, nsent
    if ntok < k:
        h = _GOLD
        for j in range(ntok):
            h = _mix(h * _FNV_PRIME + toks[j])
        shbuf[nsh] = np.uint32(h >> np.uint64(32))
        nsh += 1
    else:
        for i in range(ntok - k + 1):
            h = _GOLD
            for j in range(k):
                h = _mix(h * _FNV_PRIME + toks[i + j])
            shbuf[nsh] = np.uint32(h >> np.uint64(32))
            nsh += 1
    if ntok >= min_sent:
        h = _GOLD ^ np.uint64(ntok)
        for j in range(ntok):
            h = _mix(h * _FNV_PRIME + toks[j])
        sent_hash[nsent] = h
        sent_doc[nsent] = doc
        nsent += 1
    return nsh, nsent


@numba.njit(cache=True)
def _shingle_chunk(cps, starts, k, min_sent, doc0):
    """Sorted distinct 32-bit shingle hashes per document, and 64-bit hashes
    of its long sentences."""
    ndoc = starts.shape[0] - 1
    total = cps.shape[0]
    out = np.empty(total + ndoc, dtype=np.uint32)
    counts = np.zeros(ndoc, dtype=np.int64)
    sent_hash = np.empty(total // 2 + ndoc, dtype=np.uint64)
    sent_doc = np.empty(total // 2 + ndoc, dtype=np.int64)
    nsent = 0
    pos = 0
    for d in range(ndoc):
        a = starts[d]
        b = starts[d + 1]
        toks = np.empty(b - a + 1, dtype=np.uint64)
        shbuf = np.empty(b - a + 1, dtype=np.uint32)
        ntok = 0
        nsh = 0
        h = _FNV_OFFSET
        intok = False
        for i in range(a, b + 1):
            c = cps[i] if i < b else np.uint32(10)
            if c == 10 or _is_space(c) or _is_char_token(c):
                if intok:
                    toks[ntok] = _mix(h)
                    ntok += 1
                    intok = False
                    h = _FNV_OFFSET
                if c == 10:
                    nsh, nsent = _emit_sentence(toks, ntok, k, min_sent, shbuf, nsh, sent_hash, sent_doc, nsent, doc0 + d)
                    ntok = 0
                elif not _is_space(c):
                    toks[ntok] = _mix((_FNV_OFFSET ^ np.uint64(c)) * _FNV_PRIME)
                    ntok += 1
            else:
                h = (h ^ np.uint64(c)) * _FNV_PRIME
                intok = True
        if nsh > 0:
            s = np.sort(shbuf[:nsh])
            out[pos] = s[0]
            m = 1
            for i in range(1, nsh):
                if s[i] != s[i - 1]:
                    out[pos + m] = s[i]
                    m += 1
            pos += m
            counts[d] = m
    return out[:pos].copy(), counts, sent_hash[:nsent].copy(), sent_doc[:nsent].copy()


@numba.njit(cache=True, parallel=True)
def _minhash(flat, offsets, a, b):
    n = offsets.shape[0] - 1
    p = a.shape[0]
    sig = np.full((n, p), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    for d in numba.prange(n):
        for i in range(offsets[d], offsets[d + 1]):
            x = np.uint64(flat[i])
            for j in range(p):
                v = np.uint32((a[j] * x + b[j]) >> np.uint64(32))
                if v < sig[d, j]:
                    sig[d, j] = v
    return sig


@numba.njit(cache=True, parallel=True)
def _intersections(flat, offsets, u, v):
    m = u.shape[0]
    out = np.zeros(m, dtype=np.int64)
    for e in numba.prange(m):
        i = offsets[u[e]]
        ie = offsets[u[e] + 1]
        j = offsets[v[e]]
        je = offsets[v[e] + 1]
        c = 0
        while i < ie and j < je:
            if flat[i] == flat[j]:
                c += 1
                i += 1
                j += 1
            elif flat[i] < flat[j]:
                i += 1
            else:
                j += 1
        out[e] = c
    return out


@numba.njit(cache=True)
def _bucket_scan(keys, order, items, rank, small, eu, ev, fill):
    n = order.shape[0]
    m = 0
    s = 0
    while s < n:
        e = s + 1
        while e < n and keys[order[e]] == keys[order[s]]:
            e += 1
        size = e - s
        if size >= 2 and size <= small:
            for x in range(s, e):
                for y in range(x + 1, e):
                    if fill:
                        eu[m] = items[order[x]]
                        ev[m] = items[order[y]]
                    m += 1
        elif size > small:
            hub = items[order[s]]
            for x in range(s + 1, e):
                it = items[order[x]]
                if rank[it] < rank[hub]:
                    hub = it
            for x in range(s, e):
                it = items[order[x]]
                if it != hub:
                    if fill:
                        eu[m] = it
                        ev[m] = hub
                    m += 1
        s = e
    return m


def _bucket_edges(keys, items, rank, small):
    """Candidate pairs among items sharing a key: all pairs in small buckets,
    otherwise each item with the bucket's best-ranked item."""
    order = np.argsort(keys, kind="stable")
    none = np.empty(0, dtype=np.int64)
    m = _bucket_scan(keys, order, items, rank, small, none, none, False)
    eu = np.empty(m, dtype=np.int64)
    ev = np.empty(m, dtype=np.int64)
    _bucket_scan(keys, order, items, rank, small, eu, ev, True)
    return eu, ev


@numba.njit(cache=True)
def _star_clusters(order, indptr, nbrs, nbr_sim):
    """Greedy star clustering: in priority order, an unassigned node becomes a
    centre and takes its unassigned neighbours."""
    n = order.shape[0]
    centre = np.full(n, -1, dtype=np.int64)
    sim = np.ones(n, dtype=np.float64)
    for u in order:
        if centre[u] != -1:
            continue
        centre[u] = u
        for t in range(indptr[u], indptr[u + 1]):
            v = nbrs[t]
            if centre[v] == -1:
                centre[v] = u
                sim[v] = nbr_sim[t]
    return centre, sim


def _distinct(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's hash path is slow on large int arrays)."""
    x = np.sort(x)
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if x.size else x


def _stable_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def _lsh_params(threshold: float, num_perm: int, recall: float = 0.9) -> tuple[int, int]:
    """Bands and rows that make a pair at ``threshold`` a candidate with
    probability ``recall`` or more, with as few weaker candidates as possible."""
    grid = np.linspace(0.0, threshold, 201)
    best, best_key = (num_perm, 1), (True, math.inf)
    for r in range(1, num_perm + 1):
        b = num_perm // r
        hit = 1.0 - (1.0 - threshold**r) ** b
        fp = float(np.trapezoid(1.0 - (1.0 - grid**r) ** b, grid))
        key = (hit < recall, fp if hit >= recall else -hit)
        if key < best_key:
            best, best_key = (b, r), key
    return best


# --------------------------------------------------------------------------
# Results


class DedupeRecord(NamedTuple):
    """What one response is: its kind, group and what its author added.

    ``similarity`` is to the group's canonical text: the larger of the Jaccard
    similarity and (for texts of at least ``min_containment_shingles``
    shingles) the containment of the shorter text in the longer one; 1.0 for
    the canonical member, its exact copies and responses not in a group.
    ``non_substantive`` is the reason from :func:`non_substantive` or ``None``.
    ``personal_addition`` is what a campaign member or near-duplicate wrote
    besides the group's text and the letter's furniture (see the module
    docstring), or ``""``.
    """

    id: Hashable
    kind: str
    group_id: str | None
    campaign_id: str | None
    similarity: float
    personal_addition: str
    non_substantive: str | None


class DuplicateGroup(NamedTuple):
    """A group of responses sharing one canonical text (a campaign if ``is_campaign``).

    For a campaign, ``canonical_text`` is the template: the sentences found
    in at least half of the members (salutations, sign-offs and signatures
    apart), worded as in the member that has most of them.
    """

    group_id: str
    canonical_id: Hashable
    canonical_text: str
    size: int
    is_campaign: bool


@dataclass
class DedupeResult:
    """One record per input response, in input order, and the duplicate groups."""

    records: list[DedupeRecord]
    groups: list[DuplicateGroup]
    ignored_overrides: list[Hashable] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of responses of each kind (they add up to the number of inputs)."""
        c = Counter(r.kind for r in self.records)
        return {k: c.get(k, 0) for k in KINDS}

    def campaigns(self) -> list[DuplicateGroup]:
        """The groups that are campaigns, largest first."""
        return [g for g in self.groups if g.is_campaign]

    def to_frame(self):
        """The records as a pandas DataFrame (one row per response)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "id": [r.id for r in self.records],
                "kind": [r.kind for r in self.records],
                "group_id": [r.group_id for r in self.records],
                "campaign_id": [r.campaign_id for r in self.records],
                "similarity": [r.similarity for r in self.records],
                "personal_addition": [r.personal_addition for r in self.records],
                "non_substantive": [r.non_substantive for r in self.records],
            }
        )


# --------------------------------------------------------------------------
# The estimator


def _coerce(value: object, position: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or type(value).__name__ == "NAType":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        raise ConsultError(f"response {position + 1} is bytes, not text; decode it first")
    return str(value)


class Deduplicator:
    """Group exact copies, near-duplicates and campaigns; see the module docstring.

    Parameters are described in the module docstring. ``random_state`` seeds
    the MinHash functions; results do not depend on input order.
    After :meth:`fit`, the result is in ``result_``.
    """

    def __init__(
        self,
        *,
        jaccard_threshold: float = 0.5,
        containment_threshold: float = 0.8,
        min_containment_shingles: int = 10,
        num_perm: int = 64,
        shingle_size: int = 3,
        min_sentence_words: int = 6,
        min_campaign_size: int = 10,
        min_campaign_words: int = 12,
        min_addition_words: int = 4,
        random_state: int = 0,
    ) -> None:
        self.jaccard_threshold = jaccard_threshold
        self.containment_threshold = containment_threshold
        self.min_containment_shingles = min_containment_shingles
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.min_sentence_words = min_sentence_words
        self.min_campaign_size = min_campaign_size
        self.min_campaign_words = min_campaign_words
        self.min_addition_words = min_addition_words
        self.random_state = random_state

    def _check_params(self) -> None:
        for name in ("jaccard_threshold", "containment_threshold"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ConsultError(f"{name} must be in (0, 1], got {v!r}")
        for name in ("num_perm", "shingle_size", "min_campaign_size", "min_sentence_words"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ConsultError(f"{name} must be a positive whole number, got {v!r}")
        for name in ("min_containment_shingles", "min_campaign_words", "min_addition_words"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ConsultError(f"{name} must be a whole number, 0 or more, got {v!r}")
        if self.min_campaign_size < 2:
            raise ConsultError("min_campaign_size must be at least 2")

    # -- fitting ------------------------------------------------------------

    def fit(
        self,
        texts: Iterable[str | None],
        ids: Sequence[Hashable] | None = None,
        overrides: Mapping[Hashable, str] | None = None,
    ) -> Deduplicator:
        """Classify every response in ``texts``; the result is put in ``result_``.

        ``ids`` default to positions 0..n-1 and must be unique. ``overrides``
        maps a response id to a group id (the response is put in that group,
        which is created if it does not exist) or to ``"not-duplicate"`` (the
        response is taken out of any group); they are applied on top of the
        automatic result. Overrides naming unknown ids are listed in
        ``result_.ignored_overrides``.
        """
        self._check_params()
        raw = [_coerce(t, i) for i, t in enumerate(texts)]
        n = len(raw)
        if ids is None:
            ids = list(range(n))
        else:
            ids = list(ids)
            if len(ids) != n:
                raise ConsultError(f"{len(ids)} ids given for {n} responses")
            if len(set(ids)) != n:
                dup = next(i for i, c in Counter(ids).items() if c > 1)
                raise ConsultError(f"response id {dup!r} is used more than once")

        # Exact copies: one node per distinct normalised text, numbered in
        # sorted order so that nothing depends on the input order.
        node_index: dict[str, int] = {}
        rep: list[int] = []  # a response holding each distinct text
        first_node = np.empty(n, dtype=np.int64)
        seen: dict[str, int] = {}  # identical raw texts skip normalisation
        for r, text in enumerate(raw):
            j = seen.get(text)
            if j is None:
                form = _prepare(text)
                key = " ".join(form.split())
                j = node_index.get(key)
                if j is None:
                    j = node_index[key] = len(rep)
                    rep.append(r)
                seen[text] = j
            first_node[r] = j
        del seen
        keys = list(node_index)
        del node_index
        perm = sorted(range(len(keys)), key=keys.__getitem__)
        renum = np.empty(len(keys), dtype=np.int64)
        renum[perm] = np.arange(len(keys))
        keys = [keys[i] for i in perm]
        rep = [rep[i] for i in perm]
        node_of = renum[first_node]
        del first_node, renum, perm

        m = len(keys)
        reasons = [_ns_reason(k) for k in keys]
        substantive = np.array([r is None for r in reasons], dtype=bool)
        counts = np.bincount(node_of, minlength=m)

        flat, offsets, sent_hash, sent_doc = self._shingle([raw[r] for r in rep])
        del rep
        sizes = np.diff(offsets)
        centre = self._cluster(flat, offsets, sizes, counts, substantive, sent_hash, sent_doc)
        del sent_hash, sent_doc

        # Response-level group labels (a node index of the centre, or -1).
        group_size = np.bincount(centre, weights=counts, minlength=m)
        label = centre[node_of]
        label[(group_size[label] < 2) | ~substantive[node_of]] = -1
        label_id = {int(c): f"dup-{_stable_hash(keys[c])}" for c in _distinct(label[label >= 0])}
        group_ids: list[str | None] = [None if x < 0 else label_id[x] for x in label.tolist()]

        ignored: list[Hashable] = []
        if overrides:
            pos = {i: r for r, i in enumerate(ids)}
            for rid, target in overrides.items():
                if not isinstance(target, str) or not target:
                    raise ConsultError(f"override for response {rid!r} must be a group id or {NOT_DUPLICATE!r}, got {target!r}")
                r = pos.get(rid)
                if r is None:
                    ignored.append(rid)
                    continue
                group_ids[r] = None if target == NOT_DUPLICATE else target

        auto_canon = {label_id[c]: c for c in label_id}
        self.result_ = self._finalise(raw, ids, keys, reasons, node_of, group_ids, auto_canon, flat, offsets, sizes)
        self.result_.ignored_overrides = ignored
        return self

    def _shingle(self, texts: list[str]):
        """Shingles and sentence hashes of each text (normalised a chunk at a time)."""
        chunk_chars = 8_000_000
        flats, cnts, shs, sds = [], [], [], []
        start = 0
        while start < len(texts):
            stop, total = start, 0
            while stop < len(texts) and (stop == start or total + len(texts[stop]) <= chunk_chars):
                total += len(texts[stop])
                stop += 1
            part = [_prepare(t) for t in texts[start:stop]]
            cps = np.frombuffer("".join(part).encode("utf-32-le"), dtype=np.uint32)
            starts = np.zeros(len(part) + 1, dtype=np.int64)
            np.cumsum([len(f) for f in part], out=starts[1:])
            f, c, sh, sd = _shingle_chunk(cps, starts, self.shingle_size, self.min_sentence_words, start)
            flats.append(f)
            cnts.append(c)
            shs.append(sh)
            sds.append(sd)
            start = stop
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        if texts:
            np.cumsum(np.concatenate(cnts), out=offsets[1:])
        cat = lambda xs, dt: np.concatenate(xs) if xs else np.empty(0, dtype=dt)  # noqa: E731
        return cat(flats, np.uint32), offsets, cat(shs, np.uint64), cat(sds, np.int64)

    def _similar(self, flat, offsets, sizes, u, v):
        """Exact (Jaccard, containment, accepted) for node pairs u, v."""
        inter = _intersections(flat, offsets, u, v).astype(np.float64)
        su, sv = sizes[u].astype(np.float64), sizes[v].astype(np.float64)
        union = su + sv - inter
        small = np.minimum(su, sv)
        jac = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
        con = np.divide(inter, small, out=np.zeros_like(inter), where=small > 0)
        ok = (jac >= self.jaccard_threshold) | ((con >= self.containment_threshold) & (small >= self.min_containment_shingles))
        return jac, con, ok

    def _cluster(self, flat, offsets, sizes, counts, substantive, sent_hash, sent_doc):
        """The centre (canonical node) of each distinct text's group."""
        m = counts.shape[0]
        # Hub preference: most copies first, then the shortest, then key order.
        rank = np.empty(m, dtype=np.int64)
        rank[np.lexsort((np.arange(m), sizes, -counts))] = np.arange(m)
        live = substantive & (sizes > 0)
        idx = np.flatnonzero(live)
        codes = []  # candidate pairs as lo * m + hi, deduplicated as they come

        def add(eu, ev):
            lo, hi = np.minimum(eu, ev), np.maximum(eu, ev)
            keep = lo != hi
            codes.append(_distinct(lo[keep] * m + hi[keep]))

        if idx.size >= 2:
            rng = np.random.default_rng(self.random_state)
            a = rng.integers(1, 2**63, size=self.num_perm, dtype=np.uint64) | np.uint64(1)
            b = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64)
            bands, rows = _lsh_params(self.jaccard_threshold, self.num_perm)
            keys_all = np.empty((bands, idx.size), dtype=np.uint64)
            for s in range(0, idx.size, 200_000):
                part = idx[s : s + 200_000]
                sub_off = np.concatenate(([0], np.cumsum(sizes[part])))
                sub_flat = np.concatenate([flat[offsets[i] : offsets[i + 1]] for i in part])
                sig = _minhash(sub_flat, sub_off, a, b)
                for band in range(bands):
                    k = np.full(part.size, np.uint64(band + 1), dtype=np.uint64)
                    for col in range(band * rows, (band + 1) * rows):
                        k = (k ^ sig[:, col].astype(np.uint64)) * np.uint64(0x100000001B3)
                        k ^= k >> np.uint64(29)
                    keys_all[band, s : s + part.size] = k
                del sig, sub_flat
            for band in range(bands):
                add(*_bucket_edges(keys_all[band], idx, rank, 4))
            del keys_all
        if sent_hash.size:
            keep = live[sent_doc]
            add(*_bucket_edges(sent_hash[keep], sent_doc[keep], rank, 8))
        pair = _distinct(np.concatenate(codes)) if codes else np.empty(0, dtype=np.int64)
        del codes
        # Check candidates exactly, a slice at a time to bound memory.
        us, vs, ss = [], [], []
        for start in range(0, pair.size, 2_000_000):
            chunk = pair[start : start + 2_000_000]
            u, v = chunk // m, chunk % m
            jac, con, ok = self._similar(flat, offsets, sizes, u, v)
            small = np.minimum(sizes[u], sizes[v])
            ss.append(np.maximum(jac, np.where(small >= self.min_containment_shingles, con, 0.0))[ok])
            us.append(u[ok])
            vs.append(v[ok])
        del pair
        cat = lambda xs, dt: np.concatenate(xs) if xs else np.empty(0, dtype=dt)  # noqa: E731
        u, v, s = cat(us, np.int64), cat(vs, np.int64), cat(ss, np.float64)
        deg = np.bincount(np.concatenate([u, v]), minlength=m)
        order = np.lexsort((rank, -deg, -counts))
        src = np.concatenate([u, v])
        dst = np.concatenate([v, u])
        ss = np.concatenate([s, s])
        o = np.lexsort((rank[dst], src))  # neighbours in rank order: deterministic
        indptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=m), out=indptr[1:])
        return _star_clusters(order, indptr, dst[o], ss[o])[0]

    # -- building the result ------------------------------------------------

    def _finalise(self, raw, ids, keys, reasons, node_of, group_ids, auto_canon, flat, offsets, sizes):
        """Records and groups from response-level group ids (after overrides)."""
        n = len(raw)
        members: dict[str, list[int]] = {}
        for r, g in enumerate(group_ids):
            if g is not None:
                members.setdefault(g, []).append(r)

        nodes_list = node_of.tolist()
        kind = [NON_SUBSTANTIVE if reasons[nd] else "unique" for nd in nodes_list]
        gid_out: list[str | None] = [None] * n
        cid_out: list[str | None] = [None] * n
        simil = np.ones(n, dtype=np.float64)
        addition = [""] * n
        groups: list[DuplicateGroup] = []

        sent_cache: dict[str, tuple[str, str, str]] = {}
        split_cache: dict[str, list[tuple[str, str, str]]] = {}

        def parts(text: str) -> list[tuple[str, str, str]]:
            """``_letter_part`` of each sentence of ``text`` (cached within a group)."""
            got = split_cache.get(text)
            if got is None:
                got = []
                for sentence in split_sentences(text):
                    p = sent_cache.get(sentence)
                    if p is None:
                        p = sent_cache[sentence] = _letter_part(sentence)
                    got.append(p)
                split_cache[text] = got
            return got

        pending_u, pending_v, pending_r = [], [], []
        min_add = self.min_addition_words
        for g in sorted(members):
            rs = members[g]
            split_cache.clear()
            sent_cache.clear()
            if len(rs) < 2:
                continue
            nodes = [nodes_list[r] for r in rs]
            c = auto_canon.get(g)
            if c is None or c not in nodes:
                node_counts = Counter(nodes)
                c = min(node_counts, key=lambda x: (-node_counts[x], x))
            same = [r for r, nd in zip(rs, nodes) if nd == c]
            if len(same) == 1:
                canon_r = same[0]
            else:
                variants = Counter(raw[r] for r in same)
                best_raw = min(variants, key=lambda t: (-variants[t], t))
                canon_r = min((r for r in same if raw[r] == best_raw), key=lambda r: str(ids[r]))
            is_campaign = len(rs) >= self.min_campaign_size and len(_tokens(keys[c])) >= self.min_campaign_words
            canonical_text = raw[canon_r]
            tmpl_keys: set[str] | None = None
            tmpl_sets: list[set[str]] | None = None
            tmpl_grams: list[set[tuple[str, ...]]] = []  # filled when first needed
            if is_campaign:
                canonical_text, tmpl_keys = self._template(raw, rs, canon_r, parts)
            canon_addition: str | None = None
            for r, nd in zip(rs, nodes):
                gid_out[r] = g
                if is_campaign:
                    kind[r] = "campaign"
                    cid_out[r] = g
                elif r == canon_r:
                    kind[r] = "unique"
                elif nd == c:
                    kind[r] = "exact"
                else:
                    kind[r] = "near"
                if nd != c:
                    pending_u.append(nd)
                    pending_v.append(c)
                    pending_r.append(r)
                if nd != c or is_campaign:
                    if tmpl_keys is None:
                        tmpl_keys = {k for _, k, _ in parts(canonical_text) if k}
                    if tmpl_sets is None:
                        tmpl_sets = [set(_tokens(k)) for k in tmpl_keys] if len(tmpl_keys) <= 300 else []
                    if nd != c:
                        addition[r] = _addition(parts(raw[r]), tmpl_keys, tmpl_sets, tmpl_grams, min_add)
                    else:  # the same words as the canonical text, however punctuated
                        if canon_addition is None:
                            canon_addition = _addition(parts(raw[canon_r]), tmpl_keys, tmpl_sets, tmpl_grams, min_add)
                        addition[r] = canon_addition
            groups.append(DuplicateGroup(g, ids[canon_r], canonical_text, len(rs), is_campaign))

        if pending_r:
            u = np.asarray(pending_u, dtype=np.int64)
            v = np.asarray(pending_v, dtype=np.int64)
            jac, con, _ = self._similar(flat, offsets, sizes, u, v)
            small = np.minimum(sizes[u], sizes[v])
            simil[np.asarray(pending_r)] = np.maximum(jac, np.where(small >= self.min_containment_shingles, con, 0.0))

        records = [
            DedupeRecord(ids[r], kind[r], gid_out[r], cid_out[r], sim_r, addition[r], reasons[nodes_list[r]])
            for r, sim_r in enumerate(simil.tolist())
        ]
        groups.sort(key=lambda g: (-g.size, g.group_id))
        return DedupeResult(records, groups)

    @staticmethod
    def _template(raw, rs, canon_r, parts) -> tuple[str, set[str]]:
        """A campaign's template and the keys of its sentences.

        The template sentences are those found in at least half of the members
        (salutations, sign-offs and signatures apart); its text is the wording
        of the member that has most of them, the canonical one if it has all.
        """
        # Per text, not per normalised text: copies that differ only in
        # punctuation can split into sentences differently.
        per_text: dict[str, set[str]] = {}
        tally: Counter[str] = Counter()
        for r in rs:
            ks = per_text.get(raw[r])
            if ks is None:
                ks = per_text[raw[r]] = {k for _, k, _ in parts(raw[r]) if k}
            tally.update(ks)
        keys = {k for k, n in tally.items() if n * 2 >= len(rs)}
        canon = raw[canon_r]
        best = min(per_text, key=lambda t: (-len(per_text[t] & keys), t != canon, t))
        kept = [core for core, k, _ in parts(best) if k in keys]
        return (" ".join(kept) if kept else canon), keys


def _word_grams(keys: Iterable[str]) -> set[tuple[str, ...]]:
    """Runs of three words (or the whole text, if shorter) in each normalised text."""
    out: set[tuple[str, ...]] = set()
    for k in keys:
        ws = _tokens(k)
        if len(ws) < 3:
            out.add(tuple(ws))
        else:
            out.update(zip(ws, ws[1:], ws[2:]))
    return out


def _addition(
    parts: list[tuple[str, str, str]],
    tmpl_keys: set[str],
    tmpl_sets: list[set[str]],
    tmpl_grams: list[set[tuple[str, ...]]],
    min_words: int,
) -> str:
    """What a member wrote that is not (nearly) template text.

    Salutations, sign-offs, signatures, names, addresses, places and contact
    lines are not counted, and nor is anything shorter than ``min_words``
    words in all. A passage counts as template text if it is (nearly) one of
    its sentences, or if most of its runs of three words are the template's
    (a sentence cut short, or sentences run together); ``tmpl_grams`` holds
    those runs once worked out.
    """
    own = []
    words = 0
    signed = False
    for core, k, kind in parts:
        if kind == "sign-off":
            signed = True
        elif kind != "text":
            continue
        if not k or k in tmpl_keys or _is_detail(core):
            continue
        ws = _tokens(k)
        # Short lines under a signature are roles and places ("Retired teacher").
        if signed and kind == "text" and (len(ws) <= 3 or (len(ws) <= 8 and core[-1] not in ".!?")):
            continue
        wset = set(ws)
        lo, hi = 0.6 * len(wset), len(wset) / 0.6
        # Jaccard >= 0.6 is impossible unless the sizes are within a factor 0.6.
        if any(lo <= len(t) <= hi and len(wset & t) >= 0.6 * len(wset | t) for t in tmpl_sets):
            continue
        if not tmpl_grams:
            tmpl_grams.append(_word_grams(tmpl_keys))
        grams = _word_grams((k,))
        if len(grams & tmpl_grams[0]) >= 0.8 * len(grams):
            continue
        own.append(core)
        words += len(ws)
    return " ".join(own) if words >= min_words else ""


def find_duplicates(
    texts: Iterable[str | None],
    ids: Sequence[Hashable] | None = None,
    overrides: Mapping[Hashable, str] | None = None,
    **params,
) -> DedupeResult:
    """Classify every response; a shortcut for ``Deduplicator(**params).fit(...).result_``."""
    return Deduplicator(**params).fit(texts, ids=ids, overrides=overrides).result_


# --------------------------------------------------------------------------
# Campaign labels

_STOPWORDS = frozenset(
    "a about above after again against all also am an and any are as at be because been before being below "
    "between both but by can could did do does doing down during each few for from further had has have having "
    "he her here hers herself him himself his how i if in into is it its itself just let me more most my myself "
    "no nor not now of off on once only or other our ours ourselves out over own same she should so some such "
    "than that the their theirs them themselves then there these they this those through to too under until up "
    "very was we were what when where which while who whom why will with would you your yours yourself "
    "yourselves am im ive id its dont cannot must shall may might also us upon".split()
)
_OPEN_CLOSE = (("(", ")"), ("[", "]"), ("“", "”"))


def _label_spans(sentence: str, max_words: int, min_words: int):
    """Candidate phrases of a sentence: (words, bonus, text).

    The bonus favours phrases that are whole clauses and do not cut a name
    ("Department of | Education's proposed rule") in two.
    """
    toks = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", sentence)]
    keys = [normalise(t).split() for _, _, t in toks]
    opens = [a == 0 or (not keys[a - 1]) or toks[a - 1][2][-1] in ",;:)]”" or toks[a][2][0] in "([“"
             for a in range(len(toks))]
    capital = [t[2].lstrip(_STRIP)[:1].isupper() for t in toks]
    linker = [t[2].strip(_STRIP).lower() in _ABBREVIATIONS_ALWAYS for t in toks]  # "e.g.", "i.e."
    joins = [t[2] in ("of", "and", "for", "upon", "on", "the", "&") for t in toks]  # "Department of Education"
    for a in range(len(toks)):
        if not keys[a] or linker[a] or (keys[a][0] in _STOPWORDS and not opens[a]):
            continue
        words: list[str] = []
        for b in range(a, len(toks)):
            if not keys[b]:
                break  # a dash or other bare punctuation separates clauses
            words = words + keys[b]
            if len(words) > max_words:
                break
            if len(words) < min_words or words[-1] in _STOPWORDS or linker[b]:
                continue
            text = sentence[toks[a][0] : toks[b][1]]
            if any(text.count(o) != text.count(c) for o, c in _OPEN_CLOSE) or text.count('"') % 2:
                continue
            closes = b + 1 == len(toks) or opens[b + 1] or toks[b][2][-1] in ".!?"
            bonus = 0.4 * opens[a] + 0.4 * closes
            if not opens[a] and capital[a] and (capital[a - 1] or (a >= 2 and joins[a - 1] and capital[a - 2])):
                bonus -= 1.5
            if not closes and capital[b] and (capital[b + 1] or (b + 2 < len(toks) and joins[b + 1] and capital[b + 2])):
                bonus -= 1.5
            yield words, bonus, text


def _tidy_label(phrase: str) -> str:
    """A phrase without the punctuation that joined it to the rest of its sentence."""
    text = phrase.lstrip("\"'“‘([{")
    last = text.rsplit(" ", 1)[-1].lower().rstrip(",;:!?\"'”’)]}")
    if last.endswith(".") and (last[:-1] in _ABBREVIATIONS or _DOTTED.fullmatch(last[:-1])):
        text = text.rstrip(",;:!?\"'”’)]}")  # keep the stop of "U.S."
    else:
        text = text.rstrip(",;:.!?\"'”’)]}…")
    if any(text.count(o) != text.count(c) for o, c in _OPEN_CLOSE):  # "(a) b" must keep its bracket
        return phrase.rstrip(",;:")
    return text


def campaign_labels(templates: Sequence[str], max_words: int = 8, min_words: int = 3) -> list[str]:
    """A short label for each campaign template: the phrase that sets it apart.

    Each label is a phrase of ``min_words`` to ``max_words`` words copied from
    its template, chosen for the words and word pairs that the other templates
    do not use (weighted like TF-IDF: the fewer other templates share a word or
    pair and the more often this one uses it, the more it counts), preferring
    whole clauses and phrases that do not start or end on a small word. A label
    is never a phrase of another template when such a phrase exists, so two
    campaigns with the same opening get different labels; labels are always
    distinct (a number in brackets is added if two templates leave no choice).
    With one template, its most characteristic phrase is given. Deterministic.
    """
    if not isinstance(min_words, int) or not isinstance(max_words, int) or not 1 <= min_words <= max_words:
        raise ConsultError(f"campaign labels need 1 <= min_words <= max_words, got {min_words} and {max_words}")
    texts = ["" if t is None else str(t) for t in templates]
    n = len(texts)
    sentences = [split_sentences(t) for t in texts]
    seqs = [normalise(t).split() for t in texts]
    grams = []
    df: Counter[str] = Counter()
    for seq in seqs:
        tf = Counter(seq) + Counter(" ".join(p) for p in zip(seq, seq[1:]))
        grams.append(tf)
        df.update(tf.keys())
    scale = math.log((1 + n) / 2) if n > 1 else 0.0

    def ranked(i: int, alone: bool) -> list[tuple[float, int, str, str]]:
        tf = grams[i]

        def weight(gram: str) -> float:
            # 1 for a word or pair only this template uses, 0 for one they all use.
            d = 1.0 if alone else math.log((1 + n) / (1 + df[gram])) / scale
            return d * (1.0 + math.log(tf[gram])) if tf[gram] else 0.0

        cands = []
        for words, bonus, text in (c for s in sentences[i] for c in _label_spans(s, max_words, min_words)):
            score = sum(weight(w) for w in words if w not in _STOPWORDS)
            score += sum(0.5 * weight(f"{x} {y}") for x, y in zip(words, words[1:])
                         if x not in _STOPWORDS or y not in _STOPWORDS)
            score += bonus - 0.35 * len(words)
            cands.append((-round(score, 9), len(cands), " ".join(words), text))
        cands.sort()
        return cands

    padded = [f" {' '.join(seq)} " for seq in seqs]
    labels: list[str] = []
    for i in range(n):
        cands = ranked(i, alone=scale == 0.0)
        best = next((c for c in cands if all(f" {c[2]} " not in padded[j] for j in range(n) if j != i)), None)
        if best is None and cands:  # every phrase is also another template's: say what it is about
            best = ranked(i, alone=True)[0]
        labels.append(_tidy_label(best[3]) if best else " ".join(texts[i].split()))
    seen: set[str] = set()
    for i, label in enumerate(labels):
        if normalise(label) in seen:
            labels[i] = f"{label} [{i + 1}]".strip()
        seen.add(normalise(labels[i]))
    return labels
