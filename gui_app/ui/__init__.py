"""NetBuilder's Qt shell: it shows and edits the core's objects and does no tensor math."""
