"""Entry script of the one-file build: the same program as `python -m kiosk`.

PyInstaller runs this file as ``__main__``; everything else is imported from
the ``kiosk`` package, so the binary and ``pip install`` behave alike.
"""

import os
import sys


def _system_libraries_for_programs_we_start() -> None:
    """Undo the bootloader's LD_LIBRARY_PATH for child processes (Linux and BSDs).

    The one-file bootloader points LD_LIBRARY_PATH at its unpack folder so this
    process loads the bundled libssl, libstdc++, libsqlite3... Every program we
    start inherits it: the browser `kiosk` opens (through xdg-open, a /bin/sh
    script) would load our copies instead of the system's and can crash when
    they are older. The dynamic loader read the variable when this process
    started, so changing it now affects only children (PyInstaller's "Launching
    External Programs" notes). macOS needs nothing (the bootloader leaves
    DYLD_* alone); Windows uses SetDllDirectory, left as is (untested here).
    """
    if not getattr(sys, "frozen", False) or os.name != "posix" or sys.platform == "darwin":
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)


if __name__ == "__main__":
    _system_libraries_for_programs_we_start()

    from kiosk.cli import main

    sys.exit(main())
