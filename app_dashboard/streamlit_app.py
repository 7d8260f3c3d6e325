"""The dashboard's entry file: page setup, sign-in, the language switch, and the pages the
signed-in role is offered (`st.navigation`). Each page is its own file in `views/`.

Run with `vigie dashboard` (or `streamlit run app_dashboard/streamlit_app.py`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import oidc_configured, sign_in_with_oidc, sign_out, still_signed_in
from app_dashboard.navigation import pages_for
from app_dashboard.wording import text, vocabulary

# A local icon (sent inline): a ":material/...:" page icon makes the browser fetch it from a
# public CDN, which a school intranet may not reach and which would learn of every visit.
FAVICON = str(Path(__file__).parent / "assets" / "favicon.svg")
st.set_page_config(page_title="Vigie", page_icon=FAVICON, layout="wide")

with st.sidebar:
    runtime.language_toggle(text("language", "fr"))

actor = runtime.actor()
if actor is not None:  # re-read on every rerun: a disabled or changed user is signed out
    actor = still_signed_in(actor)
if actor is None and oidc_configured():
    actor = sign_in_with_oidc()

if actor is None:
    login = st.Page("views/login.py", title=runtime.t("login_title"), icon=":material/login:")
    st.navigation([login], position="hidden").run()
else:
    with st.sidebar:
        role = vocabulary("role", actor.role, runtime.language())
        st.caption(runtime.t("signed_in_as", username=actor.username, role=role))
        if st.button(runtime.t("sign_out"), icon=":material/logout:"):
            sign_out()
            if oidc_configured():
                st.logout()
            st.rerun()
    navigation = pages_for(actor.role, runtime.language())
    if not navigation:
        st.warning(runtime.t("no_page"))
    else:
        st.navigation(navigation).run()
