//! Notices through the API (issue 4, item 7): each party's feed from a cursor, the live
//! feed over Server-Sent Events with its resumption, and an institution's webhooks with
//! the dead-letter list.

use crate::helpers::{App, error_code, spawn_app};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tower::ServiceExt;
use yilian_service::notice::settle;
use yilian_service::webhook::{Delivery, deliver_due};

/// Long enough for the other tests' transactions on the shared test cluster to end.
const WAIT: Duration = Duration::from_secs(30);

/// The first group's lead, its busiest member team, the team's host and a signed resident.
fn cast(app: &App) -> (String, String, String, Vec<String>) {
    let (team, people) = app.busiest_member_team();
    (
        app.groups()[0].lead.to_string(),
        team.id.to_string(),
        team.institution_id.to_string(),
        people,
    )
}

/// The family doctor `fd` refers `person` up to `to` as referral `id`; the projector
/// then brings the feeds up to date.
async fn refer(app: &App, fd: &str, id: &str, person: &str, to: &str) {
    let body = json!({
        "id": id, "resident_id": person, "to_institution_id": to,
        "direction": "up", "urgency": "routine", "reason": "BP not at target twice"
    });
    let (s, b) = app
        .call(fd, Method::POST, "/api/v1/referrals", Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    settle(&app.store, WAIT).await.unwrap();
}

/// A request whose success has no body: its status.
async fn status(app: &App, token: &str, method: Method, uri: &str) -> StatusCode {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    app.send_raw(req).await.status
}

fn kinds(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n["stream"].as_str().unwrap(),
                n["kind"].as_str().unwrap()
            )
        })
        .collect()
}

yilian_store::dbtest!(each_end_of_a_referral_reads_it_in_its_feed, |store| {
    let app = spawn_app(store).await;
    let (lead, team, host, people) = cast(&app);
    let fd = app
        .user_token("fd1", &format!("family_doctor@team:{team}"))
        .await;
    let desk = app
        .user_token("desk1", &format!("referral_desk@institution:{lead}"))
        .await;
    let doctor = app
        .user_token("doc1", &format!("doctor@institution:{host}"))
        .await;
    let auditor = app.user_token("aud1", "auditor@city").await;
    refer(&app, &fd, "F1", &people[0], &lead).await;
    refer(&app, &fd, "F2", &people[1], &lead).await;

    let (s, page) = app.call(&desk, Method::GET, "/api/v1/feed", None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(
        kinds(&page),
        [
            "referral/F1 ReferralRequested",
            "referral/F2 ReferralRequested"
        ]
    );
    assert_eq!(page["items"][0]["audience"], format!("institution:{lead}"));
    // the referrer's institution reads the same, in its own feed
    let (_, page) = app.call(&doctor, Method::GET, "/api/v1/feed", None).await;
    assert_eq!(kinds(&page).len(), 2);
    assert_eq!(page["items"][0]["audience"], format!("institution:{host}"));
    // page by page from a cursor, and again from the same cursor (replayable)
    let (_, first) = app
        .call(&desk, Method::GET, "/api/v1/feed?limit=1", None)
        .await;
    assert_eq!(
        (first["more"].as_bool(), kinds(&first).len()),
        (Some(true), 1)
    );
    let next = format!("/api/v1/feed?after={}", first["next"]);
    for _ in 0..2 {
        let (_, rest) = app.call(&desk, Method::GET, &next, None).await;
        assert_eq!(kinds(&rest), ["referral/F2 ReferralRequested"]);
        assert_eq!(rest["more"], false);
    }
    // a team's feed has what names the team: no referral event does yet
    let (s, page) = app.call(&fd, Method::GET, "/api/v1/feed", None).await;
    assert_eq!((s, kinds(&page).len()), (StatusCode::OK, 0));
    // no feed for an auditor; bad cursors are named
    let (s, body) = app.call(&auditor, Method::GET, "/api/v1/feed", None).await;
    assert_eq!(
        (s, error_code(&body).as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    for bad in ["after=-1", "limit=0", "limit=501"] {
        let (s, body) = app
            .call(&desk, Method::GET, &format!("/api/v1/feed?{bad}"), None)
            .await;
        assert_eq!(
            (s, error_code(&body).as_str()),
            (StatusCode::BAD_REQUEST, "invalid_field"),
            "{bad}"
        );
    }
});

/// Reads the event stream until `n` notices have come; their ids and kinds.
async fn notices(body: Body, n: usize) -> Vec<(i64, String)> {
    let mut stream = body.into_data_stream();
    let mut text = String::new();
    let mut got = Vec::new();
    while got.len() < n {
        let chunk = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("a notice within the wait")
            .expect("the stream goes on")
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(str::to_owned))
            };
            if field("event: ").as_deref() == Some("notice") {
                let data: Value = serde_json::from_str(&field("data: ").unwrap()).unwrap();
                let id: i64 = field("id: ").unwrap().parse().unwrap();
                assert_eq!(data["notice_id"], id);
                got.push((id, data["kind"].as_str().unwrap().to_owned()));
            }
        }
    }
    got
}

fn stream_request(token: &str, last_event_id: Option<i64>) -> Request<Body> {
    let mut req = Request::get("/api/v1/feed/stream")
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    req.body(Body::empty()).unwrap()
}

