"""Peers: the same folds written with other Python stream processors."""
