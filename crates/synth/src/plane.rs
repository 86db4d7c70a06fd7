//! The plane the city is drawn on: a local kilometre frame around the centre of
//! Chongqing's main city, the smooth warp that bends straight borders into natural-looking
//! ones, and the conversion to rounded WGS84 coordinates.
//!
//! Everything is planned in the *base* frame (straight borders, where "inside with a
//! margin" is a cheap exact test) and only then warped, so that a point placed with a margin
//! in the base frame keeps a known margin on the map.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::{PI, TAU};

/// Longitude of the frame's origin (Chongqing main city).
pub(crate) const CENTRE_LON: f64 = 106.55;
/// Latitude of the frame's origin.
pub(crate) const CENTRE_LAT: f64 = 29.56;
/// Length of one degree of longitude at the centre's latitude (WGS84 ellipsoid).
const KM_PER_DEG_LON: f64 = 96.909;
/// Length of one degree of latitude there.
const KM_PER_DEG_LAT: f64 = 110.845;

/// Decimals of grid polygon vertices (about 1 cm), as written to `grids.geojson`.
pub(crate) const POLYGON_DECIMALS: i32 = 7;
/// Decimals of point locations (about 10 cm), as written to the CSV tables.
pub(crate) const POINT_DECIMALS: i32 = 6;

/// A point of the base frame, in kilometres east (`x`) and north (`y`) of the centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct P {
    pub(crate) x: f64,
    pub(crate) y: f64,
}

impl P {
    pub(crate) const fn new(x: f64, y: f64) -> P {
        P { x, y }
    }
    pub(crate) fn lerp(self, to: P, t: f64) -> P {
        P::new(self.x + (to.x - self.x) * t, self.y + (to.y - self.y) * t)
    }
    pub(crate) fn dist(self, to: P) -> f64 {
        (to.x - self.x).hypot(to.y - self.y)
    }
    pub(crate) fn dist2(self, to: P) -> f64 {
        let (dx, dy) = (to.x - self.x, to.y - self.y);
        dx * dx + dy * dy
    }
}

/// The base-frame point of a WGS84 coordinate (equirectangular around the centre, exact
/// enough over 40 km for planning).
pub(crate) fn from_lonlat(lon: f64, lat: f64) -> P {
    P::new(
        (lon - CENTRE_LON) * KM_PER_DEG_LON,
        (lat - CENTRE_LAT) * KM_PER_DEG_LAT,
    )
}

/// Rounds to `decimals` places, so that the shortest decimal text of the value has at most
/// that many and a file written with it reads back bit for bit.
pub(crate) fn round_to(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

/// One sine wave of the warp.
#[derive(Debug, Clone, Copy)]
struct Wave {
    kx: f64,
    ky: f64,
    phase: f64,
    amp_km: f64,
}

impl Wave {
    fn at(&self, p: P) -> f64 {
        self.amp_km * (self.kx * p.x + self.ky * p.y + self.phase).sin()
    }
}

/// (amplitude km, shortest wavelength km, longest wavelength km) of the warp's waves, per
/// axis: one broad bend, one medium, one small wiggle.
const WAVES: [(f64, f64, f64); 3] = [(0.35, 10.0, 14.0), (0.08, 4.0, 6.0), (0.012, 1.5, 2.5)];

/// A smooth displacement of the plane, `p ↦ p + d(p)`, the same function for every point,
/// so a border bent by it is bent identically for both grids that share it. Its Lipschitz
/// constant is below 1, which makes it a homeomorphism: the tiling stays a tiling and a
/// margin `m` in the base frame is at least `(1 - lipschitz) · m` on the map.
#[derive(Debug, Clone)]
pub(crate) struct Warp {
    x: [Wave; 3],
    y: [Wave; 3],
}

impl Warp {
    pub(crate) fn new(rng: &mut ChaCha8Rng) -> Warp {
        let mut wave = |(amp_km, lo, hi): (f64, f64, f64)| {
            let k = TAU / rng.random_range(lo..hi);
            let dir = rng.random_range(0.0..PI);
            Wave {
                kx: k * dir.cos(),
                ky: k * dir.sin(),
                phase: rng.random_range(0.0..TAU),
                amp_km,
            }
        };
        let x = WAVES.map(&mut wave);
        let y = WAVES.map(&mut wave);
        Warp { x, y }
    }

    /// Upper bound of the Lipschitz constant of `d` (Frobenius norm of its Jacobian).
    #[cfg(test)]
    pub(crate) fn lipschitz() -> f64 {
        let per_axis: f64 = WAVES.iter().map(|(a, lo, _)| a * TAU / lo).sum();
        per_axis * 2f64.sqrt()
    }

    /// Upper bound of the curvature (1/km) the warp gives a straight line, which bounds
    /// how far a chord between two dense vertices strays from the bent border.
    #[cfg(test)]
    pub(crate) fn curvature_max() -> f64 {
        let per_axis: f64 = WAVES.iter().map(|(a, lo, _)| a * (TAU / lo).powi(2)).sum();
        per_axis * 2f64.sqrt()
    }

    /// The warped point as rounded WGS84 `(lon, lat)`.
    pub(crate) fn lonlat(&self, p: P, decimals: i32) -> (f64, f64) {
        let dx: f64 = self.x.iter().map(|w| w.at(p)).sum();
        let dy: f64 = self.y.iter().map(|w| w.at(p)).sum();
        let lon = CENTRE_LON + (p.x + dx) / KM_PER_DEG_LON;
        let lat = CENTRE_LAT + (p.y + dy) / KM_PER_DEG_LAT;
        (round_to(lon, decimals), round_to(lat, decimals))
    }
}

/// A standard normal deviate (Box–Muller), so the crate needs no distribution library.
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (TAU * u2).cos()
}

/// Index picked by cumulative weights `cum` (last element = total).
pub(crate) fn pick_cumulative(rng: &mut ChaCha8Rng, cum: &[f64]) -> usize {
    let total = cum.last().copied().unwrap_or(0.0);
    let u = rng.random::<f64>() * total;
    cum.partition_point(|&c| c <= u)
        .min(cum.len().saturating_sub(1))
}

/// Running sums of `weights`, for [`pick_cumulative`].
pub(crate) fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    weights
        .into_iter()
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn rounding_reads_back() {
        let v = round_to(106.123_456_789_1, POLYGON_DECIMALS);
        assert_eq!(v.to_string(), "106.1234568");
        assert_eq!(v.to_string().parse::<f64>().ok(), Some(v));
    }

    #[test]
    fn warp_keeps_margins() {
        // The margin promise of the crate rests on these two bounds.
        assert!(Warp::lipschitz() < 0.6, "{}", Warp::lipschitz());
        assert!(Warp::curvature_max() < 1.0, "{}", Warp::curvature_max());
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }
}
