//! Parsing a grid's GeoJSON geometry into a validated `MultiPolygon`.
//!
//! Validation happens once, here at the boundary, so that [`crate::GridIndex`] and
//! [`crate::overlaps`] can assume closed rings with finite WGS84 coordinates. Every error
//! of one geometry is collected (not only the first), because whoever fixes a boundary
//! file wants the whole list in one round trip.

use std::fmt;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{Geometry, GeometryValue, Position};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::predicates::{Side, orient};

/// Self-intersections reported per ring before the rest are summarised in one
/// [`GeometryError::TooManySelfIntersections`]: a scrambled ring can have millions of
/// crossing pairs and the first few are enough to locate the damage.
pub const SELF_INTERSECTIONS_PER_RING_MAX: usize = 16;

/// Why a grid geometry was rejected. Indexes are zero-based, counted in the order of the
/// GeoJSON arrays (a `Polygon` is polygon 0; ring 0 is the exterior ring).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GeometryError {
    /// The geometry is neither a `Polygon` nor a `MultiPolygon`.
    WrongType {
        /// The GeoJSON type that was given.
        found: &'static str,
    },
    /// A `MultiPolygon` without any polygon.
    NoPolygons,
    /// A polygon without any ring.
    NoRings {
        /// Polygon index.
        polygon: usize,
    },
    /// A position with fewer than two numbers (longitude and latitude).
    PositionTooShort {
        /// Polygon index.
        polygon: usize,
        /// Ring index within the polygon.
        ring: usize,
        /// Position index within the ring.
        position: usize,
    },
    /// A coordinate that is not finite or lies outside longitude ±180, latitude ±90.
    CoordinateOutOfRange {
        /// Polygon index.
        polygon: usize,
        /// Ring index within the polygon.
        ring: usize,
        /// Position index within the ring.
        position: usize,
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// A ring whose first and last positions differ.
    RingNotClosed {
        /// Polygon index.
        polygon: usize,
        /// Ring index within the polygon.
        ring: usize,
    },
    /// A ring with fewer than 4 positions (a closed ring needs at least a triangle).
    RingTooShort {
        /// Polygon index.
        polygon: usize,
        /// Ring index within the polygon.
        ring: usize,
        /// How many positions it has.
        positions: usize,
    },
    /// A ring with fewer than 3 distinct consecutive positions: it encloses no area.
    RingDegenerate {
        /// Polygon index.
        polygon: usize,
        /// Ring index within the polygon.
        ring: usize,
    },
    /// Two edges of one ring that are not neighbours cross or touch, or two neighbouring
    /// edges fold back over each other (a spike).
    SelfIntersection {
        /// Polygon index.
        polygon: usize,
        /// Ring index within the polygon.
        ring: usize,
        /// Position index where the first edge starts.
        edge_a: usize,
        /// Position index where the second edge starts.
        edge_b: usize,
        /// Approximately where (longitude, latitude), to find it on a map.
        at: (f64, f64),
    },
    /// More self-intersections than [`SELF_INTERSECTIONS_PER_RING_MAX`] in one ring; the
    /// first ones were reported.
    TooManySelfIntersections {
        /// Polygon index.
        polygon: usize,
        /// Ring index within the polygon.
        ring: usize,
        /// How many were reported individually.
        shown: usize,
    },
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            GeometryError::WrongType { found } => write!(
                f,
                "geometry type {found} is not Polygon or MultiPolygon / 几何类型 {found} 不是 Polygon 或 MultiPolygon"
            ),
            GeometryError::NoPolygons => {
                write!(
                    f,
                    "MultiPolygon has no polygon / MultiPolygon 不含任何多边形"
                )
            }
            GeometryError::NoRings { polygon } => write!(
                f,
                "polygon {polygon} has no ring / 第 {polygon} 个多边形没有环"
            ),
            GeometryError::PositionTooShort {
                polygon,
                ring,
                position,
            } => write!(
                f,
                "position {position} of ring {ring} of polygon {polygon} has fewer than 2 numbers / \
                 第 {polygon} 个多边形第 {ring} 个环的第 {position} 个位置少于 2 个数值"
            ),
            GeometryError::CoordinateOutOfRange {
                polygon,
                ring,
                position,
                lon,
                lat,
            } => write!(
                f,
                "position {position} of ring {ring} of polygon {polygon} ({lon}, {lat}) is not a finite \
                 longitude within ±180 and latitude within ±90 / 第 {polygon} 个多边形第 {ring} 个环的\
                 第 {position} 个位置 ({lon}, {lat}) 不是有效经纬度（经度 ±180、纬度 ±90 以内的有限值）"
            ),
            GeometryError::RingNotClosed { polygon, ring } => write!(
                f,
                "ring {ring} of polygon {polygon} is not closed / 第 {polygon} 个多边形的第 {ring} 个环未闭合"
            ),
            GeometryError::RingTooShort {
                polygon,
                ring,
                positions,
            } => write!(
                f,
                "ring {ring} of polygon {polygon} has {positions} positions, fewer than 4 / \
                 第 {polygon} 个多边形的第 {ring} 个环只有 {positions} 个位置（少于 4 个）"
            ),
            GeometryError::RingDegenerate { polygon, ring } => write!(
                f,
                "ring {ring} of polygon {polygon} has fewer than 3 distinct positions / \
                 第 {polygon} 个多边形的第 {ring} 个环不同的位置少于 3 个"
            ),
            GeometryError::SelfIntersection {
                polygon,
                ring,
                edge_a,
                edge_b,
                at: (lon, lat),
            } => write!(
                f,
                "ring {ring} of polygon {polygon} intersects itself near ({lon:.7}, {lat:.7}): the edge \
                 starting at position {edge_a} meets the edge starting at position {edge_b} / \
                 第 {polygon} 个多边形的第 {ring} 个环在 ({lon:.7}, {lat:.7}) 附近自相交：从第 {edge_a} 个\
                 位置开始的边与从第 {edge_b} 个位置开始的边相交"
            ),
            GeometryError::TooManySelfIntersections {
                polygon,
                ring,
                shown,
            } => write!(
                f,
                "ring {ring} of polygon {polygon} has more self-intersections than the {shown} shown / \
                 第 {polygon} 个多边形的第 {ring} 个环的自相交多于已列出的 {shown} 处"
            ),
        }
    }
}

