"""NetBuilder: design, train and try PyTorch networks in a desktop app."""

__version__ = "0.1.0"
