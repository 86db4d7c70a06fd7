//! Import, export and assignment through the service layer, each on SQLite and PostgreSQL:
//! the bad inputs of the issue (a test each), all-or-nothing, idempotence, round trip.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use std::fs;
use std::path::{Path, PathBuf};
use yilian_interchange::write::{ResidentWriter, write_registry};
use yilian_service::ServiceError;
use yilian_service::export::export_dir;
use yilian_service::import::{ImportReport, import_dir};
use yilian_store::{Store, dbtest};
use yilian_synth::{CityParams, demo_city};

/// A small clean city written as a folder.
fn city_folder() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("city");
    let city = demo_city(&CityParams {
        seed: 5,
        residents: 3000,
        grids: 4,
    });
    write_registry(&dir, &city.registry).unwrap();
    let mut w = ResidentWriter::create(&dir).unwrap();
    for r in &city.residents {
        w.write(r).unwrap();
    }
    w.finish().unwrap();
    (tmp, dir)
}

fn edit(dir: &Path, file: &str, f: impl FnOnce(String) -> String) {
    let p = dir.join(file);
    let s = fs::read_to_string(&p).unwrap();
    fs::write(&p, f(s)).unwrap();
}

/// Replaces line `n` (1-based) of a file.
fn edit_line(dir: &Path, file: &str, n: usize, f: impl FnOnce(&str) -> String) {
    edit(dir, file, |s| {
        let mut lines: Vec<String> = s.lines().map(str::to_owned).collect();
        lines[n - 1] = f(&lines[n - 1]);
        lines.join("\n") + "\n"
    });
}

async fn import(store: &Store, dir: &Path) -> Result<ImportReport, ServiceError> {
    import_dir(store, dir, "test", |_, _| ()).await
}

/// The import fails, and the errors include one at (file, row, column).
async fn fails_at(store: &Store, dir: &Path, file: &str, row: Option<u64>, column: Option<&str>) {
    let before = yilian_store::event::read_after(store, 0, 1000)
        .await
        .unwrap()
        .len();
    match import(store, dir).await {
        Err(ServiceError::Input(d)) => {
            assert!(
                d.items().iter().any(|i| i.file == file
                    && (row.is_none() || i.row == row)
                    && i.column.as_deref() == column),
                "no error at {file}:{row:?} [{column:?}] in {:#?}",
                d.items()
            );
            for i in d.items() {
                assert!(!i.message_zh.is_empty() && !i.message_en.is_empty());
            }
        }
        other => panic!("expected an input error, got {other:?}"),
    }
    assert_eq!(
        yilian_store::event::read_after(store, 0, 1000)
            .await
            .unwrap()
            .len(),
        before,
        "a failed import appends nothing"
    );
}

fn column_of(dir: &Path, file: &str, col: &str) -> usize {
    let s = fs::read_to_string(dir.join(file)).unwrap();
    s.lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == col)
        .unwrap()
}

fn set_cell(line: &str, k: usize, v: &str) -> String {
    let mut cells: Vec<&str> = line.split(',').collect();
    cells[k] = v;
    cells.join(",")
}

dbtest!(import_twice_changes_nothing_and_round_trips, |store| {
    let (tmp, dir) = city_folder();
    let first = import(&store, &dir).await.unwrap();
    assert_eq!(first.changes.residents, 3000);
    assert_eq!(first.residents_outside.count, 0);
    assert!(first.event_id.is_some());
    let second = import(&store, &dir).await.unwrap();
    assert!(second.changes.is_empty(), "{:?}", second.changes);
    assert!(second.event_id.is_none(), "a repeat appends no event");

    let (e1, e2) = (tmp.path().join("e1"), tmp.path().join("e2"));
    export_dir(&store, &e1).await.unwrap();
    let other = yilian_store::testing::sqlite().await;
    import(&other.1, &e1).await.unwrap();
    export_dir(&other.1, &e2).await.unwrap();
    for f in [
        "grids.geojson",
        "institutions.csv",
        "consortia.csv",
        "memberships.csv",
        "teams.csv",
        "residents.csv",
    ] {
        assert_eq!(
            fs::read(e1.join(f)).unwrap(),
            fs::read(e2.join(f)).unwrap(),
            "{f} differs after export → import → export"
        );
    }
});

