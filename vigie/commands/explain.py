"""The `vigie explain` command: one student's score and the reasons behind it.

For data scientists and inspectors checking a case. It validates the extraction, builds the
features of every student enrolled on the date with the one feature builder (the reference
points are medians of the student's establishment, or of the académie, that week), loads the
registered model and prints the calibrated risk, the student's rank in the establishment's
week, the reasons that raise the risk and the protective factors (own signals only, each
compared with the class or the level and weighed in probability points), and the context
(level, track, establishment) apart with its weight.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from features.jsonio import dumps
from vigie.commands.common import (
    QuietOption,
    console,
    language_of,
    parse_date,
    progress_for,
    user_errors,
)

if TYPE_CHECKING:
    from features.extraction import Extraction
    from features.feature_set import FeatureSet
    from models.explanations import Explanations
    from serving.scoring import RegisteredModel

__all__ = ["explain", "register"]

_WORDS = {
    "fr": {
        "title": "Élève {student_id} au {as_of}, établissement {uai} ({level}, classe {class_id})",
        "risk": "Risque de décrochage : {risk} (score brut {raw}), rang {rank} sur {peers} "
        "élèves de l'établissement cette semaine (capacité d'entretiens : {capacity})",
        "model": "Modèle {name} version {version} ({how})",
        "why": "Ce qui augmente le risque",
        "protective": "Facteurs protecteurs",
        "context": "Contexte (jamais une raison d'inviter)",
        "reason": "Raison",
        "context_feature": "Contexte",
        "weight": "Poids",
        "none": "aucun",
    },
    "en": {
        "title": "Student {student_id} on {as_of}, establishment {uai} ({level}, class {class_id})",
        "risk": "Dropout risk: {risk} (raw score {raw}), rank {rank} of {peers} students of "
        "the establishment this week (interview capacity: {capacity})",
        "model": "Model {name} version {version} ({how})",
        "why": "What raises the risk",
        "protective": "Protective factors",
        "context": "Context (never a reason to invite)",
        "reason": "Reason",
        "context_feature": "Context",
        "weight": "Weight",
        "none": "none",
    },
}


def load_registered_model(version: str | None, name: str | None = None) -> RegisteredModel:
    """Version `version` (a number or an alias) of `name` (default: the settings' model
    name), else the `champion`: the weekly lists' loader and rule
    (`serving.scoring.load_registered_model`). ValueError with a clear message when there is
    none. Tracking must be set up (`training.tracking.setup_tracking`)."""
    from serving.scoring import ModelUnavailable
    from serving.scoring import load_registered_model as load

    try:
        if version is not None and version.isdigit():
            return load(version=version, name=name)
        return load(alias=version, name=name)
    except ModelUnavailable as error:
        hint = " (a model not yet promoted: --model challenger)" if version is None else ""
        raise ValueError(f"no registered model: {error}{hint}") from None


def student_week(data: str | Path, as_of: dt.date, student: str) -> tuple[FeatureSet, int, int]:
    """Validate the extraction, build the features of every student enrolled on `as_of`,
    and find `student` among them: (features, the student's row position, the weekly interview
    capacity of the student's establishment). ValueError for an unknown student or one not
    enrolled on that date; InvalidExtractionError for an invalid extraction."""
    from features.builder import build_features
    from features.validation import require_valid

    with require_valid(data) as extraction:
        if not _known(extraction, student):
            raise ValueError(f"unknown student {student!r}: not in the students table")
        feature_set = build_features(extraction, [as_of])
        positions = (feature_set.frame["student_id"] == student).to_numpy().nonzero()[0]
        if len(positions) == 0:
            raise ValueError(
                f"student {student!r} is not enrolled on {as_of.isoformat()}"
                f"{_enrollments(extraction, student)}"
            )
        position = int(positions[0])
        uai = str(feature_set.frame["uai"].iloc[position])
        capacity = extraction.con.execute(
            "SELECT weekly_interview_capacity FROM establishments WHERE uai = ?", [uai]
        ).fetchone()
    return feature_set, position, int(capacity[0]) if capacity else 0


def _known(extraction: Extraction, student: str) -> bool:
    found = extraction.con.execute(
        "SELECT count(*) FROM students WHERE student_id = ?", [student]
    ).fetchone()
    return bool(found and found[0])


def _enrollments(extraction: Extraction, student: str) -> str:
    rows = extraction.con.execute(
        "SELECT uai, start_date, end_date FROM enrollments WHERE student_id = ? "
        "ORDER BY start_date",
        [student],
    ).fetchall()
    if not rows:
        return " (no enrollment)"
    spans = [f"{uai} {start} to {end or 'now'}" for uai, start, end in rows]
    return f" (enrollments: {'; '.join(spans)})"


def explanation_payload(
    explained: Explanations, feature_set: FeatureSet, model: RegisteredModel, capacity: int,
    all_risk: Any,
) -> dict[str, Any]:  # fmt: skip
    """The JSON document of `vigie explain --json`: the student's record (keys, risk, raw
    score, reasons, protective factors), rank in the establishment's week (the weekly list's
    order, `models.ranking`, on `all_risk`: every row's calibrated risk), and the model."""
    from models.ranking import list_ranks

    record = explained.to_records()[0]
    frame = feature_set.frame
    row = record.pop("row")
    peers = (frame["uai"] == frame["uai"].iloc[row]).to_numpy()
    rank = int(list_ranks(all_risk, frame["student_id"], frame["uai"])[row])
    context = {column: _plain(frame[column].iloc[row]) for column in ("level", "track", "class_id")}
    return {
        **record,
        **context,
        "rank_in_establishment": rank,
        "students_in_establishment": int(peers.sum()),
        "weekly_interview_capacity": capacity,
        "on_the_list": rank <= capacity,
        "model": {
            "name": model.name,
            "version": model.version,
            "chosen_as": model.chosen_as,
            "model_hash": model.model.model_hash_,
        },
        "language": explained.language,
    }


