"""Check an installed gpt-is-you wheel the way a user meets it (`make wheel-check`).

    VENV/bin/python scripts/check_wheel.py

Run by a fresh virtual environment's Python in which the wheel was installed with
`--no-deps`, plus the runtime dependencies and nothing else (no torch). It checks that the
package comes from that environment (not from a source tree), that the `gpt-is-you`
command answers, and that the app, opened headless on an empty data folder, focuses
"Try the sample chat", whose press opens the import wizard on a file that reads as the
sample chat. The data, config and cache folders are temporary. Prints one line per check;
exits 1 at the first that fails.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

SIZE = (100, 30)


def check(ok: bool, what: str) -> None:
    if not ok:
        sys.exit(f"wheel-check failed: {what}")
    print(f"ok  {what}")


def installed_package() -> None:
    import gpt_is_you

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    package = Path(gpt_is_you.__file__).resolve()
    check(package.is_relative_to(site), f"gpt_is_you is imported from {package.parent}")


def command_answers() -> None:
    command = Path(sys.executable).with_name("gpt-is-you")
    result = subprocess.run([command, "--help"], capture_output=True, text=True, timeout=60)
    check(result.returncode == 0 and "usage" in result.stdout, f"`{command} --help` answers")


async def sample_offered() -> None:
    from textual.widgets import Button, Input

    from gpt_is_you.chats import read_export
    from gpt_is_you.tui.app import GptIsYouApp
    from gpt_is_you.tui.screens.wizard import ImportWizard

    app = GptIsYouApp()
    async with app.run_test(size=SIZE) as pilot:
        buttons = app.screen.query("#try-sample").results(Button)
        button = next(buttons, None)
        check(button is not None and app.focused is button, "the app offers the sample chat")
        await pilot.press("enter")
        await pilot.pause()
        check(isinstance(app.screen, ImportWizard), "its button opens the import wizard")
        path = Path(app.screen.query_one("#export-path", Input).value)
    check(path.is_file() and path.name == "sample_chat.txt", f"the wizard is given {path}")
    chat = read_export(path)
    shown = f"{len(chat.messages):,} messages, {chat.format}"
    check(len(chat.messages) > 3000 and not chat.warnings, f"it reads as a chat ({shown})")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        # Set before gpt_is_you resolves any path (it does so when asked, never at import).
        for variable, name in (
            ("GPT_IS_YOU_HOME", "data"),
            ("GPT_IS_YOU_CONFIG", "config"),
            ("GPT_IS_YOU_CACHE", "cache"),
        ):
            os.environ[variable] = str(Path(folder, name))
        installed_package()
        command_answers()
        asyncio.run(sample_offered())


if __name__ == "__main__":
    main()
