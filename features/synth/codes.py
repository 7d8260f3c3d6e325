"""Integer codes used inside the generator, and the school structure they describe.

The generator works on numpy arrays of small integers; the contract's text codes appear only
when the tables are assembled. Order follows `features.contract.CODES`, so that
`CODES["level"][code]` is the text of a level code.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from features.contract import CODES
from features.synth.sections import Kind, Level, Pcs, Track

__all__ = [
    "CLASS_PREFIX",
    "ENTRY_AGE",
    "EXAMS",
    "EXAM_INDEX",
    "EXAM_OF_FINAL",
    "EXIT_REASONS",
    "FINAL_LEVELS",
    "IS_FINAL",
    "KINDS",
    "LEVELS",
    "LEVEL_INDEX",
    "NEXT_LEVEL",
    "PCS",
    "RESULTS",
    "TRACKS",
    "ZONES",
    "track_of_level",
]

# The configuration types these names as literals (`sections`); a test checks they match.
KINDS = cast("tuple[Kind, ...]", CODES["establishment_kind"])
COLLEGE, LYCEE_GT, LYCEE_PRO, LYCEE_POLYVALENT = range(4)

LEVELS = cast("tuple[Level, ...]", CODES["level"])
LEVEL_INDEX = {name: code for code, name in enumerate(LEVELS)}
L6E, L5E, L4E, L3E, L2NDE, L1ERE, LTLE, L2PRO, L1PRO, LTPRO, LCAP1, LCAP2 = range(12)

TRACKS = cast("tuple[Track, ...]", CODES["track"])
T_COLLEGE, T_GENERAL, T_TECHNO, T_VOCATIONAL = range(4)

PCS = cast("tuple[Pcs, ...]", CODES["parent_pcs"])
FAVORED_A, FAVORED_B, MIDDLE, DISADVANTAGED, UNKNOWN = range(5)

ZONES: tuple[str, ...] = CODES["priority_zone"]
EXIT_REASONS: tuple[str, ...] = CODES["exit_reason"]
COMPLETED, TRANSFERRED, DIPLOMA, DROPPED_OUT, OTHER = range(5)
NO_EXIT = -1

EXAMS: tuple[str, ...] = CODES["exam"]
EXAM_INDEX = {name: code for code, name in enumerate(EXAMS)}
RESULTS: tuple[str, ...] = CODES["exam_result"]
PASS, FAIL, ABSENT = range(3)

# The next level after a year passed at a level; 3e and 2nde branch (orientation), final
# levels lead out of secondary school.
NEXT_LEVEL = np.array(
    [L5E, L4E, L3E, -1, L1ERE, LTLE, -1, L1PRO, LTPRO, -1, LCAP2, -1], dtype=np.int8
)
FINAL_LEVELS = (LTLE, LTPRO, LCAP2)
IS_FINAL = np.isin(np.arange(len(LEVELS)), FINAL_LEVELS)

# Age reached during the calendar year of the rentrée by a student who never repeated.
ENTRY_AGE = np.array([11, 12, 13, 14, 15, 16, 17, 15, 16, 17, 15, 16], dtype=np.int16)

# Final exam of each final level, by (level, track); DNB for 3e.
EXAM_OF_FINAL: dict[tuple[int, int], int] = {
    (L3E, T_COLLEGE): EXAM_INDEX["dnb"],
    (LTLE, T_GENERAL): EXAM_INDEX["bac_general"],
    (LTLE, T_TECHNO): EXAM_INDEX["bac_techno"],
    (LTPRO, T_VOCATIONAL): EXAM_INDEX["bac_pro"],
    (LCAP2, T_VOCATIONAL): EXAM_INDEX["cap"],
}

# Class-name prefix of each (level, track): "3eB", "1ereTA", "2ndeProC", "CAP1A".
CLASS_PREFIX: dict[tuple[int, int], str] = {
    (L6E, T_COLLEGE): "6e",
    (L5E, T_COLLEGE): "5e",
    (L4E, T_COLLEGE): "4e",
    (L3E, T_COLLEGE): "3e",
    (L2NDE, T_GENERAL): "2nde",
    (L1ERE, T_GENERAL): "1ereG",
    (L1ERE, T_TECHNO): "1ereT",
    (LTLE, T_GENERAL): "TleG",
    (LTLE, T_TECHNO): "TleT",
    (L2PRO, T_VOCATIONAL): "2ndePro",
    (L1PRO, T_VOCATIONAL): "1erePro",
    (LTPRO, T_VOCATIONAL): "TlePro",
    (LCAP1, T_VOCATIONAL): "CAP1",
    (LCAP2, T_VOCATIONAL): "CAP2",
}


def track_of_level(level: np.ndarray) -> np.ndarray:
    """Default track of each level (1ere and Tle: general; the caller sets technological)."""
    table = np.array([T_COLLEGE] * 4 + [T_GENERAL] * 3 + [T_VOCATIONAL] * 5, dtype=np.int8)
    return table[level]
