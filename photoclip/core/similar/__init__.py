"""Near-duplicates, bursts and the best shot of each group.

measure    what grouping needs of a photo's pixels, measured once when it is read
grouping   candidate pairs from the HNSW index and the perceptual hash, the rules that
           make a pair a duplicate or a burst, and groups from the pairs
best       the documented best-shot score, and why the suggested keeper won
service    `Similar`, the library's part: duplicates and bursts of (part of) a library
"""
