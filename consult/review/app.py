"""The local review web app (Starlette + Jinja2): plain HTML forms, a little optional JavaScript.

All state lives in the workspace SQLite file; the server keeps none, so a restart
loses nothing. Every write goes through :mod:`consult.review.actions`.
"""

from __future__ import annotations

import csv
import hmac
import io
import ipaddress
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from consult.errors import ConsultError
from consult.files import spreadsheet_safe
from consult.workspace import answers, code_edits, codes, dedupe, events, responses, themes
from consult.workspace.answers import VersionConflict
from consult.workspace.db import Workspace

HERE = Path(__file__).parent
REVIEWER_COOKIE = "consult_reviewer"
TOKEN_COOKIE = "consult_token"
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


class Guard(BaseHTTPMiddleware):
    """Access token (when set), same-origin POSTs only, and safe response headers."""

    async def dispatch(self, request: Request, call_next):
        token = request.app.state.token
        if token:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given, token):
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                url = request.url.path + (f"?{urlencode(rest)}" if rest else "")
                response: Response = RedirectResponse(url, status_code=303)
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
                return _secure(response)
            if not hmac.compare_digest(request.cookies.get(TOKEN_COOKIE, ""), token):
                return _secure(PlainTextResponse("403: open the address with ?token=… first", status_code=403))
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin(request):
            return _secure(PlainTextResponse("403: cross-origin form posts are refused", status_code=403))
        return _secure(await call_next(request))


