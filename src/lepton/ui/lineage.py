"""A small server-side lineage graph: columns of boxes joined by lines, as inline SVG.

Dataset version → training run → model version → optimized variants → deployments.
Every label and link goes through ``markupsafe.escape``, so a hostile name is text in
the picture, never markup; no JavaScript is needed to draw it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

COLUMNS = ("dataset", "run", "version", "variants", "deployment")
NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 190, 34, 50, 12, 10
MAX_LABEL = 28


@dataclass
class Node:
    id: str
    column: str
    label: str
    sub: str = ""
    href: str | None = None


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def link(self, source: str, target: str) -> None:
        self.edges.add((source, target))


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def render(graph: Graph, *, title: str = "lineage") -> Markup:
    """The graph as an ``<svg class="lineage">`` element (empty columns are skipped)."""
    used = [c for c in COLUMNS if any(n.column == c for n in graph.nodes.values())]
    if not used:
        return Markup("")
    places: dict[str, tuple[int, int]] = {}
    rows = 0
    for col_index, column in enumerate(used):
        members = [n for n in graph.nodes.values() if n.column == column]
        for row_index, node in enumerate(members):
            x = PAD + col_index * (NODE_W + GAP_X)
            y = PAD + 18 + row_index * (NODE_H + GAP_Y)
            places[node.id] = (x, y)
        rows = max(rows, len(members))
    width = PAD * 2 + len(used) * NODE_W + (len(used) - 1) * GAP_X
    height = PAD * 2 + 18 + rows * (NODE_H + GAP_Y)
    parts = [
        f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
    ]
    for col_index, column in enumerate(used):
        x = PAD + col_index * (NODE_W + GAP_X)
        parts.append(f'<text class="column" x="{x}" y="{PAD + 8}">{escape(column)}</text>')
    for source, target in sorted(graph.edges):
        if source not in places or target not in places:
            continue
        (x1, y1), (x2, y2) = places[source], places[target]
        parts.append(
            f'<line x1="{x1 + NODE_W}" y1="{y1 + NODE_H // 2}" x2="{x2}" y2="{y2 + NODE_H // 2}"/>'
        )
    for node in graph.nodes.values():
        x, y = places[node.id]
        box = [
            f'<g class="node {escape(node.column)}" data-node="{escape(node.id)}">',
            f"<title>{escape(node.label)}{(' · ' + escape(node.sub)) if node.sub else ''}</title>",
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="4"/>',
            f'<text x="{x + 6}" y="{y + 14}">{escape(_short(node.label))}</text>',
        ]
        if node.sub:
            box.append(
                f'<text class="sub" x="{x + 6}" y="{y + 28}">{escape(_short(node.sub))}</text>'
            )
        box.append("</g>")
        inner = "".join(box)
        if node.href:
            inner = f'<a href="{escape(node.href)}">{inner}</a>'
        parts.append(inner)
    parts.append("</svg>")
    return Markup("".join(parts))  # every interpolated value escaped above
