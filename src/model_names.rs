//! Which catalog names a model name as a call sends it may be priced by, best first.
//!
//! Providers answer to more names than they price: `openai/gpt-4o` (a gateway's provider prefix),
//! `gpt-4o-2024-08-06` and `claude-sonnet-4-5-20250929` (dated snapshots), `claude-3-5-sonnet-latest`
//! (an alias that moves), `claude-3-5-sonnet@20240620` (Vertex), `…-v1:0` (Bedrock). A name is
//! priced by the first candidate the catalog holds: the name itself, then without its provider
//! prefix, then its base model with the date or version taken off. Anything else stays unpriced.

/// How a candidate was derived from the name as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// The name as sent.
    Exact,
    /// The name without a `provider/` prefix (the prefix names the provider).
    WithoutPrefix,
    /// A dated or versioned variant's base model.
    BaseModel,
    /// An admin's alias of the name (looked up by the caller, which holds the aliases).
    Alias,
}

/// One catalog name to look for, with the provider a prefix named, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub model: String,
    pub provider: Option<String>,
    pub derivation: Derivation,
}

/// The catalog names `sent` may be priced by, best first, without repeats.
pub fn candidates(sent: &str) -> Vec<Candidate> {
    let sent = sent.trim();
    let mut out = vec![Candidate { model: sent.to_owned(), provider: None, derivation: Derivation::Exact }];
    let (provider, bare) = match sent.split_once('/') {
        Some((prefix, rest)) if !prefix.is_empty() && !rest.is_empty() => (Some(prefix.to_owned()), rest),
        _ => (None, sent),
    };
    if provider.is_some() {
        out.push(Candidate {
            model: bare.to_owned(),
            provider: provider.clone(),
            derivation: Derivation::WithoutPrefix,
        });
    }
    let mut base = bare;
    while let Some(shorter) = without_version(base) {
        base = shorter;
        if !out.iter().any(|c| c.model == base) {
            out.push(Candidate {
                model: base.to_owned(),
                provider: provider.clone(),
                derivation: Derivation::BaseModel,
            });
        }
    }
    out
}

/// The name without its last date or version suffix, if it has one.
fn without_version(name: &str) -> Option<&str> {
    let stripped = strip_suffix_where(name, '@', |s| all_digits(s, 8))
        .or_else(|| strip_bedrock_version(name))
        .or_else(|| name.strip_suffix("-latest"))
        .or_else(|| strip_dashed_date(name))
        .or_else(|| strip_suffix_where(name, '-', |s| all_digits(s, 8) || all_digits(s, 4)))?;
    (!stripped.is_empty()).then_some(stripped)
}

/// `gpt-4o-2024-08-06` → `gpt-4o`.
fn strip_dashed_date(name: &str) -> Option<&str> {
    let (head, date) = name.split_at(name.len().checked_sub(11)?);
    let date = date.strip_prefix('-')?;
    let parts: Vec<&str> = date.split('-').collect();
    let shaped = parts.len() == 3 && all_digits(parts[0], 4) && all_digits(parts[1], 2) && all_digits(parts[2], 2);
    shaped.then_some(head)
}

/// `anthropic.claude-3-sonnet-20240229-v1:0` → `anthropic.claude-3-sonnet-20240229`.
fn strip_bedrock_version(name: &str) -> Option<&str> {
    let (head, version) = name.rsplit_once("-v")?;
    let (major, minor) = version.split_once(':').unwrap_or((version, "0"));
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (numeric(major) && numeric(minor)).then_some(head)
}

/// The part before the last `separator` when the part after it passes `test`.
fn strip_suffix_where(name: &str, separator: char, test: impl Fn(&str) -> bool) -> Option<&str> {
    let (head, tail) = name.rsplit_once(separator)?;
    test(tail).then_some(head)
}

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn models(sent: &str) -> Vec<String> {
        candidates(sent).into_iter().map(|c| c.model).collect()
    }

    #[test]
    fn dated_and_prefixed_names_lead_to_their_base_model() {
        assert_eq!(models("gpt-4o"), ["gpt-4o"]);
        assert_eq!(models("gpt-4o-2024-08-06"), ["gpt-4o-2024-08-06", "gpt-4o"]);
        assert_eq!(models("claude-sonnet-4-5-20250929"), ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"]);
        assert_eq!(models("claude-3-5-sonnet-latest"), ["claude-3-5-sonnet-latest", "claude-3-5-sonnet"]);
        assert_eq!(models("claude-3-5-sonnet@20240620"), ["claude-3-5-sonnet@20240620", "claude-3-5-sonnet"]);
        assert_eq!(models("gpt-4-0613"), ["gpt-4-0613", "gpt-4"]);
        assert_eq!(
            models("anthropic.claude-3-sonnet-20240229-v1:0"),
            [
                "anthropic.claude-3-sonnet-20240229-v1:0",
                "anthropic.claude-3-sonnet-20240229",
                "anthropic.claude-3-sonnet"
            ]
        );
        let prefixed = candidates("openai/gpt-4o-2024-08-06");
        assert_eq!(
            prefixed.iter().map(|c| (c.model.as_str(), c.provider.as_deref(), c.derivation)).collect::<Vec<_>>(),
            [
                ("openai/gpt-4o-2024-08-06", None, Derivation::Exact),
                ("gpt-4o-2024-08-06", Some("openai"), Derivation::WithoutPrefix),
                ("gpt-4o", Some("openai"), Derivation::BaseModel),
            ]
        );
    }

    #[test]
    fn other_suffixes_are_different_models() {
        // A preview, a size or a product line is not a date: those stay unpriced unless listed.
        assert_eq!(models("gpt-4o-mini"), ["gpt-4o-mini"]);
        assert_eq!(models("gpt-4o-audio-preview"), ["gpt-4o-audio-preview"]);
        assert_eq!(models("llama-3.1-70b"), ["llama-3.1-70b"]);
        assert_eq!(models("o1"), ["o1"]);
        assert_eq!(models("/gpt-4o"), ["/gpt-4o"]);
    }

    proptest! {
        #[test]
        fn the_name_as_sent_comes_first_and_nothing_repeats(sent in "[a-z0-9./@:-]{1,40}") {
            let found = candidates(&sent);
            prop_assert_eq!(&found[0].model, sent.trim());
            for (i, c) in found.iter().enumerate() {
                prop_assert!(!c.model.is_empty());
                prop_assert!(found[..i].iter().all(|earlier| earlier.model != c.model));
            }
        }
    }
}
