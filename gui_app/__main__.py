"""``python -m gui_app`` is the same as the ``netbuilder`` command."""

import sys

from gui_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
