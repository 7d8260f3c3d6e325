"""Each week's lineage: which data a week's lists came from, recorded with the week, and the
one way to read them back.

The weekly run (`serving.scoring.score_features`) stages the week's artifacts in a fresh
folder `<home>/weeks/<as_of>/<stamp>/` before its store write (`stage_week`): the feature
snapshot (`features.parquet`: every student scored that week, keys, context and features,
no sensitive attribute and no name) and, once the queue is final inside the write's
transaction, the contributions of every listed student (`contributions.parquet`: the
per-feature TreeSHAP values in log-odds and `base_value`, from which the list's reasons were
worded). Each file is written to a temporary name and renamed. The transaction records on
the week (`weekly_runs`, migration 0007) the model version, the extraction's folder and
fingerprint, and each file's path and SHA-256 (`WeekLineage`); after it commits, the folder
of the artifacts it replaced is removed, so rewriting a week switches its list and its
artifacts together (a failed write removes its own folder and leaves the week as it was; a
folder that no week records, left by a run killed mid-write, can be deleted). A week scored
on an extraction partitioned by académie (`serving.scoring.cluster`) records as its snapshot
the folder `features/` of one file per académie, written by the workers (its SHA-256 is that
of each file's name and SHA-256), read back as one table; its extraction fingerprint is that
of each partition's.

Every page, route and export about a week reads that week's artifacts through
`recorded_week` and the methods of `WeekLineage` (an establishment's extraction data through
`extraction_of`, a scope's through `extractions_of`: on a partitioned week, the académie
folders whose establishments table lists them, never the top folder), which check each file
against the hash recorded before reading it, and raise `WeekDataUnavailable` (a `Conflict`:
HTTP 409, a dashboard message in French and English) when a file is missing or altered, or
when the week was written before lineage was recorded. Access checks stay with the callers
(the services), which read a student's rows only through the establishment that listed them.

Hashes of files already verified are kept in memory per file identity (size, modification
and change times, inode): a page read again does not hash the snapshot again, and any write
to the file (which changes its change time) makes it hashed afresh.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from features.calendar import monday_on_or_before
from features.feature_set import row_positions
from features.jsonio import file_sha256 as bytes_sha256
from features.jsonio import sha256 as sha256_of
from serving.db.models import WeeklyRun
from serving.services.errors import Conflict, NotFound

if TYPE_CHECKING:
    from features.feature_set import FeatureSet
    from models.risk_model import RiskModel

__all__ = [
    "CONTRIBUTIONS_FILE",
    "FEATURES_FILE",
    "WEEKS_FOLDER",
    "StagedWeek",
    "WeekDataUnavailable",
    "WeekLineage",
    "contributions_table",
    "extraction_sha256",
    "file_sha256",
    "folder_sha256",
    "lineage_of",
    "new_week_folder",
    "partitions_sha256",
    "recorded_week",
    "remove_superseded",
    "stage_week",
    "weeks_folder",
    "write_snapshot",
    "written_run",
]

WEEKS_FOLDER = "weeks"
FEATURES_FILE = "features.parquet"
CONTRIBUTIONS_FILE = "contributions.parquet"
_GROUP_ROWS = 8192  # rows per row group of a snapshot
# The store columns of the lineage (`serving.db.models.WeeklyRun`), besides the model version.
_COLUMNS = (
    "extraction_path",
    "extraction_sha256",
    "features_path",
    "features_sha256",
    "contributions_path",
    "contributions_sha256",
)

Artifact = Literal["record", "extraction", "features", "contributions"]
Problem = Literal["not_recorded", "missing", "altered", "purged"]
_WORDS: dict[Problem, str] = {
    "not_recorded": "written before its data were recorded; score the week again",
    "purged": "removed by the retention rule (vigie purge); only its counts are kept",
    "missing": "missing; score the week again",
    "altered": "altered since the week was scored (not the content recorded with it)",
}
_ARTIFACTS: dict[Artifact, str] = {
    "record": "record",
    "extraction": "extraction",
    "features": "feature snapshot",
    "contributions": "contributions",
}


class WeekDataUnavailable(Conflict):
    """A week's recorded data cannot be read as the week recorded them: `artifact` (the
    record itself, the extraction, the feature snapshot, the contributions) is `problem`
    (not recorded, missing, altered). The message names the week and the artifact, never a
    student."""

    def __init__(self, week: dt.date, artifact: Artifact, problem: Problem) -> None:
        self.week = week
        self.artifact = artifact
        self.problem = problem
        what = "" if artifact == "record" else f", {_ARTIFACTS[artifact]}"
        super().__init__(f"week of {week.isoformat()}{what}: {_WORDS[problem]}")


# --- hashing, remembered per file identity -----------------------------------------------

_HASHES: dict[Hashable, str] = {}
_HASHES_LOCK = threading.Lock()
_HASHES_KEPT = 256


def _identity(path: Path) -> tuple[str, int, int, int, int]:
    status = path.stat()
    return (str(path.resolve()), status.st_size, status.st_mtime_ns, status.st_ctime_ns,
            status.st_ino)  # fmt: skip


def _remembered(key: Hashable, compute: Callable[[], str]) -> str:
    with _HASHES_LOCK:
        known = _HASHES.get(key)
    if known is not None:
        return known
    value = compute()
    with _HASHES_LOCK:
        if len(_HASHES) >= _HASHES_KEPT:
            _HASHES.pop(next(iter(_HASHES)))
        _HASHES[key] = value
    return value


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    path = Path(path)
    return _remembered(("file", _identity(path)), lambda: bytes_sha256(path))


def folder_sha256(folder: str | Path) -> str:
    """SHA-256 of a folder of Parquet files (a snapshot written one file per partition by
    `vigie score --cluster`): of each file's name and SHA-256, in name order."""
    files = sorted(Path(folder).glob("*.parquet"))
    return sha256_of({path.name: file_sha256(path) for path in files})


