//! Crash safety: SIGKILL the real server in the middle of a stream of ingests and settles; after a
//! restart every answered event is in the ledger exactly once and the counters equal the ledger.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::backend::entities::usage_event;
use sea_orm::{ColumnTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

fn tollgate(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command.env("TOLLGATE_DATA_DIR", data_dir).env_remove("DATABASE_URL").env("NO_COLOR", "1");
    command
}

/// Starts `serve` on a free port and returns the child and its base URL (read from its log).
fn serve(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = tollgate(data_dir)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let url = loop {
        let line = lines.next().expect("the server logs where it listens").unwrap();
        if let Some(at) = line.find("listening on http://") {
            break line[at + "listening on ".len()..].split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_events_survive_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    assert!(tollgate(dir.path()).args(["seed-demo", "--days", "7"]).output().unwrap().status.success());
    let out = tollgate(dir.path()).args(["create-api-key", "--name", "crash"]).output().unwrap();
    let key = String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_owned();
    let (mut server, url) = serve(dir.path());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();

    let sender = {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        tokio::spawn(async move {
            let mut answered = Vec::new();
            for i in 0..2_000 {
                let id = format!("crash-{i}");
                let event = json!({ "event_id": id, "occurred_at": chrono::Utc::now().to_rfc3339(), "user": "lena@acme.example",
                                    "project": "gateway", "category": "llm", "model": "gpt-4o-mini",
                                    "input_tokens": 1000, "output_tokens": 100 });
                let Ok(response) =
                    client.post(format!("{url}/api/v1/usage")).bearer_auth(&key).json(&event).send().await
                else {
                    break;
                };
                let Ok(body) = response.json::<Value>().await else { break };
                if body["accepted"] == 1 {
                    answered.push(id);
                }
                let check = json!({ "user": "lena@acme.example", "project": "gateway", "category": "llm", "model": "gpt-4o-mini",
                                    "estimated_input_tokens": 1000, "max_output_tokens": 100 });
                let Ok(response) =
                    client.post(format!("{url}/api/v1/check")).bearer_auth(&key).json(&check).send().await
                else {
                    break;
                };
                let Ok(held) = response.json::<Value>().await else { break };
                if let Some(reservation) = held["reservation_id"].as_str() {
                    let settle = json!({ "input_tokens": 900, "output_tokens": 90, "event_id": format!("settle-{i}") });
                    let sent = client
                        .post(format!("{url}/api/v1/reservations/{reservation}/settle"))
                        .bearer_auth(&key)
                        .json(&settle)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 200 => answered.push(format!("settle-{i}")),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            }
            answered
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let answered = sender.await.unwrap();
    assert!(answered.len() > 20, "the stream was under way when the server died ({} answered)", answered.len());

    let (mut restarted, url) = serve(dir.path());
    let health: Value = client.get(format!("{url}/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["database"], "ok");
    let db = Database::connect(format!("sqlite://{}", dir.path().join("tollgate.db").display())).await.unwrap();
    for id in &answered {
        let copies =
            usage_event::Entity::find().filter(usage_event::Column::EventId.eq(id.as_str())).count(&db).await.unwrap();
        assert_eq!(copies, 1, "{id} was answered, so it is stored exactly once");
    }
    // Reservations left open by the kill are still held (they expire later); everything else matches.
    assert_eq!(app::backend::services::reconcile::reconcile(&db).await.unwrap(), vec![]);
    restarted.kill().unwrap();
    restarted.wait().unwrap();
}
