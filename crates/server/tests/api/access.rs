//! Who may see and do what (issue 3): the authorisation matrix over every route and role,
//! sign-in by session and token, CSRF, and the attacks the issue lists. The expected
//! answers come from the policy function itself (`can_attempt`, `can`), so the test holds
//! the router to the policy rather than restating it.

use crate::helpers::{App, Reply, TEST_PASSWORD, error_code, spawn_app};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use yilian_domain::access::{Actor, Grant, UserId, can_attempt};
use yilian_domain::ids::ResidentId;
use yilian_domain::registry::{ConsortiumKind, MemberRole};
use yilian_server::routes::{API_ROUTES, Need, PAGE_ROUTES, Verb};
use yilian_store::audit_trail::{Outcome, PageSize, SearchFilter};

/// The ids one role of each kind is granted on, from the demo city: the first urban
/// medical group, its lead, a member hosting a team, that team and one of its residents,
/// and a resident of another team.
struct Cast {
    consortium: String,
    lead: String,
    member: String,
    team: String,
    resident: String,
    other_resident: String,
    other_institution: String,
}

fn cast(app: &App) -> Cast {
    let reg = app.registry();
    let group = reg
        .consortia
        .iter()
        .find(|c| c.kind == ConsortiumKind::UrbanMedicalGroup)
        .unwrap();
    let members: Vec<_> = reg
        .members_of(&group.id, None)
        .filter(|m| m.role == MemberRole::Member)
        .map(|m| m.institution_id.clone())
        .collect();
    let team = reg
        .teams
        .iter()
        .find(|t| members.contains(&t.institution_id))
        .unwrap();
    let signed = |pred: &dyn Fn(&Option<yilian_domain::ids::TeamId>) -> bool| {
        app.city
            .residents
            .iter()
            .find(|r| pred(&r.team_id))
            .unwrap()
            .id
            .to_string()
    };
    let other_team = reg
        .teams
        .iter()
        .find(|t| {
            t.id != team.id
                && !members.contains(&t.institution_id)
                && t.institution_id != group.lead
        })
        .unwrap();
    Cast {
        consortium: group.id.to_string(),
        lead: group.lead.to_string(),
        member: team.institution_id.to_string(),
        team: team.id.to_string(),
        resident: signed(&|t| t.as_ref() == Some(&team.id)),
        other_resident: signed(&|t| t.is_some() && t.as_ref() != Some(&team.id)),
        other_institution: other_team.institution_id.to_string(),
    }
}

/// One user per role, each with a token.
async fn users(app: &App, c: &Cast) -> Vec<(Grant, String)> {
    let grants = [
        ("e2e-admin", "commission_admin@city".to_owned()),
        (
            "e2e-manager",
            format!("consortium_manager@consortium:{}", c.consortium),
        ),
        ("e2e-desk", format!("referral_desk@institution:{}", c.lead)),
        ("e2e-doctor", format!("doctor@institution:{}", c.member)),
        ("e2e-fd", format!("family_doctor@team:{}", c.team)),
        (
            "e2e-shared",
            format!("shared_centre_staff@institution:{}", c.lead),
        ),
        ("e2e-auditor", "auditor@city".to_owned()),
        ("e2e-resident", format!("resident@person:{}", c.resident)),
    ];
    let mut out = Vec::new();
    for (id, g) in grants {
        let token = app.user_token(id, &g).await;
        out.push((yilian_service::account::parse_grant(&g).unwrap(), token));
    }
    out
}

fn request(verb: Verb, uri: &str, bearer: Option<&str>) -> Request<Body> {
    let method = match verb {
        Verb::Get => Method::GET,
        Verb::Post => Method::POST,
        Verb::Put => Method::PUT,
        Verb::Delete => Method::DELETE,
    };
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if verb == Verb::Get || verb == Verb::Delete {
        b.body(Body::empty()).unwrap()
    } else {
        b.header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap()
    }
}

/// A JSON request as `bearer` (or as the administrator when none is given).
fn json_request(method: Method, uri: &str, bearer: Option<&str>, body: &Value) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// A route's path with ids that the family doctor's grant reaches; ids that only name
/// something to disable or revoke point at nothing, so the walk changes no account.
fn concrete(app: &App, c: &Cast, path: &str) -> String {
    let reg = app.registry();
    let id = if path.contains("/institutions/") {
        reg.institutions[0].id.to_string()
    } else if path.contains("/grids/") {
        reg.grids[0].id.to_string()
    } else if path.contains("/consortia/") {
        c.consortium.clone()
    } else if path.contains("/residents/") || path.starts_with("/persons/") {
        c.resident.clone()
    } else {
        "nobody".to_owned()
    };
    let uri = path.replace("{id}", &id);
    if path == "/api/v1/exports/residents" {
        format!("{uri}?scope=team:{}", c.team)
    } else {
        uri
    }
}

