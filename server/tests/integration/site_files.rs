//! The site's files: versioned addresses kept for a year, compressed forms by Accept-Encoding,
//! ETag revalidation, and pages that name exactly the files of the running build.

use crate::common::{self, spawn_app_with_settings, Backend};
use std::path::Path;
use tollgate_server::web::site_files::SiteFiles;

const BUNDLE: &str = "console.log('hydrate');\n";

/// A built site as scripts/build-site.sh lays it out, with distinguishable compressed forms.
fn site(root: &Path, bundle: &str) {
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(root.join("pkg/tollgate.js"), bundle).unwrap();
    std::fs::write(root.join("pkg/tollgate.js.br"), b"brotli form").unwrap();
    std::fs::write(root.join("pkg/tollgate.js.gz"), b"gzip form").unwrap();
    std::fs::write(root.join("pkg/tollgate.wasm"), b"\0asm").unwrap();
    std::fs::write(root.join("pkg/tollgate.css"), "body{}").unwrap();
    std::fs::write(root.join("pkg/charts.js"), "// charts").unwrap();
    std::fs::write(root.join("favicon.svg"), "<svg/>").unwrap();
}

async fn app_serving(root: &Path) -> (common::TestApp, String) {
    let root = root.to_path_buf();
    let version = SiteFiles::load(&root).unwrap().pkg_dir();
    let app = spawn_app_with_settings(Backend::Sqlite, |settings| settings.site_root = Some(root)).await;
    (app, version)
}

async fn fetch(app: &common::TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn versioned_files_are_immutable_and_sent_in_the_smallest_accepted_form() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), BUNDLE);
    let (app, pkg) = app_serving(dir.path()).await;
    let path = format!("/{pkg}/tollgate.js");

    let brotli = fetch(&app, &path, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(brotli.status(), 200);
    assert_eq!(brotli.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(brotli.headers()["content-encoding"], "br");
    assert_eq!(brotli.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(brotli.headers()["vary"], "accept-encoding");
    assert_eq!(brotli.bytes().await.unwrap().as_ref(), b"brotli form");

    let gzip = fetch(&app, &path, &[("accept-encoding", "br;q=0, gzip")]).await;
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    assert_eq!(gzip.bytes().await.unwrap().as_ref(), b"gzip form");

    let plain = fetch(&app, &path, &[]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(plain.text().await.unwrap(), BUNDLE);

    let wasm = fetch(&app, &format!("/{pkg}/tollgate.wasm"), &[("accept-encoding", "br")]).await;
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert!(wasm.headers().get("content-encoding").is_none(), "no compressed form was built");

    let unchanged = fetch(&app, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(unchanged.status(), 304);
    assert!(unchanged.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn other_versions_and_unknown_files_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), BUNDLE);
    let (app, pkg) = app_serving(dir.path()).await;
    for path in ["/pkg/000000000000/tollgate.js", "/pkg/tollgate.js", &format!("/{pkg}/missing.js")] {
        assert_eq!(fetch(&app, path, &[]).await.status(), 404, "{path}");
    }
    for path in [format!("/{pkg}/../favicon.svg"), format!("/{pkg}/%2e%2e/favicon.svg")] {
        let response = fetch(&app, &path, &[]).await;
        assert_ne!(
            response.headers().get("content-type").map(|v| v.to_str().unwrap()),
            Some("image/svg+xml"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn top_level_files_are_revalidated_by_etag() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), BUNDLE);
    let (app, _) = app_serving(dir.path()).await;
    let icon = fetch(&app, "/favicon.svg", &[]).await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["cache-control"], "no-cache");
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert_eq!(icon.headers()["x-content-type-options"], "nosniff");
    let etag = icon.headers()["etag"].to_str().unwrap().to_owned();
    let again = fetch(&app, "/favicon.svg", &[("if-none-match", &format!("W/{etag}"))]).await;
    assert_eq!(again.status(), 304);
    let head = app.client.head(format!("{}/favicon.svg", app.address)).send().await.unwrap();
    assert_eq!(head.status(), 200);
}

#[tokio::test]
async fn pages_name_the_files_of_this_build_and_a_new_build_gets_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path(), BUNDLE);
    let (app, pkg) = app_serving(dir.path()).await;
    let html = app.get("/setup").await.text().await.unwrap();
    for file in ["tollgate.js", "tollgate.wasm", "tollgate.css", "charts.js"] {
        assert!(html.contains(&format!("/{pkg}/{file}")), "{file} in {html}");
    }
    assert!(!html.contains("echarts"), "ECharts is loaded by charts.js only where a page has a chart");

    site(dir.path(), "console.log('a new build');\n");
    assert_ne!(SiteFiles::load(dir.path()).unwrap().pkg_dir(), pkg);
    std::fs::write(dir.path().join("favicon.svg"), "<svg>new</svg>").unwrap();
    site(dir.path(), BUNDLE);
    assert_eq!(SiteFiles::load(dir.path()).unwrap().pkg_dir(), pkg, "only pkg/ makes the version");
}