def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    return urlsplit(source).netloc.lower() == request.headers.get("host", "").lower()


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --------------------------------------------------------------------------- helpers


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

    def number(key: str, kind):
        value = text(key)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            return None

    return answers.AnswerFilter(
        question_id=question_id or text("question"),
        code=text("code"),
        max_confidence=number("conf", float),
        unreviewed=params.get("unreviewed") in ("1", "on", "true"),
        campaign=text("campaign"),
        group=text("group"),
        option=text("option"),
        search=text("search"),
        theme=number("theme", int),
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
    form = await request.form()
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
        form = await request.form()
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
    return _render(request, "question.html", {
        "q": q,
        "progress": progress,
        "codes": codes.codes(conn, qid),
        "counts": codes.code_counts(conn, qid),
        "themes": themes.theme_counts(conn, qid),
        "queue": answers.review_queue(conn, qid, 20),
    })


async def answers_page(request: Request) -> Response:
    conn = _ws(request)
    qid = request.path_params["qid"]
    q = answers.question(conn, qid)
    if q is None:
        return _not_found(request, f"No question {qid}.")
    f = _filters(request.query_params, qid)

    def num(key: str) -> int | None:
        try:
            return int(request.query_params[key])
        except (KeyError, ValueError):
            return None

    page = answers.list_answers(conn, f, after=num("after"), before=num("before"))
    return _render(request, "answers.html", {
        "q": q, "page": page, "f": f, "qs": _filters_qs(f),
        "codes": codes.codes(conn, qid), "choices": answers.filter_choices(conn, qid),
    })


def _answer_context(conn: sqlite3.Connection, rid: int, f: answers.AnswerFilter) -> dict[str, Any] | None:
    detail = answers.answer_detail(conn, rid)
    if detail is None:
        return None
    state = detail["state"]
    return {
        "d": detail,
        "s": state,
        "q": answers.question(conn, state.question_id),
        "codes": codes.codes(conn, state.question_id),
        "labels": {c["id"]: c["label"] for c in codes.codes(conn, state.question_id, include_inactive=True)},
        "qs": _filters_qs(f),
        "next_id": answers.neighbour(conn, f, rid, forward=True),
        "prev_id": answers.neighbour(conn, f, rid, forward=False),
        "form": {"codes": set(state.final_codes), "reviewed": state.reviewed, "quote": state.quote},
        "history": events.events(conn, events.EventFilter(entity="answer", entity_id=str(rid)), limit=20),
        "conflict": None,
        "error": None,
    }


async def answer_page(request: Request) -> Response:
    conn = _ws(request)
    try:
        rid = int(request.path_params["rid"])
    except ValueError:
        return _not_found(request, "No such answer.")
    f = _filters(request.query_params)
    if request.method == "POST":
        return await _answer_post(request, conn, rid)
    ctx = _answer_context(conn, rid, f)
    if ctx is None:
        return _not_found(request, f"No answer {rid}.")
    if request.query_params.get("saved"):
        ctx["saved"] = True
    return _render(request, "answer.html", ctx)


async def _answer_post(request: Request, conn: sqlite3.Connection, rid: int) -> Response:
    form = await request.form()
    back = str(form.get("back") or "")
    f = _filters(dict(_parse_qs(back)))
    ctx = _answer_context(conn, rid, f)
    if ctx is None:
        return _not_found(request, f"No answer {rid}.")
    name, denied = _require_reviewer(request)
    if denied:
        return denied
    op = str(form.get("op") or "save")
    intended: dict[str, Any] = {}
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        version = None
    try:
        if version is None:
            raise ConsultError("the form has no version; reload the page")
        if op in ("save", "save-next"):
            intended = {
                "codes": {str(c) for c in form.getlist("codes")},
                "reviewed": form.get("reviewed") == "1",
                "quote": form.get("quote") == "1",
            }
            answers.update_answer(conn, rid, name, expected_version=version, **intended)
        elif op == "revert":
            answers.update_answer(conn, rid, name, expected_version=version, revert_to_model=True)
        elif op == "redact":
            text = str(form.get("redact_text") or "")
            start, end = str(form.get("start") or "").strip(), str(form.get("end") or "").strip()
            if text:
                answers.add_redaction(conn, rid, name, text=text, expected_version=version)
            elif start and end:
                answers.add_redaction(conn, rid, name, start=int(start), end=int(end), expected_version=version)
            else:
                raise ConsultError("select the text to redact, or type it exactly")
        elif op == "unredact":
            start_s, end_s = str(form.get("span", "")).split("-", 1)
            answers.remove_redaction(conn, rid, name, [int(start_s), int(end_s)], expected_version=version)
        else:
            raise ConsultError(f"unknown action {op!r}")
    except VersionConflict as exc:
        ctx = _answer_context(conn, rid, f)
        assert ctx is not None
        ctx["conflict"] = {
            "by": exc.changed_by,
            "your_version": version,
            "changes": events.events_since(conn, "answer", rid, version or 0),
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
        ctx = _answer_context(conn, rid, f)
        assert ctx is not None
        ctx["error"] = exc.message if isinstance(exc, ConsultError) else "those numbers are not valid"
        return _render(request, "answer.html", ctx, status_code=400)
    target = rid
    if op == "save-next":
        target = answers.neighbour(conn, f, rid) or rid
    qs = _filters_qs(f)
    return RedirectResponse(f"/a/{target}?{qs + '&' if qs else ''}saved=1", status_code=303)


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

        def add(form, name: str) -> str:
            new = code_edits.add_code(conn, qid, _text(form, "label"), name, description=_text(form, "description"),
                                      parent=_text(form, "parent") or None)
            return f"Added code {new}."

        def edit(form, name: str) -> str:
            version = _text(form, "version")
            code_edits.edit_code(conn, qid, _text(form, "code"), name, label=_text(form, "label"),
                                 description=_text(form, "description"),
                                 expected_version=_version(version) if version else None)
            return f"Saved code {_text(form, 'code')}."

        def merge(form, name: str) -> str:
            sources = [str(s) for s in form.getlist("sources")]
            moved = code_edits.merge_codes(conn, qid, sources, _text(form, "into"), name)
            return f"Merged {', '.join(sources)} into {_text(form, 'into')}; {moved} coded answers moved."

        def split(form, name: str) -> str:
            new_ids = code_edits.split_code(conn, qid, _text(form, "code"), _text(form, "labels").splitlines(), name)
            return f"Split {_text(form, 'code')} into {', '.join(new_ids)}."

        def delete(form, name: str) -> str:
            code = _text(form, "code")
            moved = code_edits.delete_code(conn, qid, code, name, reassign_to=_text(form, "reassign_to") or None)
            return f"Deleted {code}; {moved} coded answers changed."

        outcome = await _apply(request, {"add": add, "edit": edit, "merge": merge, "split": split, "delete": delete},
                               "The code now reads as below; re-apply your change if it still makes sense.")
        if isinstance(outcome, Response):
            return outcome
    return _render_codebook(request, conn, q, error=outcome.error, message=outcome.message, status=outcome.status)


def _render_codebook(request: Request, conn: sqlite3.Connection, q: dict[str, Any], *,
                     error: str | None = None, message: str | None = None, status: int = 200) -> Response:
    all_codes = codes.codes(conn, q["id"], include_inactive=True)
    return _render(request, "codebook.html", {
        "q": q, "codes": [c for c in all_codes if c["status"] == "active"],
        "inactive": [c for c in all_codes if c["status"] != "active"],
        "counts": codes.code_counts(conn, q["id"]), "error": error, "message": message,
    }, status)


# --------------------------------------------------------------------------- split a code, answer by answer

SPLIT_PAGE_SIZE = answers.PAGE_SIZE


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _carried(form) -> tuple[dict[int, str], dict[int, int]]:
    """The per-answer choices (not 'keep') and answer versions a split form carries between its pages."""
    choices: dict[int, str] = {}
    versions: dict[int, int] = {}
    for key, value in form.multi_items():
        kind, _, rid_s = str(key).partition("-")
        rid = _int(rid_s)
        if rid is None:
            continue
        if kind == "choice" and str(value) != "keep":
            choices[rid] = str(value)
        elif kind == "version" and _int(value) is not None:
            versions[rid] = int(str(value))
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
        form = await request.form()
        choices, versions = _carried(form)
        fields = {"label": str(form.get("label") or ""), "description": str(form.get("description") or ""),
                  "version": _int(form.get("code_version"))}
        op = str(form.get("op") or "")
        if op == "next":
            after = _int(form.get("last"))
        elif op == "prev":
            before = _int(form.get("first"))
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
                    f"Split {code['label']}: new code {new_id}; {moved} answers moved to it, {both} have both."))
            first = _int(form.get("first"))
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
        "error": error, "labels": {c["id"]: c["label"] for c in codes.codes(conn, qid, include_inactive=True)},
        "chosen": {"move": sum(1 for c in choices.values() if c == "move"),
                   "both": sum(1 for c in choices.values() if c == "both")},
    }, status)


