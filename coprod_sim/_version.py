"""The package version: the one place it is written (``pyproject.toml`` reads it here).

The version changes whenever outputs can change (see ``CHANGELOG.md``).
"""

__version__ = "0.4.0"
