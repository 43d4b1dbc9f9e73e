"""``python -m jpki``."""

from jpki.cli.main import run

run()
