//! [`GridIndex`]: exact point-in-grid assignment at raster speed.
//!
//! A uniform raster covers the grids' union bounding box (plus one empty cell of padding
//! on every side). A cell that no edge comes near has one answer for every point in it,
//! found once at build time from its centre; looking it up costs two multiplications and
//! a load. Only the "border cells" — those within a hair of some edge — keep a short list
//! of candidate grids, each with the edges of its boundary that cross the cell's raster
//! row; a point there is decided by the exact crossing rule of
//! [`crate::contains_point`] over those few edges.
//!
//! Why it is exact: the set of points that the float formula maps to a cell is a
//! rectangle (both formulas are monotone), and every edge that comes within
//! `EPS_CELLS` cells of that rectangle marks it as a border cell. A rectangle without any
//! edge lies entirely inside or entirely outside each grid, so its centre speaks for all
//! of it; the centre is half a cell from any edge, so even the float crossings used to
//! label it cannot misplace it. For border cells, every edge whose y-span holds the point's
//! y also overlaps the point's row (with the same slack), so the per-row edge lists are
//! complete; and a grid with no edge in a row has no point in it, because the padding
//! column at each end of the row lies outside every grid.

use geo_types::{Coord, MultiPolygon};
use rayon::prelude::*;

use crate::predicates::{Edge, for_each_edge, parity};

/// Cells aimed for by [`GridIndex::build`]: 2^22 ≈ 4.2 M cells of 1 byte (2 with more
/// than 254 grids). On the seed-7 city (≈ 120 × 95 km) a cell is ≈ 50 m wide and 0.25 %
/// of residents land in border cells; see `docs/benchmarks.md` for the trade-off.
pub const CELLS_DEFAULT: usize = 1 << 22;

/// Most cells [`GridIndex::build_with_cells`] accepts (256 Mi cells, 256–512 MiB of
/// labels): beyond it a raster stops paying for itself and starts exhausting memory.
pub const CELLS_MAX: usize = 1 << 28;

/// Most grids an index can hold: labels are `u16`, and the two top values mean "no grid"
/// and "border cell".
pub const GRIDS_MAX: usize = (u16::MAX - 1) as usize;

/// Up to this many grids, labels are bytes: half the cache footprint of `u16`.
const GRIDS_MAX_U8: usize = (u8::MAX - 1) as usize;

/// Points per rayon task in [`GridIndex::assign_all`] and [`GridIndex::assign_into`]: large enough that scheduling is
/// noise, small enough that two cores stay balanced on 1 M points.
const CHUNK_POINTS: usize = 1 << 14;

const LABEL_NONE: u16 = u16::MAX;
const LABEL_BORDER: u16 = u16::MAX - 1;

/// A raster cell's label: a grid index, "no grid" or "border cell".
trait Label: Copy + PartialEq + Send + Sync + 'static {
    const NONE: Self;
    const BORDER: Self;
    fn grid(self) -> u32;
}

impl Label for u8 {
    const NONE: u8 = u8::MAX;
    const BORDER: u8 = u8::MAX - 1;
    #[inline(always)]
    fn grid(self) -> u32 {
        u32::from(self)
    }
}

impl Label for u16 {
    const NONE: u16 = LABEL_NONE;
    const BORDER: u16 = LABEL_BORDER;
    #[inline(always)]
    fn grid(self) -> u32 {
        u32::from(self)
    }
}

/// The raster, in the narrowest label type that fits the number of grids.
#[derive(Debug, Clone)]
enum Labels {
    Byte(Vec<u8>),
    Wide(Vec<u16>),
}

/// Slack, in cells, by which an edge's footprint is widened when marking border cells.
/// Float error in mapping a coordinate to a cell is ~1e-12 cells on city-sized rasters;
/// 1e-6 leaves a margin of a million.
const EPS_CELLS: f64 = 1e-6;

/// Marks a candidate grid that contains the whole cell (bad data: overlapping grids).
const CERTAIN: u32 = u32::MAX;

/// One grid to try for a point in a border cell: either certain (it contains the whole
/// cell) or decided by the edges `edges[start..end]` of its boundary in the cell's row.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    grid: u32,
    start: u32,
    end: u32,
}

