#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    # manage.py is the developer's entry point: DEBUG is on unless the environment says
    # otherwise. Production images set DEBUG=0 (see Dockerfile), so this never leaks there.
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
