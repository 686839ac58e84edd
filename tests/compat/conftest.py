"""The packs here are run by tests/test_compat_corpus.py, installed for real, with their own pytest configuration;
rehabkit's suite does not collect their tests itself."""

collect_ignore_glob = ["rehabkit-compat-*"]
