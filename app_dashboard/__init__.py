"""app_dashboard."""
