"""The frozen app's entry script: PyInstaller needs a file, the app's entry is ``gui_app.cli:main``.

``freeze_support`` comes first so that a worker process started by multiprocessing (a DataLoader
with workers, torchrun's children) runs its task instead of opening a second window.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from gui_app.cli import main

    sys.exit(main())
