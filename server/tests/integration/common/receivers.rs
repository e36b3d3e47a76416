//! Real receivers on loopback for alert delivery tests: a minimal SMTP server and an HTTP endpoint.

use axum::http::{HeaderMap, StatusCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Every message received: (recipients, raw message).
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// Accepts every message over plain SMTP and keeps (recipients, raw message).
#[derive(Clone, Default)]
pub struct SmtpReceiver {
    pub port: u16,
    pub messages: Inbox,
}

impl SmtpReceiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = SmtpReceiver { port: listener.local_addr().unwrap().port(), ..Default::default() };
        let messages = receiver.messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, messages.clone()));
            }
        });
        receiver
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<(Vec<String>, String)> {
        self.messages.lock().unwrap().clone()
    }
}

async fn session(socket: tokio::net::TcpStream, messages: Inbox) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 receiver ready\r\n").await;
    let mut recipients = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250-receiver\r\n250 8BITMIME\r\n"
        } else if command.starts_with("RCPT TO:") {
            recipients.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 ok\r\n"
        } else if command.starts_with("DATA") {
            let _ = write.write_all(b"354 go ahead\r\n").await;
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                data.push_str(&line);
                data.push('\n');
            }
            messages.lock().unwrap().push((std::mem::take(&mut recipients), data));
            b"250 queued\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Records every POST (headers, body); answers 503 while `down` is set.
#[derive(Clone, Default)]
pub struct HttpReceiver {
    pub url: String,
    pub requests: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    pub down: Arc<AtomicBool>,
}

impl HttpReceiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let receiver = HttpReceiver { url, ..Default::default() };
        let (requests, down) = (receiver.requests.clone(), receiver.down.clone());
        let handler = move |headers: HeaderMap, body: String| {
            let (requests, down) = (requests.clone(), down.clone());
            async move {
                if down.load(Ordering::SeqCst) {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                requests.lock().unwrap().push((headers, body));
                StatusCode::OK
            }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        tokio::spawn(async move { axum::serve(listener, router).await });
        receiver
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<(HeaderMap, String)> {
        self.requests.lock().unwrap().clone()
    }
}

/// Waits (up to 10 s) until `ready` holds; panics with `what` otherwise.
pub async fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
    for _ in 0..200 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}
