//! The exact predicates everything else is built on: orientation and the half-open
//! crossing rule that decides which grid owns a point on a border.

use geo::{Kernel, Orientation};
use geo_types::{Coord, MultiPolygon};

/// Which side of a directed line a point lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Left,
    Right,
    On,
}

/// Exact orientation of `r` relative to the directed line `p → q` (Shewchuk's adaptive
/// predicate through geo's robust kernel): no rounding can flip a point from one side of
/// an edge to the other, so a point on a shared border is decided by the rule alone.
#[inline]
pub(crate) fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> Side {
    match <geo::kernels::RobustKernel as Kernel<f64>>::orient2d(p, q, r) {
        Orientation::CounterClockwise => Side::Left,
        Orientation::Clockwise => Side::Right,
        Orientation::Collinear => Side::On,
    }
}

/// An edge with its endpoints ordered by (y, x), so that the two grids sharing a border
/// hold bit-identical edges whatever direction their rings run; horizontal edges are
/// never stored because the half-open rule never counts them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Edge {
    pub(crate) ax: f64,
    pub(crate) ay: f64,
    pub(crate) bx: f64,
    pub(crate) by: f64,
}

impl Edge {
    /// The canonical edge between two vertices, `None` if it is horizontal (including a
    /// zero-length edge) or not finite.
    #[inline]
    pub(crate) fn new(p: Coord<f64>, q: Coord<f64>) -> Option<Edge> {
        if !(p.x.is_finite() && p.y.is_finite() && q.x.is_finite() && q.y.is_finite()) {
            return None;
        }
        let (a, b) = if (p.y, p.x) <= (q.y, q.x) {
            (p, q)
        } else {
            (q, p)
        };
        (a.y != b.y).then_some(Edge {
            ax: a.x,
            ay: a.y,
            bx: b.x,
            by: b.y,
        })
    }

    /// Whether the ray from (x, y) towards +x crosses this edge under the half-open rule:
    /// the edge spans `ay <= y < by` and the point lies strictly left of (west of) it.
    /// A point exactly on the edge is not crossed, which hands it to the grid on the
    /// edge's east side; the half-open span hands a point on a vertex or a horizontal
    /// edge to the grid on its north side.
    #[inline(always)]
    pub(crate) fn crossed_by(&self, x: f64, y: f64) -> bool {
        if !(self.ay <= y && y < self.by) {
            return false;
        }
        // Cheap exact answers first: strictly west or east of both endpoints.
        if x < self.ax.min(self.bx) {
            return true;
        }
        if x > self.ax.max(self.bx) {
            return false;
        }
        orient(
            Coord {
                x: self.ax,
                y: self.ay,
            },
            Coord {
                x: self.bx,
                y: self.by,
            },
            Coord { x, y },
        ) == Side::Left
    }
}

/// Odd number of crossings: inside under the crate's border rule.
#[inline]
pub(crate) fn parity(edges: &[Edge], x: f64, y: f64) -> bool {
    let mut inside = false;
    for e in edges {
        inside ^= e.crossed_by(x, y);
    }
    inside
}

/// Calls `f` with the canonical form of every non-horizontal, finite edge of every ring.
pub(crate) fn for_each_edge(mp: &MultiPolygon<f64>, mut f: impl FnMut(Coord<f64>, Coord<f64>)) {
    for polygon in mp {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            for w in ring.0.windows(2) {
                f(w[0], w[1]);
            }
        }
    }
}

/// Whether `mp` contains the point under the crate's border rule (see the crate docs):
/// a plain crossing-number walk over every edge, O(vertices). It is the definition that
/// [`crate::GridIndex`] reproduces quickly, and what to use for a single ad-hoc test.
///
/// Rings combine by the even-odd rule, which equals the union of the polygons for a valid
/// (OGC) `MultiPolygon` and removes holes.
pub fn contains_point(mp: &MultiPolygon<f64>, lon: f64, lat: f64) -> bool {
    let mut inside = false;
    for_each_edge(mp, |p, q| {
        if let Some(e) = Edge::new(p, q) {
            inside ^= e.crossed_by(lon, lat);
        }
    });
    inside
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn edge_is_canonical_whatever_the_direction() {
        let p = Coord { x: 0.1, y: 0.7 };
        let q = Coord { x: 0.3, y: 0.2 };
        assert_eq!(Edge::new(p, q), Edge::new(q, p));
        assert_eq!(Edge::new(p, Coord { x: 5.0, y: 0.7 }), None);
    }

    #[test]
    fn unit_square_border_rule() {
        let sq = MultiPolygon::new(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)
        ]]);
        assert!(contains_point(&sq, 0.5, 0.5));
        // West and south sides belong to the square, east and north sides do not.
        assert!(contains_point(&sq, 0.0, 0.5));
        assert!(contains_point(&sq, 0.5, 0.0));
        assert!(contains_point(&sq, 0.0, 0.0));
        assert!(!contains_point(&sq, 1.0, 0.5));
        assert!(!contains_point(&sq, 0.5, 1.0));
        assert!(!contains_point(&sq, 1.0, 0.0));
        assert!(!contains_point(&sq, 0.0, 1.0));
        assert!(!contains_point(&sq, 1.0, 1.0));
        assert!(!contains_point(&sq, f64::NAN, 0.5));
    }
}
