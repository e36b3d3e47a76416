//! The built site's files (hydration bundle, styles, charts, icon), served from memory.
//!
//! Everything under `pkg/` is addressed by a version made from its contents
//! (`/pkg/<version>/tollgate.wasm`), so browsers may keep it for a year without asking again; a
//! new build has a new version, and an address of another version is 404 rather than stale bytes.
//! Top-level files (the icon) keep their names and are revalidated by ETag. `scripts/build-site.sh`
//! writes brotli and gzip forms next to each file; the smallest form the browser accepts is sent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

const VERSIONED: &str = "public, max-age=31536000, immutable";
const REVALIDATED: &str = "no-cache";

/// The site's files by path relative to the site root (`pkg/tollgate.js`, `favicon.svg`).
pub struct SiteFiles {
    version: String,
    files: HashMap<String, SiteFile>,
}

struct SiteFile {
    content_type: &'static str,
    etag: HeaderValue,
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

impl SiteFiles {
    /// Reads every file under `root`; a missing root is an empty site (pages still render).
    pub fn load(root: &Path) -> std::io::Result<Self> {
        let mut paths = Vec::new();
        if root.is_dir() {
            collect(root, &mut paths)?;
        }
        paths.sort();
        let mut contents: HashMap<String, Bytes> = HashMap::new();
        for path in &paths {
            let Ok(relative) = path.strip_prefix(root) else { continue };
            let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            contents.insert(name, Bytes::from(std::fs::read(path)?));
        }
        let mut version = Sha256::new();
        let mut files = HashMap::new();
        let mut names: Vec<&String> = contents.keys().filter(|name| !is_compressed_form(name)).collect();
        names.sort();
        for name in names {
            let identity = contents[name].clone();
            let digest = Sha256::digest(&identity);
            if name.starts_with("pkg/") {
                version.update(name.as_bytes());
                version.update(digest);
            }
            let etag = HeaderValue::from_str(&format!("\"{}\"", hex(&digest[..12]))).expect("hex is a valid header");
            let file = SiteFile {
                content_type: content_type(name),
                etag,
                brotli: contents.get(&format!("{name}.br")).cloned(),
                gzip: contents.get(&format!("{name}.gz")).cloned(),
                identity,
            };
            files.insert(name.clone(), file);
        }
        Ok(Self { version: hex(&version.finalize()[..6]), files })
    }

    /// Where the versioned files are, relative to the site root: Leptos's `site_pkg_dir`.
    pub fn pkg_dir(&self) -> String {
        format!("pkg/{}", self.version)
    }

    /// The routes serving these files; they need no session and no state of the app.
    pub fn routes<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        let top_level: Vec<String> = self.files.keys().filter(|name| !name.contains('/')).cloned().collect();
        let files = Arc::new(self);
        // Everything under /pkg/ is the site's: an address of another build is not a page.
        let mut router = Router::new().route("/pkg/{*path}", get(versioned));
        for name in top_level {
            router = router.route(&format!("/{name}"), get(top_level_file));
        }
        router.with_state(files)
    }

    fn respond(&self, name: &str, cache_control: &'static str, request: &HeaderMap) -> Response {
        let Some(file) = self.files.get(name) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
        headers.insert(header::ETAG, file.etag.clone());
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if request.get(header::IF_NONE_MATCH).is_some_and(|tags| matches_etag(tags, &file.etag)) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
        let accepted = |coding| accepts(request, coding);
        let (body, coding) = match (&file.brotli, &file.gzip) {
            (Some(brotli), _) if accepted("br") => (brotli.clone(), Some("br")),
            (_, Some(gzip)) if accepted("gzip") => (gzip.clone(), Some("gzip")),
            _ => (file.identity.clone(), None),
        };
        if let Some(coding) = coding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        (headers, Body::from(body)).into_response()
    }
}

async fn versioned(
    State(files): State<Arc<SiteFiles>>,
    UrlPath(path): UrlPath<String>,
    request: HeaderMap,
) -> Response {
    match path.split_once('/') {
        Some((version, file)) if version == files.version => files.respond(&format!("pkg/{file}"), VERSIONED, &request),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn top_level_file(State(files): State<Arc<SiteFiles>>, uri: axum::http::Uri, request: HeaderMap) -> Response {
    files.respond(uri.path().trim_start_matches('/'), REVALIDATED, &request)
}

fn collect(dir: &Path, into: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(&entry.path(), into)?;
        } else if kind.is_file() {
            into.push(entry.path());
        }
    }
    Ok(())
}

fn is_compressed_form(name: &str) -> bool {
    name.ends_with(".br") || name.ends_with(".gz")
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether `Accept-Encoding` lists `coding` without refusing it by `q=0`.
fn accepts(request: &HeaderMap, coding: &str) -> bool {
    request.get_all(header::ACCEPT_ENCODING).iter().filter_map(|value| value.to_str().ok()).any(|value| {
        value.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let named = parts.next().is_some_and(|name| name.eq_ignore_ascii_case(coding));
            let refused =
                parts.any(|param| param.strip_prefix("q=").is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q <= 0.0)));
            named && !refused
        })
    })
}

fn matches_etag(tags: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(tags) = tags.to_str() else { return false };
    let etag = etag.to_str().unwrap_or_default();
    tags.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
