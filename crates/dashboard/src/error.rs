//! Who is at fault: bad input is the client's (shown, not logged), everything else is
//! ours (logged in full, shown as a generic message).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error a handler returns.
#[derive(Debug)]
pub(crate) enum AppError {
    /// The request is wrong; the message is safe to show.
    BadRequest(String),
    /// Nothing there.
    NotFound,
    /// Too many attempts.
    TooManyRequests,
    /// A CSRF token did not match.
    Forbidden,
    /// The user's role does not allow it.
    NotPermitted,
    /// Busy for now; the message is safe to show.
    Unavailable(String),
    /// Our fault.
    Internal(String),
}

impl From<store::Error> for AppError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::NotFound(_) => AppError::NotFound,
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<search::Error> for AppError {
    fn from(e: search::Error) -> Self {
        match e {
            search::Error::Query(q) => {
                AppError::BadRequest(format!("câu truy vấn không hợp lệ: {}", q.message))
            }
            search::Error::Page(m) => AppError::BadRequest(m),
            e @ (search::Error::TooExpensive { .. } | search::Error::TooCostly) => {
                AppError::BadRequest(format!("Câu truy vấn quá tốn kém, hãy thu hẹp lại ({e})."))
            }
            search::Error::Cancelled => {
                AppError::Unavailable("the search was cancelled".to_owned())
            }
            search::Error::Busy { .. } => AppError::Unavailable(
                "Chỉ mục tìm kiếm đang được xây dựng lại, vui lòng thử lại sau.".to_owned(),
            ),
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            AppError::NotFound => (StatusCode::NOT_FOUND, "Không tìm thấy.".to_owned()),
            AppError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "Quá nhiều lần thử. Vui lòng thử lại sau.".to_owned(),
            ),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Phiên làm việc không hợp lệ, hãy tải lại trang.".to_owned(),
            ),
            AppError::NotPermitted => (
                StatusCode::FORBIDDEN,
                "Tài khoản của bạn không có quyền thực hiện việc này.".to_owned(),
            ),
            AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "Request failed.");
                (StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống.".to_owned())
            }
        };
        (status, [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], message)
            .into_response()
    }
}
