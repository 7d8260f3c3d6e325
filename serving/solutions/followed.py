"""How often the recorded choice followed the suggestion: a pure count over held interviews
with a solution, each with the solutions suggested when it was recorded (None: no
suggestion could be made then, e.g. the week's extraction was gone)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from serving.solutions.views import SuggestionFollowedView

__all__ = ["followed", "suggestion_followed"]


def followed(solution: str | None, suggested: Sequence[str] | None) -> bool | None:
    """Whether `solution` was among the `suggested` ones; None when there is no choice to
    compare, no suggestion recorded, or nothing was suggested."""
    if solution is None or suggested is None or not suggested:
        return None
    return solution in suggested


def suggestion_followed(
    recorded: Iterable[tuple[str, Sequence[str] | None]],
) -> SuggestionFollowedView:
    """`recorded`: (solution chosen, solutions suggested then) per held interview."""
    total = with_suggestion = kept = left = empty = 0
    by_solution: dict[str, dict[str, int]] = {}
    for solution, suggested in recorded:
        total += 1
        if suggested is None:
            continue
        with_suggestion += 1
        counts = by_solution.setdefault(
            solution, {"followed": 0, "not_followed": 0, "nothing_suggested": 0}
        )
        outcome = followed(solution, suggested)
        key = "nothing_suggested" if outcome is None else "followed" if outcome else "not_followed"
        counts[key] += 1
        kept += outcome is True
        left += outcome is False
        empty += outcome is None
    return SuggestionFollowedView(
        solutions_recorded=total,
        with_suggestion=with_suggestion,
        followed=kept,
        not_followed=left,
        nothing_suggested=empty,
        followed_share=kept / (kept + left) if kept + left else None,
        by_solution=dict(sorted(by_solution.items())),
    )
