"""Several synthetic académies side by side: an extraction partitioned by académie
(`features.partitions`), written one académie at a time.

Each académie is the demo académie's configuration with its own name, departments (so that
establishment codes differ), student id prefix (so that no id is shared) and seed, derived
from the base seed and the académie's name: same base seed, same files. One process holds one
académie at a time (one after the other here, or one per Dask worker); they are written into
a temporary folder that replaces the output folder once every one is complete.

The académies are the metropolitan ones (Corse left out: its UAI codes do not start with a
department number), in a fixed order starting with Rennes, the demo's; their departments are
official, the equal weights between them an assumption.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from features.cluster import run_tasks
from features.folders import staged_folder
from features.partitions import partition_folder, require_replaceable
from features.synth.config import SynthConfig, load_config
from features.synth.generator import SynthSummary, synthesize

if TYPE_CHECKING:
    from distributed import Client

    from features.progress import Progress

__all__ = ["ACADEMIES", "academy_config", "academy_seed", "synthesize_academies"]

ACADEMIES: dict[str, tuple[str, ...]] = {
    "Rennes": ("22", "29", "35", "56"),
    "Nantes": ("44", "49", "53", "72", "85"),
    "Lille": ("59", "62"),
    "Versailles": ("78", "91", "92", "95"),
    "Creteil": ("77", "93", "94"),
    "Paris": ("75",),
    "Lyon": ("01", "42", "69"),
    "Grenoble": ("07", "26", "38", "73", "74"),
    "Aix-Marseille": ("04", "05", "13", "84"),
    "Nice": ("06", "83"),
    "Montpellier": ("11", "30", "34", "48", "66"),
    "Toulouse": ("09", "12", "31", "32", "46", "65", "81", "82"),
    "Bordeaux": ("24", "33", "40", "47", "64"),
    "Poitiers": ("16", "17", "79", "86"),
    "Limoges": ("19", "23", "87"),
    "Clermont-Ferrand": ("03", "15", "43", "63"),
    "Orleans-Tours": ("18", "28", "36", "37", "41", "45"),
    "Dijon": ("21", "58", "71", "89"),
    "Besancon": ("25", "39", "70", "90"),
    "Strasbourg": ("67", "68"),
    "Nancy-Metz": ("54", "55", "57", "88"),
    "Reims": ("08", "10", "51", "52"),
    "Amiens": ("02", "60", "80"),
    "Normandie": ("14", "27", "50", "61", "76"),
}


def academy_seed(base_seed: int, name: str) -> int:
    """The seed of académie `name`: a hash of the base seed and the name (32 bits)."""
    digest = hashlib.sha256(f"{base_seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def academy_config(base: SynthConfig, name: str) -> SynthConfig:
    """`base` as the académie `name` of `ACADEMIES`: its name, departments, id prefix and
    seed."""
    if name not in ACADEMIES:
        raise ValueError(f"unknown académie {name!r}; known: {', '.join(ACADEMIES)}")
    departments = ACADEMIES[name]
    weights = [round(1 / len(departments), 9)] * len(departments)
    weights[-1] = round(1 - sum(weights[:-1]), 9)
    settings = base.model_dump()
    settings["establishment_profile"]["departments"] = dict(zip(departments, weights, strict=True))
    settings.update(
        academie=name,
        seed=academy_seed(base.seed, name),
        student_id_prefix=f"S{list(ACADEMIES).index(name) + 1:02d}",
    )
    return SynthConfig.model_validate(settings)


def synthesize_academies(
    out_dir: str | Path,
    academies: int,
    *,
    seed: int | None = None,
    config: SynthConfig | None = None,
    client: Client | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> list[SynthSummary]:
    """Write the first `academies` académies of `ACADEMIES` as `academie=NAME/` folders of
    `out_dir`, each by `features.synth.synthesize` (`options` are its arguments, sizes per
    académie): one after the other here, or one task each on the workers of `client` (each
    worker holds the académie it writes). `seed` (default: the configuration's) is the base
    seed the académies' seeds derive from; the files are the same either way. `out_dir` is
    replaced only once every académie is written, and only if it holds nothing but
    partitions. `progress` follows the stages of each académie here, the académies written
    on a cluster."""
    if not 1 <= academies <= len(ACADEMIES):
        raise ValueError(f"--academies must be 1 to {len(ACADEMIES)}, not {academies}")
    base = config or load_config()
    if seed is not None:
        base = base.override(seed=seed)
    names = list(ACADEMIES)[:academies]
    out = Path(out_dir).resolve()
    require_replaceable(out)
    with staged_folder(out) as staging:
        folders = [staging / partition_folder(name) for name in names]
        configs = [academy_config(base, name) for name in names]
        if client is None:
            summaries = [
                _write_academy(folder, academy, {**options, "progress": progress})
                for folder, academy in zip(folders, configs, strict=True)
            ]
        else:
            if progress is not None:
                progress.stage("synth_academies", total=academies)
            summaries = run_tasks(
                client,
                _write_academy,
                [
                    (folder, academy, options)
                    for folder, academy in zip(folders, configs, strict=True)
                ],
                [f"synth-{folder.name}" for folder in folders],
                progress.advance if progress is not None else None,
            )
    by_folder = {summary.out_dir: summary for summary in summaries}
    return [_moved(by_folder[folder], out) for folder in folders]


def _write_academy(folder: Path, academy: SynthConfig, options: dict[str, Any]) -> SynthSummary:
    """One académie written into `folder` (the task a worker runs)."""
    return synthesize(folder, config=academy, **options)


def _moved(summary: SynthSummary, out: Path) -> SynthSummary:
    """`summary` with its folder inside `out` (where the staging folder went)."""
    return replace(summary, out_dir=out / summary.out_dir.name)
