"""Drafting a config from a data file: roles guessed from content, and the draft loads unedited."""

from __future__ import annotations

import csv
import shutil
import tomllib
from pathlib import Path

import openpyxl
import pytest

from consult.config import load_config
from consult.errors import ConsultError
from consult.infer import Draft, draft_config, infer, is_data_file, profile, write_draft
from consult.load import load

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"
FIXTURES = ["citizen-space.csv", "smartsurvey.csv", "microsoft-forms.xlsx", "qualtrics.csv", "regulations-gov.csv",
            "long.csv"]


def raw_rows(path: Path) -> list[list[str]]:
    """The file's rows as text, read without consult (so the tests check the loader against it)."""
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = path.read_text(encoding=enc)
            break
        except UnicodeDecodeError:
            continue
    return list(csv.reader(text.splitlines(keepends=True)))


def expected(path: Path, draft: Draft) -> tuple[int, int]:
    """(respondents, answers) counted from the raw file and the guessed questions."""
    rows = raw_rows(path)
    header, data = rows[0], [r for r in rows[draft.header_rows:] if any(c.strip() for c in r)]
    if draft.layout == "long":
        col = {h: i for i, h in enumerate(header)}
        rids = {r[col[draft.respondent_column]] for r in data}
        text_q = sum(1 for q in draft.questions if q.kind != "closed")
        closed_only = {q.closed_column for q in draft.questions if q.kind == "closed"}
        return len(rids), len(rids) * text_q + sum(1 for r in data if r[col[draft.question_column]] in closed_only)
    col = {h.strip(): i for i, h in enumerate(header)}
    answers = 0
    for r in data:
        for q in draft.questions:
            if q.kind != "closed" or r[col[q.closed_column]].strip():
                answers += 1
    return len(data), answers


@pytest.mark.parametrize("name", FIXTURES)
def test_every_layout_drafts_a_config_that_loads_unedited(name: str, tmp_path: Path) -> None:
    data = tmp_path / name
    shutil.copy(LAYOUTS / name, data)
    text = draft_config(data)
    (tmp_path / "consultation.toml").write_text(text, encoding="utf-8")
    c = load(tmp_path)  # the draft as written, no edits
    draft = infer(data)
    respondents, answers = expected(LAYOUTS / name, draft)
    assert len(c.respondents) == respondents
    assert [q.id for q in c.questions] == [q.id for q in draft.questions] and c.questions
    assert len(c.responses) == answers
    # the guesses are explained in the config itself
    assert "# Drafted by `consult init`" in text and text.count("[[questions]]\n# ") == len(c.questions)


@pytest.mark.parametrize("name", ["citizen-space.csv", "long.csv"])
def test_a_draft_kept_in_another_folder_points_at_the_data(name: str, tmp_path: Path) -> None:
    out = tmp_path / "outputs" / "x"
    cfg = write_draft(LAYOUTS / name, out / "consultation.toml")
    assert load_config(cfg).data_file == (LAYOUTS / name).resolve()
    assert load(cfg).respondents
    with pytest.raises(ConsultError, match="already exists"):
        write_draft(LAYOUTS / name, cfg)


def roles(d: Draft) -> dict:
    return {
        "id": d.id, "type": d.type, "organisation": d.organisation, "group": d.group, "consent": d.consent,
        "attributes": d.attributes,
        "questions": [(q.id, q.kind, q.closed_column, q.text_column) for q in d.questions],
    }


def test_citizen_space_roles() -> None:
    d = infer(LAYOUTS / "citizen-space.csv")
    assert d.platform == "Citizen Space" and d.layout == "wide"
    assert roles(d) == {
        "id": "Response ID",
        "type": "Are you responding as an individual or on behalf of an organisation?",
        "organisation": "What is the name of your organisation?",
        "group": "Which of the following best describes you?",
        "consent": "May we publish your response?",
        "attributes": ["Which region are you based in?"],
        "questions": [
            ("q1", "hybrid", "1. Do you agree that advocacy should be offered to every eligible child on an opt-out basis?",
             "1a. Please explain your answer"),
            ("q2", "hybrid", "2. Do you agree that advocates should be independent of the local authority?",
             "2a. Please explain your answer"),
            ("q3", "open", None, "3. What else should the revised standards include?"),
            ("q4", "closed", "4. How did you hear about this consultation?", None),
        ],
    }
    assert d.type_values == {"Individual": "individual", "Organisation": "organisation"}
    assert d.questions[0].options == ["Agree", "Neither agree nor disagree", "Disagree"]  # scale order
    # names and emails are personal data, the timestamp is not an answer
    assert set(d.left_out) == {"Submitted on", "What is your name?", "What is your email address?"}
    assert "personal data" in d.left_out["What is your name?"]


