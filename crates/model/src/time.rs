//! Time types: everything is stored in UTC and shown in Asia/Ho_Chi_Minh.
//!
//! Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact
//! for every date the product deals with and no time-zone database is needed.

use chrono::{DateTime, FixedOffset, Utc};

/// A point in time, always UTC.
pub type Timestamp = DateTime<Utc>;

/// The offset of Asia/Ho_Chi_Minh (UTC+7).
pub const VN_OFFSET: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// Converts a UTC timestamp to Vietnamese local time for display.
pub fn to_vn_time(ts: Timestamp) -> DateTime<FixedOffset> {
    ts.with_timezone(&VN_OFFSET)
}
