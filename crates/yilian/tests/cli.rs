//! The `yilian` binary end to end: the audit finds each planted violation with the right
//! rule id and subject, exit statuses follow the contract, and a 1 GB CSV is imported in
//! bounded memory.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{http, yilian};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

type Expected = BTreeSet<(String, String, String, String)>;

fn expected(fixture: &str) -> Expected {
    let text = std::fs::read_to_string(
        repo()
            .join("tests/fixtures")
            .join(fixture)
            .join("expected.json"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_owned();
            (s("rule"), s("subject_kind"), s("subject_id"), s("severity"))
        })
        .collect()
}

fn audit_fixture(fixture: &str) -> (Expected, Option<i32>) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a.db");
    let dir = repo().join("tests/fixtures").join(fixture);
    let out = yilian(&db, &["import", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = yilian(
        &db,
        &[
            "audit",
            "--format",
            "json",
            "--profile",
            "national",
            "--date",
            "2025-06-30",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["profile"], "national");
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(f["message_zh"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(f["message_en"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(f["source"].as_str().is_some_and(|m| !m.is_empty()));
            let s = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
            (
                s(&f["rule"]),
                s(&f["subject"]["kind"]),
                s(&f["subject"]["id"]),
                s(&f["severity"]),
            )
        })
        .collect();
    (found, out.status.code())
}

#[test]
fn audit_finds_each_planted_violation() {
    for fixture in ["violations", "violations-b"] {
        let (found, code) = audit_fixture(fixture);
        assert_eq!(found, expected(fixture), "{fixture}");
        let has_error = found.iter().any(|f| f.3 == "error");
        assert_eq!(
            code,
            Some(i32::from(has_error)),
            "{fixture}: exit 1 when an error-level finding exists"
        );
    }
    let rules: BTreeSet<String> = expected("violations")
        .into_iter()
        .chain(expected("violations-b"))
        .map(|f| f.0)
        .collect();
    for rule in [
        "GRID-1", "GRID-2", "GRID-3", "GRID-4", "COMP-1", "COMP-2", "COMP-3", "COMP-4", "COMP-5",
        "COMP-6", "COMP-7", "COMP-8", "COMP-9",
    ] {
        assert!(rules.contains(rule), "no fixture plants {rule}");
    }
}

#[test]
fn audit_exit_status_2_when_input_cannot_be_read() {
    let tmp = tempfile::tempdir().unwrap();
    let out = yilian(
        &tmp.path().join("a.db"),
        &["audit", "--profile", "no-such-profile"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("national"),
        "the error lists the builtin profiles"
    );
}

#[test]
fn failed_import_exits_1_and_lists_errors_in_both_languages() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("city");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("grids.geojson"),
        r#"{"type":"FeatureCollection","features":[]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("institutions.csv"),
        "institution_id,name,level\nH1,医院,9\n",
    )
    .unwrap();
    let out = yilian(&tmp.path().join("a.db"), &["import", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("institutions.csv:1 [kind]"), "{err}");
    assert!(
        err.contains("缺少必需的列") && err.contains("a required column is missing"),
        "{err}"
    );
    assert!(
        err.contains("数据库未改变") && err.contains("unchanged"),
        "{err}"
    );
}

/// Peak resident memory of a running child, read from /proc while it runs.
fn run_measuring_peak_kib(mut cmd: Command) -> (Output, u64) {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(s) = std::fs::read_to_string(&status_path)
                    && let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:"))
                {
                    peak = peak.max(
                        line.split_whitespace()
                            .nth(1)
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0),
                    );
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            peak
        })
    };
    let out = child.wait_with_output().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    (out, watcher.join().unwrap())
}

#[test]
fn a_1gb_csv_is_streamed_in_bounded_memory() {
    const TARGET_BYTES: u64 = 1 << 30;
    const PEAK_KIB_MAX: u64 = 400 * 1024;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("big");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("grids.geojson"),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"grid_id":"G1","name":"网格一"},"geometry":{"type":"Polygon","coordinates":[[[106.0,29.0],[107.0,29.0],[107.0,30.0],[106.0,30.0],[106.0,29.0]]]}}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("institutions.csv"),
        "institution_id,name,kind,level\nH1,样例医院,general_hospital,3\n",
    )
    .unwrap();
    // Wide rows (an unknown free-text column) make the file 1 GiB with few enough rows that
    // the debug build imports it quickly; the reader still has to stream every byte.
    let mut w = BufWriter::new(std::fs::File::create(dir.join("residents.csv")).unwrap());
    writeln!(w, "resident_id,sex,birth_date,lon,lat,conditions,notes").unwrap();
    let notes = "随访记录".repeat(800); // 9,600 bytes
    let (mut written, mut n) = (0u64, 0u64);
    while written < TARGET_BYTES {
        let line = format!(
            "R{n:08},F,1960-01-01,106.{:06},29.{:06},I10;E11,{notes}\n",
            n % 999_983,
            (n * 7) % 999_979
        );
        w.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        n += 1;
    }
    w.flush().unwrap();
    drop(w);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yilian"));
    cmd.arg("--db")
        .arg(tmp.path().join("big.db"))
        .arg("import")
        .arg(&dir);
    let (out, peak_kib) = run_measuring_peak_kib(cmd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{n} residents")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(peak_kib > 0, "memory was measured");
    assert!(
        peak_kib < PEAK_KIB_MAX,
        "peak memory {peak_kib} KiB for a {written}-byte file"
    );
}

