"""What every page shares: settings, the store and the model (cached resources), the signed
in actor and the language (session state), and how a refusal is shown.

Only this module touches `st.session_state` keys by name. The actor is set by the login
page and never read from the URL: a page reads its establishment or student from the URL or
the session, but every read goes through a service that checks the actor's scope."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from app_dashboard.formatting import day
from app_dashboard.plain import Markdown, plain
from app_dashboard.wording import Language, text
from models.registry import mlflow_defaults, model_uri, registry_client
from serving.db import Store, open_store
from serving.lineage import WeekDataUnavailable
from serving.services import AccessDenied, Actor, NotFound, ServiceError, Suspended
from settings import Settings, load_settings

__all__ = [
    "ACTOR",
    "LANGUAGE_TOGGLE",
    "SESSION_ENDED",
    "STUDENT",
    "UAI",
    "actor",
    "language",
    "language_toggle",
    "mlflow_client",
    "model_uri_for",
    "risk_model",
    "settings",
    "show_error",
    "store",
    "suspension_text",
    "t",
]

ACTOR = "vigie_actor"
LANGUAGE_TOGGLE = "vigie_english"
UAI = "vigie_uai"
STUDENT = "vigie_student"
SESSION_ENDED = "vigie_session_ended"
_LANGUAGE_KEPT = "vigie_language_kept"


@st.cache_resource(show_spinner=False)
def _settings() -> Settings:
    return load_settings()


def settings() -> Settings:
    return _settings()


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return open_store(url)


def store() -> Store:
    """The operational store, opened (and migrated) once per server process."""
    return _store(settings().resolved_database_url)


@st.cache_resource(show_spinner=False)
def _model(uri: str, tracking_uri: str) -> Any:
    mlflow_defaults()
    import mlflow

    from models.pyfunc import load_risk_model

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return load_risk_model(uri)


def model_uri_for(model_version: str | None, name: str) -> str:
    """The model that explains a list: the registered version that wrote it, as the week
    records it (`name/3` -> `models:/name/3`), else the champion."""
    if model_version and re.fullmatch(r"[\w.-]+/\d+", model_version):
        written_by, version = model_version.rsplit("/", 1)
        return model_uri(written_by, version)
    return model_uri(name)


def risk_model(model_version: str | None = None) -> Any:
    """The model behind the waterfall, loaded once per server process."""
    current = settings()
    uri = model_uri_for(model_version, current.model_name)
    return _model(uri, current.tracking_uri)


@st.cache_resource(show_spinner=False)
def _client(tracking_uri: str) -> Any:
    return registry_client(tracking_uri)


def mlflow_client() -> Any:
    """The registry client on the settings' tracking store (`models.registry`)."""
    return _client(settings().tracking_uri)


def actor() -> Actor | None:
    value = st.session_state.get(ACTOR)
    return value if isinstance(value, Actor) else None


def _keep_language() -> None:
    st.session_state[_LANGUAGE_KEPT] = st.session_state.get(LANGUAGE_TOGGLE, False)


def language_toggle(label: str) -> None:
    """The sidebar's language switch. Its choice is kept apart from the widget, and given
    back to it on every run: Streamlit drops a widget's value when a page opens another
    (`st.switch_page`), which would put a reader who chose English back in French."""
    if _LANGUAGE_KEPT in st.session_state:
        st.session_state[LANGUAGE_TOGGLE] = st.session_state[_LANGUAGE_KEPT]
    st.toggle(label, key=LANGUAGE_TOGGLE, on_change=_keep_language)
    _keep_language()


def language() -> Language:
    return "en" if st.session_state.get(LANGUAGE_TOGGLE, False) else "fr"


def t(key: str, **values: object) -> str:
    """The label `key` in the user's language, for Streamlit's Markdown elements: the
    `values` (names, messages: data) are escaped to show as plain text (`plain`)."""
    return Markdown(text(key, language(), **{name: plain(v) for name, v in values.items()}))


def show_error(error: ServiceError) -> None:
    """A refusal of the service layer, in the user's language (its message holds no name)."""
    if isinstance(error, AccessDenied):
        st.error(t("denied", message=str(error)), icon=":material/block:")
    elif isinstance(error, WeekDataUnavailable):  # a week's recorded data (serving.lineage)
        what = text(f"week_data_{error.artifact}", language())
        week = day(error.week, language())
        st.error(t(f"week_data_{error.problem}", what=what, week=week), icon=":material/error:")
    elif isinstance(error, NotFound):
        st.warning(t("not_found", message=str(error)), icon=":material/search_off:")
    elif isinstance(error, Suspended):  # the stop switch: why, in place of the list
        st.warning(suspension_text(error), icon=":material/pause_circle:")
    else:
        st.error(t("invalid", message=str(error)), icon=":material/error:")


def suspension_text(error: Suspended) -> str:
    """Why a list or a record is not shown: the stop switch, who, since when, the reason."""
    lang = language()
    scope = (
        text("suspended_all", lang)
        if error.uai is None
        else text("suspended_one", lang, uai=error.uai)
    )
    pattern = "%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M"
    since = f"{error.suspended_at:{pattern}} UTC"
    return t(
        "suspended_lists", scope=scope, since=since, by=error.suspended_by, reason=error.reason
    )
