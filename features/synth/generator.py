"""The synthetic académie, year by year: the one place that runs every component in order.

For each school year: the roster at the rentrée (first year: every place taken; later:
last year's continuing students, a new 6e cohort, arrivals), arrivals during the year,
dropout risks and fates, changes of establishment, final exams, the end of the year
(diplomas, repeats, orientation), enrollments, then attendance, marks, mock exams and
outcomes. The last year is cut at the extraction date. The first `burn_in_years` are
simulated like the others but get no outcome: they are the history of the first year with
outcomes (last year's absences, exams, changes of school), never a training year. Each
component draws from its own random stream (`streams.stream`), keyed by its name and the year.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.synth import codes as c
from features.synth import probes
from features.synth.attendance import draw_attendance
from features.synth.config import SynthConfig, load_config
from features.synth.enrollments import build_segments
from features.synth.establishments import draw_establishments, level_places
from features.synth.exams import ExamRows, final_exams, mock_exams
from features.synth.grades import draw_grades
from features.synth.interviews import plant_interviews
from features.synth.latent import draw_fate, risk_score
from features.synth.latent_file import LATENT_PATH, latent_rows
from features.synth.movements import draw_movements
from features.synth.outcomes import OutcomeRows, draw_outcomes
from features.synth.population import Students
from features.synth.progression import year_end
from features.synth.roster import Roster, arrivals, first_roster, new_entrants
from features.synth.streams import stream
from features.synth.tables import Draft, assemble, latent_table
from features.synth.timeline import NEVER, day_number, month_day, year_timelines
from features.synth.writer import FileFormat, write_extraction

if TYPE_CHECKING:
    import pyarrow as pa

    from features.progress import Progress

__all__ = ["SynthSummary", "generate_academie", "simulate", "synthesize"]


def _empty_students() -> Students:
    dtypes = {"male": bool, "pcs": np.int8, "birth_day": np.int32, "first_name": np.int16,
              "last_name": np.int16}  # fmt: skip
    return Students(**{
        field.name: np.zeros(0, dtype=dtypes.get(field.name, np.float32))
        for field in dataclasses.fields(Students)
    })  # fmt: skip


def simulate(config: SynthConfig, progress: Callable[[int], None] | None = None) -> Draft:
    """Run the simulation; returns its arrays (see `generate_academie` for tables).
    `progress`, when given, is called with 1 as each school year is done."""
    timelines = year_timelines(
        config.school_years,
        config.extraction_date,
        config.grades.period_starts,
        config.grades.marks_end,
    )
    establishments = draw_establishments(config)
    places = level_places(establishments, config)
    students = _empty_students()
    extraction_day = day_number(config.extraction_date)
    parts = ("segments", "attendance", "grades", "exams", "outcomes", "latent", "interviews")
    draft: dict[str, list] = {name: [] for name in parts}
    following: Roster | None = None
    for timeline in timelines:
        year, rentree_year = timeline.index, int(timeline.school_year[:4])

        def rng(component: str, year: int = year) -> np.random.Generator:
            return stream(config.seed, component, year)

        if following is None:
            roster, students = first_roster(
                rng("roster"), config, establishments, places, students, timeline, rentree_year
            )
        else:
            entrants, students = new_entrants(
                rng("entrants"),
                config,
                establishments,
                places,
                students,
                timeline,
                rentree_year,
            )
            roster = dataclasses.replace(
                following, arrive=np.full(len(following), timeline.rentree, dtype=np.int32)
            ).concat(entrants)
        arrived, students = arrivals(
            rng("arrivals"), config, establishments, roster, students, timeline, rentree_year
        )
        roster = roster.concat(arrived)
        risk = risk_score(rng("risk"), roster, students, establishments, config, rentree_year)
        fate = probes.label_bias(
            draw_fate(rng("dropout"), roster, risk, timeline, config), roster, students, config
        )
        if config.interviews.enabled:  # off by default (`features.synth.interviews`)
            fate, queue = plant_interviews(rng("interviews"), roster, fate, timeline, config)
            if year >= config.burn_in_years:
                draft["interviews"].append(queue)
        movements = draw_movements(rng("movements"), roster, fate, establishments, timeline, config)
        present = movements.leave_day == NEVER
        passed, finals = final_exams(
            rng("final_exams"), roster, present, fate.trajectory, students, timeline, config
        )
        exit_code = np.full(len(roster), c.NO_EXIT, dtype=np.int8)
        if not timeline.is_cut:
            dnb_failed = present & (roster.level == c.L3E) & ~passed
            moved = movements.transfer_uai >= 0
            at_year_end = dataclasses.replace(
                roster, uai=np.where(moved, movements.transfer_uai, roster.uai)
            )
            exit_code, following = year_end(
                rng("progression"),
                at_year_end,
                fate,
                present,
                passed,
                dnb_failed,
                students,
                establishments,
                config,
                rentree_year,
            )
        segments = build_segments(rng("classes"), roster, movements, exit_code, timeline, config)
        draft["segments"].append(segments)
        draft["attendance"].append(draw_attendance(
            rng("attendance"), segments, fate, students, establishments, timeline, config
        ))  # fmt: skip
        draft["grades"].append(
            draw_grades(rng("grades"), segments, fate.trajectory, students, timeline, config)
        )
        mocks = mock_exams(
            rng("mocks"), segments, fate.trajectory, students, timeline, len(establishments), config
        )
        visible = finals.day < timeline.horizon
        finals = ExamRows(
            *(
                getattr(finals, name)[visible]
                for name in ("student", "day", "exam", "result", "score")
            )
        )
        draft["exams"].append(ExamRows.concat([finals, mocks]))
        outcomes = draw_outcomes(rng("outcomes"), segments, timeline, extraction_day, config)
        if year < config.burn_in_years:  # history only: no outcome, never a training year
            outcomes = OutcomeRows(
                *(getattr(outcomes, f.name)[:0] for f in dataclasses.fields(outcomes))
            )
        else:  # the ceiling's side file (`features.synth.latent_file`)
            draft["latent"].append(latent_rows(roster, fate, timeline))
        draft["outcomes"].append(outcomes)
        if progress is not None:
            progress(1)
    return Draft(establishments, students, config.school_years, **draft)


def generate_academie(config: SynthConfig | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a synthetic académie, in memory: one DataFrame per contract table,
    columns as in `features.contract` and in its order. Pure: same config, same tables.

    Dates are `datetime64[s]` (NaT where empty), text columns pandas strings (NaN where
    empty), booleans numpy booleans.
    """
    config = config or load_config()
    return assemble(simulate(config), config)


