"""Private: what every part shares (errors, exit codes, the controlled vocabularies, clinical defaults)."""
