"""The registered risk model that scores the weeks, and the provider the API asks for it.

Weekly lists are written by the `champion` of the registered model `vigie-dropout` unless a
person names another alias or version: the registry's one rule (`models.registry`). No
fallback: without a champion nothing is scored and the message says how to get one
(`vigie promote`). The model name is the settings' (`VIGIE_MODEL_NAME`, default
`vigie-dropout`). MLflow tracking must be set up by the caller
(`training.tracking.setup_tracking`), never here at import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from features.background import in_background
from models.registry import (
    CHAMPION,
    REGISTERED_MODEL,
    RegistryError,
    alias_version,
    load_model,
    model_hash,
    registry_client,
    resolve,
)
from settings import load_settings

if TYPE_CHECKING:
    from models.risk_model import RiskModel

__all__ = [
    "REGISTERED_MODEL",
    "ChampionProvider",
    "ModelLoading",
    "ModelUnavailable",
    "RegisteredModel",
    "load_registered_model",
    "loaded",
    "start_loading_registered_model",
]


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
    alias: str | None = None,
    version: int | str | None = None,
    name: str | None = None,
    *,
    cache: str | Path | None = None,
) -> RegisteredModel:
    """Version `version` of `name` (default: the settings' model name, `vigie-dropout`), or
    the version behind `alias` (default `champion`), by the registry's one rule
    (`models.registry.resolve`). `ModelUnavailable` when the registry
    has no such model, alias or version, or the version cannot be loaded. With `cache` (the
    Vigie home), the version is still resolved in the registry but the model itself is read
    from the local copy of that version and identity when there is one
    (`serving.scoring.model_cache`)."""
    name, found, chosen_as, load = _resolved(alias, version, name, cache)
    return RegisteredModel(_unavailable_as_such(load), name, found, chosen_as)


def start_loading_registered_model(
    alias: str | None = None,
    version: int | str | None = None,
    name: str | None = None,
    *,
    cache: str | Path | None = None,
    setup: Callable[[], object] | None = None,
) -> ModelLoading:
    """`load_registered_model` in a thread of its own: `setup` (the tracking's, which imports
    MLflow), the version's lookup in the registry, then the model (LightGBM's import and the
    model's file): about two seconds that the weekly run spends validating the extraction and
    building the features meanwhile. The arguments are checked now; what the lookup raises
    (`ModelUnavailable`) comes from the `ModelLoading`'s `label` (or `result()`)."""
    _checked(alias, version)
    identity: Future[tuple[str, str, str]] = Future()

    def run() -> RiskModel:
        try:
            if setup is not None:
                setup()
            found_name, found, chosen_as, load = _resolved(alias, version, name, cache)
        except BaseException as error:
            identity.set_exception(error)
            raise
        identity.set_result((found_name, found, chosen_as))
        return _unavailable_as_such(load)

    return ModelLoading.started(identity, in_background("vigie-model-load", run))


def _checked(alias: str | None, version: int | str | None) -> None:
    if alias is not None and version is not None:
        raise ValueError("give a model alias or a model version, not both")
    if version is not None and not str(version).isdigit():
        raise ValueError(f"a model version is a number, not {str(version)!r}")


def _resolved(
    alias: str | None, version: int | str | None, name: str | None, cache: str | Path | None
) -> tuple[str, str, str, Callable[[], RiskModel]]:
    """The model's name, its version resolved in the registry, how it was chosen, and how to
    load it."""
    _checked(alias, version)
    model_name = name or load_settings().model_name
    try:
        found = resolve(registry_client(), model_name, version if version is not None else alias)
    except RegistryError as error:
        raise ModelUnavailable(str(error)) from None
    model_version = str(found.version)

    def load() -> RiskModel:
        if cache is None:
            return load_model(model_name, model_version)
        from serving.scoring.model_cache import cached_model

        model, _ = cached_model(
            cache,
            model_name,
            model_version,
            model_hash(model_name, model_version),
            lambda: load_model(model_name, model_version),
        )
        return model

    chosen_as = f"version {version}" if version is not None else f"alias {alias or CHAMPION}"
    return model_name, model_version, chosen_as, load


def _unavailable_as_such(load: Callable[[], RiskModel]) -> RiskModel:
    try:
        return load()
    except RegistryError as error:
        raise ModelUnavailable(str(error)) from None


class ModelLoading:
    """A registered version being resolved in the registry and loaded in a thread: its
    `name`, `version`, `label` and `chosen_as` once resolved (they wait for it), the
    `RegisteredModel` from `result()` (which waits for the model). Both raise what the lookup
    or the loading raised: `ModelUnavailable` when the version cannot be found or loaded."""

    def __init__(self, name: str, version: str, chosen_as: str, load: Callable[[], RiskModel]):
        """A version resolved already, its model loaded in a thread by `load`."""
        self._identity: Future[tuple[str, str, str]] = Future()
        self._identity.set_result((name, version, chosen_as))
        self._model = in_background("vigie-model-load", _unavailable_as_such, load)

    @classmethod
    def started(
        cls, identity: Future[tuple[str, str, str]], model: Future[RiskModel]
    ) -> ModelLoading:
        """The loading whose (name, version, chosen as) and model come from these futures."""
        loading = cls.__new__(cls)
        loading._identity, loading._model = identity, model
        return loading

    @property
    def name(self) -> str:
        return self._identity.result()[0]

    @property
    def version(self) -> str:
        return self._identity.result()[1]

    @property
    def chosen_as(self) -> str:
        return self._identity.result()[2]

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"

    def result(self) -> RegisteredModel:
        name, version, chosen_as = self._identity.result()
        return RegisteredModel(self._model.result(), name, version, chosen_as)


def loaded(model: RegisteredModel | ModelLoading) -> RegisteredModel:
    """The registered model, once loaded."""
    return model.result() if isinstance(model, ModelLoading) else model


class ChampionProvider:
    """The champion for the API, loaded lazily on first use and cached; the alias is looked
    up again at most every `refresh_seconds`, so a promotion reaches a running server without
    a restart. Thread-safe (the API scores in a thread pool). Tests put their own callable
    returning a `RegisteredModel` (or raising `ModelUnavailable`) in `app.state`."""

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        alias: str = CHAMPION,
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

        setup_tracking(self.home)
        self._tracking_ready = True

    def _current_version(self) -> str | None:
        """The version behind the alias now (None with a custom loader: load once)."""
        if self._loader is not None:
            return self._cached.version if self._cached is not None else None
        self._setup()
        name = load_settings().model_name
        found = alias_version(registry_client(), name, self.alias)
        if found is None:
            self._cached = None
            raise ModelUnavailable(
                f"{name} has no {self.alias} version: promote a version with `vigie promote`"
            )
        return found

    def _load(self) -> RegisteredModel:
        if self._loader is not None:
            return self._loader()
        self._setup()
        return load_registered_model(alias=self.alias)
