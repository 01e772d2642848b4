"""The local review web app (Starlette + Jinja2): plain HTML forms, a little optional JavaScript.

All state lives in the workspace SQLite file; the server keeps none, so a restart
loses nothing. Every write goes through :mod:`consult.review.actions`.
"""

from __future__ import annotations

import csv
import hmac
import io
import ipaddress
import math
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from consult.codebook import NON_SUBSTANTIVE
from consult.errors import ConsultError
from consult.files import spreadsheet_safe
from consult.workspace import answers, code_edits, codes, dedupe, events, responses, runs, themes
from consult.workspace import quality as ws_quality
from consult.workspace.answers import VersionConflict
from consult.workspace.db import Workspace

HERE = Path(__file__).parent
REVIEWER_COOKIE = "consult_reviewer"
TOKEN_COOKIE = "consult_token"
TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9._~-]+")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template is HTML; answers are untrusted text
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = lambda x: f"{100 * (x or 0):.0f}%"
    env.filters["conf"] = lambda x: "–" if x is None else f"{x:.2f}"
    return env


MAX_BODY_BYTES = 8 * 1024 * 1024  # a split page carrying choices for 50,000 answers posts about 2 MB
MAX_FORM_FIELDS = 100_000  # its choice and version fields for those 50,000 answers
MAX_TARGET_BYTES = 16 * 1024  # path and query string; the longest filter links are well under 1 KB
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
TEST_CLIENT_HOST = "testserver"  # the Host that Starlette's TestClient sends
SQLITE_INTEGERS = (-(2**63), 2**63 - 1)

# A Host header or URL authority: a DNS name without a trailing dot, an IPv4 address or a bracketed
# IPv6 address, and a port without sign or leading zero.
_AUTHORITY = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::([1-9][0-9]{0,4}))?")


def _canonical(name: str) -> str:
    """A host name lower-cased, or an address in its one standard spelling (brackets dropped)."""
    bare = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        return bare.lower()


def _authority(text: str) -> tuple[str, int] | None:
    """The canonical host and port (80 when absent) of ``text`` (``host[:port]``); None when malformed."""
    m = _AUTHORITY.fullmatch(text)
    if m is None:
        return None
    name, port = m.group(1), int(m.group(2) or 80)
    if port > 65535:
        return None
    if name.startswith("["):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            return None
    return _canonical(name), port


@dataclass(frozen=True)
class Hosts:
    """The host names (and so the origins) the app answers to: DNS rebinding defence.

    A page elsewhere can point its own DNS name at 127.0.0.1; the browser then sends that name as
    the Host (and Origin). Only listed names are served; addresses are always safe to list, since no
    DNS answer is involved. ``port`` None means any port; ``any_address`` admits every IP address
    (a server bound to all interfaces is reached by the machine's addresses).
    """

    names: frozenset[str]
    port: int | None = None
    any_address: bool = False

    @classmethod
    def serving(cls, host: str | None, port: int | None, extra: Iterable[str] = ()) -> Hosts:
        """The loopback names, ``host`` and ``extra``, on ``port``."""
        names = frozenset(_canonical(n) for n in (*LOOPBACK_NAMES, *extra, *([host] if host else [])))
        try:
            wildcard = host is not None and ipaddress.ip_address(host.strip("[]")).is_unspecified
        except ValueError:
            wildcard = False
        return cls(names, port or None, wildcard)

    def allows(self, authority: tuple[str, int] | None) -> bool:
        if authority is None:
            return False
        name, port = authority
        if self.port is not None and port != self.port:
            return False
        if name in self.names:
            return True
        if not self.any_address:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


class BodyTooLarge(Exception):
    """The request body grew past MAX_BODY_BYTES while it was read."""