impl std::error::Error for GeometryError {}

/// Parses and validates one grid geometry (a GeoJSON `Polygon` or `MultiPolygon`).
///
/// Checks every position (two finite numbers within ±180/±90), every ring (closed, at
/// least 4 positions and 3 distinct ones, no self-intersection) and returns all errors
/// found. Rings that already failed a position or closure check are not searched for
/// self-intersections, since their edges are not well defined. Extra dimensions
/// (altitude) are dropped. Relations between rings (a hole outside its exterior, two
/// polygons of one `MultiPolygon` overlapping) are not checked here.
///
/// # Errors
/// The list of every [`GeometryError`] found, never empty.
pub fn parse_grid_geometry(geometry: &Geometry) -> Result<MultiPolygon<f64>, Vec<GeometryError>> {
    let mut errors = Vec::new();
    let polygons: Vec<Polygon<f64>> = match &geometry.value {
        GeometryValue::Polygon { coordinates } => parse_polygon(0, coordinates, &mut errors)
            .into_iter()
            .collect(),
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                errors.push(GeometryError::NoPolygons);
            }
            coordinates
                .iter()
                .enumerate()
                .filter_map(|(i, p)| parse_polygon(i, p, &mut errors))
                .collect()
        }
        other => {
            errors.push(GeometryError::WrongType {
                found: other.type_name(),
            });
            Vec::new()
        }
    };
    if errors.is_empty() {
        Ok(MultiPolygon::new(polygons))
    } else {
        Err(errors)
    }
}

