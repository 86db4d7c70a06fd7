//! yilian-geo: grid (网格) geometry for the city registry — parsing and validating grid
//! boundaries, assigning residents' home points to grids, and checking grids for overlaps.
//!
//! The crate is pure (no I/O, no async, no database) so that the rules run in unit tests
//! and benchmarks exactly as they run in the server.
//!
//! # Border rule (边界归属规则)
//!
//! A point exactly on a border shared by two grids belongs to exactly one of them, the same
//! one every time, and is never dropped (city-dataset spec, version 1). The rule is the
//! half-open crossing number: cast a ray from the point towards the east (+longitude) and
//! count the boundary edges it crosses, where an edge counts if `min(y) <= lat < max(y)`
//! and the point lies strictly west of it, decided by an exact orientation predicate on
//! the edge with its endpoints ordered by (y, x) — so both neighbours evaluate the very
//! same expression on the same numbers. In effect a point belongs to the grid that holds
//! the spot an infinitesimal step east and then an even smaller step north of it:
//!
//! - on a shared north–south border → the grid on its **east** side;
//! - on a shared east–west border → the grid on its **north** side;
//! - on a vertex shared by several grids → the grid holding the sector just north-east of
//!   it (for four squares meeting at a corner, the north-east square);
//! - on the outer boundary of the city, the same rule can place it outside every grid
//!   (e.g. the city's eastern edge); the dataset keeps residents ≥ 30 m from any border.
//!
//! Where grids overlap (bad data), [`GridIndex::assign`] returns the lowest index that
//! contains the point (deterministic) and [`GridIndex::containing`] lists them all;
//! [`overlaps`] reports such pairs with their area.
//!
//! ```
//! use yilian_geo::{GridIndex, parse_grid_geometry};
//!
//! let west = geojson::Geometry::new_polygon([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]]);
//! let east = geojson::Geometry::new_polygon([[[1.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 0.0]]]);
//! let grids = vec![parse_grid_geometry(&west).unwrap(), parse_grid_geometry(&east).unwrap()];
//! let index = GridIndex::build(&grids);
//! assert_eq!(index.assign(0.5, 0.5), Some(0));
//! assert_eq!(index.assign(1.0, 0.5), Some(1)); // on the shared border: the east grid
//! assert_eq!(index.assign(3.0, 0.5), None);
//! assert_eq!(index.assign_all(&[0.5, 1.5], &[0.5, 0.5]), vec![Some(0), Some(1)]);
//! ```

mod index;
mod overlap;
mod parse;
mod predicates;

pub use index::{CELLS_DEFAULT, CELLS_MAX, GRIDS_MAX, GridIndex, IndexStats};
pub use overlap::{Overlap, area_km2, overlaps};
pub use parse::{GeometryError, SELF_INTERSECTIONS_PER_RING_MAX, parse_grid_geometry};
pub use predicates::contains_point;