def test_smartsurvey_roles() -> None:
    d = infer(LAYOUTS / "smartsurvey.csv")  # Windows-1252, as Excel saves a CSV
    assert d.platform == "SmartSurvey"
    assert roles(d) == {
        "id": "Response ID",
        "type": "1. Are you responding on behalf of an organisation?",
        "organisation": "2. If yes, please give the name of your organisation",
        "group": None,
        "consent": "3. Can we publish your response?",
        "attributes": ["8. In which county do you live?"],
        "questions": [
            # numbered 4 and 5, but "Please tell us why" reads as the why of 4
            ("q4", "hybrid", "4. How far do you agree that the library should open on Sundays?", "5. Please tell us why"),
            ("q6", "closed", "6. Which of these services matter most to you?", None),
            ("q7", "open", None, "7. Any other comments?"),
        ],
    }
    assert d.type_values == {"Yes": "organisation", "No": "individual"}  # a yes/no answer to "on behalf of an organisation?"
    assert set(d.left_out) == {"Started", "Ended", "IP Address", "Unique ID"}


def test_microsoft_forms_roles() -> None:
    d = infer(LAYOUTS / "microsoft-forms.xlsx")
    assert d.platform == "Microsoft Forms"
    assert roles(d) == {
        "id": "ID",
        "type": "Are you responding as an individual or on behalf of an organisation?",
        "organisation": "Organisation name",
        "group": None,
        "consent": None,
        "attributes": [],
        "questions": [
            ("agree-proposed-new-opening-hours", "hybrid", "Do you agree with the proposed new opening hours?",
             "Why do you say that?"),
            ("make-library-service-better", "open", None, "What would make the library service better for you?"),
            ("often-visit-library", "closed", "How often do you visit a library?", None),
        ],
    }
    assert set(d.left_out) == {"Start time", "Completion time", "Email", "Name", "Last modified time"}
    text = draft_config(LAYOUTS / "microsoft-forms.xlsx")
    assert "# consent: not found: no column asks whether the response may be published" in text
    assert "\nconsent =" not in text


def test_qualtrics_roles_and_header_rows() -> None:
    d = infer(LAYOUTS / "qualtrics.csv")
    assert d.platform == "Qualtrics" and d.header_rows == 3
    assert roles(d) == {
        "id": "ResponseId",
        "type": "Q1",
        "organisation": "Q2",
        "group": None,
        "consent": "Q7",  # not Q3, which asks about publishing waiting times on an agree scale
        "attributes": [],
        "questions": [
            ("q3", "hybrid", "Q3", "Q4"),
            ("q5", "open", None, "Q5"),
            ("q6", "hybrid", "Q6", "Q6_4_TEXT"),  # "Other (please specify)" is the text of Q6
        ],
    }
    # question texts come from the second header row
    assert d.questions[1].text == "What should the standards say about advocacy for disabled children?"
    assert d.questions[2].text == "How did you hear about this consultation?"
    meta = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
            "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
    assert list(d.left_out) == meta


def test_regulations_gov_roles() -> None:
    d = infer(LAYOUTS / "regulations-gov.csv")
    assert d.platform == "regulations.gov"
    r = roles(d)
    assert r["id"] == "Document ID" and r["organisation"] == "Organization Name"
    assert r["type"] == r["group"] == "Category"
    assert d.type_values == {"Individual": "individual", "Trade Association": "organisation",
                             "Private Industry": "organisation", "Nonprofit": "organisation"}
    assert r["consent"] is None
    assert r["questions"] == [("comment", "open", None, "Comment")]  # 60 columns, one question
    assert set(r["attributes"]) == {"City", "State/Province"}
    for col, why in [("Tracking Number", "unique"), ("Title", "template"),
                     ("First Name", "personal"), ("Zip/Postal Code", "personal"), ("Attachment Files", "links"),
                     ("Posted Date", "dates"), ("Agency ID", "same value"), ("Page Count", "same value")]:
        assert why in d.left_out[col], col
    assert len(d.left_out) == 60 - 6  # all but id, type/group, organisation, comment and the two places


def test_long_layout_roles() -> None:
    d = infer(LAYOUTS / "long.csv")
    assert d.layout == "long"
    assert (d.respondent_column, d.question_column, d.answer_column) == ("respondent_id", "question", "answer")
    assert roles(d) == {
        "id": None,
        "type": "respondent_type",
        "organisation": "organisation",
        "group": None,
        "consent": "publish_consent",
        "attributes": [],
        "questions": [("q1", "hybrid", "q1_agree", "q1_why"), ("q2", "open", None, "q2_other"),
                      ("q3", "closed", "q3_heard", None)],
    }
    assert "row id" in d.left_out["response_id"]


@pytest.mark.parametrize("folder", ["mini", "advocacy"])
def test_wide_files_are_not_mistaken_for_long(folder: str) -> None:
    root = Path(__file__).resolve().parent.parent
    path = root / "tests" / "fixtures" / "mini" / "responses.csv" if folder == "mini" else \
        root / "responses" / "advocacy-standards" / "responses.csv"
    d = infer(path)
    assert d.layout == "wide" and d.id == "Respondent ID" and d.consent == "May we publish your response?"