class Guard:
    """Checks every request before a handler runs, and adds safe headers to every response.

    In order: a Host the app answers to (400), a target of sane length (414), GET, HEAD or POST
    (405), a body within the limit (413, by Content-Length up front and by counting as it is
    read), the access token when set (403), and for a POST an Origin (or, lacking one, a Referer)
    naming an allowed host and port (403).
    """

    def __init__(self, app, *, hosts: Hosts, token: str | None = None) -> None:  # noqa: ANN001 - ASGI app
        self.app, self.hosts, self.token = app, hosts, token

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_secure(message) -> None:  # noqa: ANN001
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _secure_headers(MutableHeaders(scope=message))
            await send(message)

        request = Request(scope)
        response = self._refusal(scope, request)
        if response is not None:
            await response(scope, receive, send_secure)
            return
        read = 0

        async def receive_counted():
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > MAX_BODY_BYTES:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, receive_counted, send_secure)
        except BodyTooLarge:
            if started:
                raise
            await _too_large()(scope, receive, send_secure)

    def _refusal(self, scope, request: Request) -> Response | None:  # noqa: ANN001
        """The response that refuses this request, or None to let it through."""
        headers = scope["headers"]
        hosts = [v for k, v in headers if k == b"host"]
        if len(hosts) != 1 or not self.hosts.allows(_authority(hosts[0].decode("latin-1"))):
            return PlainTextResponse("400: this server does not answer to that host name; open it by its "
                                     "own address (e.g. http://127.0.0.1:PORT/)", status_code=400)
        if len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"]) > MAX_TARGET_BYTES:
            return PlainTextResponse("414: the address is too long", status_code=414)
        if request.method not in ("GET", "HEAD", "POST"):
            return PlainTextResponse("405: method not allowed", status_code=405, headers={"Allow": "GET, HEAD, POST"})
        lengths = [v for k, v in headers if k == b"content-length"]
        if len(lengths) > 1 or (lengths and not lengths[0].isdigit()):
            return PlainTextResponse("400: bad Content-Length", status_code=400)
        if lengths and int(lengths[0]) > MAX_BODY_BYTES:
            return _too_large()
        if self.token:
            given = request.query_params.get("token")
            if given is not None and _same_secret(given, self.token):
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                url = _local_path(request.url.path) + (f"?{urlencode(rest)}" if rest else "")
                redirect = RedirectResponse(url, status_code=303)
                redirect.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
                return redirect
            if not _same_secret(request.cookies.get(TOKEN_COOKIE, ""), self.token):
                return PlainTextResponse("403: open the address with ?token=… first", status_code=403)
        if request.method == "POST" and not self._same_origin(headers):
            return PlainTextResponse("403: cross-origin form posts are refused", status_code=403)
        return None

    def _same_origin(self, headers: list[tuple[bytes, bytes]]) -> bool:
        """Whether the browser says this post comes from a page of this server."""
        values = {k: [v.decode("latin-1") for key, v in headers if key == k] for k in (b"origin", b"referer",
                                                                                       b"sec-fetch-site")}
        if any(len(v) > 1 for v in values.values()):
            return False
        site = values[b"sec-fetch-site"]
        if site and site[0] != "same-origin":
            return False
        if values[b"origin"]:
            return self.hosts.allows(_origin(values[b"origin"][0], whole_url=False))
        return bool(values[b"referer"]) and self.hosts.allows(_origin(values[b"referer"][0], whole_url=True))


