"""Where things live: shipped assets, the user's data folder, the dataset folder.

``asset_path()`` works the same from the source tree and from a PyInstaller
bundle (``sys._MEIPASS``).  The data folder comes from ``--data``, else the
``HANDSIGN_DATA`` environment variable, else a per-user folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "HandSignStudio"
DATA_ENV = "HANDSIGN_DATA"
HOME_ENV = "HANDSIGN_HOME"  # overrides the per-user folder (tests, portable installs)
CACHE_ENV = "HANDSIGN_CACHE"  # overrides <user folder>/cache
SHIPPED_MODEL_NAME = "handsign_resnet50.keras"


def project_root() -> Path:
    """The folder that holds ``assets/`` (the bundle root when frozen)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def asset_path(*parts: str) -> Path:
    """Path of a file under ``assets/``, frozen or not."""
    return project_root().joinpath("assets", *parts)


def shipped_model_path() -> Path:
    return asset_path("models", SHIPPED_MODEL_NAME)


def user_dir() -> Path:
    """Per-user folder for models, captured samples, logs and settings."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def write_problem(folder: Path) -> str | None:
    """Why files cannot be written in ``folder`` (the OS's reason), or ``None`` when they can.

    Creates the folder and a temporary file in it (removed at once).
    """
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


def user_dir_problem() -> str | None:
    """Why the user data folder cannot be written (one line), or ``None`` when it can."""
    folder = user_dir()
    reason = write_problem(folder)
    return None if reason is None else f"{folder} cannot be written ({reason})"


def default_data_dir() -> Path:
    """Dataset folder: ``$HANDSIGN_DATA`` if set, else ``<user dir>/datasets``."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return user_dir() / "datasets"


def resolve_data(source: str | os.PathLike | None, default: str = "signs") -> Path:
    """Resolve a ``--data`` value.

    An existing path is used as is; a bare name such as ``signs`` is looked up
    in the data folder; ``None`` means ``<data folder>/<default>``.
    """
    if source is None:
        return default_data_dir() / default
    path = Path(source).expanduser()
    if path.exists() or path.is_absolute():
        return path
    candidate = default_data_dir() / path
    return candidate if candidate.exists() else path


def collected_dir() -> Path:
    """The user's own captured samples: one folder per class."""
    return user_dir() / "collected"


def models_dir() -> Path:
    return user_dir() / "models"


def logs_dir() -> Path:
    return user_dir() / "logs"


def cache_dir() -> Path:
    """Things that can be rebuilt and deleted at any time (converted inference models):
    ``$HANDSIGN_CACHE`` if set, else ``<user folder>/cache``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return user_dir() / "cache"