# --------------------------------------------------------------------------- duplicate groups and campaigns

GROUP_PAGE_SIZE = answers.PAGE_SIZE


def _ids(values) -> list[int]:
    return [i for i in (_int(v) for v in values) if i is not None]


async def campaigns_page(request: Request) -> Response:
    conn = _ws(request)
    qid = request.path_params["qid"]
    q = answers.question(conn, qid)
    if q is None:
        return _not_found(request, f"No question {qid}.")
    number = max(1, _int(request.query_params.get("page")) or 1)
    outcome = Outcome()
    if request.method == "POST":

        def confirm(form, name: str) -> str:
            gid = _text(form, "group")
            n = dedupe.confirm_group(conn, qid, gid, name, expected_version=_version(form.get("version")))
            return f"Confirmed group {gid}; {n} answers recorded as decided."

        def merge(form, name: str) -> str:
            source, into = _text(form, "source"), _text(form, "into")
            n = dedupe.merge_groups(conn, qid, source, into, name, expected_version=_version(form.get(f"version-{source}")))
            return f"Merged group {source} into {into}; {n} answers moved."

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
    v = _int(value)
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
            return f"Confirmed this group; {n} answers recorded as decided."

        def merge(form, name: str) -> str:
            into = _text(form, "into")
            n = dedupe.merge_groups(conn, qid, gid, into, name, expected_version=_version(form.get("version")))
            return f"Merged this group into {into}; {n} answers moved."

        def chosen(form) -> tuple[list[int], dict[int, int]]:
            ids = _ids(form.getlist("answer"))
            return ids, {rid: v for rid in ids if (v := _int(form.get(f"version-{rid}"))) is not None}

        def not_duplicate(form, name: str) -> str:
            ids, versions = chosen(form)
            return f"{dedupe.not_duplicate(conn, qid, ids, name, expected_versions=versions)} answers marked as not duplicates."

        def move(form, name: str, target: str | None = None) -> str:
            ids, versions = chosen(form)
            moved_to = dedupe.move_to_group(conn, qid, ids, target or _text(form, "target"), name, expected_versions=versions)
            return f"Put {len(ids)} answers in group {moved_to}."

        def add(form, name: str) -> str:
            rid = _int(form.get("response"))
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
    members = dedupe.group_members(conn, qid, gid, after=_int(request.query_params.get("after")),
                                    before=_int(request.query_params.get("before")), limit=GROUP_PAGE_SIZE)
    return _render(request, "group.html", {
        "q": q, "g": group, "members": members, "error": outcome.error, "message": outcome.message,
        "others": [o for o in dedupe.dedupe_groups(conn, qid) if o.id != gid],
        "history": events.events(conn, events.EventFilter(entity="dedupe-group", entity_id=gid), limit=20),
    }, outcome.status)


