//! Oracle test: `GridIndex` against shapely 2 (GEOS) on a generated city.
//!
//! Generates the seed-11 city with 1 M residents (`shared/datagen/gen_city.py`, the
//! shared folder being a sibling of the repository root), adds points planted on the
//! shared borders (their vertices and edge midpoints), assigns everything, and asks
//! `tests/oracle_shapely.py` which grids contain or touch each point. Checks:
//! - a point in a grid's interior gets that grid (the lowest one where grids overlap);
//! - a point on a border inside the city gets exactly one grid, one of those touching it;
//! - a point on the city's outer boundary gets one of the touching grids or none;
//! - a point outside every grid gets none, and no resident is dropped.
//!
//! Needs `python3` with shapely 2, numpy and pyarrow; it fails (does not skip) without.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use geo_types::{Coord, MultiPolygon};
use yilian_geo::{GridIndex, Overlap, area_km2, overlaps, parse_grid_geometry};

const PIP_HINT: &str = "pip install shapely numpy pyarrow";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn python(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let out = Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}); the oracle test needs python3 with `{PIP_HINT}`")
        });
    assert!(
        out.status.success(),
        "python3 {:?} failed: {}\n(the oracle test needs python3 with `{PIP_HINT}`)",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn load_grids(path: &Path) -> Vec<MultiPolygon<f64>> {
    let text = std::fs::read_to_string(path).expect("read grids.geojson");
    let fc: geojson::FeatureCollection = serde_json::from_str(&text).expect("parse grids.geojson");
    fc.features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let g = f.geometry.as_ref().expect("feature has a geometry");
            parse_grid_geometry(g).unwrap_or_else(|e| panic!("grid {i} invalid: {e:?}"))
        })
        .collect()
}

fn load_points(path: &Path) -> (Vec<f64>, Vec<f64>) {
    let mut rdr = csv::Reader::from_path(path).expect("open residents.csv");
    let headers = rdr.byte_headers().expect("residents.csv header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name.as_bytes())
            .unwrap_or_else(|| panic!("residents.csv has no column {name}"))
    };
    let (ix, iy) = (col("lon"), col("lat"));
    let (mut lon, mut lat) = (Vec::new(), Vec::new());
    let mut rec = csv::ByteRecord::new();
    let num = |b: &[u8]| -> f64 {
        std::str::from_utf8(b)
            .expect("utf-8")
            .parse()
            .expect("coordinate")
    };
    while rdr
        .read_byte_record(&mut rec)
        .expect("residents.csv record")
    {
        lon.push(num(&rec[ix]));
        lat.push(num(&rec[iy]));
    }
    (lon, lat)
}

/// Vertices and edge midpoints of the borders that two grids share (the same edge, bit
/// for bit, in both): the points where the border rule is exercised.
fn shared_border_points(grids: &[MultiPolygon<f64>]) -> Vec<(f64, f64)> {
    type Key = ((u64, u64), (u64, u64));
    type Owners = (Coord<f64>, Coord<f64>, HashSet<usize>);
    let bits = |c: Coord<f64>| (c.x.to_bits(), c.y.to_bits());
    let mut owners: HashMap<Key, Owners> = HashMap::new();
    for (g, mp) in grids.iter().enumerate() {
        for p in mp {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in ring.0.windows(2) {
                    let (a, b) = (bits(w[0]), bits(w[1]));
                    let key = if a <= b { (a, b) } else { (b, a) };
                    owners
                        .entry(key)
                        .or_insert_with(|| (w[0], w[1], HashSet::new()))
                        .2
                        .insert(g);
                }
            }
        }
    }
    let mut seen = HashSet::new();
    let mut pts = Vec::new();
    let mut keys: Vec<&Key> = owners.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let (a, b, gs) = &owners[key];
        if gs.len() < 2 {
            continue;
        }
        for v in [*a, *b] {
            if seen.insert(bits(v)) {
                pts.push((v.x, v.y));
            }
        }
        pts.push(((a.x + b.x) / 2.0, (a.y + b.y) / 2.0));
    }
    pts
}

