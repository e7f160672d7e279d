//! The answers' text form: two decimals, exact where the integers allow,
//! otherwise rounded to the nearest hundredth with halves up.

use std::string::{String, ToString};

use crate::{Q1, Q1Group, Q6};

fn q6_text(revenue: u128) -> String {
    Q6 { revenue, rows: 1 }.to_string()
}

#[test]
fn q6_revenue_has_two_decimals() {
    // Revenue is in hundredths of a cent: 12345 is 1.2345.
    assert_eq!(q6_text(12_345), "1.23");
    assert_eq!(q6_text(12_349), "1.23");
    assert_eq!(q6_text(12_350), "1.24");
    assert_eq!(q6_text(0), "0.00");
    assert_eq!(q6_text(49), "0.00");
    assert_eq!(q6_text(50), "0.01");
    assert_eq!(q6_text(9_950), "1.00");
    assert_eq!(q6_text(1_231_410_782_345), "123141078.23");
}

#[test]
fn q1_lines_in_answer_style() {
    let group = Q1Group {
        returnflag: b'A',
        linestatus: b'F',
        sum_qty: 3,
        sum_base_price: 1000,   // 10.00
        sum_disc_price: 12_345, // 1.2345
        sum_charge: 1_234_567,  // 1.234567
        sum_disc: 5,            // 0.05 over 2 lines: 0.025
        count: 2,
    };
    let other = Q1Group {
        returnflag: b'R',
        linestatus: b'F',
        sum_qty: 37_734_107,
        sum_base_price: 5_658_655_440_073,
        sum_disc_price: 537_582_571_348_750,
        sum_charge: 55_909_065_222_827_450,
        sum_disc: 7_390_000,
        count: 1_478_493,
    };
    let answer = Q1 {
        groups: std::vec![group, other],
    };
    assert_eq!(
        answer.to_string(),
        "A|F|3.00|10.00|1.23|1.23|1.50|5.00|0.03|2\n\
         R|F|37734107.00|56586554400.73|53758257134.88|55909065222.83|25.52|38273.13|0.05|1478493\n"
    );
    assert_eq!(Q1::default().to_string(), "");
}
