//! The server's one error type (STYLE 5). Handlers return `Result<_, ApiError>` and use
//! `?` on service and store calls; [`ApiError::status`] is the one place a failure gets
//! its HTTP status. Every error body has the same shape,
//! `{"error": {"code", "message_zh", "message_en"}}` (a policy rejection adds the
//! `findings`), whether it came from a handler, an extractor, the router or a panic.
//!
//! A 5xx body says nothing about its cause: the cause travels in a response extension to
//! [`log_causes`], which logs it inside the request's span, so a database message never
//! reaches a client and every failure reaches the log.

use crate::dto::audit::FindingDto;
use crate::limits::BODY_BYTES_MAX;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::any::Any;
use std::fmt::Display;
use utoipa::ToSchema;
use yilian_domain::policy::Finding;
use yilian_domain::registry::CodeError;
use yilian_service::ServiceError;
use yilian_store::StoreError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A path segment, query parameter or body field does not parse into its domain type.
    #[error("invalid {field}: {en}")]
    InvalidField {
        /// Where (`members[2].role`, `limit`).
        field: String,
        /// Why, in Chinese.
        zh: String,
        /// Why, in English.
        en: String,
    },
    /// The body is not JSON, or not of the expected shape.
    #[error("invalid JSON body: {0}")]
    InvalidJson(String),
    /// The body is not declared as JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body is larger than the limit (1 MiB).
    #[error("body larger than {BODY_BYTES_MAX} bytes")]
    PayloadTooLarge,
    /// A referenced thing does not exist.
    #[error("{what} '{id}' not found")]
    NotFound {
        /// What kind of thing (`institution`, `grid`, `consortium`).
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// No route has this path.
    #[error("no such route")]
    NoRoute,
    /// The route exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// No valid session or token came with a request that needs one.
    #[error("not signed in")]
    Unauthenticated(Option<yilian_service::auth::CredentialError>),
    /// The access policy denies it (the refusal is in the audit trail).
    #[error("forbidden: {0}")]
    Forbidden(yilian_domain::access::DenyReason),
    /// A cookie-authenticated unsafe request without its session's CSRF token.
    #[error("missing or wrong CSRF token")]
    Csrf,
    /// It conflicts with what is stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A "must" rule would break; nothing was stored. The findings name the rules.
    #[error("rejected by policy")]
    Rejected(Vec<Finding>),
    /// Our fault or the database's; the cause is logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    /// A field that did not parse, with the reason in both languages.
    pub(crate) fn invalid(
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ApiError::InvalidField {
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// A field that did not parse, the reason being a domain error whose message follows
    /// the domain's convention `english / 中文`.
    pub(crate) fn invalid_because(field: impl Into<String>, e: &impl Display) -> Self {
        let (zh, en) = bilingual(e);
        ApiError::invalid(field, zh, en)
    }

    /// A code that is not one of its enumeration's values, with the accepted ones listed.
    pub(crate) fn invalid_code(field: impl Into<String>, e: &CodeError) -> Self {
        ApiError::invalid(
            field,
            format!("未知取值 '{}'，可选值：{}", e.value, e.expected),
            format!(
                "unknown value '{}'; expected one of: {}",
                e.value, e.expected
            ),
        )
    }

    /// The HTTP status: the one match that decides it.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidField { .. } | ApiError::InvalidJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound { .. } | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::NotFound { .. } => "not_found",
            ApiError::NoRoute => "no_route",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Csrf => "csrf",
            ApiError::Conflict(_) => "conflict",
            ApiError::Rejected(_) => "policy_rejected",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The message in Chinese and in English.
    pub(crate) fn messages(&self) -> (String, String) {
        match self {
            ApiError::InvalidField { field, zh, en } => (
                format!("字段 {field} 无效：{zh}"),
                format!("invalid {field}: {en}"),
            ),
            ApiError::InvalidJson(detail) => (
                format!("请求体不是有效的 JSON，或字段缺失、类型不符：{detail}"),
                format!(
                    "the body is not valid JSON, or a field is missing or of the wrong type: {detail}"
                ),
            ),
            ApiError::UnsupportedMediaType => (
                "请求体须为 JSON（Content-Type: application/json）".to_owned(),
                "the body must be JSON (Content-Type: application/json)".to_owned(),
            ),
            ApiError::PayloadTooLarge => (
                format!("请求体超过 {BODY_BYTES_MAX} 字节的上限"),
                format!("the body is larger than the limit of {BODY_BYTES_MAX} bytes"),
            ),
            ApiError::NotFound { what, id } => (
                format!("未找到{} '{id}'", what_zh(what)),
                format!("{what} '{id}' not found"),
            ),
            ApiError::NoRoute => ("没有这个地址".to_owned(), "no such route".to_owned()),
            ApiError::MethodNotAllowed => (
                "该地址不支持此请求方法".to_owned(),
                "this route does not allow this method".to_owned(),
            ),
            ApiError::Unauthenticated(cause) => {
                let (zh, en) = cause.map_or_else(
                    || ("未登录".to_owned(), "not signed in".to_owned()),
                    |c| bilingual(&c),
                );
                (
                    format!("请先登录（会话 Cookie 或 Authorization: Bearer 令牌）：{zh}"),
                    format!("sign in first (session cookie or Authorization: Bearer token): {en}"),
                )
            }
            ApiError::Forbidden(reason) => {
                let (zh, en) = bilingual(reason);
                (format!("无权访问：{zh}"), format!("forbidden: {en}"))
            }
            ApiError::Csrf => (
                "缺少或错误的 CSRF 令牌，请刷新页面后重试".to_owned(),
                "missing or wrong CSRF token; reload the page and try again".to_owned(),
            ),
            ApiError::Conflict(text) => bilingual(text),
            ApiError::Rejected(findings) => {
                let rules = rule_list(findings);
                (
                    format!("违反必须遵守的政策规则（{rules}），未作任何更改"),
                    format!("a must-rule would break ({rules}); nothing was stored"),
                )
            }
            ApiError::Internal(_) => (
                "服务器内部错误，已记录日志".to_owned(),
                "internal server error; it has been logged".to_owned(),
            ),
        }
    }
}

/// The rules that broke at error level, each once, in report order.
fn rule_list(findings: &[Finding]) -> String {
    let mut rules: Vec<_> = findings
        .iter()
        .filter(|f| f.is_error())
        .map(|f| f.rule)
        .collect();
    rules.sort();
    rules.dedup();
    rules
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Chinese for the kinds of thing the service layer reports missing.
fn what_zh(what: &str) -> &str {
    match what {
        "institution" => "机构",
        "grid" => "网格",
        "consortium" => "医联体",
        "membership consortium" => "成员关系所属医联体",
        "profile" => "政策规范",
        "webhook" => "推送地址",
        "dead letter" => "失败推送",
        other => other,
    }
}

/// Splits a domain error message written `english / 中文` into (中文, english); a message
/// without the separator is used for both.
pub(crate) fn bilingual(e: &impl Display) -> (String, String) {
    let s = e.to_string();
    match s.rsplit_once(" / ") {
        Some((en, zh)) => (zh.to_owned(), en.to_owned()),
        None => (s.clone(), s),
    }
}

/// The error part of every error body.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorInfo {
    /// Stable machine-readable code (`invalid_field`, `not_found`, `policy_rejected` …).
    #[schema(example = "not_found")]
    code: &'static str,
    /// The message in Chinese.
    message_zh: String,
    /// The message in English.
    message_en: String,
}

/// Every error response but a policy rejection.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong.
    error: ErrorInfo,
}

/// A policy rejection (422): the error, and the findings of the check that refused it,
/// in the same JSON as the audit's.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RejectionBody {
    /// What went wrong (`policy_rejected`).
    error: ErrorInfo,
    /// Every finding of the check, errors and warnings, in report order.
    findings: Vec<FindingDto>,
}

