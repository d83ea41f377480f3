"""``python -m gpt_is_you`` is the same as the ``gpt-is-you`` command."""

import sys

from gpt_is_you.cli import main

sys.exit(main())
