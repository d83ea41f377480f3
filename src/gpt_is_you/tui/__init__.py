"""The Textual app. Importing this package stays light: the app lives in ``tui.app``."""
