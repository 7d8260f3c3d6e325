"""A local copy of each registered model version the weekly run loaded, by version and hash.

Loading a version through MLflow (`models.registry.load_model`: the pyfunc wrapper, its
artifacts copied out of the artifact store, its environment checked) costs seconds every
Monday for a model that rarely changes. The weekly run still asks the registry which version
the alias names (`models.registry.resolve`), and reads that version's identity
(`models.registry.model_hash`, recorded in its MLmodel metadata); the model itself comes from
`<home>/model-cache/<name>/<version>-<hash>.pickle` when a previous run left it there, its
SHA-256 checked against the file beside it. A version without a recorded identity is never
cached; a cached file that is missing, altered or unreadable is loaded again from the
registry and rewritten (temporary name, then renamed: never a half-written model).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.risk_model import RiskModel

__all__ = ["CACHE_FOLDER", "cached_model"]

CACHE_FOLDER = "model-cache"


def _files(home: str | Path, name: str, version: str, identity: str) -> tuple[Path, Path]:
    stem = f"{version}-{identity[:32]}"
    folder = Path(home) / CACHE_FOLDER / name
    return folder / f"{stem}.pickle", folder / f"{stem}.sha256"


def cached_model(
    home: str | Path,
    name: str,
    version: str,
    identity: str | None,
    load: Callable[[], RiskModel],
) -> tuple[RiskModel, bool]:
    """The model of `name` version `version` whose identity is `identity`: from the cache
    under `home` when it holds it intact, else `load()` (then cached). Returns the model and
    whether it came from the cache."""
    from models.risk_model import RiskModel

    if not identity or not identity.isalnum():
        return load(), False
    model_file, digest_file = _files(home, name, version, identity)
    try:
        data = model_file.read_bytes()
        if hashlib.sha256(data).hexdigest() == digest_file.read_text("ascii").strip():
            model = pickle.loads(data)  # the home's own file, its hash checked
            if isinstance(model, RiskModel):
                return model, True
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass  # absent or unreadable: loaded again below
    model = load()
    _write(model_file, digest_file, pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    return model, False


def _write(model_file: Path, digest_file: Path, data: bytes) -> None:
    model_file.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    for path, content in (
        (digest_file, hashlib.sha256(data).hexdigest().encode("ascii")),
        (model_file, data),
    ):
        temporary = path.with_name(f".{path.name}.{token}")
        temporary.write_bytes(content)
        os.replace(temporary, path)
