"""A pack that fails on import, on purpose: rehabkit must report it by name and carry on."""

raise ImportError("this test pack is broken on purpose")
