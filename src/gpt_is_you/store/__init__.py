"""The per-model state store: one folder and one SQLite database per model."""
