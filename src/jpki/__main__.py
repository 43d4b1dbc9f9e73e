"""``python -m jpki``."""

from jpki.cli.entry import run

run()