@dataclass(frozen=True)
class SynthSummary:
    """What `synthesize` wrote."""

    out_dir: Path
    file_format: str
    school_years: list[str]
    extraction_date: dt.date
    rows: dict[str, int]
    seconds: float

    def __str__(self) -> str:
        counts = ", ".join(f"{name} {count:,}" for name, count in self.rows.items())
        return (
            f"{self.rows['students']:,} students in {self.rows['establishments']} "
            f"establishments, {self.school_years[0]} to {self.school_years[-1]} cut on "
            f"{self.extraction_date} ({self.file_format}, {self.seconds:.1f} s); rows: {counts}"
        )


def synthesize(
    out_dir: str | Path,
    *,
    establishments: int | None = None,
    students: int | None = None,
    years: int | None = None,
    burn_in_years: int | None = None,
    seed: int | None = None,
    last_school_year: str | None = None,
    extraction_date: dt.date | None = None,
    file_format: FileFormat = "parquet",
    config: SynthConfig | None = None,
    scholarship_proxy: bool | None = None,
    label_bias: str | None = None,
    scenario: str | None = None,
    progress: Progress | None = None,
) -> SynthSummary:
    """Generate an académie and write it as an extraction folder (atomically), with the
    generator's latent risk in `_synth/latent.parquet` (`features.synth.latent_file`; not part
    of the data contract).

    Arguments left to None keep the configuration's value (the demo académie of
    `academie.yaml` by default). `students` is the approximate number of distinct students
    enrolled in the last school year; `years` counts the school years with outcomes, after
    `burn_in_years` of history without outcomes (1 in the demo). Given only
    `last_school_year`, the extraction date moves to the same day of that year (27 November
    by default).

    Audit probes (off unless asked; see `features.synth.probes`): `scholarship_proxy=True`
    makes late arrivals encode scholarship status; `label_bias="girls"` (or "boys",
    "scholarship_holders", "disadvantaged") makes that group's dropouts show weaker signals.

    `scenario` applies the overrides of one of `features.synth.config.SCENARIOS` (weak_ramp,
    silent, absence_strong, absence_weak) to the configuration first.

    `progress` is told the stages (the years simulated, the tables, the files); it changes
    nothing in what is written.
    """
    started = time.perf_counter()
    base = config or load_config()
    if scenario is not None:
        base = base.with_scenario(scenario)
    changes: dict[str, object] = {
        key: value
        for key, value in (("establishments", establishments), ("students", students),
                           ("years", years), ("burn_in_years", burn_in_years),
                           ("seed", seed))
        if value is not None
    }  # fmt: skip
    if last_school_year is not None:
        changes["last_school_year"] = last_school_year
        if extraction_date is None:
            same_day = base.extraction_date.strftime("%m-%d")
            extraction_date = month_day(last_school_year, same_day)
    if extraction_date is not None:
        changes["extraction_date"] = extraction_date
        changes.setdefault("last_school_year", None)  # the school year of the extraction
    switches: dict[str, dict[str, object]] = {}
    if scholarship_proxy is not None:
        switches["scholarship_proxy"] = {"enabled": scholarship_proxy}
    if label_bias is not None:
        switches["label_bias"] = {"enabled": True, "group": label_bias}
    if switches:
        changes["audit_probes"] = switches
    final = base.override(**changes)
    if progress is not None:
        progress.stage("synth_years", total=len(final.school_years))
    draft = simulate(final, progress.advance if progress is not None else None)
    if progress is not None:
        progress.stage("synth_tables")
    tables = assemble(draft, final)
    # The generator's latent risk, for the replay's ceiling: synthetic only, not a contract
    # table (`features.synth.latent_file`).
    side_files: dict[PurePosixPath | str, pa.Table] = {LATENT_PATH: latent_table(draft, final)}
    if progress is not None:
        progress.stage("synth_write")
    path = write_extraction(tables, out_dir, file_format, side_files)
    return SynthSummary(
        out_dir=path,
        file_format=file_format,
        school_years=final.school_years,
        extraction_date=final.extraction_date,
        rows={name: len(frame) for name, frame in tables.items()},
        seconds=time.perf_counter() - started,
    )
