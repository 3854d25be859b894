"""Persistent settings (``QSettings``): window, tab, camera, model, thresholds, training.

With ``HANDSIGN_HOME`` set (tests, portable installs) the settings live in an
ini file in that folder, so nothing touches the user's real settings.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

ORGANIZATION = "HandSignStudio"
APPLICATION = "HandSignStudio"


def open_settings() -> QSettings:
    from core.paths import HOME_ENV, user_dir

    if os.environ.get(HOME_ENV):
        path = user_dir() / "settings.ini"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # an unusable user folder: QSettings then only keeps values in memory (the window says so)
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def get_int(s: QSettings, key: str, default: int) -> int:
    try:
        return int(s.value(key, default))
    except (TypeError, ValueError):
        return default


def get_float(s: QSettings, key: str, default: float) -> float:
    try:
        return float(s.value(key, default))
    except (TypeError, ValueError):
        return default


def get_bool(s: QSettings, key: str, default: bool) -> bool:
    v = s.value(key, default)
    if isinstance(v, str):
        return v.lower() in ("1", "true", "yes", "on")
    return bool(v)


def get_str(s: QSettings, key: str, default: str = "") -> str:
    v = s.value(key, default)
    return default if v is None else str(v)