/// Sizes of a built index, for logs and benchmark reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexStats {
    /// Raster columns (including padding).
    pub cols: usize,
    /// Raster rows (including padding).
    pub rows: usize,
    /// Cells that need the exact fallback.
    pub border_cells: usize,
    /// Edge copies kept for the fallback (an edge is copied into each row it crosses).
    pub row_edges: usize,
    /// Approximate heap size of the index.
    pub bytes: usize,
}

/// Assigns points to grids, exactly and fast. Build it once per set of grids; it is
/// immutable and `Sync`, so threads share it.
///
/// Answers follow the crate's border rule (see the crate docs): each point on a shared
/// border belongs to exactly one grid. Where grids overlap (bad data), [`Self::assign`]
/// returns the lowest index and [`Self::containing`] lists them all.
#[derive(Debug, Clone)]
pub struct GridIndex {
    grids: usize,
    x0: f64,
    y0: f64,
    inv_dx: f64,
    inv_dy: f64,
    cols: usize,
    rows: usize,
    /// `cols`/`rows` as floats, for the bounds test; 0 for an empty index.
    cols_f: f64,
    rows_f: f64,
    labels: Labels,
    /// Border cells of row r are `border_col[border_row[r]..border_row[r + 1]]`, sorted.
    border_row: Vec<usize>,
    border_col: Vec<u32>,
    /// Candidates of border cell k are `cands[cand_start[k]..cand_start[k + 1]]`, by grid.
    cand_start: Vec<usize>,
    cands: Vec<Candidate>,
    edges: Vec<Edge>,
}

/// What one raster row contributes to the index.
struct RowOut {
    cols: Vec<u32>,
    cand_counts: Vec<u32>,
    cands: Vec<Candidate>,
}

impl GridIndex {
    /// Builds an index over `grids` with about [`CELLS_DEFAULT`] raster cells. Answers are
    /// indexes into `grids`.
    ///
    /// The geometries should come from [`crate::parse_grid_geometry`]; edges with
    /// non-finite coordinates are ignored.
    ///
    /// # Panics
    /// With more than [`GRIDS_MAX`] grids.
    pub fn build(grids: &[MultiPolygon<f64>]) -> GridIndex {
        GridIndex::build_with_cells(grids, CELLS_DEFAULT)
    }

