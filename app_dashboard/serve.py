"""Serve the dashboard with its heavy work started before the first visitor:
`python -m app_dashboard.serve [streamlit run options]` (what `vigie dashboard` runs).

Streamlit imports a page's modules, and the page opens MLflow's stores, only when a session
first runs it: after a restart, the first person to sign in on a Monday morning would wait
for pandas, Altair, MLflow, LightGBM and the tracking and registry stores (about 6 s of a
free core, 10 s on a busy one). Here a background thread does that work while the server
starts; the modules stay in `sys.modules` and MLflow keeps one store per URI in the process,
so the pages find them ready. A failure in the warm-up is logged and changes nothing: the
page would have done the same work, and reports what goes wrong.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from pathlib import Path

__all__ = ["ENTRY", "main", "warm_up"]

ENTRY = Path(__file__).resolve().parent / "streamlit_app.py"
logger = logging.getLogger(__name__)
# What the pages import beyond Streamlit: data frames and charts, the student page's model
# (LightGBM through MLflow's pyfunc), the services behind the inspector's and the data
# scientist's pages.
_MODULES = (
    "pandas",
    "altair",
    "app_dashboard.charts",
    "app_dashboard.tables",
    "models.pyfunc",
    "serving.services.dashboard_explain",
    "serving.services.dashboard_models",
    "training.fairness.groups",
)


def warm_up() -> None:
    """Import what the pages import and open the MLflow stores the settings point at."""
    try:
        for name in _MODULES:
            importlib.import_module(name)
        from app_dashboard.settings import load_dashboard_settings

        settings = load_dashboard_settings()
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        client = MlflowClient(settings.tracking_uri, registry_uri=settings.tracking_uri)
        try:
            version = client.get_model_version_by_alias(settings.model_name, "champion")
            if version.run_id:
                client.get_run(version.run_id)
        except MlflowException:  # no champion yet: the pages say so
            pass
    except Exception:  # a warm-up never stops the server
        logger.warning("dashboard warm-up failed; the first page will do the work", exc_info=True)


def main(argv: list[str] | None = None) -> None:
    """`streamlit run ENTRY *argv`, with `warm_up` running beside the server's start."""
    threading.Thread(target=warm_up, name="vigie-warm-up", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ENTRY), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
