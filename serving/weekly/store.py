"""Writing one week's lists, for all establishments, in one transaction.

`replace_week_lists` is what `vigie score` calls once the week's students are scored and
explained. All or nothing: any failure (a bad value, a store error, an interruption) rolls
the whole week back and leaves every list exactly as it was. Idempotent: writing the same
week again with the same model version and the same content changes nothing (a fingerprint
of the content is kept with the run); a different model or new content replaces the week.

Each establishment's list is its weekly queue (`models.queue`, through `rank_students`),
made with the follow-up rule given (recorded with the run, and part of the fingerprint) and
the watch unit's decisions as they stand inside the write's own transaction, as of the week
written (`serving.weekly.decisions`: a past week written again sees the decisions dated on or
before it, not today's statuses): the students to invite (the capacity, none in follow-up),
to watch, and in follow-up with the decision that keeps them there (kind, week, date,
solution, risk then; they never take a slot). The queue is chosen from every student's risk
(`EstablishmentWeek.risks`), so a decision recorded after the scorer chose whom to explain
moves the slot to the next student, whom the `explain` callback explains inside the
transaction; no decision can be committed between that read and the write's commit
(`serving.db.decision_lock`). Each entry records its rank and part (`tier`), the
calibrated risk, its change since the previous week's list, whether the student is new on
the list, the three reasons, the feature values shown, and two marks: an interview under way,
a dismissal in the rule's last `dismissal_weeks` weeks.

Each roster student's enrollment is stored as a dated fact (`Enrollment`): writing an older
week adds older facts and never overrides a newer one nor un-ends an ended one, so the order
weeks are written in changes nobody's establishment (`serving.db.enrollments`).

A week that changed bumps every establishment's list revision in the same transaction, so
no list cached by the API (`serving.services.lists`) outlives it.

With the week's staged artifacts (`serving.lineage`), the same transaction writes the
contributions of the students the queue lists and records the week's lineage (model
version, extraction fingerprint, snapshot and contributions with their SHA-256): a week's
list and the data it came from are replaced together.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from sqlalchemy import Table, and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from features.calendar import monday_on_or_before
from features.jsonio import sha256
from models.queue import DEFAULT_FOLLOW_UP, Decision, FollowUpRule, QueuedStudent
from serving.db.decision_lock import lock_decisions
from serving.db.engine import Store
from serving.db.models import (
    Dismissal,
    Enrollment,
    Establishment,
    ListEntry,
    RosterState,
    Student,
    WeekCount,
    WeeklyList,
    WeeklyRun,
)
from serving.db.revisions import bump_all_list_revisions
from serving.db.suspensions import suspended_establishments
from serving.lineage import (
    WeekDataUnavailable,
    WeekLineage,
    lineage_of,
    remove_superseded,
)
from serving.services.actor import Actor
from serving.services.audit import record
from serving.weekly.bulk import copy_upsert
from serving.weekly.columns import Rows
from serving.weekly.decisions import FollowUp, decisions_of, load_follow_ups, shown_follow_up
from serving.weekly.executemany import Upsert, execute_rows
from serving.weekly.ranking import (
    EstablishmentWeek,
    Explainer,
    Reason,
    ScoredStudent,
    rank_students,
)
from serving.weekly.roster_digest import (
    ROSTER_DIGEST_FORM,
    checked_rosters,
    part_digests,
    roster_digest,
    roster_table,
    table_digest,
)
from serving.weekly.roster_rows import (
    Part,
    WeekRosters,
    enrollment_facts_of,
    named_students,
    unnamed_students,
    unsure_rosters,
)
from serving.weekly.student_risks import WeekRisks

__all__ = [
    "RankedQueues",
    "StagedArtifacts",
    "WeekWriteResult",
    "enrollment_facts",
    "replace_week_lists",
    "week_fingerprint",
]

_CHUNK = 10_000  # rows per executemany batch
_PARTS = ("invite", "watch", "follow_up")


@dataclass(frozen=True)
class WeekWriteResult:
    week: dt.date
    model_version: str
    changed: bool  # False when the same week, model and content were already written
    establishments: int
    fingerprint: str
    # Per establishment: (to invite, to watch, in follow-up) as written.
    parts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # The establishments whose lists were stored but are not served: the stop switch
    # covered them at the write (`serving.services.suspensions`); served once resumed.
    withheld: tuple[str, ...] = ()

    @property
    def invited(self) -> int:
        """Students to invite, all establishments together."""
        return sum(counts[0] for counts in self.parts.values())

    @property
    def watched(self) -> int:
        """Students to watch, all establishments together."""
        return sum(counts[1] for counts in self.parts.values())

    @property
    def followed(self) -> int:
        """Students in follow-up, all establishments together."""
        return sum(counts[2] for counts in self.parts.values())

    @property
    def entries(self) -> int:
        """Entries written: every student to invite, to watch or in follow-up."""
        return self.invited + self.watched + self.followed


class StagedArtifacts(Protocol):
    """A week's artifacts staged before its write (`serving.lineage.StagedWeek`, or the
    per-partition snapshots of `serving.scoring.cluster`): finished with the contributions of
    the students listed inside the write's transaction, discarded when it does not record
    them."""

    @property
    def folder(self) -> Path: ...

    @property
    def model_version(self) -> str: ...

    def finish(self, listed: Iterable[tuple[str, str]]) -> WeekLineage: ...

    def discard(self) -> None: ...


@dataclass(frozen=True)
class RankedQueues:
    """Each establishment's queue (by UAI) as the scorer ranked it (`rank_students`, on the
    establishment's candidates) against `decisions`, the decisions as the store held them
    then (`decisions_of(load_follow_ups(...))`; of every candidate of the queues at least:
    those of other students are not compared). The write takes the queues as they are when the
    decisions of the week's candidates it reads in its transaction are the same (a queue, a
    pure function of the same input, would be the same), and ranks every queue again
    otherwise."""

    queues: Mapping[str, Sequence[QueuedStudent]]
    decisions: Mapping[str, Sequence[Decision]]


@dataclass(frozen=True)
class _Entry:
    """A student of the week's queue, explained, with the follow-up shown (None unless in
    follow-up)."""

    student: ScoredStudent
    queued: QueuedStudent
    follow_up: FollowUp | None
    under_way: bool = False  # an interview under way in the week written (the entry's mark)

    @cached_property
    def payload(self) -> dict[str, Any]:
        """The student's stored content (`_scored_payload`), made once for the fingerprint
        and the entry written."""
        return _scored_payload(self.student)


def replace_week_lists(
    store: Store,
    *,
    as_of: dt.date,
    model_version: str,
    establishments: Sequence[EstablishmentWeek],
    watch_threshold: float | None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    by: str = "system",
    explain: Explainer | None = None,
    lineage: StagedArtifacts | None = None,
    bulk: bool = False,
    rosters: pa.Table | None = None,
    ranked: RankedQueues | None = None,
) -> WeekWriteResult:
    """Replace the lists of the week of `as_of` (its Monday) for all establishments, each
    the weekly queue under `rule` with the decisions as of that week, read inside the write's
    transaction; `explain` explains the students that queue needs and the input did not
    explain (without it, such a student is an error and nothing is written); `by` (the
    command and OS user that ran it) goes into the audit entry's detail, the user recorded
    being `system`.

    `lineage`, the week's staged artifacts (`serving.lineage.stage_week`), gets the
    contributions of the students listed and is recorded on the week in the same
    transaction; the artifacts it replaces are removed once the write committed, and its
    own when the write fails (or when the week, unchanged, already records the same data).

    `rosters`: every establishment's roster as one table (`serving.weekly.ROSTER_SCHEMA`,
    what the weekly run makes column-wise), instead of each establishment's `roster` (which
    must then be empty); the same rows are stored and the week has the same fingerprint.

    `bulk`: on PostgreSQL, the rosters (students, enrollments, establishments) are loaded
    with COPY (`serving.weekly.bulk`) rather than batches of statements; the same rows are
    stored. SQLite always uses executemany.

    `ranked`: the queues the scorer ranked from the same establishments' candidates, taken
    when the decisions read in the transaction are those they were ranked against
    (`RankedQueues`); the same lists as without, ranked once rather than twice."""
    if watch_threshold is not None and not 0.0 <= watch_threshold <= 1.0:
        raise ValueError(f"watch threshold {watch_threshold} is not a probability")
    uais = [establishment.uai for establishment in establishments]
    if len(set(uais)) != len(uais):
        raise ValueError("an establishment appears twice in the week's input")
    if lineage is not None and lineage.model_version != model_version:
        raise ValueError(
            f"the week's artifacts were staged for {lineage.model_version}, not {model_version}"
        )
    week = monday_on_or_before(as_of)
    try:
        # The rosters as one table, for the fingerprint, each roster's digest and the rows.
        table = (
            roster_table(establishments) if rosters is None
            else checked_rosters(rosters, establishments)
        )  # fmt: skip
        result, replaced, kept = _write_week(
            store, as_of, week, model_version, establishments, table, watch_threshold, rule,
            by, explain, lineage, bulk, ranked,
        )  # fmt: skip
    except BaseException:
        if lineage is not None:
            lineage.discard()
        raise
    if lineage is not None and kept is not None and kept.folder != lineage.folder:
        lineage.discard()  # the week already recorded the same artifacts
    remove_superseded(replaced, kept)
    return result


def _write_week(
    store: Store,
    as_of: dt.date,
    week: dt.date,
    model_version: str,
    establishments: Sequence[EstablishmentWeek],
    rosters: pa.Table,
    watch_threshold: float | None,
    rule: FollowUpRule,
    by: str,
    explain: Explainer | None,
    lineage: StagedArtifacts | None,
    bulk: bool = False,
    ranked: RankedQueues | None = None,
) -> tuple[WeekWriteResult, WeekLineage | None, WeekLineage | None]:
    """The write's transaction: the result, the lineage the week recorded before and the one
    it records now."""
    with store.transaction() as session:
        # No decision commits between reading them and this transaction's commit.
        lock_decisions(session, shared=False)
        queues = _queues(session, establishments, watch_threshold, week, rule, explain, ranked)
        recorded = None
        if lineage is not None:
            recorded = lineage.finish(
                (uai, entry.queued.student_id) for uai, entries in queues.items()
                for entry in entries
            )  # fmt: skip
        fingerprint = week_fingerprint(
            as_of, model_version, watch_threshold, establishments, rule=rule, queues=queues,
            rosters=table_digest(rosters),
        )  # fmt: skip
        by_uai: dict[str, tuple[int, int, int]] = {}
        for uai, entries in queues.items():
            invite, watch, follow_up = (sum(e.queued.part == p for e in entries) for p in _PARTS)
            by_uai[uai] = (invite, watch, follow_up)
        suspended = suspended_establishments(session)
        withheld = tuple(sorted(uai for uai in by_uai if suspended is None or uai in suspended))
        result = WeekWriteResult(
            week, model_version, True, len(establishments), fingerprint, by_uai, withheld
        )
        existing = session.get(WeeklyRun, week)
        previous = None if existing is None else lineage_of(existing)
        if (
            existing is not None
            and existing.model_version == model_version
            and existing.fingerprint == fingerprint
            and existing.purged_at is None  # a purged week scored again is written again
        ):
            kept = _keep_or_replace_lineage(existing, previous, recorded)
            return WeekWriteResult(**{**asdict(result), "changed": False}), previous, kept
        _write_lists(
            session, as_of, week, model_version, establishments, watch_threshold, rule, by,
            queues, result, fingerprint, recorded, bulk, rosters,
        )  # fmt: skip
    return result, previous, recorded


def _keep_or_replace_lineage(
    existing: WeeklyRun, previous: WeekLineage | None, recorded: WeekLineage | None
) -> WeekLineage | None:
    """An unchanged week keeps the artifacts it records when the new ones hold the same
    data and its own are intact; otherwise it records the new ones."""
    if recorded is None:
        return previous
    if previous is not None and all(
        getattr(previous, name) == getattr(recorded, name)
        for name in ("extraction_sha256", "features_sha256", "contributions_sha256")
    ):
        try:
            previous.verify()
        except WeekDataUnavailable:
            pass
        else:
            return previous
    for name, value in recorded.columns().items():
        setattr(existing, name, value)
    return recorded


def _write_lists(
    session: Session,
    as_of: dt.date,
    week: dt.date,
    model_version: str,
    establishments: Sequence[EstablishmentWeek],
    watch_threshold: float | None,
    rule: FollowUpRule,
    by: str,
    ranked: Mapping[str, Sequence[_Entry]],
    result: WeekWriteResult,
    fingerprint: str,
    recorded: WeekLineage | None,
    bulk: bool,
    rosters: pa.Table,
) -> None:
    """Replace the week's run, lists and entries (and add its facts) in `session`
    (`rosters`: the week's rosters as one table, `checked_rosters`)."""
    # An older week than one already written adds what is missing and rewrites nothing
    # newer: names and establishment details are the newest week's.
    newest = _is_newest(session, week)
    # The rows of the parts of rosters the store holds already are not upserted
    # (`_rosters_held`).
    week_rosters = WeekRosters(rosters)
    digests = part_digests(rosters, week_rosters.parts) if newest else {}
    held = _rosters_held(session, digests, week_rosters) if newest else frozenset()
    _upsert_establishments(session, establishments, rewrite=newest, bulk=bulk)
    _upsert_students(session, establishments, week_rosters, rewrite=newest, bulk=bulk, held=held)
    _upsert_enrollments(session, establishments, week_rosters, week, bulk=bulk, held=held)
    if newest:
        _record_rosters(session, digests, week)
    previous = _previous_risks(session, week)
    under_way = {
        entry.queued.student_id for entries in ranked.values() for entry in entries
        if entry.under_way
    }  # fmt: skip
    dismissed = _recently_dismissed(session, week, rule.dismissal_weeks)
    _delete_week(session, week)
    session.add(
        WeeklyRun(
            week=week,
            as_of=as_of,
            model_version=model_version,
            fingerprint=fingerprint,
            watch_threshold=watch_threshold,
            establishments=len(establishments),
            entries=result.entries,
            held_weeks=rule.held_weeks,
            dismissal_weeks=rule.dismissal_weeks,
            risk_margin=rule.risk_margin,
            **({} if recorded is None else recorded.columns()),
        )
    )
    session.flush()
    _write_establishments(
        session,
        establishments,
        ranked,
        week=week,
        as_of=as_of,
        model_version=model_version,
        watch_threshold=watch_threshold,
        previous=previous,
        under_way=under_way,
        dismissed=dismissed,
    )
    # Names, enrollments and this week's lists changed: no cached list stays valid.
    bump_all_list_revisions(session)
    record(
        session,
        Actor.system(),
        "write_week_lists",
        "allowed",
        model_version=model_version,
        detail=f"by {by}; week {week.isoformat()}: {len(establishments)} establishments, "
        f"{result.entries} entries ({result.invited} to invite, {result.watched} to "
        f"watch, {result.followed} in follow-up); follow-up rule: held "
        f"{rule.held_weeks} weeks, dismissed {rule.dismissal_weeks} weeks, risk margin "
        f"{rule.risk_margin}",
    )


def week_fingerprint(
    as_of: dt.date,
    model_version: str,
    watch_threshold: float | None,
    establishments: Sequence[EstablishmentWeek],
    *,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    queues: Mapping[str, Sequence[_Entry]] | None = None,
    rosters: str | None = None,
) -> str:
    """SHA-256 of the week's whole content, in a canonical order: the students written (those
    of `queues`, else every explained student) and the rosters, the follow-up rule, and the
    follow-up shown of each followed student (a decision recorded since the week was written
    changes the week). The rosters enter as one digest of their columns
    (`serving.weekly.roster_digest`; `rosters`, when computed already)."""
    queues = queues or {}

    def written(e: EstablishmentWeek) -> Iterable[dict[str, Any]]:
        if e.uai in queues:
            return (entry.payload for entry in queues[e.uai])
        return map(_scored_payload, e.scored)

    content = {
        "as_of": as_of.isoformat(),
        "model_version": model_version,
        "watch_threshold": watch_threshold,
        "rule": asdict(rule),
        "follow_up": {
            uai: [
                [
                    entry.queued.student_id,
                    entry.follow_up.decision.kind,
                    entry.follow_up.decision.week.isoformat(),
                    entry.follow_up.decision.risk,
                    None if entry.follow_up.date is None else entry.follow_up.date.isoformat(),
                    entry.follow_up.solution,
                ]
                for entry in queues[uai]
                if entry.follow_up is not None
            ]
            for uai in sorted(queues)
        },
        "establishments": [
            {
                "uai": e.uai,
                "name": e.name,
                "capacity": e.weekly_interview_capacity,
                "scored": sorted(written(e), key=lambda p: p["student_id"]),
            }
            for e in sorted(establishments, key=lambda e: e.uai)
        ],
        # Every roster row (names and enrollment dates), hashed column-wise.
        "rosters": {
            "form": ROSTER_DIGEST_FORM,
            "sha256": rosters or roster_digest(establishments),
        },
    }
    return sha256(content)


def _queues(
    session: Session,
    establishments: Sequence[EstablishmentWeek],
    watch_threshold: float | None,
    week: dt.date,
    rule: FollowUpRule,
    explain: Explainer | None,
    ranked: RankedQueues | None = None,
) -> dict[str, list[_Entry]]:
    """Every establishment's queue against the decisions as of `week` in `session` (the
    scorer's, `ranked`, when those decisions are the ones it was ranked against), its
    students explained (the input's, then `explain`'s for those it lacks)."""
    candidates = {e.uai: e.candidates() for e in establishments}
    risks = WeekRisks(candidates.values())  # every student's, looked up when asked
    follow_ups = load_follow_ups(session, week, risks)
    now = decisions_of(follow_ups)
    if ranked is not None and not _same_decisions(
        now, ranked.decisions, risks.present({*now, *ranked.decisions})
    ):
        ranked = None  # a decision recorded since the scorer ranked them: ranked again
    queues = {}
    decided: dict[str, np.ndarray] | None = None
    for e in establishments:
        if ranked is not None and e.uai in ranked.queues:
            queues[e.uai] = list(ranked.queues[e.uai])
            continue
        if decided is None:  # who has a decision, for every establishment in one pass
            decided = dict(zip(candidates, risks.among_parts(follow_ups), strict=True))
        ids = candidates[e.uai].ids.filter(decided[e.uai]).to_pylist()
        decisions = decisions_of({s: follow_ups[s] for s in ids})
        queues[e.uai] = rank_students(
            candidates[e.uai],
            e.weekly_interview_capacity,
            watch_threshold,
            week=week,
            decisions=decisions,
            rule=rule,
        )
    explained = {(e.uai, s.student_id): s for e in establishments for s in e.scored}
    missing = [
        (uai, queued.student_id)
        for uai, queue in queues.items()
        for queued in queue
        if (uai, queued.student_id) not in explained
    ]
    if missing and explain is None:
        uai, student_id = missing[0]
        raise ValueError(
            f"{uai}: student {student_id} is in the week's queue but was not explained "
            f"({len(missing)} such students); pass an explainer"
        )
    if missing:
        assert explain is not None
        added = list(explain(missing))
        if [s.student_id for s in added] != [student_id for _, student_id in missing]:
            raise ValueError("the explainer did not return the students asked, in order")
        asked: dict[str, list[str]] = defaultdict(list)
        for uai, student_id in missing:
            asked[uai].append(student_id)
        known = {uai: candidates[uai].risk_of(ids) for uai, ids in asked.items()}
        for key, student in zip(missing, added, strict=True):
            if student.risk != known[key[0]].get(key[1]):
                raise ValueError(f"{key[0]}: student {key[1]} explained with another risk")
            explained[key] = student
    return {
        uai: [
            _Entry(
                explained[(uai, queued.student_id)],
                queued,
                None
                if queued.decision is None
                else shown_follow_up(follow_ups.get(queued.student_id, ()), queued.decision),
                _under_way(follow_ups.get(queued.student_id, ()), week),
            )
            for queued in queue
        ]
        for uai, queue in queues.items()
    }


def _under_way(follow_ups: Iterable[FollowUp], week: dt.date) -> bool:
    """An interview was under way in the week `week` (as of that week)."""
    return any(
        item.decision.kind == "under_way"
        and item.decision.week <= week
        and (item.decision.until is None or week < item.decision.until)
        for item in follow_ups
    )


def _scored_payload(student: ScoredStudent) -> dict[str, Any]:
    return {
        "student_id": student.student_id,
        "risk": float(student.risk),
        "reasons": [_plain(_fields_of(reason)) for reason in student.reasons],
        "features_shown": _plain(dict(student.features_shown)),
    }


def _fields_of(reason: Reason) -> dict[str, Any]:
    """`dataclasses.asdict(reason)` without its deep copies (a reason's fields are plain
    values): the same keys in the same order."""
    return {name: getattr(reason, name) for name in _REASON_FIELDS}


_REASON_FIELDS = tuple(item.name for item in fields(Reason))


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN to None, dates to ISO strings."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most values: as they are
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _table(model: type[Establishment | Student | Enrollment]) -> Table:
    """The mapped class's table (typed `FromClause` by SQLAlchemy: it is a `Table`)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _upsert(
    session: Session,
    table: Table,
    rows: Rows,
    update: list[str],
    *,
    keep_known: bool = False,
    bulk: bool = False,
) -> None:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE, on SQLite or PostgreSQL: one statement
    executed for many rows, rewriting a row only when a value changed. No `update` columns:
    rows already there are left alone. `keep_known`: a NULL never replaces a known value.
    `bulk` on PostgreSQL: the rows go through COPY (`serving.weekly.bulk`)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect == "postgresql":
        # Both dialects' INSERT has the ON CONFLICT methods used below.
        from sqlalchemy.dialects.postgresql import insert as dialect_insert  # type: ignore[assignment]
    else:
        raise RuntimeError(f"the store supports SQLite and PostgreSQL, not {dialect}")
    keys = [column.name for column in table.primary_key.columns]
    statement = dialect_insert(table)
    new = statement.excluded
    if not update:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    elif keep_known:
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: func.coalesce(new[name], table.c[name]) for name in update},
            where=or_(
                *(
                    and_(new[name].is_not(None), table.c[name].is_distinct_from(new[name]))
                    for name in update
                )
            ),
        )
    else:
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: new[name] for name in update},
            where=or_(*(table.c[name].is_distinct_from(new[name]) for name in update)),
        )
    if bulk and dialect == "postgresql":
        copy_upsert(session, table, rows, statement)
        return
    execute_rows(session, statement, rows, Upsert(table, tuple(update), keep_known), _CHUNK)


def _rosters_held(
    session: Session, digests: Mapping[Part, str], rosters: WeekRosters
) -> frozenset[Part]:
    """The parts of rosters whose rows the store holds as they are, so that upserting them
    would change nothing: the newest week's write recorded the same digest for the part
    (`roster_state`: that write upserted those rows, or held them), and nothing deleted rows
    since (a purge empties the state). Older weeks written since add rows but never rewrite
    a newer week's names and never clear an end date (`keep_known`). No part of an
    establishment with a roster student whose enrollment start is unknown (the fact is
    dated by the week written), nor of one sharing a student with another roster this week
    (whose names would then be written in the rosters' order): `unsure_rosters`."""
    recorded = session.execute(select(RosterState.uai, RosterState.part, RosterState.roster_sha256))
    state = {(uai, part): digest for uai, part, digest in recorded}
    if not state:
        return frozenset()
    unsure = unsure_rosters(rosters)
    return frozenset(
        part for part, digest in digests.items()
        if state.get(part) == digest and part[0] not in unsure
    )  # fmt: skip


def _record_rosters(session: Session, digests: Mapping[Part, str], week: dt.date) -> None:
    """The newest week's roster digests replace the state (`_rosters_held`)."""
    session.execute(delete(RosterState))
    if digests:
        session.execute(
            insert(RosterState),
            [
                {"uai": uai, "part": part, "roster_sha256": digest, "week": week}
                for (uai, part), digest in digests.items()
            ],
        )


def _is_newest(session: Session, week: dt.date) -> bool:
    """No week after `week` is written yet."""
    newer = session.scalar(select(WeeklyRun.week).where(WeeklyRun.week > week).limit(1))
    return newer is None


def _upsert_establishments(
    session: Session,
    establishments: Sequence[EstablishmentWeek],
    *,
    rewrite: bool,
    bulk: bool = False,
) -> None:
    rows = [
        {"uai": e.uai, "name": e.name, "weekly_interview_capacity": e.weekly_interview_capacity}
        for e in establishments
    ]
    update = ["name", "weekly_interview_capacity"] if rewrite else []
    _upsert(session, _table(Establishment), rows, update, bulk=bulk)


def _upsert_students(
    session: Session,
    establishments: Sequence[EstablishmentWeek],
    rosters: WeekRosters,
    *,
    rewrite: bool,
    bulk: bool = False,
    held: Set[Part] = frozenset(),
) -> None:
    """Roster students get their names (`rewrite`: names already stored too); a scored
    student missing from the roster is added without names (names already known are kept).
    Establishments are enrollments. The rosters of the establishments `held` are in the
    store already (`_rosters_held`): not upserted."""
    table = _table(Student)
    named = named_students(rosters, establishments, held)
    _upsert(session, table, named, ["last_name", "first_name"] if rewrite else [], bulk=bulk)
    _upsert(session, table, unnamed_students(rosters, establishments), [], bulk=bulk)


def enrollment_facts(
    establishments: Sequence[EstablishmentWeek],
    week: dt.date,
    *,
    held: Set[Part] = frozenset(),
    rosters: pa.Table | None = None,
) -> list[dict[str, Any]]:
    """The enrollment facts a week's input states, one per (student, establishment, start):
    each roster student's enrollment in force on the as-of date (its Monday `week` standing
    for an unknown start), and each scored student missing from the roster from `week`
    (not the rosters of the establishments `held`: see `_rosters_held`). `rosters`: the
    week's rosters as one table (default: the establishments' `roster_table`)."""
    table = roster_table(establishments) if rosters is None else rosters
    return enrollment_facts_of(WeekRosters(table), establishments, week, held).dicts()


def _upsert_enrollments(
    session: Session,
    establishments: Sequence[EstablishmentWeek],
    rosters: WeekRosters,
    week: dt.date,
    *,
    bulk: bool = False,
    held: Set[Part] = frozenset(),
) -> None:
    """Add the week's enrollment facts; an end already known is never cleared (an older
    week, written after a newer one, un-ends nothing). Not those of the rosters `held`."""
    rows = enrollment_facts_of(rosters, establishments, week, held)
    _upsert(session, _table(Enrollment), rows, ["end_date"], keep_known=True, bulk=bulk)


def _same_decisions(
    now: Mapping[str, Sequence[Decision]],
    then: Mapping[str, Sequence[Decision]],
    students: Set[str] | Mapping[str, object],
) -> bool:
    """Whether the decisions of `students` (the week's candidates: those a queue reads) are
    the same in `now` and `then`."""
    return {s: list(d) for s, d in now.items() if s in students} == {
        s: list(d) for s, d in then.items() if s in students
    }


def _previous_risks(session: Session, week: dt.date) -> dict[str, float]:
    """Risk of each student on the previous written week's lists."""
    previous_week = session.scalar(select(func.max(WeeklyRun.week)).where(WeeklyRun.week < week))
    if previous_week is None:
        return {}
    rows = session.execute(
        select(ListEntry.student_id, ListEntry.risk)
        .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
        .where(WeeklyList.week == previous_week)
    )
    return dict(rows.all())


def _recently_dismissed(session: Session, week: dt.date, dismissal_weeks: int) -> set[str]:
    """Dismissed in the `dismissal_weeks` weeks ending with `week` (the rule's window)."""
    since = week - dt.timedelta(weeks=dismissal_weeks)
    query = select(Dismissal.student_id).where(Dismissal.week > since, Dismissal.week <= week)
    return set(session.scalars(query))


def _delete_week(session: Session, week: dt.date) -> None:
    lists = select(WeeklyList.id).where(WeeklyList.week == week)
    session.execute(delete(ListEntry).where(ListEntry.list_id.in_(lists)))
    session.execute(delete(WeeklyList).where(WeeklyList.week == week))
    session.execute(delete(WeekCount).where(WeekCount.week == week))  # a purged week's
    session.execute(delete(WeeklyRun).where(WeeklyRun.week == week))


def _write_establishments(
    session: Session,
    establishments: Sequence[EstablishmentWeek],
    ranked: Mapping[str, Iterable[_Entry]],
    *,
    week: dt.date,
    as_of: dt.date,
    model_version: str,
    watch_threshold: float | None,
    previous: Mapping[str, float],
    under_way: set[str],
    dismissed: set[str],
) -> None:
    """Every establishment's list of the week (one statement for the lists, in the
    establishments' order), then their entries (one executemany)."""
    if not establishments:
        return
    session.execute(
        insert(WeeklyList),
        [
            {
                "uai": establishment.uai,
                "week": week,
                "as_of": as_of,
                "model_version": model_version,
                "weekly_interview_capacity": establishment.weekly_interview_capacity,
                "watch_threshold": watch_threshold,
            }
            for establishment in establishments
        ],
    )
    list_ids = dict(
        session.execute(select(WeeklyList.uai, WeeklyList.id).where(WeeklyList.week == week)).all()
    )
    rows = []
    for establishment in establishments:
        rows += _establishment_entries(
            list_ids[establishment.uai], establishment, ranked[establishment.uai],
            previous, under_way, dismissed,
        )  # fmt: skip
    execute_rows(session, insert(ListEntry), rows, chunk=_CHUNK)


def _establishment_entries(
    list_id: int,
    establishment: EstablishmentWeek,
    entries: Iterable[_Entry],
    previous: Mapping[str, float],
    under_way: set[str],
    dismissed: set[str],
) -> list[dict[str, Any]]:
    """The `list_entries` rows of `establishment`'s `entries` on its list `list_id`."""
    return [_entry_row(list_id, entry, previous, under_way, dismissed) for entry in entries]


def _entry_row(
    list_id: int,
    entry: _Entry,
    previous: Mapping[str, float],
    under_way: set[str],
    dismissed: set[str],
) -> dict[str, Any]:
    """The `list_entries` row of `entry` on the list `list_id`."""
    student, follow_up = entry.student, entry.follow_up
    payload = entry.payload
    last = previous.get(student.student_id)
    decision = None if follow_up is None else follow_up.decision
    return {
        "list_id": list_id,
        "student_id": student.student_id,
        "rank": entry.queued.rank,
        "tier": entry.queued.part,
        "decision_kind": None if decision is None else decision.kind,
        "decision_week": None if decision is None else decision.week,
        "decision_date": None if follow_up is None else follow_up.date,
        "decision_solution": None if follow_up is None else follow_up.solution,
        "decision_risk": None if decision is None else decision.risk,
        "risk": payload["risk"],
        "risk_change": None if last is None else payload["risk"] - last,
        "new_this_week": last is None,
        "interview_under_way": student.student_id in under_way,
        "dismissed_recently": student.student_id in dismissed,
        "reasons": payload["reasons"],
        "features_shown": payload["features_shown"],
    }
