#!/usr/bin/env python3
"""Oracle for tests/oracle_shapely.rs: what shapely 2 (GEOS) says about each point.

    python3 oracle_shapely.py GRIDS_GEOJSON POINTS_BIN OUT_BIN

POINTS_BIN: n little-endian float64 longitudes followed by n latitudes.
OUT_BIN: three arrays of n values, little-endian:
  uint64  contains   bit g set if grid g contains the point in its interior (contains_xy)
  uint64  touches    bit g set if grid g intersects the point (interior or boundary; intersects_xy)
  uint8   in_union   1 if the union of all grids contains the point in its interior
Grids are prepared and each call is vectorised over the points inside the grid's bounding
box, so 1 M points take a few seconds.
"""
import json
import sys

import numpy as np
import shapely
from shapely.geometry import shape


def main():
    grids_path, points_path, out_path = sys.argv[1:4]
    with open(grids_path, encoding="utf-8") as fh:
        gj = json.load(fh)
    geoms = [shape(f["geometry"]) for f in gj["features"]]
    if len(geoms) > 64:
        sys.exit("oracle supports at most 64 grids, got %d" % len(geoms))
    xy = np.fromfile(points_path, dtype="<f8")
    n = len(xy) // 2
    x, y = xy[:n], xy[n:]
    contains = np.zeros(n, dtype="<u8")
    touches = np.zeros(n, dtype="<u8")
    for g, geom in enumerate(geoms):
        shapely.prepare(geom)
        x0, y0, x1, y1 = geom.bounds
        idx = np.nonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))[0]
        bit = np.uint64(1) << np.uint64(g)
        inside = shapely.contains_xy(geom, x[idx], y[idx])
        contains[idx[inside]] |= bit
        hit = shapely.intersects_xy(geom, x[idx], y[idx])
        touches[idx[hit]] |= bit
    union = shapely.union_all(geoms)
    shapely.prepare(union)
    in_union = shapely.contains_xy(union, x, y).astype("u1")
    with open(out_path, "wb") as fh:
        fh.write(contains.tobytes())
        fh.write(touches.tobytes())
        fh.write(in_union.tobytes())
    print("oracle: %d grids (%s), %d points, union is %s" % (
        len(geoms), "shapely " + shapely.__version__, n, union.geom_type), file=sys.stderr)


if __name__ == "__main__":
    main()