    /// Builds an index with about `cells` raster cells (at least 1). Coarser rasters build
    /// faster and send more points to the exact fallback; answers are the same.
    ///
    /// # Panics
    /// With more than [`GRIDS_MAX`] grids or more than [`CELLS_MAX`] cells.
    pub fn build_with_cells(grids: &[MultiPolygon<f64>], cells: usize) -> GridIndex {
        assert!(
            cells <= CELLS_MAX,
            "{cells} cells exceed CELLS_MAX = {CELLS_MAX}"
        );
        assert!(
            grids.len() <= GRIDS_MAX,
            "{} grids exceed GRIDS_MAX = {GRIDS_MAX}",
            grids.len()
        );
        // Every boundary segment, with its grid. Horizontal segments matter for marking
        // border cells but are never counted as crossings.
        let mut segments: Vec<(u32, Coord<f64>, Coord<f64>)> = Vec::new();
        let (mut xmin, mut ymin, mut xmax, mut ymax) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (g, mp) in grids.iter().enumerate() {
            let g = g as u32;
            for_each_edge(mp, |p, q| {
                if p.x.is_finite()
                    && p.y.is_finite()
                    && q.x.is_finite()
                    && q.y.is_finite()
                    && p != q
                {
                    xmin = xmin.min(p.x).min(q.x);
                    xmax = xmax.max(p.x).max(q.x);
                    ymin = ymin.min(p.y).min(q.y);
                    ymax = ymax.max(p.y).max(q.y);
                    segments.push((g, p, q));
                }
            });
        }
        if segments.is_empty() {
            return GridIndex::empty(grids.len());
        }

        // Square cells, one cell of padding all round so that the first and last columns
        // hold no edge: a grid without edges in a row then has no point in that row.
        let w = (xmax - xmin).max(f64::MIN_POSITIVE);
        let h = (ymax - ymin).max(f64::MIN_POSITIVE);
        let cells = cells.max(1) as f64;
        let side = (w * h / cells).sqrt().max(w.max(h) / cells);
        let cols = ((w / side).ceil() as usize).max(1) + 2;
        let rows = ((h / side).ceil() as usize).max(1) + 2;
        let (dx, dy) = (side, side);
        let x0 = xmin - dx;
        let y0 = ymin - dy;
        let (inv_dx, inv_dy) = (1.0 / dx, 1.0 / dy);
        // Absolute slack on top of EPS_CELLS, in case coordinates are huge next to a cell.
        let abs_eps = (xmin.abs().max(xmax.abs()).max(ymin.abs()).max(ymax.abs())) * 1e-12;
        let (epsx, epsy) = (dx * EPS_CELLS + abs_eps, dy * EPS_CELLS + abs_eps);
        let col_of =
            |x: f64| -> usize { (((x - x0) * inv_dx).floor().max(0.0) as usize).min(cols - 1) };
        let row_of =
            |y: f64| -> usize { (((y - y0) * inv_dy).floor().max(0.0) as usize).min(rows - 1) };

        // Walk each segment row by row: the cells it comes near (border cells) and, for
        // non-horizontal segments, one copy per row for the exact fallback.
        let mut touch: Vec<(usize, u32)> = Vec::new();
        let mut row_edges: Vec<(u32, u32, Edge)> = Vec::new();
        for &(g, p, q) in &segments {
            let edge = Edge::new(p, q);
            let (lo_y, hi_y) = (p.y.min(q.y), p.y.max(q.y));
            let (lo_x, hi_x) = (p.x.min(q.x), p.x.max(q.x));
            for r in row_of(lo_y - epsy)..=row_of(hi_y + epsy) {
                let band_lo = (y0 + r as f64 * dy - epsy).max(lo_y);
                let band_hi = (y0 + (r + 1) as f64 * dy + epsy).min(hi_y);
                let (xa, xb) = match edge {
                    Some(e) => {
                        let at = |y: f64| {
                            (e.ax + (y - e.ay) * (e.bx - e.ax) / (e.by - e.ay)).clamp(lo_x, hi_x)
                        };
                        let (u, v) = (at(band_lo), at(band_hi));
                        (u.min(v), u.max(v))
                    }
                    None => (lo_x, hi_x),
                };
                for c in col_of(xa - epsx)..=col_of(xb + epsx) {
                    touch.push((r * cols + c, g));
                }
                if let Some(e) = edge {
                    row_edges.push((r as u32, g, e));
                }
            }
        }
        touch.par_sort_unstable();
        touch.dedup();
        // Stable: keeps each ring's edges in order, which helps nothing but determinism.
        row_edges.par_sort_by_key(|&(r, g, _)| (r, g));
        assert!(
            row_edges.len() < u32::MAX as usize,
            "too many edge copies for u32 offsets: {}",
            row_edges.len()
        );
        let edges: Vec<Edge> = row_edges.iter().map(|&(_, _, e)| e).collect();
        // Per row: (grid, start, end) runs into `edges`, sorted by grid.
        let mut runs_start = Vec::with_capacity(rows + 1);
        let mut runs: Vec<(u32, u32, u32)> = Vec::new();
        for chunk in row_edges.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
            let r = chunk[0].0 as usize;
            while runs_start.len() <= r {
                runs_start.push(runs.len() as u32);
            }
            let start = runs.last().map_or(0, |&(_, _, end)| end);
            runs.push((chunk[0].1, start, start + chunk.len() as u32));
        }
        while runs_start.len() <= rows {
            runs_start.push(runs.len() as u32);
        }
        let touch_start: Vec<usize> = (0..=rows)
            .map(|r| touch.partition_point(|&(cell, _)| cell < r * cols))
            .collect();

        let mut labels = vec![LABEL_NONE; rows * cols];
        let row_outs: Vec<RowOut> = labels
            .par_chunks_mut(cols)
            .enumerate()
            .map(|(r, out)| {
                let runs = &runs[runs_start[r] as usize..runs_start[r + 1] as usize];
                let touched = &touch[touch_start[r]..touch_start[r + 1]];
                let yc = y0 + (r as f64 + 0.5) * dy;
                fill_row(r, out, runs, touched, &edges, (x0, inv_dx), yc)
            })
            .collect();

