"""Where everything on the canvas goes: the chain top to bottom, containers as frames with their
lanes side by side, a collapsed container as one block.

Pure geometry (no Qt), worked out afresh on every structural edit in one pass over the tree, so
the scene only moves items to the positions here. Every chain is centred on an axis, so the arrow
from one block to the next is vertical; the top-level chain's axis is the one plain blocks have
always had (x = ``BLOCK_WIDTH / 2``), so a network without containers lies exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gui_app.core.project.blocks import TOP, Lane, LayerSpec
from gui_app.ui.canvas.items import BLOCK_HEIGHT, BLOCK_WIDTH, GAP, STEP

#: A frame's margin left and right of its lanes.
FRAME_PAD = 14.0
#: The frame's header: the container's type, number, output shape, parameters, error.
HEADER = 52.0
#: Between the header and a lane's first arrow: where the lanes split and are labelled.
LABEL = 24.0
#: From the lanes' end to the frame's bottom: where they merge (the ⊕ or the concat).
MERGE = 46.0
LANE_GAP = 20.0
#: An empty lane (the identity): a line with its label.
EMPTY_LANE_WIDTH = 170.0
EMPTY_LANE_HEIGHT = 44.0


@dataclass
class LaneGeometry:
    """One chain on the canvas: a container's lane, or the top level (``lane`` is ``TOP``).

    ``top`` is where the chain begins (its first block's arrow starts there), ``bottom`` where it
    ends; ``tops`` and ``heights`` are its blocks', in order, with their ``uids``.
    """

    lane: Lane
    left: float
    width: float
    top: float
    depth: int
    bottom: float = 0.0
    uids: list[int] = field(default_factory=list)
    tops: list[float] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)
    #: how far down a drop still counts as this lane (a frame's merge line; the top level: no end)
    reach: float = float("inf")

    @property
    def axis(self) -> float:
        return self.left + self.width / 2

    def slot_y(self, index: int) -> float:
        """The y of the gap before block ``index`` (``len(uids)``: after the last), where a marker goes."""
        if not self.uids:
            return self.top + (GAP if self.lane == TOP else EMPTY_LANE_HEIGHT) / 2
        if index < len(self.uids):
            return self.tops[index] - GAP / 2
        return self.bottom + GAP / 2

    def index_at(self, y: float) -> int:
        """The gap nearest ``y``: how many of the lane's blocks have their middle above it."""
        return sum(1 for top, height in zip(self.tops, self.heights, strict=True) if top + height / 2 < y)

    def block_at(self, y: float) -> int:
        """The block whose place (with half the gaps around it) holds ``y``, clamped to the lane."""
        for index, (top, height) in enumerate(zip(self.tops, self.heights, strict=True)):
            if y < top + height + GAP / 2:
                return index
        return max(0, len(self.uids) - 1)

    def holds(self, x: float, y: float) -> bool:
        return self.left - LANE_GAP / 2 <= x <= self.left + self.width + LANE_GAP / 2 and self.top <= y <= self.reach


@dataclass
class FrameGeometry:
    """An expanded container: its frame (scene coordinates), its lanes and where they merge."""

    uid: int
    x: float
    y: float
    width: float
    height: float
    depth: int
    lanes: list[LaneGeometry] = field(default_factory=list)

    @property
    def merge_y(self) -> float:
        """Where the lanes' lines meet (the merge symbol sits below it)."""
        return self.y + self.height - MERGE + 12


@dataclass
class CanvasLayout:
    """Every item's place: blocks and collapsed containers by uid (their top-left), expanded
    containers as frames, every lane; ``parent`` is the frame each item sits in (None: top level),
    ``hidden_in`` the collapsed container that hides a block."""

    positions: dict[int, tuple[float, float]] = field(default_factory=dict)
    frames: dict[int, FrameGeometry] = field(default_factory=dict)
    lanes: dict[Lane, LaneGeometry] = field(default_factory=dict)
    parent: dict[int, int | None] = field(default_factory=dict)
    hidden_in: dict[int, int] = field(default_factory=dict)
    #: the blocks as the eye reads them: each item once, a frame before what it holds
    order: list[int] = field(default_factory=list)
    output_y: float = STEP
    left: float = 0.0
    right: float = BLOCK_WIDTH

    @property
    def top_lane(self) -> LaneGeometry:
        return self.lanes[TOP]

    def lane_at(self, x: float, y: float) -> LaneGeometry:
        """The innermost lane a point is in (the top level when it is in none)."""
        best = self.top_lane
        for lane in self.lanes.values():
            if lane.depth > best.depth and lane.holds(x, y):
                best = lane
        return best


def lay_out(layers: Sequence[LayerSpec], collapsed: set[int]) -> CanvasLayout:
    """The layout of ``layers`` with the containers in ``collapsed`` drawn as one block."""
    builder = _Builder(collapsed)
    top = builder.chain(layers, TOP, BLOCK_WIDTH / 2, BLOCK_HEIGHT, 0, None)
    top.bottom = max(top.bottom, BLOCK_HEIGHT)
    builder.layout.output_y = top.bottom + GAP
    return builder.layout


class _Builder:
    def __init__(self, collapsed: set[int]) -> None:
        self.collapsed = collapsed
        self.layout = CanvasLayout()
        self._sizes: dict[int, tuple[float, float]] = {}

    def expanded(self, block: LayerSpec) -> bool:
        return block.lanes is not None and block.uid not in self.collapsed

    # ------------------------------------------------------------------ sizes, inside out
    def size(self, block: LayerSpec) -> tuple[float, float]:
        if not self.expanded(block):
            return BLOCK_WIDTH, BLOCK_HEIGHT
        known = self._sizes.get(block.uid)
        if known is None:
            widths, heights = zip(*(self.lane_size(lane) for lane in block.lanes or ()), strict=True)
            lanes_width = sum(widths) + LANE_GAP * (len(widths) - 1)
            known = (max(lanes_width, BLOCK_WIDTH) + 2 * FRAME_PAD, HEADER + LABEL + max(heights) + MERGE)
            self._sizes[block.uid] = known
        return known

    def lane_size(self, lane: Sequence[LayerSpec]) -> tuple[float, float]:
        if not lane:
            return EMPTY_LANE_WIDTH, EMPTY_LANE_HEIGHT
        sizes = [self.size(block) for block in lane]
        return max(w for w, _ in sizes), sum(GAP + h for _, h in sizes)

    # ------------------------------------------------------------------ places, outside in
    def chain(
        self, blocks: Sequence[LayerSpec], lane: Lane, axis: float, top: float, depth: int, parent: int | None
    ) -> LaneGeometry:
        width = self.lane_size(blocks)[0] if lane != TOP else max((self.size(b)[0] for b in blocks), default=0)
        geometry = LaneGeometry(lane, axis - width / 2, width, top, depth)
        self.layout.lanes[lane] = geometry
        y = top
        for block in blocks:
            w, h = self.size(block)
            y += GAP
            x = axis - w / 2
            self.place(block, x, y, w, h, depth, parent)
            geometry.uids.append(block.uid)
            geometry.tops.append(y)
            geometry.heights.append(h)
            y += h
            self.layout.left = min(self.layout.left, x)
            self.layout.right = max(self.layout.right, x + w)
        geometry.bottom = y if blocks else top + (EMPTY_LANE_HEIGHT if lane != TOP else 0)
        return geometry

    def place(self, block: LayerSpec, x: float, y: float, w: float, h: float, depth: int, parent: int | None) -> None:
        layout = self.layout
        layout.positions[block.uid] = (x, y)
        layout.parent[block.uid] = parent
        layout.order.append(block.uid)
        if block.lanes is None:
            return
        if not self.expanded(block):
            for lane in block.lanes:
                for inner in lane:
                    self.hide(inner, block.uid)
            return
        frame = FrameGeometry(block.uid, x, y, w, h, depth)
        layout.frames[block.uid] = frame
        widths = [self.lane_size(lane)[0] for lane in block.lanes]
        left = x + (w - sum(widths) - LANE_GAP * (len(widths) - 1)) / 2
        for number, (lane, lane_width) in enumerate(zip(block.lanes, widths, strict=True)):
            geometry = self.chain(
                lane, Lane(block.uid, number), left + lane_width / 2, y + HEADER + LABEL, depth + 1, block.uid
            )
            geometry.reach = frame.merge_y
            frame.lanes.append(geometry)
            left += lane_width + LANE_GAP

    def hide(self, block: LayerSpec, owner: int) -> None:
        self.layout.hidden_in[block.uid] = owner
        for lane in block.lanes or ():
            for inner in lane:
                self.hide(inner, owner)