fn parse_polygon(
    polygon: usize,
    rings: &[Vec<Position>],
    errors: &mut Vec<GeometryError>,
) -> Option<Polygon<f64>> {
    if rings.is_empty() {
        errors.push(GeometryError::NoRings { polygon });
        return None;
    }
    let before = errors.len();
    let mut parsed: Vec<LineString<f64>> = rings
        .iter()
        .enumerate()
        .map(|(ring, positions)| parse_ring(polygon, ring, positions, errors))
        .collect();
    if errors.len() > before {
        return None;
    }
    let exterior = parsed.remove(0);
    Some(Polygon::new(exterior, parsed))
}

fn parse_ring(
    polygon: usize,
    ring: usize,
    positions: &[Position],
    errors: &mut Vec<GeometryError>,
) -> LineString<f64> {
    let before = errors.len();
    let mut coords = Vec::with_capacity(positions.len());
    for (position, p) in positions.iter().enumerate() {
        if p.len() < 2 {
            errors.push(GeometryError::PositionTooShort {
                polygon,
                ring,
                position,
            });
            continue;
        }
        let (lon, lat) = (p[0], p[1]);
        if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
            errors.push(GeometryError::CoordinateOutOfRange {
                polygon,
                ring,
                position,
                lon,
                lat,
            });
        }
        coords.push(Coord { x: lon, y: lat });
    }
    if positions.len() < 4 {
        errors.push(GeometryError::RingTooShort {
            polygon,
            ring,
            positions: positions.len(),
        });
    }
    let positions_ok = errors.len() == before;
    if positions_ok && coords.first().map(|c| (c.x, c.y)) != coords.last().map(|c| (c.x, c.y)) {
        errors.push(GeometryError::RingNotClosed { polygon, ring });
    }
    if errors.len() == before {
        check_ring_simple(polygon, ring, &coords, errors);
    }
    LineString::new(coords)
}

/// Finds pairs of edges of one closed ring that meet although they should not: two edges
/// that are not neighbours and share a point, or two neighbours that overlap along a
/// stretch. Candidate pairs come from an R-tree over the edges' bounding boxes, so a
/// 2 000-vertex ring costs a few thousand exact tests instead of two million.
fn check_ring_simple(
    polygon: usize,
    ring: usize,
    coords: &[Coord<f64>],
    errors: &mut Vec<GeometryError>,
) {
    // Consecutive duplicates are allowed (they add nothing); drop them but remember each
    // remaining vertex's original position so that errors point into the input.
    let mut pts: Vec<(Coord<f64>, usize)> = Vec::with_capacity(coords.len());
    for (i, &c) in coords.iter().enumerate() {
        if pts.last().is_none_or(|&(last, _)| last != c) {
            pts.push((c, i));
        }
    }
    // The ring is closed, so pts[0] == pts[last]; edges are pts[i] -> pts[i + 1].
    let n = pts.len().saturating_sub(1);
    if n < 3 {
        errors.push(GeometryError::RingDegenerate { polygon, ring });
        return;
    }
    let edge = |i: usize| (pts[i].0, pts[i + 1].0);
    let mut found = 0usize;
    let mut report = |i: usize, j: usize, at: Coord<f64>, errors: &mut Vec<GeometryError>| {
        found += 1;
        if found <= SELF_INTERSECTIONS_PER_RING_MAX {
            errors.push(GeometryError::SelfIntersection {
                polygon,
                ring,
                edge_a: pts[i].1,
                edge_b: pts[j].1,
                at: (at.x, at.y),
            });
        }
    };
    // Neighbours i, i+1 (cyclically) share one vertex; they are bad only if they fold back.
    for i in 0..n {
        let j = (i + 1) % n;
        let (a, b) = edge(i);
        let (_, c) = edge(j);
        let back = (a.x - b.x) * (c.x - b.x) + (a.y - b.y) * (c.y - b.y);
        if orient(a, b, c) == Side::On && back > 0.0 {
            let (x, y) = if i < j { (i, j) } else { (j, i) };
            report(x, y, b, errors);
        }
    }
    let items: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = (0..n)
        .map(|i| {
            let (a, b) = edge(i);
            GeomWithData::new(Rectangle::from_corners([a.x, a.y], [b.x, b.y]), i)
        })
        .collect();
    let tree = RTree::bulk_load(items);
    for i in 0..n {
        let (a, b) = edge(i);
        let envelope = AABB::from_corners([a.x, a.y], [b.x, b.y]);
        let mut hits: Vec<usize> = tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|item| item.data)
            .filter(|&j| j > i + 1 && !(i == 0 && j == n - 1))
            .collect();
        hits.sort_unstable();
        for j in hits {
            let (c, d) = edge(j);
            if let Some(at) = segments_meet(a, b, c, d) {
                report(i, j, at, errors);
            }
        }
    }
    if found > SELF_INTERSECTIONS_PER_RING_MAX {
        errors.push(GeometryError::TooManySelfIntersections {
            polygon,
            ring,
            shown: SELF_INTERSECTIONS_PER_RING_MAX,
        });
    }
}

