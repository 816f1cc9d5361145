"""``python -m dothi`` runs the ``dothi`` command."""

from dothi.cli.main import main

main()
