"""Vigie: the command line, settings and the demo job that tie the packages together."""

__version__ = "0.1.0"
