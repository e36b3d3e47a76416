//! Pricing an operation from per-million-token prices; unpriced models are an error, never zero.

use crate::money::{round_for_storage, Currency};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A catalog price of one model, per million tokens, with the components some providers bill
/// apart; a component not listed is billed at the price it is a kind of (cache reads and writes
/// as input, reasoning as output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub input_per_mtok: Decimal,
    pub output_per_mtok: Decimal,
    pub currency: Currency,
    #[serde(default)]
    pub cached_input_per_mtok: Option<Decimal>,
    #[serde(default)]
    pub cache_write_per_mtok: Option<Decimal>,
    #[serde(default)]
    pub reasoning_per_mtok: Option<Decimal>,
    /// A fee per request (per operation), on top of the tokens.
    #[serde(default)]
    pub request_fee: Option<Decimal>,
}

/// The tokens of one call as providers report them: `input` counts every input token, of which
/// `cached_input` were read from and `cache_write` written to the prompt cache; `output` counts
/// every output token, of which `reasoning` were reasoning (OpenAI's usage object reads the same).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cached_input: u64,
    pub cache_write: u64,
    pub reasoning: u64,
}

impl Tokens {
    pub fn plain(input: u64, output: u64) -> Self {
        Tokens { input, output, ..Tokens::default() }
    }

    /// Tokens as an API call reports them (signed, as JSON numbers arrive), checked: none negative,
    /// no part larger than its whole.
    pub fn reported(
        input: i64,
        output: i64,
        cached_input: i64,
        cache_write: i64,
        reasoning: i64,
    ) -> Result<Self, String> {
        let count = |n: i64| u64::try_from(n).map_err(|_| "token counts must not be negative".to_owned());
        let tokens = Tokens {
            input: count(input)?,
            output: count(output)?,
            cached_input: count(cached_input)?,
            cache_write: count(cache_write)?,
            reasoning: count(reasoning)?,
        };
        tokens.check()?;
        Ok(tokens)
    }

    /// Refuses parts larger than their whole.
    pub fn check(&self) -> Result<(), String> {
        if self.cached_input.saturating_add(self.cache_write) > self.input {
            return Err(
                "cached_input_tokens and cache_write_tokens are part of input_tokens: together at most input_tokens"
                    .into(),
            );
        }
        if self.reasoning > self.output {
            return Err("reasoning_tokens are part of output_tokens: at most output_tokens".into());
        }
        Ok(())
    }
}

const MILLION: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The parts a provider's bill is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Input tokens neither read from nor written to the prompt cache.
    Input,
    CachedInput,
    CacheWrite,
    /// Output tokens other than reasoning.
    Output,
    Reasoning,
    RequestFee,
}

impl Component {
    pub const ALL: [Component; 6] = [
        Component::Input,
        Component::CachedInput,
        Component::CacheWrite,
        Component::Output,
        Component::Reasoning,
        Component::RequestFee,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Component::Input => "Input (fresh)",
            Component::CachedInput => "Cache reads",
            Component::CacheWrite => "Cache writes",
            Component::Output => "Output",
            Component::Reasoning => "Reasoning",
            Component::RequestFee => "Request fees",
        }
    }
}

/// One component of a bill: how many tokens (or requests, for fees) and their exact cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub component: Component,
    pub units: u64,
    pub cost: Decimal,
}

impl Price {
    /// A price of input and output tokens only, with no components billed apart.
    pub fn new(input_per_mtok: Decimal, output_per_mtok: Decimal, currency: Currency) -> Self {
        Price {
            input_per_mtok,
            output_per_mtok,
            currency,
            cached_input_per_mtok: None,
            cache_write_per_mtok: None,
            reasoning_per_mtok: None,
            request_fee: None,
        }
    }

