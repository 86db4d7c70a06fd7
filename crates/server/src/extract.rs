//! Our own `Json`, `Query` and `Path` extractors: axum's, with their rejections turned
//! into [`ApiError`], so that a malformed body or query string gets the same error body
//! as every other failure instead of axum's plain text. Also [`GeoJson`], a JSON response
//! with GeoJSON's own media type.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A JSON body in, or a JSON response out.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Json<T>(pub(crate) T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            // by status rather than by variant: the body limit surfaces as a bytes
            // rejection whose status is 413
            Err(r) => Err(match r.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
                _ => ApiError::InvalidJson(r.body_text()),
            }),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A form body (`application/x-www-form-urlencoded`), the console's forms.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Form<T>(pub(crate) T);

impl<S, T> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(r) => Err(match r.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                _ => {
                    let detail = r.body_text();
                    ApiError::invalid("form", format!("表单无法解析：{detail}"), detail)
                }
            }),
        }
    }
}

/// Query parameters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Query<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|r| {
                let detail = r.body_text();
                ApiError::invalid("query", format!("查询参数无法解析：{detail}"), detail)
            })
    }
}

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Path<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|r| {
                let detail = r.body_text();
                ApiError::invalid("path", format!("路径参数无法解析：{detail}"), detail)
            })
    }
}

/// A GeoJSON response, served as `application/geo+json` (RFC 7946 §12) so that GIS
/// clients recognise it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GeoJson<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for GeoJson<T> {
    fn into_response(self) -> Response {
        let mut response = axum::Json(self.0).into_response();
        if response.status().is_success() {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/geo+json"),
            );
        }
        response
    }
}
