"""The consultation config: typos refused with a did-you-mean, paths resolved, wrong inputs named."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from consult.config import config_beside, find_config, load_config
from consult.errors import ConsultError
from consult.load import load


def _edit(mini: Path, old: str, new: str) -> None:
    p = mini / "consultation.toml"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    "old, new, pattern",
    [
        ('title = "A small', 'titel = "A small',
         r"consultation.toml: row 3: \[consultation\]: unknown key 'titel' \(did you mean 'title'\?\)"),
        ('text_column = "Q2 What else?"', 'text_colum = "Q2 What else?"',
         r"question 'q2': unknown key 'text_colum' \(did you mean 'text_column'\?\)"),
        ("[respondent]\n", "[respondnet]\n", r"unknown table \[respondnet\] \(did you mean \[respondent\]\?\)"),
        ("[data]\n", "[data]\ntitle = 'x'\n", r"\[data\]: unknown key 'title' \(it belongs in \[consultation\]\)"),
        ("[data]\n", "[data]\nheader_rows = 0\n", r"header_rows must be a whole number"),
        ('"On behalf of an organisation" = "organisation"', '"On behalf of an organisation" = "company"',
         "must map to individual, organisation or unknown"),
    ],
)
def test_unknown_keys_and_bad_values_are_refused(mini: Path, old: str, new: str, pattern: str) -> None:
    _edit(mini, old, new)
    with pytest.raises(ConsultError, match=pattern) as e:
        load_config(mini)
    assert "\n" not in str(e.value)


def test_unknown_table_and_stray_top_level_key(mini: Path) -> None:
    with open(mini / "consultation.toml", "a") as f:
        f.write("\n[themse]\nmin_themes = 3\n")
    with pytest.raises(ConsultError, match=r"unknown table \[themse\] \(did you mean \[themes\]\?\)"):
        load_config(mini)
    (mini / "consultation.toml").write_text("titel = 'x'\n" + (mini / "consultation.toml").read_text())
    with pytest.raises(ConsultError, match=r"unknown key 'titel' outside any table"):
        load_config(mini)


def test_stage_tables_pass_through_unchecked(mini: Path) -> None:
    with open(mini / "consultation.toml", "a") as f:
        f.write("\n[themes]\nmin_themse = 3\n[embed]\nbatch = 8\n")
    cfg = load_config(mini)
    assert cfg.settings == {"themes": {"min_themse": 3}, "embed": {"batch": 8}}


def test_yaml_config_typos_are_refused_too(mini: Path) -> None:
    import tomllib

    import yaml

    data = tomllib.loads((mini / "consultation.toml").read_text())
    data["respondent"]["consnet"] = data["respondent"].pop("consent")
    (mini / "consultation.toml").unlink()
    (mini / "consultation.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConsultError, match=r"consultation.yaml: row \d+: \[respondent\]: unknown key 'consnet' \(did you mean 'consent'\?\)"):
        load_config(mini)


def test_data_file_may_be_an_absolute_path(mini: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (mini / "consultation.toml").rename(elsewhere / "consultation.toml")
    _edit(elsewhere, 'file = "responses.csv"', f'file = "{(mini / "responses.csv").as_posix()}"')
    assert len(load(elsewhere).respondents) == 5


def test_a_data_file_given_as_the_config_says_what_to_do(mini: Path) -> None:
    # a Windows-1252 file used to give a 40-line UnicodeDecodeError traceback
    (mini / "responses.csv").write_bytes((mini / "responses.csv").read_bytes().replace(b"SEND", b"S\xe9ND"))
    with pytest.raises(ConsultError, match=r"responses.csv: is a data file, not a consultation config; .*consult init"):
        load_config(mini / "responses.csv")


def test_neither_config_nor_data(tmp_path: Path) -> None:
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(ConsultError, match="notes.pdf: is neither a consultation config .* nor a data file"):
        find_config(tmp_path / "notes.pdf")
    (tmp_path / "answers.xlsx").write_bytes(b"")
    with pytest.raises(ConsultError, match=r"no config file .*draft one with `consult init .*answers.xlsx`"):
        find_config(tmp_path)


def test_a_config_in_windows_1252_loads(mini: Path) -> None:
    p = mini / "consultation.toml"
    p.write_bytes(p.read_text().replace("A small test", "A café test").encode("cp1252"))
    assert load_config(mini).title == "A café test consultation"


def test_row_numbers_as_respondent_ids(mini: Path) -> None:
    _edit(mini, 'id = "Respondent ID"', 'id = "@row"')
    c = load(mini)
    assert [r.id for r in c.respondents] == ["row-2", "row-3", "row-4", "row-5", "row-6"]  # rows, not lines


def test_header_rows_skip_extra_header_lines(mini: Path) -> None:
    rows = list(csv.reader(open(mini / "responses.csv", newline="", encoding="utf-8")))
    rows.insert(1, ["Respondent ID"] + [f"The full text of column {i}" for i in range(1, len(rows[0]))])
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    _edit(mini, 'layout = "wide"', 'layout = "wide"\nheader_rows = 2')
    c = load(mini)
    assert [r.id for r in c.respondents] == ["R1", "R2", "R3", "R4", "R5"]
    assert c.respondents[0].source_row == 3


def test_type_and_consent_value_maps(mini: Path) -> None:
    rows = list(csv.reader(open(mini / "responses.csv", newline="", encoding="utf-8")))
    rows[1][1] = "Prefer not to say"
    rows[1][4] = "Publish anonymously"
    rows[2][4] = "Keep it private"
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    _edit(mini, '"On behalf of an organisation" = "organisation"',
          '"On behalf of an organisation" = "organisation"\n"Prefer not to say" = "unknown"\n\n'
          '[respondent.consent_values]\n"Publish anonymously" = "yes"\n"Keep it private" = false')
    c = load(mini)
    assert (c.respondents[0].type, c.respondents[0].consent) == (None, True)
    assert c.respondents[1].consent is False


def test_config_beside_a_data_file(mini: Path, tmp_path: Path) -> None:
    assert config_beside(mini / "responses.csv") == mini / "consultation.toml"
    (mini / "other.csv").write_text("a\n1\n")
    assert config_beside(mini / "other.csv") is None  # the config there reads another file
    (tmp_path / "lone.csv").write_text("a\n1\n")
    assert config_beside(tmp_path / "lone.csv") is None
