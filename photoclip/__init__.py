"""photoclip: find and organize your photos by meaning, entirely on your own computer."""

__version__ = "0.1.0"
