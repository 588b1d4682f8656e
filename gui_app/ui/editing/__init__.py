"""Editing blocks: the palette, the inspector and the parameter editors it is made of."""