def _event_filter(params) -> events.EventFilter:
    return events.EventFilter(**{k: (params.get(k) or "").strip() or None
                                  for k in ("reviewer", "entity", "entity_id", "action", "since")})


async def audit_page(request: Request) -> Response:
    f = _event_filter(request.query_params)
    try:
        before = int(request.query_params["before"]) if request.query_params.get("before") else None
    except ValueError:
        before = None
    evs = events.events(_ws(request), f, limit=100, before=before)
    qs = urlencode({k: v for k, v in vars(f).items() if v})
    return _render(request, "audit.html", {"events": evs, "f": f, "qs": qs,
                                           "more": evs[-1]["id"] if len(evs) == 100 else None})


async def audit_csv(request: Request) -> Response:
    evs = events.events(_ws(request), _event_filter(request.query_params), limit=None)
    buf = io.StringIO()
    w = csv.writer(buf)
    cols = ["id", "at", "reviewer", "entity", "entity_id", "action", "before_json", "after_json"]
    w.writerow(cols)
    for e in reversed(evs):
        w.writerow([spreadsheet_safe(e[c]) for c in cols])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"'})


def create_app(outdir: str | Path, *, token: str | None = None) -> Starlette:
    """The review app for the workspace in ``outdir``."""
    app = Starlette(
        routes=[
            Route("/", overview),
            Route("/reviewer", reviewer_page, methods=["GET", "POST"]),
            Route("/q/{qid}", question_page),
            Route("/q/{qid}/answers", answers_page),
            Route("/q/{qid}/codebook", codebook_page, methods=["GET", "POST"]),
            Route("/q/{qid}/codebook/split/{code}", split_page, methods=["GET", "POST"]),
            Route("/q/{qid}/campaigns", campaigns_page, methods=["GET", "POST"]),
            Route("/q/{qid}/campaigns/{gid}", group_page, methods=["GET", "POST"]),
            Route("/a/{rid}", answer_page, methods=["GET", "POST"]),
            Route("/audit", audit_page),
            Route("/audit.csv", audit_csv),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(Guard)],
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
    app = create_app(outdir, token=token)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"Review app for {Path(outdir)} at {address} (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
