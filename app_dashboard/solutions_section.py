"""The suggested solutions as the pages show them: on the student page (each solution with
its rule, the facts that meet it and the rule's source), in the interview form (suggested
solutions marked, the choice free) and, for inspectors, how often choices followed them.
Titles and sources come from the table of rules (an académie's file): shown as plain text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from app_dashboard.formatting import day, integer, percent
from app_dashboard.plain import plain
from app_dashboard.wording import Language, text, vocabulary
from serving.solutions.views import SolutionsView, SuggestionFollowedView

__all__ = [
    "interview_suggestion_line",
    "show_followed",
    "show_solutions",
    "solution_format",
    "suggested_words",
]


def suggested_words(view: SolutionsView | None) -> frozenset[str]:
    """The solutions to mark as suggested in the form (those awaiting the interview too:
    the form records the interview held)."""
    return frozenset() if view is None else frozenset(each.solution for each in view.suggestions)


def solution_format(suggested: frozenset[str], language: Language) -> Callable[[object], str]:
    """The form's select: each solution's words, marked when suggested."""

    def label(word: object) -> str:
        words = vocabulary("solution", word, language)
        if word in suggested:
            return text("solution_suggested", language, solution=words)
        return words

    return label


def show_solutions(view: SolutionsView, language: Language) -> None:
    st.caption(plain(text("solutions_help", language, day=day(view.as_of, language))))
    if not view.suggestions:
        st.markdown(plain(text("solutions_none", language)))
    for suggestion in view.suggestions:
        title = suggestion.title_en if language == "en" else suggestion.title_fr
        marks = [
            text(key, language)
            for key, shown in (("solutions_after_interview", suggestion.awaits_interview),
                               ("solutions_priority", suggestion.priority))
            if shown
        ]  # fmt: skip
        heading = f"{vocabulary('solution', suggestion.solution, language)} — {title}"
        st.markdown(f"**{plain(heading)}**" + "".join(f" · *{plain(mark)}*" for mark in marks))
        for check in suggestion.checks:
            sentence = check.text_en if language == "en" else check.text_fr
            st.markdown(f"- {plain(sentence)}")
        st.caption(plain(text("solutions_source", language, source=suggestion.source)))


def interview_suggestion_line(suggested: Sequence[str] | None, language: Language) -> str | None:
    """What was suggested beside an interview's recorded solution (None: no suggestion)."""
    if suggested is None:
        return None
    if not suggested:
        return text("interview_nothing_suggested", language)
    words = ", ".join(vocabulary("solution", word, language) for word in suggested)
    return text("interview_suggested", language, solutions=words)


def show_followed(view: SuggestionFollowedView, language: Language) -> None:
    st.subheader(plain(text("followed_title", language)))
    st.markdown(
        plain(
            text(
                "followed_intro",
                language,
                recorded=integer(view.solutions_recorded, language),
                with_suggestion=integer(view.with_suggestion, language),
                followed=integer(view.followed, language),
                not_followed=integer(view.not_followed, language),
                nothing=integer(view.nothing_suggested, language),
            )
        )
    )
    if view.followed_share is not None:
        st.metric(text("followed_share", language), percent(view.followed_share, language))
    if view.by_solution:
        frame = pd.DataFrame(
            [
                {
                    text("solution", language): vocabulary("solution", solution, language),
                    text("col_followed", language): counts["followed"],
                    text("col_not_followed", language): counts["not_followed"],
                    text("col_nothing_suggested", language): counts["nothing_suggested"],
                }
                for solution, counts in view.by_solution.items()
            ]
        )
        st.dataframe(frame, hide_index=True, width="stretch")
