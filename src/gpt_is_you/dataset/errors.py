"""The dataset's errors, light to import for the command line's error handling."""


class SettingsError(ValueError):
    """Build settings that make no sense. ``str()`` is the line to show."""
