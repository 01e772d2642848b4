"""One source of truth for a codebook: edits in the review app reach codebook/<consultation>/<question>.yaml,
an edit is refused when the file changed underneath, and `consult analyse` keeps both sides' changes."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from consult.codebook import load_codebook
from consult.errors import ConsultError
from consult.review.app import create_app
from consult.review.demo import CODES, build_demo_workspace
from consult.workspace import code_edits, codes, events
from consult.workspace.db import connect, transaction


def yaml_text(labels: dict[str, str] | None = None) -> str:
    labels = labels or {}
    lines = ["# Hand-written codebook for the demo consultation.", "# Keep ids stable: gold codes use them.",
             "question: q1", 'title: "Demo codes"', "codes:"]
    for cid, label in CODES:
        note = "   # the headline point" if cid == "opt-out-support" else ""
        lines += [f"  - id: {cid}{note}", f'    label: "{labels.get(cid, label)}"',
                  f'    description: "The answer says: {label.lower()}."']
        if cid == "funding":
            lines += ["    # money came up in every meeting", "    examples:", '      - "Who pays for it?"']
    return "\n".join(lines) + "\n"


@pytest.fixture()
def ws(tmp_path):
    build_demo_workspace(tmp_path / "out", questions=1, answers_per_question=40, random_state=6)
    book = tmp_path / "codebook" / "demo" / "q1.yaml"
    book.parent.mkdir(parents=True)
    book.write_text(yaml_text(), encoding="utf-8")
    conn = connect(tmp_path / "out" / "consult.db")
    code_edits.reconcile_codebook(conn, "q1", book)  # as `consult analyse` does: links the file
    assert own(load_codebook(book)) == own(code_edits.workspace_codebook(conn, "q1"))
    assert book.read_text(encoding="utf-8") == yaml_text()  # nothing to write back yet
    return tmp_path / "out", book, conn


def client(outdir, name: str = "Asha") -> TestClient:
    c = TestClient(create_app(outdir), headers={"Origin": "http://testserver"})
    assert c.post("/reviewer", data={"name": name, "next": "/"}).status_code == 200
    return c


def own(book) -> list[dict]:
    return sorted((c.to_dict() for c in book.codes if not c.builtin), key=lambda c: c["id"])


def test_app_edits_are_written_back_keeping_comments(ws):
    outdir, path, conn = ws
    c = client(outdir)
    assert c.post("/q/q1/codebook", data={"op": "edit", "code": "funding", "label": "Money worries",
                                          "version": str(codes.code(conn, "q1", "funding")["version"]),
                                          "description": "The answer worries about money."}).status_code == 200
    assert c.post("/q/q1/codebook", data={"op": "add", "label": "Needs more time", "description": ""}).status_code == 200
    assert c.post("/q/q1/codebook", data={"op": "merge", "sources": ["choice"], "into": "independence"}).status_code == 200
    assert c.post("/q/q1/codebook", data={"op": "delete", "code": "training", "reassign_to": ""}).status_code == 200
    text = path.read_text(encoding="utf-8")
    assert own(load_codebook(path)) == own(code_edits.workspace_codebook(conn, "q1"))
    assert text.startswith("# Hand-written codebook for the demo consultation.\n# Keep ids stable")
    assert "  - id: opt-out-support   # the headline point" in text and "# money came up in every meeting" in text
    assert 'label: "Money worries"' in text and "Who pays for it?" in text
    assert "id: choice" not in text and "id: training" not in text and "id: needs-more-time" in text
    writes = events.described(conn, events.events(conn, events.EventFilter(entity="codebook")))
    assert len(writes) == 4 and all(e["reviewer"] == "Asha" for e in writes)
    assert writes[0]["sentence"] == f"Asha wrote the edit to {path} (question q1)"
    assert f"wrote the edit to {path}" in c.get("/audit").text


def test_an_edit_is_refused_when_the_file_changed_underneath(ws):
    outdir, path, conn = ws
    path.write_text(yaml_text({"funding": "Cost worries"}), encoding="utf-8")  # someone edits the file by hand
    before = path.read_bytes()
    n = len(events.events(conn, events.EventFilter()))
    r = client(outdir).post("/q/q1/codebook", data={"op": "edit", "code": "choice", "version": "1",
                                                    "label": "Free choice", "description": ""})
    assert r.status_code == 400
    error = " ".join(re.search(r'id="error">([^<]*)<', r.text).group(1).split())
    assert str(path) in error and "changed since the workspace last read it" in error and "consult analyse" in error
    assert codes.code(conn, "q1", "choice")["label"] == "Children should choose"
    assert path.read_bytes() == before and len(events.events(conn, events.EventFilter())) == n
    # `consult analyse` brings the file's change in; then edits are written back again
    notes = code_edits.reconcile_codebook(conn, "q1", path)
    assert codes.code(conn, "q1", "funding")["label"] == "Cost worries" and "'funding'" in notes[0]
    r = client(outdir).post("/q/q1/codebook", data={"op": "edit", "code": "choice", "version": "1",
                                                    "label": "Free choice", "description": ""})
    assert r.status_code == 200 and load_codebook(path)["choice"].label == "Free choice"
    assert load_codebook(path)["funding"].label == "Cost worries"


def test_analyse_keeps_changes_made_on_both_sides(ws):
    outdir, path, conn = ws
    with transaction(conn):  # an edit inside someone else's transaction is not written to the file
        code_edits.rename_code(conn, "q1", "choice", "Free choice", "Asha")
    path.write_text(yaml_text({"funding": "Cost worries"}), encoding="utf-8")
    notes = code_edits.reconcile_codebook(conn, "q1", path)
    assert any("'funding'" in n and "brought into the workspace" in n for n in notes)
    assert any("'choice'" in n and "written into q1.yaml" in n for n in notes)
    assert codes.code(conn, "q1", "funding")["label"] == "Cost worries"
    assert codes.code(conn, "q1", "choice")["label"] == "Free choice"
    assert own(load_codebook(path)) == own(code_edits.workspace_codebook(conn, "q1"))
    assert "# money came up in every meeting" in path.read_text(encoding="utf-8")
    assert code_edits.reconcile_codebook(conn, "q1", path) == []  # now they agree


def test_the_same_code_changed_on_both_sides_is_refused(ws):
    outdir, path, conn = ws
    with transaction(conn):
        code_edits.rename_code(conn, "q1", "funding", "Money worries", "Asha")
    path.write_text(yaml_text({"funding": "Cost worries"}), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ConsultError, match=r"code 'funding' changed both in this file and in the review app"):
        code_edits.reconcile_codebook(conn, "q1", path)
    assert codes.code(conn, "q1", "funding")["label"] == "Money worries" and path.read_bytes() == before
    # once the file says what the app says, the run goes on
    path.write_text(yaml_text({"funding": "Money worries"}), encoding="utf-8")
    assert code_edits.reconcile_codebook(conn, "q1", path) == []


def test_a_workspace_from_before_write_back_keeps_reviewers_edits(tmp_path):
    build_demo_workspace(tmp_path / "out", questions=1, answers_per_question=20, random_state=6)
    conn = connect(tmp_path / "out" / "consult.db")
    code_edits.rename_code(conn, "q1", "choice", "Free choice", "Asha")  # no file linked yet: workspace only
    path = tmp_path / "q1.yaml"
    path.write_text(yaml_text({"funding": "Cost worries"}), encoding="utf-8")
    notes = code_edits.reconcile_codebook(conn, "q1", path)
    assert len(notes) == 2
    assert load_codebook(path)["choice"].label == "Free choice"  # the reviewer's edit reached the file
    assert codes.code(conn, "q1", "funding")["label"] == "Cost worries"  # the file's edit reached the workspace


def test_a_failed_write_changes_nothing(ws, monkeypatch):
    outdir, path, conn = ws
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(code_edits, "write_codebook_file", disk_full)
    with pytest.raises(OSError):
        code_edits.rename_code(conn, "q1", "funding", "Money worries", "Asha")
    assert codes.code(conn, "q1", "funding")["label"] == "Worried about funding"
    assert events.events(conn, events.EventFilter(entity="code")) == [] and path.read_bytes() == before
