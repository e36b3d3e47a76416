//! The architecture's rules, checked on the source: only `app/src/backend` talks to the database,
//! every arrow points down (pages → services → engine → queries → entities), and no files import
//! each other in a cycle.

use std::collections::{BTreeMap, BTreeSet};
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

#[test]
fn the_engine_and_the_read_models_do_not_reach_up() {
    let engine = offending(&["app/src/backend/engine"], &["backend::services", "super::services"], &[]);
    assert!(engine.is_empty(), "the engine is below the services:\n{}", engine.join("\n"));
    let queries = offending(&["app/src/backend/queries"], &["backend::services", "backend::engine"], &[]);
    assert!(queries.is_empty(), "read models are below the services and the engine:\n{}", queries.join("\n"));
}

/// The module a file of `app/src` defines, as path segments from `crate`.
fn module_of(file: &Path, src: &Path) -> Vec<String> {
    let mut parts: Vec<String> = std::iter::once("crate".to_owned())
        .chain(file.strip_prefix(src).unwrap().with_extension("").iter().map(|p| p.to_string_lossy().into_owned()))
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The paths a use tree at the start of `text` names, and how much of `text` it took:
/// `a::{b, c::{d, e}}` names `a::b`, `a::c::d` and `a::c::e`.
fn use_tree(text: &str) -> (Vec<Vec<String>>, usize) {
    let skip_space = |at: usize| at + (text[at..].len() - text[at..].trim_start().len());
    let mut prefix: Vec<String> = Vec::new();
    let mut at = 0;
    loop {
        at = skip_space(at);
        if text[at..].starts_with('{') {
            at += 1;
            let mut paths = Vec::new();
            loop {
                at = skip_space(at);
                if text[at..].starts_with('}') {
                    return (paths, at + 1);
                }
                let (inner, used) = use_tree(&text[at..]);
                at = skip_space(at + used);
                paths.extend(inner.into_iter().map(|path| prefix.iter().cloned().chain(path).collect()));
                match text[at..].chars().next() {
                    Some(',') => at += 1,
                    Some('}') => return (paths, at + 1),
                    _ => return (paths, at),
                }
            }
        }
        let name = text[at..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len() - at);
        if name == 0 {
            return (vec![prefix], at);
        }
        prefix.push(text[at..at + name].to_owned());
        at += name;
        if !text[at..].starts_with("::") {
            return (vec![prefix], at);
        }
        at += 2;
    }
}

/// The paths after each `crate::` and `super::` in `text` (grouped imports expanded), as segments
/// from `crate` (`super` resolved from `module`).
fn paths_used(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (anchor, base) in [("crate::", &module[..1]), ("super::", &module[..module.len() - 1])] {
        for (at, _) in text.match_indices(anchor) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            for path in use_tree(&text[at + anchor.len()..]).0 {
                found.push(base.iter().cloned().chain(path.into_iter().filter(|s| s != "self")).collect());
            }
        }
    }
    found
}

#[test]
fn grouped_imports_are_read_whole() {
    let module = ["crate".to_owned(), "backend".to_owned(), "services".to_owned(), "templates".to_owned()];
    let paths = paths_used("use super::{access::Acting, budget_creation::{self, NewBudget}};", &module);
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "crate::backend::services::access::Acting",
            "crate::backend::services::budget_creation",
            "crate::backend::services::budget_creation::NewBudget",
        ]
    );
}

#[test]
fn no_files_import_each_other_in_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<PathBuf> = rust_files(&src).into_iter().filter(|f| !f.ends_with("tests.rs")).collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f, &src)).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let module = module_of(file, &src);
        let text = std::fs::read_to_string(file).unwrap();
        // Tests may reach anywhere; only the code itself counts.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for path in paths_used(code, &module) {
            let target = (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p));
            if let Some(target) = target.filter(|t| *t != module) {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    // A module on a cycle reaches itself again by following imports.
    let mut cycles = Vec::new();
    for start in &modules {
        let mut seen = BTreeSet::new();
        let mut next: Vec<&Vec<String>> = edges.get(start).into_iter().flatten().collect();
        while let Some(module) = next.pop() {
            if module == start {
                cycles.push(start.join("::"));
                break;
            }
            if seen.insert(module) {
                next.extend(edges.get(module).into_iter().flatten());
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "these modules import, through others, something that imports them:\n{}",
        cycles.join("\n")
    );
}
