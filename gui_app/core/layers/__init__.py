"""The layer catalogue: parameter definitions, closed-form shapes, and the blocks torch lacks."""
