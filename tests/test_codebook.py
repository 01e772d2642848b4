"""Tests for consult.codebook: model, YAML validation, CSV and REFI-QDA import/export."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from consult.codebook import (
    QDC_NAMESPACE,
    Code,
    Codebook,
    dump_codebook,
    load_codebook,
    load_codebooks,
    parse_examples,
    read_codebook_csv,
    read_qdc,
    save_codebook,
    slugify,
    write_codebook_csv,
    write_qdc,
)
from consult.errors import ConsultError

FIXTURES = Path(__file__).parent / "fixtures" / "codebooks"
NHS_CODEBOOK = Path(__file__).resolve().parents[2] / "shared" / "data" / "nhs-patient-feedback" / "codebook.csv"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fields(book: Codebook) -> list[tuple]:
    return [(c.id, c.label, c.description, c.parent, c.colour) for c in book]


# --------------------------------------------------------------------------- model


def test_load_fixture_lookups_and_builtins():
    book = load_codebook(FIXTURES / "q1.yaml")
    assert book.question == "q1"
    assert book.title == "Opt-out advocacy"
    assert book.ids == ("opt-out", "opt-out-support", "opt-out-concern", "independence", "other", "non-substantive")
    assert book["opt-out-support"].colour == "#1d70b8"
    assert book["opt-out-support"].examples == ("Children don't know to ask, so it should be automatic.",)
    assert [c.id for c in book.children("opt-out")] == ["opt-out-support", "opt-out-concern"]
    assert [c.id for c in book.roots()] == ["opt-out", "independence", "other", "non-substantive"]
    assert [c.id for c in book.ancestors("opt-out-concern")] == ["opt-out"]
    assert "other" in book and book["other"].builtin and book["other"].label == "Other"
    assert book["non-substantive"].label == "No substantive answer"
    assert book.by_label("  supports OPT-OUT advocacy ").id == "opt-out-support"
    with pytest.raises(KeyError):
        book["nope"]


def test_builtins_not_duplicated_when_defined_and_never_written():
    book = Codebook("q2", (Code("other", "Something else", "custom"), Code("a", "A")))
    assert book.ids == ("other", "a", "non-substantive")
    assert not book["other"].builtin
    written = [c["id"] for c in book.to_dict()["codes"]]
    assert written == ["other", "a"]  # user-defined 'other' kept, built-in 'non-substantive' not written


def test_rename_keeps_id_and_children():
    book = load_codebook(FIXTURES / "q1.yaml")
    renamed = book.rename("opt-out", "Opt-out (renamed)")
    assert renamed["opt-out"].label == "Opt-out (renamed)"
    assert [c.id for c in renamed.children("opt-out")] == ["opt-out-support", "opt-out-concern"]
    assert book["opt-out"].label == "Opt-out advocacy"  # original untouched


def test_yaml_round_trip_is_lossless_and_deterministic(tmp_path):
    book = load_codebook(FIXTURES / "q1.yaml")
    out = tmp_path / "sub" / "q1.yaml"
    save_codebook(book, out)
    again = load_codebook(out)
    assert again == book
    assert again["independence"].examples[0] == "Line one\nline two of one example"
    save_codebook(again, tmp_path / "second.yaml")
    assert out.read_bytes() == (tmp_path / "second.yaml").read_bytes()
    assert "non-substantive" not in out.read_text(encoding="utf-8")
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_from_dict_to_dict_round_trip():
    data = {
        "question": "q3",
        "codes": [{"id": "a", "label": "A", "examples": ["x"]}, {"id": "b", "label": "B", "parent": "a"}],
    }
    book = Codebook.from_dict(data)
    assert book.to_dict() == data
    assert Codebook.from_dict(book.to_dict()) == book


def test_parent_may_be_builtin():
    book = Codebook.from_dict({"question": "q", "codes": [{"id": "a", "label": "A", "parent": "other"}]})
    assert [c.id for c in book.children("other")] == ["a"]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "codes_yaml, pattern",
    [
        ("  - {id: a, label: A}\n  - {id: a, label: B}\n", r"code 2 \(id 'a', line 4\): duplicate id, already used by code 1"),
        ("  - {id: a, label: A, parent: zz}\n", r"code 1 \(id 'a', line 3\): unknown parent 'zz'"),
        ("  - {id: a, label: A, parent: b}\n  - {id: b, label: B, parent: a}\n", r"parent cycle a -> b -> a"),
        ("  - {id: a, label: A, parent: a}\n", r"parent cycle a -> a"),
        ("  - {id: a, label: '  '}\n", r"code 1 \(id 'a', line 3\): empty label"),
        ("  - {id: a}\n", r"empty label"),
        ("  - {id: Bad_Id, label: A}\n", r"code 1 \(id 'Bad_Id', line 3\): invalid id"),
        ("  - {id: a--b, label: A}\n", r"invalid id"),
        ("  - {label: A}\n", r"code 1 \(line 3\): missing 'id'"),
        ("  - {id: a, label: A, parnet: b}\n", r"unknown key 'parnet'"),
        ("  - {id: a, label: A, colour: blue}\n", r"colour 'blue' is not of the form"),
        ("  - just a string\n", r"code 1 \(line 3\): a code must be a mapping"),
        ("  - {id: a, label: A, examples: {x: 1}}\n", r"'examples' must be a list of texts"),
    ],
)
def test_validation_errors_name_file_and_code(tmp_path, codes_yaml, pattern):
    path = write(tmp_path, "q1.yaml", "question: q1\ncodes:\n" + codes_yaml)
    with pytest.raises(ConsultError) as info:
        load_codebook(path)
    assert info.value.file == str(path)
    assert re.search(pattern, str(info.value)), str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_top_level_key_is_an_error(tmp_path):
    path = write(tmp_path, "q1.yaml", "question: q1\ncode:\n  - {id: a, label: A}\n")
    with pytest.raises(ConsultError, match="unknown key 'code' in codebook"):
        load_codebook(path)


def test_malformed_yaml_is_one_line_with_line_number(tmp_path):
    path = write(tmp_path, "q1.yaml", "question: q1\ncodes:\n  - id: a\n    label: [unclosed\n  - id: b\n")
    with pytest.raises(ConsultError) as info:
        load_codebook(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": invalid YAML at line ")
    assert "\n" not in message
    line = int(re.search(r"line (\d+)", message).group(1))
    assert 4 <= line <= 6


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(ConsultError, match="not found"):
        load_codebook(tmp_path / "nope.yaml")
    book = load_codebook(write(tmp_path, "q7.yaml", ""))
    assert book.question == "q7" and book.ids == ("other", "non-substantive")


def test_constructor_validates_too():
    with pytest.raises(ConsultError, match="duplicate id"):
        Codebook("q", (Code("a", "A"), Code("a", "B")))


def test_load_codebooks_folder(tmp_path):
    (tmp_path / "q1.yaml").write_bytes((FIXTURES / "q1.yaml").read_bytes())
    write(tmp_path, "q2.yml", "question: q2\ncodes:\n  - {id: a, label: A}\n")
    write(tmp_path, "notes.txt", "not a codebook")
    books = load_codebooks(tmp_path)
    assert list(books) == ["q1", "q2"]
    assert books["q2"]["a"].label == "A"
    write(tmp_path, "q3.yaml", "question: q9\n")
    with pytest.raises(ConsultError, match="does not match the file name"):
        load_codebooks(tmp_path)
    with pytest.raises(ConsultError, match="folder not found"):
        load_codebooks(tmp_path / "missing")


# --------------------------------------------------------------------------- CSV


def test_slugify():
    assert slugify("Positive experience & gratitude") == "positive-experience-gratitude"
    assert slugify("  Café / Crèche  ") == "cafe-creche"
    assert re.fullmatch(r"code-[0-9a-f]{8}", slugify("日本語"))
    assert slugify("日本語") == slugify("日本語")


def test_parse_examples_variants():
    assert parse_examples("") == ()
    assert parse_examples("‘All good’, ‘Perfect.’, 'Thank you'") == ("All good", "Perfect.", "Thank you")
    assert parse_examples("Positive: 'I felt safe.', 'Ok' Negative/ wishlist: 'Not safe'") == (
        "I felt safe.",
        "Ok",
        "Not safe",
    )
    assert parse_examples("'Didn't feel unsafe', 'fine'") == ("Didn't feel unsafe", "fine")
    assert parse_examples('["a, b", "c"]') == ("a, b", "c")
    assert parse_examples("just one plain example") == ("just one plain example",)


def test_read_csv_groups_become_parents():
    book = read_codebook_csv(FIXTURES / "nhs-like.csv", "fft")
    assert book.ids == (
        "general",
        "positive-experience-gratitude",
        "feeling-safe",
        "service-location-travel-transport",
        "parking",
        "not-assigned",
        "other",
        "non-substantive",
    )
    assert book["general"].label == "General"
    assert book["parking"].parent == "service-location-travel-transport"
    assert book["service-location-travel-transport"].label == "Service location, travel & transport"
    assert book["feeling-safe"].examples == ("I felt safe.", "Kept in touch, felt safe.", "Did not feel safe")
    assert book["parking"].examples == ()


def test_read_csv_lenient_bom_whitespace_missing_columns():
    book = read_codebook_csv(FIXTURES / "bom-minimal.csv", "q")
    assert book.ids[:2] == ("waiting-times", "staff-attitude")
    assert book["waiting-times"].label == "Waiting times"
    assert book["waiting-times"].description == "How long people wait."
    assert book["waiting-times"].parent is None


def test_read_csv_slug_clashes_are_deterministic(tmp_path):
    path = write(tmp_path, "c.csv", "code,group\nStaff,Staff\nStaff!,\n")
    book = read_codebook_csv(path, "q")
    assert book.ids[:3] == ("staff", "staff-2", "staff-3")
    assert book["staff-2"].parent == "staff"


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("name,group\nA,B\n", r"c\.csv: row 1: no 'code' column"),
        ("code,group\nA,G\n  ,G\n", r"c\.csv: row 3, column 'code': empty code name"),
        ("id,code\nBad Id,A\n", r"row 2, column 'id': invalid id"),
        ("id,code\na,A\na,B\n", r"row 3, column 'id': duplicate id 'a'"),
        ("", r"the CSV is empty"),
    ],
)
def test_read_csv_errors(tmp_path, text, pattern):
    with pytest.raises(ConsultError, match=pattern):
        read_codebook_csv(write(tmp_path, "c.csv", text), "q")


def test_csv_round_trip(tmp_path):
    book = read_codebook_csv(FIXTURES / "nhs-like.csv", "fft")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_codebook_csv(book, first)
    again = read_codebook_csv(first, "fft")
    assert again == book
    write_codebook_csv(again, second)
    assert first.read_bytes() == second.read_bytes()
    with first.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["code", "group", "description", "examples"]
    assert [r[0] for r in rows[1:]] == ["Positive experience & gratitude", "Feeling safe", "Parking", "Not assigned"]


def test_csv_with_ids_keeps_renamed_ids(tmp_path):
    book = load_codebook(FIXTURES / "q1.yaml").rename("opt-out-support", "Totally new wording")
    path = tmp_path / "ids.csv"
    write_codebook_csv(book, path, include_ids=True)
    again = read_codebook_csv(path, "q1")
    assert again["opt-out-support"].label == "Totally new wording"
    assert again["opt-out-support"].parent is not None
    assert again["opt-out-support"].examples == book["opt-out-support"].examples


@pytest.mark.skipif(not NHS_CODEBOOK.exists(), reason="../shared data not present")
def test_real_nhs_codebook_csv(tmp_path):
    book = read_codebook_csv(NHS_CODEBOOK, "fft")
    leaves = [c for c in book.leaves() if not c.builtin]
    assert len(leaves) == 33
    assert len([c for c in book.roots() if not c.builtin]) == 10
    assert all(c.parent for c in leaves)
    assert book.by_label("Positive experience & gratitude").examples[:2] == ("All good", "Perfect.")
    out = tmp_path / "nhs.csv"
    write_codebook_csv(book, out)
    assert read_codebook_csv(out, "fft") == book
    write_qdc(book, tmp_path / "nhs.qdc")
    assert read_qdc(tmp_path / "nhs.qdc", "fft") == book


# --------------------------------------------------------------------------- REFI-QDA

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def test_write_qdc_structure(tmp_path):
    book = load_codebook(FIXTURES / "q1.yaml")
    path = tmp_path / "q1.qdc"
    write_qdc(book, path)
    raw = path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
    root = ET.fromstring(raw)
    ns = "{" + QDC_NAMESPACE + "}"
    assert root.tag == ns + "CodeBook" and root.get("origin") == "consult"
    assert [child.tag for child in root] == [ns + "Codes"]
    codes = list(root.iter(ns + "Code"))
    assert [c.get("name") for c in codes] == [
        "Opt-out advocacy",
        "Supports opt-out advocacy",
        "Concerns about opt-out",
        "Independence of advocates",
    ]
    for code in codes:
        assert GUID.match(code.get("guid"))
        assert code.get("isCodable") in ("true", "false")
        assert set(code.attrib) <= {"guid", "name", "isCodable", "color"}
        tags = [child.tag for child in code]
        # Description first (at most one), then nested codes only.
        assert tags[:1] == [ns + "Description"] and set(tags[1:]) <= {ns + "Code"}
    assert len({c.get("guid") for c in codes}) == len(codes)
    top = root.find(ns + "Codes")
    assert [c.get("name") for c in top.findall(ns + "Code")] == ["Opt-out advocacy", "Independence of advocates"]
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", codes[1].get("color"))


def test_qdc_is_deterministic_and_guids_depend_on_question_and_id(tmp_path):
    book = load_codebook(FIXTURES / "q1.yaml")
    write_qdc(book, tmp_path / "a.qdc")
    write_qdc(book.rename("opt-out", "Renamed"), tmp_path / "b.qdc")
    write_qdc(book, tmp_path / "c.qdc")
    assert (tmp_path / "a.qdc").read_bytes() == (tmp_path / "c.qdc").read_bytes()
    guids = lambda p: re.findall(r'guid="([^"]+)"', p.read_text(encoding="utf-8"))  # noqa: E731
    assert guids(tmp_path / "a.qdc") == guids(tmp_path / "b.qdc")
    other_question = Codebook("q2", book.codes)
    write_qdc(other_question, tmp_path / "d.qdc")
    assert not set(guids(tmp_path / "a.qdc")) & set(guids(tmp_path / "d.qdc"))


def test_yaml_qdc_round_trip_lossless(tmp_path):
    book = load_codebook(FIXTURES / "q1.yaml")
    path = tmp_path / "q1.qdc"
    write_qdc(book, path)
    again = read_qdc(path, "q1")
    assert fields(again) == fields(book)
    assert again.codes == book.codes  # examples and counter-examples too
    assert again["independence"].examples == ("Line one\nline two of one example", "- starts with a dash")


def test_read_qdc_from_other_tool_is_lenient():
    book = read_qdc(FIXTURES / "other-tool.qdc", "q")
    assert book.ids == ("access", "staff", "staff-attitude", "waiting-times", "parking", "other", "non-substantive")
    assert book["staff"].colour == "#aabbcc"
    assert book["staff"].description == "Comments about staff."
    assert book["staff-attitude"].parent == "staff"
    assert book["waiting-times"].colour is None  # invalid colour dropped, not fatal
    assert book["parking"].parent == "access"  # set membership (guid matched case-insensitively)
    plain = read_qdc(FIXTURES / "other-tool.qdc", "q", sets_as_groups=False)
    assert "access" not in plain and plain["parking"].parent is None


def test_read_qdc_errors(tmp_path):
    bad = write(tmp_path, "bad.qdc", "<CodeBook><Codes><Code name='a'></Codes></CodeBook>")
    with pytest.raises(ConsultError, match=r"bad\.qdc: invalid XML at line 1, column \d+"):
        read_qdc(bad, "q")
    wrong = write(tmp_path, "wrong.qdc", "<Project/>")
    with pytest.raises(ConsultError, match="not a REFI-QDA codebook"):
        read_qdc(wrong, "q")
    noname = write(tmp_path, "noname.qdc", "<CodeBook><Codes><Code guid='x' isCodable='true'/></Codes></CodeBook>")
    with pytest.raises(ConsultError, match="code 1: <Code> without a name"):
        read_qdc(noname, "q")


def test_dump_is_plain_yaml():
    text = dump_codebook(load_codebook(FIXTURES / "q1.yaml"))
    assert text.startswith("question: q1\ntitle: Opt-out advocacy\ncodes:\n- id: opt-out\n")
