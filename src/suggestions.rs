//! Cost-saving suggestions: cheaper models of the same provider family for what was actually used,
//! and budgets whose limits never fit their use.

use rust_decimal::Decimal;

/// Usage of one model over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelUsage {
    pub provider: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: Decimal,
}

/// A catalog price per million tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogPrice {
    pub provider: String,
    pub model: String,
    pub input_per_mtok: Decimal,
    pub output_per_mtok: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Swap {
    pub provider: String,
    pub from: String,
    pub to: String,
    pub cost: Decimal,
    /// The same tokens at the cheaper model's prices.
    pub cost_after: Decimal,
    pub saving: Decimal,
}

/// Embedding models only replace embedding models, and generation models generation models.
fn family(model: &str) -> bool {
    model.to_lowercase().contains("embed")
}

/// For each model used, the cheapest model of the same provider and family, if the same tokens
/// would have cost less there; largest saving first.
pub fn cheaper_models(usage: &[ModelUsage], catalog: &[CatalogPrice]) -> Vec<Swap> {
    let million = Decimal::from(1_000_000);
    let mut swaps: Vec<Swap> = usage
        .iter()
        .filter_map(|used| {
            let priced = |p: &CatalogPrice| {
                (Decimal::from(used.input_tokens) * p.input_per_mtok
                    + Decimal::from(used.output_tokens) * p.output_per_mtok)
                    / million
            };
            catalog
                .iter()
                .filter(|p| {
                    p.provider == used.provider && p.model != used.model && family(&p.model) == family(&used.model)
                })
                .map(|p| (p, priced(p).round_dp(6)))
                .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.model.cmp(&b.0.model)))
                .filter(|(_, after)| *after < used.cost)
                .map(|(p, after)| Swap {
                    provider: used.provider.clone(),
                    from: used.model.clone(),
                    to: p.model.clone(),
                    cost: used.cost,
                    cost_after: after,
                    saving: used.cost - after,
                })
        })
        .collect();
    swaps.sort_by(|a, b| b.saving.cmp(&a.saving).then_with(|| a.from.cmp(&b.from)));
    swaps
}

/// Closed windows a budget needs before its fit is judged.
pub const WINDOWS_JUDGED: usize = 3;
/// Under this share of the hard level in every judged window, a budget could be lowered.
pub const FAR_UNDER_PERCENT: u32 = 50;

#[derive(Debug, Clone, PartialEq)]
pub enum Sizing {
    /// Always far under: the highest use seen plus a quarter would still hold it.
    Lower { to: Decimal },
    /// Always over: raise it or cut usage, a decision someone has to make.
    Decide,
}

/// Judges a budget on its last closed windows (actual use, oldest first).
pub fn sizing(hard: Decimal, closed: &[Decimal]) -> Option<Sizing> {
    if hard <= Decimal::ZERO || closed.len() < WINDOWS_JUDGED {
        return None;
    }
    let recent = &closed[closed.len() - WINDOWS_JUDGED..];
    let far_under = hard * Decimal::from(FAR_UNDER_PERCENT) / Decimal::ONE_HUNDRED;
    if recent.iter().all(|a| *a < far_under) {
        let highest = recent.iter().copied().max().unwrap_or_default();
        let to = (highest * Decimal::new(125, 2)).round_dp(2).max(Decimal::new(1, 2));
        return Some(Sizing::Lower { to });
    }
    recent.iter().all(|a| *a >= hard).then_some(Sizing::Decide)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn price(provider: &str, model: &str, input: Decimal, output: Decimal) -> CatalogPrice {
        CatalogPrice { provider: provider.into(), model: model.into(), input_per_mtok: input, output_per_mtok: output }
    }

    #[test]
    fn the_cheapest_model_of_the_same_provider_and_family_is_suggested() {
        let catalog = [
            price("openai", "gpt-4o", dec!(2.5), dec!(10)),
            price("openai", "gpt-4o-mini", dec!(0.15), dec!(0.6)),
            price("openai", "text-embedding-3-small", dec!(0.02), dec!(0)),
            price("anthropic", "claude-haiku-3.5", dec!(0.8), dec!(4)),
        ];
        let used = ModelUsage {
            provider: "openai".into(),
            model: "gpt-4o".into(),
            input_tokens: 2_000_000,
            output_tokens: 500_000,
            cost: dec!(10),
        };
        let swaps = cheaper_models(&[used], &catalog);
        // 2 M × 0.15 + 0.5 M × 0.6 = 0.60; the embedding model and other providers are not candidates.
        assert_eq!(
            swaps,
            vec![Swap {
                provider: "openai".into(),
                from: "gpt-4o".into(),
                to: "gpt-4o-mini".into(),
                cost: dec!(10),
                cost_after: dec!(0.6),
                saving: dec!(9.4)
            }]
        );
    }

    #[test]
    fn the_cheapest_model_already_in_use_gets_no_suggestion() {
        let catalog =
            [price("openai", "gpt-4o", dec!(2.5), dec!(10)), price("openai", "gpt-4o-mini", dec!(0.15), dec!(0.6))];
        let used = ModelUsage {
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            input_tokens: 1_000_000,
            output_tokens: 0,
            cost: dec!(0.15),
        };
        assert!(cheaper_models(&[used], &catalog).is_empty());
    }

    #[test]
    fn budgets_are_judged_on_their_last_three_closed_windows() {
        assert_eq!(
            sizing(dec!(1000), &[dec!(900), dec!(300), dec!(420), dec!(200)]),
            Some(Sizing::Lower { to: dec!(525) })
        );
        assert_eq!(sizing(dec!(100), &[dec!(100), dec!(130), dec!(101)]), Some(Sizing::Decide));
        assert_eq!(sizing(dec!(100), &[dec!(40), dec!(99), dec!(120)]), None, "mixed windows need no decision");
        assert_eq!(sizing(dec!(100), &[dec!(1), dec!(2)]), None, "too few windows");
    }
}
