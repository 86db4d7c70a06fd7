//! What the API sends and accepts. The domain types live in another crate and carry no
//! OpenAPI schema (the core stays free of web concerns), so each has a DTO here with
//! `ToSchema` and a conversion; the JSON the DTOs produce is what the document describes.

pub(crate) mod audit;
pub(crate) mod events;
pub(crate) mod registry;
pub(crate) mod residents;

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// A string schema whose values are `codes`: the enumerations' codes come from the
/// domain's own tables (`InstitutionKind::ALL` …), so the document cannot fall behind.
pub(crate) fn code_schema<'a>(
    description: &str,
    codes: impl IntoIterator<Item = &'a str>,
) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(codes))
        .build()
}