def _origin(url: str, *, whole_url: bool) -> tuple[str, int] | None:
    """The host and port of an http Origin (``whole_url``: of a Referer URL); None for anything else."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" in an IPv6 address
        return None
    if parts.scheme != "http" or (not whole_url and (parts.path or parts.query or parts.fragment)):
        return None
    return _authority(parts.netloc)


def _same_secret(given: str, token: str) -> bool:
    # compared as bytes: compare_digest refuses str with non-ASCII characters
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode("utf-8", "surrogatepass"))


def _too_large() -> Response:
    return PlainTextResponse(f"413: the request is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB", status_code=413)


def _secure_headers(headers: MutableHeaders) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Cache-Control", "no-store")


# --------------------------------------------------------------------------- helpers


class BadNumber(ConsultError):
    """A number in the request that is not a whole number SQLite can hold (a 400, or a 404 for a path id)."""


_WHOLE = re.compile(r"-?[0-9]{1,20}")  # ASCII digits only: int() would also take '+1', '1_0' and '١'


def _int(value: Any, what: str = "the number") -> int | None:
    """A whole number from the request; None when absent or blank.

    Every integer that comes from a path, query or form goes through here: anything but plain
    ASCII digits (with an optional minus) inside SQLite's 64-bit range raises BadNumber.
    """
    if value is None or value == "":
        return None
    text = str(value)
    if _WHOLE.fullmatch(text) and SQLITE_INTEGERS[0] <= int(text) <= SQLITE_INTEGERS[1]:
        return int(text)
    raise BadNumber(f"{what} must be a whole number that fits in 64 bits")


async def _form(request: Request):  # noqa: ANN202 - starlette FormData
    """The posted form; room for the biggest split page, and no file uploads (no page has one)."""
    return await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)


async def _bad_number(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadNumber)
    return _render(request, "message.html", {"title": "Bad request", "message": exc.message}, status_code=400)


def _ws(request: Request) -> sqlite3.Connection:
    return request.app.state.workspace.conn()


def _reviewer(request: Request) -> str | None:
    name = request.cookies.get(REVIEWER_COOKIE)
    try:
        return answers.check_reviewer(name) if name else None
    except ConsultError:
        return None


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    base = {"reviewer": _reviewer(request), "consultation": _consultation(request)}
    return request.app.state.templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def _consultation(request: Request) -> dict[str, Any]:
    return responses.consultation(_ws(request))


def _not_found(request: Request, what: str) -> Response:
    return _render(request, "message.html", {"title": "Not found", "message": what}, status_code=404)


def _filters(params, question_id: str | None = None) -> answers.AnswerFilter:
    def text(key: str) -> str | None:
        value = (params.get(key) or "").strip()
        return value or None

    def fraction(key: str) -> float | None:
        try:
            value = float(text(key) or "nan")
        except ValueError:
            return None
        return value if math.isfinite(value) else None

    return answers.AnswerFilter(
        question_id=question_id or text("question"),
        code=text("code"),
        max_confidence=fraction("conf"),
        unreviewed=params.get("unreviewed") in ("1", "on", "true"),
        campaign=text("campaign"),
        group=text("group"),
        option=text("option"),
        search=text("search"),
        theme=_int(text("theme"), "theme"),
    )


def _filters_qs(f: answers.AnswerFilter) -> str:
    pairs = {
        "question": f.question_id, "code": f.code,
        "conf": None if f.max_confidence is None else f"{f.max_confidence:g}",
        "unreviewed": "1" if f.unreviewed else None, "campaign": f.campaign, "group": f.group,
        "option": f.option, "search": f.search, "theme": None if f.theme is None else str(f.theme),
    }
    return urlencode({k: v for k, v in pairs.items() if v is not None})


def _require_reviewer(request: Request) -> tuple[str | None, Response | None]:
    name = _reviewer(request)
    if name:
        return name, None
    nxt = request.headers.get("referer") or "/"
    return None, _render(request, "reviewer.html", {"next": _local_path(nxt), "error": "Enter your name before making changes."}, 403)


def _local_path(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Outcome:
    """What a form post did: a message for the page, or an error and its HTTP status."""

    message: str | None = None
    error: str | None = None
    status: int = 200


Op = Callable[[Any, str], str]


async def _apply(request: Request, ops: dict[str, Op], on_conflict: str) -> Outcome | Response:
    """Run the form's ``op`` as the signed-in reviewer; the reviewer page when nobody is signed in.

    An edit made against an old version is a 409 (with ``on_conflict`` telling what to do), a
    problem with what was entered a 400; each op returns the message to show.
    """
    name, denied = _require_reviewer(request)
    if denied:
        return denied
    form = await _form(request)
    op = _text(form, "op")
    try:
        if op not in ops:
            raise ConsultError(f"unknown action {op!r}")
        return Outcome(message=ops[op](form, name))
    except VersionConflict as exc:
        return Outcome(error=f"{exc.message}. {on_conflict}", status=409)
    except ConsultError as exc:
        return Outcome(error=exc.message, status=400)


def _text(form, key: str) -> str:  # noqa: ANN001 - starlette FormData
    return str(form.get(key) or "")


# --------------------------------------------------------------------------- pages


async def overview(request: Request) -> Response:
    qs = answers.questions(_ws(request))
    total = sum(q["with_text"] for q in qs)
    done = sum(q["reviewed"] for q in qs)
    return _render(request, "overview.html", {"questions": qs, "total": total, "done": done,
                                              "changed": sum(q["changed"] for q in qs),
                                              "withdrawn": sum(q["withdrawn"] for q in qs)})


async def reviewer_page(request: Request) -> Response:
    if request.method == "POST":
        form = await _form(request)
        nxt = _local_path(str(form.get("next") or "/"))
        try:
            name = answers.check_reviewer(str(form.get("name") or ""))
        except ConsultError as exc:
            return _render(request, "reviewer.html", {"next": nxt, "error": exc.message}, 400)
        response = RedirectResponse(nxt, status_code=303)
        response.set_cookie(REVIEWER_COOKIE, name, httponly=True, samesite="strict", max_age=60 * 60 * 24 * 365)
        return response
    return _render(request, "reviewer.html", {"next": _local_path(request.query_params.get("next", "/")), "error": None})


async def question_page(request: Request) -> Response:
    conn = _ws(request)
    qid = request.path_params["qid"]
    q = answers.question(conn, qid)
    if q is None:
        return _not_found(request, f"No question {qid}.")
    progress = next(iter(answers.questions(conn, qid)), None)
    queue = answers.review_queue(conn, qid, 20)
    return _render(request, "question.html", {
        "q": q,
        "quality": _quality(conn, qid) if q.get("kind") != "closed" else None,
        "progress": progress,
        "codes": codes.codes(conn, qid),
        "counts": codes.code_counts(conn, qid),
        "themes": themes.theme_counts(conn, qid),
        "queue": queue,
        "copies": answers.copies_of(conn, [a["id"] for a in queue]),
    })


def _quality(conn: sqlite3.Connection, qid: str) -> ws_quality.QuestionQuality:
    """The question's quality check as it stands, against the bar of the latest run's settings."""
    return ws_quality.assess(conn, qid, runs.settings(conn).quality)


async def quality_page(request: Request) -> Response:
    conn = _ws(request)
    qid = request.path_params["qid"]
    q = answers.question(conn, qid)
    if q is None or q.get("kind") == "closed":
        return _not_found(request, f"No free-text question {qid}.")
    result = _quality(conn, qid)
    return _render(request, "quality.html", {
        "q": q, "r": result, "e": result.estimate, "labels": _labels(conn, qid),
        "next_id": ws_quality.next_to_check(conn, qid),
    })


async def answers_page(request: Request) -> Response:
    conn = _ws(request)
    qid = request.path_params["qid"]
    q = answers.question(conn, qid)
    if q is None:
        return _not_found(request, f"No question {qid}.")
    f = _filters(request.query_params, qid)

    params = request.query_params
    page = answers.list_answers(conn, f, after=_int(params.get("after"), "after"),
                                before=_int(params.get("before"), "before"))
    return _render(request, "answers.html", {
        "q": q, "page": page, "f": f, "qs": _filters_qs(f), "labels": _labels(conn, qid),
        "copies": answers.copies_of(conn, [r["id"] for r in page.rows]),
        "codes": codes.codes(conn, qid), "choices": answers.filter_choices(conn, qid),
    })


QUEUE_SKIP_KEPT = 200  # answers passed over in the queue that the links remember (about 1.4 KB of address)


@dataclass(frozen=True)
class Nav:
    """Where the reviewer came to an answer from, so "next" follows it: a filtered answer list, the
    question's review queue (``queue``, with the answers passed over without being reviewed), or its
    quality-check sample (``check``: the same, in the sample's order)."""

    filters: answers.AnswerFilter
    queue: str | None = None
    skip: tuple[int, ...] = ()
    check: bool = False

    def qs(self, skip: tuple[int, ...] | None = None) -> str:
        """The query string that carries this navigation (``skip``: a different list of passed-over answers)."""
        if self.queue is None:
            return _filters_qs(self.filters)
        kept = (self.skip if skip is None else skip)[-QUEUE_SKIP_KEPT:]
        pairs = {"from": "check" if self.check else "queue", "question": self.queue,
                 "skip": ",".join(map(str, kept)) or None}
        return urlencode({k: v for k, v in pairs.items() if v})

    def passing(self, rid: int) -> Nav:
        """This navigation once answer ``rid`` is left behind without being reviewed."""
        if self.queue is None or rid in self.skip:
            return self
        return Nav(self.filters, self.queue, (*self.skip, rid), self.check)

    def next_id(self, conn: sqlite3.Connection, rid: int) -> int | None:
        if self.queue is None:
            return answers.neighbour(conn, self.filters, rid, forward=True)
        exclude = {*self.skip, rid}
        if self.check:
            return ws_quality.next_to_check(conn, self.queue, exclude)
        # the queue as the server ranks it now, less what this reviewer has passed over
        return next((r["id"] for r in answers.review_queue(conn, self.queue, len(exclude) + 1) if r["id"] not in exclude),
                    None)

    def prev_id(self, conn: sqlite3.Connection, rid: int) -> int | None:
        if self.queue is None:
            return answers.neighbour(conn, self.filters, rid, forward=False)
        return None


def _nav(params) -> Nav:  # noqa: ANN001 - query params or a parsed form value
    f = _filters(params)
    if params.get("from") in ("queue", "check") and f.question_id:
        skip = tuple(i for i in (_int(x.strip(), "skip") for x in str(params.get("skip") or "").split(",") if x.strip())
                     if i is not None)
        return Nav(answers.AnswerFilter(question_id=f.question_id), f.question_id, skip, params.get("from") == "check")
    return Nav(f)


def _code_keys(code_list: list[dict[str, Any]]) -> dict[str, str]:
    """The key that ticks each code on the answer page: 1-9 for the first nine, n for no substantive answer."""
    keys = {NON_SUBSTANTIVE: "n"} if any(c["id"] == NON_SUBSTANTIVE for c in code_list) else {}
    digits = iter("123456789")
    for c in code_list:
        if c["id"] not in keys:
            key = next(digits, None)
            if key is None:
                break
            keys[c["id"]] = key
    return keys


def _answer_context(conn: sqlite3.Connection, rid: int, nav: Nav) -> dict[str, Any] | None:
    detail = answers.answer_detail(conn, rid)
    if detail is None:
        return None
    state = detail["state"]
    code_list = codes.codes(conn, state.question_id)
    next_id = nav.next_id(conn, rid)
    # a quality-check answer nobody has coded yet: the reviewer codes it without seeing the model's codes
    blind = ws_quality.awaiting_check(conn, rid) and not state.withdrawn
    return {
        "d": detail,
        "s": state,
        "q": answers.question(conn, state.question_id),
        "codes": code_list,
        "keys": _code_keys(code_list),
        "copies": answers.copies_of(conn, [rid]).get(rid, 0),
        "labels": _labels(conn, state.question_id),
        "qs": nav.qs(),
        "next_qs": nav.passing(rid).qs(),
        "queue": nav.queue,
        "check": nav.check,
        "blind": blind,
        "next_id": next_id,
        "prev_id": nav.prev_id(conn, rid),
        "form": {"codes": set() if blind else set(state.final_codes), "reviewed": state.reviewed or blind,
                 "quote": state.quote},
        "history": events.described(conn, events.events(conn, events.EventFilter(entity="answer", entity_id=str(rid)),
                                                        limit=20)),
        "conflict": None,
        "error": None,
    }


async def answer_page(request: Request) -> Response:
    conn = _ws(request)
    try:
        rid = _int(request.path_params["rid"], "the answer number")
    except BadNumber:
        rid = None
    if rid is None:
        return _not_found(request, "No such answer.")
    if request.method == "POST":
        return await _answer_post(request, conn, rid)
    ctx = _answer_context(conn, rid, _nav(request.query_params))
    if ctx is None:
        return _not_found(request, f"No answer {rid}.")
    if request.query_params.get("saved"):
        ctx["saved"] = True
    if request.query_params.get("checked") and not ctx["blind"]:
        ctx["checked_now"] = True
    return _render(request, "answer.html", ctx)


async def _answer_post(request: Request, conn: sqlite3.Connection, rid: int) -> Response:
    form = await _form(request)
    back = str(form.get("back") or "")
    nav = _nav(dict(_parse_qs(back)))
    ctx = _answer_context(conn, rid, nav)
    if ctx is None:
        return _not_found(request, f"No answer {rid}.")
    name, denied = _require_reviewer(request)
    if denied:
        return denied
    op = str(form.get("op") or "save")
    intended: dict[str, Any] = {}
    checked_now = False
    version = _int(form.get("version"), "version")
    try:
        if version is None:
            raise ConsultError("the form has no version; reload the page")
        if op in ("save", "save-next"):
            intended = {
                "codes": {str(c) for c in form.getlist("codes")},
                "reviewed": form.get("reviewed") == "1",
                "quote": form.get("quote") == "1",
            }
            blind = form.get("quality_check") == "1" and ws_quality.awaiting_check(conn, rid)
            answers.update_answer(conn, rid, name, expected_version=version, quality_check=blind, **intended)
            checked_now = blind
        elif op == "revert":
            answers.update_answer(conn, rid, name, expected_version=version, revert_to_model=True)
        elif op == "redact":
            text = str(form.get("redact_text") or "")
            start, end = str(form.get("start") or "").strip(), str(form.get("end") or "").strip()
            if text:
                answers.add_redaction(conn, rid, name, text=text, expected_version=version)
            elif start and end:
                answers.add_redaction(conn, rid, name, start=_int(start, "start"), end=_int(end, "end"),
                                      expected_version=version)
            else:
                raise ConsultError("select the text to redact, or type it exactly")
        elif op == "unredact":
            start_s, end_s = str(form.get("span", "")).split("-", 1)
            span = [_int(start_s, "start"), _int(end_s, "end")]
            if None in span:
                raise ConsultError("that is not a redaction of this answer")
            answers.remove_redaction(conn, rid, name, span, expected_version=version)
        else:
            raise ConsultError(f"unknown action {op!r}")
    except VersionConflict as exc:
        ctx = _answer_context(conn, rid, nav)
        assert ctx is not None
        ctx["conflict"] = {
            "by": exc.changed_by,
            "your_version": version,
            "changes": events.described(conn, events.events_since(conn, "answer", rid, version or 0)),
            "op": op,
        }
        if intended:
            base = answers.state_at(conn, rid, version or 0)
            state = ctx["s"]
            current = {"codes": state.final_codes, "reviewed": state.reviewed, "quote": state.quote}
            if base is not None:
                ctx["form"] = answers.rebase(base, current, intended)
                ctx["conflict"]["added"] = sorted(set(intended["codes"]) - set(base["codes"]))
                ctx["conflict"]["removed"] = sorted(set(base["codes"]) - set(intended["codes"]))
        return _render(request, "answer.html", ctx, status_code=409)
    except (ConsultError, ValueError) as exc:
        ctx = _answer_context(conn, rid, nav)
        assert ctx is not None
        ctx["error"] = exc.message if isinstance(exc, ConsultError) else "those numbers are not valid"
        return _render(request, "answer.html", ctx, status_code=400)
    target = rid
    if op == "save-next":
        state = answers.answer_state(conn, rid)
        if state is not None and not state.reviewed:
            nav = nav.passing(rid)  # saved but not reviewed: it stays in the queue, behind this reviewer
        target = nav.next_id(conn, rid) or rid
    qs = nav.qs()
    # after a blind check the same page shows what the model had suggested, for the reviewer to compare
    flag = "checked" if checked_now and target == rid else "saved"
    return RedirectResponse(f"/a/{target}?{qs + '&' if qs else ''}{flag}=1", status_code=303)


def _parse_qs(qs: str):
    from urllib.parse import parse_qsl

    return parse_qsl(qs.lstrip("?"), keep_blank_values=False)


async def codebook_page(request: Request) -> Response:
    conn = _ws(request)
    qid = request.path_params["qid"]
    q = answers.question(conn, qid)
    if q is None:
        return _not_found(request, f"No question {qid}.")
    outcome = Outcome()
    if request.method == "POST":

        def label(code_id: str) -> str:
            return _quoted(_labels(conn, qid).get(code_id, code_id))

        def add(form, name: str) -> str:
            new = code_edits.add_code(conn, qid, _text(form, "label"), name, description=_text(form, "description"),
                                      parent=_text(form, "parent") or None)
            return f"Added the code {label(new)}."

        def edit(form, name: str) -> str:
            version = _text(form, "version")
            before = label(_text(form, "code"))
            after = code_edits.edit_code(conn, qid, _text(form, "code"), name, label=_text(form, "label"),
                                         description=_text(form, "description"),
                                         expected_version=_version(version) if version else None)
            now = _quoted(after["label"])
            return f"Saved {now}." if now == before else f"Saved {before}, now called {now}."

        def merge(form, name: str) -> str:
            sources = [str(s) for s in form.getlist("sources")]
            names = _and([label(s) for s in sources])
            moved = code_edits.merge_codes(conn, qid, sources, _text(form, "into"), name)
            return f"Merged {names} into {label(_text(form, 'into'))}: " + _moved_words(moved, names, label)

        def split(form, name: str) -> str:
            code = label(_text(form, "code"))
            new_ids = code_edits.split_code(conn, qid, _text(form, "code"), _text(form, "labels").splitlines(), name)
            return f"Split {code} into {_and([label(n) for n in new_ids])}."

        def delete(form, name: str) -> str:
            code = _text(form, "code")
            was = label(code)
            moved = code_edits.delete_code(conn, qid, code, name, reassign_to=_text(form, "reassign_to") or None)
            return f"Deleted {was}: " + _moved_words(moved, was, label)

        outcome = await _apply(request, {"add": add, "edit": edit, "merge": merge, "split": split, "delete": delete},
                               "The code now reads as below; re-apply your change if it still makes sense.")
        if isinstance(outcome, Response):
            return outcome
    return _render_codebook(request, conn, q, error=outcome.error, message=outcome.message, status=outcome.status)


def _labels(conn: sqlite3.Connection, qid: str) -> dict[str, str]:
    """Every code id of a question (merged and deleted ones too) -> its label."""
    return {c["id"]: c["label"] for c in codes.codes(conn, qid, include_inactive=True)}


def _quoted(label: str) -> str:
    return f"\u201c{label}\u201d"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "nothing"


def _answers(n: int) -> str:
    return f"{n} answer{'' if n == 1 else 's'}"


def _moved_words(moved: code_edits.Moved, names: str, label: Callable[[str], str]) -> str:
    """A merge's or deletion's effect on the answers, in the numbers the code lists show."""
    if moved.target is None:
        text = f"{_answers(moved.answers)} no longer coded {names}."
    else:
        target = label(moved.target)
        already = moved.answers - moved.gained
        text = (f"{_answers(moved.gained)} moved to {target} ({_answers(moved.answers)} had {names}"
                + (f", {already} of them already had {target}" if already else "")
                + f"); {target} went from {moved.target_before} to {moved.target_after} answers.")
    if moved.decided:
        text += (f" {_answers(moved.decided)} coded by a person {'was' if moved.decided == 1 else 'were'} changed"
                 " to match (each change is in the audit trail).")
    return text


def _render_codebook(request: Request, conn: sqlite3.Connection, q: dict[str, Any], *,
                     error: str | None = None, message: str | None = None, status: int = 200) -> Response:
    all_codes = codes.codes(conn, q["id"], include_inactive=True)
    return _render(request, "codebook.html", {
        "q": q, "codes": [c for c in all_codes if c["status"] == "active"],
        "inactive": [c for c in all_codes if c["status"] != "active"],
        "counts": codes.code_counts(conn, q["id"]), "error": error, "message": message,
        "labels": {c["id"]: c["label"] for c in all_codes},
    }, status)


# --------------------------------------------------------------------------- split a code, answer by answer

SPLIT_PAGE_SIZE = answers.PAGE_SIZE


def _carried(form) -> tuple[dict[int, str], dict[int, int]]:
    """The per-answer choices (not 'keep') and answer versions a split form carries between its pages."""
    choices: dict[int, str] = {}
    versions: dict[int, int] = {}
    for key, value in form.multi_items():
        kind, _, rid_s = str(key).partition("-")
        if kind not in ("choice", "version"):
            continue
        rid = _int(rid_s, "the answer number")
        if rid is None:
            raise BadNumber(f"{key!r} names no answer")
        if kind == "choice" and str(value) != "keep":
            choices[rid] = str(value)
        elif kind == "version" and (version := _int(value, "version")) is not None:
            versions[rid] = version
    return choices, versions


async def split_page(request: Request) -> Response:
    conn = _ws(request)
    qid, code_id = request.path_params["qid"], request.path_params["code"]
    q = answers.question(conn, qid)
    code = next((c for c in codes.codes(conn, qid) if c["id"] == code_id), None) if q else None
    if q is None or code is None:
        return _not_found(request, f"No active code {code_id} in question {qid}.")
    choices: dict[int, str] = {}
    versions: dict[int, int] = {}
    fields = {"label": "", "description": "", "version": code["version"]}
    after = before = None
    error, status = None, 200
    if request.method == "POST":
        form = await _form(request)
        choices, versions = _carried(form)
        fields = {"label": str(form.get("label") or ""), "description": str(form.get("description") or ""),
                  "version": _int(form.get("code_version"), "code_version")}
        first, last = _int(form.get("first"), "first"), _int(form.get("last"), "last")
        op = str(form.get("op") or "")
        if op == "next":
            after = last
        elif op == "prev":
            before = first
        elif op == "apply":
            name, denied = _require_reviewer(request)
            if denied:
                return denied
            try:
                new_id = code_edits.split_code_answers(
                    conn, qid, code_id, fields["label"], name, choices, description=fields["description"],
                    versions={r: versions[r] for r in choices if r in versions},
                    expected_version=fields["version"])
            except VersionConflict as exc:
                error, status = f"{exc.message}. Its codes now read as below; check your choice and apply again.", 409
                if exc.entity == "answer":
                    state = answers.answer_state(conn, int(exc.entity_id))
                    if state is not None:
                        versions[state.response_id] = state.version
                else:
                    fields["version"] = code["version"]
            except ConsultError as exc:
                error, status = exc.message, 400
            else:
                moved = sum(1 for c in choices.values() if c == "move")
                both = sum(1 for c in choices.values() if c == "both")
                return _render_codebook(request, conn, q, message=(
                    f"Split {_quoted(code['label'])}: new code {_quoted(_labels(conn, qid).get(new_id, new_id))}; "
                    f"{_answers(moved)} moved to it, {_answers(both)} {'has' if both == 1 else 'have'} both."))
            after = first - 1 if first is not None else None  # show the same page again
        else:
            error, status = f"unknown action {op!r}", 400
    page = answers.list_answers(conn, answers.AnswerFilter(question_id=qid, code=code_id),
                                after=after, before=before, limit=SPLIT_PAGE_SIZE)
    shown = {r["id"] for r in page.rows}
    for r in page.rows:
        r["choice"] = choices.get(r["id"], "keep")
        if r["id"] in choices and r["id"] in versions:
            r["version"] = versions[r["id"]]  # the version the choice was made against
    carried = [(rid, c, versions.get(rid)) for rid, c in sorted(choices.items()) if rid not in shown]
    return _render(request, "split.html", {
        "q": q, "code": code, "page": page, "carried": carried, "fields": fields,
        "error": error, "labels": _labels(conn, qid),
        "chosen": {"move": sum(1 for c in choices.values() if c == "move"),
                   "both": sum(1 for c in choices.values() if c == "both")},
    }, status)


# --------------------------------------------------------------------------- duplicate groups and campaigns

GROUP_PAGE_SIZE = answers.PAGE_SIZE


def _ids(values) -> list[int]:
    return [i for i in (_int(v, "the answer number") for v in values) if i is not None]


async def campaigns_page(request: Request) -> Response:
    conn = _ws(request)
    qid = request.path_params["qid"]
    q = answers.question(conn, qid)
    if q is None:
        return _not_found(request, f"No question {qid}.")
    number = max(1, _int(request.query_params.get("page"), "page") or 1)
    outcome = Outcome()
    if request.method == "POST":

        def confirm(form, name: str) -> str:
            gid = _text(form, "group")
            n = dedupe.confirm_group(conn, qid, gid, name, expected_version=_version(form.get("version")))
            return f"Confirmed group {gid}; {_answers(n)} recorded as decided."

        def merge(form, name: str) -> str:
            source, into = _text(form, "source"), _text(form, "into")
            n = dedupe.merge_groups(conn, qid, source, into, name, expected_version=_version(form.get(f"version-{source}")))
            return f"Merged group {source} into {into}; {_answers(n)} moved."

        outcome = await _apply(request, {"confirm": confirm, "merge": merge}, "The groups now read as below.")
        if isinstance(outcome, Response):
            return outcome
    groups = dedupe.dedupe_groups(conn, qid)
    pages = max(1, -(-len(groups) // GROUP_PAGE_SIZE))
    number = min(number, pages)
    return _render(request, "campaigns.html", {
        "q": q, "groups": groups[(number - 1) * GROUP_PAGE_SIZE: number * GROUP_PAGE_SIZE], "all_groups": groups,
        "number": number, "pages": pages, "error": outcome.error, "message": outcome.message,
    }, outcome.status)


def _version(value: Any) -> int:
    """A version from a form; a missing one is an error (the page is older than this feature)."""
    v = _int(value, "version")
    if v is None:
        raise ConsultError("the form has no version; reload the page")
    return v


async def group_page(request: Request) -> Response:
    conn = _ws(request)
    qid, gid = request.path_params["qid"], request.path_params["gid"]
    q = answers.question(conn, qid)
    group = dedupe.dedupe_group(conn, qid, gid) if q else None
    if q is None or group is None:
        return _not_found(request, f"No duplicate group {gid} in question {qid}.")
    outcome = Outcome()
    if request.method == "POST":

        def confirm(form, name: str) -> str:
            n = dedupe.confirm_group(conn, qid, gid, name, expected_version=_version(form.get("version")))
            return f"Confirmed this group; {_answers(n)} recorded as decided."

        def merge(form, name: str) -> str:
            into = _text(form, "into")
            n = dedupe.merge_groups(conn, qid, gid, into, name, expected_version=_version(form.get("version")))
            return f"Merged this group into {into}; {_answers(n)} moved."

        def chosen(form) -> tuple[list[int], dict[int, int]]:
            ids = _ids(form.getlist("answer"))
            return ids, {rid: v for rid in ids if (v := _int(form.get(f"version-{rid}"), "version")) is not None}

        def not_duplicate(form, name: str) -> str:
            ids, versions = chosen(form)
            return f"{_answers(dedupe.not_duplicate(conn, qid, ids, name, expected_versions=versions))} marked as not duplicates."

        def move(form, name: str, target: str | None = None) -> str:
            ids, versions = chosen(form)
            moved_to = dedupe.move_to_group(conn, qid, ids, target or _text(form, "target"), name, expected_versions=versions)
            return f"Put {_answers(len(ids))} in group {moved_to}."

        def add(form, name: str) -> str:
            rid = _int(_text(form, "response").strip(), "the answer number")
            if rid is None:
                raise ConsultError("give the number of the answer to put in this group")
            dedupe.move_to_group(conn, qid, [rid], gid, name)
            return f"Put answer {rid} in this group."

        outcome = await _apply(request, {
            "confirm": confirm, "merge": merge, "not-duplicate": not_duplicate, "move": move,
            "put-back": lambda form, name: move(form, name, gid), "add": add,
        }, "The group now reads as below.")
        if isinstance(outcome, Response):
            return outcome
        group = dedupe.dedupe_group(conn, qid, gid) or group
    params = request.query_params
    members = dedupe.group_members(conn, qid, gid, after=_int(params.get("after"), "after"),
                                   before=_int(params.get("before"), "before"), limit=GROUP_PAGE_SIZE)
    return _render(request, "group.html", {
        "q": q, "g": group, "members": members, "error": outcome.error, "message": outcome.message,
        "others": [o for o in dedupe.dedupe_groups(conn, qid) if o.id != gid],
        "history": events.described(conn, events.events(conn, events.EventFilter(entity="dedupe-group", entity_id=gid),
                                                        limit=20)),
    }, outcome.status)


def _event_filter(params) -> events.EventFilter:
    return events.EventFilter(**{k: (params.get(k) or "").strip() or None
                                  for k in ("reviewer", "entity", "entity_id", "action", "since")})


async def audit_page(request: Request) -> Response:
    f = _event_filter(request.query_params)
    before = _int(request.query_params.get("before"), "before")
    evs = events.described(_ws(request), events.events(_ws(request), f, limit=100, before=before))
    qs = urlencode({k: v for k, v in vars(f).items() if v})
    return _render(request, "audit.html", {"events": evs, "f": f, "qs": qs,
                                           "more": evs[-1]["id"] if len(evs) == 100 else None})


async def audit_csv(request: Request) -> Response:
    evs = events.described(_ws(request), events.events(_ws(request), _event_filter(request.query_params), limit=None))
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = ["id", "at", "reviewer", "entity", "entity_id", "action", "sentence", "before_json", "after_json"]
    w.writerow(cols)
    for e in reversed(evs):
        w.writerow([spreadsheet_safe(e[c]) for c in cols])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


def create_app(outdir: str | Path, *, token: str | None = None, host: str | None = None, port: int | None = None,
               allowed_hosts: Iterable[str] = (TEST_CLIENT_HOST,)) -> Starlette:
    """The review app for the workspace in ``outdir``, served at ``host``:``port``.

    Requests must name the loopback names, ``host`` or one of ``allowed_hosts`` in their Host
    header, on ``port`` (any port when None); POSTs must come from such an origin. The default
    ``allowed_hosts`` lets Starlette's TestClient in; :func:`serve` allows no extra names.
    """
    app = Starlette(
        routes=[
            Route("/", overview),
            Route("/reviewer", reviewer_page, methods=["GET", "POST"]),
            Route("/q/{qid}", question_page),
            Route("/q/{qid}/answers", answers_page),
            Route("/q/{qid}/check", quality_page),
            Route("/q/{qid}/codebook", codebook_page, methods=["GET", "POST"]),
            Route("/q/{qid}/codebook/split/{code}", split_page, methods=["GET", "POST"]),
            Route("/q/{qid}/campaigns", campaigns_page, methods=["GET", "POST"]),
            Route("/q/{qid}/campaigns/{gid}", group_page, methods=["GET", "POST"]),
            Route("/a/{rid}", answer_page, methods=["GET", "POST"]),
            Route("/audit", audit_page),
            Route("/audit.csv", audit_csv),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(Guard, hosts=Hosts.serving(host, port, allowed_hosts), token=token)],
        exception_handlers={BadNumber: _bad_number},
    )
    app.state.workspace = Workspace(outdir)
    app.state.templates = Jinja2Templates(env=_env())
    app.state.token = token
    return app


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(outdir: str | Path, host: str = "127.0.0.1", port: int = 8000, token: str | None = None) -> None:
    """Run the review app until interrupted; print its address first.

    A non-loopback ``host`` needs a ``token``, which visitors then give once as ``?token=``.
    """
    import uvicorn

    if not is_loopback(host) and not token:
        raise ConsultError(f"refusing to serve on {host} (reachable from other machines) without --token")
    if token is not None and not TOKEN_CHARACTERS.fullmatch(token):
        raise ConsultError("--token may hold only letters, digits and . _ ~ - (it goes in an address and a cookie)")
    if not 0 < port < 65536:
        raise ConsultError(f"--port must be between 1 and 65535, not {port}")
    app = create_app(outdir, token=token, host=host, port=port, allowed_hosts=())
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"Review app for {Path(outdir)} at {address} (Ctrl+C to stop)", flush=True)
    # h11 caps the request line and headers (16 KB); no proxy sits in front, so trust no X-Forwarded-*
    uvicorn.run(app, host=host, port=port, log_level="warning", http="h11", proxy_headers=False)
