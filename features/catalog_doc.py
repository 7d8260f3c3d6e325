"""The feature catalog as a Markdown page (`docs/features.md`), generated so it cannot drift.

Regenerate with `python -m features.catalog_doc > docs/features.md`; a test compares the two.
"""

from __future__ import annotations

from features.catalog import CATEGORIES, FAMILIES, FEATURE_CATALOG

__all__ = ["catalog_markdown"]

_FAMILY_TITLES = {
    "attendance": "Attendance (assiduité)",
    "grades": "Grades (résultats scolaires)",
    "exams_and_path": "Exams and path (examens et parcours)",
    "context": "Context (contexte de l'établissement)",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def catalog_markdown() -> str:
    lines = [
        "# Feature catalog",
        "",
        "Generated from `features/catalog.py` by `python -m features.catalog_doc`; do not edit.",
        "",
        "Every feature is computed as of a date `t` from events dated strictly before `t`, by",
        "one builder (`features.builder`, DuckDB) shared by training, weekly scoring and the API,",
        "and checked against a plain pandas reference (`features.reference`). Sex, scholarship",
        "and parents' occupation group are never features: they are kept beside them for audits.",
        "",
    ]
    for family in FAMILIES:
        specs = [spec for spec in FEATURE_CATALOG if spec.family == family]
        lines += [
            f"## {_FAMILY_TITLES[family]}",
            "",
            "| feature | unit | description (English) | description (français) |",
            "|---|---|---|---|",
        ]
        for spec in specs:
            unit = spec.unit or "category: " + ", ".join(CATEGORIES.get(spec.name, ()))
            lines.append(
                f"| `{spec.name}` | {_cell(unit)} | **{_cell(spec.label_en)}**. "
                f"{_cell(spec.description_en)} | **{_cell(spec.label_fr)}**. "
                f"{_cell(spec.description_fr)} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(catalog_markdown(), end="")