    /// Cost of plain input and output tokens of one request, rounded to the storage scale.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> Decimal {
        self.cost_of(&Tokens::plain(input_tokens, output_tokens), 1)
    }

    /// Cost of `tokens` over `requests` requests: each component at its price, the request fee per
    /// request, summed exactly and rounded once to the storage scale.
    pub fn cost_of(&self, tokens: &Tokens, requests: u64) -> Decimal {
        round_for_storage(self.parts(tokens, requests).iter().map(|p| p.cost).sum())
    }

    /// What each component of a bill counts and costs, exactly (not rounded): the parts of
    /// `cost_of`, which rounds their sum once.
    pub fn parts(&self, tokens: &Tokens, requests: u64) -> [Part; 6] {
        let fresh = tokens.input.saturating_sub(tokens.cached_input.saturating_add(tokens.cache_write));
        let visible = tokens.output.saturating_sub(tokens.reasoning);
        let tokens_at = |component, units: u64, price: Decimal| Part {
            component,
            units,
            cost: Decimal::from(units) * price / MILLION,
        };
        [
            tokens_at(Component::Input, fresh, self.input_per_mtok),
            tokens_at(
                Component::CachedInput,
                tokens.cached_input,
                self.cached_input_per_mtok.unwrap_or(self.input_per_mtok),
            ),
            tokens_at(
                Component::CacheWrite,
                tokens.cache_write,
                self.cache_write_per_mtok.unwrap_or(self.input_per_mtok),
            ),
            tokens_at(Component::Output, visible, self.output_per_mtok),
            tokens_at(Component::Reasoning, tokens.reasoning, self.reasoning_per_mtok.unwrap_or(self.output_per_mtok)),
            Part {
                component: Component::RequestFee,
                units: requests,
                cost: self.request_fee.map_or(Decimal::ZERO, |fee| Decimal::from(requests) * fee),
            },
        ]
    }

    /// This price in another currency at `rate` units of it per unit of this one. Exact: the cost
    /// is rounded once, after the tokens are priced.
    pub fn converted(&self, rate: Decimal, to: Currency) -> Price {
        let at = |price: Option<Decimal>| price.map(|p| p * rate);
        Price {
            input_per_mtok: self.input_per_mtok * rate,
            output_per_mtok: self.output_per_mtok * rate,
            currency: to,
            cached_input_per_mtok: at(self.cached_input_per_mtok),
            cache_write_per_mtok: at(self.cache_write_per_mtok),
            reasoning_per_mtok: at(self.reasoning_per_mtok),
            request_fee: at(self.request_fee),
        }
    }

    /// The components billed apart, in words, as the catalog shows them: "cache reads 0.3 / M",
    /// "0.001 per request" (amounts in the price's currency; empty when nothing is billed apart).
    pub fn billed_apart(&self) -> Vec<String> {
        [
            ("cache reads", self.cached_input_per_mtok),
            ("cache writes", self.cache_write_per_mtok),
            ("reasoning", self.reasoning_per_mtok),
        ]
        .into_iter()
        .filter_map(|(what, price)| price.map(|d| format!("{what} {} / M", d.normalize())))
        .chain(self.request_fee.map(|fee| format!("{} per request", fee.normalize())))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn cost_is_exact_per_million_tokens() {
        let price = Price::new(dec!(2.50), dec!(10), Currency::USD);
        assert_eq!(price.cost(1_000_000, 0), dec!(2.5));
        assert_eq!(price.cost(1234, 567), dec!(0.008755));
        let cheap = Price::new(dec!(0.0375), dec!(0), Currency::USD);
        assert_eq!(cheap.cost(1, 0), dec!(0.000000038));
    }

    #[test]
    fn the_parts_sum_to_the_cost_before_it_is_rounded() {
        let price = Price {
            cached_input_per_mtok: Some(dec!(0.30)),
            reasoning_per_mtok: Some(dec!(3.2)),
            request_fee: Some(dec!(0.001)),
            ..Price::new(dec!(3), dec!(15), Currency::USD)
        };
        let tokens = Tokens { input: 1_000, cached_input: 400, output: 3, reasoning: 1, ..Tokens::default() };
        let parts = price.parts(&tokens, 2);
        let units: Vec<u64> = parts.iter().map(|p| p.units).collect();
        assert_eq!(units, [600, 400, 0, 2, 1, 2]);
        // 600 × 3 + 400 × 0.3 + 2 × 15 + 1 × 3.2, per million, + 2 × 0.001.
        let costs: Vec<Decimal> = parts.iter().map(|p| p.cost).collect();
        assert_eq!(costs, [dec!(0.0018), dec!(0.00012), dec!(0), dec!(0.00003), dec!(0.0000032), dec!(0.002)]);
        assert_eq!(price.cost_of(&tokens, 2), dec!(0.0039532));
    }

    #[test]
    fn a_converted_price_rounds_once() {
        let usd = Price::new(dec!(2.50), dec!(10), Currency::USD);
        let eur = usd.converted(dec!(0.923456789), Currency::parse("EUR").unwrap());
        // 1,234 in and 567 out: 0.008755 USD, at 0.923456789 = 0.008084864187... EUR.
        assert_eq!(eur.cost(1234, 567), dec!(0.008084864));
        assert_eq!(eur.currency.as_str(), "EUR");
    }

    #[test]
    fn each_component_is_billed_at_its_price() {
        // Anthropic-style: $3 input, $0.30 cache reads, $3.75 cache writes, $15 output, and a fee.
        let price = Price {
            cached_input_per_mtok: Some(dec!(0.30)),
            cache_write_per_mtok: Some(dec!(3.75)),
            request_fee: Some(dec!(0.001)),
            ..Price::new(dec!(3), dec!(15), Currency::USD)
        };
        let tokens = Tokens { input: 120_000, cached_input: 80_000, cache_write: 30_000, output: 2_000, reasoning: 0 };
        // 10,000 fresh × 3 + 80,000 × 0.30 + 30,000 × 3.75 + 2,000 × 15, per million: 0.03 + 0.024 +
        // 0.1125 + 0.03 = 0.1965; plus 0.001 for the request.
        assert_eq!(price.cost_of(&tokens, 1), dec!(0.1975));
        // OpenAI-style reasoning billed as output when not listed apart.
        let o = Price::new(dec!(1.10), dec!(4.40), Currency::USD);
        let thinking = Tokens { input: 1_000, output: 5_000, reasoning: 4_000, ..Tokens::default() };
        assert_eq!(o.cost_of(&thinking, 1), o.cost(1_000, 5_000));
        let apart = Price { reasoning_per_mtok: Some(dec!(8.80)), ..o };
        assert_eq!(apart.cost_of(&thinking, 1), dec!(0.0407), "0.0011 + 0.0044 + 0.0352");
        assert!(Tokens { input: 10, cached_input: 8, cache_write: 3, ..Tokens::default() }.check().is_err());
        assert!(Tokens { output: 1, reasoning: 2, ..Tokens::default() }.check().is_err());
    }
}
