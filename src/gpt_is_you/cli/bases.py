"""The command line's ``bases``: the base catalogue on this machine, what fits, how long
each would train on a model's examples, and the recommended one."""

from __future__ import annotations

import argparse
import json
import sys

from gpt_is_you.cli.common import PROG
from gpt_is_you.providers.errors import ProviderError


def add_commands(commands) -> None:
    bases = commands.add_parser(
        "bases",
        help="list the bases to train from, and which fits this machine",
        description="The bases a local fine-tune can start from: parameters, languages, "
        "licence, download size, whether each is on this machine, whether it fits in its "
        "memory (or with 4-bit on a CUDA GPU), the estimated training time, and the "
        "recommended one. With NAME, for that model's examples and language. Works offline.",
    )
    bases.add_argument("name", metavar="NAME", nargs="?", help="a model: time its examples")
    bases.add_argument("--json", action="store_true", help="print the rows as JSON")
    bases.add_argument(
        "--probe",
        action="store_true",
        help="measure the training speed of the recommended base (or --base) with a few "
        "steps on this machine (it must be downloaded); the measure is kept",
    )
    bases.add_argument("--base", metavar="MODEL", help="the base --probe measures")
    bases.set_defaults(run=_bases)


def _bases(args: argparse.Namespace) -> int:
    from gpt_is_you.providers.local.catalogue import find_base
    from gpt_is_you.providers.local.hardware import probe
    from gpt_is_you.providers.local.recommend import local_source, recommend
    from gpt_is_you.store.models import find_model

    if args.base is not None and not args.probe:
        raise ProviderError("--base names the base --probe measures; add --probe")
    chosen = None
    if args.base is not None:
        chosen = find_base(args.base)
        if chosen is None:
            raise ProviderError(
                f"{args.base!r} is not in the catalogue; `{PROG} bases` lists the bases it "
                "can measure"
            )
    model = find_model(args.name) if args.name else None
    hardware = probe()
    recommendation = recommend(model, hardware=hardware)
    if args.probe:
        from gpt_is_you.providers.local.throughput import measure

        base = chosen or recommendation.recommended.base
        source = local_source(base)
        if source is None:
            raise ProviderError(
                f"{base.label} is not on this machine; download it first "
                f"(`{PROG} train NAME --base {base.name}` fetches it where online)"
            )
        if not args.json:
            print(f"measuring {base.label} on this machine…", file=sys.stderr)
        measured = measure(base, source, hardware)
        if not args.json:
            print(f"{base.label}: {measured.tokens_per_second:.1f} tokens/s", file=sys.stderr)
        recommendation = recommend(model, hardware=hardware)
    if args.json:
        print(json.dumps(recommendation.to_json(), ensure_ascii=False, indent=2))
        return 0
    print("\n".join(describe(recommendation, args.name)))
    return 0


def describe(recommendation, name: str | None) -> list[str]:
    """The catalogue on this machine as lines of text."""
    from gpt_is_you.providers.local.hardware import gigabytes

    r = recommendation
    if r.for_model:
        what = f"{name}'s examples: {r.tokens:,} training tokens, language {r.language}"
    else:
        what = f"a chat of {r.tokens:,} training tokens (name a model for its own)"
    lines = [
        f"This machine: {r.hardware.describe()}",
        f"Times are for {what}",
        "",
        f"  {'base':24}{'params':>8}  {'languages':11}{'licence':19}{'size':>7}  "
        f"{'here':5}{'fits':21}{'memory':>8}  time",
    ]
    for row in r.rows:
        b = row.base
        mark = "*" if row is r.recommended else " "
        languages = ",".join(b.languages) if len(b.languages) < 3 else f"{len(b.languages)} named"
        licence = b.licence + (" (gated)" if b.gated else "")
        lines.append(
            f"{mark} {b.label:24}{b.params / 1e9:>6.2f} B  {languages:11}{licence:19}"
            f"{gigabytes(b.size):>7}  {'yes' if row.downloaded else '-':5}{row.fit_text:21}"
            f"{gigabytes(row.memory):>8}  {row.time_text}"
        )
    base = r.recommended.base
    train = f"{PROG} train {name or 'NAME'}" + ("" if base.bundled else f" --base {base.name}")
    lines += ["", f"Recommended: {base.label} (`{train}`)"]
    if r.warning:
        lines.append(f"warning: {r.warning}")
    return lines
