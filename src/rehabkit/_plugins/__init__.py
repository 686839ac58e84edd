"""Private: plugin packs (discovery through entry points, compatibility, loading in isolation, the registry)."""
