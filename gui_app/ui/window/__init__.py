"""The main window and what hangs off it: menus, file and data actions, autosave and recovery."""
