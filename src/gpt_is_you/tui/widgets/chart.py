"""A small line chart in braille dots: two series over steps, a legend, min/max labels.

Each character cell holds 2×4 dots, so a 40×8 chart plots 80×32 points. The drawing is
kept until the series or the size change: a poll that brings no new point costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

# The bit of each dot in a braille cell, by (column, row) inside the cell.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
_BRAILLE = 0x2800


@dataclass(frozen=True)
class Series:
    """One line of the chart: its name in the legend and its (x, y) points in x order."""

    label: str
    points: tuple[tuple[float, float], ...]


def plain(value: float) -> str:
    return f"{value:.3f}"


def percent(value: float) -> str:
    return f"{value:.0%}"


class LineChart(Widget):
    """Up to two series drawn as braille lines, with a legend of their latest values."""

    DEFAULT_CSS = """
    LineChart {
        height: 10;
        min-height: 5;
    }
    LineChart > .line-chart--axis {
        color: $text-muted;
    }
    LineChart > .line-chart--title {
        text-style: bold;
    }
    LineChart > .line-chart--first {
        color: $primary;
    }
    LineChart > .line-chart--second {
        color: $warning;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-chart--axis",
        "line-chart--title",
        "line-chart--first",
        "line-chart--second",
    }

    def __init__(
        self,
        title: str,
        *,
        value_format: Callable[[float], str] = plain,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self._format = value_format
        self._series: tuple[Series, ...] = ()
        self._drawn: tuple[tuple[int, int], Text] | None = None

    @property
    def series(self) -> tuple[Series, ...]:
        return self._series

    def set_series(self, *series: Series) -> None:
        """Show these series; nothing is redrawn when they are the ones already shown."""
        if series == self._series:
            return
        self._series = series
        self._drawn = None
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn = None  # the colours come from the theme

    def render(self) -> Text:
        size = (self.content_size.width, self.content_size.height)
        if self._drawn is None or self._drawn[0] != size:
            self._drawn = (size, self._draw(*size))
        return self._drawn[1]

    def _draw(self, width: int, height: int) -> Text:
        styles = [
            self.get_component_rich_style("line-chart--first"),
            self.get_component_rich_style("line-chart--second"),
        ]
        axis = self.get_component_rich_style("line-chart--axis")
        series = [(s, [(x, y) for x, y in s.points if math.isfinite(y)]) for s in self._series[:2]]
        out = self._legend(series, styles)
        points = [p for _, ps in series for p in ps]
        if not points or height < 3:
            out.append("\n" + "no points yet".center(width), style=axis)
            return out
        xs = [x for x, _ in points]
        ys = [y for _, y in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        labels = (self._format(y1), self._format(y0))
        label_width = max(map(len, labels))
        plot_width = max(1, width - label_width - 1)
        plot_height = height - 2  # the legend above, the steps below
        cells = _plot(series, (x0, x1, y0, y1), plot_width, plot_height)
        for row in range(plot_height):
            label = labels[0] if row == 0 else labels[1] if row == plot_height - 1 else ""
            out.append("\n" + label.rjust(label_width) + ("┤" if label else "│"), style=axis)
            for bits, which in cells[row]:
                out.append(chr(_BRAILLE + bits), style=styles[which] if bits else None)
        first, last = f"{x0:g}", f"{x1:g}"
        steps = first + "─" * max(1, plot_width - len(first) - len(last)) + last
        out.append("\n" + " " * label_width + "└" + steps[:plot_width], style=axis)
        return out

    def _legend(self, series: list[tuple[Series, list]], styles: list[Style]) -> Text:
        legend = Text(self.title, style=self.get_component_rich_style("line-chart--title"))
        for (s, points), style in zip(series, styles, strict=False):
            legend.append("  ━ ", style=style)
            legend.append(s.label)
            if points:
                legend.append(f" {self._format(points[-1][1])}")
        legend.no_wrap = True
        legend.overflow = "ellipsis"
        return legend


def _plot(
    series: Sequence[tuple[Series, list[tuple[float, float]]]],
    bounds: tuple[float, float, float, float],
    width: int,
    height: int,
) -> list[list[tuple[int, int]]]:
    """Each cell's braille bits and the index of the series drawn last in it."""
    x0, x1, y0, y1 = bounds
    dots_x, dots_y = 2 * width - 1, 4 * height - 1
    cells = [[(0, 0)] * width for _ in range(height)]

    def dot(column: int, row: int, which: int) -> None:
        cell_row, cell_col = row // 4, column // 2
        bits, _ = cells[cell_row][cell_col]
        cells[cell_row][cell_col] = (bits | _DOTS[column % 2][row % 4], which)

    def position(x: float, y: float) -> tuple[int, int]:
        column = round((x - x0) / (x1 - x0) * dots_x) if x1 > x0 else 0
        row = round((y1 - y) / (y1 - y0) * dots_y) if y1 > y0 else dots_y // 2
        return column, row

    for which, (_, points) in enumerate(series):
        previous = None
        for x, y in points:
            here = position(x, y)
            for column, row in _line(previous or here, here):
                dot(column, row, which)
            previous = here
    return cells


def _line(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """The dots from ``start`` to ``end`` (Bresenham)."""
    (x, y), (x1, y1) = start, end
    dx, dy = abs(x1 - x), -abs(y1 - y)
    sx, sy = (1 if x1 > x else -1), (1 if y1 > y else -1)
    error = dx + dy
    dots = [(x, y)]
    while (x, y) != (x1, y1):
        doubled = 2 * error
        if doubled >= dy:
            error += dy
            x += sx
        if doubled <= dx:
            error += dx
            y += sy
        dots.append((x, y))
    return dots
