//! The setup wizard's draft: what the lead entered so far (carried in the URL), its effective values
//! after the template and the resolved preferences, and its validation field by field.

use crate::models::{BudgetInput, TemplateView};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use tollgate_domain::alerting::RecipientKind;
use tollgate_domain::{EnforcementMode, Limit, LimitKind, Period, ScopeKind};
use uuid::Uuid;

pub const STEPS: [&str; 6] = ["Scope and category", "Template", "Limits", "Alerts", "Enforcement", "Review"];

/// Every field of the wizard and the step it is entered on; `request` is the form's one-time key,
/// carried from the first step to the review so that creating again creates nothing new.
pub const FIELDS: [(&str, usize); 22] = [
    ("target", 1),
    ("category", 1),
    ("name", 1),
    ("template", 2),
    ("period", 3),
    ("cost_soft", 3),
    ("cost_hard", 3),
    ("tokens_soft", 3),
    ("tokens_hard", 3),
    ("operations_soft", 3),
    ("operations_hard", 3),
    ("thresholds", 4),
    ("notify", 4),
    ("emails", 4),
    ("slack", 4),
    ("webhook", 4),
    ("escalate_after", 4),
    ("escalate_from", 4),
    ("enforcement", 5),
    ("grace_minutes", 5),
    ("reserve_cost", 5),
    ("request", 6),
];

pub fn step_of(field: &str) -> usize {
    FIELDS.iter().find(|(f, _)| *f == field).map_or(1, |(_, s)| *s)
}

/// What the wizard needs from the server: where the viewer may create budgets, and the defaults.
pub use crate::models::WizardContext;

pub use crate::models::AlertTargets;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    given: BTreeMap<String, String>,
}

