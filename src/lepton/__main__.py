"""``python -m lepton`` runs the CLI."""

from lepton.cli.main import main

main()
