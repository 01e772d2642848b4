"""The published summary: figures, quotes (consent, redaction), escaping, exports and determinism."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from consult.errors import ConsultError
from consult.pipeline import analyse, stages
from consult.report import md_escape, render, render_html, summary_data, trim_quote, write_summary
from consult.workspace.db import DB_NAME, connect

# --- a workspace with every stage table filled (also used by test_accessibility) ------------

MACHINE_STAGES = tuple(name for name, _ in stages())
MINI = Path(__file__).parent / "fixtures" / "mini"

HOSTILE = "<script>alert('x')</script> <b>bold</b> {{ 7*7 }} {% raw %}raw{% endraw %} [link](http://evil.example) | pipe"
CAMPAIGN = "Every child in care must get an advocate automatically. Write to Jo Bloggs at jo.bloggs@example.com to support us."
PRIVATE_TEXT = "I do not want this published: my daughter refuses advocates."
EMAIL_QUOTE = "Children need advocates. Contact me at priya.sharma@example.org if you want to know more."
MARKED_QUOTE = "Opt-out works. The team at Little Snoring Hall made it work for us."


def response_id(conn: sqlite3.Connection, respondent: str, question: str) -> int:
    return conn.execute(
        "SELECT id FROM responses WHERE respondent_id = ? AND question_id = ?", (respondent, question)
    ).fetchone()[0]


def build_workspace(tmp: Path, *, fill: bool = True) -> Path:
    """Analyse the mini consultation into ``tmp`` and, with ``fill``, add rows for every later stage."""
    out = tmp / "ws"
    # Only loading: the stage tables are filled below, without loading the embedding model.
    analyse(MINI, out, progress=False, skip=MACHINE_STAGES)
    if not fill:
        return out
    conn = connect(out / DB_NAME)
    try:
        _fill(conn)
    finally:
        conn.close()
    return out


def _fill(conn: sqlite3.Connection) -> None:
    ex = conn.execute
    ex("BEGIN")
    for table in ("response_dedupe", "dedupe_groups", "campaigns", "theme_quotes", "response_themes", "themes",
                  "question_notes", "suggestions", "codes"):
        ex(f"DELETE FROM {table}")
    # More respondents: a campaign of three, a hostile-text one, a redaction one.
    extra = [
        ("R6", "individual", None, "Parent", 1, "Agree", CAMPAIGN + " My own son waited a year."),
        ("R7", "individual", None, "Parent", 0, "Agree", CAMPAIGN + " Please listen to Sam Jones."),
        ("R8", "individual", None, "Young person", 1, "Agree", CAMPAIGN),
        ("R9", "organisation", "Evil <i>Org</i> {{ 7*7 }}", "Advocacy provider", 1, "Agree", HOSTILE),
        ("R10", "individual", None, "Advocate", 1, "Agree", EMAIL_QUOTE),
        ("R11", "organisation", "Secret Trust", "Charity", 0, "Disagree", PRIVATE_TEXT),
        ("R12", "individual", None, "Advocate", 1, "Agree", MARKED_QUOTE),
    ]
    for rid, typ, org, grp, consent, option, text in extra:
        ex("INSERT INTO respondents (id, type, organisation, grp, consent) VALUES (?, ?, ?, ?, ?)",
           (rid, typ, org, grp, consent))
        ex("INSERT INTO responses (respondent_id, question_id, option, text) VALUES (?, 'q1', ?, ?)",
           (rid, option, text))
    ex("INSERT INTO responses (respondent_id, question_id, text) VALUES ('R9', 'q2', ?)", (HOSTILE,))
    rid = {r: response_id(conn, r, "q1") for r in ["R1", "R2", "R3", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12"]}

    # Codebook for q1 (q2 keeps only themes).
    codes = [
        ("opt-out-support", "Supports opt-out advocacy", 0, 0, "active", None),
        ("choice", "Children should be able to choose", 0, 1, "active", None),
        ("automatic", "Old code, merged", 0, 2, "merged", "opt-out-support"),
        ("dropped", "Deleted code", 0, 3, "deleted", None),
        ("other", "Other", 1, 98, "active", None),
        ("non-substantive", "No substantive answer", 1, 99, "active", None),
    ]
    for cid, label, builtin, pos, status, merged in codes:
        ex("INSERT INTO codes (question_id, id, label, builtin, position, status, merged_into) VALUES ('q1', ?, ?, ?, ?, ?, ?)",
           (cid, label, builtin, pos, status, merged))
    sugg = [
        (rid["R1"], "opt-out-support", 0.9),
        (rid["R2"], "choice", 0.95),
        (rid["R3"], "automatic", 0.8),  # counts as opt-out-support
        (rid["R5"], "dropped", 0.7),  # deleted: not counted
        (rid["R6"], "opt-out-support", 0.99),  # campaign canonical
        (rid["R9"], "opt-out-support", 0.5),
        (rid["R10"], "opt-out-support", 0.4),
        (rid["R11"], "choice", 0.99),
        (rid["R12"], "opt-out-support", 0.3),
        (rid["R12"], "other", 0.6),
    ]
    for r, code, conf in sugg:
        ex("INSERT INTO suggestions (response_id, code_id, confidence, model_version) VALUES (?, ?, ?, 'assign-1')",
           (r, code, conf))
    # A reviewer flagged R12 as a quote, marked "Little Snoring Hall", and flagged the hostile one.
    start = MARKED_QUOTE.index("Little Snoring Hall")
    ex("INSERT INTO review_state (response_id, decided, reviewed, quote, redactions_json, reviewer, at)"
       " VALUES (?, 0, 1, 1, ?, 'ana', '2024-01-01T00:00:00+00:00')",
       (rid["R12"], json.dumps([[start, start + len("Little Snoring Hall")]])))
    ex("INSERT INTO review_state (response_id, decided, reviewed, quote, reviewer, at)"
       " VALUES (?, 0, 1, 1, 'ana', '2024-01-01T00:00:00+00:00')", (rid["R9"],))
    ex("INSERT INTO review_state (response_id, decided, reviewed, quote, reviewer, at)"
       " VALUES (?, 0, 1, 1, 'ana', '2024-01-01T00:00:00+00:00')", (rid["R10"],))
    ex("INSERT INTO review_state (response_id, decided, reviewed, quote, reviewer, at)"
       " VALUES (?, 0, 1, 1, 'ana', '2024-01-01T00:00:00+00:00')", (rid["R11"],))  # no consent: never quoted
    ex("UPDATE review_state SET text_hash = (SELECT text_hash FROM responses WHERE id = review_state.response_id) WHERE text_hash IS NULL")  # made on the text the workspace holds

    # Deduplication: R6-R8 a campaign (R6 canonical), the rest unique; q2 "n/a" non-substantive.
    ex("INSERT INTO campaigns (id, question_id, template, size) VALUES ('c1', 'q1', ?, 3)", (CAMPAIGN,))
    ex("INSERT INTO dedupe_groups (id, question_id, canonical_response_id, canonical_text, size, campaign_id)"
       " VALUES ('g1', 'q1', ?, ?, 3, 'c1')", (rid["R6"], CAMPAIGN))
    additions = {"R6": "My own son waited a year.", "R7": "Please listen to Sam Jones.", "R8": None}
    for r, add in additions.items():
        ex("INSERT INTO response_dedupe (response_id, kind, group_id, campaign_id, similarity, personal_addition)"
           " VALUES (?, 'campaign', 'g1', 'c1', 0.97, ?)", (rid[r], add))
    for r in ["R1", "R2", "R3", "R5", "R9", "R10", "R11", "R12"]:
        ex("INSERT INTO response_dedupe (response_id, kind) VALUES (?, 'unique')", (rid[r],))
    ex("INSERT INTO response_dedupe (response_id, kind, reason) VALUES (?, 'non-substantive', 'says n/a')",
       (response_id(conn, "R4", "q2"),))

    # Candidate themes for q2.
    ex("INSERT INTO themes (question_id, theme_id, label, terms_json, size) VALUES ('q2', 0, 'advocates / training / funding', ?, 2)",
       (json.dumps(["advocates", "training", "funding"]),))
    ex("INSERT INTO themes (question_id, theme_id, label, terms_json, size) VALUES ('q2', 1, 'send / more', ?, 2)",
       (json.dumps(["send"]),))
    ex("INSERT INTO themes (question_id, theme_id, label, terms_json, size) VALUES ('q2', -1, 'unclustered', '[]', 1)")
    ex("INSERT INTO theme_quotes VALUES ('q2', 0, ?, 0)", (response_id(conn, "R5", "q2"),))  # consent unknown: not quoted
    ex("INSERT INTO theme_quotes VALUES ('q2', 0, ?, 1)", (response_id(conn, "R3", "q2"),))
    ex("INSERT INTO theme_quotes VALUES ('q2', 1, ?, 0)", (response_id(conn, "R1", "q2"),))
    ex("INSERT INTO theme_quotes VALUES ('q2', 1, ?, 1)", (response_id(conn, "R9", "q2"),))
    ex("INSERT INTO question_notes VALUES ('q2', 'themes', 'Few answers: themes are tentative.')")

    # Method annex material.
    ex("INSERT INTO embeddings (model, text_hash, dim, vector) VALUES ('all-MiniLM-L6-v2', 'abc', 2, ?)", (b"\0" * 8,))
    ex("UPDATE runs SET settings_json = ?", (json.dumps({"dedupe": {"jaccard_threshold": 0.6, "min_campaign_size": 3},
                                                         "themes": {"random_state": 42}}),))
    ex("INSERT INTO evaluations (at, gold_file, figures_json) VALUES ('2024-02-01T10:00:00+00:00', '/data/gold.csv', ?)",
       (json.dumps({"n_responses": 50, "micro_f1": 0.812, "macro_f1": 0.7, "mean_kappa": 0.65, "alpha_masi": None,
                    "exact_match": 0.5}),))
    ex("COMMIT")


ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "responses" / "advocacy-standards"
FORMATS = ("html", "md", "xlsx", "csv")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("report"))


@pytest.fixture
def ws(built: Path, tmp_path: Path) -> Path:
    """A private copy of the filled workspace."""
    dst = tmp_path / "ws"
    dst.mkdir()
    src = connect(built / DB_NAME)
    dst_conn = sqlite3.connect(dst / DB_NAME)
    src.backup(dst_conn)
    src.close()
    dst_conn.close()
    return dst


@pytest.fixture
def data(ws: Path) -> dict:
    conn = connect(ws / DB_NAME)
    try:
        return summary_data(conn)
    finally:
        conn.close()


def question(data: dict, qid: str) -> dict:
    return next(q for q in data["questions"] if q["id"] == qid)


def rows(table) -> dict:
    return {r[0]: r[1:] for r in table.rows}


def all_quotes(data: dict) -> list[str]:
    out = []
    for q in data["questions"]:
        for item in q.get("quotes_by_code") or []:
            out += item["quotes"]
        for item in (q.get("themes") or {}).get("items", []):
            out += item["quotes"]
        for camp in (q.get("campaigns") or {}).get("items", []):
            out += camp["quotes"]
    return out


def text_outputs(ws: Path) -> dict[str, str]:
    """Every rendered output as text (XLSX cells and CSV files joined)."""
    out = {}
    out["html"] = render(ws, "html").read_text(encoding="utf-8")
    out["md"] = render(ws, "md").read_text(encoding="utf-8")
    wb = load_workbook(render(ws, "xlsx"))
    out["xlsx"] = "\n".join(
        str(v) for sheet in wb.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v is not None
    )
    folder = render(ws, "csv")
    out["csv"] = "\n".join(p.read_text(encoding="utf-8-sig") for p in sorted(folder.glob("*.csv")))
    return out


# --- figures ---------------------------------------------------------------------------------


def test_overview_counts_everyone_and_names_only_consenting_organisations(data):
    o = data["overview"]
    assert o["respondents"] == 12
    assert rows(o["by_type"]) == {"Individuals": [9, 0.75], "Organisations": [3, 0.25]}
    assert rows(o["by_group"])["Parent"][0] == 3
    named = [r[0] for r in o["organisations_named"].rows]
    assert named == ["Evil <i>Org</i> {{ 7*7 }}", "Northshire Council"]  # Secret Trust did not consent
    assert o["organisations_unnamed"] == 1


def test_closed_answers_overall_and_by_group(data):
    q1 = question(data, "q1")["closed"]
    # "agree" in the input counts as "Agree".
    assert rows(q1["table"]) == {"Agree": [9, 0.75], "Disagree": [2, 2 / 12], "Not sure": [1, 1 / 12]}
    by_group = rows(q1["by_group"])
    assert by_group["Parent"] == [3, 2, 2 / 3, 1, 1 / 3, 0, 0.0]
    q3 = question(data, "q3")["closed"]
    assert (q3["answered"], q3["not_answered"]) == (4, 8)
    chart = q3["chart"]
    assert [i["label"] for i in chart["items"]] == ["Email: 2 (50%)", "Social media: 1 (25%)", "Other: 1 (25%)"]
    assert chart["desc"] == "Email: 2 (50%); Social media: 1 (25%); Other: 1 (25%)."


def test_codes_ranked_with_campaign_weight_merged_codes_and_hybrid_split(data):
    q1 = question(data, "q1")
    t = q1["codes"]["table"]
    assert t.columns[-2:] == ["Answered Agree", "Answered Disagree"]
    # opt-out: R1, R3 (merged code), R9, R10, R12 and the campaign's three members through its canonical answer.
    assert [r[:2] for r in t.rows] == [
        ["Supports opt-out advocacy", 8],
        ["Children should be able to choose", 2],
        ["Other", 1],
    ]
    by = rows(t)
    assert by["Supports opt-out advocacy"] == [8, 8 / 11, 8, 0]
    assert by["Children should be able to choose"] == [2, 2 / 11, 0, 2]
    assert "Deleted code" not in by and "No substantive answer" not in by
    assert q1["codes"]["uncoded"] == 1  # R5: its only code was deleted


def test_quotes_flagged_first_consenting_only_and_redacted(data):
    q1 = question(data, "q1")
    by_code = {i["label"]: i["quotes"] for i in q1["quotes_by_code"]}
    opt_out = by_code["Supports opt-out advocacy"]
    assert len(opt_out) == 3
    # The three reviewer-flagged answers come before the more confident unflagged R1.
    assert not any("Children don't know" in q for q in opt_out)
    assert any("priya.sharma" not in q and "[email]" in q for q in opt_out)
    marked = [q for q in opt_out if q.startswith("Opt-out works.")]
    assert marked and "Little Snoring" not in marked[0]
    # "choice" is held only by respondents without consent (R2) or who said no (R11).
    assert by_code["Children should be able to choose"] == []
    assert not any(PRIVATE_TEXT[:20] in q for q in all_quotes(data))


def test_every_quote_passes_through_the_redactor(ws):
    calls = []

    def spy(text, marked_spans=()):
        calls.append((text, list(marked_spans)))
        return "REDACTED " + text

    conn = connect(ws / DB_NAME)
    try:
        data = summary_data(conn, redactor=spy)
        withheld = summary_data(conn, redactor=None)
    finally:
        conn.close()
    quotes = all_quotes(data)
    assert quotes and all(q.startswith("REDACTED ") for q in quotes)
    start = MARKED_QUOTE.index("Little Snoring Hall")
    assert (MARKED_QUOTE, [(start, start + len("Little Snoring Hall"))]) in calls
    camps = question(data, "q1")["campaigns"]
    assert camps["items"][0]["template"].startswith("REDACTED ")
    name = camps["table"].rows[0][0]  # named by a phrase of the published (redacted) text
    assert name.startswith("Campaign 1: “") and name[len("Campaign 1: “"):-1] in camps["items"][0]["template"]
    theme_labels = [i["label"] for i in question(data, "q2")["themes"]["items"]]
    assert theme_labels == ["Theme 1: REDACTED advocates / training / funding", "Theme 2: REDACTED send / more"]
    # Without a redactor nothing written by respondents is published.
    assert all_quotes(withheld) == []
    assert question(withheld, "q1")["campaigns"]["items"][0]["template"] is None
    assert question(withheld, "q1")["campaigns"]["table"].rows[0][0] == "Campaign 1"
    assert "cannot remove personal data" in render_html(withheld)


def test_campaigns_reported_separately(data):
    camps = question(data, "q1")["campaigns"]
    assert len(camps["items"]) == 1 and camps["responses"] == 3
    c = camps["items"][0]
    assert (c["size"], c["additions"]) == (3, 2)
    assert camps["table"].rows == [["Campaign 1: “Every child in care must get an advocate”", 3, 2]]
    assert camps["table"].links == [c["anchor"]] and c["anchor"] == "q1-campaign-1"
    assert "jo.bloggs@example.com" not in c["template"] and "[email]" in c["template"]
    # R7's addition is not quoted: R7 did not consent.
    assert c["quotes"] == ["My own son waited a year."]


def test_non_substantive_counted_by_reason_and_themes_when_no_codes(data):
    q2 = question(data, "q2")
    assert q2["codes"] is None
    assert rows(q2["non_substantive"]["table"]) == {"says n/a": [1]}
    themes = q2["themes"]
    assert [r[0] for r in themes["table"].rows][-1] == "Not grouped into a theme"
    quotes = {i["label"]: i["quotes"] for i in themes["items"]}
    # R5 never answered the consent question, so "Training for advocates" is not quoted.
    assert quotes["Theme 1: advocates / training / funding"] == ["Funding for advocates"]
    # Notes from the stages are for the run log, never the publication.
    assert "notes" not in q2 and "tentative" not in render_html(data)


def test_coders_are_described_for_readers() -> None:
    from consult.report import describe_coder

    assert "fine-tuned" not in describe_coder("assign-5")
    assert describe_coder("assign-5+tune-1").endswith("the language model fine-tuned on the reviewed answers)")
    assert describe_coder("second-coder") == "second-coder"


def test_method_annex(data, ws):
    m = data["method"]
    assert m["embedding_models"] == ["all-MiniLM-L6-v2"]
    assert len(m["coding_models"]) == 1 and m["coding_models"][0].startswith("assign-1 (similarity to the codebook")
    assert len(m["input_hash"]) == 64
    rules = rows(m["dedupe_rules"])
    assert rules["jaccard_threshold"] == ["0.6", "set for this consultation"]
    if "num_perm" in rules:  # the deduplicator's own defaults, where it is installed
        assert rules["num_perm"][1] == "default"
    assert rows(m["settings"])["themes.random_state"] == ["42"]
    assert rows(m["dedupe"])["Campaign responses"] == [3]
    assert rows(m["review"])["Answers read and confirmed by a reviewer"] == [4]
    ev = m["evaluations"].rows[0]
    assert ev[:3] == ["2024-02-01T10:00:00+00:00", "gold.csv", "50"] and "0.812" in ev and None in ev
    html = render(ws, "html").read_text(encoding="utf-8")
    for text in ("all-MiniLM-L6-v2", m["input_hash"], "jaccard_threshold", "0.812", f"consult {m['version']}"):
        assert text in html


# --- empty workspace -------------------------------------------------------------------------


def test_empty_workspace_renders_every_format(tmp_path):
    ws = build_workspace(tmp_path, fill=False)
    html = render(ws, "html").read_text(encoding="utf-8")
    assert html.count("<h1>") == 1
    assert "Themes have not been found for this question yet" in html
    assert "have not been checked against a set coded by people" in html
    md = render(ws, "md").read_text(encoding="utf-8")
    assert md.startswith("# Draft: Summary of responses: A small test consultation\n")
    assert "Themes have not been found for this question yet" in md
    assert render(ws, "xlsx").stat().st_size > 0
    assert (render(ws, "csv") / "q1-answers.csv").is_file()


def test_analyse_writes_the_summary(tmp_path):
    ws = build_workspace(tmp_path, fill=False)
    assert (ws / "summary.html").is_file()
    conn = connect(ws / DB_NAME)
    try:
        out = write_summary(conn, tmp_path / "elsewhere" / "s.html")
    finally:
        conn.close()
    assert out.read_text(encoding="utf-8") == (ws / "summary.html").read_text(encoding="utf-8")


# --- untrusted text ------------------------------------------------------------------------


def test_hostile_text_is_shown_as_text_in_html(ws):
    html = render(ws, "html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "<b>bold" not in html and "<i>Org" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "{% raw %}raw{% endraw %}" in html
    assert "Evil &lt;i&gt;Org&lt;/i&gt; {{ 7*7 }}" in html


def test_hostile_text_is_shown_as_text_in_markdown(ws):
    markdown_it = pytest.importorskip("markdown_it")
    md = render(ws, "md").read_text(encoding="utf-8")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in html and "<b>" not in html and "<i>" not in html
    assert "<a " not in html  # no link made from response text
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, d):
            self.parts.append(d)

    parser = Text()
    parser.feed(html)
    text = "".join(parser.parts)
    assert "<script>alert('x')</script> <b>bold</b> {{ 7*7 }} {% raw %}raw{% endraw %}" in text
    assert "| pipe" in text
    assert "Evil <i>Org</i> {{ 7*7 }}" in text


@pytest.mark.parametrize(
    "raw",
    ["# heading", "- item", "1. first", "> quote", "*em* _em_ `code`", "[a](b)", "a | b", "<img src=x>", "$CTA", "%warn%"],
)
def test_md_escape_makes_plain_text(raw):
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").render(md_escape(raw))
    assert html.startswith("<p>") and html.count("<") == 2  # just one paragraph, no markup
    from html import unescape

    assert unescape(html[3:-5]) == raw


# --- exports ---------------------------------------------------------------------------------


def test_xlsx_has_a_sheet_per_table_and_formulas_stay_text(ws, data):
    path = render(ws, "xlsx")
    wb = load_workbook(path)
    assert len(wb.sheetnames) == len(data["tables"])
    sheet = wb["q1-codes"]
    assert sheet["A1"].value.startswith("Q1: what respondents said")
    assert [c.value for c in sheet[2]][:3] == ["Code", "Respondents", "Share of the 11 who answered"]
    assert [c.value for c in sheet[3]][:2] == ["Supports opt-out advocacy", 8]
    assert sheet["C3"].number_format == "0%"
    assert all(c.data_type != "f" for s in wb.worksheets for row in s.iter_rows() for c in row)


def test_csv_has_a_file_per_table(ws, data):
    folder = render(ws, "csv")
    assert folder == ws / "summary-csv"
    names = sorted(p.name for p in folder.glob("*.csv"))
    assert names == sorted(f"{t.id}.csv" for t in data["tables"])
    with open(folder / "q1-answers.csv", encoding="utf-8-sig", newline="") as f:
        got = list(csv.reader(f))
    assert got == [["Answer", "Respondents", "Share of those who answered (%)"],
                   ["Agree", "9", "75.0"], ["Disagree", "2", "16.7"], ["Not sure", "1", "8.3"]]
    # A stale table from an earlier render is removed; nothing half-written is left.
    (folder / "gone.csv").write_text("x", encoding="utf-8")
    render(ws, "csv")
    assert not (folder / "gone.csv").exists()
    assert not [p for p in ws.rglob("*.tmp")]


def test_csv_cells_cannot_become_formulas(ws):
    conn = connect(ws / DB_NAME)
    conn.execute("UPDATE respondents SET organisation = '=HYPERLINK(\"http://x\")' WHERE id = 'R3'")
    conn.close()
    text = (render(ws, "csv") / "organisations.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert not any(line.startswith("=") for line in text.splitlines())


def test_output_is_byte_identical(ws, tmp_path):
    for fmt in FORMATS:
        a = render(ws, fmt, tmp_path / f"a-{fmt}")
        b = render(ws, fmt, tmp_path / f"b-{fmt}")
        if fmt == "csv":
            assert [p.read_bytes() for p in sorted(a.iterdir())] == [p.read_bytes() for p in sorted(b.iterdir())]
        else:
            assert a.read_bytes() == b.read_bytes(), fmt


def test_render_defaults_and_errors(ws, tmp_path):
    assert render(ws) == ws / "summary.html"
    conn = connect(ws / DB_NAME)
    try:
        assert render(conn, "md") == ws / "summary.md"
    finally:
        conn.close()
    with pytest.raises(ConsultError, match="unknown format"):
        render(ws, "pdf")
    with pytest.raises(ConsultError, match="no workspace"):
        render(tmp_path / "nowhere")


def test_trim_quote():
    assert trim_quote("  short\n answer  ") == "short answer"
    long = "One two three. " + " ".join(["word"] * 100) + ". Last."
    assert trim_quote(long, 10) == "One two three. …"
    assert trim_quote(" ".join(["w"] * 100), 10) == " ".join(["w"] * 10) + "…"
    ok = " ".join(["w"] * 80)
    assert trim_quote(ok) == ok


# --- the sample consultation's planted personal data ------------------------------------


def test_planted_personal_data_never_published(tmp_path):
    planted_file = SAMPLE / "planted-personal-data.json"
    if not planted_file.is_file():
        pytest.skip("the sample consultation is not in this checkout")
    planted = json.loads(planted_file.read_text(encoding="utf-8"))
    values = sorted({str(p["text"]).strip() for p in planted if str(p.get("text", "")).strip()})
    assert values, "the planted personal data file lists nothing"
    ws = _sample_workspace(tmp_path)
    for fmt, text in text_outputs(ws).items():
        leaked = [v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text, re.IGNORECASE)]
        assert not leaked, f"{fmt}: {leaked[:5]}"


def _sample_workspace(tmp_path: Path) -> Path:
    """A copy of the sample's workspace if it has been analysed, else a fresh one (load and deduplicate)."""
    dst = tmp_path / "sample"
    existing = ROOT / "outputs" / "advocacy-standards" / DB_NAME
    if existing.is_file():
        dst.mkdir()
        src = connect(existing)
        out = sqlite3.connect(dst / DB_NAME)
        try:
            src.backup(out)
        finally:
            src.close()
            out.close()
        return dst
    analyse(SAMPLE, dst, progress=False, skip=tuple(n for n, _ in stages() if n != "dedupe"))
    return dst


