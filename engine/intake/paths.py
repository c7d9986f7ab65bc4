"""Input files named as people type them: a name typed in NFC (the usual form on Windows and
Linux) finds the file a Mac or a zip archive stored in NFD (the same letters, the tone marks
apart), and the other way round."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path


def on_disk(path: Path) -> Path:
    """The path as the file system spells it, when it exists in another Unicode normal form;
    otherwise the path as given (the caller reports it missing)."""
    if path.exists():
        return path
    found = Path(path.anchor) if path.is_absolute() else Path()
    for part in path.parts[1:] if path.is_absolute() else path.parts:
        candidate = found / part
        if not candidate.exists():
            wanted = unicodedata.normalize("NFC", part)
            try:
                names = os.listdir(found)
            except OSError:
                return path
            match = next((n for n in names if unicodedata.normalize("NFC", n) == wanted), None)
            if match is None:
                return path
            candidate = found / match
        found = candidate
    return found
