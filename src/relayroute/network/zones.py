"""Which zone each road lies in, judged on the road's geometry, not its end nodes.

A road whose two ends lie outside a closed city may still run through it; a road between two
nodes of one zone may leave it on the way. Both cross a zone boundary away from a checkpoint,
so the cordon closes them. Measured in metres in a local azimuthal-equidistant projection
centred on the network, with shapely 2's vectorised operations over all roads at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from relayroute.errors import InputError

# Roads may touch a zone by this much (coordinates rounded to 6 decimals, nodes on a boundary).
ZONE_TOLERANCE_M = 25.0
# Around a checkpoint's gate node the road crosses the boundary: that stretch does not count.
GATE_RADIUS_M = 200.0


def metric_transformer(lon: np.ndarray, lat: np.ndarray) -> pyproj.Transformer:
    """A lon/lat → metres transformer centred on the given points (azimuthal equidistant)."""
    lon0 = float(np.mean(lon)) if len(lon) else 0.0
    lat0 = float(np.mean(lat)) if len(lat) else 0.0
    crs = pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs"
    )
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def to_metres(geoms: np.ndarray, tf: pyproj.Transformer) -> np.ndarray:
    """Project an array of lon/lat geometries to metres."""

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = tf.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(geoms, project))


@dataclass(frozen=True)
class RoadZones:
    """Per road, in the order given: the zone it lies in and whether it breaks the cordon.

    Attributes
    ----------
    zone
        The restricted zone the whole road lies in (its gate stretch aside), or None.
    uncontrolled
        True where the road crosses a zone boundary away from a checkpoint: it runs partly
        inside a zone, lies in another zone than an end node, or leaves a gate into a
        zone that is not the gate's.
    metres_inside
        Metres of the road (gate stretch aside) inside each zone, shape (roads, zones).
    """

    zone: list[str | None]
    uncontrolled: np.ndarray
    metres_inside: np.ndarray


def classify_roads(
    lines: np.ndarray,
    zones: dict[str, shapely.Polygon],
    end_zones: list[tuple[str | None, str | None]],
    gate_ends: list[tuple[str | None, str | None]],
    tf: pyproj.Transformer,
) -> RoadZones:
    """Classify roads against restricted zones by geometry.

    Parameters
    ----------
    lines
        Lon/lat LineStrings, one per road.
    zones
        Restricted (closed_loop or permit) zone polygons in lon/lat, by id.
    end_zones
        Zone of each road's (from, to) node by spatial join; ignored at gate ends.
    gate_ends
        Zone of the checkpoint at each end, or None where the end is no gate.
    tf
        Lon/lat → metres transformer (:func:`metric_transformer`).

    Returns
    -------
    RoadZones
    """
    n, ids = len(lines), list(zones)
    metres = np.zeros((n, len(ids)))
    if n == 0:
        return RoadZones([], np.zeros(0, dtype=bool), metres)
    m_lines = to_metres(lines, tf)
    # Cut the stretch around gate ends away: there the road crosses at the checkpoint.
    starts = shapely.get_point(m_lines, 0)
    ends = shapely.get_point(m_lines, -1)
    from_gate = np.array([g[0] is not None for g in gate_ends])
    to_gate = np.array([g[1] is not None for g in gate_ends])
    cut = m_lines.copy()
    if from_gate.any():
        cut[from_gate] = shapely.difference(
            cut[from_gate], shapely.buffer(starts[from_gate], GATE_RADIUS_M)
        )
    if to_gate.any():
        cut[to_gate] = shapely.difference(
            cut[to_gate], shapely.buffer(ends[to_gate], GATE_RADIUS_M)
        )
    total = shapely.length(cut)
    for k, zid in enumerate(ids):
        poly = to_metres(np.array([zones[zid]]), tf)[0]
        if not shapely.is_valid(poly):
            # Valid in degrees, folded over itself in metres: far too large for the
            # local projection a day's network is measured in.
            x0, y0, x1, y1 = shapely.bounds(poly)
            raise InputError(
                "$.zones",
                f"zone {zid!r} is not a valid polygon once measured in metres around the "
                f"network ({max(x1 - x0, y1 - y0) / 1000:,.0f} km across): "
                f"{shapely.is_valid_reason(poly)}; a zone is a local area",
            )
        shapely.prepare(poly)
        hit = shapely.intersects(cut, poly)
        if hit.any():
            metres[hit, k] = shapely.length(shapely.intersection(cut[hit], poly))
    inside = metres > ZONE_TOLERANCE_M
    whole = (total[:, None] - metres) <= ZONE_TOLERANCE_M
    zone: list[str | None] = [None] * n
    bad = np.zeros(n, dtype=bool)
    for e in range(n):
        entered = np.flatnonzero(inside[e])
        (zu, zv), (gu, gv) = end_zones[e], gate_ends[e]
        if total[e] <= ZONE_TOLERANCE_M and (gu is None) != (gv is None):
            # A short road off a gate: all of it is the gate's stretch; its far end decides.
            zone[e] = zu if gu is None else zv
            bad[e] = zone[e] not in (None, gu if gu is not None else gv)
            continue
        if len(entered) == 0:
            z = None
        elif len(entered) == 1 and whole[e, entered[0]]:
            z = ids[entered[0]]
        else:
            bad[e] = True
            continue
        zone[e] = z
        for end_zone, gate_zone in ((zu, gu), (zv, gv)):
            if gate_zone is None:
                bad[e] |= end_zone != z
            else:
                bad[e] |= z not in (None, gate_zone)
    return RoadZones(zone, bad, metres)
