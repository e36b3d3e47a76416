//! Budgeting preferences at the organization, personal and project level, each with its resolved value and source.

use crate::components::{outcome, refused};
use crate::errors::AppError;
use leptos::either::Either;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreferenceRow {
    pub key: String,
    pub label: String,
    pub help: String,
    /// The value this level sets, if it sets one.
    pub here: Option<String>,
    pub resolved: String,
    /// Which level the resolved value comes from, in words.
    pub source: String,
    /// Whether this level may set the key at all.
    pub settable: bool,
    /// The values to choose from (value, name), when the key takes one of a few.
    pub choices: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreferenceLevel {
    /// system, user or project
    pub level: String,
    pub title: String,
    pub project: Option<Uuid>,
    pub may_edit: bool,
    pub rows: Vec<PreferenceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreferencesView {
    pub levels: Vec<PreferenceLevel>,
    /// Projects whose preferences the viewer may change: (id, name).
    pub projects: Vec<(Uuid, String)>,
    /// IANA time zone names, offered while typing a time zone (empty unless the viewer may set one).
    pub time_zones: Vec<String>,
}

#[server(prefix = "/rpc", endpoint = "preferences")]
pub async fn preferences(project: Option<Uuid>) -> Result<PreferencesView, AppError> {
    crate::errors::respond(async move {
        use crate::backend::services::{organizations, preferences};
        use tollgate_domain::preferences::{resolve, Key, Level};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let org = organizations::organization(&state.db, me.org_id).await?.ok_or(AppError::Unauthorized)?;
        let projects = manageable_projects(&state, &me).await?;
        let system = preferences::set_at(&state.db, &org, Level::System, org.id).await?;
        let mine = preferences::set_at(&state.db, &org, Level::User, me.id).await?;
        let chosen = project.or(projects.first().map(|p| p.0)).filter(|p| projects.iter().any(|(id, _)| id == p));
        let of_project = match chosen {
            Some(id) => preferences::set_at(&state.db, &org, Level::Project, id).await?,
            None => Default::default(),
        };
        let row = |level: Level, here: &Values, key: Key, user: Option<&str>, project: Option<&str>| {
            preference_row(level, here, key, resolve(key, system.get(&key).map(String::as_str), user, project))
        };
        let get = |m: &Values, k: Key| m.get(&k).cloned();
        let mut levels = vec![
            PreferenceLevel {
                level: "system".into(),
                title: "Organization defaults".into(),
                project: None,
                may_edit: me.has(crate::auth::Role::Admin),
                rows: Key::ALL.into_iter().map(|k| row(Level::System, &system, k, None, None)).collect(),
            },
            PreferenceLevel {
                level: "user".into(),
                title: "Your preferences".into(),
                project: None,
                may_edit: true,
                rows: Key::ALL
                    .into_iter()
                    .map(|k| {
                        let user = get(&mine, k);
                        row(Level::User, &mine, k, user.as_deref(), None)
                    })
                    .collect(),
            },
        ];
        if let Some(id) = chosen {
            let name = projects.iter().find(|p| p.0 == id).map(|p| p.1.clone()).unwrap_or_default();
            levels.push(PreferenceLevel {
                level: "project".into(),
                title: format!("Project {name}"),
                project: Some(id),
                may_edit: true,
                rows: Key::ALL
                    .into_iter()
                    .map(|k| {
                        let (user, project) = (get(&mine, k), get(&of_project, k));
                        row(Level::Project, &of_project, k, user.as_deref(), project.as_deref())
                    })
                    .collect(),
            });
        }
        let time_zones = if me.has(crate::auth::Role::Admin) {
            chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name().to_owned()).collect()
        } else {
            Vec::new()
        };
        Ok(PreferencesView { levels, projects, time_zones })
    })
    .await
}

#[cfg(feature = "ssr")]
type Values = std::collections::BTreeMap<tollgate_domain::preferences::Key, String>;

#[cfg(feature = "ssr")]
fn preference_row(
    level: tollgate_domain::preferences::Level,
    here: &Values,
    key: tollgate_domain::preferences::Key,
    resolved: tollgate_domain::preferences::Resolved,
) -> PreferenceRow {
    PreferenceRow {
        key: key.as_str().to_owned(),
        label: key.label().to_owned(),
        help: key.help().to_owned(),
        here: here.get(&key).cloned(),
        resolved: resolved.value,
        source: resolved.source.label().to_owned(),
        settable: key.allowed_at(level),
        choices: key.choices().iter().map(|(value, name)| ((*value).to_owned(), (*name).to_owned())).collect(),
    }
}

/// Projects of teams the account leads (every project for admins): the wizard's project scopes.
#[cfg(feature = "ssr")]
async fn manageable_projects(
    state: &crate::state::AppState,
    me: &crate::auth::Account,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let db = &state.db;
    let targets = crate::backend::services::access::manageable_targets(db, me).await?;
    Ok(targets
        .into_iter()
        .filter_map(|(target, label)| {
            let id = Uuid::parse_str(target.strip_prefix("project:")?).ok()?;
            Some((id, label.strip_prefix("Project: ").unwrap_or(&label).to_owned()))
        })
        .collect())
}

#[server(prefix = "/rpc", endpoint = "set_preference")]
pub async fn set_preference(
    level: String,
    project: Option<Uuid>,
    key: String,
    value: String,
) -> Result<String, AppError> {
    crate::errors::respond(async move {
        use tollgate_domain::preferences::{Key, Level};
        let me = crate::auth::current_account()?;
        let state = crate::state::app_state().map_err(AppError::internal)?;
        let level: Level = level.parse().map_err(AppError::Invalid)?;
        let key: Key = key.parse().map_err(AppError::Invalid)?;
        let stored =
            crate::backend::services::preferences::set_preference(&state, &me, level, project, key, &value).await?;
        Ok(match stored {
            Some(v) => format!("{} is now {v} here.", key.label()),
            None => format!("{} is no longer set here; it is inherited.", key.label()),
        })
    })
    .await
}

#[component]
pub fn PreferencesPage() -> impl IntoView {
    let save = ServerAction::<SetPreference>::new();
    let query = leptos_router::hooks::use_query_map();
    let project = move || query.read().get("project").and_then(|p| Uuid::parse_str(&p).ok());
    let view_data = Resource::new(move || (save.version().get(), project()), |(_, p)| preferences(p));
    view! {
        <Title text="Preferences · Tollgate"/>
        <h1>"Preferences"</h1>
        <p class="muted">"New budgets take their defaults from these. A project's value overrides yours, and yours overrides the organization's; an empty field inherits."</p>
        {outcome(move || save.value().get(), |said: &String| said.clone())}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Err(e) => Either::Left(refused(e)),
                    Ok(v) => Either::Right(view! {
                        {(!v.projects.is_empty()).then(|| view! { <ProjectChooser projects=v.projects.clone() current=v.levels.iter().find_map(|l| l.project)/> })}
                        {v.levels.into_iter().map(|level| view! { <LevelCard level save/> }).collect_view()}
                        <datalist id="time-zone-names">
                            {v.time_zones.into_iter().map(|name| view! { <option value=name></option> }).collect_view()}
                        </datalist>
                    }),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProjectChooser(projects: Vec<(Uuid, String)>, current: Option<Uuid>) -> impl IntoView {
    view! {
        <form method="get" action="/preferences" class="card inline-fields">
            <label>"Project"
                <select name="project">
                    {projects.into_iter().map(|(id, name)| view! {
                        <option value=id.to_string() selected=Some(id) == current>{name}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">"Show"</button>
        </form>
    }
}

#[component]
fn LevelCard(level: PreferenceLevel, save: ServerAction<SetPreference>) -> impl IntoView {
    let PreferenceLevel { level, title, project, may_edit, rows } = level;
    let heading = title.clone();
    view! {
        <section class="card" data-level=level.clone()>
            <h2>{heading}</h2>
            <table class="preferences">
                <thead><tr><th>"Preference"</th><th>"Set here"</th><th>"Resolved"</th><th>"From"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let editable = may_edit && row.settable;
                        let level = level.clone();
                        let PreferenceRow { key, label, help, here, resolved, source, settable, choices } = row;
                        let (key_attr, key_field) = (key.clone(), key.clone());
                        let (field_name, save_name) = (format!("{label}, {title}"), format!("Save {label}, {title}"));
                        let shown = here.clone().unwrap_or_else(|| if settable {
                            "—".into()
                        } else if key == "currency" || key == "time_zone" {
                            "organization only".into()
                        } else {
                            "not per person".into()
                        });
                        view! {
                            <tr data-key=key_attr>
                                <td><strong>{label.clone()}</strong><div class="muted small">{help}</div></td>
                                <td>
                                    {if editable {
                                        Either::Left(view! {
                                            <ActionForm action=save attr:class="inline">
                                                <input type="hidden" name="level" value=level/>
                                                {project.map(|p| view! { <input type="hidden" name="project" value=p.to_string()/> })}
                                                <input type="hidden" name="key" value=key/>
                                                <PreferenceField key=key_field here choices name=field_name/>
                                                <button type="submit" aria-label=save_name>"Save"</button>
                                            </ActionForm>
                                        })
                                    } else {
                                        Either::Right(view! { <span class="muted">{shown}</span> })
                                    }}
                                </td>
                                <td data-testid="resolved">{resolved}</td>
                                <td><span class="badge source">{source}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The field that sets one preference: a list for a key with a few values, a text field otherwise
/// (a time zone is typed with the IANA names offered as you type). Empty means inherit.
#[component]
fn PreferenceField(key: String, here: Option<String>, choices: Vec<(String, String)>, name: String) -> impl IntoView {
    let here = here.unwrap_or_default();
    if choices.is_empty() {
        let list = (key == "time_zone").then_some("time-zone-names");
        Either::Left(view! { <input name="value" value=here placeholder="inherit" list=list aria-label=name/> })
    } else {
        Either::Right(view! {
            <select name="value" aria-label=name>
                <option value="" selected=here.is_empty()>"inherit"</option>
                {choices.into_iter().map(|(value, shown)| {
                    let selected = value == here;
                    view! { <option value=value selected=selected>{shown}</option> }
                }).collect_view()}
            </select>
        })
    }
}
