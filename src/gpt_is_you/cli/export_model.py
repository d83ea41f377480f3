"""The command line's ``export-model``: a trained model written out for other programs (a
Hugging Face folder, a GGUF file, or a GGUF and an Ollama Modelfile)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_commands(commands) -> None:
    export = commands.add_parser(
        "export-model",
        help="write a trained model for other programs (Hugging Face, llama.cpp, Ollama)",
        description="Write the latest trained model of NAME (its base with the trained "
        "adapter merged in) as a Hugging Face folder (hf), a GGUF file in 8 bits (gguf, "
        "checked by loading it back), or the GGUF and a Modelfile for `ollama create` "
        "(ollama). Works offline.",
    )
    export.add_argument("name", metavar="NAME")
    export.add_argument("--format", choices=("hf", "gguf", "ollama"), required=True)
    export.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="the folder to write (default: model-FORMAT in the model's exports folder)",
    )
    export.add_argument(
        "--force", action="store_true", help="replace the folder when it holds files already"
    )
    export.set_defaults(run=_export_model)


def _export_model(args: argparse.Namespace) -> int:
    from gpt_is_you.providers.local.export import export_model
    from gpt_is_you.store.models import find_model

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    def tensors(done: int, total: int) -> None:  # one line each tenth, on any terminal
        if done == total or done % max(1, total // 10) == 0:
            print(f"  tensors {done} of {total}", file=sys.stderr)

    output = Path(args.output).expanduser() if args.output else None
    exported = export_model(
        find_model(args.name), args.format, output, force=args.force, notice=say, progress=tensors
    )
    if exported.check:
        say(f"the GGUF was {exported.check}")
    print(exported.folder)
    for name in exported.files:
        print(f"  {name}")
    if args.format == "ollama":
        name = next(n for n in exported.files if n.endswith(".gguf")).removesuffix(".gguf")
        say(f"next: cd {exported.folder} && ollama create {name} -f Modelfile")
    return 0