def _plain(value: Any) -> Any:
    return None if value is None or value != value else str(value)


def explain(
    data: Annotated[Path, typer.Option(help="Extraction folder (CSV or Parquet tables).")],
    as_of: Annotated[str, typer.Option("--as-of", help="As-of date YYYY-MM-DD (a Monday).")],
    student: Annotated[str, typer.Option(help="Pseudonymous student id.")],
    model_version: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Registered version (number or alias, e.g. challenger); default: champion.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the reasons: fr or en.")] = "fr",
    top: Annotated[int, typer.Option(min=1, max=10, help="Reasons shown of each kind.")] = 3,
    quiet: QuietOption = False,
) -> None:
    """Print a student's dropout risk on a date and the reasons behind it (SHAP, worded from
    the feature catalog with the class's or the level's median for reference, weighed in
    probability points), the context apart."""
    from settings import load_settings
    from training.tracking import setup_tracking

    language = language_of(lang)
    with user_errors(), progress_for(quiet, lang) as progress:  # progress on stderr
        date = parse_date(as_of)
        setup_tracking(load_settings().home)
        progress.stage("model")
        loaded = load_registered_model(model_version)
        progress.stage("student_features")
        feature_set, position, capacity = student_week(data, date, student)
        progress.stage("reasons")
        explained = loaded.model.explain(
            feature_set,
            top=top,
            language=language,
            rows=[position],
        )
        all_risk = loaded.model.score(feature_set)
        payload = explanation_payload(explained, feature_set, loaded, capacity, all_risk)
    if as_json:
        typer.echo(dumps(payload, ascii=False, indent=2))
        return
    _print(payload, lang)


def _print(payload: dict[str, Any], lang: str) -> None:
    from rich.table import Table

    from wording import numbers

    words = _WORDS[lang]
    console.print(words["title"].format(**payload), style="bold", markup=False)
    language: Any = lang
    risk = numbers.percent(payload["risk"], language, 1, trim=True)
    console.print(
        words["risk"].format(
            risk=risk,
            raw=numbers.number(payload["raw_score"], language, 2, trim=True),
            rank=payload["rank_in_establishment"],
            peers=payload["students_in_establishment"],
            capacity=payload["weekly_interview_capacity"],
        ),
        markup=False,
    )
    model = payload["model"]
    console.print(words["model"].format(name=model["name"], version=model["version"],
                                        how=model["chosen_as"]), markup=False)  # fmt: skip
    for key, listed in (("why", "reasons"), ("protective", "protective"), ("context", "context")):
        table = Table(title=words[key], title_justify="left", show_lines=False)
        table.add_column("#", justify="right")
        table.add_column(words["context_feature" if key == "context" else "reason"])
        table.add_column(words["weight"], justify="right")
        table.add_column("SHAP", justify="right")
        for rank, reason in enumerate(payload[listed], start=1):
            table.add_row(
                str(rank),
                reason["text"],
                reason["weight_text"],
                numbers.number(reason["contribution"], language, 3, signed=True),
            )
        if not payload[listed]:
            table.add_row("-", words["none"], "", "")
        console.print(table)
    console.print(payload["context_text"], markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command()(explain)
