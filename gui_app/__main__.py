"""``python -m gui_app`` is the same as the ``netbuilder`` command."""

import sys

if __name__ == "__main__":
    try:
        from gui_app.cli import main
    except KeyboardInterrupt:  # Ctrl+C before the command line is even read: no traceback either
        sys.stderr.write("netbuilder: interrupted\n")
        sys.exit(130)
    sys.exit(main())
