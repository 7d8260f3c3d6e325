"""The model registry: the one module that talks to MLflow's registry.

The registered model is `vigie-dropout`; its alias `champion` names the version that writes the
weekly lists, `challenger` the latest trained one. One rule picks a version everywhere (weekly
run, API, `vigie explain`, dashboard, promotion): the version asked for by number (`3`), or by
alias (`challenger`), else the champion. There is no fallback: without a champion nothing is
picked and `RegistryError` says how to get one. Every lookup that fails raises `RegistryError`
(a `LookupError`) naming the model and the missing version or alias.

Functions take an `MlflowClient` (`registry_client`) so that callers keep one per store; the
client's tracking URI is also its registry URI. Reading a training run's artifacts (tracking,
not registry) goes through `download_artifact`. MLflow is imported lazily: importing this
module costs nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.risk_model import RiskModel

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "REGISTERED_MODEL",
    "RegistryError",
    "alias_version",
    "artifact_text",
    "download_artifact",
    "load_model",
    "mlflow_defaults",
    "model_hash",
    "model_uri",
    "register_version",
    "registry_client",
    "resolve",
    "set_alias",
    "tag_version",
    "versions_with_aliases",
]

REGISTERED_MODEL = "vigie-dropout"
CHAMPION = "champion"
CHALLENGER = "challenger"


class RegistryError(LookupError):
    """The registry has no such model, version or alias; the message says which, and how to
    get one."""


def mlflow_defaults() -> None:
    """MLflow's environment defaults, set once before it is imported: no usage telemetry
    (Vigie runs next to minors' data and makes no outbound call it does not need) and no
    progress bars. A variable already set wins."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def registry_client(tracking_uri: str | None = None) -> Any:
    """An `MlflowClient` on `tracking_uri` (tracking and registry), or on the URI MLflow was
    set up with (`training.tracking.setup_tracking`) when None."""
    mlflow_defaults()
    from mlflow.tracking import MlflowClient

    if tracking_uri is None:
        return MlflowClient()
    return MlflowClient(tracking_uri, registry_uri=tracking_uri)


def model_uri(name: str, wanted: str | int | None = None) -> str:
    """MLflow's URI of a registered version by the rule of `resolve`: `models:/<name>/3` for a
    number, `models:/<name>@<alias>` for an alias, the champion's for None."""
    wanted = CHAMPION if wanted is None else str(wanted)
    return f"models:/{name}/{wanted}" if wanted.isdigit() else f"models:/{name}@{wanted}"


def resolve(client: Any, name: str = REGISTERED_MODEL, wanted: str | int | None = None) -> Any:
    """The registered version (MLflow `ModelVersion`) of `name` that `wanted` names: a number
    is a version, anything else an alias, None the champion. `RegistryError` when the model,
    the version or the alias is missing."""
    from mlflow.exceptions import MlflowException

    wanted = CHAMPION if wanted is None else str(wanted)
    if not wanted:
        raise ValueError("a model version or alias cannot be empty")
    try:
        if wanted.isdigit():
            return client.get_model_version(name, wanted)
        return client.get_model_version_by_alias(name, wanted)
    except MlflowException:
        pass
    # Not found: say whether the model itself is missing (one more query, on failure only).
    try:
        client.get_registered_model(name)
    except MlflowException:
        raise RegistryError(
            f"no registered model {name}: train one with `vigie train`, then promote a "
            "version with `vigie promote`"
        ) from None
    if wanted.isdigit():
        raise RegistryError(f"{name} has no version {wanted}") from None
    hint = (
        "promote a version with `vigie promote`"
        if wanted == CHAMPION
        else f"set the alias {wanted} or name a version"
    )
    raise RegistryError(f"{name} has no {wanted} version: {hint}") from None


def alias_version(client: Any, name: str, alias: str) -> str | None:
    """The version number behind `alias`, or None when the alias (or the model) is unset."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def set_alias(client: Any, name: str, alias: str, version: str | int) -> None:
    """Point `alias` of `name` at `version`."""
    client.set_registered_model_alias(name, alias, str(version))


def tag_version(client: Any, name: str, version: str | int, tags: Mapping[str, str]) -> None:
    """Set `tags` on a registered version."""
    for key, value in tags.items():
        client.set_model_version_tag(name, str(version), key, value)


def register_version(
    client: Any, source_uri: str, name: str, tags: Mapping[str, str], alias: str | None = None
) -> Any:
    """Register the logged model at `source_uri` as a new version of `name` with `tags`, and
    point `alias` at it when given; the new `ModelVersion`."""
    import mlflow

    version = mlflow.register_model(source_uri, name, tags=dict(tags))
    if alias is not None:
        set_alias(client, name, alias, version.version)
    return version


def versions_with_aliases(client: Any, name: str) -> list[tuple[Any, list[str]]]:
    """Every registered version of `name` with its aliases, in the registry's order."""
    versions = client.search_model_versions(f"name = '{name.replace(chr(39), '')}'")
    # Searched versions carry no aliases: the registered model holds them.
    by_version: dict[str, list[str]] = {}
    if versions:
        for alias, number in client.get_registered_model(name).aliases.items():
            by_version.setdefault(str(number), []).append(alias)
    return [(version, by_version.get(str(version.version), [])) for version in versions]


def load_model(name: str, version: str | int, client: Any = None) -> RiskModel:
    """The `RiskModel` of a registered version: of `client`'s registry when given (read from
    where that registry stores the version, whatever store MLflow is set up with), else of
    the store MLflow was set up with; `RegistryError` saying why when it cannot be loaded."""
    from mlflow.exceptions import MlflowException

    from models.pyfunc import load_risk_model

    try:
        if client is not None:
            return load_risk_model(client.get_model_version_download_uri(name, str(version)))
        return load_risk_model(model_uri(name, version))
    except (MlflowException, OSError, TypeError) as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise RegistryError(f"{name} version {version} cannot be loaded: {reason}") from None


def model_hash(name: str, version: str | int) -> str | None:
    """The identity (`models.identity.model_hash`) recorded in a registered version's MLmodel
    metadata; None when it records none or cannot be read."""
    mlflow_defaults()
    import mlflow

    try:
        info = mlflow.models.get_model_info(model_uri(name, version))
    except Exception:  # unreadable model: no identity
        return None
    return (info.metadata or {}).get("model_hash")


def download_artifact(client: Any, run_id: str, artifact: str, into: str | Path) -> Path | None:
    """A training run's artifact downloaded under `into`; None when the run has none."""
    from mlflow.exceptions import MlflowException

    try:
        return Path(client.download_artifacts(run_id, artifact, str(into)))
    except (MlflowException, OSError):
        return None


def artifact_text(client: Any, run_id: str, artifact: str) -> str | None:
    """A training run's text artifact (None when it has none)."""
    with tempfile.TemporaryDirectory(prefix="vigie-artifact-") as tmp:
        path = download_artifact(client, run_id, artifact, tmp)
        return None if path is None else path.read_text(encoding="utf-8")
