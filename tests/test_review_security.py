"""The review app against a hostile browser or client: DNS rebinding, foreign origins, bad numbers, big bodies."""

from __future__ import annotations

import asyncio
import re

import pytest
from starlette.testclient import TestClient

from consult.errors import ConsultError
from consult.review.app import create_app, serve
from consult.review.demo import build_demo_workspace
from consult.workspace import answers
from consult.workspace.db import connect

HUGE = "9" * 23  # beyond SQLite's 64-bit integers
JUST_OVER = str(2**63)  # the first integer SQLite cannot hold
PORT = 8765


@pytest.fixture()
def ws(tmp_path):
    build_demo_workspace(tmp_path, questions=2, answers_per_question=30, random_state=2)
    return tmp_path


def n_events(ws) -> int:
    return connect(ws / "consult.db").execute("SELECT COUNT(*) FROM events").fetchone()[0]


def client(app, host: str = "testserver", origin: str | None = "same", reviewer: str | None = "Ann") -> TestClient:
    """A client whose requests carry ``Host: host`` and (by default) the matching Origin, signed in as ``reviewer``."""
    headers = {"Origin": f"http://{host}"} if origin == "same" else ({"Origin": origin} if origin else {})
    c = TestClient(app, base_url=f"http://{host}", headers=headers, raise_server_exceptions=False,
                   follow_redirects=False)
    if reviewer:
        c.cookies.set("consult_reviewer", reviewer)
    return c


def served_app(monkeypatch, ws, **kw):
    """The app exactly as ``serve`` would run it (uvicorn is not started)."""
    import uvicorn

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(app=app, **options))
    serve(ws, **{"port": PORT, **kw})
    return seen["app"]


# --------------------------------------------------------------------------- item 9: DNS rebinding


def test_a_rebound_host_name_is_refused_before_any_handler(ws):
    evil = client(create_app(ws), host=f"evil.example:{PORT}")
    page = evil.get("/a/1")
    assert page.status_code == 400
    text = answers.answer_state(connect(ws / "consult.db"), 1).text
    assert text not in page.text
    assert evil.post("/a/1", data={"version": "0", "codes": ["other"], "back": ""}).status_code == 400
    assert n_events(ws) == 0 and answers.answer_state(connect(ws / "consult.db"), 1).version == 0
    who = evil.post("/reviewer", data={"name": "Mallory", "next": "/"})
    assert who.status_code == 400 and "set-cookie" not in who.headers
    assert evil.head("/a/1").status_code == 400


@pytest.mark.parametrize("host", [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}", f"LOCALHOST:{PORT}",
                                  f"[0:0:0:0:0:0:0:1]:{PORT}"])
def test_serve_answers_on_the_loopback_names_of_its_port(monkeypatch, ws, host):
    c = client(served_app(monkeypatch, ws), host=host)
    assert c.get("/a/1").status_code == 200
    assert c.post("/a/1", data={"version": "0", "codes": ["other"], "back": ""}).status_code == 303
    assert n_events(ws) == 1


@pytest.mark.parametrize("host", [
    "evil.example", f"evil.example:{PORT}", "testserver", f"localhost.:{PORT}", f"127.0.0.1.:{PORT}",
    f"localhost:{PORT + 1}", "localhost", "localhost:80", f"localhost:{PORT}:1", f"[::1:{PORT}", f"::1:{PORT}",
    f"user@localhost:{PORT}", f"localhost:+{PORT}", f"localhost:0{PORT}0", f"127.0.0.2:{PORT}",
    f"localhost%2e:{PORT}", f"xn--localhost:{PORT}", f"localhost :{PORT}", f"localhost:{PORT} ",
])
def test_serve_refuses_every_other_host_header(monkeypatch, ws, host):
    c = client(served_app(monkeypatch, ws), host="127.0.0.1:8765")
    r = c.get("/a/1", headers={"Host": host})
    assert r.status_code == 400, host
    r = c.post("/a/1", data={"version": "0", "codes": ["other"], "back": ""}, headers={"Host": host})
    assert r.status_code == 400 and n_events(ws) == 0