/// The cause of a 5xx, carried from [`ApiError::into_response`] to [`log_causes`].
#[derive(Debug, Clone)]
struct ErrorCause(String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (message_zh, message_en) = self.messages();
        let error = ErrorInfo {
            code: self.code(),
            message_zh,
            message_en,
        };
        match self {
            ApiError::Rejected(findings) => {
                let findings = findings.into_iter().map(FindingDto::from).collect();
                (status, axum::Json(RejectionBody { error, findings })).into_response()
            }
            ApiError::Internal(cause) => {
                let mut response = (status, axum::Json(ErrorBody { error })).into_response();
                response.extensions_mut().insert(ErrorCause(cause));
                response
            }
            _ => (status, axum::Json(ErrorBody { error })).into_response(),
        }
    }
}

/// Logs the cause of every failed request that carries one, inside the request's span
/// (method and route template: no query string, no body).
pub(crate) async fn log_causes(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if let Some(ErrorCause(cause)) = response.extensions().get::<ErrorCause>() {
        tracing::error!(status = response.status().as_u16(), %cause, "request failed");
    }
    response
}

/// What a panicking handler answers: our 500 body, the panic message kept for the log.
/// (tower-http hands the payload over by value.)
#[allow(clippy::needless_pass_by_value)]
pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    };
    ApiError::Internal(format!("handler panicked: {message}")).into_response()
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Rejected(findings) => ApiError::Rejected(findings),
            ServiceError::NotFound { what, id } => ApiError::NotFound { what, id },
            ServiceError::Input(_) => ApiError::invalid_because("body", &e),
            ServiceError::Conflict(text) => ApiError::Conflict(text),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is how a test reports
