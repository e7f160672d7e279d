//! Calendar dates: [`Date`] (a day count since 1970-01-01), its conversion
//! from and to year, month and day in the proleptic Gregorian calendar, its
//! `YYYY-MM-DD` text form, and the fixed dates of the TPC-H specification.

use core::fmt;

/// A day: the number of days since 1970-01-01 (so `Date(0)` is
/// 1970-01-01). Earlier days are not representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub u32);

/// TPC-H STARTDATE: the first possible order date.
pub const START_DATE: Date = Date::from_ymd(1992, 1, 1);
/// TPC-H CURRENTDATE: lines received by then are returned or accepted,
/// lines shipped after it are still open.
pub const CURRENT_DATE: Date = Date::from_ymd(1995, 6, 17);
/// TPC-H ENDDATE: the last day of the data's seven years.
pub const END_DATE: Date = Date::from_ymd(1998, 12, 31);

/// Days in the 400-year Gregorian cycle.
const DAYS_PER_400_YEARS: u32 = 146_097;

/// Days in the months of a common year before each month (January first).
const DAYS_BEFORE_MONTH: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/// Whether `year` has a 29 February.
const fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

/// Leap years in `1..=year`.
const fn leaps_through(year: u32) -> u32 {
    year / 4 - year / 100 + year / 400
}

/// Days in `year`.
const fn year_days(year: u32) -> u32 {
    if is_leap(year) { 366 } else { 365 }
}

/// Days in month `month` (1..=12) of `year`.
const fn month_days(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// The day `year`-`month`-`day`. Not validated: a month outside 1..=12
    /// is clamped into it, day 0 counts as day 1, a day past the month's
    /// end runs on into the following days, and anything before
    /// 1970-01-01 (or past the last representable day) saturates.
    pub const fn from_ymd(year: u32, month: u32, day: u32) -> Date {
        if year < 1970 {
            return Date(0);
        }
        let years = (year - 1970) as u64;
        let leaps = (leaps_through(year - 1) - leaps_through(1969)) as u64;
        let month = if month < 1 {
            1
        } else if month > 12 {
            12
        } else {
            month
        };
        let mut in_year = DAYS_BEFORE_MONTH[(month - 1) as usize];
        if month > 2 && is_leap(year) {
            in_year += 1;
        }
        let total = years * 365 + leaps + in_year as u64 + day.saturating_sub(1) as u64;
        if total > u32::MAX as u64 {
            Date(u32::MAX)
        } else {
            Date(total as u32)
        }
    }

    /// The year, month (1..=12) and day of the month (1..=31).
    pub const fn to_ymd(self) -> (u32, u32, u32) {
        let mut days = self.0;
        let mut year = 1970 + 400 * (days / DAYS_PER_400_YEARS);
        days %= DAYS_PER_400_YEARS;
        while days >= year_days(year) {
            days -= year_days(year);
            year += 1;
        }
        let mut month = 1;
        while days >= month_days(year, month) {
            days -= month_days(year, month);
            month += 1;
        }
        (year, month, days + 1)
    }

    /// The day `days` later (saturating).
    pub const fn plus(self, days: u32) -> Date {
        Date(self.0.saturating_add(days))
    }

    /// The day `days` earlier (saturating at 1970-01-01).
    pub const fn minus(self, days: u32) -> Date {
        Date(self.0.saturating_sub(days))
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn known_days() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Date(0));
        assert_eq!(Date::from_ymd(1970, 3, 1), Date(59));
        assert_eq!(Date::from_ymd(1972, 3, 1), Date(365 * 2 + 31 + 29));
        assert_eq!(Date::from_ymd(2000, 1, 1), Date(10_957));
        assert_eq!(START_DATE, Date(8035));
        assert_eq!(CURRENT_DATE.to_string(), "1995-06-17");
        assert_eq!(END_DATE.to_string(), "1998-12-31");
        assert_eq!(
            Date::from_ymd(1998, 12, 1).minus(90).to_string(),
            "1998-09-02"
        );
        assert_eq!(Date::from_ymd(1900, 5, 5), Date(0));
        assert_eq!(Date(u32::MAX).plus(1), Date(u32::MAX));
    }

    #[test]
    fn every_day_round_trips_for_a_thousand_years() {
        let mut expected = (1970, 1, 1);
        for n in 0..366 * 1000 {
            let date = Date(n);
            assert_eq!(date.to_ymd(), expected, "day {n}");
            let (y, m, d) = expected;
            assert_eq!(Date::from_ymd(y, m, d), date);
            expected = if d < month_days(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn last_day_has_a_text_form() {
        let (y, m, d) = Date(u32::MAX).to_ymd();
        assert!(y > 11_000_000 && (1..=12).contains(&m) && (1..=31).contains(&d));
        assert_eq!(Date::from_ymd(y, m, d), Date(u32::MAX));
    }
}
