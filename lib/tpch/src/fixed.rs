//! Decimal text for integer money and fractions: exact division with
//! rounding half up, and numbers in hundredths written with two decimals.
//! Used by the queries' answer lines.

use core::fmt;

/// `n / d` rounded to the nearest integer, halves up (0 if `d` is 0).
pub(crate) fn div_round(n: u128, d: u128) -> u128 {
    if d == 0 {
        return 0;
    }
    let (q, r) = (n / d, n % d);
    if r >= d - r { q + 1 } else { q }
}

/// Writes `hundredths` / 100 with exactly two decimals (`12345` → `123.45`).
pub(crate) fn write_hundredths(f: &mut fmt::Formatter<'_>, hundredths: u128) -> fmt::Result {
    write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_up() {
        assert_eq!(div_round(12345, 100), 123);
        assert_eq!(div_round(12350, 100), 124);
        assert_eq!(div_round(12349, 100), 123);
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(1, 3), 0);
        assert_eq!(div_round(2, 3), 1);
        assert_eq!(div_round(7, 0), 0);
        assert_eq!(div_round(u128::MAX, u128::MAX), 1);
        assert_eq!(div_round(u128::MAX, 2), u128::MAX / 2 + 1);
    }
}
