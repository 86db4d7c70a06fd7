//! The audit trail: each body runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use yilian_domain::ids::ResidentId;
use yilian_store::audit_trail::*;
use yilian_store::{Store, dbtest};

fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + Duration::microseconds(123_456)
}

fn entry(k: usize) -> NewAuditEntry {
    NewAuditEntry {
        at: base_time() + Duration::seconds(k as i64),
        actor: format!("u{}", k % 3),
        role: "family_doctor".into(),
        scope: "team:T01".into(),
        action: if k.is_multiple_of(2) {
            "resident.read".into()
        } else {
            "resident.update".into()
        },
        person: Some(ResidentId::parse(&format!("R{k:06}")).unwrap()),
        purpose: "treatment".into(),
        reason: None,
        flagged: k.is_multiple_of(10),
        source: "10.0.0.7".into(),
        outcome: Outcome::Allowed,
        detail: json!({"k": k, "fields": ["name", "conditions"]}),
    }
}

async fn append_n(store: &Store, n: usize) -> Vec<AuditEntry> {
    let mut out = Vec::with_capacity(n);
    for k in 1..=n {
        let mut tx = store.begin().await.unwrap();
        out.push(append(&mut tx, &entry(k)).await.unwrap());
        tx.commit().await.unwrap();
    }
    out
}

/// Raw SQL past the application, as a tamperer with database access would run it.
async fn raw(store: &Store, sql: &str) -> Result<(), sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    match store {
        Store::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Store::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
}

async fn drop_trigger(store: &Store, name: &str) {
    let sql = match store {
        Store::Sqlite(_) => format!("DROP TRIGGER {name}"),
        Store::Postgres(_) => format!("DROP TRIGGER {name} ON audit_entry"),
    };
    raw(store, &sql).await.unwrap();
}

fn all() -> SearchFilter {
    SearchFilter::default()
}

dbtest!(hundred_appends_number_1_to_100_and_verify, |store| {
    let written = append_n(&store, 100).await;
    let seqs: Vec<i64> = written.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<_>>());
    assert_eq!(written[0].prev_hash, GENESIS_HASH);
    for w in written.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
    }

    let report = verify(&store).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, 100);
    assert_eq!(
        report.head,
        Some(ChainHead {
            seq: 100,
            hash: written[99].hash.clone()
        })
    );

    // Read back exactly as written (time, JSON detail, every field).
    let page = search(&store, &all(), 0, PageSize::new(500).unwrap())
        .await
        .unwrap();
    assert_eq!(page, written);
});

dbtest!(search_filters_and_pages, |store| {
    let written = append_n(&store, 30).await;
    let flagged = SearchFilter {
        flagged: Some(true),
        ..all()
    };
    let got = search(&store, &flagged, 0, PageSize::new(10).unwrap())
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![10, 20, 30]
    );

    let by_actor = SearchFilter {
        actor: Some("u1".into()),
        action: Some("resident.update".into()),
        ..all()
    };
    let first = search(&store, &by_actor, 0, PageSize::new(2).unwrap())
        .await
        .unwrap();
    assert_eq!(first.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 7]);
    let next = search(&store, &by_actor, 7, PageSize::new(2).unwrap())
        .await
        .unwrap();
    assert_eq!(next.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![13, 19]);

    let person = SearchFilter {
        person: Some(ResidentId::parse("R000012").unwrap()),
        ..all()
    };
    let got = search(&store, &person, 0, PageSize::new(10).unwrap())
        .await
        .unwrap();
    assert_eq!(got, vec![written[11].clone()]);

    // `from` inclusive, `to` exclusive.
    let window = SearchFilter {
        from: Some(written[4].entry.at),
        to: Some(written[7].entry.at),
        ..all()
    };
    let got = search(&store, &window, 0, PageSize::new(10).unwrap())
        .await
        .unwrap();
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 6, 7]);

    assert!(PageSize::new(0).is_err());
    assert!(PageSize::new(SEARCH_PAGE_ROWS_MAX + 1).is_err());
});

dbtest!(an_edited_entry_is_named, |store| {
    append_n(&store, 10).await;
    drop_trigger(&store, "audit_entry_no_update").await;
    raw(
        &store,
        "UPDATE audit_entry SET action = 'resident.list' WHERE seq = 4",
    )
    .await
    .unwrap();

    let report = verify(&store).await.unwrap();
    let broken = report.broken.unwrap();
    assert_eq!((broken.seq, &broken.problem), (4, &Problem::Edited));
    assert!(
        broken.message_en.contains("entry 4"),
        "{}",
        broken.message_en
    );
    assert!(
        broken.message_zh.contains("第 4 条"),
        "{}",
        broken.message_zh
    );
    assert_eq!(report.checked, 4);
});

dbtest!(an_edited_detail_or_hash_is_named, |store| {
    append_n(&store, 5).await;
    drop_trigger(&store, "audit_entry_no_update").await;
    // The stored hash is covered too: changing it is an edit of that entry.
    raw(&store, "UPDATE audit_entry SET hash = 'ff' WHERE seq = 2")
        .await
        .unwrap();
    let broken = verify(&store).await.unwrap().broken.unwrap();
    assert_eq!((broken.seq, broken.problem), (2, Problem::Edited));
});

