"""The open project: its spec, file path and undo stack, and the commands that edit it."""