        let mut border_row = Vec::with_capacity(rows + 1);
        let mut border_col = Vec::new();
        let mut cand_start = vec![0usize];
        let mut cands = Vec::new();
        for row in row_outs {
            border_row.push(border_col.len());
            border_col.extend_from_slice(&row.cols);
            for n in row.cand_counts {
                let last = *cand_start.last().expect("BUG: cand_start starts with 0");
                cand_start.push(last + n as usize);
            }
            cands.extend_from_slice(&row.cands);
        }
        border_row.push(border_col.len());
        let labels = if grids.len() <= GRIDS_MAX_U8 {
            Labels::Byte(
                labels
                    .par_iter()
                    .map(|&l| match l {
                        LABEL_NONE => u8::NONE,
                        LABEL_BORDER => u8::BORDER,
                        g => g as u8,
                    })
                    .collect(),
            )
        } else {
            Labels::Wide(labels)
        };

        GridIndex {
            grids: grids.len(),
            x0,
            y0,
            inv_dx,
            inv_dy,
            cols,
            rows,
            cols_f: cols as f64,
            rows_f: rows as f64,
            labels,
            border_row,
            border_col,
            cand_start,
            cands,
            edges,
        }
    }

    fn empty(grids: usize) -> GridIndex {
        GridIndex {
            grids,
            x0: 0.0,
            y0: 0.0,
            inv_dx: 1.0,
            inv_dy: 1.0,
            cols: 1,
            rows: 1,
            cols_f: 0.0,
            rows_f: 0.0,
            labels: Labels::Byte(vec![u8::NONE]),
            border_row: vec![0, 0],
            border_col: Vec::new(),
            cand_start: vec![0],
            cands: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// Number of grids the index was built from.
    pub fn len(&self) -> usize {
        self.grids
    }

    /// Whether it was built from no grids.
    pub fn is_empty(&self) -> bool {
        self.grids == 0
    }

    /// Sizes, for logs and benchmark reports.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            cols: self.cols,
            rows: self.rows,
            border_cells: self.border_col.len(),
            row_edges: self.edges.len(),
            bytes: match &self.labels {
                Labels::Byte(l) => l.len(),
                Labels::Wide(l) => l.len() * 2,
            } + (self.border_row.len() + self.cand_start.len()) * 8
                + self.border_col.len() * 4
                + self.cands.len() * std::mem::size_of::<Candidate>()
                + self.edges.len() * std::mem::size_of::<Edge>(),
        }
    }

    /// The raster cell of a point, `None` outside the raster (then no grid holds it).
    #[inline(always)]
    fn cell(&self, lon: f64, lat: f64) -> Option<(usize, usize)> {
        let fx = (lon - self.x0) * self.inv_dx;
        let fy = (lat - self.y0) * self.inv_dy;
        // Written so that NaN fails the test.
        if fx >= 0.0 && fx < self.cols_f && fy >= 0.0 && fy < self.rows_f {
            Some((fy as usize, fx as usize))
        } else {
            None
        }
    }

    #[inline]
    fn border_cands(&self, row: usize, col: usize) -> &[Candidate] {
        let (lo, hi) = (self.border_row[row], self.border_row[row + 1]);
        let k = lo
            + self.border_col[lo..hi]
                .binary_search(&(col as u32))
                .expect("BUG: a cell labelled border has a border entry");
        &self.cands[self.cand_start[k]..self.cand_start[k + 1]]
    }

    #[inline]
    fn holds(&self, c: &Candidate, lon: f64, lat: f64) -> bool {
        c.start == CERTAIN || parity(&self.edges[c.start as usize..c.end as usize], lon, lat)
    }

    /// The grid containing the point, or `None`. Where grids overlap, the lowest index.
    #[inline]
    pub fn assign(&self, lon: f64, lat: f64) -> Option<u32> {
        match &self.labels {
            Labels::Byte(l) => self.assign_in(l, lon, lat),
            Labels::Wide(l) => self.assign_in(l, lon, lat),
        }
    }

    #[inline(always)]
    fn assign_in<L: Label>(&self, labels: &[L], lon: f64, lat: f64) -> Option<u32> {
        let (row, col) = self.cell(lon, lat)?;
        let l = labels[row * self.cols + col];
        if l == L::NONE {
            None
        } else if l == L::BORDER {
            self.assign_border(row, col, lon, lat)
        } else {
            Some(l.grid())
        }
    }

    /// A cell's label widened to `u16`, for the paths where one match on the label type
    /// per call costs nothing.
    fn label(&self, row: usize, col: usize) -> u16 {
        match &self.labels {
            Labels::Byte(l) => match l[row * self.cols + col] {
                u8::NONE => LABEL_NONE,
                u8::BORDER => LABEL_BORDER,
                g => u16::from(g),
            },
            Labels::Wide(l) => l[row * self.cols + col],
        }
    }

    #[cold]
    #[inline(never)]
    fn assign_border(&self, row: usize, col: usize, lon: f64, lat: f64) -> Option<u32> {
        self.border_cands(row, col)
            .iter()
            .find(|c| self.holds(c, lon, lat))
            .map(|c| c.grid)
    }

    /// Every grid containing the point, ascending: more than one only where grids
    /// overlap, which is how overlaps are reported point by point.
    pub fn containing(&self, lon: f64, lat: f64) -> Vec<u32> {
        let Some((row, col)) = self.cell(lon, lat) else {
            return Vec::new();
        };
        match self.label(row, col) {
            LABEL_NONE => Vec::new(),
            LABEL_BORDER => self
                .border_cands(row, col)
                .iter()
                .filter(|c| self.holds(c, lon, lat))
                .map(|c| c.grid)
                .collect(),
            g => vec![u32::from(g)],
        }
    }

    /// [`Self::assign`] for many points, in parallel on rayon's pool.
    ///
    /// # Panics
    /// If `lon` and `lat` differ in length.
    pub fn assign_all(&self, lon: &[f64], lat: &[f64]) -> Vec<Option<u32>> {
        assert_eq!(lon.len(), lat.len(), "lon and lat differ in length");
        // Collected straight into the output (no zero-filled buffer first).
        match &self.labels {
            Labels::Byte(l) => self.collect_in(l, lon, lat),
            Labels::Wide(l) => self.collect_in(l, lon, lat),
        }
    }

    fn collect_in<L: Label>(&self, labels: &[L], lon: &[f64], lat: &[f64]) -> Vec<Option<u32>> {
        lon.par_iter()
            .zip(lat.par_iter())
            .with_min_len(CHUNK_POINTS)
            .map(|(&x, &y)| self.assign_in(labels, x, y))
            .collect()
    }

    /// [`Self::assign_all`] into a caller's buffer, to reuse it across batches.
    ///
    /// # Panics
    /// If `lon`, `lat` and `out` differ in length.
    pub fn assign_into(&self, lon: &[f64], lat: &[f64], out: &mut [Option<u32>]) {
        assert_eq!(lon.len(), lat.len(), "lon and lat differ in length");
        assert_eq!(
            lon.len(),
            out.len(),
            "out differs in length from the points"
        );
        match &self.labels {
            Labels::Byte(l) => self.fill_in(l, lon, lat, out),
            Labels::Wide(l) => self.fill_in(l, lon, lat, out),
        }
    }

    fn fill_in<L: Label>(&self, labels: &[L], lon: &[f64], lat: &[f64], out: &mut [Option<u32>]) {
        out.par_chunks_mut(CHUNK_POINTS)
            .zip(lon.par_chunks(CHUNK_POINTS))
            .zip(lat.par_chunks(CHUNK_POINTS))
            .for_each(|((out, lon), lat)| {
                for ((o, &x), &y) in out.iter_mut().zip(lon).zip(lat) {
                    *o = self.assign_in(labels, x, y);
                }
            });
    }
}