yilian_store::dbtest!(matrix_every_route_answers_as_the_policy_says, |store| {
    let app = spawn_app(store).await;
    let c = cast(&app);
    let users = users(&app, &c).await;
    let routes = API_ROUTES
        .iter()
        .map(|r| (r, false))
        .chain(PAGE_ROUTES.iter().map(|r| (r, true)));
    for (route, page) in routes {
        let uri = concrete(&app, &c, route.path);
        // no credentials: 401 from the API, the login page for the console
        let anon = app.send_raw(request(route.verb, &uri, None)).await;
        match (route.need, page) {
            (Need::Public, _) => {}
            (_, false) => {
                assert_eq!(
                    anon.status,
                    StatusCode::UNAUTHORIZED,
                    "{} {uri}",
                    route.verb.as_str()
                );
                assert_eq!(error_code(&anon.json()), "unauthenticated");
            }
            (_, true) => {
                assert!(
                    anon.status.is_redirection(),
                    "{} {uri}: {}",
                    route.verb.as_str(),
                    anon.status
                );
                assert_eq!(anon.headers[header::LOCATION], "/login");
            }
        }
        for (grant, token) in &users {
            let actor = Actor {
                user_id: UserId::parse("x").unwrap(),
                grants: vec![grant.clone()],
            };
            let r = app.send_raw(request(route.verb, &uri, Some(token))).await;
            let what = format!("{} {uri} as {}", route.verb.as_str(), grant.role());
            assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{what}");
            assert!(
                !r.status.is_server_error(),
                "{what}: {}",
                String::from_utf8_lossy(&r.body)
            );
            if let Need::Action(kind) = route.need
                && can_attempt(&actor, kind).is_err()
            {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
            }
        }
    }
});

/// The record of `resident` as `token` sees it.
async fn read(app: &App, token: &str, resident: &str) -> Reply {
    app.send_raw(request(
        Verb::Get,
        &format!("/api/v1/residents/{resident}"),
        Some(token),
    ))
    .await
}

async fn trail(app: &App, filter: SearchFilter) -> Vec<yilian_store::audit_trail::AuditEntry> {
    yilian_service::audit_trail::search(&app.store, &filter, 0, PageSize::new(500).unwrap())
        .await
        .unwrap()
}

yilian_store::dbtest!(
    family_doctor_reads_own_team_only_and_every_read_is_audited,
    |store| {
        let app = spawn_app(store).await;
        let c = cast(&app);
        let fd = app
            .user_token("fd1", &format!("family_doctor@team:{}", c.team))
            .await;
        let desk = app
            .user_token("desk1", &format!("referral_desk@institution:{}", c.member))
            .await;

        // the family doctor records the identity of her own resident, and sees it in clear
        let put = |token: &str, resident: &str, body: Value| {
            let req = Request::builder()
                .method(Method::PUT)
                .uri(format!("/api/v1/residents/{resident}/identity"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            app.send_raw(req)
        };
        let ident =
            json!({"id_card": "11010519491231002X", "phone": "13812341234", "name": "张三"});
        let r = put(&fd, &c.resident, ident.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = read(&app, &fd, &c.resident).await;
        assert_eq!(r.status, StatusCode::OK);
        let body = r.json();
        assert_eq!(body["id_card"], "11010519491231002X");
        assert_eq!(body["masked"], false);

        // another team's resident: 403, and the refusal is in the trail with the person
        let r = read(&app, &fd, &c.other_resident).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(error_code(&r.json()), "forbidden");
        // guessing an id that does not exist answers the same
        let r = read(&app, &fd, "R-does-not-exist").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let denied = trail(
            &app,
            SearchFilter {
                actor: Some("fd1".into()),
                person: Some(ResidentId::parse(&c.other_resident).unwrap()),
                ..SearchFilter::default()
            },
        )
        .await;
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].entry.outcome, Outcome::Denied);
        assert_eq!(denied[0].entry.action, "read_person");

        // the community centre's desk cares for the team's residents: identifiers shown
        let r = read(&app, &desk, &c.resident).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["phone"], "13812341234");

        // an invalid ID number is refused, naming the field
        let r = put(&fd, &c.resident, json!({"id_card": "110105194912310021"})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(
            r.json()["error"]["message_en"]
                .as_str()
                .unwrap()
                .contains("id_card")
        );

        // found by ID card, by the keyed hash
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/residents/lookup")
            .header(header::AUTHORIZATION, format!("Bearer {fd}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"id_card": "11010519491231002X"}).to_string(),
            ))
            .unwrap();
        let r = app.send_raw(req).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["id"], c.resident.as_str());

        // every allowed read and the change are in the trail, and the chain verifies
        let reads = trail(
            &app,
            SearchFilter {
                person: Some(ResidentId::parse(&c.resident).unwrap()),
                ..SearchFilter::default()
            },
        )
        .await;
        assert!(
            reads
                .iter()
                .all(|e| ["fd1", "desk1"].contains(&e.entry.actor.as_str()))
        );
        assert!(
            reads
                .iter()
                .all(|e| e.entry.source.starts_with("in-process token:"))
        );
        assert!(
            reads
                .iter()
                .any(|e| e.entry.action == "change_person" && e.entry.outcome == Outcome::Allowed)
        );
        assert!(
            reads
                .iter()
                .filter(|e| e.entry.action == "read_person")
                .count()
                >= 3
        );
        assert!(
            yilian_service::audit_trail::verify(&app.store)
                .await
                .unwrap()
                .is_intact()
        );

        // no identifier in clear anywhere in the database
        assert_no_clear_identifiers(&app, &["11010519491231002X", "13812341234", "张三"]).await;
    }
);

