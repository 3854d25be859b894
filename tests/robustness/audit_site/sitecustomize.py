"""Privacy audit for child processes of the privacy tests (put this folder on PYTHONPATH).

With ``HANDSIGN_AUDIT_LOG`` set, every Python process started with this folder on its path installs an
audit hook (PEP 578) that appends one line per network action (socket creation other than AF_UNIX,
connect, bind, send, DNS look-up, HTTP) and per file written, renamed or made, to that log.  The tests
in this process use the same hook through :func:`install`.  Only Python-level actions are seen; the
tests also poll the OS for open inet sockets.
"""

import os
import sys

AF_UNIX = 1
NET_EVENTS = {
    "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr",
    "socket.getnameinfo", "http.client.connect", "http.client.send", "urllib.Request", "ftplib.connect",
    "smtplib.connect", "poplib.connect", "imaplib.open", "nntplib.connect", "telnetlib.Telnet.open",
    "webbrowser.open",
}
SOCKET_USE = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

state = {"active": False, "sink": None, "events": [], "installed": False}


def _record(kind, detail):
    line = f"{kind}\t{detail}"
    state["events"].append(line)
    sink = state["sink"]
    if sink is not None:
        try:
            os.write(sink, (line.replace("\n", " ") + "\n").encode("utf-8", "replace"))
        except OSError:
            pass


def _path(p):
    if isinstance(p, bytes):
        return os.fsdecode(p)
    if hasattr(p, "__fspath__"):
        p = os.fspath(p)
    return p if isinstance(p, str) else None


def _caller():
    """``file:function`` of the code that made the socket call (outside socket.py)."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.endswith("socket.py"):
        f = f.f_back
    if f is None:
        return "?"
    parts = f.f_code.co_filename.replace(os.sep, "/").split("/")
    return "/".join(parts[-3:]) + ":" + f.f_code.co_name


def _hook(event, args):
    if not state["active"]:
        return
    try:
        if event == "socket.__new__":
            if args[1] != AF_UNIX:
                _record("net", f"socket.__new__ family={args[1]} type={args[2]} by {_caller()}")
        elif event in SOCKET_USE:
            if getattr(args[0], "family", None) != AF_UNIX:
                _record("net", f"{event} {args[1]!r} by {_caller()}")
        elif event in NET_EVENTS:
            _record("net", f"{event} {args!r}"[:300])
        elif event == "open":
            path, mode, flags = args
            writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & WRITE_FLAGS)
            p = _path(path)
            if writes and p:
                _record("write", os.path.abspath(p))
        elif event == "os.rename":
            p = _path(args[1])
            if p:
                _record("write", os.path.abspath(p))
        elif event == "os.mkdir":
            p = _path(args[0])
            if p:
                _record("mkdir", os.path.abspath(p))
    except Exception:  # an audit hook must never break the program it watches
        pass


def install(log_path=None, active=True):
    if log_path:
        state["sink"] = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    state["active"] = active
    if not state["installed"]:
        sys.addaudithook(_hook)
        state["installed"] = True


if os.environ.get("HANDSIGN_AUDIT_LOG") and __name__ == "sitecustomize":
    install(os.environ["HANDSIGN_AUDIT_LOG"])
