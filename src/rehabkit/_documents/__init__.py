"""Private: the document pipeline (read with positions, check against the schema, build the model, lint, suppress)."""