def test_no_id_column_numbers_rows(tmp_path: Path) -> None:
    rows = [["Name of area", "What do you think?"]] + [
        ["North" if i % 2 else "South", f"Answer number {i} says something different about parks and buses"]
        for i in range(12)
    ]
    with open(tmp_path / "d.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    text = draft_config(tmp_path / "d.csv")
    assert 'id = "@row"  # no column holds a unique' in text
    (tmp_path / "consultation.toml").write_text(text)
    c = load(tmp_path)
    assert [r.id for r in c.respondents][:2] == ["row-2", "row-3"] and len(c.responses) == 12


def test_content_decides_free_text_over_header_words() -> None:
    # headed like a free-text "why" but holding three repeated options: closed
    closed = profile("Why?", ["Cost", "Time", "Other"] * 10)
    assert closed.look == "closed"
    # headed like a code but holding long, varied sentences: free text
    free = profile("Code", [f"Respondent {i} wrote a long and different sentence about {i * 7} local things" for i in range(30)])
    assert free.look == "free"
    # names and ids are neither
    assert profile("Ref", [f"AB-{i:04d}-X" for i in range(30)]).look == "id"
    assert profile("When", [f"2024-01-{i % 28 + 1:02d} 10:{i:02d}:00" for i in range(30)]).look == "date"
    assert profile("Site", [f"https://example.org/{i}" for i in range(30)]).look == "url"


def test_awkward_headers_and_values_are_escaped(tmp_path: Path) -> None:
    rows = [['Respondent "ID"', 'Q1 Do you agree? (yes\\no)', "Q1 Why?", "Q2 Comments"]]
    for i in range(20):
        rows.append([f"R{i}", ["Yes \\ sure", 'No "really"', "Not sure"][i % 3],
                     f"Because of reason {i}, which is long enough to count as free text", f"Comment {i} with 'quotes'"])
    with open(tmp_path / "d.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    text = draft_config(tmp_path / "d.csv")
    tomllib.loads(text)
    (tmp_path / "consultation.toml").write_text(text)
    c = load(tmp_path)
    assert c.questions[0].kind == "hybrid" and set(c.questions[0].options) == {"Yes \\ sure", 'No "really"', "Not sure"}


def test_unmapped_type_values_never_stop_loading(tmp_path: Path) -> None:
    rows = [["Response ID", "Are you responding as an individual or an organisation?", "Your view"]]
    values = ["Individual", "Organisation", "Prefer not to say"]
    for i in range(30):
        rows.append([f"X{i:03d}", values[i % 3], f"Free text answer {i} about the proposal and why it matters"])
    with open(tmp_path / "d.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    d = infer(tmp_path / "d.csv")
    assert d.type_values == {"Individual": "individual", "Organisation": "organisation", "Prefer not to say": "unknown"}
    (tmp_path / "consultation.toml").write_text(draft_config(tmp_path / "d.csv"))
    types = [r.type for r in load(tmp_path).respondents[:3]]
    assert types == ["individual", "organisation", None]


def test_is_data_file(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "consultation.toml").write_text("")
    assert is_data_file(tmp_path / "a.csv")
    assert not is_data_file(tmp_path / "consultation.toml")
    assert not is_data_file(tmp_path)
    assert not is_data_file(tmp_path / "missing.csv")


def test_repeated_why_headers_pair_with_their_questions(tmp_path: Path) -> None:
    rows = [["Response ID", "1. Do you agree?", "Please explain your answer", "2. Do you agree?",
             "Please explain your answer"]]
    for i in range(20):
        rows.append([f"A{i:03d}", ["Agree", "Disagree"][i % 2], f"Reason number {i} with enough words in it",
                     ["Agree", "Disagree"][i % 3 == 0], f"Second reason {i} with enough words in it too"])
    with open(tmp_path / "d.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    d = infer(tmp_path / "d.csv")
    assert [(q.id, q.kind, q.text_column) for q in d.questions] == [
        ("q1", "hybrid", "Please explain your answer"), ("q2", "hybrid", "Please explain your answer (2)")]
    (tmp_path / "consultation.toml").write_text(draft_config(tmp_path / "d.csv"))
    assert len(load(tmp_path).responses) == 40


def test_a_file_without_answers_drafts_a_config_that_says_so(tmp_path: Path) -> None:
    rows = [["Ref", "Score", "When"]] + [[f"K{i:03d}", f"{i * 3}%", f"2024-02-{i % 28 + 1:02d}"] for i in range(10)]
    with open(tmp_path / "d.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    text = draft_config(tmp_path / "d.csv")
    assert "No column looked like answers to a question" in text
    (tmp_path / "consultation.toml").write_text(text)
    with pytest.raises(ConsultError, match=r"no \[\[questions\]\] given"):
        load(tmp_path)
