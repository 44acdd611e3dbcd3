//! The OpenAPI 3.1 description of the JSON API, served at `GET /api/v1/openapi.json`.
//!
//! It is readable without a token: it says what the API offers and how to ask, nothing about
//! the data, and a client needs it before it has a token to use. The description is a file
//! checked in beside the crate and compiled in, so the server answers exactly what the route
//! table test compares with the routes.

use axum::http::header;
use axum::response::IntoResponse;

/// The description, as checked in.
const DESCRIPTION: &str = include_str!("../openapi.json");

/// `GET /api/v1/openapi.json`.
pub(crate) async fn description() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DESCRIPTION)
}
