"""The store's one error, light to import for the command line's error handling."""


class ModelError(ValueError):
    """A model that does not exist, or already does. ``str()`` is the line to show."""