def test_a_request_without_a_single_host_is_refused(ws):
    app = create_app(ws)
    assert asgi(app, "GET", "/", headers=[])[0] == 400
    twice = [(b"host", b"testserver"), (b"host", b"evil.example")]
    assert asgi(app, "GET", "/", headers=twice)[0] == 400


def test_serve_also_answers_on_the_host_it_was_given(monkeypatch, ws):
    app = served_app(monkeypatch, ws, host="review.example.org", token="s3cret")
    c = client(app, host=f"review.example.org:{PORT}")
    assert c.get("/?token=s3cret").status_code == 303 and c.get("/").status_code == 200
    assert client(app, host=f"other.example.org:{PORT}").get("/?token=s3cret").status_code == 400


def test_serving_on_every_interface_admits_address_literals_but_no_names(monkeypatch, ws):
    """A wildcard bind is reached by the machine's addresses, which no DNS answer can rebind."""
    app = served_app(monkeypatch, ws, host="0.0.0.0", token="s3cret")
    for host in (f"192.168.1.4:{PORT}", f"[fe80::1]:{PORT}", f"127.0.0.1:{PORT}", f"localhost:{PORT}"):
        assert client(app, host=host).get("/?token=s3cret").status_code == 303, host
    for host in (f"evil.example:{PORT}", f"192.168.1.4:{PORT + 1}", "192.168.1.4"):
        assert client(app, host=host).get("/?token=s3cret").status_code == 400, host


def test_the_default_app_admits_loopback_names_on_any_port_and_the_test_client(ws):
    """``create_app(outdir)`` (not told its port) is for tests and in-process servers."""
    for host in ("testserver", "127.0.0.1:51234", "localhost:8000", "[::1]:9"):
        assert client(create_app(ws), host=host).get("/").status_code == 200, host
    assert client(create_app(ws, allowed_hosts=()), host="testserver").get("/").status_code == 400


@pytest.mark.parametrize("origin", [
    f"http://localhost:{PORT + 1}",  # another web app on this machine: same site, other origin
    f"https://127.0.0.1:{PORT}", f"http://evil.example:{PORT}", "null", f"http://127.0.0.1:{PORT}.evil.example",
    f"http://127.0.0.1:{PORT}@evil.example", f"http://user@127.0.0.1:{PORT}", "http://127.0.0.1", f"127.0.0.1:{PORT}",
    f"http://127.0.0.1:{PORT}/", f"http://[::1:{PORT}", f"http://127.0.0.1:{PORT}, http://evil.example",
])
def test_posts_need_an_origin_naming_an_allowed_host_and_port(monkeypatch, ws, origin):
    c = client(served_app(monkeypatch, ws), host=f"127.0.0.1:{PORT}", origin=origin)
    r = c.post("/a/1", data={"version": "0", "codes": ["other"], "back": ""})
    assert r.status_code == 403 and n_events(ws) == 0
    assert c.post("/reviewer", data={"name": "Mallory"}).status_code == 403


def test_origin_may_name_another_loopback_name_of_the_same_server(monkeypatch, ws):
    c = client(served_app(monkeypatch, ws), host=f"127.0.0.1:{PORT}", origin=f"http://localhost:{PORT}")
    assert c.post("/a/1", data={"version": "0", "codes": ["other"], "back": ""}).status_code == 303


def test_a_referer_counts_only_when_there_is_no_origin(monkeypatch, ws):
    app = served_app(monkeypatch, ws)
    c = client(app, host=f"127.0.0.1:{PORT}", origin=None)
    form = {"version": "0", "codes": ["other"], "back": ""}
    for referer in (f"http://evil.example:{PORT}/a/1", f"http://localhost:{PORT + 1}/a/1", "null", "/a/1"):
        assert c.post("/a/1", data=form, headers={"Referer": referer}).status_code == 403, referer
    assert c.post("/a/1", data=form).status_code == 403
    both = {"Origin": f"http://evil.example:{PORT}", "Referer": f"http://127.0.0.1:{PORT}/a/1"}
    assert c.post("/a/1", data=form, headers=both).status_code == 403
    assert n_events(ws) == 0
    assert c.post("/a/1", data=form, headers={"Referer": f"http://127.0.0.1:{PORT}/a/1"}).status_code == 303
    assert n_events(ws) == 1


