"""The settings' error, light to import for the command line's error handling."""


class SettingsError(ValueError):
    """Settings that make no sense (a number out of its range). ``str()`` is the line to
    show."""
