"""A project as data: the network spec, its change events, the project file, run settings, presets."""