impl Draft {
    /// Keeps the known fields; a field given several times (the notify checkboxes) is joined with commas.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut given: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in pairs {
            if FIELDS.iter().any(|(f, _)| *f == key) {
                let slot = given.entry(key.to_owned()).or_default();
                if !value.trim().is_empty() {
                    if !slot.is_empty() {
                        slot.push(',');
                    }
                    slot.push_str(value.trim());
                }
            }
        }
        Draft { given }
    }

    /// The draft with a one-time key for its create request, if it has none yet.
    pub fn with_request(mut self, fresh: Uuid) -> Self {
        self.given.entry("request".to_owned()).or_insert_with(|| fresh.to_string());
        self
    }

    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.given
    }

    /// The wizard's address at `step` with everything entered so far.
    pub fn step_href(&self, step: usize) -> String {
        let pairs =
            self.given.iter().map(|(k, v)| (k.clone(), v.clone())).chain([("step".to_owned(), step.to_string())]);
        let map: leptos_router::params::ParamsMap = pairs.collect();
        format!("/budgets/new{}", map.to_query_string())
    }

    pub fn given(&self, field: &str) -> Option<&str> {
        self.given.get(field).map(String::as_str)
    }

    fn template<'c>(&self, ctx: &'c WizardContext) -> Option<&'c TemplateView> {
        let id = self.given("template")?;
        ctx.templates.iter().find(|t| t.id == id)
    }

    /// The value a field shows: what was entered, else the template's, else the preference default.
    pub fn value(&self, field: &str, ctx: &WizardContext) -> String {
        if let Some(v) = self.given(field) {
            return v.to_owned();
        }
        let d = &ctx.defaults;
        let spec = self.template(ctx).map(|t| &t.spec);
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let dec = |v: Option<Decimal>| v.map(|n| n.to_string()).unwrap_or_default();
        match field {
            "template" => "custom".into(),
            "period" => spec.map_or(Period::Monthly, |s| s.period).as_str().into(),
            "cost_soft" => dec(spec.and_then(|s| s.cost_soft)),
            "cost_hard" => dec(spec.and_then(|s| s.cost_hard)),
            "tokens_soft" => num(spec.and_then(|s| s.tokens_soft)),
            "tokens_hard" => num(spec.and_then(|s| s.tokens_hard)),
            "operations_soft" => num(spec.and_then(|s| s.operations_soft)),
            "operations_hard" => num(spec.and_then(|s| s.operations_hard)),
            "thresholds" => {
                let t = spec.and_then(|s| s.thresholds.clone()).unwrap_or_else(|| d.thresholds.clone());
                t.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            }
            "notify" => d.recipients.join(","),
            "enforcement" => spec.and_then(|s| s.enforcement).unwrap_or(d.enforcement).as_str().into(),
            "grace_minutes" => spec.and_then(|s| s.grace_minutes).unwrap_or(d.grace_minutes).to_string(),
            "reserve_cost" => spec.map_or(Decimal::ZERO, |s| s.reserve_cost).to_string(),
            _ => String::new(),
        }
    }

    /// The budget's name: the one entered, or one made from its scope and category.
    pub fn name(&self, ctx: &WizardContext) -> String {
        match self.given("name").filter(|n| !n.trim().is_empty()) {
            Some(n) => n.to_owned(),
            None => {
                let target = self.value("target", ctx);
                let scope = ctx.targets.iter().find(|(v, _)| *v == target).map_or("New", |(_, l)| l.as_str());
                let scope = scope.split_once(": ").map_or(scope, |(_, name)| name);
                match self.given("category").filter(|c| !c.is_empty()) {
                    Some(c) => format!("{scope} {c} budget"),
                    None => format!("{scope} budget"),
                }
            }
        }
    }

    /// The budget and its alert targets, or every problem found, each with its field.
    pub fn check(&self, ctx: &WizardContext) -> Result<(BudgetInput, AlertTargets), Vec<(&'static str, String)>> {
        let mut errors: Vec<(&'static str, String)> = Vec::new();
        let v = |f: &str| self.value(f, ctx);
        let target = v("target");
        let known = ctx.targets.iter().any(|(t, _)| *t == target);
        let (scope, scope_id) = match parse_target(&target).filter(|_| known) {
            Some(parsed) => parsed,
            None => {
                errors.push(("target", "choose a scope you manage".into()));
                (ScopeKind::Organization, None)
            }
        };
        let category = self.given("category").filter(|c| !c.is_empty()).map(str::to_owned);
        if category.as_ref().is_some_and(|c| !ctx.categories.contains(c)) {
            errors.push(("category", "choose a category from the list".into()));
        }
        let name = self.name(ctx);
        if name.trim().is_empty() || name.len() > 120 {
            errors.push(("name", "a name has 1 to 120 characters".into()));
        }
        if self.given("template").is_some_and(|t| t != "custom") && self.template(ctx).is_none() {
            errors.push(("template", "choose a template from the list".into()));
        }
        let period = Period::from_str(&v("period")).unwrap_or_else(|e| {
            errors.push(("period", e.to_string()));
            Period::Monthly
        });
        let cost_soft =
            optional::<Decimal>(&mut errors, "cost_soft", &v("cost_soft"), "an amount such as 400 or 12.50");
        let cost_hard =
            optional::<Decimal>(&mut errors, "cost_hard", &v("cost_hard"), "an amount such as 500 or 12.50");
        let tokens_soft = optional::<i64>(&mut errors, "tokens_soft", &v("tokens_soft"), "a whole number of tokens");
        let tokens_hard = optional::<i64>(&mut errors, "tokens_hard", &v("tokens_hard"), "a whole number of tokens");
        let ops_soft = optional::<i64>(&mut errors, "operations_soft", &v("operations_soft"), "a whole number");
        let ops_hard = optional::<i64>(&mut errors, "operations_hard", &v("operations_hard"), "a whole number");
        let limits = [
            (LimitKind::Cost, "cost_soft", "cost_hard", cost_soft, cost_hard),
            (
                LimitKind::Tokens,
                "tokens_soft",
                "tokens_hard",
                tokens_soft.map(Decimal::from),
                tokens_hard.map(Decimal::from),
            ),
            (
                LimitKind::Operations,
                "operations_soft",
                "operations_hard",
                ops_soft.map(Decimal::from),
                ops_hard.map(Decimal::from),
            ),
        ];
        for (kind, soft_field, hard_field, soft, hard) in limits {
            match hard {
                Some(h) if h <= Decimal::ZERO => {
                    errors.push((hard_field, format!("the hard {kind} level must be above zero")))
                }
                Some(h) if Limit::new(kind, soft, h).is_err() => errors
                    .push((soft_field, format!("the soft {kind} level must be above zero and at most the hard level"))),
                Some(_) => {}
                None if soft.is_some() => {
                    errors.push((hard_field, format!("a soft {kind} level needs a hard {kind} level")))
                }
                None => {}
            }
        }
        if cost_hard.is_none()
            && tokens_hard.is_none()
            && ops_hard.is_none()
            && !errors.iter().any(|(_, m)| m.contains("hard"))
        {
            errors.push(("cost_hard", "set at least one hard limit: cost, tokens or operations".into()));
        }
        let thresholds = tollgate_domain::thresholds::parse_thresholds(&v("thresholds")).unwrap_or_else(|e| {
            errors.push(("thresholds", e));
            Vec::new()
        });
        let alerts = self.alert_targets(ctx, &mut errors);
        let escalate_after =
            optional::<u32>(&mut errors, "escalate_after", &v("escalate_after"), "a number of minutes");
        let escalate_from = optional::<u32>(&mut errors, "escalate_from", &v("escalate_from"), "a percentage");
        let enforcement = EnforcementMode::from_str(&v("enforcement")).unwrap_or_else(|e| {
            errors.push(("enforcement", e));
            EnforcementMode::HardStop
        });
        let grace =
            optional::<u32>(&mut errors, "grace_minutes", &v("grace_minutes"), "a number of minutes").unwrap_or(0);
        if grace > 10_080 {
            errors.push(("grace_minutes", "at most 10080 minutes (a week)".into()));
        }
        let reserve =
            optional::<Decimal>(&mut errors, "reserve_cost", &v("reserve_cost"), "an amount").unwrap_or_default();
        if reserve < Decimal::ZERO {
            errors.push(("reserve_cost", "the emergency reserve must not be negative".into()));
        }
        if !errors.is_empty() {
            errors.sort_by_key(|(f, _)| FIELDS.iter().position(|(known, _)| known == f));
            return Err(errors);
        }
        let input = BudgetInput {
            name: name.trim().to_owned(),
            scope,
            scope_id,
            category,
            period,
            currency: Some(ctx.defaults.currency.clone()),
            cost_soft,
            cost_hard,
            tokens_soft,
            tokens_hard,
            operations_soft: ops_soft,
            operations_hard: ops_hard,
            enforcement,
            grace_minutes: grace,
            reserve_cost: reserve,
            reserve_tokens: 0,
            reserve_operations: 0,
            thresholds,
            two_approvers_above: None,
            escalate_after_minutes: escalate_after,
            escalate_from,
        };
        Ok((input, alerts))
    }

    fn alert_targets(&self, ctx: &WizardContext, errors: &mut Vec<(&'static str, String)>) -> AlertTargets {
        let notify = tollgate_domain::preferences::recipients(&self.value("notify", ctx)).unwrap_or_else(|e| {
            errors.push(("notify", e));
            Vec::new()
        });
        let mut emails = Vec::new();
        for address in self.value("emails", ctx).split([',', ' ', '\n']).filter(|a| !a.trim().is_empty()) {
            match RecipientKind::Email.validate_target(address) {
                Ok(a) => emails.push(a),
                Err(e) => errors.push(("emails", e)),
            }
        }
        emails.sort();
        emails.dedup();
        let mut url = |field: &'static str, kind: RecipientKind| match self.value(field, ctx).trim() {
            "" => None,
            given => kind.validate_target(given).map_err(|e| errors.push((field, e))).ok(),
        };
        let slack = url("slack", RecipientKind::Slack);
        let webhook = url("webhook", RecipientKind::Webhook);
        AlertTargets { notify: notify.into_iter().map(str::to_owned).collect(), emails, slack, webhook }
    }
}

