"""The stacks of a synth and what each reads from the others, drawn.

  python -m tools.graph [OUTDIR]   (what `make graph` runs)

Writes OUTDIR/graph.mmd (Mermaid, also printed; GitHub renders it in a
```mermaid block) and OUTDIR/graph.svg (drawn here: a fresh machine has no
graphviz). An arrow goes from a stack to each stack that depends on it, in
deploy order, labelled with the number of values the dependent reads from it
through `terraform_remote_state`; "order" when it only deploys after it.
SVG: one row per environment, one column per dependency depth.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from tools.stacks import split_stack_name
from tools.summary import resources_of, stack_documents

REMOTE_READ = re.compile(r"data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)")


@dataclass(frozen=True)
class Edge:
    producer: str
    consumer: str
    values: int  # distinct outputs read; 0 when the dependency is deploy order only


@dataclass(frozen=True)
class Graph:
    resources: dict[str, int]  # stack -> resource count
    edges: list[Edge]
    depth: dict[str, int]  # longest dependency chain below the stack


def values_read(doc: dict[str, Any]) -> dict[str, int]:
    """Producer stack -> distinct outputs this stack reads from its remote state."""
    sources = doc.get("data", {}).get("terraform_remote_state", {})
    # The state key is `<stack>/terraform.tfstate` (stacks/base.py); the name is cdktf's own.
    producer = {
        name: str(body.get("config", {}).get("key", "")).partition("/")[0]
        or name.removeprefix("cross-stack-reference-input-")
        for name, body in sources.items()
    }
    reads: dict[str, set[str]] = {}
    for source, output in set(REMOTE_READ.findall(json.dumps(doc))):
        if source in producer:
            reads.setdefault(producer[source], set()).add(output)
    return {stack: len(outputs) for stack, outputs in reads.items()}


def build(outdir: Path) -> Graph:
    manifest = json.loads((outdir / "manifest.json").read_text())["stacks"]
    docs = stack_documents(outdir)
    edges = []
    for consumer in sorted(docs):
        reads = values_read(docs[consumer])
        for producer in sorted(set(manifest[consumer].get("dependencies", [])) | reads.keys()):
            if producer in docs:
                edges.append(Edge(producer, consumer, reads.get(producer, 0)))
    needs = {s: {e.producer for e in edges if e.consumer == s} for s in sorted(docs)}
    depth: dict[str, int] = {}
    for stack in TopologicalSorter(needs).static_order():
        depth[stack] = 1 + max((depth[p] for p in needs[stack]), default=-1)
    return Graph({s: len(resources_of(d)) for s, d in docs.items()}, edges, depth)


def label(edge: Edge) -> str:
    return "order" if not edge.values else f"{edge.values} value{'s' if edge.values != 1 else ''}"


def ident(prefix: str, name: str) -> str:
    return prefix + re.sub(r"\W", "_", name)  # Mermaid ids: `-` and keywords like `end` break them


def mermaid(graph: Graph) -> str:
    node = {s: ident("s_", s) for s in graph.resources}
    lines = ["flowchart LR"]
    for env in sorted({split_stack_name(s)[0] for s in graph.resources}):
        lines.append(f'  subgraph {ident("env_", env)}["{env}"]')
        for s in sorted(graph.resources, key=lambda s: (graph.depth[s], s)):
            if split_stack_name(s)[0] == env:
                lines.append(f'    {node[s]}["{s}<br/>{graph.resources[s]} resources"]')
        lines.append("  end")
    for e in graph.edges:
        arrow = "-.->" if not e.values else "-->"
        lines.append(f"  {node[e.producer]} {arrow}|{label(e)}| {node[e.consumer]}")
    return "\n".join(lines)


# SVG geometry, in pixels.
BOX_W, BOX_H, COL_GAP, LANE_GAP, TRACK, MARGIN, LEFT = 190, 46, 96, 14, 20, 16, 96


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    band: str  # environment


def producers_lane(graph: Graph, lane_of: dict[str, float], stack: str) -> float:
    """Mean lane of a stack's producers: ordering a column by it makes arrows cross less."""
    lanes = [lane_of[e.producer] for e in graph.edges if e.consumer == stack and e.producer in lane_of]
    return sum(lanes) / len(lanes) if lanes else 0.0


def tracks(graph: Graph, edges: list[Edge]) -> dict[Edge, int]:
    """A track (0: nearest the boxes) per edge that skips a column. Shorter
    edges go nearer, so arcs nest instead of crossing; two edges share a track
    when their horizontal runs do not overlap."""
    spans = {e: (graph.depth[e.producer], graph.depth[e.consumer]) for e in edges}
    placed: list[list[tuple[int, int]]] = []
    track = {}
    for e, (start, end) in sorted(spans.items(), key=lambda i: (i[1][1] - i[1][0], i[1], i[0].producer)):
        if end - start < 2:
            continue
        free = (i for i, runs in enumerate(placed) if all(end <= s or e_ <= start for s, e_ in runs))
        track[e] = next(free, len(placed))
        if track[e] == len(placed):
            placed.append([])
        placed[track[e]].append((start, end))
    return track


