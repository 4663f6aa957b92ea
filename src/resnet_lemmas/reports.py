"""Writing reports atomically: a reader never sees half a file, and a crash never destroys the old one.

Every output of every command (JSON reports, the SGD plot, the LaTeX document and its PDF) goes
through :func:`write_bytes_atomic`; when the requested path fails at the last moment,
:func:`write_fallback` keeps the bytes in the temporary folder (``commands._common.save_output``).
An interrupted write (Ctrl-C, SIGTERM: both raise ``KeyboardInterrupt`` in ``cli.main``) removes its
temporary file and leaves the previous file untouched.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file private (0600); a report is an ordinary file (0666 & ~umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically; see :func:`write_bytes_atomic`."""
    if not isinstance(text, str):
        raise TypeError(f"write_text_atomic needs str, got {type(text).__name__}")
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike, payload) -> Path:
    return write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=False) + "\n")


def write_fallback(command: str, suffix: str, data: bytes) -> Path:
    """Save ``data`` to a new file ``resnet-lemmas-COMMAND-XXXXXXXX.SUFFIX`` in the system's temporary
    folder (never replacing anything) and return its path: where an output goes when its requested
    path fails at the last moment, so that nothing computed is lost."""
    fd, name = tempfile.mkstemp(prefix=f"resnet-lemmas-{command}-", suffix=suffix or ".out")
    os.close(fd)
    try:
        return write_bytes_atomic(name, data)
    except BaseException:
        if os.path.exists(name):
            os.unlink(name)
        raise
