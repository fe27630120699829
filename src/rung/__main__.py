"""``python -m rung`` runs the CLI."""

from rung.cli import main

main()
