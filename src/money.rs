//! Exact money: ISO 4217 currency codes and decimal amounts, with a lossless storage encoding.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Amounts are stored as whole billionths of a currency unit: exact integer arithmetic in SQL on
/// both SQLite and PostgreSQL, and fine enough for per-token prices (e.g. $0.15 per million tokens).
pub const STORAGE_SCALE: u32 = 9;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not an ISO 4217 currency code (three capital letters, e.g. USD)")]
    InvalidCurrency(String),
    #[error("amount {0} is too large to store")]
    Overflow(Decimal),
    #[error("amount {0} must not be negative")]
    Negative(Decimal),
    #[error("amount has more than {STORAGE_SCALE} decimal places: {0}")]
    TooPrecise(Decimal),
}

/// A three-letter ISO 4217 currency code, upper case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(MoneyError::InvalidCurrency(code.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

/// Encodes a non-negative amount for storage; rejects rather than rounds amounts finer than the scale.
pub fn to_storage(amount: Decimal) -> Result<i64, MoneyError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(MoneyError::Negative(amount));
    }
    let normalized = amount.normalize();
    if normalized.scale() > STORAGE_SCALE {
        return Err(MoneyError::TooPrecise(amount));
    }
    let scaled =
        normalized.checked_mul(Decimal::from(10_i64.pow(STORAGE_SCALE))).ok_or(MoneyError::Overflow(amount))?;
    i64::try_from(scaled).map_err(|_| MoneyError::Overflow(amount))
}

/// Rounds a computed amount (e.g. tokens × price) to the storage scale, half to even.
pub fn round_for_storage(amount: Decimal) -> Decimal {
    amount.round_dp(STORAGE_SCALE).normalize()
}

pub fn from_storage(units: i64) -> Decimal {
    Decimal::new(units, STORAGE_SCALE).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn currency_codes_are_three_capitals() {
        assert_eq!(Currency::parse("USD").unwrap(), Currency::USD);
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("USDT").is_err());
        assert_eq!(Currency::EUR.to_string(), "EUR");
    }

    #[test]
    fn storage_is_exact_and_refuses_precision_loss() {
        assert_eq!(to_storage(dec!(0.15)).unwrap(), 150_000_000);
        assert_eq!(to_storage(dec!(0.000000001)).unwrap(), 1);
        assert_eq!(from_storage(150_000_000), dec!(0.15));
        assert!(matches!(to_storage(dec!(0.0000000001)), Err(MoneyError::TooPrecise(_))));
        assert!(matches!(to_storage(dec!(-1)), Err(MoneyError::Negative(_))));
        assert!(matches!(to_storage(dec!(100000000000)), Err(MoneyError::Overflow(_))));
    }

    #[test]
    fn rounding_is_half_even_at_nine_places() {
        assert_eq!(round_for_storage(dec!(0.0000000375)), dec!(0.000000038));
        assert_eq!(round_for_storage(dec!(0.0000000365)), dec!(0.000000036));
    }

    proptest! {
        #[test]
        fn storage_round_trips(units in 0_i64..i64::MAX) {
            prop_assert_eq!(to_storage(from_storage(units)).unwrap(), units);
        }
    }
}
