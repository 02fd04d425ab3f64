//! How much of its time a worker thread spends on the CPU: the sign that the generator,
//! not the server, sets the pace. Linux reports it in `/proc/thread-self/schedstat`
//! (nanoseconds on the CPU); elsewhere it is unknown.

use std::time::Duration;

use tokio::time::Instant;

/// Measures the calling thread's CPU share between calls.
#[derive(Debug)]
pub struct CpuMeter {
    last: Option<(Instant, Duration)>,
}

impl CpuMeter {
    /// Starts measuring the calling thread.
    pub fn start() -> Self {
        Self {
            last: thread_cpu_time().map(|cpu| (Instant::now(), cpu)),
        }
    }

    /// The share of wall time (0.0 ..= 1.0) this thread was on the CPU since the last call.
    pub fn share(&mut self) -> Option<f64> {
        let (then, cpu_then) = self.last?;
        let (now, cpu_now) = (Instant::now(), thread_cpu_time()?);
        self.last = Some((now, cpu_now));
        let wall = now.saturating_duration_since(then).as_secs_f64();
        (wall > 0.0).then(|| ((cpu_now - cpu_then).as_secs_f64() / wall).min(1.0))
    }
}

fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_measures_a_share_of_its_time() {
        let Some(before) = thread_cpu_time() else {
            return; // not Linux: nothing to measure
        };
        let mut meter = CpuMeter::start();
        // Spin until the thread has been on the CPU 20 ms (bounded by a wall-clock cap,
        // for a machine so loaded the thread never runs): no speed is assumed.
        let cap = std::time::Instant::now() + Duration::from_secs(10);
        while thread_cpu_time().is_some_and(|now| now - before < Duration::from_millis(20))
            && std::time::Instant::now() < cap
        {
            std::hint::spin_loop();
        }
        let share = meter.share().expect("measurable where schedstat exists");
        assert!(share > 0.0 && share <= 1.0, "share {share}");
    }
}
