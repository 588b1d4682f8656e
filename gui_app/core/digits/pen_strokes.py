"""MNIST digits as pen strokes: skeleton -> polylines -> a uniform round pen, as a tablet draws.

Pen handwriting differs from MNIST's scanned digits: every stroke has the same thin width and
is made of straight segments between the points the tablet sampled. A model that only saw MNIST
meets those shapes rarely, so the training script (and the project's pen-style test set) redraw
MNIST digits that way: :func:`skeletonise` thins the ink to one-pixel lines (Zhang-Suen, a
whole batch at once), :func:`trace` follows them into polylines, :func:`simplify` keeps the
corners (Douglas-Peucker), and :func:`render` draws polylines with an antialiased round pen.
A tablet that keeps only a few evenly spaced points of the pen's path draws coarser digits still:
:func:`writing_order` puts the polylines in an order a writer could have drawn them and
:func:`sample_along` keeps that many points, so each digit is a handful of straight segments;
:func:`sample_in_time` keeps the points a tablet clocked in time would, strokes apart.
numpy only, no Qt; cheap enough to redraw MNIST's 60,000 training digits in a few minutes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

Polyline = np.ndarray  # K×2 float, (x, y), y down

#: A branch this short (in skeleton pixels) ending in a junction is thinning noise, not a stroke.
SPUR_LENGTH = 4


def skeletonise(masks: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeletons (Zhang-Suen thinning) of N×H×W boolean masks, all at once."""
    img = np.pad(masks.astype(np.uint8), ((0, 0), (1, 1), (1, 1)))
    while True:
        changed = False
        for first in (True, False):
            p = [
                img[:, :-2, 1:-1],  # P2 north, then clockwise
                img[:, :-2, 2:],
                img[:, 1:-1, 2:],
                img[:, 2:, 2:],
                img[:, 2:, 1:-1],
                img[:, 2:, :-2],
                img[:, 1:-1, :-2],
                img[:, :-2, :-2],
            ]
            count = sum(q.astype(np.int16) for q in p)
            transitions = sum(((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.int16) for i in range(8))
            n, e, s, w = p[0], p[2], p[4], p[6]
            corner = (n * e * s == 0) & (e * s * w == 0) if first else (n * e * w == 0) & (n * s * w == 0)
            remove = (img[:, 1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & corner
            if remove.any():
                img[:, 1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return img[:, 1:-1, 1:-1].astype(bool)


def _neighbours(skeleton: np.ndarray) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """The skeleton as a graph of 8-neighbours, without the diagonal short-cuts of staircases.

    A diagonal edge whose two ends share a 4-neighbour on the skeleton would make every corner
    of a staircase a false junction, so only the 4-connected path is kept there.
    """
    pixels = {(int(r), int(c)) for r, c in zip(*np.nonzero(skeleton), strict=True)}
    graph: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for r, c in pixels:
        links = []
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                q = (r + dr, c + dc)
                if q == (r, c) or q not in pixels:
                    continue
                if dr and dc and ((r + dr, c) in pixels or (r, c + dc) in pixels):
                    continue
                links.append(q)
        graph[(r, c)] = links
    return graph


def _walk(graph: dict, start: tuple[int, int], step: tuple[int, int], used: set) -> list[tuple[int, int]]:
    """Follow the skeleton from ``start`` through ``step`` until a junction, an end or a used edge."""
    path, prev, cur = [start, step], start, step
    used.add((start, step))
    used.add((step, start))
    while len(graph[cur]) == 2:
        nxt = next((q for q in graph[cur] if q != prev and (cur, q) not in used), None)
        if nxt is None:
            break
        used.add((cur, nxt))
        used.add((nxt, cur))
        path.append(nxt)
        prev, cur = cur, nxt
    return path


def trace(skeleton: np.ndarray) -> list[Polyline]:
    """The skeleton of one digit as polylines (x, y in pixels), short spurs left out."""
    graph = _neighbours(skeleton)
    used: set = set()
    paths: list[list[tuple[int, int]]] = []
    nodes = sorted(p for p, links in graph.items() if len(links) != 2)
    for node in nodes:
        for step in graph[node]:
            if (node, step) not in used:
                paths.append(_walk(graph, node, step, used))
    for pixel in sorted(graph):  # closed loops (an O, the rings of an 8) have no ends to start from
        for step in graph[pixel]:
            if (pixel, step) not in used:
                paths.append(_walk(graph, pixel, step, used))
    kept = [p for p in paths if not _is_spur(p, graph)] or paths
    lines = [np.array([(c, r) for r, c in path], dtype=np.float32) for path in kept]
    lone = [np.array([(c, r)], dtype=np.float32) for (r, c), links in graph.items() if not links]
    return lines or lone


def _is_spur(path: list[tuple[int, int]], graph: dict) -> bool:
    degrees = sorted((len(graph[path[0]]), len(graph[path[-1]])))
    return degrees[0] == 1 and degrees[1] >= 3 and len(path) <= SPUR_LENGTH


def simplify(line: Polyline, tolerance: float) -> Polyline:
    """Douglas-Peucker: the fewest points that stay within ``tolerance`` of ``line``."""
    if len(line) < 3:
        return line
    keep = np.zeros(len(line), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(line) - 1)]
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        a, b = line[lo], line[hi]
        ab = b - a
        rel = line[lo + 1 : hi] - a
        length = float(np.hypot(*ab))
        if length < 1e-6:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(ab[0] * rel[:, 1] - ab[1] * rel[:, 0]) / length
        worst = int(np.argmax(dist))
        if dist[worst] > tolerance:
            mid = lo + 1 + worst
            keep[mid] = True
            stack += [(lo, mid), (mid, hi)]
    return line[keep]


def writing_order(lines: Sequence[Polyline]) -> list[Polyline]:
    """``lines`` in an order and direction a writer could have drawn them.

    A skeleton's polylines come in no particular order and break at every junction. People start
    a stroke near the top (a little to the left); at a junction the pen goes straight on (through
    an 8's crossing, along a 4's bar), so the next line is the one leaving the pen's position
    with the smallest turn; when no line leaves from there the pen is lifted and the next stroke
    starts, again, at the highest free end.
    """
    left = [line for line in lines if len(line)]
    if not left:
        return []
    points = np.concatenate(left)
    touching = 0.08 * float(max(np.ptp(points, axis=0).max(), 1e-6))  # a junction's pieces meet here
    ordered = [_pop_highest(left)]
    while left:
        path = ordered[-1]
        heading = path[-1] - path[max(0, len(path) - 4)]
        best: tuple[float, int, int] | None = None
        for i, line in enumerate(left):
            for k in (0, -1):
                if float(np.hypot(*(line[k] - path[-1]))) > touching:
                    continue
                entered = line if k == 0 else line[::-1]
                turn = _turn(heading, entered[min(3, len(entered) - 1)] - entered[0])
                if best is None or turn < best[0]:
                    best = (turn, i, k)
        if best is None:
            ordered.append(_pop_highest(left))
        else:
            ordered.append(left.pop(best[1])[:: 1 if best[2] == 0 else -1])
    return ordered


def _pop_highest(lines: list[Polyline]) -> Polyline:
    """Take the line with the highest end (a little to the left) out of ``lines``, from that end."""
    _, first, end = min((float(line[k, 1] + 0.3 * line[k, 0]), i, k) for i, line in enumerate(lines) for k in (0, -1))
    return lines.pop(first)[:: 1 if end == 0 else -1]


def _turn(heading: np.ndarray, direction: np.ndarray) -> float:
    """The angle (radians, 0..pi) between two directions; 0 when either is undefined."""
    norms = float(np.hypot(*heading) * np.hypot(*direction))
    if norms < 1e-9:
        return 0.0
    return float(np.arccos(np.clip(float(heading @ direction) / norms, -1.0, 1.0)))


def sample_along(lines: Sequence[Polyline], points: int, pen_up: bool = True) -> list[Polyline]:
    """What a tablet that keeps ``points`` evenly spaced points of the pen's path records.

    ``pen_up=True``: the path runs through all the strokes in order, the pen's move between two
    strokes included, as recordings that keep only the sampled points join them; the digit becomes
    one polyline of ``points - 1`` straight segments. ``pen_up=False``: each stroke is sampled on
    its own, with a share of the points as long as its share of the ink (at least 2 each).
    """
    lines = [line for line in lines if len(line)]
    if not lines:
        return []
    if pen_up:
        return [_evenly_spaced(np.concatenate(lines), points)]
    lengths = np.array([_length(line) for line in lines])
    shares = np.maximum(2, np.round(points * lengths / max(float(lengths.sum()), 1e-6))).astype(int)
    return [_evenly_spaced(line, int(n)) for line, n in zip(lines, shares, strict=True)]


def sample_in_time(lines: Sequence[Polyline], points: int) -> list[Polyline]:
    """What a tablet that reports the pen's place at fixed time intervals records, about ``points`` in all.

    A writer's pen slows down in corners and tight curves (speed about the curvature to the power
    -1/3, the two-thirds power law of drawing movements) and at the start and end of each stroke,
    so a clocked tablet keeps corners and loses the middle of fast straight strokes, unlike
    :func:`sample_along`. Each stroke keeps its pen-down point, then one every interval from
    there; what the pen draws after the last report before it lifts is lost. Strokes stay apart:
    the recording knows when the pen was lifted.
    """
    lines = [line for line in lines if len(line)]
    if not lines:
        return []
    size = max(float(np.ptp(np.concatenate(lines), axis=0).max()), 1e-6)
    dense = [_evenly_spaced(line, max(2, int(np.ceil(_length(line) / size * 200)) + 1)) for line in lines]
    clocks = [_pen_clock(path, size) for path in dense]
    interval = sum(float(clock[-1]) for clock in clocks) / max(1, points)
    if interval <= 0:  # only dots: the pen never moved, so each stroke is its pen-down point
        return [path[:1].astype(np.float32) for path in dense]
    recorded = []
    for path, clock in zip(dense, clocks, strict=True):
        at = np.arange(0.0, float(clock[-1]) + 1e-9, interval)
        picked = np.stack([np.interp(at, clock, path[:, 0]), np.interp(at, clock, path[:, 1])], 1)
        recorded.append(picked.astype(np.float32))
    return recorded


def _pen_clock(path: Polyline, size: float) -> np.ndarray:
    """The time at which the pen reaches each point of a densely resampled ``path`` (one stroke).

    The constants are a plausible hand, not a fitted one: curvature is smoothed over 3% of the
    digit because a corner slows the pen before and after it, and the pen starts and stops at
    0.3 of its speed over the first and last tenth of the digit's size.
    """
    steps = np.hypot(*np.diff(path, axis=0).T)
    if len(steps) == 0 or float(steps.sum()) <= 0:
        return np.zeros(len(path))
    heading = np.arctan2(np.diff(path[:, 1]), np.diff(path[:, 0]))
    turn = np.abs((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi)
    curvature = np.concatenate([[0.0], turn, [0.0]]) / np.maximum(steps.mean(), 1e-9) * size
    width = min(round(0.03 * size / max(float(steps.mean()), 1e-9)), (len(path) - 1) // 6)  # 3% of the digit
    if width >= 1:  # a corner slows the pen over a stretch of its path, not at one point
        kernel = np.exp(-0.5 * (np.arange(-3 * width, 3 * width + 1) / width) ** 2)
        curvature = np.convolve(curvature, kernel / kernel.sum(), mode="same")
    along = np.concatenate([[0.0], np.cumsum(steps)])
    ramp = np.clip(np.minimum(along, along[-1] - along) / (0.1 * size), 0.3, 1.0)
    speed = ramp * (1.0 + curvature) ** (-1.0 / 3.0)
    middle = (speed[1:] + speed[:-1]) / 2
    return np.concatenate([[0.0], np.cumsum(steps / middle)])


def _length(line: Polyline) -> float:
    return float(np.hypot(*np.diff(line, axis=0).T).sum()) if len(line) > 1 else 0.0


def _evenly_spaced(path: Polyline, points: int) -> Polyline:
    """``points`` points at equal distances along ``path``, both its ends included."""
    if len(path) < 2:
        return np.repeat(path[:1], 2, axis=0)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    at = np.linspace(0.0, along[-1], max(2, points))
    return np.stack([np.interp(at, along, path[:, 0]), np.interp(at, along, path[:, 1])], 1).astype(np.float32)


def render(lines: Sequence[Polyline], size: tuple[int, int], pen: float) -> np.ndarray:
    """Ink (0..1, H×W float32) of ``lines`` (pixel coordinates) drawn with a round pen ``pen`` px wide.

    Each segment touches only the pixels near it, so a 300×300 picture of a digit costs about a
    millisecond; the edge is antialiased over one pixel, like a drawing program's.
    """
    height, width = size
    ink = np.zeros((height, width), dtype=np.float32)
    radius = pen / 2
    reach = radius + 1.5
    for line in lines:
        points = line if len(line) > 1 else np.concatenate([line, line])
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            r0, r1 = max(0, int(min(y0, y1) - reach)), min(height, int(max(y0, y1) + reach) + 1)
            c0, c1 = max(0, int(min(x0, x1) - reach)), min(width, int(max(x0, x1) + reach) + 1)
            if r0 >= r1 or c0 >= c1:
                continue
            ys, xs = np.mgrid[r0:r1, c0:c1].astype(np.float32) + 0.5
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0, 1) if length2 > 0 else 0.0
            dist = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))
            window = ink[r0:r1, c0:c1]
            np.maximum(window, np.clip(radius + 0.5 - dist, 0, 1), out=window)
    return ink


def digit_strokes(images: np.ndarray, upsample: int = 2, threshold: float = 0.35) -> list[list[Polyline]]:
    """MNIST-style digits (N×28×28, ink 1) -> each one's strokes, in 28×28 pixel coordinates.

    The strokes come in :func:`writing_order`, so that a tablet's sampling of them has a path.

    The images are doubled in size first (bilinear) so that the skeleton follows the stroke's
    middle more smoothly than on the coarse 28×28 grid.
    """
    images = np.asarray(images, dtype=np.float32)
    if upsample > 1:
        images = _upsample(images, upsample)
    skeletons = skeletonise(images > threshold)
    offset = (upsample - 1) / (2 * upsample)  # pixel centres of the finer grid in coarse pixels
    return [writing_order([line / upsample - offset for line in trace(s)]) for s in skeletons]


def _upsample(images: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear upsampling of N×H×W by an integer factor (pixel centres aligned)."""
    _n, h, w = images.shape
    ys = (np.arange(h * factor) + 0.5) / factor - 0.5
    xs = (np.arange(w * factor) + 0.5) / factor - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, h - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, w - 1)
    y1, x1 = np.clip(y0 + 1, 0, h - 1), np.clip(x0 + 1, 0, w - 1)
    fy = np.clip(ys - y0, 0, 1)[None, :, None]
    fx = np.clip(xs - x0, 0, 1)[None, None, :]
    top = images[:, y0][:, :, x0] * (1 - fx) + images[:, y0][:, :, x1] * fx
    bottom = images[:, y1][:, :, x0] * (1 - fx) + images[:, y1][:, :, x1] * fx
    return top * (1 - fy) + bottom * fy
