"""The package version (a module of its own so every stage can name it without importing the
public facade)."""

__version__ = "0.1.0"