def partitions_sha256(fingerprints: Mapping[str, str]) -> str:
    """The fingerprint of an extraction partitioned by académie, from each partition's
    (`extraction_sha256` of its folder) by name."""
    return sha256_of(dict(sorted(fingerprints.items())))


def extraction_sha256(directory: str | Path) -> str:
    """The extraction's fingerprint (`training.tracking.data_fingerprint`: its contract
    tables and CSV format overrides), as training runs record it; for an extraction
    partitioned by académie, of each partition's fingerprint by name."""
    from features.partitions import find_partitions
    from training.tracking import data_fingerprint

    directory = Path(directory)
    partitions = find_partitions(directory)
    if partitions[0].name is not None:
        return partitions_sha256({str(p.name): extraction_sha256(p.path) for p in partitions})
    files = tuple(sorted(_identity(p) for p in directory.iterdir() if p.is_file()))
    return _remembered(("extraction", files), lambda: str(data_fingerprint(directory)["sha256"]))


# --- what a week records, and reading it back ---------------------------------------------


@dataclass(frozen=True)
class WeekLineage:
    """What a week's lists were made from: the model version, the extraction (folder and
    fingerprint), the feature snapshot and the contributions (path and SHA-256 of each)."""

    week: dt.date
    as_of: dt.date
    model_version: str
    extraction_path: str
    extraction_sha256: str
    features_path: str
    features_sha256: str
    contributions_path: str
    contributions_sha256: str

    @property
    def folder(self) -> Path:
        """The folder holding the week's snapshot and contributions."""
        return Path(self.features_path).parent

    def columns(self) -> dict[str, str]:
        """The store columns recording this lineage (`WeeklyRun`)."""
        return {name: getattr(self, name) for name in _COLUMNS}

    def features(
        self,
        *,
        uai: str | None = None,
        student_id: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The week's feature rows (of one establishment, one student), as scored: keys,
        context and features; `columns` only when given."""
        path = self._verified("features", self.features_path, self.features_sha256)
        return _read(path, uai, student_id, columns)

    def feature_parts(self) -> tuple[list[str], Iterator[pd.DataFrame]]:
        """The week's feature rows one part at a time (a partitioned week's snapshot holds
        one file per académie; a week scored in one folder, one file), checked against their
        hash first: the columns, and the parts in file-name order, each read when asked for."""
        path = self._verified("features", self.features_path, self.features_sha256)
        files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        columns = pq.read_schema(files[0]).names if files else []
        return columns, (pq.read_table(file).to_pandas() for file in files)

    def contributions(
        self, *, uai: str | None = None, student_id: str | None = None
    ) -> pd.DataFrame:
        """Per listed student (`student_id`, `uai`): each model feature's contribution in
        log-odds and `base_value`; a row sums to the student's raw score that week."""
        path = self._verified("contributions", self.contributions_path, self.contributions_sha256)
        return _read(path, uai, student_id, None)

    def extraction(self) -> Path:
        """The extraction folder the week was scored from, still as it was then."""
        directory = Path(self.extraction_path)
        if not directory.is_dir():
            raise WeekDataUnavailable(self.week, "extraction", "missing")
        if extraction_sha256(directory) != self.extraction_sha256:
            raise WeekDataUnavailable(self.week, "extraction", "altered")
        return directory

    def extraction_of(self, uai: str) -> Path:
        """The folder holding establishment `uai`'s data in the extraction the week was
        scored from (checked as `extraction` checks it): the extraction itself when it is one
        folder; for one partitioned by académie, the partition whose establishments table
        lists `uai`. NotFound when no partition does (never another académie's folder)."""
        directory = self.extraction()
        index = _establishment_index(directory, self.extraction_sha256)
        if index is None:
            return directory
        if uai not in index:
            raise NotFound(
                f"establishment {uai} is in no partition of the extraction of the week of "
                f"{self.week.isoformat()}"
            )
        return index[uai]

    def extractions_of(self, uais: Iterable[str]) -> list[Path]:
        """The folders holding the data of the establishments `uais` (checked as `extraction`
        checks it), each once, in name order: the extraction itself when it is one folder;
        for one partitioned by académie, the partitions listing at least one of them. NotFound
        when none does."""
        directory = self.extraction()
        index = _establishment_index(directory, self.extraction_sha256)
        if index is None:
            return [directory]
        wanted = sorted(set(uais))
        folders = sorted({index[uai] for uai in wanted if uai in index})
        if not folders:
            raise NotFound(
                f"none of the establishments {', '.join(wanted[:5])} is in a partition of the "
                f"extraction of the week of {self.week.isoformat()}"
            )
        return folders

    def verify(self) -> None:
        """Every artifact is there with its recorded content (raises otherwise)."""
        self._verified("features", self.features_path, self.features_sha256)
        self._verified("contributions", self.contributions_path, self.contributions_sha256)
        self.extraction()

    def _verified(self, artifact: Artifact, path: str, sha256: str) -> Path:
        file = Path(path)
        if not (file.is_file() or file.is_dir()):
            raise WeekDataUnavailable(self.week, artifact, "missing")
        try:
            actual = folder_sha256(file) if file.is_dir() else file_sha256(file)
        except FileNotFoundError:  # removed between the check and the hash
            raise WeekDataUnavailable(self.week, artifact, "missing") from None
        if actual != sha256:
            raise WeekDataUnavailable(self.week, artifact, "altered")
        return file


