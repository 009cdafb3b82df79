"""Vietnamese question matching: normalisation, a BM25 index and the matcher that ranks topics."""
