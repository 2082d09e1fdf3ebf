"""One repository per record kind, each over the store's shared transaction helpers."""
