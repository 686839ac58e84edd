"""Private: the authoring kit (the pack scaffold and the generated hook reference)."""