def _read(
    path: Path, uai: str | None, student_id: str | None, columns: Sequence[str] | None
) -> pd.DataFrame:
    filters = [(name, "==", value) for name, value in (("uai", uai), ("student_id", student_id))
               if value is not None]  # fmt: skip
    table = pq.read_table(path, columns=list(columns) if columns else None, filters=filters or None)
    return table.to_pandas()


@lru_cache(maxsize=8)
def _establishment_index(directory: Path, fingerprint: str) -> dict[str, Path] | None:
    """For an extraction partitioned by académie, the partition folder of each establishment
    its partitions' establishments tables list (read through the one extraction reader, CSV
    or Parquet); None for a single folder. Kept per extraction identity (folder and
    fingerprint, checked by the caller just before): every page read would otherwise re-read
    each partition's establishments. Conflict when two partitions list one establishment."""
    del fingerprint  # the cache key: the extraction as it was checked
    from features.extraction import open_extraction
    from features.partitions import find_partitions

    partitions = find_partitions(directory)
    if partitions[0].name is None:
        return None
    index: dict[str, Path] = {}
    for partition in partitions:
        with open_extraction(partition.path, tables=("establishments",)) as extraction:
            if "establishments" not in extraction.files:
                raise NotFound(f"partition {partition.label} has no readable establishments table")
            uais = extraction.con.execute(
                "SELECT DISTINCT CAST(uai AS VARCHAR) FROM establishments WHERE uai IS NOT NULL"
            ).fetchall()
        for (uai,) in uais:
            if uai in index:
                raise Conflict(
                    f"establishment {uai} is listed by two partitions "
                    f"({index[uai].name}, {partition.label}) of the extraction {directory}"
                )
            index[uai] = partition.path
    return index