def test_planted_personal_data_never_published_even_when_reviewers_pick_those_answers(tmp_path):
    """The hardest case: every answer holding planted personal data is coded and flagged as a quote."""
    planted_file = SAMPLE / "planted-personal-data.json"
    if not planted_file.is_file():
        pytest.skip("the sample consultation is not in this checkout")
    planted = json.loads(planted_file.read_text(encoding="utf-8"))
    ws = tmp_path / "sample"
    analyse(SAMPLE, ws, progress=False, skip=tuple(n for n, _ in stages() if n != "dedupe"))
    conn = connect(ws / DB_NAME)
    with conn:
        conn.execute("BEGIN")
        picked = 0
        for i, p in enumerate(planted):  # a code of its own for each, so every one is quoted
            row = conn.execute(
                "SELECT r.id FROM responses r JOIN respondents p ON p.id = r.respondent_id"
                " WHERE r.respondent_id = ? AND r.question_id = ? AND p.consent = 1",
                (p["respondent_id"], p["question"]),
            ).fetchone()
            if row is None:
                continue
            picked += 1
            conn.execute(
                "INSERT OR IGNORE INTO codes (question_id, id, label) VALUES (?, ?, ?)", (p["question"], f"p{i}", f"Point {i}")
            )
            conn.execute("INSERT OR IGNORE INTO suggestions VALUES (?, ?, 0.99, 'test')", (row[0], f"p{i}"))
            conn.execute("INSERT OR IGNORE INTO review_state (response_id, quote, text_hash)"
                         " VALUES (?, 1, (SELECT text_hash FROM responses WHERE id = ?))", (row[0], row[0]))
    conn.close()
    assert picked >= 10, "the sample should plant personal data in answers that may be published"
    values = sorted({str(p["text"]).strip() for p in planted if str(p.get("text", "")).strip()})
    outputs = text_outputs(ws)
    assert re.search(r"Point \d+ \(1 respondent\)", outputs["html"]) and "[name]" in outputs["html"]  # quoted
    for fmt, text in outputs.items():
        leaked = [v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text, re.IGNORECASE)]
        assert not leaked, f"{fmt}: {leaked[:5]}"