#[test]
fn the_clean_demo_city_has_no_error_level_finding_in_any_builtin_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("demo.db");
    let out = yilian(&db, &["demo", "--no-serve", "--residents", "20000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("slot and bed pools opened"),
        "the demo opens slot and bed pools: {said}"
    );
    for profile in ["national", "liaoning-2023", "chongqing-2018"] {
        let out = yilian(&db, &["audit", "--format", "json", "--profile", profile]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["summary"]["errors"], 0, "{profile}: {report:#}");
        assert_eq!(out.status.code(), Some(0), "{profile}");
    }
    let html = yilian(&db, &["audit", "--format", "html", "--lang", "en"]);
    let page = String::from_utf8(html.stdout).unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains("<table"),
        "{page}"
    );
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "a standalone page loads nothing"
    );
}

#[test]
fn audit_trail_verify_detects_an_edited_entry() {
    use yilian_store::audit_trail::{NewAuditEntry, Outcome};
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("trail.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = yilian_store::Store::connect(&db.to_string_lossy())
            .await
            .unwrap();
        for k in 0..3 {
            let e = NewAuditEntry {
                at: chrono::Utc::now(),
                actor: "wangfang".into(),
                role: "family_doctor".into(),
                scope: "team:T0001".into(),
                action: "read_person".into(),
                person: Some(yilian_domain::ids::ResidentId::parse(&format!("R{k}")).unwrap()),
                purpose: "care".into(),
                reason: None,
                flagged: false,
                source: "127.0.0.1".into(),
                outcome: Outcome::Allowed,
                detail: serde_json::json!({}),
            };
            yilian_service::audit_trail::record(&store, &e)
                .await
                .unwrap();
        }
        store.close().await;
    });
    let out = yilian(&db, &["audit-trail", "verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 entries"));
    // a tamperer with the database file: drop the guard trigger, edit entry 2
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        sqlx::query("DROP TRIGGER audit_entry_no_update")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_entry SET person = 'R9' WHERE seq = 2")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let out = yilian(&db, &["audit-trail", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("entry 2"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn init_creates_the_first_administrator_once() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("init.db");
    let first = String::from_utf8(yilian(&db, &["init"]).stdout).unwrap();
    assert!(
        first.contains("'admin' created") && first.contains("shown once"),
        "{first}"
    );
    let second = yilian(&db, &["init"]);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("accounts exist already"));
    let list = String::from_utf8(yilian(&db, &["user", "list"]).stdout).unwrap();
    assert_eq!(list.lines().count(), 1);
    assert!(list.contains("commission_admin@city"), "{list}");
    let password = first.rsplit(' ').next().unwrap().trim();
    assert!(!list.contains(password), "the password is never listed");
}