def lineage_of(run: WeeklyRun) -> WeekLineage | None:
    """The lineage a stored week records; None for a week written before lineage."""
    values = {name: getattr(run, name) for name in _COLUMNS}
    if any(value is None for value in values.values()):
        return None
    return WeekLineage(run.week, run.as_of, run.model_version, **values)


def written_run(session: Session, week: dt.date | None) -> WeeklyRun:
    """The stored run of the week of `week` (its Monday; None: the latest week written):
    NotFound when no list was written that week."""
    monday = (
        session.scalar(select(func.max(WeeklyRun.week)))
        if week is None
        else monday_on_or_before(week)
    )
    run = None if monday is None else session.get(WeeklyRun, monday)
    if run is None:
        when = "any week" if monday is None else f"the week of {monday.isoformat()}"
        raise NotFound(f"no list was written for {when}")
    return run


def recorded_week(session: Session, week: dt.date | None) -> WeekLineage:
    """The lineage of the week of `week` (its Monday; None: the latest week written):
    NotFound when no list was written that week, `WeekDataUnavailable` when the week was
    written before lineage or purged by the retention rule."""
    run = written_run(session, week)
    if run.purged_at is not None:
        raise WeekDataUnavailable(run.week, "record", "purged")
    lineage = lineage_of(run)
    if lineage is None:
        raise WeekDataUnavailable(run.week, "record", "not_recorded")
    return lineage


# --- writing a week's artifacts -----------------------------------------------------------


def weeks_folder(home: str | Path) -> Path:
    """Where the weeks' artifacts live: `<home>/weeks/<as_of>/<stamp>/`."""
    return Path(home) / WEEKS_FOLDER


