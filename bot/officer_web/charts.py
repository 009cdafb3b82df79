"""Charts of the officers' overview page, drawn server-side as inline SVG (no JS library)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

_BAR_H, _GAP, _LABEL_W, _WIDTH = 24, 10, 190, 520


def bar_chart(title: str, rows: Sequence[tuple[str, float]], unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value); scales to its container (viewBox)."""
    height = max(1, len(rows)) * (_BAR_H + _GAP) + 40
    top = max((v for _, v in rows), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="20" class="chart-title">{escape(title)}</text>',
    ]
    if not rows:
        parts.append('<text x="0" y="44" class="chart-empty">Chưa có số liệu</text>')
    for n, (label, value) in enumerate(rows):
        y = 34 + n * (_BAR_H + _GAP)
        width = (_WIDTH - _LABEL_W - 90) * value / top
        short = label if len(label) <= 20 else label[:19] + "…"
        shown = f"{value:,.0f}".replace(",", ".") + unit
        parts += [
            f'<text x="0" y="{y + 17}" class="chart-label">{escape(short)}</text>',
            f'<rect x="{_LABEL_W}" y="{y}" width="{width:.1f}" height="{_BAR_H}" rx="3" '
            f'class="bar bar-{n % 4}"/>',
            f'<text x="{_LABEL_W + width + 6:.1f}" y="{y + 17}" class="chart-value">'
            f"{escape(shown)}</text>",
        ]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped


def paired_bar_chart(
    title: str, rows: Sequence[tuple[str, float, float]], legend: tuple[str, str]
) -> Markup:
    """Two horizontal bars per row (label, first, second), one scale, with a legend: e.g.
    questions answered and not answered, per week. Scales to its container (viewBox)."""
    pair = 2 * _BAR_H // 2 + 4
    height = max(1, len(rows)) * (pair + _GAP) + 70
    top = max((max(a, b) for _, a, b in rows), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="20" class="chart-title">{escape(title)}</text>',
    ]
    for n, name in enumerate(legend):
        x = n * 230
        parts += [
            f'<rect x="{x}" y="32" width="14" height="14" rx="2" class="bar bar-{n}"/>',
            f'<text x="{x + 20}" y="45" class="chart-label">{escape(name)}</text>',
        ]
    if not rows:
        parts.append('<text x="0" y="74" class="chart-empty">Chưa có số liệu</text>')
    half = _BAR_H // 2
    for n, (label, first, second) in enumerate(rows):
        y = 60 + n * (pair + _GAP)
        parts.append(f'<text x="0" y="{y + half + 6}" class="chart-label">{escape(label)}</text>')
        for k, value in enumerate((first, second)):
            width = (_WIDTH - _LABEL_W - 90) * value / top
            bar_y = y + k * (half + 4)
            shown = f"{value:,.0f}".replace(",", ".")
            parts += [
                f'<rect x="{_LABEL_W}" y="{bar_y}" width="{width:.1f}" height="{half}" rx="2" '
                f'class="bar bar-{k}"/>',
                f'<text x="{_LABEL_W + width + 6:.1f}" y="{bar_y + half - 1}" '
                f'class="chart-value small">{escape(shown)}</text>',
            ]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part above is escaped
