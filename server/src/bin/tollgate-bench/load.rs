//! Load generation: keep-alive clients at a fixed rate or at full speed, with latency percentiles.

use std::time::{Duration, Instant};

pub struct Measured {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub elapsed: Duration,
    /// CPU time the server's threads used during the run (`server_cpu`), when measured.
    pub server_cpu: Option<Duration>,
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
        let cpu = match self.server_cpu {
            Some(cpu) if !self.latencies.is_empty() => {
                format!(", server CPU {:.0} µs/request", cpu.as_secs_f64() * 1e6 / self.latencies.len() as f64)
            }
            _ => String::new(),
        };
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
pub async fn run<F>(request: &F, clients: usize, length: Duration, rate: Option<u32>) -> Measured
where
    F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static,
{
    let cpu_before = server_cpu();
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..clients {
        let request = request.clone();
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
                match request(&client).send().await {
                    Ok(response) if response.status().is_success() => {
                        let _ = response.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut measured = Measured { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO, server_cpu: None };
    while let Some(Ok((latencies, errors))) = workers.join_next().await {
        measured.latencies.extend(latencies);
        measured.errors += errors;
    }
    measured.elapsed = start.elapsed();
    measured.server_cpu = server_cpu().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    measured.latencies.sort_unstable();
    measured
}

/// CPU time (user and system) used so far by the server's side of this process: the threads of its
/// runtime (named `server`) and SQLite's connection threads; not the load clients'. A PostgreSQL
/// server's own processes are not counted. Linux only (`/proc`), in the kernel's 10 ms ticks.
pub fn server_cpu() -> Option<Duration> {
    const TICK: Duration = Duration::from_millis(10);
    let mut ticks = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("stat")) else { continue };
        // `pid (name) state ppid …`: the name may hold spaces, so the fields are counted after ')'.
        let Some((head, fields)) = stat.rsplit_once(')') else { continue };
        let name = head.split_once('(').map_or("", |(_, name)| name);
        if name == "server" || name.starts_with("sqlx-sqlite") {
            let mut fields = fields.split_whitespace().skip(11);
            let utime: u64 = fields.next()?.parse().ok()?;
            let stime: u64 = fields.next()?.parse().ok()?;
            ticks += utime + stime;
        }
    }
    Some(TICK * u32::try_from(ticks).ok()?)
}
