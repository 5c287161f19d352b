"""``python -m registry`` is the ``ikrar`` command."""

from registry.cli import main

main()
