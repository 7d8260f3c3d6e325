"""The interview outcome report (`serving.services.interview_outcomes`) as the tables people
read, in French or English: one for the dashboard's page and `vigie interview-outcomes`.
Pure: a published report in, display frames out (masked counts as « < 5 »)."""

from __future__ import annotations

import pandas as pd

from app_dashboard.formatting import integer, percent
from app_dashboard.wording import Language, text, vocabulary
from training.interview_outcomes import REPORT_STATUSES, SMALL_CELL

__all__ = ["outcome_table"]


def outcome_table(published: pd.DataFrame, by: str, language: Language) -> pd.DataFrame:
    """One row per establishment (`by` "uai") or solution (`by` "solution"): the key, the
    interviews, each later status's count and the share who left, all as text."""
    masked = text("outcomes_masked", language, small=SMALL_CELL)

    def count(value: object) -> str:
        return masked if pd.isna(value) else integer(int(value), language)  # type: ignore[call-overload]

    if by == "uai":
        keys = [str(key) for key in published.index]
        key_header = text("outcomes_col_establishment", language)
    else:
        keys = [
            text("outcomes_no_solution", language)
            if key == "none" else vocabulary("solution", key, language)
            for key in published.index
        ]  # fmt: skip
        key_header = text("outcomes_col_solution", language)
    table = {key_header: keys}
    table[text("outcomes_col_interviews", language)] = [count(v) for v in published["interviews"]]
    for status in REPORT_STATUSES:
        if status in published.columns:
            table[vocabulary("later_status", status, language)] = [
                count(v) for v in published[status]
            ]
    table[text("outcomes_col_left_share", language)] = [
        masked if pd.isna(v) else percent(float(v), language) for v in published["left_share"]
    ]
    return pd.DataFrame(table)
