"""photoclip: find and organize your photos by meaning, entirely on your own computer."""

import os

# numpy's OpenBLAS keeps its worker threads spinning after each product; photoclip's numpy
# products are small (a query against a 2,048-photo sample, exact search of a filtered
# subset) and run beside torch's own threads, so the spinning only steals CPU from the text
# encoder: search p50 went from 43 ms to 22.5 ms on a 20k library with one BLAS thread
# (benchmarks/search.py). Must be set before numpy is first imported; a user's value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
