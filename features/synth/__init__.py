"""The synthetic académie: the embedded default data of Vigie.

A deterministic generator of extraction folders that follow the data contract
(`features.contract`) and look like a real académie to a watch unit: establishments of each
kind, students progressing from year to year, absences on class days, marks, exams, and
dropouts preceded by a rising disengagement. Every rate lives in `academie.yaml` beside this
package, with its source.

    tables = generate_academie(load_config(overrides={"students": 2000}))
    write_extraction(tables, "var/demo/extraction", file_format="parquet")
    synthesize("var/demo/extraction", seed=7)   # both steps at once
"""

from features.synth.config import DEFAULT_CONFIG_PATH, SCENARIOS, SynthConfig, load_config
from features.synth.generator import SynthSummary, generate_academie, synthesize
from features.synth.summary import calibration_report
from features.synth.writer import FileFormat, write_extraction

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "SCENARIOS",
    "FileFormat",
    "SynthConfig",
    "SynthSummary",
    "calibration_report",
    "generate_academie",
    "load_config",
    "synthesize",
    "write_extraction",
]
