#!/usr/bin/env python
"""Django's command-line utility for studentml."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studentml_site.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A bad setting is the operator's to fix: say which, without a traceback.
        sys.stderr.write(f"studentml: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
