"""One module per ``jpkitool`` command; each exposes ``command``."""
