"""``python -m fastk`` runs the command-line tool."""

from fastk.cli import main

main()
