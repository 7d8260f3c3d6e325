"""Input contract, validation, synthetic académie, and the one as-of feature builder."""
