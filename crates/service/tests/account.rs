//! Accounts: add, list, disable, login with lock-out; each on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)] // a panic is how a test reports

use chrono::{Duration, TimeZone, Utc};
use yilian_domain::access::{PasswordError, Role};
use yilian_domain::ids::UserId;
use yilian_service::account::{
    AddUserError, LoginError, add_user, disable_user, list_users, login, parse_grant,
};
use yilian_store::dbtest;

fn uid(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

dbtest!(
    a_generated_password_logs_in_and_is_not_stored_in_clear,
    |store| {
        let grants = vec![parse_grant("family_doctor@team:T0001").unwrap()];
        let pw = add_user(&store, uid("wangfang"), "王芳".into(), grants, None, "test")
            .await
            .unwrap()
            .expect("generated");
        let users = list_users(&store).await.unwrap();
        assert_eq!(users.len(), 1);
        assert!(
            users[0].password_hash.starts_with("$argon2id$"),
            "{}",
            users[0].password_hash
        );
        assert!(!users[0].password_hash.contains(&pw));
        let now = Utc::now();
        let actor = login(&store, "wangfang", &pw, now).await.unwrap().unwrap();
        assert_eq!(actor.grants[0].role(), Role::FamilyDoctor);
        let events = yilian_store::event::read_after(&store, 0, 10)
            .await
            .unwrap();
        assert_eq!(events[0].kind, "UserAdded");
        assert!(
            !events[0].payload.to_string().contains(&pw),
            "no password in the event log"
        );
    }
);

dbtest!(wrong_password_locks_after_five_and_backs_off, |store| {
    add_user(
        &store,
        uid("desk1"),
        "转诊台".into(),
        vec![],
        Some("Referral-Desk-2026"),
        "test",
    )
    .await
    .unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    for _ in 0..5 {
        assert_eq!(
            login(&store, "desk1", "wrong-password-1A", t0)
                .await
                .unwrap()
                .unwrap_err(),
            LoginError::BadCredentials
        );
    }
    let locked = login(
        &store,
        "desk1",
        "Referral-Desk-2026",
        t0 + Duration::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(
        locked.unwrap_err(),
        LoginError::Locked(t0 + Duration::minutes(15)),
        "even the right password waits"
    );
    assert!(
        login(
            &store,
            "desk1",
            "Referral-Desk-2026",
            t0 + Duration::minutes(15)
        )
        .await
        .unwrap()
        .is_ok()
    );
    assert_eq!(
        login(&store, "nobody", "Referral-Desk-2026", t0)
            .await
            .unwrap()
            .unwrap_err(),
        LoginError::BadCredentials,
        "unknown users look like wrong passwords"
    );
});

dbtest!(
    disabled_accounts_cannot_log_in_and_duplicates_and_weak_passwords_are_refused,
    |store| {
        add_user(
            &store,
            uid("audit1"),
            "审计员".into(),
            vec![parse_grant("auditor@city").unwrap()],
            Some("Audit-Trail-2026!"),
            "test",
        )
        .await
        .unwrap();
        assert!(matches!(
            add_user(&store, uid("audit1"), "x".into(), vec![], None, "test").await,
            Err(AddUserError::Exists(_))
        ));
        assert!(matches!(
            add_user(
                &store,
                uid("weak"),
                "x".into(),
                vec![],
                Some("password"),
                "test"
            )
            .await,
            Err(AddUserError::Password(PasswordError::TooShort))
        ));
        disable_user(&store, &uid("audit1"), "test").await.unwrap();
        assert_eq!(
            login(&store, "audit1", "Audit-Trail-2026!", Utc::now())
                .await
                .unwrap()
                .unwrap_err(),
            LoginError::Disabled
        );
        assert!(disable_user(&store, &uid("nobody"), "test").await.is_err());
    }
);

#[test]
fn grants_parse_and_must_fit_the_role() {
    assert_eq!(
        parse_grant("commission_admin@city").unwrap().role(),
        Role::CommissionAdmin
    );
    assert!(
        parse_grant("family_doctor@city").is_err(),
        "a family doctor is granted on a team"
    );
    assert!(parse_grant("nonsense").is_err());
    assert!(parse_grant("doctor@institution:H1").is_ok());
}
