"""What a command registers before any rule file is read, kept in a module that imports nothing
(the CLI's `--help` loads none of the heavy modules): the province's rules folders given on the
command line, and who hears which rule file was read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

rules_folders: list[Path] = []  # --rules of this command, searched before CQTT_RULES
listeners: list[Callable[[Any], None]] = []  # called with each LoadedCriteria read
