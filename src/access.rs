//! Who may do what: roles, the teams a budget belongs to, and who may decide a request.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: users, roles, defaults, prices, API keys, all budgets.
    Admin,
    /// Budgets and templates of the teams they lead, those teams' projects and users.
    Lead,
    /// Decides override and increase requests (never their own).
    Approver,
    /// Every account: sees what their teams and projects see.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Lead, Role::Approver, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Lead => "lead",
            Role::Approver => "approver",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name.trim())
    }
}

/// The facts about an account that access rules need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: Uuid,
    pub roles: Vec<Role>,
    /// Teams this account is a lead of (team membership with the lead flag).
    pub leads: Vec<Uuid>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        role == Role::Viewer || self.roles.contains(&role)
    }

    /// A budget may be managed by admins, and by leads of a team it belongs to. `owning_teams` is
    /// empty for organization-wide budgets (admins only), the team for team and project budgets,
    /// and every team of the person for a user budget.
    pub fn may_manage_budget(&self, owning_teams: &[Uuid]) -> bool {
        self.has(Role::Admin) || (self.has(Role::Lead) && owning_teams.iter().any(|team| self.leads.contains(team)))
    }

    /// Requests are decided by approvers (or admins), and never by the person who asked.
    pub fn may_decide_request(&self, requester: Uuid) -> Result<(), Refusal> {
        if !(self.has(Role::Approver) || self.has(Role::Admin)) {
            return Err(Refusal::NotAnApprover);
        }
        if self.id == requester {
            return Err(Refusal::OwnRequest);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("only approvers may decide requests")]
    NotAnApprover,
    #[error("nobody may approve their own request")]
    OwnRequest,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role], leads: &[Uuid]) -> Actor {
        Actor { id: Uuid::from_u128(1), roles: roles.to_vec(), leads: leads.to_vec() }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn every_account_is_a_viewer() {
        assert!(actor(&[], &[]).has(Role::Viewer));
        assert!(!actor(&[], &[]).has(Role::Admin));
    }

    #[test]
    fn leads_manage_only_budgets_of_teams_they_lead() {
        let (mine, theirs) = (Uuid::from_u128(10), Uuid::from_u128(11));
        let lead = actor(&[Role::Lead], &[mine]);
        assert!(lead.may_manage_budget(&[mine]));
        assert!(lead.may_manage_budget(&[theirs, mine]));
        assert!(!lead.may_manage_budget(&[theirs]));
        assert!(!lead.may_manage_budget(&[]), "organization budgets are for admins");
        // Being marked lead of a team without holding the lead role grants nothing.
        assert!(!actor(&[], &[mine]).may_manage_budget(&[mine]));
        assert!(actor(&[Role::Admin], &[]).may_manage_budget(&[]));
    }

    #[test]
    fn requests_are_decided_by_approvers_other_than_the_requester() {
        let approver = actor(&[Role::Approver], &[]);
        assert_eq!(approver.may_decide_request(Uuid::from_u128(2)), Ok(()));
        assert_eq!(approver.may_decide_request(approver.id), Err(Refusal::OwnRequest));
        let admin = actor(&[Role::Admin], &[]);
        assert_eq!(admin.may_decide_request(admin.id), Err(Refusal::OwnRequest));
        assert_eq!(actor(&[Role::Lead], &[]).may_decide_request(Uuid::from_u128(2)), Err(Refusal::NotAnApprover));
    }
}