/// "organization", or a kind and an id such as "project:<uuid>".
pub fn parse_target(target: &str) -> Option<(ScopeKind, Option<Uuid>)> {
    if target == "organization" {
        return Some((ScopeKind::Organization, None));
    }
    let (kind, id) = target.split_once(':')?;
    Some((kind.parse().ok()?, Some(Uuid::parse_str(id).ok()?)))
}

fn optional<T: FromStr>(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    text: &str,
    what: &str,
) -> Option<T> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.replace([',', '_'], "").parse() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push((field, format!("'{text}' is not {what}")));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::BudgetDefaults;
    use rust_decimal_macros::dec;

    fn ctx() -> WizardContext {
        WizardContext {
            request: Uuid::nil(),
            targets: vec![("project:0190a0a0-0000-7000-8000-000000000001".into(), "Project: Search".into())],
            categories: vec!["llm".into()],
            templates: tollgate_domain::templates::built_ins().into_iter().map(TemplateView::from_built_in).collect(),
            defaults: BudgetDefaults {
                currency: "EUR".into(),
                thresholds: vec![60, 80],
                enforcement: EnforcementMode::SoftWarning,
                grace_minutes: 15,
                recipients: vec!["me".into()],
            },
        }
    }

    #[test]
    fn defaults_come_from_the_template_then_the_preferences() {
        let target = "project:0190a0a0-0000-7000-8000-000000000001";
        let draft = Draft::from_pairs([("target", target), ("category", "llm"), ("template", "starter-team")]);
        let (input, alerts) = draft.check(&ctx()).unwrap();
        assert_eq!(input.name, "Search llm budget");
        assert_eq!((input.cost_soft, input.cost_hard), (Some(dec!(400)), Some(dec!(500))));
        assert_eq!(input.thresholds, vec![60, 80]);
        assert_eq!(input.enforcement, EnforcementMode::SoftWarning);
        assert_eq!(input.grace_minutes, 15);
        assert_eq!(input.currency.as_deref(), Some("EUR"));
        assert_eq!(alerts.notify, vec!["me"]);
        let custom =
            Draft::from_pairs([("target", target), ("template", "production-service"), ("grace_minutes", "5")]);
        let (input, _) = custom.check(&ctx()).unwrap();
        assert_eq!((input.grace_minutes, input.reserve_cost, input.thresholds.len()), (5, dec!(200), 4));
    }

    #[test]
    fn every_problem_is_reported_next_to_its_field_in_form_order() {
        let draft = Draft::from_pairs([
            ("target", "team:0190a0a0-0000-7000-8000-000000000009"),
            ("cost_soft", "600"),
            ("cost_hard", "500"),
            ("tokens_hard", "lots"),
            ("emails", "not-an-address"),
            ("grace_minutes", "-1"),
        ]);
        let errors = draft.check(&ctx()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["target", "cost_soft", "tokens_hard", "emails", "grace_minutes"]);
        assert!(errors[1].1.contains("at most the hard level"));
    }

    #[test]
    fn a_limit_is_required_and_unticking_every_recipient_is_kept() {
        let target = "project:0190a0a0-0000-7000-8000-000000000001";
        let errors = Draft::from_pairs([("target", target)]).check(&ctx()).unwrap_err();
        assert_eq!(errors, vec![("cost_hard", "set at least one hard limit: cost, tokens or operations".to_owned())]);
        let draft = Draft::from_pairs([
            ("target", target),
            ("cost_hard", "10"),
            ("notify", ""),
            ("name", ""),
            ("category", ""),
        ]);
        let (input, _) = draft.check(&ctx()).unwrap();
        assert_eq!((input.name.as_str(), input.category), ("Search budget", None), "empty means made up and all");
        assert!(draft.check(&ctx()).unwrap().1.notify.is_empty());
        let both = Draft::from_pairs([
            ("target", target),
            ("cost_hard", "10"),
            ("notify", ""),
            ("notify", "leads"),
            ("notify", "me"),
        ]);
        assert_eq!(both.check(&ctx()).unwrap().1.notify, vec!["me", "leads"]);
    }
}
