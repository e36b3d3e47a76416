//! `GET /api/v1/openapi.json`: the OpenAPI 3 document of the whole API, derived from its types.

use super::{budgets, directory, error, events, exchange_rates, model_aliases, reports, requests, usage, values};
use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tollgate API", description = "Budgets that hold for LLM and AI usage: check-and-reserve before a call, settle after it, record usage, manage budgets."),
    paths(
        usage::check, usage::settle, usage::release, usage::record, usage::status, events::feed, requests::create,
        budgets::list, budgets::create, budgets::get, budgets::patch, budgets::set_state,
        directory::teams, directory::create_team, directory::get_team, directory::update_team,
        directory::projects, directory::create_project, directory::get_project, directory::update_project,
        directory::users, directory::create_user, directory::get_user, directory::update_user,
        directory::categories, directory::create_category, directory::prices, directory::add_price,
        exchange_rates::list, exchange_rates::add, model_aliases::list, model_aliases::add, model_aliases::remove,
        reports::get, values::record,
    ),
    components(schemas(error::ErrorBody, app::backend::engine::UsageInput)),
    modifiers(&ApiKeyAuth, &CommonAnswers, &FlattenedParts),
    tags(
        (name = "usage", description = "For services: ingest keys"),
        (name = "budgets", description = "Budget management: admin keys"),
        (name = "directory", description = "Teams, projects and users: admin keys"),
        (name = "prices", description = "The price catalog and its exchange rates: admin keys"),
        (name = "reports", description = "Budget vs actual, allocation, trends and forecasts: admin keys"),
    )
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("api_key", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The answers any operation can give before its handler runs: a malformed path, query or JSON body
/// (400), and for operations with a body one too large (413) or not JSON (415). All in the error
/// shape, as `error::ApiError` and `extract` make them.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |description: &str| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
            RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.patch, &mut item.put, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let mut answers = vec![("400", "Malformed path, query or JSON body")];
                if operation.request_body.is_some() {
                    answers.push(("413", "Body larger than 2 MiB"));
                    answers.push(("415", "Body not sent as application/json"));
                }
                for (status, description) in answers {
                    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description));
                }
            }
        }
    }
}

/// A type that refuses unknown fields (`additionalProperties: false`) and is flattened into another
/// (a budget's definition into the budget as the API shows it) would make every instance of the
/// whole invalid: inside an `allOf`, such a part is copied in without that restriction.
struct FlattenedParts;

impl Modify for FlattenedParts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else { return };
        let open_copy = |name: &str| match components.schemas.get(name) {
            Some(RefOr::T(Schema::Object(object))) if object.additional_properties.is_some() => {
                let mut copy = object.clone();
                copy.additional_properties = None;
                Some(RefOr::T(Schema::Object(copy)))
            }
            _ => None,
        };
        let mut replacements = Vec::new();
        for (owner, schema) in &components.schemas {
            let RefOr::T(Schema::AllOf(all)) = schema else { continue };
            for (at, part) in all.items.iter().enumerate() {
                let RefOr::Ref(reference) = part else { continue };
                let name = reference.ref_location.trim_start_matches("#/components/schemas/");
                if let Some(copy) = open_copy(name) {
                    replacements.push((owner.clone(), at, copy));
                }
            }
        }
        for (owner, at, copy) in replacements {
            if let Some(RefOr::T(Schema::AllOf(all))) = components.schemas.get_mut(&owner) {
                all.items[at] = copy;
            }
        }
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
