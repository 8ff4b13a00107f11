"""Projections: pure folds and scoring (no faust, Kafka or DuckDB), and the DuckDB read side."""