#[test]
fn identifiers_reach_neither_the_database_file_nor_the_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("pii.db");
    let params = yilian_synth::CityParams {
        seed: 5,
        residents: 2000,
        grids: 4,
    };
    let out = yilian(
        &db,
        &[
            "demo",
            "--no-serve",
            "--residents",
            "2000",
            "--grids",
            "4",
            "--seed",
            "5",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let city = yilian_synth::demo_city(&params);
    let idents = yilian_synth::identities(&city, params.seed, yilian_service::today());
    assert!(idents.len() > 1500);

    // the database file (and its write-ahead log) holds no number in clear
    let mut bytes = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
        bytes.extend(wal);
    }
    let text = String::from_utf8_lossy(&bytes);
    for i in &idents {
        assert!(
            !text.contains(i.id_card.reveal()),
            "an ID number in clear in the file"
        );
        assert!(
            !text.contains(i.phone.reveal()),
            "a phone number in clear in the file"
        );
    }

    // a family doctor reads one of her residents, by id and by ID card, over HTTP
    let signed = city.residents.iter().find(|r| r.team_id.is_some()).unwrap();
    let ident = idents.iter().find(|i| i.resident == signed.id).unwrap();
    let team = signed.team_id.as_ref().unwrap();
    let mut add = common::Db::sqlite(&db).command();
    let grant = format!("family_doctor@team:{team}");
    add.args(["user", "add", "fd", "--name", "家庭医生", "--grant", &grant]);
    assert!(add.output().unwrap().status.success());
    let out = yilian(&db, &["token", "create", "fd", "--name", "test"]);
    let token = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("yl_"), "{token}");

    let log = tmp.path().join("server.log");
    let server = common::Server::start(&common::Db::sqlite(&db), &log, &[("YILIAN_LOG", "trace")]);
    let port = server.port;
    let (status, body) = http(
        port,
        "GET",
        &format!("/api/v1/residents/{}", signed.id),
        &token,
        "",
    )
    .unwrap();
    let by_card = http(
        port,
        "POST",
        "/api/v1/residents/lookup",
        &token,
        &format!("{{\"id_card\": \"{}\"}}", ident.id_card.reveal()),
    )
    .unwrap();
    server.stop();
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(ident.id_card.reveal()),
        "her own resident, in clear: {body}"
    );
    assert_eq!(by_card.0, 200, "{}", by_card.1);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.len() > 1000, "trace logging was on");
    assert!(
        !logged.contains(ident.id_card.reveal()),
        "the ID number in the log"
    );
    assert!(
        !logged.contains(ident.phone.reveal()),
        "the phone number in the log"
    );
}

#[test]
fn pools_open_refuses_a_share_below_quota_1_or_quota_2_and_the_view_shows_them() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("pools.db");
    let (residents, grids, seed) = ("300", "2", "3");
    let out = yilian(
        &db,
        &[
            "demo",
            "--no-serve",
            "--residents",
            residents,
            "--grids",
            grids,
            "--seed",
            seed,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let city = yilian_synth::demo_city(&yilian_synth::CityParams {
        seed: 3,
        residents: 300,
        grids: 2,
    });
    let lead = city.registry.consortia[0].lead.to_string();
    let day = (yilian_service::today() + chrono::Duration::days(20)).to_string();
    let open = |kind: &str, session: &str, capacity: &str, reserved: &str| {
        yilian(
            &db,
            &[
                "pools",
                "open",
                "--institution",
                &lead,
                "--department",
                "骨科",
                "--date",
                &day,
                "--session",
                session,
                "--kind",
                kind,
                "--capacity",
                capacity,
                "--reserved",
                reserved,
            ],
        )
    };
    let out = open("slot", "am", "30", "9");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("QUOTA-1"));
    let out = open("bed", "day", "20", "4");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("QUOTA-2"));
    let out = open("slot", "noon", "30", "10");
    assert!(String::from_utf8_lossy(&out.stderr).contains("session"));
    assert!(open("slot", "am", "30", "10").status.success());
    assert!(open("bed", "day", "20", "5").status.success());
    let out = yilian(
        &db,
        &["pools", "view", "--institution", &lead, "--from", &day],
    );
    assert!(out.status.success());
    let view = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = view.lines().filter(|l| l.contains("骨科")).collect();
    assert_eq!(rows.len(), 2, "{view}");
    assert!(rows.iter().any(|r| r.contains("\tbed\t20\t5\t")), "{view}");
    assert!(
        rows.iter().any(|r| r.contains("\tslot\t30\t10\t")),
        "{view}"
    );
    let out = yilian(&db, &["pools", "sweep"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(": 0"));
}
