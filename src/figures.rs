//! How numbers read on every page, report and message: money to two decimals and counts, both with
//! thousands separators, percentages to one decimal; exports keep money exact.

use rust_decimal::Decimal;

/// Money with two decimals and thousands separators (display only; amounts stay exact).
pub fn money(amount: Decimal) -> String {
    let rounded = amount.round_dp(2);
    let text = format!("{rounded:.2}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    format!("{sign}{}.{frac}", group(digits))
}

/// A count kept as a decimal (tokens, operations), rounded to a whole number, with separators.
pub fn whole(amount: Decimal) -> String {
    let rounded = amount.round();
    let text = rounded.trunc().to_string();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    format!("{sign}{}", group(digits))
}

/// Money as text runs it: the currency, then the amount as `money` shows it ("USD 1,234.50").
pub fn priced(currency: &str, amount: Decimal) -> String {
    format!("{currency} {}", money(amount))
}

/// Money in exports (CSV, the API's report tables): every digit the ledger holds, at least two
/// decimals, no separators, so a spreadsheet's sum equals the ledger's.
pub fn exact(amount: Decimal) -> String {
    let normal = amount.normalize();
    if normal.scale() < 2 {
        format!("{normal:.2}")
    } else {
        normal.to_string()
    }
}

/// A percentage to one decimal, without the sign ("25.2").
pub fn percent(value: Decimal) -> String {
    format!("{:.1}", value.round_dp(1))
}

pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    format!("{}{}", if n < 0 { "-" } else { "" }, group(&digits))
}

fn group(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_and_counts_are_grouped() {
        assert_eq!(money(dec!(1234567.456)), "1,234,567.46");
        assert_eq!(money(dec!(0)), "0.00");
        assert_eq!(money(dec!(-999.5)), "-999.50");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(thousands(999), "999");
        assert_eq!(whole(dec!(1234567.5)), "1,234,568");
        assert_eq!(whole(dec!(-1000)), "-1,000");
        assert_eq!(priced("EUR", dec!(1234.5)), "EUR 1,234.50");
        assert_eq!(percent(dec!(25.19)), "25.2");
        assert_eq!(percent(dec!(100)), "100.0");
    }

    #[test]
    fn exports_keep_every_digit() {
        assert_eq!(exact(dec!(23.2293958)), "23.2293958");
        assert_eq!(exact(dec!(35.000000000)), "35.00");
        assert_eq!(exact(dec!(0.5)), "0.50");
        assert_eq!(exact(dec!(-12)), "-12.00");
        assert_eq!(money(dec!(23.2293958)), "23.23", "pages round what exports keep");
    }
}
