//! The architecture's rules, checked on the source: only `app/src/backend` talks to the database,
//! and the backend never reaches up into pages or components.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Every line of the files in or under `dirs` (relative to the workspace) that contains one of `words`.
fn offending(dirs: &[&str], words: &[&str], allowed: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut found = Vec::new();
    for dir in dirs {
        let path = root.join(dir);
        let files = if path.is_file() { vec![path] } else { rust_files(&path) };
        for file in files {
            let name = file.strip_prefix(root).unwrap().display().to_string();
            if allowed.contains(&name.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                if words.iter().any(|word| line.contains(word)) {
                    found.push(format!("{name}:{}: {}", number + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn pages_and_handlers_do_not_talk_to_the_database() {
    // The API's error type maps the database's errors; that is all it knows of them.
    let allowed = ["server/src/api/error.rs"];
    let database = ["sea_orm", "begin_write", "Entity::", ".commit()", "ActiveModel"];
    let found =
        offending(&["app/src/pages", "app/src/components", "server/src/api", "server/src/web"], &database, &allowed);
    assert!(
        found.is_empty(),
        "these lines should call a function of app/src/backend/services instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_backend_does_not_reach_into_pages() {
    let found = offending(&["app/src/backend"], &["crate::pages", "crate::components", "leptos::"], &[]);
    assert!(found.is_empty(), "the backend depends on nothing above it:\n{}", found.join("\n"));
}
