//! Where people live: a mixture of the main city's urban centres (Gaussian blobs, 65 %),
//! town centres on the outskirts (15 %) and a rural background of hamlets and scattered
//! farms (20 %), in the base frame. The same model places residents and plans
//! institutions, so clinics sit where the people are.

use crate::geometry::{BORDER_MARGIN_KM, HALF_HEIGHT_KM, HALF_WIDTH_KM, Layout};
use crate::plane::{P, cumulative, from_lonlat, normal, pick_cumulative};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Which part of the mixture a home was drawn from; it sets the age pyramid (rural older)
/// and which kind of primary care serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// A main-city centre: community health centres and stations.
    Urban,
    /// A town on the outskirts: township health centres.
    Town,
    /// Hamlets and farms: village clinics.
    Rural,
}

/// Shares of the three classes.
const URBAN_SHARE: f64 = 0.65;
const TOWN_SHARE: f64 = 0.15;

/// The urban centres of Chongqing's main city inside the 40 × 30 km frame:
/// (lon, lat, σx km, σy km, weight).
const URBAN_CENTRES: [(f64, f64, f64, f64, f64); 8] = [
    (106.576, 29.558, 1.8, 1.4, 0.20), // 解放碑, 渝中半岛
    (106.532, 29.578, 2.2, 2.0, 0.17), // 观音桥, 江北
    (106.457, 29.557, 2.2, 2.0, 0.14), // 三峡广场, 沙坪坝
    (106.513, 29.507, 2.2, 2.0, 0.14), // 杨家坪, 九龙坡
    (106.570, 29.524, 2.0, 1.8, 0.12), // 南坪, 南岸
    (106.482, 29.484, 1.8, 1.6, 0.07), // 大渡口
    (106.560, 29.632, 2.5, 2.2, 0.10), // 龙头寺, 渝北
    (106.660, 29.510, 1.8, 1.8, 0.06), // 茶园
];

/// A Gaussian blob of homes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blob {
    pub(crate) at: P,
    sx: f64,
    sy: f64,
}

impl Blob {
    /// Squared distance in units of the blob's spread.
    fn z2(&self, p: P) -> f64 {
        ((p.x - self.at.x) / self.sx).powi(2) + ((p.y - self.at.y) / self.sy).powi(2)
    }
    fn draw(&self, rng: &mut ChaCha8Rng) -> P {
        P::new(
            self.at.x + normal(rng) * self.sx,
            self.at.y + normal(rng) * self.sy,
        )
    }
}

/// The population model.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    urban: Vec<Blob>,
    urban_cum: Vec<f64>,
    /// Town centres (each gets a township health centre).
    pub(crate) towns: Vec<Blob>,
    towns_cum: Vec<f64>,
    hamlets: Vec<P>,
}

/// Rural homes not in a hamlet are scattered over this box, a little larger than the city.
const RURAL_BOX_KM: (f64, f64) = (HALF_WIDTH_KM + 2.0, HALF_HEIGHT_KM + 2.0);

impl Model {
    /// Draws the towns and hamlets of this seed.
    pub(crate) fn new(rng: &mut ChaCha8Rng) -> Model {
        let urban: Vec<Blob> = URBAN_CENTRES
            .iter()
            .map(|&(lon, lat, sx, sy, _)| Blob {
                at: from_lonlat(lon, lat),
                sx,
                sy,
            })
            .collect();
        let urban_cum = cumulative(URBAN_CENTRES.iter().map(|c| c.4));
        let near_core = |p: P, z: f64| urban.iter().any(|b| b.z2(p) < z * z);

        let wanted = rng.random_range(14..=18);
        let mut towns: Vec<Blob> = Vec::with_capacity(wanted);
        for _ in 0..10_000 {
            if towns.len() == wanted {
                break;
            }
            let p = P::new(
                rng.random_range(-HALF_WIDTH_KM + 3.0..HALF_WIDTH_KM - 3.0),
                rng.random_range(-HALF_HEIGHT_KM + 3.0..HALF_HEIGHT_KM - 3.0),
            );
            if near_core(p, 3.2) || towns.iter().any(|t| t.at.dist(p) < 4.0) {
                continue;
            }
            let s = rng.random_range(0.5..0.9);
            towns.push(Blob {
                at: p,
                sx: s,
                sy: s * rng.random_range(0.8..1.25),
            });
        }
        let towns_cum = cumulative((0..towns.len()).map(|_| rng.random_range(0.5..1.5)));

        let mut hamlets = Vec::with_capacity(160);
        for _ in 0..10_000 {
            if hamlets.len() == 160 {
                break;
            }
            let p = P::new(
                rng.random_range(-RURAL_BOX_KM.0..RURAL_BOX_KM.0),
                rng.random_range(-RURAL_BOX_KM.1..RURAL_BOX_KM.1),
            );
            if !near_core(p, 2.5) {
                hamlets.push(p);
            }
        }
        Model {
            urban,
            urban_cum,
            towns,
            towns_cum,
            hamlets,
        }
    }

    /// Draws a class by the shares.
    pub(crate) fn class(rng: &mut ChaCha8Rng) -> Class {
        let u: f64 = rng.random();
        if u < URBAN_SHARE {
            Class::Urban
        } else if u < URBAN_SHARE + TOWN_SHARE {
            Class::Town
        } else {
            Class::Rural
        }
    }

    /// Draws a home of a class (not yet checked to lie in the city).
    pub(crate) fn sample(&self, rng: &mut ChaCha8Rng, class: Class) -> P {
        match class {
            Class::Urban => self.urban[pick_cumulative(rng, &self.urban_cum)].draw(rng),
            Class::Town if !self.towns.is_empty() => {
                self.towns[pick_cumulative(rng, &self.towns_cum)].draw(rng)
            }
            Class::Town | Class::Rural => {
                if !self.hamlets.is_empty() && rng.random_bool(0.7) {
                    let h = self.hamlets[rng.random_range(0..self.hamlets.len())];
                    P::new(h.x + normal(rng) * 0.25, h.y + normal(rng) * 0.25)
                } else {
                    P::new(
                        rng.random_range(-RURAL_BOX_KM.0..RURAL_BOX_KM.0),
                        rng.random_range(-RURAL_BOX_KM.1..RURAL_BOX_KM.1),
                    )
                }
            }
        }
    }

    /// Draws a home inside the city, at least the border margin from every grid border,
    /// and returns it with its class and its cell.
    pub(crate) fn home(&self, rng: &mut ChaCha8Rng, layout: &Layout) -> (P, Class, usize) {
        let mut class = Model::class(rng);
        for attempt in 0..100_000 {
            if attempt == 64 {
                // a component that keeps missing the city (a town drawn outside it):
                // fall back to the rural background, which covers the whole city
                class = Class::Rural;
            }
            let p = self.sample(rng, class);
            if let Some(cell) = layout.locate(p, BORDER_MARGIN_KM) {
                return (p, class, cell);
            }
        }
        panic!("BUG: 100 000 draws missed the city, whose area is most of the rural box");
    }
}
