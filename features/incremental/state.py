"""The state a weekly run keeps for the next one, per partition, under the Vigie home.

`<home>/weekly-state/<partition>/state.json` says what the last written week validated: its
as-of date, the model that scored it, the DuckDB version that computed the fingerprints, the
digest of the validation and feature code (`features.incremental.code_digest`), and,
for each event table validated incrementally (`INCREMENTAL_TABLES`), the count and the
fingerprint of its rows dated before that as-of date, and the establishments' fingerprint.
Beside it, `students-<as_of>.parquet` holds one fingerprint per student of their `students`
and `enrollments` rows, so that the next week checks the rows of those tables, and the
references of the old events, of the students whose rows changed only, and each student's
row of the lookup the events' references are checked against (whether the student is
listed, the days their enrollments cover), which the next week makes again for those
students only.
Since version 2, it also keeps the event sums the week's features were built from (one
Parquet file per step of `features.incremental.event_sums`: attendance days, grade sums),
from which next week's features add only the new week's events.
The JSON file is written last, to a temporary name then renamed: a run killed while saving
leaves the previous state whole (or none), never a mix. The state holds pseudonymous ids,
hashes, dates and the sums of each student's absences and marks, never a name or a cell of
text; it is personal data like the week's feature snapshot (`serving.lineage`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from features.jsonio import file_sha256
from wording.weekly_run import validation_line

__all__ = [
    "STATE_FILE",
    "STATE_FOLDER",
    "FullReason",
    "KeptSums",
    "TableState",
    "WeekState",
    "load_state",
    "remove_prepared",
    "save_state",
    "state_folder",
]

STATE_FOLDER = "weekly-state"
STATE_FILE = "state.json"
# 2: the event sums kept for the features (`sums`); a version 1 state has none. 3: the
# per-student fingerprints are sums, not exclusive ors, of the rows' hashes (of a Parquet
# file's typed columns, not of their text), and `tables` holds the establishments'
# fingerprint: the students' and enrollments' rows of the students whose rows changed are the
# only ones checked again. 4: the per-student file also holds each student's row of the
# validation's student lookup (known, the spans of their enrollments), made again for the
# students whose rows changed only. An earlier version is read, to say why it is not used.
_VERSION = 4
_READ_VERSIONS = (1, 2, 3, 4)


@dataclass(frozen=True)
class KeptSums:
    """The event sums the features of the as-of date `as_of` were built from (events dated
    before it; `features.incremental.event_sums`): a Parquet file per step (`files`), and the
    first attendance day and first mark's day that date read."""

    as_of: dt.date
    attendance_from: dt.date
    grades_from: dt.date
    files: dict[str, Path]


@dataclass(frozen=True)
class TableState:
    """An event table's rows dated before the state's as-of date: how many, and the sum of
    their row hashes (exact, as a decimal string)."""

    rows: int
    fingerprint: str


