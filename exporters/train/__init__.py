"""Training: datasets, cache, the shared loop and the recipes (see docs/training.md)."""
