"""Redaction of personal data from quotes before they are published.

Every quote that consult publishes passes through :class:`Redactor`. It finds
emails, phone numbers (UK, and North American in the "(847) 555-0142" form),
postcodes (in any case, with or without the space; US ZIP codes after a state),
street addresses, NHS and National Insurance numbers, dates of birth, links,
people's names and the places a child attends (schools, academies,
nurseries, colleges, children's homes, GP surgeries, hospitals and wards),
plus any spans a reviewer marked by hand, and replaces each with a visible
marker such as ``[name]``, ``[place]`` or ``[phone]``. Redacting
already-redacted text changes nothing.

Names are found from cue phrases ("my son Jack", "our foster daughter
ellie-may", "my name is ...", "I'm Priya"), titles ("Mrs Patel", "Mr. David A
Revitsky"), signatures and sign-offs ("Kind regards,\nJ. R. Whitfield") and a
bundled list of given names. Names that are also ordinary words ("Will",
"Hope", "May", ...) are only redacted with a cue. Places are the name words
before an institution word ("Oakwood Primary School", "Sunnybank children's
home", "Ward 6"). An office holder addressed in their public role ("Dear
Secretary Cardona") is left as written; anything less certain is redacted.
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

__all__ = ["MARKERS", "MARKER_PATTERN", "OPTIONAL_KINDS", "STRUCTURED_KINDS", "Redaction", "Redactor", "Span", "evaluate", "redact"]

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

MARKER_PATTERN = re.compile(
    "|".join(re.escape(m) for m in sorted(set(MARKERS.values()), key=len, reverse=True))
)

# Lengths are bounded so that long runs like "a.a.a.a..." stay linear.
_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![\w-])"
)

_URL_TLDS = (
    r"(?:com|org|net|uk|io|co|gov|edu|info|me|ly|be|tv|eu|app|dev|ie|us|ee|ca|au|nz|de|fr|es|it|nl"
    r"|pl|in|fm|gl|gg|to|ai|link|page|site|online|blog|shop)"
)
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

# North American numbers, only in the unambiguous "(847) 555-0142" and "+1 ..." forms:
# "943-476-5919" is how NHS numbers are written too.
_US_PHONE = re.compile(
    r"(?<![\w/.\-+£$])(?:\+1[ \-.]?)?\([2-9][0-9]{2}\)[ \-.]?[0-9]{3}[ \-.][0-9]{4}(?![\w/])"
    r"|(?<![\w/.\-£$])\+1[ \-.]?[2-9][0-9]{2}[ \-.][0-9]{3}[ \-.][0-9]{4}(?![\w/])"
)
# "NHS" just before a number that could also be the end of a phone number.
_NHS_CUE = re.compile(r"\bNHS\b[^0-9\n]{0,20}$", re.IGNORECASE)

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
# "Y6 1st term" looks like a postcode: a lower-case inward code that is a true
# ordinal is skipped when it follows a school year or precedes a word of time.
_ORDINAL = re.compile(r"1st|2nd|3rd|[04-9]th")
_SCHOOL_STAGE = re.compile(r"(?:Y|S|P|KS|YR)[0-9]{1,2}", re.IGNORECASE)
_TIME_WORD = re.compile(
    r"\s+(?:term|half|year|years|week|weeks|day|days|time|grade|place|floor|century|birthday|of|in|and|or)\b",
    re.IGNORECASE,
)
# A US ZIP code after a state abbreviation: "Springfield, IL 62704".
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ"
    "|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_ZIP = re.compile(r",[ \t]*(?:" + _US_STATES + r")\.?[ \t]+(?P<zip>[0-9]{5}(?:-[0-9]{4})?)(?![\w\-])")

_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Way|Crescent|Court|Ct"
    r"|Gardens|Gdns|Grove|Place|Terrace|Walk|Hill|Rise|Row|Square|Sq|Mews|Park"
    r"|Green|View|Parade|Vale|Gate|Wharf|Yard|Boulevard|Heights|Fields|Meadows"
    r"|Mead|Croft|Wynd|Brae|Quay|Circus|Approach|Broadway|Crossway)"
)
_UNIT = r"(?:Flat|Apartment|Apt|Unit|Room|Suite|#)\.?\s*[0-9]{1,4}[A-Za-z]?"
_ADDRESS = re.compile(
    r"(?:\b" + _UNIT + r",?\s+)?"
    r"(?<![\w£$.,/\-])[0-9]{1,4}[A-Za-z]?(?:-[0-9]{1,4}[A-Za-z]?)?,?\s+"
    r"(?P<words>(?:[A-Z][a-z'’]*\.?\s+){1,3})"
    r"(?P<suffix>" + _STREET_SUFFIX + r")\b"
    r"(?:,?[ \t]+" + _UNIT + r"\b)?"
)
# After "live at" or "address is" a number and a few words are an address, in any case.
_ADDRESS_CUE = re.compile(
    r"(?:\baddress(?:\s+is)?\s*[:\-–]?|\b(?:live[sd]?|living|stay(?:s|ing)?)\s+at)\s+"
    r"(?P<addr>(?:" + _UNIT + r",?\s+)?[0-9]{1,4}[A-Za-z]?,?[ \t]+[A-Za-z][A-Za-z'’\-]*(?:[ \t]+[A-Za-z][A-Za-z'’\-]*){0,3})",
    re.IGNORECASE,
)
_ADDRESS_STOP = frozenset(
    "with and in near for since but so which where when who on at by from to is was the a an my our "
    "now then until till because as".split()
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
# Places a child attends: schools, nurseries, colleges, children's homes, GP
# surgeries, hospitals and wards. A place is the name words before one of these
# institution words ("Oakwood Primary School", "Sunnybank children's home").

_PLACE_HEAD = re.compile(
    r"(?<![\w'’\-])(?:"
    r"school|academy|primary|nursery|college|infirmary|hospital|surgery|daycare|day[ \t]+care|"
    r"pre-?school|playgroup|kindergarten|children['’]?s[ \t]+(?:home|centre|center)|"
    r"(?:family|medical|health|learning|secure|contact)[ \t]+(?:centre|center)|medical[ \t]+practice|"
    r"referral[ \t]+unit|secure[ \t]+unit|PRU|ward|High"
    r")(?![\w\-])",
    re.IGNORECASE,
)
# Institution words that may name a place in lower case, after "at"/"to"/...:
# "i go to oakfield academy". ("surgery" is left out: "from heart surgery".)
_LOWER_HEADS = frozenset({"school", "academy", "primary", "nursery", "college", "hospital", "infirmary", "daycare"})
_LOWER_NOT_PLACE = frozenset(
    "go goes get got went start starts change changes move moves leave left miss misses hate hates love "
    "loves like likes attend attends visit visits need needs want wants back off out up down".split()
)
_LOWER_PLACE_CUES = frozenset(
    "at to attends attend attended attending from in called named joined".split()
)
# Words of a place name that do not tell one place from another.
_GENERIC_PLACE_WORDS = frozenset(
    """
    st st. saint the of and & y c e ce rc cofe primary junior infant infants nursery school academy
    college high secondary middle elementary special residential boarding private state independent
    grammar faith catholic church england community free village comprehensive sixth form forest
    summer sunday day night hospital hospitals medical health general royal university teaching
    district children's childrens children kids pupil referral unit secure training centre center
    learning early family home care foster virtual local national city county new old same
    different another other big little small mainstream specialist alternative further education
    driving dance drama music art film law football swimming sports language nursing
    boys girls boys' girls' mixed welsh english infirmary surgery gp nhs trust a&e ward
    good bad great outstanding best nearest nearby closest current previous next last first own
    proper normal regular whole full-time part-time sen send dental eye maternity psychiatric
    mental cottage cancer heart cardiac emergency urgent walk-in
    """.split()
)
# Connectors inside a place name: "Church of England", "Bradford on Avon".
_PLACE_CONNECTORS = frozenset({"of", "and", "&", "de", "y", "yr", "upon", "on", "le", "la", "the"})
# Words that end a place name when walking back from the institution word.
_PLACE_STOP = frozenset(
    """
    i a an the and but or if so as at by for from in into of on to with without is are was
    were be been has have had do does did will would can could may might must shall should not
    no yes my our his her their your its this that these those there here then than when where
    who what which why how all any both each every some he she they we you me him them us it
    also just only about after before over under near between mr mrs ms miss mx dr prof sir dame
    lord lady cllr councillor rev revd monday tuesday wednesday thursday friday saturday sunday
    out up down off back because
    """.split()
)
_INDEFINITE = frozenset("a an any every each some most many all other another".split())
# "King's College London" is a university, not a place a child attends.
_NOT_PLACE_AFTER = re.compile(r"[ \t]+London\b")
_RUN_BY_AFTER = re.compile(r"[ \t]+(?:NHS\b|(?:Foundation[ \t]+|Academy[ \t]+|Multi[- ]Academy[ \t]+)?Trust\b)")
_LOWER_AFTER = re.compile(r"[ \t]+([a-z]+)\b")
_NAME_AFTER = re.compile(r"[ \t]+[A-Z][a-z]")
_PLACE_AFTER_NUMBER = re.compile(r"[ \t]+[0-9]{1,3}[A-Za-z]?(?![\w\-])")
# "Cygnet Hospital Sheffield." - a town word closing the name.
_PLACE_TOWN_AFTER = re.compile(r"[ \t]+[A-Z][a-z]+(?=[ \t]*(?:[.,;:!?)\n]|$))")
# Welsh institutions name themselves first: "Ysgol Gymraeg Bro Morgannwg".
_WELSH_PLACE = re.compile(r"\b(?:Ysgol|Coleg)(?:[ \t]+(?:[A-Z][\w'’\-]*|y|yr|a|ar)){1,5}")
# "both kids go to St Mary's", "a children's home called The Willows".
_SAINT_PLACE = re.compile(
    r"\b(?i:to|at|attends?|attended|attending)[ \t]+(?P<place>(?:St\.?|Saint)[ \t]+[A-Z][a-z]+(?:['’]s|s['’]))"
    r"(?![\w'’])(?![ \t]+[A-Z])"
)
_CALLED_PLACE = re.compile(
    r"\b(?:(?i:home|unit|placement|school|nursery|hospital|ward|house)[ \t]+(?i:called|named)[ \t]+"
    r"|(?i:my|our|his|her|their|the)[ \t]+(?:\w+['’]s[ \t]+)?"
    r"(?i:school|nursery|college|academy|surgery|hospital|children['’]?s[ \t]+home|home|unit|ward),[ \t]*)"
    r"(?P<place>(?:The[ \t]+)?[A-Z][\w'’\-]*(?:[ \t]+[A-Z][\w'’\-]*){0,3})"
)
# "Leeds College of Building", "Royal Hospital for Sick Children": the rest of the name.
_PLACE_OF_AFTER = re.compile(
    r"[ \t]+(?:of|for)[ \t]+(?:the[ \t]+)?[A-Z][\w'’\-]*(?:[ \t]+(?:and[ \t]+|&[ \t]+)?[A-Z][\w'’\-]*){0,3}"
)

# --------------------------------------------------------------------------
# Names

_LOWER = "a-zß-öø-ÿ"
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME_WORD = (
    rf"(?:O['’]|D['’])?[{_UPPER}][{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?(?:-[{_UPPER}][{_LOWER}]+)*"
)
_NAME_TOKEN = re.compile(rf"(?<![\w'’\-]){_NAME_WORD}(?![\w\-])")
_LOWER_TOKEN = re.compile(rf"[{_LOWER}]+(?:-[{_LOWER}]+)*(?![\w\-])")

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
    never always sometimes often usually still really already even ever again
    too very now soon later today tomorrow yesterday please sorry maybe hi hello
    men women man woman boys girls kids mum mam mom dad nan gran grandma grandad
    everyone everybody nobody someone minister secretary commissioner senator governor
    congressman congresswoman mayor president ambassador speaker anonymous anon
    withheld none private confidential
    """.split()
)
# Words that show a sign-off or "Name:" line is signed by a body, not a person.
_ORG_WORDS = frozenset(
    """
    group groups team teams council board trustees forum network association society
    service services project trust foundation alliance partnership committee
    coalition campaign collective staff members parents carers grandparents families
    family friends residents volunteers advocates workers school academy college
    nursery hospital surgery church parish club centre center department office unit
    agency union panel support care foster kinship concerned worried youth young
    people children child voices voice all us everyone
    """.split()
)
# Lower-case words that follow "my son" as often as a name does ("my son will be").
_LOWER_NOT_NAME = frozenset("will may can mark miles guy art page rich major chance".split())
# Upper-case pairs that follow "my son" but are not initials ("my son TJ").
_NOT_INITIALS = frozenset(
    """
    gp pa ta sw ot cp mp uk us ok tv pe it re am pm id la is in on at to so no of or if as
    be by do go he me my up we an
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

_DETERMINER = r"(?:my|our|his|her|their|your|the|a|an|one|two|three|four|both|whose|me|\w+['’]s)"
_ADJECTIVE = (
    r"(?:eldest|youngest|oldest|little|older|younger|elder|foster|adopted|adoptive|step|"
    r"birth|biological|late|best|former|new|old|current|previous|allocated|independent|"
    r"lovely|amazing|own|twin|baby|first|second|third|middle|ex|kinship|named|"
    r"family|support|personal|dear|wonderful|brilliant|big|half|supervising|fostering|link|"
    r"designated|assigned|key|senior|main|deputy|assistant|class|form|youth|residential|"
    r"school|care|specialist)[\s\-]+"
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
    r"neighbour|interpreter|person|lead|officer|youngest|eldest|oldest|middle\s+one|little\s+one|"
    r"ceo|chief\s+executive|head|ta|nanny|childminder|stepmum|stepdad|stepmother|stepfather)"
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
    r"name\s+(?:is|was)\s*:?\s+|\bname['’]s\s+|\bcall\s+me\s+)",
    re.IGNORECASE,
)
# Where a whole name (first, middle, initials, surname) is written: signatures,
# sign-offs and "by" lines. The name must start on the same or the next line.
_SIGN_OFF_CUE = re.compile(
    r"(?:(?P<signoff>\b(?:(?:kind|warm|warmest|best|many)\s+(?:regards|wishes|thanks)|regards|sincerely|"
    r"(?:yours\s+)?(?:faithfully|truly|sincerely)|respectfully(?:\s+(?:yours|submitted))?|thanks|"
    r"thank\s+you|cheers|love|with\s+love|best|signed|yours|from)"
    r"[ \t]*(?:[,:\-–][ \t]*\n?|\n)"
    r"|(?m:^)[ \t]*(?:--|—|–))"
    r"|\b(?:(?:written|submitted|prepared|completed|compiled|signed|sent)\s+by|name\s*:)"
    r")[ \t]*",
    re.IGNORECASE,
)
# A name that signs off ends its line or is followed by punctuation: "Thanks, Hope this helps" is no signature.
_SIGNATURE_END = re.compile(r"[ \t]*(?:$|[\n,.;:()\-–—/|])", re.MULTILINE)
_SELF_CUE = re.compile(r"\b(?:I['’]m|I\s+am|Im|im|this\s+is|called|named)\s+(?:called\s+)?", re.IGNORECASE)
# Titles in any case ("miss Grant" as a young person writes it), one or more ("Rev. Dr.").
_TITLE_WORD = (
    r"(?i:Mrs|Mr|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lady|Lord|Cllr|Councillor|Judge|"
    r"Rev|Revd|Reverend|Fr|Rabbi|Imam|Pastor|Capt|Sgt|Insp|Auntie|Aunty|Uncle)"
)
_TITLES = re.compile(r"(?<![\w'’\-])(?:(?i:the)\s+)?(?:" + _TITLE_WORD + r"\.?[ \t]+){1,3}")
# Lower-case titles that cannot be a verb ("miss" can), so "mrs okafor" is a name.
_PLAIN_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr"})
# One token of a whole name: initials ("A", "A.", "J.R."), particles ("de la"), name words.
_INITIALS = re.compile(r"[A-Z]\.(?:[ \t]?[A-Z]\.)*|[A-Z](?=[ \t]+[A-Z])")
_PARTICLE = re.compile(
    r"(?:de|da|del|della|di|du|van|von|der|den|la|le|ter|bin|ibn|al|el|Ní|Nic|Ó|Ua|Mac|ap|dos|das)(?=[ \t]+\w)"
)
_NAME_GAP = re.compile(r"[ \t]+")
_INITIALS_PAIR = re.compile(r"[A-Z]{2}(?![\w'’\-])")
# Office holders named in their public role ("Dear Secretary Cardona") may stay.
_PUBLIC_OFFICE = re.compile(
    r"\b(?:Secretary(?:\s+of\s+State)?|Assistant\s+Secretary|Deputy\s+Secretary|Senator|Sen\.|Governor|"
    r"Gov\.|Congressman|Congresswoman|Representative|Rep\.|Commissioner|Mayor|President|Justice|"
    r"Chief\s+Justice|Ambassador|Minister|Attorney\s+General|Speaker)[ \t]+(?=[A-Z])"
)
_OFFICE_BEFORE = frozenset(
    "dear to from and by with the hon hon. honorable honourable wrote thank thanks urge told as that".split()
)
# "Grace, my foster daughter, ..."
_APPOSITIVE = re.compile(
    rf"(?<![\w'’\-])(?P<name>{_NAME_WORD}),\s+(?i:(?:my|our|his|her|their)\s+(?:" + _ADJECTIVE + r")*"
    + _RELATION + r")\b"
)
_TITLE_NOT_NAME = frozenset({"barnardo", "barnardo's", "who", "seuss"})
_SURNAME = re.compile(
    rf"[ \t]+((?:[A-Z]\.?[ \t]+)?(?:(?:de|da|di|du|van|von|der|den|la|le|el|al|bin|ibn|ben)\s+)?{_NAME_WORD})(?![\w\-])"
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
        existing = [(m.start(), m.end()) for m in MARKER_PATTERN.finditer(text)]
        hits: list[_Hit] = []
        hits += _find(_EMAIL, text, "email")
        hits += self._urls(text)
        hits += _find(_NHS, text, "nhs_number")
        hits += _find(_NI, text, "ni_number")
        hits += _find(_DOB, text, "date_of_birth", group="date")
        phones = self._phones(text)
        if phones:
            hits = _phone_not_nhs(hits, phones, text)
        hits += phones
        hits += self._postcodes(text)
        hits += self._addresses(text)
        words = _unshout(text)
        hits += self._places(words)
        hits += self._names(words)
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
        hits += [_Hit(m.start(), m.end(), "phone") for m in _US_PHONE.finditer(text)]
        return hits

    @staticmethod
    def _postcodes(text: str) -> list[_Hit]:
        hits = []
        for m in _POSTCODE.finditer(text):
            inward = m.group("in")
            if (
                inward.islower()
                and _ORDINAL.fullmatch(inward)
                and (_SCHOOL_STAGE.fullmatch(m.group("out")) or _TIME_WORD.match(text, m.end()))
            ):
                continue
            hits.append(_Hit(m.start(), m.end(), "postcode"))
        hits += _find(_ZIP, text, "postcode", group="zip")
        return hits

    @staticmethod
    def _addresses(text: str) -> list[_Hit]:
        hits = []
        for m in _ADDRESS.finditer(text):
            words = m.group("words")
            if m.group("suffix") in ("Court", "Ct", "Park", "Place") and _NOT_STREET_WORDS.match(words):
                continue
            hits.append(_Hit(m.start(), m.end(), "address"))
        for m in _ADDRESS_CUE.finditer(text):
            # keep the street words, up to the first word that carries on the sentence
            end = m.start("addr")
            for w in _WORD.finditer(text, m.start("addr"), m.end("addr")):
                if w.group().lower() in _ADDRESS_STOP:
                    break
                end = w.end()
            if _WORD.search(text, m.start("addr"), end) and re.search(r"[A-Za-z]{2}", text[m.start("addr"):end]):
                hits.append(_Hit(m.start("addr"), end, "address"))
        return hits

    # ----------------------------------------------------------------- places

    def _places(self, text: str) -> list[_Hit]:
        hits = []
        for m in _PLACE_HEAD.finditer(text):
            span = self._place_at(text, m)
            if span:
                hits.append(_Hit(span[0], span[1], "place"))
        hits += _find(_WELSH_PLACE, text, "place")
        hits += _find(_SAINT_PLACE, text, "place", group="place")
        hits += _find(_CALLED_PLACE, text, "place", group="place")
        return hits

    def _place_at(self, text: str, head: re.Match[str]) -> tuple[int, int] | None:
        """The place named by the institution word ``head``, as (start, end), or None."""
        word = head.group()
        lower_head = word.islower()
        end = head.end()
        key = word.lower()
        if key == "high" and (word != "High" or _NAME_AFTER.match(text, end)):
            return None  # "Bridgewater High" is a school; "High Street", "High Court" are not
        if key in ("college", "school", "academy") and _NOT_PLACE_AFTER.match(text, end):
            return None
        if _RUN_BY_AFTER.match(text, end):
            return None  # "... Hospital NHS Foundation Trust", "... Academy Trust": the body that runs it
        if lower_head:
            nxt = _LOWER_AFTER.match(text, end)
            if nxt and nxt.group(1) not in _PLACE_STOP and not nxt.group(1).endswith(("ing", "ed")):
                return None  # "school exclusion", "hospital appointments": a word describing something else
        if key == "ward":
            number = _PLACE_AFTER_NUMBER.match(text, end)
            if number:
                return head.start(), number.end()  # "Ward 6"
        tokens = _tokens_before(text, head.start())
        if not tokens:
            return None
        if tokens[0][2][0].islower() and tokens[0][2].lower() not in _PLACE_CONNECTORS:
            # all in lower case: "i go to oakfield academy", only after "at", "to", ...
            if not lower_head or key not in _LOWER_HEADS:
                return None
            name = []
            for tok in tokens:
                w = tok[2].lower()
                if w in _PLACE_STOP or not w.replace("'", "").replace("’", "").isalpha():
                    break
                if w.endswith(("ed", "ing", "ly")) or w in _LOWER_NOT_PLACE:
                    return None  # "children in care moved school" names no school
                name.append(tok)
            rest = tokens[len(name):]
            if not name or len(name) > 4 or not rest or rest[0][2].lower() not in _LOWER_PLACE_CUES:
                return None
        else:
            name = []
            for i, tok in enumerate(tokens):
                w = tok[2]
                if w.lower() == "the" and not (i + 1 < len(tokens) and tokens[i + 1][2].lower() == "of"):
                    break  # "the" only inside a name: "Church of the Holy Spirit"
                if w.lower() in _PLACE_CONNECTORS:
                    name.append(tok)
                    continue
                if w.lower() in _PLACE_STOP or not w[0].isupper():
                    break
                name.append(tok)
            while name and name[-1][2].lower() in _PLACE_CONNECTORS:
                name.pop()
            rest = tokens[len(name):]
            if rest and rest[0][2].lower() in _INDEFINITE:
                return None  # "a Kirklees school"
            if key == "ward" and len(name) == 1 and self._is_listed(name[0][2]):
                return None  # "Lucy Ward" is a surname
        if not any(_distinctive(tok[2]) for tok in name):
            return None
        rest_of_name = None if lower_head else _PLACE_OF_AFTER.match(text, end)
        if rest_of_name:
            end = rest_of_name.end()
        town = _PLACE_TOWN_AFTER.match(text, end)
        if town and not lower_head and town.group().strip().lower() not in _STOPWORDS:
            end = town.end()
        return name[-1][0], end

    # ------------------------------------------------------------------ names

    def _is_listed(self, word: str) -> bool:
        w = word.lower()
        return w in self._name_list or ("-" in w and w.split("-", 1)[0] in self._name_list)

    def _is_ordinary(self, word: str) -> bool:
        return word.lower() in self._ordinary

    def _name_at(
        self, text: str, pos: int, *, strict: bool, lowercase: bool = False, ordinary_ok: bool = False
    ) -> tuple[int, int] | None:
        """The name starting at ``pos`` after a cue, as (start, end), or None.

        ``strict`` cues only accept listed names; other cues accept any
        capitalised word that is not a common non-name word. In lower case
        only listed names count, and names that are also ordinary words
        ("poppy") only with ``ordinary_ok``.
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
            if m and len(m.group()) >= 3 and self._is_listed(m.group()):
                w = m.group()
                if not self._is_ordinary(w) or (ordinary_ok and w not in _LOWER_NOT_NAME):
                    return m.start(), m.end()
        return None

    def _whole_name_end(self, text: str, pos: int, *, reject_org: bool) -> int | None:
        """End of a whole name starting at ``pos`` ("David A Revitsky", "Maria de la Cruz", "J. R. Whitfield").

        Any capitalised word that is not a common word counts. With
        ``reject_org`` a run that holds a word like "Group" or "Parents" is
        taken for an organisation and gives None.
        """
        end = None
        p = pos
        for i in range(7):
            m = _INITIALS.match(text, p) or _PARTICLE.match(text, p) if i else _INITIALS.match(text, p)
            if m is None:
                m = _NAME_TOKEN.match(text, p)
                if m is None:
                    break
                w = m.group().lower()
                if reject_org and w in _ORG_WORDS:
                    return None
                if w in _STOPWORDS:
                    if end is None and reject_org:
                        return None
                    break
                end = m.end()
            gap = _NAME_GAP.match(text, m.end())
            if not gap:
                break
            p = gap.end()
        return end

    def _person_at(self, text: str, pos: int, *, reject_org: bool) -> tuple[int, int] | None:
        """The person named at ``pos`` after a signature cue, skipping titles, or None."""
        t = _TITLES.match(text, pos)
        if t:
            pos = t.end()
        m = _NAME_TOKEN.match(text, pos) or _INITIALS.match(text, pos)
        if m:
            end = self._whole_name_end(text, pos, reject_org=reject_org and not t)
            return (pos, end) if end else None
        return self._name_at(text, pos, strict=not t, lowercase=True)

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

        known_spans: list[tuple[int, int]] = []
        if self._known_names is not None:
            known_spans = [(m.start(), m.end()) for m in self._known_names.finditer(text)]
            found += known_spans

        for m in _TITLES.finditer(text):
            span = self._after_title(text, m)
            if span:
                found.append(span)

        for m in _RELATION_CUE.finditer(text):
            link = m.group("link")
            # "my son is Jack" needs a listed name; "my son Jack" any capitalised word
            strict = bool(re.fullmatch(r"\s+(?:is|was)\s+", link))
            pos = m.end()
            t = _TITLES.match(text, pos)
            if t:
                # "my form tutor miss grant": after a role word any title is one
                span = self._after_title(text, t, any_lower=True)
                if span:
                    found.append(span)
                continue
            span = self._name_at(text, pos, strict=strict, lowercase=not strict, ordinary_ok=not strict)
            if span is None and not strict:
                caps = _INITIALS_PAIR.match(text, pos)
                if caps and caps.group().lower() not in _NOT_INITIALS:
                    span = caps.span()  # "my son TJ"
            if span is None and not strict:
                # "my foster carer Auntie Pam": one capitalised word before the name
                t = _NAME_TOKEN.match(text, pos)
                if t and t.group().lower() not in _STOPWORDS:
                    nxt = _NAME_GAP.match(text, t.end())
                    if nxt:
                        span = self._name_at(text, nxt.end(), strict=True)
            if span:
                found.append(span)

        for m in _APPOSITIVE.finditer(text):
            word = m.group("name")
            if word.lower() not in _STOPWORDS:
                found.append((m.start("name"), m.end("name")))

        for m in _NAME_IS_CUE.finditer(text):
            t = _TITLES.match(text, m.end())
            pos = t.end() if t else m.end()
            end = self._whole_name_end(text, pos, reject_org=False) if _NAME_TOKEN.match(text, pos) else None
            span = (pos, end) if end else self._name_at(text, pos, strict=False, lowercase=True)
            if span:
                found.append(span)

        for m in _SIGN_OFF_CUE.finditer(text):
            span = self._person_at(text, m.end(), reject_org=True)
            if span and (not m.group("signoff") or _SIGNATURE_END.match(text, span[1])):
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
        spans = [(s, e) for s, e in found + extra if e > s]
        offices = _public_offices(text, self)
        if offices:
            # office holders in their role stay, unless the caller named them
            known = set(known_spans)
            spans = [sp for sp in spans if sp in known or not any(a <= sp[0] and sp[1] <= b for a, b in offices)]
        return [_Hit(s, e, "name") for s, e in spans]

    def _after_title(self, text: str, m: re.Match[str], any_lower: bool = False) -> tuple[int, int] | None:
        """The name after the titles matched by ``m`` ("Mr. David A Revitsky", "mrs okafor"), or None."""
        pos = m.end()
        if _NAME_TOKEN.match(text, pos) or _INITIALS.match(text, pos):
            first = _NAME_TOKEN.match(text, _skip_initials(text, pos))
            if first is None or first.group().lower() in _TITLE_NOT_NAME or first.group().lower() in _STOPWORDS:
                return None
            end = self._whole_name_end(text, pos, reject_org=False)
            return (pos, end) if end else None
        last_title = m.group().split()[-1].rstrip(".").lower()
        low = _LOWER_TOKEN.match(text, pos)
        if low and (any_lower or last_title in _PLAIN_TITLES) and len(low.group()) >= 2 and low.group() not in _STOPWORDS:
            return low.span()  # "mrs okafor" as young people write it
        return None


# --------------------------------------------------------------------------
# Helpers


_WORD = re.compile(r"[\w'’\-]+")
_TOKEN_BEFORE = re.compile(r"\S+")
_OPENERS = "(\"'“‘["
_CLOSERS = ",;:!?)\"”]"


def _unshout(text: str) -> str:
    """``text`` with lines written all in capitals put in lower case, so "MY SON DANIEL" reads as a cue and a name."""
    if not any(c.isupper() for c in text):
        return text

    def fix(line: str) -> str:
        if sum(c.isalpha() for c in line) >= 8 and not any(c.islower() for c in line):
            low = line.lower()
            if len(low) == len(line):  # offsets must not move
                return low
        return line

    return "\n".join(fix(line) for line in text.split("\n"))


def _tokens_before(text: str, pos: int, limit: int = 7) -> list[tuple[int, int, str]]:
    """Up to ``limit`` words just before ``pos`` on the same line, nearest first, as (start, end, word).

    Stops at a word ending in punctuation; a word opening with a bracket or
    quote is the last one taken.
    """
    lo = max(0, pos - 100)
    nl = text.rfind("\n", lo, pos)
    if nl >= 0:
        lo = nl + 1
    if pos == lo or text[pos - 1] not in " \t":
        return []
    toks = [(m.start(), m.end(), m.group()) for m in _TOKEN_BEFORE.finditer(text, lo, pos)]
    out = []
    for start, end, word in reversed(toks[-limit:]):
        if word[-1] in _CLOSERS or (word.endswith(".") and word not in ("St.", "Ste.")):
            break
        core = word.lstrip(_OPENERS)
        if not core:
            break
        out.append((end - len(core), end, core))
        if len(core) < len(word):
            break
    return out


def _distinctive(word: str) -> bool:
    """Whether a word of a place name tells it from others ("Oakwood", not "Primary")."""
    w = word.lower()
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    return len(w) > 1 and w.strip("'’") not in _GENERIC_PLACE_WORDS and not w.isdigit()


def _skip_initials(text: str, pos: int) -> int:
    while True:
        m = _INITIALS.match(text, pos)
        if not m:
            return pos
        gap = _NAME_GAP.match(text, m.end())
        if not gap:
            return m.end()
        pos = gap.end()


def _public_offices(text: str, redactor: "Redactor") -> list[tuple[int, int]]:
    """Spans of names after a public office held in its role ("Dear Secretary Cardona")."""
    spans = []
    for m in _PUBLIC_OFFICE.finditer(text):
        # only at the start of a line or sentence, or after "Dear", "to", ...:
        # "our club Secretary Jane" is no public office
        before = _tokens_before(text, m.start(), limit=1)
        if before and before[0][2].lower() not in _OFFICE_BEFORE:
            continue
        end = redactor._whole_name_end(text, m.end(), reject_org=False)
        if end:
            spans.append((m.end(), end))
    return spans


def _phone_not_nhs(hits: list[_Hit], phones: list[_Hit], text: str) -> list[_Hit]:
    """Drop NHS-number hits that are the tail of a longer phone number ("+44 (0) 113 496 0777")."""
    kept = []
    for h in hits:
        if h.kind == "nhs_number" and not _NHS_CUE.search(text, max(0, h.start - 30), h.start) and any(
            p.start < h.start and h.end <= p.end for p in phones
        ):
            continue
        kept.append(h)
    return kept


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
    r"(?:(?i:the\s+)?(?i:Mrs|Mr|Ms|Miss|Mx|Dr|Prof|Professor|Rev|Revd|Reverend|Sir|Dame|Lady|Lord|Cllr|Councillor|"
    r"Auntie|Aunty|Uncle)\.?\s+)+"
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