dbtest!(a_failed_import_leaves_the_database_as_it_was, |store| {
    let (tmp, dir) = city_folder();
    import(&store, &dir).await.unwrap();
    let before = tmp.path().join("before");
    export_dir(&store, &before).await.unwrap();
    // change a valid institution and a valid resident, then break the last resident row
    let lines = fs::read_to_string(dir.join("residents.csv"))
        .unwrap()
        .lines()
        .count();
    edit_line(&dir, "institutions.csv", 2, |l| l.replace("医院", "医院改"));
    edit_line(&dir, "residents.csv", 2, |l| l.replace(",F,", ",M,"));
    let sex = column_of(&dir, "residents.csv", "sex");
    edit_line(&dir, "residents.csv", lines, |l| set_cell(l, sex, "X"));
    fails_at(
        &store,
        &dir,
        "residents.csv",
        Some(lines as u64),
        Some("sex"),
    )
    .await;
    let after = tmp.path().join("after");
    export_dir(&store, &after).await.unwrap();
    for f in ["institutions.csv", "residents.csv"] {
        assert_eq!(
            fs::read(before.join(f)).unwrap(),
            fs::read(after.join(f)).unwrap(),
            "{f} changed by a failed import"
        );
    }
});

dbtest!(missing_required_column_names_file_and_column, |store| {
    let (_t, dir) = city_folder();
    edit_line(&dir, "institutions.csv", 1, |l| l.replace("kind", "kinds"));
    fails_at(&store, &dir, "institutions.csv", Some(1), Some("kind")).await;
});

dbtest!(unknown_column_is_a_warning, |store| {
    let (_t, dir) = city_folder();
    edit(&dir, "teams.csv", |s| {
        s.lines()
            .enumerate()
            .map(|(k, l)| {
                if k == 0 {
                    format!("{l},colour\n")
                } else {
                    format!("{l},red\n")
                }
            })
            .collect()
    });
    let r = import(&store, &dir).await.unwrap();
    let w = r
        .diagnostics
        .items()
        .iter()
        .find(|i| i.file == "teams.csv")
        .unwrap();
    assert_eq!((w.row, w.column.as_deref()), (Some(1), Some("colour")));
    assert_eq!(r.diagnostics.error_count(), 0);
});

dbtest!(duplicate_id_is_an_error_on_its_row, |store| {
    let (_t, dir) = city_folder();
    edit(&dir, "institutions.csv", |s| {
        let second = s.lines().nth(1).unwrap().to_owned();
        format!("{s}{second}\n")
    });
    let n = fs::read_to_string(dir.join("institutions.csv"))
        .unwrap()
        .lines()
        .count() as u64;
    fails_at(
        &store,
        &dir,
        "institutions.csv",
        Some(n),
        Some("institution_id"),
    )
    .await;
    // and in the streamed residents file
    let (_t2, dir2) = city_folder();
    edit(&dir2, "residents.csv", |s| {
        let second = s.lines().nth(1).unwrap().to_owned();
        format!("{s}{second}\n")
    });
    let n = fs::read_to_string(dir2.join("residents.csv"))
        .unwrap()
        .lines()
        .count() as u64;
    fails_at(&store, &dir2, "residents.csv", Some(n), Some("resident_id")).await;
});

dbtest!(dangling_membership_names_the_row, |store| {
    let (_t, dir) = city_folder();
    let k = column_of(&dir, "memberships.csv", "institution_id");
    edit_line(&dir, "memberships.csv", 3, |l| {
        set_cell(l, k, "NO-SUCH-INSTITUTION")
    });
    fails_at(
        &store,
        &dir,
        "memberships.csv",
        Some(3),
        Some("institution_id"),
    )
    .await;
});

dbtest!(non_utf8_bytes_name_row_and_column, |store| {
    let (_t, dir) = city_folder();
    let p = dir.join("institutions.csv");
    let mut bytes = fs::read(&p).unwrap();
    let line2 = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    let comma = line2 + bytes[line2..].iter().position(|b| *b == b',').unwrap();
    bytes.insert(comma + 1, 0xff); // inside the name
    fs::write(&p, bytes).unwrap();
    fails_at(&store, &dir, "institutions.csv", Some(2), Some("name")).await;
});

dbtest!(empty_file_is_an_error, |store| {
    let (_t, dir) = city_folder();
    fs::write(dir.join("consortia.csv"), "").unwrap();
    fails_at(&store, &dir, "consortia.csv", None, None).await;
    let (_t2, dir2) = city_folder();
    fs::write(dir2.join("grids.geojson"), "").unwrap();
    fails_at(&store, &dir2, "grids.geojson", None, None).await;
});

fn grids_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(dir.join("grids.geojson")).unwrap()).unwrap()
}