/// Whether closed segments a–b and c–d share a point (exact orientation tests), and
/// approximately where.
fn segments_meet(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> Option<Coord<f64>> {
    let o1 = orient(a, b, c);
    let o2 = orient(a, b, d);
    let o3 = orient(c, d, a);
    let o4 = orient(c, d, b);
    if o1 != o2 && o3 != o4 && [o1, o2, o3, o4].iter().all(|&o| o != Side::On) {
        // Proper crossing: the intersection of the two lines.
        let r = (b.x - a.x, b.y - a.y);
        let s = (d.x - c.x, d.y - c.y);
        let denom = r.0 * s.1 - r.1 * s.0;
        let t = ((c.x - a.x) * s.1 - (c.y - a.y) * s.0) / denom;
        return Some(Coord {
            x: a.x + t * r.0,
            y: a.y + t * r.1,
        });
    }
    let within = |p: Coord<f64>, q: Coord<f64>, r: Coord<f64>| {
        r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
    };
    if o1 == Side::On && within(a, b, c) {
        return Some(c);
    }
    if o2 == Side::On && within(a, b, d) {
        return Some(d);
    }
    if o3 == Side::On && within(c, d, a) {
        return Some(a);
    }
    if o4 == Side::On && within(c, d, b) {
        return Some(b);
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;

    fn poly(rings: Vec<Vec<[f64; 2]>>) -> Geometry {
        Geometry::new_polygon(rings)
    }

    fn square(x: f64, y: f64, s: f64) -> Vec<[f64; 2]> {
        vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]
    }

    #[test]
    fn valid_polygon_with_hole() {
        let g = poly(vec![square(0.0, 0.0, 4.0), square(1.0, 1.0, 1.0)]);
        let mp = parse_grid_geometry(&g).unwrap();
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0].interiors().len(), 1);
    }

    #[test]
    fn valid_multipolygon() {
        let g = Geometry::new_multi_polygon(vec![
            vec![square(0.0, 0.0, 1.0)],
            vec![square(3.0, 3.0, 1.0)],
        ]);
        assert_eq!(parse_grid_geometry(&g).unwrap().0.len(), 2);
    }

    #[test]
    fn consecutive_duplicates_are_fine() {
        let g = poly(vec![vec![
            [0.0, 0.0],
            [1.0, 0.0],
            [1.0, 0.0],
            [1.0, 1.0],
            [0.0, 1.0],
            [0.0, 0.0],
        ]]);
        assert!(parse_grid_geometry(&g).is_ok());
    }

    #[test]
    fn wrong_type() {
        let e = parse_grid_geometry(&Geometry::new_point([1.0, 2.0])).unwrap_err();
        assert_eq!(e, vec![GeometryError::WrongType { found: "Point" }]);
        assert!(e[0].to_string().contains("不是 Polygon"));
        let e =
            parse_grid_geometry(&Geometry::new_line_string([[0.0, 0.0], [1.0, 1.0]])).unwrap_err();
        assert_eq!(
            e,
            vec![GeometryError::WrongType {
                found: "LineString"
            }]
        );
    }

    #[test]
    fn empty_multipolygon_and_polygon_without_rings() {
        let e = parse_grid_geometry(&Geometry::new(GeometryValue::MultiPolygon {
            coordinates: vec![],
        }))
        .unwrap_err();
        assert_eq!(e, vec![GeometryError::NoPolygons]);
        let e = parse_grid_geometry(&Geometry::new(GeometryValue::Polygon {
            coordinates: vec![],
        }))
        .unwrap_err();
        assert_eq!(e, vec![GeometryError::NoRings { polygon: 0 }]);
    }

    #[test]
    fn unclosed_ring_message_in_both_languages() {
        let g = Geometry::new_multi_polygon(vec![
            vec![square(0.0, 0.0, 1.0)],
            vec![vec![[3.0, 3.0], [4.0, 3.0], [4.0, 4.0], [3.0, 4.0]]],
        ]);
        let e = parse_grid_geometry(&g).unwrap_err();
        assert_eq!(
            e,
            vec![GeometryError::RingNotClosed {
                polygon: 1,
                ring: 0
            }]
        );
        assert_eq!(
            e[0].to_string(),
            "ring 0 of polygon 1 is not closed / 第 1 个多边形的第 0 个环未闭合"
        );
    }

    #[test]
    fn ring_too_short() {
        let e =
            parse_grid_geometry(&poly(vec![vec![[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]])).unwrap_err();
        assert_eq!(
            e,
            vec![GeometryError::RingTooShort {
                polygon: 0,
                ring: 0,
                positions: 3
            }]
        );
    }

    #[test]
    fn ring_degenerate() {
        let e = parse_grid_geometry(&poly(vec![vec![
            [0.0, 0.0],
            [1.0, 0.0],
            [1.0, 0.0],
            [0.0, 0.0],
        ]]))
        .unwrap_err();
        assert_eq!(
            e,
            vec![GeometryError::RingDegenerate {
                polygon: 0,
                ring: 0
            }]
        );
    }

    #[test]
    fn coordinates_out_of_range_or_not_finite_are_all_reported() {
        let g = poly(vec![vec![
            [0.0, 0.0],
            [181.0, 0.0],
            [1.0, f64::NAN],
            [0.0, -90.5],
            [0.0, 0.0],
        ]]);
        let e = parse_grid_geometry(&g).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e.iter().all(|e| matches!(
            e,
            GeometryError::CoordinateOutOfRange {
                polygon: 0,
                ring: 0,
                ..
            }
        )));
        let positions: Vec<usize> = e
            .iter()
            .filter_map(|e| match e {
                GeometryError::CoordinateOutOfRange { position, .. } => Some(*position),
                _ => None,
            })
            .collect();
        assert_eq!(positions, vec![1, 2, 3]);
        assert!(e[0].to_string().contains("经度"));
    }

    #[test]
    fn position_too_short() {
        let g = Geometry::new(GeometryValue::Polygon {
            coordinates: vec![vec![
                Position::from(vec![0.0, 0.0]),
                Position::from(vec![1.0]),
                Position::from(vec![1.0, 1.0]),
                Position::from(vec![0.0, 0.0]),
            ]],
        });
        let e = parse_grid_geometry(&g).unwrap_err();
        assert_eq!(
            e,
            vec![GeometryError::PositionTooShort {
                polygon: 0,
                ring: 0,
                position: 1
            }]
        );
    }

    #[test]
    fn bow_tie_is_self_intersecting() {
        let g = poly(vec![vec![
            [0.0, 0.0],
            [2.0, 2.0],
            [2.0, 0.0],
            [0.0, 2.0],
            [0.0, 0.0],
        ]]);
        let e = parse_grid_geometry(&g).unwrap_err();
        assert_eq!(
            e,
            vec![GeometryError::SelfIntersection {
                polygon: 0,
                ring: 0,
                edge_a: 0,
                edge_b: 2,
                at: (1.0, 1.0)
            }]
        );
        assert!(e[0].to_string().contains("自相交"));
    }

    #[test]
    fn ring_touching_itself_at_a_vertex_and_spikes_are_reported() {
        // A figure eight that passes twice through (1, 1).
        let g = poly(vec![vec![
            [0.0, 0.0],
            [1.0, 1.0],
            [2.0, 0.0],
            [2.0, 2.0],
            [1.0, 1.0],
            [0.0, 2.0],
            [0.0, 0.0],
        ]]);
        let e = parse_grid_geometry(&g).unwrap_err();
        assert!(!e.is_empty());
        assert!(
            e.iter()
                .all(|e| matches!(e, GeometryError::SelfIntersection { .. }))
        );
        // A spike: out along y = 0 and back.
        let g = poly(vec![vec![
            [0.0, 0.0],
            [3.0, 0.0],
            [2.0, 0.0],
            [2.0, 1.0],
            [0.0, 1.0],
            [0.0, 0.0],
        ]]);
        let e = parse_grid_geometry(&g).unwrap_err();
        assert!(
            e.iter()
                .any(|e| matches!(e, GeometryError::SelfIntersection { .. }))
        );
    }

    #[test]
    fn errors_of_all_rings_and_polygons_are_collected() {
        let g = Geometry::new_multi_polygon(vec![
            vec![
                square(0.0, 0.0, 4.0),
                vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]],
            ],
            vec![vec![[5.0, 5.0], [6.0, 5.0], [5.0, 5.0]]],
            vec![vec![
                [10.0, 0.0],
                [12.0, 2.0],
                [12.0, 0.0],
                [10.0, 2.0],
                [10.0, 0.0],
            ]],
        ]);
        let e = parse_grid_geometry(&g).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(matches!(
            e[0],
            GeometryError::RingNotClosed {
                polygon: 0,
                ring: 1
            }
        ));
        assert!(matches!(
            e[1],
            GeometryError::RingTooShort { polygon: 1, .. }
        ));
        assert!(matches!(
            e[2],
            GeometryError::SelfIntersection { polygon: 2, .. }
        ));
    }

    #[test]
    fn many_crossings_are_capped() {
        // A zigzag closed by a long edge crossing all teeth.
        let mut ring = Vec::new();
        for i in 0..40 {
            ring.push([i as f64, if i % 2 == 0 { 0.0 } else { 2.0 }]);
        }
        ring.push([39.0, 1.0]);
        ring.push([-1.0, 1.0]);
        ring.push([0.0, 0.0]);
        let e = parse_grid_geometry(&poly(vec![ring])).unwrap_err();
        assert_eq!(e.len(), SELF_INTERSECTIONS_PER_RING_MAX + 1);
        assert!(matches!(
            e.last(),
            Some(GeometryError::TooManySelfIntersections { shown: 16, .. })
        ));
    }

    #[test]
    fn large_ring_checks_fast() {
        // A 4 000-vertex circle-like ring: the R-tree keeps this well under a second even
        // in a debug build.
        let n = 4000;
        let mut ring: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                [106.5 + 0.3 * t.cos(), 29.5 + 0.2 * t.sin()]
            })
            .collect();
        ring.push(ring[0]);
        let start = std::time::Instant::now();
        assert!(parse_grid_geometry(&poly(vec![ring])).is_ok());
        assert!(start.elapsed().as_secs_f64() < 2.0);
    }
}
