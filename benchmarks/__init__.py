"""``make bench``: the performance harness (docs/performance.md says what each figure means)."""
