"""Private: sessions and courses (the store, reading a course for the engine, the runner, the clinic overview)."""
