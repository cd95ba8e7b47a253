//! Times in responses are RFC 3339 with the +08:00 offset (SPEC §3).

use crate::codes;
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

/// Midnight starting the China day `d`, in UTC.
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(china())
        .single()
        .expect("a fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// The earliest and latest days a date parameter may name. Beyond them no
/// record exists, and chrono's arithmetic at its own limits (±262,143)
/// would overflow.
pub fn earliest_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).expect("a real date")
}
pub fn latest_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 30).expect("a real date")
}

/// 400 naming `field` unless `d` lies within [`earliest_day`]..=[`latest_day`].
pub fn check_day(field: &str, d: NaiveDate) -> Result<NaiveDate, crate::ApiError> {
    if d < earliest_day() || d > latest_day() {
        return Err(
            crate::ApiError::bad_request(codes::INVALID_PARAMETER, "日期超出范围").field(
                field,
                codes::INVALID_RANGE,
                "日期应在 1900-01-01 至 9999-12-30 之间",
            ),
        );
    }
    Ok(d)
}

/// A half-open UTC interval; either end may be open.
pub type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The `from`/`to` query parameters of a list (China days, both inclusive)
/// as a half-open UTC interval; 400 when `from` is after `to` or either lies
/// outside the days [`check_day`] admits.
pub fn day_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<TimeRange, crate::ApiError> {
    let from = from.map(|d| check_day("from", d)).transpose()?;
    let to = to.map(|d| check_day("to", d)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(crate::ApiError::bad_request(
            codes::INVALID_PARAMETER,
            "起始日期不能晚于结束日期",
        )
        .field("from", codes::INVALID_RANGE, "起始日期不能晚于结束日期"));
    }
    Ok((
        from.map(day_start),
        to.and_then(|d| d.succ_opt()).map(day_start),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_china_day_starts_at_16_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(day_start(d).to_rfc3339(), "2026-11-21T16:00:00+00:00");
        let (f, t) = day_range(Some(d), Some(d)).unwrap();
        assert_eq!(t.unwrap() - f.unwrap(), chrono::Duration::days(1));
        assert!(day_range(Some(d), d.pred_opt()).is_err());
        for extreme in [NaiveDate::MIN, NaiveDate::MAX] {
            let e = day_range(Some(extreme), None).unwrap_err();
            assert_eq!(
                (e.status.as_u16(), e.errors[0].field.as_str()),
                (400, "from")
            );
            assert!(day_range(None, Some(extreme)).is_err());
        }
        assert!(day_range(Some(latest_day()), Some(latest_day())).is_ok());
    }
}