fn put_grids(dir: &Path, v: &serde_json::Value) {
    fs::write(dir.join("grids.geojson"), v.to_string()).unwrap();
}

dbtest!(
    unclosed_ring_self_intersection_and_out_of_range_coordinates,
    |store| {
        let (_t, dir) = city_folder();
        let mut g = grids_json(&dir);
        // feature 1: drop the closing position; feature 2: a bow-tie; feature 3: latitude 95
        g["features"][0]["geometry"]["coordinates"][0][0]
            .as_array_mut()
            .unwrap()
            .pop();
        g["features"][1]["geometry"] = serde_json::json!({"type": "Polygon", "coordinates": [[[106.0, 29.0], [106.1, 29.1], [106.1, 29.0], [106.0, 29.1], [106.0, 29.0]]]});
        g["features"][2]["geometry"]["coordinates"][0][0][3] = serde_json::json!([106.5, 95.0]);
        put_grids(&dir, &g);
        match import(&store, &dir).await {
            Err(ServiceError::Input(d)) => {
                let geo: Vec<_> = d
                    .items()
                    .iter()
                    .filter(|i| {
                        i.file == "grids.geojson" && i.column.as_deref() == Some("geometry")
                    })
                    .collect();
                assert!(
                    geo.iter()
                        .any(|i| i.row == Some(1) && i.message_en.contains("not closed")),
                    "{geo:#?}"
                );
                assert!(
                    geo.iter()
                        .any(|i| i.row == Some(2) && i.message_en.contains("intersect")),
                    "{geo:#?}"
                );
                assert!(
                    geo.iter()
                        .any(|i| i.row == Some(3) && i.message_en.contains("95")),
                    "{geo:#?}"
                );
            }
            other => panic!("expected geometry errors, got {other:?}"),
        }
        // a resident's coordinates outside ±180/±90
        let (_t2, dir2) = city_folder();
        let lon = column_of(&dir2, "residents.csv", "lon");
        edit_line(&dir2, "residents.csv", 5, |l| set_cell(l, lon, "190.5"));
        fails_at(&store, &dir2, "residents.csv", Some(5), Some("lon")).await;
    }
);

dbtest!(
    a_point_on_a_shared_border_goes_to_exactly_one_grid_every_time,
    |store| {
        let (_t, dir) = city_folder();
        let g = grids_json(&dir);
        // a vertex of grid 0 that grid 1 shares: a point exactly on the shared border
        let ring = |k: usize| {
            g["features"][k]["geometry"]["coordinates"][0][0]
                .as_array()
                .unwrap()
                .clone()
        };
        let shared = ring(0)
            .into_iter()
            .find(|p| (1..4).any(|k| ring(k).contains(p)))
            .expect("neighbouring grids share vertices");
        let (lon, lat) = (shared[0].as_f64().unwrap(), shared[1].as_f64().unwrap());
        let (lon_k, lat_k) = (
            column_of(&dir, "residents.csv", "lon"),
            column_of(&dir, "residents.csv", "lat"),
        );
        let grid_k = column_of(&dir, "residents.csv", "grid_id");
        edit_line(&dir, "residents.csv", 2, |l| {
            set_cell(
                &set_cell(
                    &set_cell(l, lon_k, &lon.to_string()),
                    lat_k,
                    &lat.to_string(),
                ),
                grid_k,
                "",
            )
        });
        let r = import(&store, &dir).await.unwrap();
        assert_eq!(
            r.residents_outside.count, 0,
            "a border point is never dropped"
        );
        let first = yilian_store::registry::residents_page(&store, Default::default(), None, 1)
            .await
            .unwrap();
        let grid = first[0].grid_id.clone().expect("assigned to a grid");
        let again = yilian_service::locate::reassign(&store, "test")
            .await
            .unwrap();
        assert_eq!(again.changed, 0, "the same grid every time");
        let per_grid = yilian_store::registry::residents_per_grid(&store)
            .await
            .unwrap();
        assert_eq!(
            per_grid.iter().map(|(_, n)| n).sum::<i64>(),
            3000,
            "counted once"
        );
        assert!(
            per_grid
                .iter()
                .any(|(g, _)| g.as_deref() == Some(grid.as_str()))
        );
    }
);

dbtest!(a_missing_folder_is_one_clear_error, |store| {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("no-such-city");
    match import(&store, &dir).await {
        Err(ServiceError::Input(d)) => {
            assert_eq!(d.error_count(), 1, "{:#?}", d.items());
            assert_eq!(d.items()[0].message_en, "no such folder");
        }
        other => panic!("expected one input error, got {other:?}"),
    }
});
