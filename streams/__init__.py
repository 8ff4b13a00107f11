"""Faust agents: thin shells that fold the event log into projections with the pure functions."""
