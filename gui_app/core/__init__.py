"""NetBuilder's core: networks, data, training and export. Imports torch, never Qt."""
