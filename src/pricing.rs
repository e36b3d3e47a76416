//! Pricing an operation from per-million-token prices; unpriced models are an error, never zero.

use crate::money::{round_for_storage, Currency};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A catalog price of one model, per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub input_per_mtok: Decimal,
    pub output_per_mtok: Decimal,
    pub currency: Currency,
}

const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

impl Price {
    /// This price in another currency at `rate` units of it per unit of this one. Exact: the cost
    /// is rounded once, after the tokens are priced.
    pub fn converted(&self, rate: Decimal, to: Currency) -> Price {
        Price { input_per_mtok: self.input_per_mtok * rate, output_per_mtok: self.output_per_mtok * rate, currency: to }
    }

    /// Cost of the tokens at this price, rounded to the storage scale.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> Decimal {
        let raw =
            Decimal::from(input_tokens) * self.input_per_mtok + Decimal::from(output_tokens) * self.output_per_mtok;
        round_for_storage(raw / MILLION)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn cost_is_exact_per_million_tokens() {
        let price = Price { input_per_mtok: dec!(2.50), output_per_mtok: dec!(10), currency: Currency::USD };
        assert_eq!(price.cost(1_000_000, 0), dec!(2.5));
        assert_eq!(price.cost(1234, 567), dec!(0.008755));
        let cheap = Price { input_per_mtok: dec!(0.0375), output_per_mtok: dec!(0), currency: Currency::USD };
        assert_eq!(cheap.cost(1, 0), dec!(0.000000038));
    }

    #[test]
    fn a_converted_price_rounds_once() {
        let usd = Price { input_per_mtok: dec!(2.50), output_per_mtok: dec!(10), currency: Currency::USD };
        let eur = usd.converted(dec!(0.923456789), Currency::parse("EUR").unwrap());
        // 1,234 in and 567 out: 0.008755 USD, at 0.923456789 = 0.008084864187... EUR.
        assert_eq!(eur.cost(1234, 567), dec!(0.008084864));
        assert_eq!(eur.currency.as_str(), "EUR");
    }
}
