//! Property test: `GridIndex` agrees with a naive crossing-number test in exact integer
//! arithmetic, on random tilings of a rectangle into jittered cells (with densified shared
//! edges, holes filled by exclaves, MultiPolygons), for random points, points on vertices
//! and points on edges, at raster sizes from one cell to 10⁵.
//!
//! The reference shares no code with the crate: coordinates are dyadic (multiples of
//! 2⁻²⁰), so scaled by 2²⁰ they are integers and the orientation test is exact in i128.

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use yilian_geo::GridIndex;

/// Lattice of the points: 2⁻²⁰. Vertices sit on the coarser 2⁻³ lattice.
const SCALE: f64 = (1u64 << 20) as f64;
const SPACING: i64 = 64 * 8; // cell spacing in units of 1/8
const JITTER: i64 = 20; // ±2.5 in units of 1/8

/// splitmix64: the detailed randomness of one case, driven by proptest's seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
}

fn eighth(v: i64) -> f64 {
    v as f64 / 8.0
}

struct Tiling {
    grids: Vec<MultiPolygon<f64>>,
    edges: Vec<(Coord<f64>, Coord<f64>)>,
    vertices: Vec<Coord<f64>>,
    width: f64,
    height: f64,
}

fn tiling(nx: usize, ny: usize, k: usize, densify: usize, seed: u64) -> Tiling {
    let mut rng = Rng(seed);
    // Lattice vertices (in 1/8 units), jittered; the rectangle's sides stay straight.
    let mut v = vec![vec![(0i64, 0i64); ny + 1]; nx + 1];
    for (i, col) in v.iter_mut().enumerate() {
        for (j, p) in col.iter_mut().enumerate() {
            let jx = if i == 0 || i == nx {
                0
            } else {
                rng.range(-JITTER, JITTER)
            };
            let jy = if j == 0 || j == ny {
                0
            } else {
                rng.range(-JITTER, JITTER)
            };
            *p = (i as i64 * SPACING + jx, j as i64 * SPACING + jy);
        }
    }
    // Each lattice edge densified once, shared bit for bit by both neighbours.
    let mut chain = |a: (i64, i64), b: (i64, i64), boundary: bool| -> Vec<(i64, i64)> {
        let mut pts = vec![a];
        for s in 1..=densify {
            let t = s as i64;
            let n = densify as i64 + 1;
            let (mx, my) = (a.0 + (b.0 - a.0) * t / n, a.1 + (b.1 - a.1) * t / n);
            let wiggle = if boundary { 0 } else { rng.range(-12, 12) };
            // Perpendicular-ish wiggle: along x for vertical edges, along y otherwise.
            if (b.0 - a.0).abs() < (b.1 - a.1).abs() {
                pts.push((mx + wiggle, my));
            } else {
                pts.push((mx, my + wiggle));
            }
        }
        pts
    };
    let mut horiz = vec![vec![Vec::new(); ny + 1]; nx]; // (i, j) -> (i + 1, j)
    let mut vert = vec![vec![Vec::new(); ny]; nx + 1]; // (i, j) -> (i, j + 1)
    for i in 0..nx {
        for j in 0..=ny {
            horiz[i][j] = chain(v[i][j], v[i + 1][j], j == 0 || j == ny);
        }
    }
    for i in 0..=nx {
        for j in 0..ny {
            vert[i][j] = chain(v[i][j], v[i][j + 1], i == 0 || i == nx);
        }
    }
    let c = |p: (i64, i64)| Coord {
        x: eighth(p.0),
        y: eighth(p.1),
    };
    let mut polys: Vec<Vec<Polygon<f64>>> = vec![Vec::new(); k];
    for i in 0..nx {
        for j in 0..ny {
            // Counter-clockwise: bottom, right, top (reversed), left (reversed).
            let mut ring: Vec<(i64, i64)> = horiz[i][j].clone();
            ring.extend(vert[i + 1][j].iter().copied());
            let mut top: Vec<(i64, i64)> = horiz[i][j + 1].clone();
            top.push(v[i + 1][j + 1]);
            top.reverse();
            top.pop();
            ring.extend(top);
            let mut left: Vec<(i64, i64)> = vert[i][j].clone();
            left.push(v[i][j + 1]);
            left.reverse();
            ring.extend(left); // ends at v[i][j]: closed
            let exterior = LineString::from(ring.iter().map(|&p| c(p)).collect::<Vec<_>>());
            let owner = rng.range(0, k as i64 - 1) as usize;
            if rng.range(0, 3) == 0 {
                // A hole around the cell's centre, filled by an exclave of some grid.
                let (cx, cy) = (
                    i as i64 * SPACING + SPACING / 2,
                    j as i64 * SPACING + SPACING / 2,
                );
                let h = rng.range(16, 120);
                let sq = vec![
                    c((cx - h, cy - h)),
                    c((cx - h, cy + h)),
                    c((cx + h, cy + h)),
                    c((cx + h, cy - h)),
                    c((cx - h, cy - h)),
                ];
                polys[owner].push(Polygon::new(exterior, vec![LineString::from(sq.clone())]));
                let filler = rng.range(0, k as i64 - 1) as usize;
                polys[filler].push(Polygon::new(LineString::from(sq), vec![]));
            } else {
                polys[owner].push(Polygon::new(exterior, vec![]));
            }
        }
    }
    let grids: Vec<MultiPolygon<f64>> = polys.into_iter().map(MultiPolygon::new).collect();
    let mut edges = Vec::new();
    let mut vertices = Vec::new();
    for mp in &grids {
        for p in mp {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in ring.0.windows(2) {
                    edges.push((w[0], w[1]));
                    vertices.push(w[0]);
                }
            }
        }
    }
    Tiling {
        grids,
        edges,
        vertices,
        width: eighth(nx as i64 * SPACING),
        height: eighth(ny as i64 * SPACING),
    }
}

