//! Areas and overlaps of grids, for the registry's consistency report.

use geo::{BooleanOps, BoundingRect, GeodesicArea};
use geo_types::{LineString, MultiPolygon, Polygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Two grids whose interiors overlap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// Index of the first grid (the lower one).
    pub a: u32,
    /// Index of the second grid.
    pub b: u32,
    /// Geodesic area of the overlap, km².
    pub area_km2: f64,
}

/// Area of a grid in km², geodesic on the WGS84 ellipsoid (Karney's algorithm, through
/// geo's `GeodesicArea`), so it is right for grids of any size and latitude with no
/// projection to choose. Each ring is measured on its own and its absolute value taken,
/// so ring orientation does not matter: exteriors add, holes subtract.
pub fn area_km2(grid: &MultiPolygon<f64>) -> f64 {
    let ring_m2 = |ring: &LineString<f64>| {
        Polygon::new(ring.clone(), Vec::new())
            .geodesic_area_signed()
            .abs()
    };
    grid.iter()
        .map(|p| ring_m2(p.exterior()) - p.interiors().iter().map(ring_m2).sum::<f64>())
        .sum::<f64>()
        / 1e6
}

/// Every pair of grids (a < b, in order) whose interiors overlap with an area above zero.
///
/// Pairs come from an R-tree over the grids' bounding boxes; each is then intersected
/// exactly (geo's `BooleanOps`, i.e. i_overlay). Grids that only share a border (even a
/// border made of the very same vertices) intersect in a line, whose area is zero, so
/// they are not reported.
pub fn overlaps(grids: &[MultiPolygon<f64>]) -> Vec<Overlap> {
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = grids
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            let r = g.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            ))
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    let mut pairs: Vec<(usize, usize)> = boxes
        .iter()
        .flat_map(|item| {
            let i = item.data;
            let env = AABB::from_corners(item.geom().lower(), item.geom().upper());
            tree.locate_in_envelope_intersecting(&env)
                .filter(move |other| other.data > i)
                .map(move |other| (i, other.data))
        })
        .collect();
    pairs.sort_unstable();
    pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let common = grids[a].intersection(&grids[b]);
            let area_km2 = area_km2(&common);
            (area_km2 > 0.0).then_some(Overlap {
                a: a as u32,
                b: b as u32,
                area_km2,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;
    use geo_types::polygon;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    #[test]
    fn area_of_a_small_square_near_chongqing() {
        // 0.01° × 0.01° at 29.5°N ≈ 1.108 km × 0.970 km. Reference: pyproj
        // `Geod(ellps="WGS84").polygon_area_perimeter` gives 1 074 761.6776542664 m².
        let a = area_km2(&rect(106.5, 29.5, 106.51, 29.51));
        assert!((a - 1.074_761_677_654_266).abs() < 1e-9, "{a}");
        // Orientation does not matter, holes subtract.
        let cw = MultiPolygon::new(vec![polygon![
            (x: 106.5, y: 29.5), (x: 106.5, y: 29.51), (x: 106.51, y: 29.51), (x: 106.51, y: 29.5)
        ]]);
        assert!((area_km2(&cw) - a).abs() < 1e-9);
        let holed = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (106.5, 29.5),
                (106.52, 29.5),
                (106.52, 29.52),
                (106.5, 29.52),
            ]),
            vec![LineString::from(vec![
                (106.505, 29.505),
                (106.515, 29.505),
                (106.515, 29.515),
                (106.505, 29.515),
            ])],
        )]);
        let full = area_km2(&rect(106.5, 29.5, 106.52, 29.52));
        let hole = area_km2(&rect(106.505, 29.505, 106.515, 29.515));
        assert!((area_km2(&holed) - (full - hole)).abs() < 1e-9);
    }

    #[test]
    fn planted_overlap_is_found_with_its_area() {
        let grids = [
            rect(106.50, 29.50, 106.52, 29.52),
            rect(106.52, 29.50, 106.54, 29.52), // shares a border with 0
            rect(106.53, 29.51, 106.56, 29.53), // overlaps 1 by 0.01° × 0.01°
            rect(107.00, 30.00, 107.01, 30.01), // far away
        ];
        let o = overlaps(&grids);
        assert_eq!(o.len(), 1, "{o:?}");
        assert_eq!((o[0].a, o[0].b), (1, 2));
        let want = area_km2(&rect(106.53, 29.51, 106.54, 29.52));
        assert!(
            (o[0].area_km2 - want).abs() / want < 1e-6,
            "{o:?} vs {want}"
        );
    }

    #[test]
    fn shared_jagged_border_is_no_overlap() {
        // Two grids split along the same 50-vertex zigzag, taken bit for bit.
        let border: Vec<(f64, f64)> = (0..=50)
            .map(|i| {
                let y = 29.5 + i as f64 * 0.000_731;
                (
                    106.53 + if i % 2 == 0 { 0.0 } else { 0.000_37 } * (i as f64).sin(),
                    y,
                )
            })
            .collect();
        let (top, bottom) = (border[50].1, border[0].1);
        let mut west = vec![(106.50, bottom)];
        west.extend(border.iter().copied());
        west.push((106.50, top));
        let mut east: Vec<(f64, f64)> = border.iter().rev().copied().collect();
        east.push((106.56, bottom));
        east.push((106.56, top));
        east.rotate_right(1);
        let grids = [
            MultiPolygon::new(vec![Polygon::new(LineString::from(west), vec![])]),
            MultiPolygon::new(vec![Polygon::new(LineString::from(east), vec![])]),
        ];
        assert!(overlaps(&grids).is_empty());
    }
}
