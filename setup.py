# Shim for tools that still call setup.py; the real build backend is flit (pyproject.toml).
from setuptools import setup

setup()
