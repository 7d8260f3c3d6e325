"""Vigie: the command line, settings and the demo job that tie the packages together."""

from importlib.metadata import version

__version__ = version("vigie")  # pyproject.toml's, as installed