mod tests {
    use super::*;

    #[test]
    fn domain_messages_split_into_both_languages() {
        let e = yilian_domain::registry::Level::new(7).unwrap_err();
        let (zh, en) = bilingual(&e);
        assert_eq!(en, "level 7 is not 0–3");
        assert_eq!(zh, "医院等级 7 不在 0–3 之间");
    }

    async fn body_of(r: Response) -> String {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn error_bodies_are_pinned() {
        let not_found = ApiError::NotFound {
            what: "grid",
            id: "G9".into(),
        }
        .into_response();
        assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
        insta::assert_snapshot!(body_of(not_found).await, @r#"{"error":{"code":"not_found","message_zh":"未找到网格 'G9'","message_en":"grid 'G9' not found"}}"#);
        let invalid = ApiError::invalid(
            "limit",
            "每页条数须在 1–500 之间，收到 900",
            "limit must be 1–500, got 900",
        );
        insta::assert_snapshot!(body_of(invalid.into_response()).await, @r#"{"error":{"code":"invalid_field","message_zh":"字段 limit 无效：每页条数须在 1–500 之间，收到 900","message_en":"invalid limit: limit must be 1–500, got 900"}}"#);
        let internal =
            ApiError::Internal("database: password authentication failed".into()).into_response();
        insta::assert_snapshot!(body_of(internal).await, @r#"{"error":{"code":"internal","message_zh":"服务器内部错误，已记录日志","message_en":"internal server error; it has been logged"}}"#);
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_our_500() {
        use tower::ServiceExt;
        async fn boom() -> &'static str {
            panic!("BUG: boom")
        }
        let app = axum::Router::new()
            .route("/boom", axum::routing::get(boom))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_response,
            ));
        let req = axum::http::Request::get("/boom")
            .body(axum::body::Body::empty())
            .unwrap();
        let r = app.oneshot(req).await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let cause = r.extensions().get::<ErrorCause>().unwrap().0.clone();
        assert!(cause.contains("BUG: boom"), "{cause}");
        let body = body_of(r).await;
        assert!(
            body.contains("\"code\":\"internal\"") && !body.contains("boom"),
            "{body}"
        );
    }

    #[test]
    fn five_hundreds_hide_their_cause_but_keep_it_for_the_log() {
        let r =
            ApiError::Internal("database: connection refused at 10.0.0.5".into()).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let cause = r.extensions().get::<ErrorCause>().unwrap();
        assert!(cause.0.contains("10.0.0.5"));
    }
}
