//! Budget scopes (organization → team → project → user, plus category) and which budgets apply.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ScopeKind {
    Organization,
    Team,
    Project,
    User,
}

impl ScopeKind {
    pub const ALL: [ScopeKind; 4] = [ScopeKind::Organization, ScopeKind::Team, ScopeKind::Project, ScopeKind::User];

    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Organization => "organization",
            ScopeKind::Team => "team",
            ScopeKind::Project => "project",
            ScopeKind::User => "user",
        }
    }
}

impl fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScopeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ScopeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown scope '{s}' (expected organization, team, project or user)"))
    }
}

/// What a budget covers: one scope, and one category or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BudgetScope {
    pub kind: ScopeKind,
    pub id: Uuid,
    pub category: Option<Uuid>,
}

/// Where an operation sits: its organization, team, project, user and category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OperationChain {
    pub organization: Uuid,
    pub team: Uuid,
    pub project: Uuid,
    pub user: Uuid,
    pub category: Uuid,
}

impl OperationChain {
    pub fn id_of(&self, kind: ScopeKind) -> Uuid {
        match kind {
            ScopeKind::Organization => self.organization,
            ScopeKind::Team => self.team,
            ScopeKind::Project => self.project,
            ScopeKind::User => self.user,
        }
    }
}

impl BudgetScope {
    /// A budget applies when its scope is on the operation's chain and its category matches.
    pub fn applies_to(&self, chain: &OperationChain) -> bool {
        chain.id_of(self.kind) == self.id && self.category.is_none_or(|c| c == chain.category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> OperationChain {
        OperationChain {
            organization: Uuid::from_u128(1),
            team: Uuid::from_u128(2),
            project: Uuid::from_u128(3),
            user: Uuid::from_u128(4),
            category: Uuid::from_u128(5),
        }
    }

    #[test]
    fn budgets_on_the_chain_apply() {
        for kind in ScopeKind::ALL {
            let scope = BudgetScope { kind, id: chain().id_of(kind), category: None };
            assert!(scope.applies_to(&chain()), "{kind}");
            assert_eq!(kind.as_str().parse::<ScopeKind>().unwrap(), kind);
        }
    }

    #[test]
    fn other_scopes_and_categories_do_not() {
        let other_team = BudgetScope { kind: ScopeKind::Team, id: Uuid::from_u128(99), category: None };
        assert!(!other_team.applies_to(&chain()));
        let other_category =
            BudgetScope { kind: ScopeKind::Project, id: Uuid::from_u128(3), category: Some(Uuid::from_u128(6)) };
        assert!(!other_category.applies_to(&chain()));
        let same_category = BudgetScope { category: Some(Uuid::from_u128(5)), ..other_category };
        assert!(same_category.applies_to(&chain()));
        // A user id that happens to equal the project id does not make a user budget apply to the project.
        let user_scope = BudgetScope { kind: ScopeKind::User, id: Uuid::from_u128(3), category: None };
        assert!(!user_scope.applies_to(&chain()));
    }
}
