//! The `tollgate` binary's commands, run as a user would run them, against a fresh data directory.

use std::process::{Command, Output};

fn tollgate(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .env("TOLLGATE_DATA_DIR", data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("TOLLGATE_ADMIN_PASSWORD")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn migrate_creates_the_sqlite_database_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let output = tollgate(&data, &["migrate"]);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout(&output).contains("Migrations applied (sqlite)"));
    assert!(data.join("tollgate.db").is_file());
    // Applying again is a no-op.
    assert!(tollgate(&data, &["migrate"]).status.success());
}

#[test]
fn create_admin_validates_and_never_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let weak = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["create-admin", "--email", "ada@example.com", "--password", "password12345"])
        .env("TOLLGATE_DATA_DIR", dir.path())
        .env_remove("DATABASE_URL")
        .env("RUST_BACKTRACE", "full")
        .output()
        .expect("the binary runs");
    assert_eq!(weak.status.code(), Some(1));
    let said = String::from_utf8_lossy(&weak.stderr);
    let lines: Vec<&str> = said.lines().filter(|line| !line.contains(" INFO ")).collect();
    assert_eq!(
        lines,
        [r#"tollgate: the password is too easy to guess: it contains "password", one of the first words tried"#],
        "one clear line that says why, no backtrace: {said}"
    );

    let created = tollgate(dir.path(), &["create-admin", "--email", "Ada@Example.com", "--org-name", "Acme"]);
    assert!(created.status.success(), "{created:?}");
    let out = stdout(&created);
    assert!(out.contains("Created admin ada@example.com in organization 'Acme'"), "{out}");
    let password = out.lines().last().unwrap().rsplit(' ').next().unwrap();
    assert_eq!(password.len(), 20, "a generated password is printed once");

    let again =
        tollgate(dir.path(), &["create-admin", "--email", "ada@example.com", "--password", "another good passphrase"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn seed_demo_fills_an_empty_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = tollgate(dir.path(), &["seed-demo", "--days", "14"]);
    assert!(seeded.status.success(), "{seeded:?}");
    let out = stdout(&seeded);
    assert!(out.contains("Demo organization 'Acme Robotics' created: 3 teams, 6 projects, 10 people"), "{out}");
    assert!(out.contains("Admin login: admin@acme.example / demo-"));
    let twice = tollgate(dir.path(), &["seed-demo"]);
    assert!(!twice.status.success());
    let reconciled = tollgate(dir.path(), &["reconcile"]);
    assert!(reconciled.status.success(), "{reconciled:?}");
    assert!(stdout(&reconciled).contains("match the ledger"));
}

#[test]
fn help_lists_every_command_and_setting() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&tollgate(dir.path(), &["--help"]));
    for word in
        ["serve", "migrate", "create-admin", "seed-demo", "--addr", "TOLLGATE_ADDR", "--data-dir", "DATABASE_URL"]
    {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}

#[tokio::test]
async fn create_api_key_prints_a_working_key_last() {
    let dir = tempfile::tempdir().unwrap();
    let none = tollgate(dir.path(), &["create-api-key", "--name", "gateway"]);
    assert!(!none.status.success(), "no organization yet");
    assert!(tollgate(dir.path(), &["seed-demo", "--days", "3"]).status.success());
    let unknown = tollgate(dir.path(), &["create-api-key", "--name", "gateway", "--project", "nope"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown project 'nope'"));
    let created = tollgate(dir.path(), &["create-api-key", "--name", "gateway", "--project", "gateway"]);
    assert!(created.status.success(), "{created:?}");
    let out = stdout(&created);
    assert!(out.contains("Created ingest API key 'gateway'"), "{out}");
    let key = out.lines().last().unwrap();
    assert!(key.starts_with("tg_") && key.len() > 40, "{key}");
    let admin = stdout(&tollgate(dir.path(), &["create-api-key", "--name", "ops", "--admin"]));
    assert!(admin.contains("Created admin API key 'ops'"));

    let url = format!("sqlite://{}", dir.path().join("tollgate.db").display());
    let db = sea_orm::Database::connect(url).await.unwrap();
    let client = app::backend::engine::keys::authenticate(&db, key, chrono::Utc::now())
        .await
        .unwrap()
        .expect("the key authenticates");
    assert!(client.project_id.is_some(), "restricted to the project");
    // The last character changed (to 'x', or to 'y' when it already was an 'x').
    let changed = if key.ends_with('x') { 'y' } else { 'x' };
    let forged = format!("{}{changed}", &key[..key.len() - 1]);
    assert_ne!(forged, key);
    assert!(app::backend::engine::keys::authenticate(&db, &forged, chrono::Utc::now()).await.unwrap().is_none());

    let prefix = key.split('_').nth(1).unwrap();
    let revoked = tollgate(dir.path(), &["revoke-api-key", prefix]);
    assert!(stdout(&revoked).contains("Revoked API key"), "{revoked:?}");
    assert!(app::backend::engine::keys::authenticate(&db, key, chrono::Utc::now()).await.unwrap().is_none());
    assert!(!tollgate(dir.path(), &["revoke-api-key", prefix]).status.success(), "already revoked");
}

#[test]
fn prices_import_shows_then_applies_a_price_map_once() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("prices.json");
    let write = |text: &str| std::fs::write(&map, text).unwrap();
    write(
        r#"{"o3": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.2e-05, "litellm_provider": "openai", "mode": "chat"},
            "gpt-7-mini": {"input_cost_per_token": 4e-07, "output_cost_per_token": 1.6e-06, "litellm_provider": "openai"},
            "gpt-image-1": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04}}"#,
    );
    let file = map.to_str().unwrap();
    let none = tollgate(dir.path(), &["prices", "import", file]);
    assert!(String::from_utf8_lossy(&none.stderr).contains("no organization yet"), "{none:?}");
    assert!(tollgate(dir.path(), &["create-admin", "--email", "ada@example.com", "--org-name", "Acme"])
        .status
        .success());

    let dry = tollgate(dir.path(), &["prices", "import", file, "--from", "2026-12-01"]);
    assert!(dry.status.success(), "{dry:?}");
    let out = stdout(&dry);
    assert!(out.contains("a JSON price map of 2 price(s)"), "{out}");
    assert!(out.contains("new      openai/gpt-7-mini: 0.4 in / 1.6 out per M USD"), "{out}");
    assert!(
        out.contains("changed  openai/o3: 3 in / 12 out per M USD (was 2 in / 8 out per M USD, cache reads 0.5 / M)"),
        "{out}"
    );
    assert!(out.contains("1 new, 1 changed, 0 unchanged, 1 left out"), "{out}");
    assert!(
        out.contains(
            "Dry run: nothing changed. Run again with --apply to put 2 price(s) in force from 2026-12-01 00:00 UTC."
        ),
        "{out}"
    );

    let applied = tollgate(dir.path(), &["prices", "import", file, "--from", "2026-12-01", "--apply"]);
    assert!(stdout(&applied).contains("Applied: 2 price(s) in force from 2026-12-01 00:00 UTC"), "{applied:?}");
    let again = tollgate(dir.path(), &["prices", "import", file, "--from", "2026-12-01", "--apply"]);
    let out = stdout(&again);
    assert!(out.contains("0 new, 0 changed, 2 unchanged") && out.contains("Nothing to change"), "{out}");

    // A malformed entry is named, the command fails and nothing changes.
    write(r#"{"gpt-8": {"input_cost_per_token": -1e-06, "litellm_provider": "openai"}}"#);
    let bad = tollgate(dir.path(), &["prices", "import", file, "--apply"]);
    assert_eq!(bad.status.code(), Some(1));
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("entry 'gpt-8': input_cost_per_token: -1e-06 is negative"), "{said}");
    write(r#"{"gpt-8": {"input_cost_per_token": 1e-06, "litellm_provider": "openai"}}"#);
    let out = stdout(&tollgate(dir.path(), &["prices", "import", file]));
    assert!(out.contains("1 new, 0 changed"), "the refused import left gpt-8 out: {out}");

    // A list converts to Tollgate's CSV, which imports as the same prices.
    let csv = tollgate(dir.path(), &["prices", "convert", file]);
    assert_eq!(stdout(&csv), "provider,model,currency,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,reasoning_per_mtok,request_fee\nopenai,gpt-8,USD,1,0,,,,\n");
}
