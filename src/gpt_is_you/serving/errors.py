"""The refusals of ``serve`` (shown as one line, exit status 2). Light to import: the
user's errors are read at every start."""

from __future__ import annotations


class ServeError(Exception):
    """A model cannot be served as asked (not trained, a port in use, a host without a
    token, a model served already); its text says what to do instead. Raised by the
    command line's ``serve`` only: the app never serves, so it has no words of its own."""
