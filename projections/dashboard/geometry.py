"""Neighbourhood boundaries drawn as SVG paths. Pure.

Longitude and latitude go onto the page by an equirectangular projection whose x is scaled by the
cosine of the area's middle latitude. Over a borough or a force area that keeps shapes and areas
true to well under one percent (the error grows with the square of the latitude span), without a
map library or a tile server.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

from events import Frozen

SIMPLIFY_ABOVE = 2_000
"""Boundaries with more points than this (once projected) are simplified before they are drawn."""
TOLERANCE = 0.5
"""How far, in pixels, a simplified boundary may stray from the real one: less than a pixel shows."""


class Projection(Frozen):
    """Longitude and latitude to SVG user units (y grows downwards)."""

    west: float
    north: float
    x_scale: float
    """Pixels per degree of longitude: ``y_scale`` times the cosine of the middle latitude."""
    y_scale: float
    """Pixels per degree of latitude."""
    margin: float
    width: float
    """Width of the drawing, margins included: the SVG's ``viewBox`` is ``0 0 width height``."""
    height: float

    def point(self, longitude: float, latitude: float) -> tuple[float, float]:
        return (
            self.margin + (longitude - self.west) * self.x_scale,
            self.margin + (self.north - latitude) * self.y_scale,
        )


def fit(
    bounds: Sequence[float], width: float = 640.0, height: float = 560.0, margin: float = 8.0
) -> Projection:
    """The projection that draws ``bounds`` (west, south, east, north) as large as fits the box."""
    west, south, east, north = (float(b) for b in bounds)
    if not (west <= east and south <= north) or not all(map(math.isfinite, (west, south, east, north))):
        raise ValueError(f"bounds {tuple(bounds)} are not (west, south, east, north) in degrees")
    if width <= 2 * margin or height <= 2 * margin:
        raise ValueError("the box must be larger than its margins")
    shrink = math.cos(math.radians((south + north) / 2))
    # A single point or a line still gets a drawable box.
    span_x = max((east - west) * shrink, 1e-9)
    span_y = max(north - south, 1e-9)
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    return Projection(
        west=west,
        north=north,
        x_scale=scale * shrink,
        y_scale=scale,
        margin=margin,
        width=span_x * scale + 2 * margin,
        height=span_y * scale + 2 * margin,
    )


def bounds_of(geometries: Iterable[Any]) -> tuple[float, float, float, float]:
    west, south, east, north = (float(b) for b in shapely.total_bounds(list(geometries)))
    return west, south, east, north


def project(geometry: Any, projection: Projection) -> Any:
    """The geometry in SVG user units."""
    scale = (projection.x_scale, -projection.y_scale)
    shift = (
        projection.margin - projection.west * projection.x_scale,
        projection.margin + projection.north * projection.y_scale,
    )
    return shapely.transform(geometry, lambda xy: xy * scale + shift)


def polygons(geometry: Any) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon | GeometryCollection):
        return [p for part in geometry.geoms for p in polygons(part)]
    raise ValueError(
        f"a neighbourhood boundary is a {geometry.geom_type}, not a polygon; "
        "give polygons in the boundaries file (ENGAGE_BOUNDARIES_PATH)"
    )


def ring_path(coordinates: Iterable[Sequence[float]]) -> str:
    """One closed ring as path data, to a tenth of a pixel; empty when fewer than 3 points remain."""
    points: list[tuple[float, float]] = []
    for coordinate in coordinates:
        point = (round(float(coordinate[0]), 1), round(float(coordinate[1]), 1))
        if not points or point != points[-1]:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        return ""
    head, *rest = points
    return f"M{head[0]:g},{head[1]:g}L" + " ".join(f"{x:g},{y:g}" for x, y in rest) + "Z"


def path_data(
    geometry: Any, projection: Projection, simplify_above: int = SIMPLIFY_ABOVE, tolerance: float = TOLERANCE
) -> str:
    """The ``d`` of an SVG path drawing the boundary (holes included: draw it with ``evenodd``)."""
    drawn = project(geometry, projection)
    if int(shapely.get_num_coordinates(drawn)) > simplify_above:
        drawn = drawn.simplify(tolerance, preserve_topology=True)
    rings = [
        ring_path(ring.coords)
        for polygon in polygons(drawn)
        for ring in (polygon.exterior, *polygon.interiors)
    ]
    return "".join(r for r in rings if r)