/// Labels one raster row and lists its border cells with their candidates.
///
/// `runs` are this row's (grid, start, end) edge runs sorted by grid; `touched` are the
/// (cell, grid) pairs of edges near cells of this row, sorted.
fn fill_row(
    r: usize,
    out: &mut [u16],
    runs: &[(u32, u32, u32)],
    touched: &[(usize, u32)],
    edges: &[Edge],
    (x0, inv_dx): (f64, f64),
    yc: f64,
) -> RowOut {
    let cols = out.len();
    let base = r * cols;
    let mut is_touched = vec![false; cols];
    for &(cell, _) in touched {
        is_touched[cell - base] = true;
    }
    let mut count = vec![0u32; cols];
    // (col, grid): centres inside a grid, recorded only where one label cannot say it all.
    let mut hits: Vec<(u32, u32)> = Vec::new();
    let mut xs: Vec<f64> = Vec::new();
    for &(g, start, end) in runs {
        xs.clear();
        for e in &edges[start as usize..end as usize] {
            if e.ay <= yc && yc < e.by {
                xs.push(e.ax + (yc - e.ay) * (e.bx - e.ax) / (e.by - e.ay));
            }
        }
        xs.sort_unstable_by(f64::total_cmp);
        for pair in xs.chunks_exact(2) {
            // Cells whose centre x0 + (c + 0.5)·dx lies between the two crossings. The
            // rounding here only matters for centres next to an edge, i.e. border cells,
            // and there it is only used for grids that have no edge near the cell.
            let first = ((pair[0] - x0) * inv_dx - 0.5).floor() + 1.0;
            let last = ((pair[1] - x0) * inv_dx - 0.5).ceil() - 1.0;
            let first = first.max(0.0) as usize;
            let last = last.min(cols as f64 - 1.0);
            if last < 0.0 {
                continue;
            }
            for c in first..=(last as usize) {
                if is_touched[c] {
                    hits.push((c as u32, g));
                    continue;
                }
                count[c] += 1;
                match count[c] {
                    1 => out[c] = g as u16,
                    2 => {
                        hits.push((c as u32, u32::from(out[c])));
                        hits.push((c as u32, g));
                    }
                    _ => hits.push((c as u32, g)),
                }
            }
        }
    }
    hits.sort_unstable();
    hits.dedup();

    let mut row = RowOut {
        cols: Vec::new(),
        cand_counts: Vec::new(),
        cands: Vec::new(),
    };
    let (mut t, mut h) = (0usize, 0usize);
    for c in 0..cols {
        if !is_touched[c] && count[c] < 2 {
            if count[c] == 0 {
                out[c] = LABEL_NONE;
            }
            continue;
        }
        out[c] = LABEL_BORDER;
        let before = row.cands.len();
        // Grids with an edge near the cell: decided per point by their edges in this row.
        let mut near: Vec<u32> = Vec::new();
        while t < touched.len() && touched[t].0 - base == c {
            near.push(touched[t].1);
            t += 1;
        }
        let mut certain: Vec<u32> = Vec::new();
        while h < hits.len() && hits[h].0 as usize == c {
            if near.binary_search(&hits[h].1).is_err() {
                certain.push(hits[h].1);
            }
            h += 1;
        }
        let (mut i, mut j) = (0, 0);
        while i < near.len() || j < certain.len() {
            if j == certain.len() || (i < near.len() && near[i] < certain[j]) {
                let g = near[i];
                let k = runs.partition_point(|&(rg, _, _)| rg < g);
                let (start, end) = match runs.get(k) {
                    Some(&(rg, s, e)) if rg == g => (s, e),
                    _ => (0, 0),
                };
                row.cands.push(Candidate {
                    grid: g,
                    start,
                    end,
                });
                i += 1;
            } else {
                row.cands.push(Candidate {
                    grid: certain[j],
                    start: CERTAIN,
                    end: CERTAIN,
                });
                j += 1;
            }
        }
        row.cols.push(c as u32);
        row.cand_counts.push((row.cands.len() - before) as u32);
    }
    row
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;
    use crate::contains_point;
    use geo_types::{LineString, Polygon, polygon};

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]
    }

    fn mp(p: Polygon<f64>) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![p])
    }

    fn sizes() -> [usize; 4] {
        [1, 64, 10_000, CELLS_DEFAULT]
    }

    #[test]
    fn empty_index_assigns_nothing() {
        let idx = GridIndex::build(&[]);
        assert!(idx.is_empty());
        assert_eq!(idx.assign(0.0, 0.0), None);
        assert_eq!(idx.assign_all(&[1.0, 2.0], &[1.0, 2.0]), vec![None, None]);
    }

    #[test]
    fn shared_vertical_border_goes_east() {
        let grids = [mp(rect(0.0, 0.0, 1.0, 1.0)), mp(rect(1.0, 0.0, 2.0, 1.0))];
        for cells in sizes() {
            let idx = GridIndex::build_with_cells(&grids, cells);
            for _ in 0..3 {
                assert_eq!(idx.assign(1.0, 0.5), Some(1));
                assert_eq!(idx.assign(1.0, 0.25), Some(1));
                assert_eq!(idx.containing(1.0, 0.5), vec![1]);
            }
            assert_eq!(idx.assign(0.999, 0.5), Some(0));
            assert_eq!(idx.assign(1.001, 0.5), Some(1));
            // Outer borders: west side in, east side out.
            assert_eq!(idx.assign(0.0, 0.5), Some(0));
            assert_eq!(idx.assign(2.0, 0.5), None);
        }
    }

    #[test]
    fn shared_horizontal_border_goes_north() {
        let grids = [mp(rect(0.0, 1.0, 1.0, 2.0)), mp(rect(0.0, 0.0, 1.0, 1.0))];
        for cells in sizes() {
            let idx = GridIndex::build_with_cells(&grids, cells);
            for _ in 0..3 {
                assert_eq!(idx.assign(0.5, 1.0), Some(0));
                assert_eq!(idx.containing(0.5, 1.0), vec![0]);
            }
            assert_eq!(idx.assign(0.5, 0.0), Some(1));
            assert_eq!(idx.assign(0.5, 2.0), None);
        }
    }

    #[test]
    fn shared_vertex_of_four_squares_goes_north_east() {
        // Indexes scrambled so that "lowest index" cannot explain the answer.
        let grids = [
            mp(rect(0.0, 0.0, 1.0, 1.0)), // SW
            mp(rect(1.0, 1.0, 2.0, 2.0)), // NE
            mp(rect(1.0, 0.0, 2.0, 1.0)), // SE
            mp(rect(0.0, 1.0, 1.0, 2.0)), // NW
        ];
        for cells in sizes() {
            let idx = GridIndex::build_with_cells(&grids, cells);
            for _ in 0..3 {
                assert_eq!(idx.assign(1.0, 1.0), Some(1));
                assert_eq!(idx.containing(1.0, 1.0), vec![1]);
            }
            assert_eq!(idx.assign(1.0, 0.0), Some(2));
            assert_eq!(idx.assign(0.0, 1.0), Some(3));
            assert_eq!(idx.assign(0.0, 0.0), Some(0));
        }
    }

    #[test]
    fn diagonal_shared_border_is_owned_once() {
        // Two triangles split by the diagonal from (0, 0) to (1, 1), with awkward numbers.
        let a = (0.1, 0.3);
        let b = (0.7, 0.9);
        let grids = [
            mp(polygon![(x: a.0, y: a.1), (x: b.0, y: a.1), (x: b.0, y: b.1)]),
            mp(polygon![(x: a.0, y: a.1), (x: b.0, y: b.1), (x: a.0, y: b.1)]),
        ];
        for cells in sizes() {
            let idx = GridIndex::build_with_cells(&grids, cells);
            for i in 1..100 {
                let t = i as f64 / 100.0;
                let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
                let got = idx.containing(x, y);
                let want: Vec<u32> = (0..2)
                    .filter(|&g| contains_point(&grids[g as usize], x, y))
                    .collect();
                assert_eq!(got, want, "({x}, {y})");
                assert_eq!(want.len(), 1, "({x}, {y}) owned once");
            }
        }
    }

    #[test]
    fn hole_and_exclave() {
        // Grid 0 is a square with a hole; grid 1 is the exclave filling the hole plus a
        // piece elsewhere (a MultiPolygon).
        let outer = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (4.0, 0.0),
                (4.0, 4.0),
                (0.0, 4.0),
                (0.0, 0.0),
            ]),
            vec![LineString::from(vec![
                (1.0, 1.0),
                (1.0, 2.0),
                (2.0, 2.0),
                (2.0, 1.0),
                (1.0, 1.0),
            ])],
        );
        let grids = [
            mp(outer),
            MultiPolygon::new(vec![rect(1.0, 1.0, 2.0, 2.0), rect(4.0, 0.0, 5.0, 1.0)]),
        ];
        for cells in sizes() {
            let idx = GridIndex::build_with_cells(&grids, cells);
            assert_eq!(idx.assign(0.5, 0.5), Some(0));
            assert_eq!(idx.assign(1.5, 1.5), Some(1));
            assert_eq!(idx.assign(4.5, 0.5), Some(1));
            assert_eq!(idx.assign(3.5, 3.5), Some(0));
            assert_eq!(idx.assign(4.5, 2.0), None);
            // The hole's west side belongs to the exclave, its east side to grid 0.
            assert_eq!(idx.assign(1.0, 1.5), Some(1));
            assert_eq!(idx.assign(2.0, 1.5), Some(0));
            assert_eq!(idx.assign(1.5, 1.0), Some(1));
            assert_eq!(idx.assign(1.5, 2.0), Some(0));
        }
    }

    #[test]
    fn overlap_lowest_index_and_all_listed() {
        let grids = [
            mp(rect(0.0, 0.0, 2.0, 2.0)),
            mp(rect(1.0, 1.0, 3.0, 3.0)),
            mp(rect(-5.0, -5.0, 5.0, 5.0)),
        ];
        for cells in sizes() {
            let idx = GridIndex::build_with_cells(&grids, cells);
            assert_eq!(idx.assign(1.5, 1.5), Some(0));
            assert_eq!(idx.containing(1.5, 1.5), vec![0, 1, 2]);
            assert_eq!(idx.assign(2.5, 2.5), Some(1));
            assert_eq!(idx.containing(2.5, 2.5), vec![1, 2]);
            assert_eq!(idx.assign(-4.0, 4.0), Some(2));
            assert_eq!(idx.containing(0.5, 0.5), vec![0, 2]);
        }
    }

    #[test]
    fn more_grids_than_byte_labels_hold() {
        // 300 unit squares in a row need u16 labels.
        let grids: Vec<MultiPolygon<f64>> = (0..300)
            .map(|i| mp(rect(i as f64, 0.0, i as f64 + 1.0, 1.0)))
            .collect();
        let idx = GridIndex::build_with_cells(&grids, 100_000);
        assert!(matches!(idx.labels, Labels::Wide(_)));
        for i in 0..300u32 {
            assert_eq!(idx.assign(i as f64 + 0.5, 0.5), Some(i));
            assert_eq!(
                idx.assign(i as f64, 0.5),
                Some(i),
                "west border belongs to {i}"
            );
            assert_eq!(idx.containing(i as f64 + 0.25, 0.0), vec![i]);
        }
        assert_eq!(idx.assign(300.0, 0.5), None);
        let lon: Vec<f64> = (0..3000).map(|i| i as f64 / 10.0 + 0.05).collect();
        let lat = vec![0.5; lon.len()];
        let want: Vec<Option<u32>> = lon.iter().map(|&x| Some(x as u32)).collect();
        assert_eq!(idx.assign_all(&lon, &lat), want);
        let mut out = vec![None; lon.len()];
        idx.assign_into(&lon, &lat, &mut out);
        assert_eq!(out, want);
    }

    #[test]
    fn non_finite_points_are_in_no_grid() {
        let idx = GridIndex::build(&[mp(rect(0.0, 0.0, 1.0, 1.0))]);
        assert_eq!(idx.assign(f64::NAN, 0.5), None);
        assert_eq!(idx.assign(0.5, f64::INFINITY), None);
        assert!(idx.containing(f64::NAN, f64::NAN).is_empty());
    }

    #[test]
    fn batch_equals_single() {
        let grids = [mp(rect(0.0, 0.0, 1.0, 1.0)), mp(rect(1.0, 0.0, 2.0, 1.0))];
        let idx = GridIndex::build_with_cells(&grids, 100);
        let n = 50_000;
        let lon: Vec<f64> = (0..n).map(|i| -0.1 + 2.2 * (i as f64) / n as f64).collect();
        let lat: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64 / n as f64).collect();
        let all = idx.assign_all(&lon, &lat);
        for i in 0..n {
            assert_eq!(all[i], idx.assign(lon[i], lat[i]));
        }
    }
}
