"""Data files shipped with photoclip (installed as the package `photoclip.resources`)."""
