//! Load generation: keep-alive clients at a fixed rate or at full speed, with latency percentiles.

use std::time::{Duration, Instant};

pub struct Measured {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub elapsed: Duration,
    /// CPU time the server's threads used during the run (`server_cpu`), when measured.
    pub server_cpu: Option<Duration>,
    /// CPU time the machine's PostgreSQL processes used during the run (`postgres_cpu`), when asked.
    pub postgres_cpu: Option<Duration>,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(index).copied().unwrap_or_default()
    }

    /// Percentiles without a rate, for measurements that are not request throughput.
    pub fn latency_summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms over {} alerts, {} lost or failed",
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            ms(self.latencies.last().copied().unwrap_or_default()),
            self.latencies.len(),
            self.errors
        )
    }

    /// Percentiles of sequential query timings.
    pub fn query_summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} runs",
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            ms(self.latencies.last().copied().unwrap_or_default()),
            self.latencies.len()
        )
    }

    pub fn summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let per_request = |cpu: Option<Duration>, whose: &str| match cpu {
            Some(cpu) if !self.latencies.is_empty() => {
                format!(", {whose} CPU {:.0} µs/request", cpu.as_secs_f64() * 1e6 / self.latencies.len() as f64)
            }
            _ => String::new(),
        };
        let cpu = per_request(self.server_cpu, "server") + &per_request(self.postgres_cpu, "PostgreSQL");
        format!(
            "{:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} requests, {} errors{cpu}",
            self.rate(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            self.latencies.len(),
            self.errors
        )
    }
}

/// `clients` keep-alive workers for `length`; with a `rate`, requests start on a fixed schedule.
/// With `on_postgres`, the CPU time of the machine's PostgreSQL processes is measured too.
pub async fn run<F>(request: &F, clients: usize, length: Duration, rate: Option<u32>, on_postgres: bool) -> Measured
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static,
{
    let request = request.clone();
    let operation = move |client: reqwest::Client| {
        let sent = request(&client).send();
        async move {
            match sent.await {
                Ok(response) if response.status().is_success() => response.bytes().await.is_ok(),
                _ => false,
            }
        }
    };
    run_operations(&operation, clients, length, rate, on_postgres).await
}

/// The same for an operation of several requests (a check and its settle, say): its latency is
/// the whole operation's, and it fails when any of its requests does.
pub async fn run_operations<O, F>(
    operation: &O,
    clients: usize,
    length: Duration,
    rate: Option<u32>,
    on_postgres: bool,
) -> Measured
where
    O: Fn(reqwest::Client) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = bool> + Send,
{
    let cpu_before = server_cpu();
    let postgres_before = on_postgres.then(postgres_cpu).flatten();
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..clients {
        let operation = operation.clone();
        workers.spawn(async move {
            let client = reqwest::Client::new();
            let (mut latencies, mut errors) = (Vec::new(), 0);
            let period = rate.map(|r| Duration::from_secs_f64(clients as f64 / f64::from(r.max(1))));
            let mut next = start + period.map_or(Duration::ZERO, |p| p.mul_f64(worker as f64 / clients as f64));
            while start.elapsed() < length {
                // At a fixed rate a request that is sent late because an answer was slow counts from
                // when it was due, so a slow answer shows in the latencies of the requests it delayed
                // (no coordinated omission). One sent on time counts from when it left: Tokio's timer
                // fires up to a millisecond after the due time, which says nothing of the server.
                let sent = match period {
                    Some(period) => {
                        let due = next;
                        next += period;
                        if Instant::now() < due {
                            tokio::time::sleep_until(due.into()).await;
                            Instant::now()
                        } else {
                            due
                        }
                    }
                    None => Instant::now(),
                };
                if operation(client.clone()).await {
                    latencies.push(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        });
    }
    let mut measured =
        Measured { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO, server_cpu: None, postgres_cpu: None };
    while let Some(Ok((latencies, errors))) = workers.join_next().await {
        measured.latencies.extend(latencies);
        measured.errors += errors;
    }
    measured.elapsed = start.elapsed();
    measured.server_cpu = server_cpu().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    measured.postgres_cpu = postgres_before.and_then(|before| Some(postgres_cpu()?.saturating_sub(before)));
    measured.latencies.sort_unstable();
    measured
}

/// CPU time (user and system) used so far by the server's side of this process: the threads of its
/// runtime (named `server`), the SQLite check writer's (`server-checks`) and SQLite's connection
/// threads; not the load clients'. A PostgreSQL server's own processes are counted apart
/// (`postgres_cpu`). Linux only (`/proc`).
pub fn server_cpu() -> Option<Duration> {
    let mut ticks = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("stat")) else { continue };
        if let Some((name, used)) = name_and_ticks(&stat) {
            if name.starts_with("server") || name.starts_with("sqlx-sqlite") {
                ticks += used;
            }
        }
    }
    ticks_to_time(ticks)
}

/// CPU time used so far by the processes named `postgres` on this machine: the bench's database
/// is on loopback, and each of its connections is a process of its own. Linux only (`/proc`).
pub fn postgres_cpu() -> Option<Duration> {
    let mut ticks = 0u64;
    for process in std::fs::read_dir("/proc").ok()?.flatten() {
        if !process.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(process.path().join("stat")) else { continue };
        if let Some(("postgres", used)) = name_and_ticks(&stat) {
            ticks += used;
        }
    }
    ticks_to_time(ticks)
}

/// The name and user plus system ticks of a `/proc/…/stat` line: `pid (name) state ppid …`. The
/// name may hold spaces, so the fields are counted after the last ')'.
fn name_and_ticks(stat: &str) -> Option<(&str, u64)> {
    let (head, fields) = stat.rsplit_once(')')?;
    let name = head.split_once('(').map_or("", |(_, name)| name);
    let mut fields = fields.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((name, utime + stime))
}

/// The kernel counts CPU time in ticks of 10 ms.
fn ticks_to_time(ticks: u64) -> Option<Duration> {
    Some(Duration::from_millis(10) * u32::try_from(ticks).ok()?)
}