/// Reads every text column of the tables that could hold identifiers and checks that none
/// of `clear` is there (a dump of the database shows what these queries show).
async fn assert_no_clear_identifiers(app: &App, clear: &[&str]) {
    let queries = [
        "SELECT resident_id || id_card_hmac || id_card_enc || COALESCE(phone_enc, '') || COALESCE(name_enc, '') FROM person_identity",
        "SELECT actor || role || scope || action || COALESCE(person, '') || purpose || COALESCE(reason, '') || source || CAST(detail AS TEXT) FROM audit_entry",
        "SELECT kind || CAST(payload AS TEXT) || actor FROM event",
    ];
    for q in queries {
        let rows: Vec<(String,)> = yilian_store::with_pool!(&app.store, p => sqlx::query_as(q).fetch_all(p).await.unwrap());
        for (text,) in rows {
            for c in clear {
                assert!(!text.contains(c), "{c} in clear: {text}");
            }
        }
    }
}

yilian_store::dbtest!(break_glass_needs_a_reason_and_is_flagged, |store| {
    let app = spawn_app(store).await;
    let c = cast(&app);
    let doctor = app
        .user_token("doc1", &format!("doctor@institution:{}", c.lead))
        .await;
    let uri = format!("/api/v1/residents/{}/break-glass", c.resident);
    let post = |body: Value| app.send_raw(json_request(Method::POST, &uri, Some(&doctor), &body));
    let r = post(json!({"reason": "   "})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(json!({"reason": "急诊昏迷患者，需查既往史"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["masked"], true);
    let flagged = trail(
        &app,
        SearchFilter {
            flagged: Some(true),
            ..SearchFilter::default()
        },
    )
    .await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(
        flagged[0].entry.reason.as_deref(),
        Some("急诊昏迷患者，需查既往史")
    );
});

yilian_store::dbtest!(
    tokens_expire_and_revoke_and_exports_stay_in_scope,
    |store| {
        let app = spawn_app(store).await;
        let c = cast(&app);
        let fd = app
            .user_token("fd2", &format!("family_doctor@team:{}", c.team))
            .await;
        // an export of the own team works and masks nothing for a family doctor
        let own = app
            .send_raw(request(
                Verb::Get,
                &format!("/api/v1/exports/residents?scope=team:{}", c.team),
                Some(&fd),
            ))
            .await;
        assert_eq!(own.status, StatusCode::OK);
        assert!(own.text().lines().count() > 1);
        // another institution's export: 403, audited
        let other = app
            .send_raw(request(
                Verb::Get,
                &format!(
                    "/api/v1/exports/residents?scope=institution:{}",
                    c.other_institution
                ),
                Some(&fd),
            ))
            .await;
        assert_eq!(other.status, StatusCode::FORBIDDEN);
        let exports = trail(
            &app,
            SearchFilter {
                action: Some("export_persons".into()),
                ..SearchFilter::default()
            },
        )
        .await;
        assert_eq!(
            exports.iter().map(|e| e.entry.outcome).collect::<Vec<_>>(),
            [Outcome::Allowed, Outcome::Denied]
        );

        // revoke through the API: the token stops working at once
        let list = app
            .send_raw(request(Verb::Get, "/api/v1/tokens", Some(&fd)))
            .await
            .json();
        let id = list[0]["id"].as_str().unwrap().to_owned();
        let r = app
            .send_raw(request(
                Verb::Delete,
                &format!("/api/v1/tokens/{id}"),
                Some(&fd),
            ))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = app
            .send_raw(request(Verb::Get, "/api/v1/me", Some(&fd)))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(
            r.json()["error"]["message_en"]
                .as_str()
                .unwrap()
                .contains("revoked")
        );

        // an expired token
        let uid = UserId::parse("fd2").unwrap();
        let past = chrono::Utc::now() - chrono::Duration::days(40);
        let old = yilian_service::auth::create_token(&app.store, &uid, "old", 30, past, "test")
            .await
            .unwrap()
            .unwrap();
        let r = app
            .send_raw(request(Verb::Get, "/api/v1/me", Some(old.secret.reveal())))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(
            r.json()["error"]["message_en"]
                .as_str()
                .unwrap()
                .contains("expired")
        );
    }
);

yilian_store::dbtest!(hostile_input_is_refused_cleanly, |store| {
    let app = spawn_app(store).await;
    // SQL metacharacters in a path id and a query: a 400 or 403, never a 500, nothing lost
    for id in ["x'%20OR%201=1--", "%27%3B%20DROP%20TABLE%20resident%3B--"] {
        let r = app.get(&format!("/api/v1/institutions/{id}")).await;
        assert!(r.status.is_client_error(), "{id}: {}", r.status);
        let r = app.get(&format!("/api/v1/audit-trail?actor={id}")).await;
        assert!(r.status.is_client_error(), "{id}: {}", r.status);
    }
    let (status, list) = app.get_json("/api/v1/institutions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list.as_array().unwrap().len(),
        app.registry().institutions.len()
    );
    // a token name with quotes is stored as text; a very long one is refused
    let post = |body: Value| app.send(json_request(Method::POST, "/api/v1/tokens", None, &body));
    let r = post(json!({"name": "x'); DROP TABLE api_token;--"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = post(json!({"name": "长".repeat(10_000)})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // a body over the limit
    let r = post(json!({"name": "x".repeat(2 << 20)})).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let (_, tokens) = app.get_json("/api/v1/tokens").await;
    assert_eq!(tokens[0]["name"], "x'); DROP TABLE api_token;--");
});

/// A session's cookies from a response, as one `Cookie` header value.
fn cookies(r: &Reply) -> String {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The value of a hidden `csrf` field in a page.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

fn form(uri: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn get_with(uri: &str, cookie: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

yilian_store::dbtest!(console_login_session_csrf_and_lockout, |store| {
    let app = spawn_app(store).await;
    let c = cast(&app);
    app.user_token("fd3", &format!("family_doctor@team:{}", c.team))
        .await;

    let page = app.send_raw(get_with("/login", "")).await;
    assert_eq!(page.status, StatusCode::OK);
    let jar = cookies(&page);
    assert!(
        page.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("HttpOnly")
    );
    let token = csrf_field(&page.text());
    let attempt = |password: &str| {
        let body = format!(
            "csrf={token}&user=fd3&password={}",
            password.replace('!', "%21")
        );
        app.send_raw(form("/login", &jar, &body))
    };
    // without the form's token the login is refused, whatever the password
    let body = format!("user=fd3&password={TEST_PASSWORD}");
    let r = app.send_raw(form("/login", &jar, &body)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // a wrong password: the form again, with an alert, and a denied login in the trail
    let r = attempt("wrong").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text().contains("role=\"alert\""));
    // the right one: a session cookie, HttpOnly and SameSite=Strict, and home
    let ok = attempt(TEST_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let set = ok.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("yilian_session=")
            && set.contains("HttpOnly")
            && set.contains("SameSite=Strict")
    );
    let session = cookies(&ok);
    let home = app.send_raw(get_with("/", &session)).await;
    assert_eq!(home.status, StatusCode::OK);
    let html = home.text();
    assert!(html.contains("data-home=\"family_doctor\""));
    assert!(html.contains("data-nav=\"persons\"") && !html.contains("data-nav=\"users\""));
    // a page the role may not use: 403 with an alert
    let r = app.send_raw(get_with("/users", &session)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("role=\"alert\""));
    // an unsafe request with the session cookie but no CSRF token is refused
    let session_csrf = csrf_field(&html);
    let r = app
        .send_raw(form("/tokens", &session, "name=x&days=5"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .send_raw(form(
            "/tokens",
            &session,
            &format!("csrf={session_csrf}&name=x&days=5"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("yl_"));
    // logout ends the session
    let r = app
        .send_raw(form("/logout", &session, &format!("csrf={session_csrf}")))
        .await;
    assert!(r.status.is_redirection());
    let r = app.send_raw(get_with("/", &session)).await;
    assert_eq!(r.headers[header::LOCATION], "/login");

    // five wrong passwords lock the account, even against the right one
    for _ in 0..5 {
        attempt("wrong").await;
    }
    let r = attempt(TEST_PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text().contains("锁定"));
    let logins = trail(
        &app,
        SearchFilter {
            action: Some("login".into()),
            ..SearchFilter::default()
        },
    )
    .await;
    assert_eq!(
        logins
            .iter()
            .filter(|e| e.entry.outcome == Outcome::Allowed)
            .count(),
        1
    );
    assert_eq!(
        logins
            .iter()
            .filter(|e| e.entry.outcome == Outcome::Denied)
            .count(),
        7
    );
});
