//! Times in responses are RFC 3339 with the +08:00 offset (SPEC §3).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// `2026-11-22T09:30:00+08:00`
pub fn to_china(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&china())
}

/// Today's date in China (what ages and "not in the future" are measured against).
pub fn today_in_china() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}