#[test]
fn grid_index_agrees_with_shapely_on_a_generated_city() {
    let root = repo_root();
    let gen_city = root.join("../shared/datagen/gen_city.py");
    assert!(
        gen_city.exists(),
        "dataset generator not found at <repo>/../shared/datagen/gen_city.py"
    );
    python(&[
        "-c".as_ref(),
        "import shapely, numpy, pyarrow; assert int(shapely.__version__.split('.')[0]) >= 2, 'shapely 2 needed'"
            .as_ref(),
    ]);

    let tmp = tempfile::tempdir().expect("tempdir");
    let city = tmp.path().join("city");
    python(&[
        gen_city.as_os_str(),
        "--residents".as_ref(),
        "1000000".as_ref(),
        "--seed".as_ref(),
        "11".as_ref(),
        "--no-history".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        city.as_os_str(),
    ]);

    let grids = load_grids(&city.join("grids.geojson"));
    let (mut lon, mut lat) = load_points(&city.join("residents.csv"));
    let residents = lon.len();
    assert_eq!(residents, 1_000_000);
    let planted = shared_border_points(&grids);
    assert!(
        planted.len() > 1000,
        "expected thousands of shared-border points, found {}",
        planted.len()
    );
    for &(x, y) in &planted {
        lon.push(x);
        lat.push(y);
    }
    let n = lon.len();

    let index = GridIndex::build(&grids);
    let assigned = index.assign_all(&lon, &lat);
    assert_eq!(assigned.len(), n, "a point was dropped");

    // Ask shapely.
    let points_bin = tmp.path().join("points.bin");
    let mut bytes = Vec::with_capacity(16 * n);
    for v in lon.iter().chain(&lat) {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&points_bin, bytes).expect("write points.bin");
    let out_bin = tmp.path().join("oracle.bin");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle_shapely.py");
    python(&[
        script.as_os_str(),
        city.join("grids.geojson").as_os_str(),
        points_bin.as_os_str(),
        out_bin.as_os_str(),
    ]);
    let raw = std::fs::read(&out_bin).expect("read oracle.bin");
    assert_eq!(raw.len(), 17 * n, "oracle output size");
    let word = |i: usize| u64::from_le_bytes(raw[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    let contains: Vec<u64> = (0..n).map(word).collect();
    let touches: Vec<u64> = (0..n).map(|i| word(n + i)).collect();
    let in_union = &raw[16 * n..];

    let (mut interior, mut border_inside, mut border_outer, mut outside) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for i in 0..n {
        let (c, t, got) = (contains[i], touches[i], assigned[i]);
        let ok = if c != 0 {
            interior += 1;
            got == Some(c.trailing_zeros())
        } else if t != 0 {
            let one_of_touching = got.is_some_and(|g| t >> g & 1 == 1);
            let owners = index.containing(lon[i], lat[i]);
            if in_union[i] == 1 {
                border_inside += 1;
                one_of_touching && owners.len() == 1
            } else {
                border_outer += 1;
                (got.is_none() || one_of_touching) && owners.len() <= 1
            }
        } else {
            outside += 1;
            got.is_none()
        };
        if !ok && failures.len() < 20 {
            failures.push(format!(
                "point {i} ({}, {}): ours {got:?}, shapely contains {c:#x} touches {t:#x} in_union {}",
                lon[i], lat[i], in_union[i]
            ));
        }
        if i < residents {
            assert!(
                got.is_some(),
                "resident {i} ({}, {}) dropped",
                lon[i],
                lat[i]
            );
        }
    }
    eprintln!(
        "{n} points: {interior} interior, {border_inside} on inner borders, {border_outer} on the \
         outer boundary, {outside} outside; {} planted",
        planted.len()
    );
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
    assert!(
        border_inside > 1000,
        "only {border_inside} points landed exactly on inner borders"
    );

    // The generated grids tile the city: neighbours share borders, nothing overlaps.
    let t = std::time::Instant::now();
    assert_eq!(overlaps(&grids), Vec::<Overlap>::new());
    // A duplicated grid overlaps its original by its whole area.
    let mut with_copy = grids.clone();
    with_copy.push(grids[3].clone());
    let found = overlaps(&with_copy);
    let want = area_km2(&grids[3]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].a, found[0].b), (3, grids.len() as u32));
    assert!(
        (found[0].area_km2 - want).abs() <= want * 1e-9,
        "{found:?} vs {want} km²"
    );
    eprintln!(
        "overlaps: 2 passes over {} grids in {:.2} s",
        grids.len(),
        t.elapsed().as_secs_f64()
    );
}
