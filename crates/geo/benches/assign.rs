//! Grid assignment benchmark: build a `GridIndex` from a dataset's `grids.geojson` and
//! assign the residents of one or more `residents.csv` files, on 1 thread and on all of
//! rayon's threads.
//!
//! ```text
//! cargo bench -p yilian-geo --bench assign -- --grids DIR/grids.geojson \
//!     --points DIR/residents.csv [--points DIR2/residents.csv] [--runs 5] [--cells N]
//! ```
//!
//! Timed span: from lon/lat slices in memory to a `Vec<Option<u32>>` with one grid per
//! point (`GridIndex::assign_all`, output allocation included) — the same span as the
//! shapely anchor (`shared/bench/pip/bench_pip.py`: numpy arrays in, index array out).
//! Runs of the two thread counts are interleaved. Estimate written before the first run
//! (STYLE.md §19): a raster lookup is ~10 ns per point if the 8 MiB label table mostly
//! hits L2/L3 and ~2 % of points pay ~100 ns in the exact fallback, so ≈ 50–80 M points/s
//! per core; the goal is ≥ 45 M points/s on 2 cores.

use std::time::Instant;

use yilian_geo::{GridIndex, parse_grid_geometry};

struct Args {
    grids: String,
    points: Vec<String>,
    runs: usize,
    cells: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        grids: String::new(),
        points: Vec::new(),
        runs: 5,
        cells: yilian_geo::CELLS_DEFAULT,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--grids" => args.grids = value(),
            "--points" => args.points.push(value()),
            "--runs" => args.runs = value().parse().unwrap_or_else(|_| usage("--runs N")),
            "--cells" => args.cells = value().parse().unwrap_or_else(|_| usage("--cells N")),
            // cargo bench passes --bench to harness = false targets.
            "--bench" => {}
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if args.grids.is_empty() || args.points.is_empty() || args.runs == 0 {
        usage("--grids and at least one --points are required");
    }
    args
}

fn usage(why: &str) -> ! {
    eprintln!(
        "{why}\nusage: cargo bench -p yilian-geo --bench assign -- --grids DIR/grids.geojson \
         --points DIR/residents.csv [--points …] [--runs 5] [--cells N]"
    );
    std::process::exit(2)
}

fn load_grids(path: &str) -> Vec<geo_types::MultiPolygon<f64>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
    let fc: geojson::FeatureCollection =
        serde_json::from_str(&text).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
    fc.features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let g = f
                .geometry
                .as_ref()
                .unwrap_or_else(|| usage(&format!("feature {i} has no geometry")));
            parse_grid_geometry(g).unwrap_or_else(|errs| {
                let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
                usage(&format!("feature {i}: {}", msgs.join("; ")))
            })
        })
        .collect()
}

/// lon and lat columns of a CSV, found by header name.
fn load_points(path: &str) -> (Vec<f64>, Vec<f64>) {
    let mut rdr = csv::Reader::from_path(path).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
    let headers = rdr
        .byte_headers()
        .unwrap_or_else(|e| usage(&format!("{path}: {e}")))
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name.as_bytes())
            .unwrap_or_else(|| usage(&format!("{path}: no column {name}")))
    };
    let (ix, iy) = (col("lon"), col("lat"));
    let (mut lon, mut lat) = (Vec::new(), Vec::new());
    let mut rec = csv::ByteRecord::new();
    let num = |b: Option<&[u8]>, line: usize| -> f64 {
        b.and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| usage(&format!("{path}: bad coordinate on record {line}")))
    };
    while rdr
        .read_byte_record(&mut rec)
        .unwrap_or_else(|e| usage(&format!("{path}: {e}")))
    {
        lon.push(num(rec.get(ix), lon.len() + 1));
        lat.push(num(rec.get(iy), lat.len() + 1));
    }
    (lon, lat)
}

struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(mut xs: Vec<f64>) -> Stats {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    Stats {
        median,
        min: xs[0],
        max: xs[n - 1],
    }
}

fn main() {
    let args = parse_args();
    let grids = load_grids(&args.grids);
    let vertices: usize = grids
        .iter()
        .flat_map(|mp| mp.iter())
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
    let threads = rayon::current_num_threads();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap_or_else(|e| usage(&format!("thread pool: {e}")));

    let mut build_1 = Vec::new();
    let mut build_n = Vec::new();
    let mut index = GridIndex::build_with_cells(&grids, args.cells);
    for _ in 0..args.runs {
        let t = Instant::now();
        let single = one.install(|| GridIndex::build_with_cells(&grids, args.cells));
        build_1.push(t.elapsed().as_secs_f64());
        assert_eq!(single.stats(), index.stats(), "builds differ");
        let t = Instant::now();
        index = GridIndex::build_with_cells(&grids, args.cells);
        build_n.push(t.elapsed().as_secs_f64());
    }
    let s = index.stats();
    println!(
        "grids: {} polygons, {vertices} vertices; raster {}×{} ({:.1} M cells), {} border cells, \
         {} row edges, {:.1} MiB",
        grids.len(),
        s.cols,
        s.rows,
        (s.cols * s.rows) as f64 / 1e6,
        s.border_cells,
        s.row_edges,
        s.bytes as f64 / (1 << 20) as f64
    );
    for (label, times) in [
        ("1 thread ", build_1),
        (&*format!("{threads} threads"), build_n),
    ] {
        let b = stats(times);
        println!(
            "build {label}: median {:.4} s (min {:.4}, max {:.4})",
            b.median, b.min, b.max
        );
    }

    let t = Instant::now();
    let found = yilian_geo::overlaps(&grids);
    println!(
        "overlaps: {} pairs with area > 0 in {:.3} s",
        found.len(),
        t.elapsed().as_secs_f64()
    );

    for path in &args.points {
        let t = Instant::now();
        let (lon, lat) = load_points(path);
        let n = lon.len();
        eprintln!("read {n} points in {:.1} s", t.elapsed().as_secs_f64());
        let mut t1 = Vec::new();
        let mut tn = Vec::new();
        let mut t1_into = Vec::new();
        let mut tn_into = Vec::new();
        let mut buffer = vec![None; n];
        let mut reference: Option<Vec<Option<u32>>> = None;
        for _ in 0..args.runs {
            let t = Instant::now();
            let out = one.install(|| index.assign_all(&lon, &lat));
            t1.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let out_n = index.assign_all(&lon, &lat);
            tn.push(t.elapsed().as_secs_f64());
            assert!(out == out_n, "1-thread and {threads}-thread answers differ");
            let t = Instant::now();
            one.install(|| index.assign_into(&lon, &lat, &mut buffer));
            t1_into.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            index.assign_into(&lon, &lat, &mut buffer);
            tn_into.push(t.elapsed().as_secs_f64());
            assert!(out == buffer, "assign_into differs from assign_all");
            match &reference {
                None => reference = Some(out),
                Some(r) => assert!(*r == out, "answers differ between runs"),
            }
        }
        let outside = reference
            .as_ref()
            .map_or(0, |r| r.iter().filter(|g| g.is_none()).count());
        let many = format!("{threads} threads");
        let many_into = format!("{threads} threads, assign_into reused buffer");
        for (label, times) in [
            ("1 thread ", t1),
            (&*many, tn),
            ("1 thread , assign_into reused buffer", t1_into),
            (&*many_into, tn_into),
        ] {
            let s = stats(times);
            println!(
                "{n:>9} points  {label}: median {:.4} s (min {:.4}, max {:.4}) -> {:.1} M points/s  \
                 [{outside} outside every grid]",
                s.median,
                s.min,
                s.max,
                n as f64 / s.median / 1e6
            );
        }
    }
}
