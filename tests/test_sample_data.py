"""The bundled illustrative sample consultation and its human codebooks.

Uses only csv, yaml and tomllib so that it does not depend on the project's loader.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "responses" / "advocacy-standards"
CODEBOOKS = ROOT / "codebook" / "advocacy-standards"
GENERATED = ("responses.csv", "gold-codes.csv", "planted-personal-data.json")
BUILT_IN = {"other", "non-substantive"}


@pytest.fixture(scope="module")
def config() -> dict:
    with open(SAMPLE / "consultation.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(SAMPLE / "responses.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def gold() -> list[dict[str, str]]:
    with open(SAMPLE / "gold-codes.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def planted() -> list[dict[str, str]]:
    return json.loads((SAMPLE / "planted-personal-data.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def codebooks() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(CODEBOOKS.glob("*.yaml"))}


def text_column(config: dict, qid: str) -> str:
    return next(q["text_column"] for q in config["questions"] if q["id"] == qid)


def answers(rows, config, qid):
    col = text_column(config, qid)
    return [r[col] for r in rows]


@pytest.mark.slow
def test_regenerating_gives_identical_bytes(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SAMPLE / "generate.py"), "--out", str(tmp_path),
                    "--codebooks", str(tmp_path / "codebooks")], check=True)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


@pytest.mark.slow
def test_another_seed_gives_other_answers(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SAMPLE / "generate.py"), "--out", str(tmp_path), "--seed", "7"],
                   check=True)
    assert (tmp_path / "responses.csv").read_bytes() != (SAMPLE / "responses.csv").read_bytes()


def test_respondents_and_ids(rows, config) -> None:
    ids = [r[config["respondent"]["id"]] for r in rows]
    assert len(ids) >= 1600
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"R\d{4}", i) for i in ids)


def test_config_columns_exist(rows, config) -> None:
    header = set(rows[0])
    resp = config["respondent"]
    for key in ("id", "type", "organisation", "group", "consent"):
        assert resp[key] in header
    assert set(resp["attributes"]) <= header
    assert {r[resp["type"]] for r in rows} == set(resp["type_values"])
    for q in config["questions"]:
        for key in ("closed_column", "text_column"):
            if key in q:
                assert q[key] in header, q[key]
        if "closed_column" in q:
            assert {r[q["closed_column"]] for r in rows} - {""} <= set(q["options"])
    kinds = Counter(q["kind"] for q in config["questions"])
    assert kinds["hybrid"] >= 6 and kinds["open"] == 2


def test_respondent_mix(rows, config) -> None:
    resp = config["respondent"]
    orgs = [r for r in rows if resp["type_values"][r[resp["type"]]] == "organisation"]
    assert 0.10 <= len(orgs) / len(rows) <= 0.14
    assert all(r[resp["organisation"]] for r in orgs)
    assert len({r[resp["organisation"]] for r in orgs}) == len(orgs)
    refused = sum(r[resp["consent"]] == "No" for r in rows) / len(rows)
    assert 0.15 <= refused <= 0.20


def test_campaigns(rows, config) -> None:
    every_child = [a for a in answers(rows, config, "q1") if "Every Child Heard" in a]
    lived = [a for a in answers(rows, config, "q4") if "Lived Experience Counts" in a]
    assert len(every_child) >= 150
    assert 20 <= len(lived) <= 40
    # Some copies are exact, some edited, some carry a personal paragraph.
    counts = Counter(every_child)
    assert counts.most_common(1)[0][1] >= 50
    assert len(counts) >= 40
    assert any(len(a) > len(counts.most_common(1)[0][0]) + 60 for a in every_child)


def test_long_answers(rows, config) -> None:
    all_answers = [a for q in config["questions"] if "text_column" in q for a in answers(rows, config, q["id"])]
    assert sum(len(a.split()) >= 3000 for a in all_answers) >= 3
    assert sum("\n" in a for a in all_answers) >= 100


def test_answers_are_varied(rows, config) -> None:
    substantive = [a for a in answers(rows, config, "q2") if len(a) > 40]
    assert len(set(substantive)) / len(substantive) > 0.8


def test_special_answers(rows, config) -> None:
    all_answers = [a for q in config["questions"] if "text_column" in q for a in answers(rows, config, q["id"])]
    assert any("Rwy'n cytuno" in a for a in all_answers)  # Welsh
    html = [a for a in all_answers if "<script>alert(1)</script>" in a]
    assert html and "<b>bold</b>" in html[0] and "{{ 7*7 }}" in html[0]
    lowered = [a.strip().lower() for a in all_answers if a.strip()]
    non_substantive = sum(a in {"n/a", "no comment", "as above", "nothing to add", "see my previous answer"}
                          for a in lowered)
    assert non_substantive / len(lowered) > 0.01


def test_codebooks(codebooks, config) -> None:
    coded = {q["id"] for q in config["questions"] if q["kind"] in ("open", "hybrid")}
    assert set(codebooks) == coded
    for qid, book in codebooks.items():
        assert book["question"] == qid
        ids = [c["id"] for c in book["codes"]]
        assert 6 <= len(ids) <= 12
        assert len(set(ids)) == len(ids) and not set(ids) & BUILT_IN
        for c in book["codes"]:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c["id"])
            assert c["label"] and c["description"]
            assert 2 <= len(c["examples"]) <= 4 and 1 <= len(c["counter_examples"]) <= 2


def test_gold_codes_belong_to_codebooks(gold, codebooks, rows, config) -> None:
    known = {qid: {c["id"] for c in book["codes"]} | BUILT_IN for qid, book in codebooks.items()}
    for g in gold:
        assert g["code"] in known[g["question"]], g
    # Exactly the non-blank free-text answers have gold codes.
    id_col = config["respondent"]["id"]
    answered = {(r[id_col], qid) for qid in codebooks for r in rows if r[text_column(config, qid)].strip()}
    assert {(g["respondent_id"], g["question"]) for g in gold} == answered
    used = Counter(g["code"] for g in gold)
    assert all(used[c] > 0 for ids in known.values() for c in ids)


def test_planted_personal_data_is_in_responses(planted, rows, config) -> None:
    id_col = config["respondent"]["id"]
    by_id = {r[id_col]: r for r in rows}
    kinds = Counter(p["kind"] for p in planted)
    assert {"child_name", "person_name", "email", "phone", "postcode", "address", "nhs_number",
            "ni_number", "date_of_birth"} <= set(kinds)
    assert kinds["phone"] >= 5
    assert len({(p["respondent_id"], p["question"]) for p in planted}) >= 35
    consent = config["respondent"]["consent"]
    assert {by_id[p["respondent_id"]][consent] for p in planted} == {"Yes", "No"}
    for p in planted:
        assert p["text"] in by_id[p["respondent_id"]][text_column(config, p["question"])], p


def test_responses_file_is_small_utf8() -> None:
    data = (SAMPLE / "responses.csv").read_bytes()
    assert len(data) < 8_000_000
    assert not data.startswith(b"\xef\xbb\xbf")
    data.decode("utf-8")


def test_same_point_rarely_same_sentence(rows, config) -> None:
    # Outside the campaigns, long sentences are almost never shared by several respondents.
    for q in config["questions"]:
        if "text_column" not in q:
            continue
        owners: dict[str, set[int]] = {}
        for i, a in enumerate(answers(rows, config, q["id"])):
            if "Every Child Heard" in a or "Lived Experience Counts" in a:
                continue
            for s in re.split(r"[.!?\n]+", a):
                key = " ".join(re.sub(r"[^\w\s]", " ", s.lower()).split())
                if len(key.split()) >= 15:
                    owners.setdefault(key, set()).add(i)
        shared = [k for k, v in owners.items() if len(v) >= 5]
        assert len(shared) <= 0.01 * len(owners) + 2, (q["id"], shared[:3])


def test_codebook_examples_are_not_copied_from_answers(codebooks, rows, config) -> None:
    def key(s: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", s.casefold().replace("'", "").replace("’", "")).split())

    seen = {key(p) for q in config["questions"] if "text_column" in q
            for a in answers(rows, config, q["id"]) for p in [a, *re.split(r"[.!?\n]+", a)]}
    for book in codebooks.values():
        for c in book["codes"]:
            for e in c["examples"] + c["counter_examples"]:
                assert key(e) not in seen, (book["question"], c["id"], e)