def test_a_browser_saying_cross_site_is_refused(ws):
    c = client(create_app(ws))
    form = {"version": "0", "codes": ["other"], "back": ""}
    for site in ("cross-site", "same-site"):
        assert c.post("/a/1", data=form, headers={"Sec-Fetch-Site": site}).status_code == 403
    assert n_events(ws) == 0
    assert c.post("/a/1", data=form, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 303


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"])
def test_only_get_head_and_post_are_served(ws, method):
    c = client(create_app(ws))
    r = c.request(method, "/a/1", data={"version": "0", "codes": ["other"], "back": ""})
    assert r.status_code == 405 and "content-security-policy" in r.headers
    assert n_events(ws) == 0


def test_head_is_a_get_without_a_body(ws):
    c = client(create_app(ws))
    r = c.head("/a/1")
    assert r.status_code == 200 and r.content == b"" and "content-security-policy" in r.headers


# --------------------------------------------------------------------------- item 10: numbers from the request


@pytest.mark.parametrize("path", [f"/a/{HUGE}", f"/a/{JUST_OVER}", f"/a/-{HUGE}", "/a/+1", "/a/%D9%A1", "/a/1_0",
                                  "/a/%EF%BC%91", "/a/1%20", "/a/0x1", "/a/1e3"])
def test_answer_ids_are_plain_digits_in_range(ws, path):
    """Out of range, signed with '+', Arabic-Indic or full-width digits, underscores: no such answer."""
    c = client(create_app(ws))
    assert c.get(path).status_code == 404
    assert c.post(path, data={"version": "0", "codes": ["other"], "back": ""}).status_code == 404
    assert n_events(ws) == 0


@pytest.mark.parametrize("query", [
    f"/q/q1/answers?after={HUGE}", f"/q/q1/answers?before={HUGE}", f"/q/q1/answers?theme={HUGE}",
    f"/q/q1/answers?after={JUST_OVER}", "/q/q1/answers?after=%D9%A1", f"/a/1?theme={HUGE}", f"/audit?before={HUGE}",
    f"/q/q1/campaigns?page={HUGE}", f"/q/q1/campaigns/q1:c1?after={HUGE}", f"/q/q1/campaigns/q1:c1?before={HUGE}",
    "/q/q1/answers?after=%2B1",
])
def test_numbers_in_the_query_out_of_range_are_a_400(ws, query):
    r = client(create_app(ws)).get(query)
    assert r.status_code == 400 and "whole number" in r.text


def test_numbers_in_range_still_work(ws):
    c = client(create_app(ws))
    assert c.get(f"/q/q1/answers?after={2**63 - 1}").status_code == 200
    assert c.get(f"/q/q1/answers?before=-{2**63}").status_code == 200
    assert c.get("/q/q1/answers?after=&theme=").status_code == 200  # blank = not given
    assert c.get("/q/q1/answers?conf=nan").status_code == 200 and c.get("/q/q1/answers?conf=1e999").status_code == 200


def split_form(**extra) -> dict:
    return {"label": "New", "description": "", "code_version": "1", "op": "next", **extra}


@pytest.mark.parametrize("url,form", [
    ("/a/1", {"version": HUGE, "codes": ["other"], "back": ""}),
    ("/a/1", {"version": "+0", "codes": ["other"], "back": ""}),
    ("/a/1", {"version": "0", "codes": ["other"], "back": f"theme={HUGE}"}),
    ("/a/1", {"version": "0", "op": "redact", "start": "0", "end": HUGE, "back": ""}),
    ("/a/1", {"version": "0", "op": "redact", "start": "\u0661", "end": "5", "back": ""}),
    ("/a/1", {"version": "0", "op": "unredact", "span": f"0-{HUGE}", "back": ""}),
    ("/q/q1/codebook/split/funding", split_form(**{f"choice-{HUGE}": "move"})),
    ("/q/q1/codebook/split/funding", split_form(**{"choice-3": "move", "version-3": HUGE})),
    ("/q/q1/codebook/split/funding", split_form(last=HUGE)),
    ("/q/q1/codebook/split/funding", split_form(op="prev", first=HUGE)),
    ("/q/q1/codebook/split/funding", split_form(op="apply", code_version=HUGE, **{"choice-3": "move"})),
    ("/q/q1/campaigns/q1:c1", {"op": "add", "response": HUGE}),
    ("/q/q1/campaigns/q1:c1", {"op": "not-duplicate", "answer": HUGE}),
    ("/q/q1/campaigns/q1:c1", {"op": "not-duplicate", "answer": "1", "version-1": HUGE}),
    ("/q/q1/campaigns/q1:c1", {"op": "confirm", "version": HUGE}),
    ("/q/q1/campaigns", {"op": "confirm", "group": "q1:c1", "version": HUGE}),
    ("/q/q1/codebook", {"op": "edit", "code": "funding", "version": HUGE, "label": "Money"}),
])
def test_numbers_in_forms_out_of_range_are_a_400_and_change_nothing(ws, url, form):
    r = client(create_app(ws)).post(url, data=form)
    assert r.status_code == 400 and "whole number" in r.text, r.text[:300]
    assert n_events(ws) == 0


def test_a_typed_answer_number_may_have_spaces_round_it(ws):
    r = client(create_app(ws)).post("/q/q1/campaigns/q1:c1", data={"op": "add", "response": " 3 "})
    assert r.status_code == 200 and "Put answer 3 in this group" in r.text


def test_tokens_are_compared_as_bytes(ws):
    c = client(create_app(ws, token="s3cret"))
    assert c.get("/?token=%C3%A9").status_code == 403
    assert c.get("/?token=%FF").status_code == 403
    raw = [(b"host", b"testserver"), (b"cookie", b"consult_token=\xc3\xa9")]
    assert asgi(create_app(ws, token="s3cret"), "GET", "/", headers=raw)[0] == 403
    assert c.get("/?token=s3cret").status_code == 303 and c.get("/").status_code == 200


def test_the_token_redirect_stays_on_this_site(ws):
    status, headers, _, _ = asgi(create_app(ws, token="s3cret"), "GET", "//evil.example/x",
                                 query=b"token=s3cret", headers=[(b"host", b"testserver")])
    assert status == 303 and headers[b"location"].startswith(b"/") and not headers[b"location"].startswith(b"//")


# --------------------------------------------------------------------------- request sizes


def asgi(app, method: str, path: str, *, headers: list[tuple[bytes, bytes]], query: bytes = b"",
         chunks: list[bytes] = ()) -> tuple[int, dict[bytes, bytes], bytes, int]:
    """Run one request through the app's ASGI interface: status, headers, body and request bytes the app read."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": query, "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", PORT)}
    pending = list(chunks)
    read = 0
    out: dict = {"body": b""}

    async def receive():
        nonlocal read
        if pending:
            chunk = pending.pop(0)
            read += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"], out["headers"] = message["status"], dict(message.get("headers", []))
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return out["status"], out["headers"], out["body"], read


FORM = [(b"host", b"testserver"), (b"origin", b"http://testserver"),
        (b"content-type", b"application/x-www-form-urlencoded"), (b"cookie", b"consult_reviewer=Ann")]


def test_a_body_declared_too_big_is_refused_unread(ws):
    headers = FORM + [(b"content-length", b"60000000")]
    status, _, _, read = asgi(create_app(ws), "POST", "/a/1", headers=headers, chunks=[b"version=0&codes=other"])
    assert status == 413 and read == 0 and n_events(ws) == 0
    bad = FORM + [(b"content-length", b"12abc")]
    assert asgi(create_app(ws), "POST", "/a/1", headers=bad, chunks=[b"x=1"])[0] == 400


def test_a_streamed_body_is_counted_and_cut_off(ws):
    chunk = b"a=" + b"b" * (1024 * 1024 - 3) + b"&"
    chunks = [b"version=0&codes=other&back=&"] + [chunk] * 60  # 60 MB, no Content-Length
    status, _, _, read = asgi(create_app(ws), "POST", "/a/1", headers=FORM, chunks=chunks)
    assert status == 413 and n_events(ws) == 0
    assert read < sum(map(len, chunks)) // 2  # stopped reading long before the end


def test_a_lying_content_length_is_cut_off_too(ws):
    chunks = [b"a=" + b"b" * (1024 * 1024) + b"&"] * 20
    status, _, _, read = asgi(create_app(ws), "POST", "/a/1", headers=FORM + [(b"content-length", b"10")],
                              chunks=chunks)
    assert status in (400, 413) and read < sum(map(len, chunks)) and n_events(ws) == 0


def test_a_split_form_carrying_thousands_of_choices_is_accepted(ws):
    """The biggest legitimate form: a split page carrying choices (and versions) for 20,000 answers."""
    conn = connect(ws / "consult.db")
    coded = [r["id"] for r in answers.list_answers(conn, answers.AnswerFilter("q1", code="funding"), limit=100).rows]
    form = split_form(**{f"choice-{r}": "move" for r in range(10**6, 10**6 + 20000)})
    form.update({f"version-{r}": "12" for r in range(10**6, 10**6 + 20000)})
    form[f"choice-{coded[0]}"] = "both"
    r = client(create_app(ws)).post("/q/q1/codebook/split/funding", data=form)
    assert r.status_code == 200
    assert "Chosen so far: 20000 answers to move, 1 to have both codes." in r.text
    assert len(re.findall(r'type="hidden" name="choice-', r.text)) >= 20000


def test_file_uploads_are_refused(ws):
    c = client(create_app(ws))
    r = c.post("/a/1", data={"version": "0", "back": ""}, files={"codes": ("x.txt", b"other")})
    assert r.status_code == 400 and n_events(ws) == 0


def test_a_huge_query_string_is_refused(ws):
    c = client(create_app(ws))
    assert c.get("/q/q1/answers", params={"search": "x" * 20_000}).status_code == 414
    assert asgi(create_app(ws), "GET", "/q/q1/answers", query=b"search=" + b"x" * 1_000_000,
                headers=[(b"host", b"testserver")])[0] == 414
    assert asgi(create_app(ws), "GET", "/q/q1/" + "x" * 20_000, headers=[(b"host", b"testserver")])[0] == 414
    assert c.get("/q/q1/answers", params={"search": "x" * 2000}).status_code == 200


def test_serve_checks_its_token_and_port_and_trusts_no_proxy_headers(monkeypatch, ws):
    import uvicorn

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    with pytest.raises(ConsultError, match="--token may hold only"):
        serve(ws, host="0.0.0.0", port=PORT, token="a b;c")
    with pytest.raises(ConsultError, match="--token may hold only"):
        serve(ws, host="0.0.0.0", port=PORT, token="s3crét")
    with pytest.raises(ConsultError, match="--port"):
        serve(ws, port=0)
    assert seen == {}
    serve(ws, port=PORT)
    assert seen["proxy_headers"] is False and seen["host"] == "127.0.0.1" and seen["port"] == PORT


def test_over_a_real_socket_a_rebound_name_is_refused(ws):
    """What a browser does after DNS rebinding: connect to 127.0.0.1 but send the attacker's name."""
    import http.client
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ws, host="127.0.0.1", port=port, allowed_hosts=())
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http="h11"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        def get(host: str) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/a/1", headers={"Host": host})
            status = conn.getresponse().status
            conn.close()
            return status

        assert get(f"evil.example:{port}") == 400
        assert get(f"localhost:{port}") == 200 and get(f"127.0.0.1:{port}") == 200
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