@dataclass
class StagedWeek:
    """A week's artifacts written in their own folder, not yet recorded: the snapshot now,
    the contributions of the listed students when the write knows them (`finish`)."""

    folder: Path
    as_of: dt.date
    model_version: str
    extraction_path: str
    extraction_sha256: str
    features_path: Path
    features_sha256: str
    _frame: pd.DataFrame = field(repr=False)
    _model: RiskModel = field(repr=False)
    _known: pd.DataFrame | None = field(default=None, repr=False)

    def knowing(self, contributions: pd.DataFrame) -> StagedWeek:
        """This week, `finish` taking the contributions of the students it lists from
        `contributions` (of students of the snapshot, computed by the same model: `student_id`,
        `uai`, then the model's columns, as `finish` writes them) rather than computing them
        again; those of a listed student it lacks are computed as usual."""
        self._known = contributions
        return self

    def finish(self, listed: Iterable[tuple[str, str]]) -> WeekLineage:
        """Write the contributions of the `listed` (uai, student_id) pairs and return the
        lineage to record. A pair the snapshot does not hold is an error."""
        from features.store import atomic_file

        frame = self._frame
        pairs = sorted(set(listed))
        position = row_positions(frame, {student_id for _, student_id in pairs})
        unknown = [pair for pair in pairs if pair not in position]
        if unknown:
            raise ValueError(f"listed students not in the week's snapshot: {unknown[:5]}")
        values = self._contributions(pairs, position)
        path = self.folder / CONTRIBUTIONS_FILE
        with atomic_file(path) as temporary:
            pq.write_table(pa.Table.from_pandas(values, preserve_index=False), temporary)
        return WeekLineage(
            monday_on_or_before(self.as_of),
            self.as_of,
            self.model_version,
            self.extraction_path,
            self.extraction_sha256,
            str(self.features_path),
            self.features_sha256,
            str(path),
            file_sha256(path),
        )

    def discard(self) -> None:
        """Remove the staged folder (the write did not record it)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _contributions(
        self, pairs: list[tuple[str, str]], position: dict[tuple[str, str], int]
    ) -> pd.DataFrame:
        """The contributions of `pairs` (at `position` in the snapshot), in that order: the
        known ones taken, the others computed (a row's values do not depend on the rows
        computed with it)."""
        from models.contributions import contributions

        known = self._known
        at = {} if known is None else _pair_rows(known)
        missing = [pair for pair in pairs if pair not in at]
        if missing:
            rows = self._frame.iloc[[position[pair] for pair in missing]]
            computed = contributions_table(contributions(self._model, rows), missing)
            start = 0 if known is None else len(known)
            at |= {pair: start + row for row, pair in enumerate(missing)}
            known = computed if known is None else pd.concat([known, computed], ignore_index=True)
        assert known is not None
        return known.iloc[[at[pair] for pair in pairs]].reset_index(drop=True)


def contributions_table(values: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """`values`, the contributions of the (uai, student_id) `pairs` (a row each, in that
    order: `RiskModel.contributions`' columns), as the week's contributions file holds them:
    `student_id`, `uai`, then those columns."""
    table = values.reset_index(drop=True)
    table.insert(0, "uai", [uai for uai, _ in pairs])
    table.insert(0, "student_id", [student_id for _, student_id in pairs])
    return table


def _pair_rows(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    """The row of each (uai, student_id) pair of `frame` (its `uai` and `student_id`)."""
    pairs = zip(frame["uai"].astype(str), frame["student_id"].astype(str), strict=True)
    return {pair: row for row, pair in enumerate(pairs)}


def stage_week(
    home: str | Path,
    as_of: dt.date,
    feature_set: FeatureSet,
    extraction: str | Path,
    model: RiskModel,
    model_version: str,
) -> StagedWeek:
    """Write the snapshot of `feature_set` (the week's rows scored by `model`, from
    `extraction`) in a fresh folder under `<home>/weeks/<as_of>/`."""
    folder = new_week_folder(home, as_of)
    try:
        directory = Path(extraction).resolve()
        fingerprint = extraction_sha256(directory)
        path = folder.resolve() / FEATURES_FILE
        digest = write_snapshot(feature_set, path)
        return StagedWeek(folder.resolve(), as_of, model_version, str(directory), fingerprint,
                          path, digest, feature_set.frame, model)  # fmt: skip
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def new_week_folder(home: str | Path, as_of: dt.date) -> Path:
    """A fresh folder `<home>/weeks/<as_of>/<stamp>/` for a week's artifacts."""
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"
    folder = weeks_folder(home) / as_of.isoformat() / stamp
    folder.mkdir(parents=True)
    return folder


def write_snapshot(feature_set: FeatureSet, path: Path) -> str:
    """Write the week's snapshot of `feature_set` to `path` (atomically) and return its
    SHA-256. Kept for the pages about the week: no sensitive attribute (fairness audits
    rebuild them from the extraction), names never were in a feature set. In establishment
    order, a row group per `_GROUP_ROWS` rows: a page reading one establishment's or one
    student's rows skips the row groups whose statistics exclude it."""
    from features.feature_set import FeatureSet as Features
    from features.store import write_grouped_features

    # (A feature set is in student order: a stable sort by establishment keeps it within.)
    write_grouped_features(
        Features(
            feature_set.frame.drop(columns=list(feature_set.sensitive_columns)),
            key_columns=feature_set.key_columns,
            context_columns=feature_set.context_columns,
            feature_columns=feature_set.feature_columns,
            sensitive_columns=(),
        ),
        path,
        order_by="uai",
        group_rows=_GROUP_ROWS,
    )
    return file_sha256(path)


def remove_superseded(previous: WeekLineage | None, current: WeekLineage | None) -> None:
    """After a week's write committed: remove the folder of the artifacts it replaced, if
    it is a week folder (`<...>/weeks/<as_of>/<stamp>`) other than the current one."""
    if previous is None:
        return
    folder = previous.folder
    if current is not None and folder == current.folder:
        return
    if (
        folder.parent.name == previous.as_of.isoformat()
        and folder.parent.parent.name == WEEKS_FOLDER
    ):
        shutil.rmtree(folder, ignore_errors=True)
