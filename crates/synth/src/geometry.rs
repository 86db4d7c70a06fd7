//! The grid layout: a jittered lattice of rows and columns whose junctions follow the
//! population (urban grids narrower, rural ones wider), each border a kinked polyline,
//! densified and bent by the shared [`Warp`].
//!
//! Every border (an *edge* between two junction *nodes*) is built once and used forwards
//! by one grid and reversed by its neighbour, so shared borders are bit-identical and the
//! grids tile the city with no gap and no overlap.

use crate::plane::{P, POLYGON_DECIMALS, Warp};
use geo_types::{Coord, LineString, Polygon};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Half the city's east–west extent before jitter, km.
pub(crate) const HALF_WIDTH_KM: f64 = 20.0;
/// Half the city's north–south extent before jitter, km.
pub(crate) const HALF_HEIGHT_KM: f64 = 15.0;
/// Distance every home and institution keeps from every border in the base frame; the
/// warp shrinks it by at most its Lipschitz constant, leaving more than 30 m on the map, so
/// that assigning a point to a grid is never ambiguous.
pub(crate) const BORDER_MARGIN_KM: f64 = 0.12;
/// Target spacing of border vertices in the base frame, km: dense enough that the chords
/// follow the bent border to within a few metres.
const VERTEX_SPACING_KM: f64 = 0.2;
/// Vertices of one border edge, at least and at most (both ends included).
const EDGE_VERTICES_MIN: usize = 30;
const EDGE_VERTICES_MAX: usize = 150;

/// One border between two junctions.
#[derive(Debug, Clone)]
struct Edge {
    /// Base-frame polyline: start, kink, end.
    base: [P; 3],
    /// The bent, densified, rounded border on the map, ends equal to the junctions' points.
    line: Vec<Coord<f64>>,
}

/// One grid's cell.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    /// The grid's polygon on the map (closed, counter-clockwise, rounded).
    pub(crate) polygon: Polygon<f64>,
    /// The base-frame ring (not closed), for exact location with a margin.
    base: Vec<P>,
    min: P,
    max: P,
}

/// The grids' cells, row by row from the south, west to east within a row.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) cells: Vec<Cell>,
    pub(crate) warp: Warp,
}

/// Builds edges and junctions while remembering each junction's map point, so the ends of
/// every edge meeting there are the very same `f64`s.
struct Builder<'a> {
    warp: &'a Warp,
    nodes: Vec<(P, Coord<f64>)>,
    edges: Vec<Edge>,
}

impl Builder<'_> {
    fn node(&mut self, p: P) -> usize {
        let (x, y) = self.warp.lonlat(p, POLYGON_DECIMALS);
        self.nodes.push((p, Coord { x, y }));
        self.nodes.len() - 1
    }

    fn edge(&mut self, rng: &mut ChaCha8Rng, a: usize, b: usize) -> usize {
        let (pa, ca) = self.nodes[a];
        let (pb, cb) = self.nodes[b];
        let len = pa.dist(pb);
        let (nx, ny) = (-(pb.y - pa.y) / len, (pb.x - pa.x) / len);
        let along = rng.random_range(0.35..0.65);
        let off = rng.random_range(-0.08..0.08) * len;
        let mid = pa.lerp(pb, along);
        let kink = P::new(mid.x + nx * off, mid.y + ny * off);
        let (l1, l2) = (pa.dist(kink), kink.dist(pb));
        let segments = ((l1 + l2) / VERTEX_SPACING_KM).ceil().clamp(
            (EDGE_VERTICES_MIN - 1) as f64,
            (EDGE_VERTICES_MAX - 1) as f64,
        ) as usize;
        let n1 = ((segments as f64 * l1 / (l1 + l2)).round() as usize).clamp(1, segments - 1);
        let n2 = segments - n1;
        let mut line = Vec::with_capacity(segments + 1);
        // the ends are the junctions' own points, shared by every edge meeting there
        line.push(ca);
        let mut push = |p: P| {
            let (x, y) = self.warp.lonlat(p, POLYGON_DECIMALS);
            line.push(Coord { x, y });
        };
        for i in 1..n1 {
            push(pa.lerp(kink, i as f64 / n1 as f64));
        }
        push(kink);
        for i in 1..n2 {
            push(kink.lerp(pb, i as f64 / n2 as f64));
        }
        line.push(cb);
        self.edges.push(Edge {
            base: [pa, kink, pb],
            line,
        });
        self.edges.len() - 1
    }
}

