//! Working days (SPEC §8.3): approval time limits count them. Monday to
//! Friday are working days unless the calendar (migration
//! `working_calendar`, kept by city admins) lists a public holiday; a weekend
//! day it lists as worked (调休上班) is one. Counting into a year the
//! calendar does not cover is refused by [`Calendar::add_working_days`];
//! a case's clock, which cannot wait for the State Council's notice, counts
//! such a year's Mondays to Fridays and says its answer is provisional
//! ([`Calendar::count_forward`]).

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use sqlx::PgConnection;

/// The calendar as loaded: its exceptions and the years it covers.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    exceptions: HashMap<NaiveDate, bool>,
    years: BTreeSet<i32>,
}

/// Counting reached a year the calendar does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotCovered(pub i32);

impl std::fmt::Display for NotCovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the working-day calendar does not cover {}", self.0)
    }
}

impl std::error::Error for NotCovered {}

impl Calendar {
    /// A calendar of `years` with these exceptions (day, working).
    pub fn new(
        years: impl IntoIterator<Item = i32>,
        exceptions: impl IntoIterator<Item = (NaiveDate, bool)>,
    ) -> Calendar {
        Calendar {
            exceptions: exceptions.into_iter().collect(),
            years: years.into_iter().collect(),
        }
    }

    /// The calendar as the database holds it.
    pub async fn load(conn: &mut PgConnection) -> Result<Calendar, sqlx::Error> {
        let years = sqlx::query_scalar!("SELECT year FROM calendar_year")
            .fetch_all(&mut *conn)
            .await?;
        let days = sqlx::query!("SELECT day, working FROM calendar_day")
            .fetch_all(conn)
            .await?;
        Ok(Calendar::new(
            years,
            days.into_iter().map(|d| (d.day, d.working)),
        ))
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether `day` is a working day.
    pub fn is_working(&self, day: NaiveDate) -> Result<bool, NotCovered> {
        if !self.covers(day.year()) {
            return Err(NotCovered(day.year()));
        }
        Ok(self
            .exceptions
            .get(&day)
            .copied()
            .unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun)))
    }

    /// The `n`th working day after `start` (the count starts the day after,
    /// as a time limit does after acceptance); `start` itself for 0.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, NotCovered> {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day
                .checked_add_days(Days::new(1))
                .ok_or(NotCovered(day.year()))?;
            if self.is_working(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// Like [`Calendar::add_working_days`], but a year the calendar does not
    /// cover counts Monday to Friday; the answer says whether it had to.
    pub fn count_forward(&self, start: NaiveDate, n: u32) -> Counted {
        let mut day = start;
        let mut left = n;
        let mut provisional = false;
        while left > 0 {
            let Some(next) = day.checked_add_days(Days::new(1)) else {
                break;
            };
            day = next;
            let working = self.is_working(day).unwrap_or_else(|_| {
                provisional = true;
                !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
            });
            if working {
                left -= 1;
            }
        }
        Counted { day, provisional }
    }

    /// Working days after `from` up to and including `to` (0 when `to` is
    /// not after `from`), counted as [`Calendar::count_forward`] counts.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut day = from;
        while day < to {
            let Some(next) = day.checked_add_days(Days::new(1)) else {
                break;
            };
            day = next;
            if self
                .is_working(day)
                .unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
            {
                n += 1;
            }
        }
        n
    }
}

/// A day counted forward, and whether a year without holidays on record
/// was counted as Mondays to Fridays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub day: NaiveDate,
    pub provisional: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// 2025's 春节 and 劳动节 as the State Council announced them.
    fn cal_2025() -> Calendar {
        let mut ex: Vec<(NaiveDate, bool)> = [
            "2025-01-28",
            "2025-01-29",
            "2025-01-30",
            "2025-01-31",
            "2025-02-03",
            "2025-02-04",
            "2025-05-01",
            "2025-05-02",
            "2025-05-05",
        ]
        .iter()
        .map(|s| (d(s), false))
        .collect();
        ex.extend(
            ["2025-01-26", "2025-02-08", "2025-04-27"]
                .iter()
                .map(|s| (d(s), true)),
        );
        Calendar::new([2025], ex)
    }

    #[test]
    fn weekends_holidays_and_worked_weekends() {
        let c = cal_2025();
        assert!(c.is_working(d("2025-01-27")).unwrap()); // Monday
        assert!(!c.is_working(d("2025-01-25")).unwrap()); // Saturday
        assert!(c.is_working(d("2025-01-26")).unwrap()); // a worked Sunday
        assert!(!c.is_working(d("2025-01-29")).unwrap()); // 春节
        assert_eq!(c.is_working(d("2024-12-31")), Err(NotCovered(2024)));
    }

    #[test]
    fn counting_starts_the_day_after() {
        let c = cal_2025();
        assert_eq!(
            c.add_working_days(d("2025-01-20"), 20).unwrap(),
            d("2025-02-21")
        );
        assert_eq!(
            c.add_working_days(d("2025-04-30"), 3).unwrap(),
            d("2025-05-08")
        );
        assert_eq!(
            c.add_working_days(d("2025-04-30"), 0).unwrap(),
            d("2025-04-30")
        );
        assert_eq!(
            c.add_working_days(d("2025-12-30"), 5),
            Err(NotCovered(2026))
        );
    }

    #[test]
    fn a_year_not_on_record_counts_weekdays_and_says_so() {
        let c = cal_2025();
        // Within 2025: exact, as add_working_days.
        assert_eq!(
            c.count_forward(d("2025-01-20"), 20),
            Counted {
                day: d("2025-02-21"),
                provisional: false
            }
        );
        // 2025-12-30 (Tuesday) + 5: 31st, then 2026 (not on record) Mon–Fri.
        assert_eq!(
            c.count_forward(d("2025-12-30"), 5),
            Counted {
                day: d("2026-01-06"),
                provisional: true
            }
        );
        assert_eq!(c.working_days_between(d("2025-01-24"), d("2025-02-05")), 3);
        assert_eq!(c.working_days_between(d("2025-02-05"), d("2025-01-24")), 0);
    }

    proptest::proptest! {
        /// A deadline (at least one working day on) never lands on a day
        /// that is not a working day, and counting back the days between
        /// gives the count.
        #[test]
        fn a_deadline_is_always_a_working_day(start in 0u32..365, n in 1u32..60) {
            let c = cal_2025();
            let from = d("2025-01-01") + chrono::Days::new(u64::from(start));
            let counted = c.count_forward(from, n);
            let working = c
                .is_working(counted.day)
                .unwrap_or(!matches!(counted.day.weekday(), Weekday::Sat | Weekday::Sun));
            proptest::prop_assert!(working);
            proptest::prop_assert_eq!(c.working_days_between(from, counted.day), n);
        }
    }
}
