"""Which pages each role is offered, as `st.Page`s grouped in sections.

The pages a role is not offered are not registered at all, so their URLs do not exist for
that session; each page still checks through the service layer (a page reached another way
gets a refusal, never data)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_dashboard.wording import Language, text

__all__ = ["PAGES", "ROLE_PAGES", "page_path", "pages_for"]

_VIEWS = Path(__file__).parent / "views"

# name -> (file in views/, label key, url path, icon)
PAGES: dict[str, tuple[str, str, str, str]] = {
    "list": ("week_list.py", "page_list", "list", ":material/list_alt:"),
    "student": ("student.py", "page_student", "student", ":material/person:"),
    "fairness": ("fairness.py", "page_fairness", "fairness", ":material/balance:"),
    "model_card": ("model_card.py", "page_model_card", "model-card", ":material/description:"),
    "audit_log": ("audit_log.py", "page_audit_log", "audit-log", ":material/history:"),
    "models": ("models.py", "page_models", "models", ":material/model_training:"),
    "drift": ("drift.py", "page_drift", "drift", ":material/monitoring:"),
    "admin_users": ("admin_users.py", "page_admin_users", "users", ":material/group:"),
    "interview_outcomes": (
        "interview_outcomes.py",
        "page_interview_outcomes",
        "interview-outcomes",
        ":material/handshake:",
    ),
    "leavers": ("leavers.py", "page_leavers", "leavers", ":material/directions_walk:"),
}

# role -> sections (label key, page names); the first page is the landing page.
ROLE_PAGES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "watch_unit": (("section_watch", ("list", "student", "interview_outcomes")),),
    "inspector": (
        ("section_inspection", ("fairness", "model_card", "interview_outcomes", "audit_log")),
        ("section_watch", ("list", "student")),
    ),
    "data_scientist": (
        ("section_models", ("models", "drift")),
        ("section_inspection", ("model_card", "fairness")),
    ),
    "admin": (("section_inspection", ("audit_log",)), ("section_admin", ("admin_users",))),
    # The MLDS of a bassin: its leavers first, then its establishments' lists (with names).
    "mlds": (("section_mlds", ("leavers",)), ("section_watch", ("list", "student"))),
}


def page_path(name: str) -> str:
    """The page's file, as `st.switch_page` and `st.Page` take it."""
    return str(_VIEWS / PAGES[name][0])


def pages_for(role: str, language: Language) -> dict[str, list[st.Page]]:
    """The navigation of `role`: section title -> pages (empty for an unknown role)."""
    navigation: dict[str, list[st.Page]] = {}
    first = True
    for section, names in ROLE_PAGES.get(role, ()):
        pages = []
        for name in names:
            _, label, url_path, icon = PAGES[name]
            pages.append(
                st.Page(
                    page_path(name),
                    title=text(label, language),
                    url_path=url_path,
                    icon=icon,
                    default=first,
                )
            )
            first = False
        navigation[text(section, language)] = pages
    return navigation
