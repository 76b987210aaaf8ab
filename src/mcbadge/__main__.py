"""``python -m mcbadge`` runs the command line."""

from mcbadge.cli import main

main()