dbtest!(a_deleted_entry_is_named, |store| {
    append_n(&store, 10).await;
    drop_trigger(&store, "audit_entry_no_delete").await;
    raw(&store, "DELETE FROM audit_entry WHERE seq IN (5, 6)")
        .await
        .unwrap();

    let broken = verify(&store).await.unwrap().broken.unwrap();
    assert_eq!(
        (broken.seq, &broken.problem),
        (5, &Problem::Missing { next: 7 })
    );
    assert!(broken.message_en.contains("5–6"), "{}", broken.message_en);

    // Deleting the first entry is a gap too.
    raw(&store, "DELETE FROM audit_entry WHERE seq = 1")
        .await
        .unwrap();
    let broken = verify(&store).await.unwrap().broken.unwrap();
    assert_eq!(
        (broken.seq, broken.problem),
        (1, Problem::Missing { next: 2 })
    );
});

dbtest!(reordered_entries_are_named, |store| {
    append_n(&store, 6).await;
    drop_trigger(&store, "audit_entry_no_update").await;
    // Swap entries 3 and 4 by their seq.
    for sql in [
        "UPDATE audit_entry SET seq = 1000 WHERE seq = 3",
        "UPDATE audit_entry SET seq = 3 WHERE seq = 4",
        "UPDATE audit_entry SET seq = 4 WHERE seq = 1000",
    ] {
        raw(&store, sql).await.unwrap();
    }
    let broken = verify(&store).await.unwrap().broken.unwrap();
    assert_eq!((broken.seq, broken.problem), (3, Problem::LinkBroken));
});

dbtest!(triggers_refuse_update_and_delete, |store| {
    append_n(&store, 3).await;
    let update = raw(&store, "UPDATE audit_entry SET action = 'x' WHERE seq = 2").await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = raw(&store, "DELETE FROM audit_entry WHERE seq = 3").await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    if matches!(store, Store::Postgres(_)) {
        let truncate = raw(&store, "TRUNCATE audit_entry").await;
        assert!(truncate.unwrap_err().to_string().contains("append-only"));
    }
    let report = verify(&store).await.unwrap();
    assert!(report.is_intact());
    assert_eq!(report.checked, 3);
});

dbtest!(a_duplicate_seq_fails_instead_of_forking, |store| {
    let written = append_n(&store, 2).await;
    let sql = format!(
        "INSERT INTO audit_entry (seq, at, actor, role, scope, action, person, purpose, reason, \
         flagged, source, outcome, detail, prev_hash, hash) SELECT seq, at, actor, role, scope, \
         action, person, purpose, reason, flagged, source, outcome, detail, '{}', hash \
         FROM audit_entry WHERE seq = 2",
        written[0].hash
    );
    assert!(raw(&store, &sql).await.is_err());
    assert!(verify(&store).await.unwrap().is_intact());
});

dbtest!(concurrent_appends_leave_no_gap, |store| {
    const TASKS: usize = 8;
    const PER_TASK: usize = 25;
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            for k in 0..PER_TASK {
                let mut tx = store.begin().await.unwrap();
                append(&mut tx, &entry(t * PER_TASK + k)).await.unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let report = verify(&store).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checked, (TASKS * PER_TASK) as u64);
    assert_eq!(report.head.unwrap().seq, (TASKS * PER_TASK) as i64);
});

dbtest!(fixed_entries_hash_to_the_documented_values, |store| {
    // Computed independently from the canonical encoding in the module docs; the same on
    // both backends, so a chain can move between them and still verify.
    let first = NewAuditEntry {
        at: base_time() + Duration::nanoseconds(789), // truncated to microseconds
        actor: "u:doctor-li".into(),
        role: "family_doctor".into(),
        scope: "team:T01".into(),
        action: "resident.read".into(),
        person: Some(ResidentId::parse("R000001").unwrap()),
        purpose: "break_glass".into(),
        reason: Some("急诊抢救：患者昏迷".into()),
        flagged: true,
        source: "10.0.0.7".into(),
        outcome: Outcome::Allowed,
        detail: json!({"z": {"m": null, "k": true}, "a": ["x", -0.0, 2.5, "引号\"", 3.0]}),
    };
    let second = NewAuditEntry {
        at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 6).unwrap(),
        actor: "cli:ops".into(),
        role: "commission_admin".into(),
        scope: "city".into(),
        action: "login".into(),
        person: None,
        purpose: "login".into(),
        reason: None,
        flagged: false,
        source: "127.0.0.1".into(),
        outcome: Outcome::Denied,
        detail: json!({}),
    };
    let mut tx = store.begin().await.unwrap();
    let a = append(&mut tx, &first).await.unwrap();
    let b = append(&mut tx, &second).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        a.hash,
        "431ac7f16106fb6285eb9017a1c259185116e2b91e4090f211b6373bd0153379"
    );
    assert_eq!(
        b.hash,
        "83138912975c01a59a9d285215fcbbf862de9f5250c4710beed9d087f67fe1cb"
    );
    // And after the round trip through the database (jsonb rewrites -0.0, 3.0, key order).
    assert!(verify(&store).await.unwrap().is_intact());
    let back = search(&store, &all(), 0, PageSize::new(2).unwrap())
        .await
        .unwrap();
    assert_eq!(back[0].computed_hash(), a.hash);
    assert_eq!(back[1].computed_hash(), b.hash);
});

#[test]
fn canonical_json_sorts_keys_and_normalises_numbers() {
    let v = json!({"b": [1.0, -0.0, 1e17, 0.1, -2.5e-7, 18446744073709551615u64], "a": "\u{7}é"});
    assert_eq!(
        canonical_json(&v),
        r#"{"a":"\u0007é","b":[1,0,100000000000000000,0.1,-2.5e-7,18446744073709551615]}"#
    );
}
