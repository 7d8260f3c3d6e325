"""Sign-in page: the store's local accounts, and the school's identity provider when set."""

import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import oidc_configured, sign_in_with_password, wait_text

st.title(runtime.t("app_title"))
st.subheader(runtime.t("login_title"))
st.write(runtime.t("login_intro"))
if st.session_state.pop(runtime.SESSION_ENDED, False):
    st.warning(runtime.t("session_ended"), icon=":material/logout:")
with st.form("login"):
    username = st.text_input(runtime.t("username"), key="login_username")
    password = st.text_input(runtime.t("password"), type="password", key="login_password")
    submitted = st.form_submit_button(runtime.t("sign_in"), type="primary")
if submitted:
    signed = sign_in_with_password(username, password)
    if signed.actor is not None:
        st.rerun()
    else:
        if signed.checked:
            st.error(runtime.t("bad_login"))
        if signed.wait > 0:
            st.error(runtime.t("login_wait", wait=wait_text(signed.wait)), icon=":material/timer:")
if oidc_configured() and st.button(runtime.t("sign_in_oidc")):
    st.login()
