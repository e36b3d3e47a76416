//! Builds the application (state, routes, listener) and serves it until shutdown.

use crate::channels::Channels;
use crate::web::site_files::SiteFiles;
use crate::{api, config::Settings, database, health, jobs, mail::Mailer, web};
use app::backend::engine::{CheckCombiner, ConfigCache};
use app::backend::services::outbound::OutboundPolicy;
use app::state::{AppState, Shared};
use app::{shell, App};
use axum::{routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;
use tollgate_domain::Clock;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Old rows are removed hourly: nothing depends on their going sooner.
const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
    pub mailer: Mailer,
    channels: Channels,
    sweep_every: std::time::Duration,
    dispatch_every: std::time::Duration,
    forecast_every: std::time::Duration,
}

impl Application {
    /// Connects and migrates the database, then binds the listener (port 0 picks a free port).
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>, mailer: Mailer) -> anyhow::Result<Self> {
        let db = database::connect(&settings.database_url()).await?;
        database::migrate(&db).await?;
        let listener = TcpListener::bind(settings.addr).await?;
        let config = Arc::new(ConfigCache::default());
        let writer = database::connect_check_writer(&settings.database_url()).await?;
        let checks = CheckCombiner::start(db.clone(), writer, config.clone());
        let site_root = site_root(settings);
        let site = SiteFiles::load(&site_root)
            .map_err(|error| anyhow::anyhow!("reading the built site in {}: {error}", site_root.display()))?;
        let leptos_options = leptos_options(&site_root, &site, listener.local_addr()?)?;
        let outbound = OutboundPolicy::new(&settings.outbound_allow);
        let mail_off = mailer.is_off();
        let state =
            AppState::new(Shared { db, clock, leptos_options, checks, config, outbound: outbound.clone(), mail_off });
        let router = router(state.clone(), settings.web(), site);
        let sweep_every = std::time::Duration::from_millis(settings.sweep_interval_ms.max(10));
        let public_url =
            settings.public_url.clone().unwrap_or_else(|| format!("http://{}", state.leptos_options.site_addr));
        let channels = Channels::new(mailer.clone(), &settings.mail_from, &public_url, outbound)?;
        Ok(Application {
            listener,
            router,
            state,
            mailer,
            channels,
            sweep_every,
            dispatch_every: std::time::Duration::from_millis(settings.dispatch_interval_ms.max(10)),
            forecast_every: std::time::Duration::from_secs(settings.forecast_interval_secs.max(1)),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves requests and runs the background jobs until a shutdown signal.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let sweeper = tokio::spawn(jobs::reservation_sweeper::run(self.state.clone(), self.sweep_every));
        let expiry = tokio::spawn(jobs::request_expiry::run(self.state.clone(), self.sweep_every));
        let dispatcher =
            tokio::spawn(jobs::alert_dispatcher::run(self.state.clone(), self.channels.clone(), self.dispatch_every));
        let escalation = tokio::spawn(jobs::alert_escalation::run(self.state.clone(), self.sweep_every));
        let forecasts = tokio::spawn(jobs::forecast_alerts::run(self.state.clone(), self.forecast_every));
        let hooks = tokio::spawn(jobs::event_push::run(self.state.clone(), self.channels.clone(), self.dispatch_every));
        let windows = tokio::spawn(jobs::window_close::run(self.state.clone(), self.sweep_every));
        let digests = tokio::spawn(jobs::digests::run(self.state.clone(), self.channels.clone(), self.sweep_every));
        let housekeeping = tokio::spawn(jobs::housekeeping::run(self.state.clone(), HOUSEKEEPING_EVERY));
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service).with_graceful_shutdown(shutdown_signal()).await;
        for job in [sweeper, expiry, dispatcher, escalation, forecasts, hooks, windows, digests, housekeeping] {
            job.abort();
        }
        served
    }
}

/// The API and health check sit outside the session and same-origin layers: they carry no cookies
/// (API keys authenticate the API), so they skip the work of looking for a session. Pages and
/// server-function answers are compressed when the browser accepts it (live updates, a stream, are
/// not); API answers are small and their clients are services, so they skip that work too.
fn router(state: AppState, web_settings: web::WebSettings, site: SiteFiles) -> Router {
    let routes = page_routes();
    let context_state = state.clone();
    let pages = Router::new()
        .route("/live", get(web::live::live))
        .route("/reports/{report}/csv", get(web::reports::csv))
        .leptos_routes_with_context(&state, routes, move || provide_context(context_state.clone()), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(not_found_page(&state))
        .layer(axum::middleware::from_fn_with_state((state.clone(), web_settings), web::authenticate))
        .layer(web::session_layer(&state, web_settings))
        .layer(axum::middleware::from_fn(web::same_origin_only))
        .layer(axum::middleware::from_fn(web::bad_arguments_are_400))
        .layer(CompressionLayer::new());
    Router::new()
        .route("/healthz", get(health::healthz))
        .merge(api::routes())
        .merge(site.routes())
        .merge(pages)
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The app's page routes, listed once per process. Listing them runs the app with resource loading
/// switched off for the whole process (leptos-rs/leptos#4773): a page whose data began loading
/// meanwhile, in another instance of this process, waited forever. Every instance takes its routes
/// from here before it serves, so the listing is over before any page renders.
pub fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Any other path: the app renders its "Page not found" page, status 404 (the site's files have
/// their own routes, so nothing here reads the disk).
fn not_found_page(
    state: &AppState,
) -> impl Fn(
    axum::extract::Request,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>
       + Clone
       + Send
       + 'static {
    let (context_state, options) = (state.clone(), state.leptos_options.clone());
    leptos_axum::render_app_async_with_context(
        move || provide_context(context_state.clone()),
        move || shell(options.clone()),
    )
}

/// Leptos's options, with the bundle addressed by the version of this build's files.
fn leptos_options(site_root: &Path, site: &SiteFiles, addr: SocketAddr) -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)?.leptos_options;
    options.site_addr = addr;
    options.site_root = site_root.display().to_string().into();
    options.site_pkg_dir = site.pkg_dir().into();
    Ok(options)
}

/// The built site: `--site-root`, else `LEPTOS_SITE_ROOT`, else `site/` beside or above the executable
/// (cargo-leptos puts the binary in `target/<profile>/` and the site in `target/site/`).
fn site_root(settings: &Settings) -> PathBuf {
    if let Some(root) = &settings.site_root {
        return root.clone();
    }
    if let Ok(root) = std::env::var("LEPTOS_SITE_ROOT") {
        return PathBuf::from(root);
    }
    let exe_dir = std::env::current_exe().ok().and_then(|p| p.parent().map(PathBuf::from));
    exe_dir
        .iter()
        .flat_map(|dir| [dir.join("site"), dir.join("../site")])
        .find(|candidate| candidate.join("pkg").is_dir())
        .unwrap_or_else(|| PathBuf::from("target/site"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
    web::live::end_streams();
}
