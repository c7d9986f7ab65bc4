"""Bundled criteria sets: one folder per set, one YAML file per version, tests beside it."""