yilian_store::dbtest!(
    the_live_feed_pushes_new_notices_and_resumes_after_the_last_seen,
    |store| {
        let app = spawn_app(store).await;
        let (lead, team, _, people) = cast(&app);
        let fd = app
            .user_token("fd2", &format!("family_doctor@team:{team}"))
            .await;
        let desk = app
            .user_token("desk2", &format!("referral_desk@institution:{lead}"))
            .await;
        // connected before anything happened: the referral is pushed as it is projected
        let res = app
            .router
            .clone()
            .oneshot(stream_request(&desk, None))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
        refer(&app, &fd, "F1", &people[0], &lead).await;
        let first = notices(res.into_body(), 1).await;
        assert_eq!(first[0].1, "ReferralRequested");
        // a reconnection with Last-Event-ID gets what came after it, and only that
        refer(&app, &fd, "F2", &people[1], &lead).await;
        let res = app
            .router
            .clone()
            .oneshot(stream_request(&desk, Some(first[0].0)))
            .await
            .unwrap();
        let resumed = notices(res.into_body(), 1).await;
        assert!(resumed[0].0 > first[0].0);
        // from the start: both
        let res = app
            .router
            .clone()
            .oneshot(stream_request(&desk, Some(0)))
            .await
            .unwrap();
        assert_eq!(
            notices(res.into_body(), 2).await,
            [first[0].clone(), resumed[0].clone()]
        );
        // a Last-Event-ID that is not a notice id is named
        let mut req = stream_request(&desk, None);
        req.headers_mut()
            .insert("Last-Event-ID", "yesterday".parse().unwrap());
        let r = app.send_raw(req).await;
        assert_eq!(
            (r.status, error_code(&r.json()).as_str()),
            (StatusCode::BAD_REQUEST, "invalid_field")
        );
    }
);

yilian_store::dbtest!(
    a_desk_subscribes_a_webhook_and_retries_its_dead_letters,
    |store| {
        let app = spawn_app(store).await;
        let (lead, team, _, people) = cast(&app);
        let fd = app
            .user_token("fd3", &format!("family_doctor@team:{team}"))
            .await;
        let desk = app
            .user_token("desk3", &format!("referral_desk@institution:{lead}"))
            .await;
        let hooks = "/api/v1/webhooks";
        for (body, field) in [
            (json!({"url": "https://his.local/hook"}), "url"),
            (
                json!({"url": "http://his.local/hook", "kinds": ["referral_rejected"]}),
                "kinds",
            ),
        ] {
            let (s, b) = app.call(&desk, Method::POST, hooks, Some(body)).await;
            assert_eq!(
                (s, error_code(&b).as_str()),
                (StatusCode::BAD_REQUEST, "invalid_field")
            );
            assert!(
                b["error"]["message_en"].as_str().unwrap().contains(field),
                "{b}"
            );
        }
        let (s, b) = app
            .call(&fd, Method::POST, hooks, Some(json!({"url": "http://h/x"})))
            .await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (StatusCode::FORBIDDEN, "forbidden")
        );
        // nothing listens on the discard port: every try fails
        let (s, made) = app
            .call(
                &desk,
                Method::POST,
                hooks,
                Some(json!({"url": "http://127.0.0.1:9/hook"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        assert_eq!(made["secret"].as_str().unwrap().len(), 64);
        let (_, list) = app.call(&desk, Method::GET, hooks, None).await;
        assert_eq!(list[0]["webhook_id"], made["webhook_id"]);
        assert!(list[0].get("secret").is_none(), "the secret is shown once");

        refer(&app, &fd, "F1", &people[0], &lead).await;
        let once = Delivery {
            backoff: yilian_domain::notice::Backoff {
                attempts_max: 1,
                ..Delivery::DEFAULT.backoff
            },
            ..Delivery::DEFAULT
        };
        let round = deliver_due(&app.store, &app.keyring, &once, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(round.dead, 1);
        let dead_letters = "/api/v1/webhooks/dead-letters";
        let (_, dead) = app.call(&desk, Method::GET, dead_letters, None).await;
        assert_eq!(dead[0]["kind"], "ReferralRequested");
        assert!(
            dead[0]["last_error"].as_str().unwrap().contains("connect"),
            "{dead}"
        );
        let retry = format!("{dead_letters}/{}/retry", dead[0]["delivery_id"]);
        assert_eq!(
            status(&app, &desk, Method::POST, &retry).await,
            StatusCode::NO_CONTENT
        );
        let (_, dead) = app.call(&desk, Method::GET, dead_letters, None).await;
        assert_eq!(dead, json!([]));
        let (s, b) = app.call(&desk, Method::POST, &retry, None).await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (StatusCode::NOT_FOUND, "not_found")
        );
        let (s, b) = app
            .call(
                &desk,
                Method::POST,
                &format!("{dead_letters}/x/retry"),
                None,
            )
            .await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (StatusCode::BAD_REQUEST, "invalid_field")
        );
        // the desk's feed says the webhook failed
        settle(&app.store, WAIT).await.unwrap();
        let (_, page) = app.call(&desk, Method::GET, "/api/v1/feed", None).await;
        assert!(
            kinds(&page)
                .iter()
                .any(|k| k.ends_with("WebhookDeadLettered")),
            "{page}"
        );

        let one = format!("{hooks}/{}", made["webhook_id"].as_str().unwrap());
        assert_eq!(
            status(&app, &desk, Method::DELETE, &one).await,
            StatusCode::NO_CONTENT
        );
        let (s, b) = app.call(&desk, Method::DELETE, &one, None).await;
        assert_eq!(
            (s, error_code(&b).as_str()),
            (StatusCode::NOT_FOUND, "not_found")
        );
    }
);