def layout(graph: Graph) -> tuple[dict[str, Box], dict[Edge, int], list[tuple[str, int, int]], int]:
    """Box per stack, channel y per edge that skips columns (it runs above the
    boxes it passes), environment bands (name, top, height), total height."""
    boxes: dict[str, Box] = {}
    channel: dict[Edge, int] = {}
    bands = []
    top = MARGIN
    for env in sorted({split_stack_name(s)[0] for s in graph.resources}):
        stacks = [s for s in graph.resources if split_stack_name(s)[0] == env]
        columns: dict[int, list[str]] = {}
        for s in stacks:
            columns.setdefault(graph.depth[s], []).append(s)
        lanes = max(len(c) for c in columns.values())
        track = tracks(graph, [e for e in graph.edges if e.consumer in stacks])
        boxes_top = top + 28 + len(set(track.values())) * TRACK
        channel.update({e: boxes_top - 12 - t * TRACK for e, t in track.items()})
        lane_of: dict[str, float] = {}
        for depth in sorted(columns):
            column = sorted(columns[depth], key=lambda s: (producers_lane(graph, lane_of, s), s))
            offset = (lanes - len(column)) / 2  # centre short columns in the band
            for i, s in enumerate(column):
                lane_of[s] = offset + i
                y = boxes_top + round((offset + i) * (BOX_H + LANE_GAP))
                boxes[s] = Box(LEFT + depth * (BOX_W + COL_GAP), y, env)
        height = boxes_top - top + lanes * (BOX_H + LANE_GAP) + 4
        bands.append((env, top, height))
        top += height + MARGIN
    return boxes, channel, bands, top


def svg(graph: Graph) -> str:
    boxes, channel, bands, height = layout(graph)
    width = LEFT + (max(graph.depth.values(), default=0) + 1) * (BOX_W + COL_GAP) - COL_GAP + 2 * MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' font-family="Helvetica, Arial, sans-serif" font-size="13">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8"'
        ' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for env, top, band_h in bands:
        out.append(
            f'<rect class="env" x="{MARGIN}" y="{top}" width="{width - 2 * MARGIN}" height="{band_h}"'
            ' rx="8" fill="#f4f6f9" stroke="#d0d7de"/>'
        )
        out.append(f'<text x="{MARGIN + 12}" y="{top + 18}" font-weight="bold" font-size="15">{escape(env)}</text>')
    labels = []
    for e in graph.edges:
        a, b = boxes[e.producer], boxes[e.consumer]
        x0, y0, x3, y3 = a.x + BOX_W, a.y + BOX_H // 2, b.x, b.y + BOX_H // 2
        half = COL_GAP // 2
        if e in channel:  # up into the channel after the producer, across, down before the consumer
            ty = channel[e]
            path = (
                f"M{x0},{y0} C{x0 + half},{y0} {x0 + half},{ty} {x0 + COL_GAP},{ty} L{x3 - COL_GAP},{ty}"
                f" C{x3 - half},{ty} {x3 - half},{y3} {x3},{y3}"
            )
            lx, ly = x0 + COL_GAP + BOX_W // 2, ty  # over the first box it passes: no other arrow turns there
        else:
            path = f"M{x0},{y0} C{x0 + half},{y0} {x3 - half},{y3} {x3},{y3}"
            lx, ly = (x0 + x3) // 2, (y0 + y3) // 2
        style = ' stroke-dasharray="5,4" stroke="#8a8f98"' if not e.values else ' stroke="#555"'
        out.append(
            f'<path class="edge" d="{path}" fill="none" stroke-width="1.4"{style} marker-end="url(#arrow)">'
            f"<title>{escape(e.consumer)} reads {label(e)} from {escape(e.producer)}</title></path>"
        )
        text_w = 7 * len(label(e)) + 8
        labels.append(
            f'<rect x="{lx - text_w // 2}" y="{ly - 8}" width="{text_w}" height="16" rx="3" fill="#ffffff"'
            f' stroke="#d0d7de"/><text x="{lx}" y="{ly + 4}" text-anchor="middle" font-size="11">'
            f"{label(e)}</text>"
        )
    for s, box in sorted(boxes.items()):
        out.append(
            f'<rect class="stack" data-stack="{escape(s)}" x="{box.x}" y="{box.y}" width="{BOX_W}"'
            f' height="{BOX_H}" rx="6" fill="#dbe9fb" stroke="#2f6fba"><title>{escape(s)}</title></rect>'
        )
        out.append(
            f'<text x="{box.x + BOX_W // 2}" y="{box.y + 19}" text-anchor="middle" font-weight="bold">'
            f"{escape(s)}</text>"
        )
        out.append(
            f'<text x="{box.x + BOX_W // 2}" y="{box.y + 36}" text-anchor="middle" font-size="11"'
            f' fill="#444">{graph.resources[s]} resources</text>'
        )
    return "\n".join([*out, *labels, "</svg>"]) + "\n"  # labels last: drawn over the arrows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", nargs="?", type=Path, default=Path("cdktf.out"))
    outdir: Path = parser.parse_args(argv).outdir
    graph = build(outdir)
    text = mermaid(graph)
    (outdir / "graph.mmd").write_text(text + "\n")
    (outdir / "graph.svg").write_text(svg(graph))
    print(text)
    print(f"\nwrote {outdir / 'graph.mmd'} and {outdir / 'graph.svg'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