@dataclass(frozen=True)
class WeekState:
    """What the week `as_of` validated in the partition `partition`."""

    partition: str
    as_of: dt.date
    model: str
    engine: str  # the DuckDB version: row hashes are compared only within one version
    tables: dict[str, TableState]
    students_file: str  # the per-student fingerprints, beside state.json
    # The event sums of the week's features, files beside state.json: the first attendance
    # day, the first mark's day, and a file name per step (None: no sums kept).
    sums: dict[str, object] | None = None
    version: int = _VERSION  # of the state read; a state is always written at `_VERSION`
    # The digest of the validation and feature code that wrote it
    # (`features.incremental.code_digest`; empty in a state written before it was kept).
    code: str = ""

    @property
    def current(self) -> bool:
        """Whether the state was written by this version of Vigie's state format."""
        return self.version == _VERSION

    def to_json(self) -> dict[str, object]:
        return {
            "version": _VERSION,
            "partition": self.partition,
            "as_of": self.as_of.isoformat(),
            "model": self.model,
            "engine": self.engine,
            "tables": {
                name: {"rows": table.rows, "fingerprint": table.fingerprint}
                for name, table in sorted(self.tables.items())
            },
            "students_file": self.students_file,
            "sums": self.sums,
            "code": self.code,
        }

    def kept_sums(self, folder: Path) -> KeptSums | None:
        """The event sums kept in `folder`: None when there are none, or a file is gone or
        not the one written then (its SHA-256 recorded in the state: a damaged or truncated
        file, not an attacker, who could rewrite both)."""
        if self.sums is None:
            return None
        files, digests = self.sums["files"], self.sums.get("sha256")
        assert isinstance(files, dict)
        if not isinstance(digests, dict) or set(digests) != set(files):
            return None
        paths = {str(step): folder / str(name) for step, name in files.items()}
        for step, path in paths.items():
            if not path.is_file() or file_sha256(path) != digests[step]:
                return None
        return KeptSums(
            self.as_of,
            dt.date.fromisoformat(str(self.sums["attendance_from"])),
            dt.date.fromisoformat(str(self.sums["grades_from"])),
            paths,
        )

    @classmethod
    def from_json(cls, data: dict[str, object]) -> WeekState:
        if data.get("version") not in _READ_VERSIONS:
            raise ValueError(f"state version {data.get('version')!r}, expected {_VERSION}")
        tables = data["tables"]
        assert isinstance(tables, dict)
        sums = data.get("sums")
        assert sums is None or isinstance(sums, dict)
        return cls(
            partition=str(data["partition"]),
            as_of=dt.date.fromisoformat(str(data["as_of"])),
            model=str(data["model"]),
            engine=str(data["engine"]),
            tables={
                str(name): TableState(int(value["rows"]), str(value["fingerprint"]))
                for name, value in tables.items()
            },
            students_file=str(data["students_file"]),
            sums=sums,
            version=int(str(data["version"])),
            code=str(data.get("code", "")),
        )


def state_folder(home: str | Path, partition: str) -> Path:
    """Where the state of `partition` is kept (`extraction` for a single-folder one)."""
    return Path(home) / STATE_FOLDER / partition


@dataclass(frozen=True)
class FullReason:
    """Why a week is validated whole: a code of `wording.weekly_run.FULL_REASONS` and its
    details (dates, table, counts, never a cell)."""

    code: str
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return validation_line("full", "en", reason=self.code, details=self.details)


def load_state(home: str | Path, partition: str) -> tuple[WeekState | None, FullReason | None]:
    """The partition's state, or None with the reason it cannot be used (missing, unreadable,
    its per-student file gone)."""
    folder = state_folder(home, partition)
    path = folder / STATE_FILE
    if not path.is_file():
        return None, FullReason("no_state")
    try:
        state = WeekState.from_json(json.loads(path.read_text("utf-8")))
    except (ValueError, KeyError, TypeError, AssertionError) as error:
        del error
        return None, FullReason("unreadable_state")
    if state.partition != partition:
        return None, FullReason("other_partition", {"partition": state.partition})
    if not (folder / state.students_file).is_file():
        return None, FullReason("students_missing")
    return state, None


def remove_prepared(home: str | Path, partition: str, token: str) -> None:
    """Remove the partition's files prepared by the run `token` and not kept (hidden
    temporary files: a week not written, or a task run again after its worker died)."""
    for path in state_folder(home, partition).glob(f".*{token}.parquet"):
        path.unlink(missing_ok=True)


def save_state(
    home: str | Path, state: WeekState, students: Path, sums: KeptSums | None = None
) -> None:
    """Keep `state` for the partition, `students` (a Parquet file written by the caller in a
    temporary place) and the files of `sums` (written the same way) moved beside it; the
    previous state's files are removed once the new JSON is in place."""
    folder = state_folder(home, state.partition)
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(students, folder / state.students_file)
    names: dict[str, str] = {}
    if sums is not None:
        names = {step: f"{step}-{state.as_of.isoformat()}.parquet" for step in sums.files}
        for step, path in sums.files.items():
            os.replace(path, folder / names[step])
        state = replace(state, sums={
            "attendance_from": sums.attendance_from.isoformat(),
            "grades_from": sums.grades_from.isoformat(),
            "files": names,
            "sha256": {step: file_sha256(folder / name) for step, name in names.items()},
        })  # fmt: skip
    temporary = folder / f".{STATE_FILE}.{secrets.token_hex(4)}"
    temporary.write_text(json.dumps(state.to_json(), indent=2), "utf-8")
    os.replace(temporary, folder / STATE_FILE)
    kept = {state.students_file, *names.values()}
    for old in folder.glob("*.parquet"):
        if old.name not in kept and not old.name.startswith("."):  # another run's temporaries
            old.unlink(missing_ok=True)
