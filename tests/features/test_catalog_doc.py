"""docs/features.md is the catalog as generated: it cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from features.catalog import FEATURE_CATALOG
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
