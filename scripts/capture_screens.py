"""Run the app in tmux the way a user does and keep its screens as text in docs/screens/.

    python scripts/capture_screens.py [--steps N] [--out docs/screens]

It starts the app with an empty data directory (the base model's converted weights
stay in the usual cache), imports the bundled sample chat through the wizard, opens the
examples preview, trains a few steps on this machine, chats, evaluates on a few prompts,
and goes back to the models list, saving each screen as plain text at 120x40, and again
at 80x24 (most terminals' default) in docs/screens/80x24/: the terminal is resized, the
screen captured, and resized back. Keys only: nothing is called inside the app.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSION = "gpt-is-you-capture"
WIDTH, HEIGHT = 120, 40
SMALL = (80, 24)
MODEL = "Sam"  # the name the wizard proposes for the sample chat's model
# Held-out prompts of the evaluation captured: enough for a report, quick on a CPU.
EVAL_PROMPTS = 4


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def resize(width: int, height: int) -> None:
    tmux("resize-window", "-t", SESSION, "-x", str(width), "-y", str(height))


def keys(*names: str) -> None:
    for name in names:
        tmux("send-keys", "-t", SESSION, name)
        time.sleep(0.3)


def type_text(text: str) -> None:
    tmux("send-keys", "-t", SESSION, "-l", text)
    time.sleep(0.3)


def wait_for(*texts: str, gone: str | None = None, timeout: float = 30) -> str:
    """The screen once it shows every one of ``texts`` (and no longer ``gone``); fails
    with the screen otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        shown = screen()
        if all(t in shown for t in texts) and (gone is None or gone not in shown):
            time.sleep(0.5)  # let the frame settle (a worker may still be filling a pane)
            return screen()
        if time.monotonic() > deadline:
            raise SystemExit(f"waited {timeout:.0f} s for {texts}; the screen was:\n{shown}")
        time.sleep(0.25)


class Captures:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.count = 0

    def save(self, name: str, text: str | None = None) -> None:
        """The screen at 120x40 (``text`` when the caller has it), then at 80x24."""
        self.count += 1
        self._write(self.out / f"{self.count:02d}-{name}.txt", text or screen())
        resize(*SMALL)
        time.sleep(1.0)  # the app lays itself out again
        self._write(self.out / "80x24" / f"{self.count:02d}-{name}.txt", screen())
        resize(WIDTH, HEIGHT)
        time.sleep(1.0)

    def _write(self, path: Path, text: str) -> None:
        lines = text.rstrip("\n").splitlines()
        path.write_text("\n".join(line.rstrip() for line in lines) + "\n", encoding="utf-8")
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=int, help="training steps (default: the app's, one pass over the examples)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args()
    (args.out / "80x24").mkdir(parents=True, exist_ok=True)
    for old in [*args.out.glob("*.txt"), *args.out.glob("80x24/*.txt")]:
        old.unlink()
    shots = Captures(args.out)
    with tempfile.TemporaryDirectory() as home:
        app = shlex.join([sys.executable, "-m", "gpt_is_you"])
        env = f"GPT_IS_YOU_HOME={shlex.quote(home)} GPT_IS_YOU_CONFIG={shlex.quote(home)}"
        if "PYTHONPATH" in os.environ:  # a tmux server started earlier would not pass it on
            env += f" PYTHONPATH={shlex.quote(os.environ['PYTHONPATH'])}"
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        tmux("new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y", str(HEIGHT),
             f"cd {shlex.quote(str(ROOT))} && {env} {app}")  # fmt: skip
        try:
            drive(shots, args.steps)
        finally:
            subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
            # A training job outlives the app: one still running when a capture failed
            # would go on in a folder about to be deleted.
            cancel = [sys.executable, "-m", "gpt_is_you", "train", MODEL, "--cancel"]
            subprocess.run(cancel, env={**os.environ, "GPT_IS_YOU_HOME": home}, capture_output=True)


def drive(shots: Captures, steps: int | None) -> None:
    shots.save("models-empty", wait_for("No models yet", "Try the sample chat"))

    keys("Enter")  # the focused "Try the sample chat" button opens the wizard on it
    shots.save("import-export", wait_for("Which chat export?", "sample_chat.txt"))
    keys("Enter")  # read it
    shots.save("import-found", wait_for("Participant", "Sam Okafor"))
    keys("C-n")
    shots.save("import-who", wait_for("Whose voice"))
    keys("C-n")
    shots.save("import-dataset", wait_for("Held out for validation", "Examples"))
    keys("C-n")
    wait_for("agreed to this")
    keys("Space")  # Sam agreed (they are invented)
    shots.save("import-consent")
    keys("C-n")  # create

    wait_for("What will be learned", "of 325 examples", timeout=60)
    keys("Down", "Down")
    shots.save("preview", wait_for("Example 3"))
    keys("/")
    type_text("mango")
    keys("Enter")
    shots.save("preview-search", wait_for("examples", gone="of 325 examples"))
    keys("Escape")

    keys("t")
    wait_for("Train Sam", "^s Start")  # the Start button itself is below the fold
    if steps:
        keys("Tab", "Tab")  # from the base model to the number of steps
        type_text(str(steps))
    keys("C-s")
    # The worker loads the base and scores it on the validation split first: minutes on a
    # busy CPU.
    wait_for("step 1 of", timeout=1200)
    shots.save("training-running")
    shots.save("training-done", wait_for("trained", "n New run", timeout=1200))

    keys("c")
    wait_for("No messages yet")
    type_text("hey, what are you up to tonight?")
    keys("Enter")
    wait_for("(model)", timeout=120)
    shots.save("chat", wait_for("esc Back", timeout=300))

    keys("Escape", "Escape", "Escape")
    shots.save("models", wait_for("trained", "last activity"))

    keys("e")
    wait_for("held-out")
    keys("F2")
    wait_for("Evaluation settings")
    keys("BSpace", "BSpace")  # the number of prompts, focused first
    type_text(str(EVAL_PROMPTS))
    keys("Enter")
    wait_for(f"r runs {EVAL_PROMPTS} held-out prompts")
    keys("r")
    shots.save("evaluation", wait_for("style of the replies", timeout=900))
    keys("Escape", "q")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
