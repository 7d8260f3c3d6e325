"""The groups an inspector asks about, and each tested row's group in every grouping.

A grouping is one way of splitting students: sex, scholarship holder, parents' PCS, track,
priority zone, kind of establishment, and two intersections (sex x scholarship, track x PCS),
where disparities hidden in the margins show up. Group labels are the contract's codes (and
`holder` / `non_holder`), joined by ` x ` for intersections; `group_label` words them for a
report in French or English.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "GROUPINGS",
    "GROUPING_NAMES",
    "Grouping",
    "group_frame",
    "group_label",
    "grouping_label",
]

# The columns a row needs for every grouping: sensitive attributes and three context features.
ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "sex", "scholarship_level", "parent_pcs", "track", "priority_zone", "establishment_kind",
)  # fmt: skip
UNKNOWN = "unknown"
SEPARATOR = " x "


@dataclass(frozen=True)
class Grouping:
    """One way of splitting students, from one attribute or the crossing of two."""

    name: str
    parts: tuple[str, ...]
    label_fr: str
    label_en: str


GROUPINGS: tuple[Grouping, ...] = (
    Grouping("sex", ("sex",), "Sexe", "Sex"),
    Grouping("scholarship", ("scholarship",), "Boursier", "Scholarship holder"),
    Grouping("parent_pcs", ("parent_pcs",), "PCS des parents", "Parents' occupation group"),
    Grouping("track", ("track",), "Voie", "Track"),
    Grouping("priority_zone", ("priority_zone",), "Éducation prioritaire", "Priority zone"),
    Grouping("establishment_kind", ("establishment_kind",), "Type d'établissement",
             "Kind of establishment"),
    Grouping("sex_x_scholarship", ("sex", "scholarship"), "Sexe x boursier",
             "Sex x scholarship"),
    Grouping("track_x_pcs", ("track", "parent_pcs"), "Voie x PCS", "Track x PCS"),
)  # fmt: skip
GROUPING_NAMES: tuple[str, ...] = tuple(grouping.name for grouping in GROUPINGS)

_VALUES: dict[str, tuple[str, str]] = {
    "F": ("filles", "girls"),
    "M": ("garçons", "boys"),
    "holder": ("boursiers", "scholarship holders"),
    "non_holder": ("non boursiers", "non-holders"),
    "favored_a": ("très favorisée", "highly favoured"),
    "favored_b": ("favorisée", "favoured"),
    "middle": ("moyenne", "middle"),
    "disadvantaged": ("défavorisée", "disadvantaged"),
    "college": ("collège", "collège"),
    "all_kinds": ("tous types d'établissement", "all kinds of establishment"),
    "general": ("générale", "general"),
    "technological": ("technologique", "technological"),
    "vocational": ("professionnelle", "vocational"),
    "none": ("hors éducation prioritaire", "not in a priority zone"),
    "rep": ("REP", "REP"),
    "rep_plus": ("REP+", "REP+"),
    "lycee_gt": ("lycée général et technologique", "general and technological lycée"),
    "lycee_pro": ("lycée professionnel", "vocational lycée"),
    "lycee_polyvalent": ("lycée polyvalent", "multi-track lycée"),
    UNKNOWN: ("inconnu", "unknown"),
}


def _attribute(attributes: pd.DataFrame, part: str) -> pd.Series:
    if part == "scholarship":
        level = pd.to_numeric(attributes["scholarship_level"], errors="coerce")
        holder = level.fillna(0).to_numpy(dtype="float64") > 0
        values = pd.Series(np.where(holder, "holder", "non_holder"), index=attributes.index)
        return values.where(level.notna(), UNKNOWN).astype(str)
    column = attributes[part].astype("object")
    return column.where(column.notna(), UNKNOWN).astype(str)


def group_frame(attributes: pd.DataFrame) -> pd.DataFrame:
    """One string column per grouping (its group for each row), aligned on `attributes`,
    which must hold `ATTRIBUTE_COLUMNS`. Missing values become `unknown`."""
    missing = [column for column in ATTRIBUTE_COLUMNS if column not in attributes.columns]
    if missing:
        raise ValueError(f"the audited rows lack the group attributes {missing}")
    parts = {part: _attribute(attributes, part)
             for grouping in GROUPINGS for part in grouping.parts}  # fmt: skip
    columns = {}
    for grouping in GROUPINGS:
        values = parts[grouping.parts[0]]
        for part in grouping.parts[1:]:
            values = values + SEPARATOR + parts[part]
        columns[grouping.name] = values.astype(str)
    return pd.DataFrame(columns, index=attributes.index)


def grouping_label(name: str, language: str = "fr") -> str:
    for grouping in GROUPINGS:
        if grouping.name == name:
            return grouping.label_fr if language == "fr" else grouping.label_en
    return name


def group_label(group: str, language: str = "fr") -> str:
    """A group as a reader says it, e.g. `F x holder` -> `filles x boursiers`."""
    index = 0 if language == "fr" else 1
    return SEPARATOR.join(_VALUES.get(part, (part, part))[index] for part in group.split(SEPARATOR))
