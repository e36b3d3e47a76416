//! Teams and projects: everyone sees them; admins create, rename, archive, move and assign people.

mod card;

use card::TeamCard;

use crate::components::{outcome, refused};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamsPage {
    pub can_manage: bool,
    pub teams: Vec<TeamRow>,
    pub people: Vec<(Uuid, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamRow {
    pub id: Uuid,
    pub name: String,
    pub archived: bool,
    /// (person, name, is lead)
    pub members: Vec<(Uuid, String, bool)>,
    pub projects: Vec<ProjectRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub archived: bool,
    /// People who work on the project (they see its budgets).
    pub members: Vec<String>,
}

#[server(prefix = "/rpc", endpoint = "teams")]
pub async fn teams() -> Result<TeamsPage, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory, members};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let db = &state.db;
        let people: Vec<(Uuid, String)> =
            directory::users(db, me.org_id).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
        let name_of = |id: Uuid| people.iter().find(|p| p.0 == id).map(|p| p.1.clone()).unwrap_or_default();
        let memberships = members::team_memberships(db, me.org_id).await?;
        let project_members = members::project_memberships(db, me.org_id).await?;
        let projects = directory::projects(db, me.org_id).await?;
        let teams = directory::teams(db, me.org_id)
            .await?
            .into_iter()
            .map(|t| TeamRow {
                members: memberships
                    .iter()
                    .filter(|m| m.team_id == t.id)
                    .map(|m| (m.user_id, name_of(m.user_id), m.is_lead))
                    .collect(),
                projects: projects
                    .iter()
                    .filter(|p| p.team_id == t.id)
                    .map(|p| ProjectRow {
                        id: p.id,
                        slug: p.slug.clone(),
                        name: p.name.clone(),
                        archived: p.archived_at.is_some(),
                        members: project_members
                            .iter()
                            .filter(|m| m.project_id == p.id)
                            .map(|m| name_of(m.user_id))
                            .collect(),
                    })
                    .collect(),
                id: t.id,
                name: t.name,
                archived: t.archived_at.is_some(),
            })
            .collect();
        Ok(TeamsPage { can_manage: me.has(crate::auth::Role::Admin), teams, people })
    })
    .await
}

/// The signed-in admin, the app and who makes the change now, for the audit trail.
#[cfg(feature = "ssr")]
fn admin_change() -> Result<(crate::auth::Account, crate::state::AppState, chrono::DateTime<chrono::Utc>), AppError> {
    let (me, state) = crate::pages::admin::admin()?;
    let now = state.clock.now();
    Ok((me, state, now))
}

#[server(prefix = "/rpc", endpoint = "create_team")]
pub async fn create_team(name: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::directory::{self, Change};
        let (me, state, now) = admin_change()?;
        directory::create_team(&state.db, me.org_id, &name, Change { actor: &me.email, now }).await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "update_team")]
pub async fn update_team(team_id: Uuid, name: Option<String>, archived: Option<bool>) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::directory::{self, Change, TeamPatch};
        let (me, state, now) = admin_change()?;
        let patch = TeamPatch { name, archived };
        directory::update_team(&state.db, me.org_id, team_id, patch, Change { actor: &me.email, now }).await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_project")]
pub async fn create_project(team_id: Uuid, slug: String, name: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::directory::{self, Change, NewProject};
        let (me, state, now) = admin_change()?;
        let input = NewProject { slug, name, team_id };
        directory::create_project(&state.db, me.org_id, input, Change { actor: &me.email, now }).await?;
        Ok(())
    })
    .await
}

/// Renames, moves (budgets follow the project; usage history stays where it happened) or archives.
#[server(prefix = "/rpc", endpoint = "update_project")]
pub async fn update_project(
    project_id: Uuid,
    name: Option<String>,
    team_id: Option<Uuid>,
    archived: Option<bool>,
) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::directory::{self, Change, ProjectPatch};
        let (me, state, now) = admin_change()?;
        let patch = ProjectPatch { name, team_id, archived };
        directory::update_project(&state.db, me.org_id, project_id, patch, Change { actor: &me.email, now }).await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "set_team_membership")]
pub async fn set_team_membership(team_id: Uuid, user_id: Uuid, membership: String) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{
            directory::Change,
            members::{self, Membership},
        };
        let membership = Membership::parse(&membership)
            .ok_or_else(|| AppError::Invalid("membership is one of none, member, lead".into()))?;
        let (me, state, now) = admin_change()?;
        let change = Change { actor: &me.email, now };
        members::set_team_membership(&state.db, me.org_id, team_id, user_id, membership, change).await?;
        Ok(())
    })
    .await
}

/// The actions of the page, shared by every team card.
#[derive(Clone, Copy)]
pub(crate) struct TeamActions {
    pub(crate) update_team: ServerAction<UpdateTeam>,
    pub(crate) create_project: ServerAction<CreateProject>,
    pub(crate) update_project: ServerAction<UpdateProject>,
    pub(crate) membership: ServerAction<SetTeamMembership>,
    pub(crate) project_membership: ServerAction<SetProjectMembership>,
}

#[server(prefix = "/rpc", endpoint = "set_project_membership")]
pub async fn set_project_membership(project_id: Uuid, user_id: Uuid, member: bool) -> Result<(), AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{directory::Change, members};
        let (me, state, now) = admin_change()?;
        let change = Change { actor: &me.email, now };
        members::set_project_membership(&state.db, me.org_id, project_id, user_id, member, change).await?;
        Ok(())
    })
    .await
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    let create_team = ServerAction::<CreateTeam>::new();
    let new_team = crate::components::resets_after_success(move || matches!(create_team.value().get(), Some(Ok(_))));
    let actions = TeamActions {
        update_team: ServerAction::new(),
        create_project: ServerAction::new(),
        update_project: ServerAction::new(),
        membership: ServerAction::new(),
        project_membership: ServerAction::new(),
    };
    let page = Resource::new(
        move || {
            (
                create_team.version().get(),
                actions.update_team.version().get(),
                actions.create_project.version().get(),
                actions.update_project.version().get(),
                actions.membership.version().get(),
                actions.project_membership.version().get(),
            )
        },
        |_| teams(),
    );
    view! {
        <Title text="Teams · Tollgate"/>
        <h1>"Teams and projects"</h1>
        {outcome(move || actions.update_team.value().get(), |_| "Team saved.".to_owned())}
        {outcome(move || actions.create_project.value().get(), |_| "Project created.".to_owned())}
        {outcome(move || actions.update_project.value().get(), |_| "Project saved.".to_owned())}
        {outcome(move || actions.membership.value().get(), |_| "Membership saved.".to_owned())}
        {outcome(move || actions.project_membership.value().get(), |_| "Project membership saved.".to_owned())}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(page) => Either::Right(view! {
                        {page.can_manage.then(|| view! {
                            <section class="card narrow">
                                <h2>"New team"</h2>
                                <ActionForm action=create_team node_ref=new_team attr:class="inline">
                                    <input name="name" required placeholder="Team name" aria-label="Team name"/>
                                    <button type="submit" class="primary">"Create team"</button>
                                </ActionForm>
                                {outcome(move || create_team.value().get(), |_| "Team created.".to_owned())}
                            </section>
                        })}
                        {page.teams.iter().cloned().map(|team| view! {
                            <TeamCard team all=page.teams.clone() people=page.people.clone() can_manage=page.can_manage actions/>
                        }).collect_view()}
                    }),
                }
            })}
        </Transition>
    }
}
