"""The feature catalog as a Markdown page (`docs/features.md`), generated so it cannot drift.

Regenerate with `python -m features.catalog_doc > docs/features.md`; a test compares the two.
"""

from __future__ import annotations

from features.catalog import CATEGORIES, DIRECTIONS, FAMILIES, FEATURE_CATALOG

__all__ = ["catalog_markdown"]

_FAMILY_TITLES = {
    "attendance": "Attendance (assiduité)",
    "grades": "Grades (résultats scolaires)",
    "exams_and_path": "Exams and path (examens et parcours)",
    "context": "Context (contexte : niveau, voie, établissement)",
}
_SIGNAL_WORDS = {"own": "own signal", "context": "context"}


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
        "and checked against a plain pandas oracle (`tests/oracle/reference.py`). Sex, scholarship",
        "and parents' occupation group are never features: they are kept beside them for audits.",
        "",
    ]
    for family in FAMILIES:
        specs = [spec for spec in FEATURE_CATALOG if spec.family == family]
        lines += [
            f"## {_FAMILY_TITLES[family]}",
            "",
            "| feature | signal | unit | description (English) | description (français) |",
            "|---|---|---|---|---|",
        ]
        for spec in specs:
            unit = spec.unit or "category: " + ", ".join(CATEGORIES.get(spec.name, ()))
            lines.append(
                f"| `{spec.name}` | {_SIGNAL_WORDS[spec.signal]} | {_cell(unit)} | "
                f"**{_cell(spec.label_en)}**. "
                f"{_cell(spec.description_en)} | **{_cell(spec.label_fr)}**. "
                f"{_cell(spec.description_fr)} |"
            )
        lines.append("")
    return "\n".join(lines + _directions_section())


def _directions_section() -> list[str]:
    lines = [
        "## Directions and monotone constraints",
        "",
        "Only own signals are reasons to invite a student or protective factors; context",
        "(level, track, establishment) is shown apart with its weight. For the own signals below,",
        "the worse side is known: a reason never says that a value on the better side of its",
        "comparison raises the risk, nor a protective factor the reverse. Where the direction is",
        "agreed (constrained: yes), LightGBM is trained with a monotone constraint on it",
        "(`monotone_constraints`, +1 when worse is higher, -1 when worse is lower); the",
        "training configuration can turn them off (`lightgbm.monotone: false`) to compare.",
        "",
        "| feature | worse when | constrained | why |",
        "|---|---|---|---|",
    ]
    for spec in FEATURE_CATALOG:
        direction = DIRECTIONS.get(spec.name)
        if direction is not None:
            lines.append(
                f"| `{spec.name}` | {direction.worse} | "
                f"{'yes' if direction.constrained else 'no'} | {_cell(direction.why)} |"
            )
    lines.append("")
    return lines


if __name__ == "__main__":
    print(catalog_markdown(), end="")
