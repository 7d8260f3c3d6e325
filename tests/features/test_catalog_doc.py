"""docs/features.md is the catalog as generated: it cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from features.catalog import (
    DIRECTIONS,
    FEATURE_CATALOG,
    context_features,
    feature_names,
    monotone_constraints,
)
from features.catalog_doc import catalog_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "features.md"


def test_feature_doc_is_generated_from_the_catalog() -> None:
    assert DOC.read_text(encoding="utf-8") == catalog_markdown(), (
        "docs/features.md is stale: run `python -m features.catalog_doc > docs/features.md`"
    )


def test_every_feature_is_documented_in_both_languages() -> None:
    text = catalog_markdown()
    for spec in FEATURE_CATALOG:
        assert f"`{spec.name}`" in text
        assert spec.description_fr and spec.description_en
        assert spec.label_fr and spec.label_en


def test_every_feature_is_an_own_signal_or_context_and_directions_are_documented() -> None:
    assert set(context_features()) == {
        "level", "track", "establishment_kind", "priority_zone",
        "establishment_unjustified_absence_rate_4w",
    }  # fmt: skip
    assert {spec.signal for spec in FEATURE_CATALOG} == {"own", "context"}
    names = feature_names()
    constraints = dict(zip(names, monotone_constraints(names), strict=True))
    assert constraints["unjustified_absences_4w"] == 1 and constraints["failed_exams"] == 1
    assert constraints["grade_mean_ytd"] == -1 and constraints["grade_mean_change_year"] == -1
    assert constraints["justified_absences_4w"] == 0  # a reading, not agreed: unconstrained
    assert all(constraints[name] == 0 for name in context_features())
    text = catalog_markdown()
    for name, direction in DIRECTIONS.items():
        constrained = "yes" if direction.constrained else "no"
        assert f"| `{name}` | {direction.worse} | {constrained} |" in text