/// How many cells each row holds: about square cells, extra cells to the middle rows.
fn row_sizes(n: usize) -> Vec<usize> {
    let rows = ((n as f64 * HALF_HEIGHT_KM / HALF_WIDTH_KM).sqrt().round() as usize).clamp(1, n);
    let mut order: Vec<usize> = (0..rows).collect();
    let mid = (rows as f64 - 1.0) / 2.0;
    order.sort_by(|&a, &b| {
        (a as f64 - mid)
            .abs()
            .total_cmp(&(b as f64 - mid).abs())
            .then(a.cmp(&b))
    });
    let mut sizes = vec![n / rows; rows];
    for &r in order.iter().take(n % rows) {
        sizes[r] += 1;
    }
    sizes
}

/// The `q`-quantile of sorted values (none when empty).
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let k = ((sorted.len() - 1) as f64 * q).round() as usize;
    Some(sorted[k.min(sorted.len() - 1)])
}

/// Index of the junction at parameter `t` on a boundary (the value is stored, so exact).
fn at_t(ts: &[(f64, usize)], t: f64) -> usize {
    ts.binary_search_by(|(v, _)| v.total_cmp(&t))
        .expect("BUG: every junction parameter was registered on its boundary")
}

impl Layout {
    /// Lays out `n` grids; `population` is a sample of homes that pulls the junctions
    /// towards the population's quantiles (blended half and half with an even lattice).
    pub(crate) fn build(rng: &mut ChaCha8Rng, n: usize, population: &[P]) -> Layout {
        assert!(n >= 1, "BUG: at least one grid");
        let warp = Warp::new(rng);
        let sizes = row_sizes(n);
        let rows = sizes.len();
        let row_h = 2.0 * HALF_HEIGHT_KM / rows as f64;

        // row boundaries b_0 … b_rows as straight lines between jittered ends
        let mut ys: Vec<f64> = population.iter().map(|p| p.y).collect();
        ys.sort_by(f64::total_cmp);
        let mut lines: Vec<(P, P)> = Vec::with_capacity(rows + 1);
        for r in 0..=rows {
            let lin = -HALF_HEIGHT_KM + r as f64 * row_h;
            let y = if r == 0 || r == rows {
                lin
            } else {
                let q = quantile(&ys, r as f64 / rows as f64).unwrap_or(lin);
                0.5 * lin + 0.5 * q
            };
            let jitter = if r == 0 || r == rows {
                1.0
            } else {
                0.06 * row_h
            };
            let left = P::new(
                -HALF_WIDTH_KM + rng.random_range(-1.5..1.5),
                y + rng.random_range(-jitter..jitter),
            );
            let right = P::new(
                HALF_WIDTH_KM + rng.random_range(-1.5..1.5),
                y + rng.random_range(-jitter..jitter),
            );
            lines.push((left, right));
        }

        // junction parameters along the bottom (s) and top (u) boundary of each row
        let mut bottoms: Vec<Vec<f64>> = Vec::with_capacity(rows);
        let mut tops: Vec<Vec<f64>> = Vec::with_capacity(rows);
        for (r, &k) in sizes.iter().enumerate() {
            let (lo, hi) = (lines[r], lines[r + 1]);
            let y_lo = 0.5 * (lo.0.y + lo.1.y);
            let y_hi = 0.5 * (hi.0.y + hi.1.y);
            let (x_l, x_r) = (0.5 * (lo.0.x + hi.0.x), 0.5 * (lo.1.x + hi.1.x));
            let mut xs: Vec<f64> = population
                .iter()
                .filter(|p| p.y >= y_lo && p.y < y_hi)
                .map(|p| p.x)
                .collect();
            xs.sort_by(f64::total_cmp);
            let mut s = vec![0.0; k + 1];
            let mut u = vec![0.0; k + 1];
            s[k] = 1.0;
            u[k] = 1.0;
            for j in 1..k {
                let lin = j as f64 / k as f64;
                let q =
                    quantile(&xs, lin).map_or(lin, |x| ((x - x_l) / (x_r - x_l)).clamp(0.05, 0.95));
                let t = 0.5 * lin + 0.5 * q;
                let spread = 0.08 / k as f64;
                s[j] = t + rng.random_range(-spread..spread);
                u[j] = t + rng.random_range(-spread..spread);
            }
            bottoms.push(s);
            tops.push(u);
        }
        // a bottom junction close to a top junction of the row below becomes the same
        // junction (a four-way node), so no border piece is a sliver
        let k_max = sizes.iter().copied().max().unwrap_or(1) as f64;
        for r in 1..rows {
            let len = lines[r].0.dist(lines[r].1);
            let snap = (1.5 / len).min(0.1 / k_max);
            let below = tops[r - 1].clone();
            for s in bottoms[r].iter_mut().skip(1).take(sizes[r] - 1) {
                if let Some(&u) = below[1..below.len() - 1]
                    .iter()
                    .min_by(|a, b| (**a - *s).abs().total_cmp(&(**b - *s).abs()))
                    && (u - *s).abs() < snap
                {
                    *s = u;
                }
            }
        }

        let mut b = Builder {
            warp: &warp,
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        // junctions and border pieces along each row boundary
        let mut junctions: Vec<Vec<(f64, usize)>> = Vec::with_capacity(rows + 1);
        let mut pieces: Vec<Vec<usize>> = Vec::with_capacity(rows + 1);
        for r in 0..=rows {
            let mut ts = vec![0.0, 1.0];
            if r < rows {
                ts.extend_from_slice(&bottoms[r][1..sizes[r]]);
            }
            if r > 0 {
                ts.extend_from_slice(&tops[r - 1][1..sizes[r - 1]]);
            }
            ts.sort_by(f64::total_cmp);
            ts.dedup();
            let (left, right) = lines[r];
            let js: Vec<(f64, usize)> = ts
                .iter()
                .map(|&t| (t, b.node(left.lerp(right, t))))
                .collect();
            let ps: Vec<usize> = js.windows(2).map(|w| b.edge(rng, w[0].1, w[1].1)).collect();
            junctions.push(js);
            pieces.push(ps);
        }
        // the cells, each closed by two side borders running from boundary r to r + 1
        let mut cells = Vec::with_capacity(n);
        for (r, &k) in sizes.iter().enumerate() {
            let sides: Vec<usize> = (0..=k)
                .map(|j| {
                    let a = junctions[r][at_t(&junctions[r], bottoms[r][j])].1;
                    let c = junctions[r + 1][at_t(&junctions[r + 1], tops[r][j])].1;
                    b.edge(rng, a, c)
                })
                .collect();
            for j in 0..k {
                let mut ring: Vec<(usize, bool)> = Vec::new();
                let (ba, bb) = (
                    at_t(&junctions[r], bottoms[r][j]),
                    at_t(&junctions[r], bottoms[r][j + 1]),
                );
                ring.extend((ba..bb).map(|i| (pieces[r][i], true)));
                ring.push((sides[j + 1], true));
                let (ta, tb) = (
                    at_t(&junctions[r + 1], tops[r][j]),
                    at_t(&junctions[r + 1], tops[r][j + 1]),
                );
                ring.extend((ta..tb).rev().map(|i| (pieces[r + 1][i], false)));
                ring.push((sides[j], false));
                cells.push(Cell::assemble(&b.edges, &ring));
            }
        }
        Layout { cells, warp }
    }

    /// The cell `p` lies in with at least `margin_km` to every border (base frame); none
    /// when outside the city or too close to a border.
    pub(crate) fn locate(&self, p: P, margin_km: f64) -> Option<usize> {
        for (i, c) in self.cells.iter().enumerate() {
            if p.x < c.min.x - margin_km
                || p.x > c.max.x + margin_km
                || p.y < c.min.y - margin_km
                || p.y > c.max.y + margin_km
            {
                continue;
            }
            if contains(&c.base, p) {
                return (distance_to_ring(&c.base, p) >= margin_km).then_some(i);
            }
        }
        None
    }

    /// Area-weighted centre of a cell's base ring.
    pub(crate) fn centroid(&self, cell: usize) -> P {
        let ring = &self.cells[cell].base;
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for (i, p) in ring.iter().enumerate() {
            let q = ring[(i + 1) % ring.len()];
            let cross = p.x * q.y - q.x * p.y;
            a += cross;
            cx += (p.x + q.x) * cross;
            cy += (p.y + q.y) * cross;
        }
        P::new(cx / (3.0 * a), cy / (3.0 * a))
    }
}

impl Cell {
    fn assemble(edges: &[Edge], ring: &[(usize, bool)]) -> Cell {
        let mut coords: Vec<Coord<f64>> = Vec::new();
        let mut base: Vec<P> = Vec::new();
        for (k, &(e, forwards)) in ring.iter().enumerate() {
            let edge = &edges[e];
            let skip = usize::from(k > 0);
            if forwards {
                coords.extend(edge.line.iter().skip(skip));
                base.extend(edge.base.iter().skip(skip));
            } else {
                coords.extend(edge.line.iter().rev().skip(skip));
                base.extend(edge.base.iter().rev().skip(skip));
            }
        }
        assert_eq!(
            coords.first(),
            coords.last(),
            "BUG: a cell's ring closes on its first junction"
        );
        base.pop();
        let min = base
            .iter()
            .fold(P::new(f64::INFINITY, f64::INFINITY), |m, p| {
                P::new(m.x.min(p.x), m.y.min(p.y))
            });
        let max = base
            .iter()
            .fold(P::new(f64::NEG_INFINITY, f64::NEG_INFINITY), |m, p| {
                P::new(m.x.max(p.x), m.y.max(p.y))
            });
        Cell {
            polygon: Polygon::new(LineString::new(coords), Vec::new()),
            base,
            min,
            max,
        }
    }
}

/// Crossing-number test against an open ring.
fn contains(ring: &[P], p: P) -> bool {
    let mut inside = false;
    for (i, a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % ring.len()];
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Distance from `p` to the nearest segment of an open ring.
fn distance_to_ring(ring: &[P], p: P) -> f64 {
    let mut best = f64::INFINITY;
    for (i, a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % ring.len()];
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        best = best.min(p.dist2(a.lerp(b, t)));
    }
    best.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_every_cell() {
        for n in 1..=40 {
            let sizes = row_sizes(n);
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes.iter().all(|&k| k >= 1));
        }
        assert_eq!(row_sizes(8), vec![4, 4]);
    }

    #[test]
    fn ring_tests() {
        let sq = [
            P::new(0.0, 0.0),
            P::new(2.0, 0.0),
            P::new(2.0, 2.0),
            P::new(0.0, 2.0),
        ];
        assert!(contains(&sq, P::new(1.0, 1.0)));
        assert!(!contains(&sq, P::new(3.0, 1.0)));
        assert!((distance_to_ring(&sq, P::new(1.0, 0.5)) - 0.5).abs() < 1e-12);
    }
}
