"""Settings are declared once (consult/settings.py), checked before a run writes, and documented."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path

import pytest

from consult.errors import ConsultError
from consult.settings import STAGES, Settings, markdown

ROOT = Path(__file__).resolve().parent.parent


def stage_classes() -> dict[str, type]:
    from consult.assign import CodeAssigner
    from consult.dedupe import Deduplicator
    from consult.embed import Embedder
    from consult.themes import ThemeFinder
    from consult.tune import FineTuner

    return {"dedupe": Deduplicator, "embed": Embedder, "themes": ThemeFinder, "assign": CodeAssigner,
            "tune": FineTuner}


@pytest.mark.parametrize("name", ["dedupe", "embed", "themes", "assign", "tune"])
def test_each_setting_is_a_parameter_of_its_stage_with_the_same_default(name: str) -> None:
    """Using a stage class directly behaves as the default settings do."""
    params = inspect.signature(stage_classes()[name]).parameters
    for f in fields(STAGES[name]):
        assert f.name in params, f"[{name}] {f.name} is not a parameter of the stage"
        default = params[f.name].default
        declared = getattr(STAGES[name](), f.name)
        assert (tuple(default) if isinstance(default, (list, tuple)) else default) == declared, f"[{name}] {f.name}"


def test_docs_list_every_setting_and_are_up_to_date() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert doc == markdown(), "regenerate docs/settings.md: python -m consult.settings > docs/settings.md"
    for name, kind in STAGES.items():
        assert f"## [{name}]" in doc
        for f in fields(kind):
            assert f"| `{f.name}` |" in doc and f.metadata["help"]
    assert "docs/settings.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_defaults_and_conversions() -> None:
    s = Settings.from_tables({"assign": {"alphas": [1, 2.5]}, "themes": {"n_themes": 7}, "dedupe": {"jaccard_threshold": 1}})
    assert s.assign.alphas == (1.0, 2.5) and isinstance(s.assign.alphas[0], float)
    assert s.themes.n_themes == 7 and s.dedupe.jaccard_threshold == 1.0
    assert s.tune == Settings().tune
    d = s.to_dict()
    assert d["assign"]["alphas"] == [1.0, 2.5] and set(d) == set(STAGES)


@pytest.mark.parametrize("tables, message", [
    ({"embedd": {}}, "unknown table 'embedd' (did you mean 'embed'?)"),
    ({"nothing-like-it": {}}, "unknown table 'nothing-like-it'; known: "),
    ({"themes": {"min_themse": 3}}, "[themes]: unknown setting 'min_themse' (did you mean 'min_themes'?)"),
    ({"dedupe": {"jaccard_threshold": 0}}, "[dedupe] jaccard_threshold must be above 0 and at most 1, not 0"),
    ({"dedupe": {"min_campaign_size": 1}}, "[dedupe] min_campaign_size must be at least 2"),
    ({"dedupe": {"num_perm": True}}, "[dedupe] num_perm must be a whole number"),
    ({"tune": {"enabled": "yes"}}, "[tune] enabled must be true or false"),
    ({"tune": {"weight": float("nan")}}, "[tune] weight must be a number"),
    ({"embed": {"precision": "fp16"}}, "[embed] precision must be one of auto, bf16, fp32"),
    ({"embed": {"model": 3}}, "[embed] model must be text"),
    ({"assign": {"alphas": []}}, "[assign] alphas must be a list of numbers"),
    ({"assign": {"top_k_grid": [1, 2.5]}}, "[assign] top_k_grid must be a whole number"),
    ({"assign": {"threshold": 1.5}}, "[assign] threshold must be at least 0 and at most 1"),
    ({"themes": {"min_themes": 9, "max_themes": 5}}, "[themes]: max_themes (5) is below min_themes (9)"),
    ({"themes": "x"}, "[themes] must be a table"),
])
def test_bad_settings_are_refused_with_a_clear_message(tables: dict, message: str) -> None:
    with pytest.raises(ConsultError) as err:
        Settings.from_tables(tables, file="consultation.toml")
    assert message in str(err.value) and str(err.value).startswith("consultation.toml: ")
