"""The registered risk model that scores the weeks, and the provider the API asks for it.

Weekly lists are written by the `champion` of the registered model `vigie-dropout` unless a
person names another alias or version. No fallback: without a champion nothing is scored and
the message says how to get one (`vigie promote`). MLflow tracking must be set up by the
caller (`training.tracking.setup_tracking`), never here at import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.risk_model import RiskModel

__all__ = [
    "REGISTERED_MODEL",
    "ChampionProvider",
    "ModelUnavailable",
    "RegisteredModel",
    "load_registered_model",
]

REGISTERED_MODEL = "vigie-dropout"


class ModelUnavailable(Exception):
    """No model to score with: the registry, the model, the alias or the version is missing.
    The message names what is missing and how to fix it."""


@dataclass(frozen=True)
class RegisteredModel:
    """A loaded risk model and which registered version it is."""

    model: RiskModel
    name: str
    version: str
    chosen_as: str  # "alias champion", "version 3"

    @property
    def label(self) -> str:
        """`vigie-dropout/3`: the model version written beside every list entry."""
        return f"{self.name}/{self.version}"


def load_registered_model(
    alias: str | None = None, version: int | str | None = None, name: str = REGISTERED_MODEL
) -> RegisteredModel:
    """Version `version` of `name`, or the version behind `alias` (default `champion`).
    `ModelUnavailable` when the registry has no such model, alias or version."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from models.pyfunc import load_risk_model

    if alias is not None and version is not None:
        raise ValueError("give a model alias or a model version, not both")
    client = MlflowClient()
    try:
        client.get_registered_model(name)
    except MlflowException:
        raise ModelUnavailable(
            f"no registered model {name}: train one with `vigie train`, then promote a "
            "version with `vigie promote`"
        ) from None
    if version is not None:
        wanted = str(version)
        if not wanted.isdigit():
            raise ValueError(f"a model version is a number, not {wanted!r}")
        try:
            found = client.get_model_version(name, wanted)
        except MlflowException:
            raise ModelUnavailable(f"{name} has no version {wanted}") from None
        chosen_as = f"version {wanted}"
    else:
        alias = alias or "champion"
        try:
            found = client.get_model_version_by_alias(name, alias)
        except MlflowException:
            hint = (
                "promote a version with `vigie promote`"
                if alias == "champion"
                else f"set the alias {alias} or pass --model-version"
            )
            raise ModelUnavailable(f"{name} has no {alias} version: {hint}") from None
        chosen_as = f"alias {alias}"
    try:
        model = load_risk_model(f"models:/{name}/{found.version}")
    except (MlflowException, OSError, TypeError) as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ModelUnavailable(
            f"{name} version {found.version} cannot be loaded: {reason}"
        ) from None
    return RegisteredModel(model, name, str(found.version), chosen_as)


class ChampionProvider:
    """The champion for the API, loaded lazily on first use and cached; the alias is looked
    up again at most every `refresh_seconds`, so a promotion reaches a running server without
    a restart. Thread-safe (the API scores in a thread pool). Tests put their own callable
    returning a `RegisteredModel` (or raising `ModelUnavailable`) in `app.state`."""

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        alias: str = "champion",
        refresh_seconds: float = 60.0,
        loader: Callable[[], RegisteredModel] | None = None,
    ) -> None:
        self.home = home
        self.alias = alias
        self.refresh_seconds = refresh_seconds
        self._loader = loader
        self._lock = threading.Lock()
        self._cached: RegisteredModel | None = None
        self._checked_at = float("-inf")
        self._tracking_ready = False

    def __call__(self) -> RegisteredModel:
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._checked_at < self.refresh_seconds:
                return self._cached
            current = self._current_version()
            if self._cached is None or self._cached.version != current:
                self._cached = self._load()
            self._checked_at = now
            return self._cached

    def _setup(self) -> None:
        if self._tracking_ready or self._loader is not None:
            return
        from training.tracking import setup_tracking

        if self.home is None:
            from serving.settings import load_serving_settings

            self.home = load_serving_settings().home
        setup_tracking(self.home)
        self._tracking_ready = True

    def _current_version(self) -> str | None:
        """The version behind the alias now (None with a custom loader: load once)."""
        if self._loader is not None:
            return self._cached.version if self._cached is not None else None
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        self._setup()
        try:
            found = MlflowClient().get_model_version_by_alias(REGISTERED_MODEL, self.alias)
        except MlflowException:
            self._cached = None
            raise ModelUnavailable(
                f"{REGISTERED_MODEL} has no {self.alias} version: promote a version with "
                "`vigie promote`"
            ) from None
        return str(found.version)

    def _load(self) -> RegisteredModel:
        if self._loader is not None:
            return self._loader()
        self._setup()
        return load_registered_model(alias=self.alias)
