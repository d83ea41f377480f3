"""What a model's examples add up to: counts per split, the length distribution,
redactions, the cost on OpenAI, and the format checks' findings."""

from __future__ import annotations

from dataclasses import fields
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from gpt_is_you.store.browse import Findings, Stats

LABEL_WIDTH = len("Redaction")
# RedactionCounts' fields as words.
REDACTED = {
    "phone": "phone number",
    "email": "e-mail",
    "iban": "IBAN",
    "card": "card number",
    "link": "link",
}


class ExampleStats(VerticalScroll):
    HELP = """\
## Statistics

What will be trained on (excluded examples left out): examples, turns and tokens per
split; how long the examples are (a bar per range of lengths, from 0 on the left); what
redaction replaced; the estimated cost when the model is built for OpenAI; and
OpenAI's format checks, which run in the background.
"""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"stats--label", "stats--warning"}

    def compose(self) -> ComposeResult:
        yield Static("Reading the statistics…", id="stats-splits")
        yield Static("Tokens per example", id="stats-lengths-title", classes="stats-heading")
        yield Sparkline([], id="stats-lengths")
        yield Static(id="stats-axis")
        yield Static(id="stats-notes")
        yield Static(id="stats-checks")

    def show_stats(self, stats: Stats) -> None:
        self.query_one("#stats-splits", Static).update(self._splits(stats))
        kept = bool(stats.train.examples or stats.valid.examples)
        for part in ("#stats-lengths-title", "#stats-lengths", "#stats-axis"):
            self.query_one(part).display = kept
        self.query_one(Sparkline).data = stats.lengths
        self.query_one("#stats-axis", Static).update(self._axis(stats))
        self.query_one("#stats-notes", Static).update(self._notes(stats))

    def show_findings(self, findings: Findings | None, *, running: bool = False) -> None:
        if running:
            value = Text("OpenAI's format: checking…")
        elif findings is None:
            value = Text("OpenAI's format checks: for the openai target only")
        elif not findings.total:
            value = Text(f"OpenAI's format: no problems in {findings.checked:,} examples")
        else:
            value = Text(
                f"{findings.total:,} problem(s)", self.get_component_rich_style("stats--warning")
            )
            for problem in findings.problems:
                value.append(f"\n{problem}")
            if findings.total > len(findings.problems):
                value.append(f"\n… and {findings.total - len(findings.problems):,} more")
        self.query_one("#stats-checks", Static).update(self._labelled([("Checks", value)]))

    def _splits(self, stats: Stats) -> RenderableType:
        table = Table(box=None, pad_edge=False, show_edge=False, expand=True)
        label = self.get_component_rich_style("stats--label")
        table.add_column("", style=label)
        for heading in ("examples", "turns", "tokens"):
            table.add_column(heading, justify="right", header_style=label)
        for name, split in (("train", stats.train), ("valid", stats.valid)):
            table.add_row(name, f"{split.examples:,}", f"{split.turns:,}", f"{split.tokens:,}")
        table.add_row("excluded", f"{stats.excluded:,}", "", "")
        return table

    def _axis(self, stats: Stats) -> RenderableType:
        axis = Table.grid(expand=True)
        axis.add_column(justify="left")
        axis.add_column(justify="right")
        axis.add_row("0", f"{len(stats.lengths) * stats.bin_tokens:,}")
        return Group(
            axis, f"median {stats.median:,} · longest {stats.longest:,} · limit {stats.limit:,}"
        )

    def _notes(self, stats: Stats) -> RenderableType:
        if not stats.redact:
            redaction = Text("off")
        else:
            found = [
                f"{n:,} {REDACTED[f.name]}{'' if n == 1 else 's'}"
                for f in fields(stats.redactions)
                if (n := getattr(stats.redactions, f.name))
            ]
            redaction = Text(", ".join(found) or "on, nothing found")
        if stats.cost is None:
            cost = Text("none: trains on this machine")
        else:
            c = stats.cost
            cost = Text(
                f"{c.amount}, {c.epochs} epoch(s) of {c.billed_tokens:,} tokens on {c.model}"
                + ("" if c.cost_usd is None else f" (prices of {c.prices_as_of})")
            )
        rows: list[tuple[str, Text]] = [("Redaction", redaction), ("Cost", cost)]
        warning = self.get_component_rich_style("stats--warning")
        rows += [("Warning", Text(w, warning)) for w in stats.warnings]
        return self._labelled(rows)

    def _labelled(self, rows: list[tuple[str, Text]]) -> RenderableType:
        grid = Table.grid(padding=(0, 1))
        label = self.get_component_rich_style("stats--label")
        grid.add_column(style=label, no_wrap=True, width=LABEL_WIDTH)
        grid.add_column()
        for label, value in rows:
            grid.add_row(label, value)
        return grid