/// Naive exact half-open crossing number, all grids containing (x, y), ascending.
fn naive_containing(grids: &[MultiPolygon<f64>], x: f64, y: f64) -> Vec<u32> {
    let int = |v: f64| -> i128 {
        let s = v * SCALE;
        assert_eq!(s, s.trunc(), "test point {v} is not on the 2^-20 lattice");
        s as i128
    };
    let (px, py) = (int(x), int(y));
    let mut out = Vec::new();
    for (g, mp) in grids.iter().enumerate() {
        let mut inside = false;
        for p in mp {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in ring.0.windows(2) {
                    let (p0, p1) = ((int(w[0].x), int(w[0].y)), (int(w[1].x), int(w[1].y)));
                    let (a, b) = if (p0.1, p0.0) <= (p1.1, p1.0) {
                        (p0, p1)
                    } else {
                        (p1, p0)
                    };
                    if a.1 == b.1 || !(a.1 <= py && py < b.1) {
                        continue;
                    }
                    let cross = (b.0 - a.0) * (py - a.1) - (b.1 - a.1) * (px - a.0);
                    if cross > 0 {
                        inside = !inside;
                    }
                }
            }
        }
        if inside {
            out.push(g as u32);
        }
    }
    out
}

fn test_points(t: &Tiling, rng: &mut Rng, n: usize) -> Vec<(f64, f64)> {
    let mut pts = Vec::with_capacity(3 * n);
    let lattice = |lo: f64, hi: f64, rng: &mut Rng| {
        let (lo, hi) = ((lo * SCALE) as i64, (hi * SCALE) as i64);
        rng.range(lo, hi) as f64 / SCALE
    };
    for _ in 0..n {
        pts.push((
            lattice(-8.0, t.width + 8.0, rng),
            lattice(-8.0, t.height + 8.0, rng),
        ));
    }
    for _ in 0..n {
        let v = t.vertices[rng.range(0, t.vertices.len() as i64 - 1) as usize];
        pts.push((v.x, v.y));
    }
    for _ in 0..n {
        let (a, b) = t.edges[rng.range(0, t.edges.len() as i64 - 1) as usize];
        // a + (b - a)·m/8 is exact for these dyadic coordinates and lies on the edge.
        let m = rng.range(1, 7) as f64 / 8.0;
        pts.push((a.x + (b.x - a.x) * m, a.y + (b.y - a.y) * m));
    }
    pts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn index_equals_naive_exact_crossing_number(
        nx in 1usize..=4,
        ny in 1usize..=4,
        k in 1usize..=5,
        densify in 0usize..=3,
        cells in prop::sample::select(vec![1usize, 7, 200, 5_000, 100_000]),
        seed in any::<u64>(),
    ) {
        let t = tiling(nx, ny, k, densify, seed);
        let index = GridIndex::build_with_cells(&t.grids, cells);
        let mut rng = Rng(seed ^ 0xA5A5_A5A5);
        let pts = test_points(&t, &mut rng, 150);
        let (lon, lat): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
        let batch = index.assign_all(&lon, &lat);
        for (i, &(x, y)) in pts.iter().enumerate() {
            let want = naive_containing(&t.grids, x, y);
            prop_assert_eq!(index.containing(x, y), want.clone(), "containing({}, {})", x, y);
            prop_assert_eq!(index.assign(x, y), want.first().copied(), "assign({}, {})", x, y);
            prop_assert_eq!(batch[i], want.first().copied());
            // A tiling: every point of the rectangle, borders included, has exactly one
            // grid (west and south sides in, east and north sides out).
            let inside = (0.0..t.width).contains(&x) && (0.0..t.height).contains(&y);
            prop_assert_eq!(want.len(), usize::from(inside), "({}, {}) in {} grids", x, y, want.len());
        }
    }
}
