//! The parts of the text summary that depend on the load model and on what distorted
//! the figures: the open model's arrivals, the closed model's pacing, the warm-up kept
//! apart, whether the generator kept up (and every warning), and what "latency" means in
//! this run.

use std::io::{self, Write};

use klavier_stats::Summary;

use super::units::{micros, percent, rate};

/// Arrivals started, dropped and how long they waited (open model; nothing otherwise).
pub(super) fn write_arrivals<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let Some(a) = &s.arrivals else {
        return Ok(());
    };
    // Older files have no `due`: started + dropped is all they knew.
    let due = a.due.max(a.started + a.dropped);
    writeln!(out, "Arrivals")?;
    writeln!(
        out,
        "  due       {due:>10}  = started + dropped + cut by the end"
    )?;
    writeln!(
        out,
        "  started   {:>10}  {}",
        a.started,
        rate(a.rate_per_second)
    )?;
    writeln!(
        out,
        "  dropped   {:>10}  {} of those due: no free user and a full queue",
        a.dropped,
        percent(a.dropped, due)
    )?;
    writeln!(
        out,
        "  cut       {:>10}  due before the end, not started when the run stopped",
        a.cut
    )?;
    let w = &a.wait;
    if w.count == 0 {
        return writeln!(
            out,
            "  waited             0  every arrival found an idle user"
        );
    }
    writeln!(
        out,
        "  waited    {:>10}  for a free user (every user busy): p50 {}  p99 {}  max {}",
        w.count,
        micros(w.p50_us as f64),
        micros(w.p99_us as f64),
        micros(w.max_us as f64)
    )
}

/// Paced starts planned and missed (closed model with intervals).
pub(super) fn write_pacing<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let Some(p) = &s.pacing else {
        return Ok(());
    };
    writeln!(out, "Pacing")?;
    writeln!(out, "  planned   {:>10}  paced starts", p.planned)?;
    writeln!(
        out,
        "  missed    {:>10}  {} of those planned: the server held users past them",
        p.missed,
        percent(p.missed, p.planned)
    )?;
    let lag = &p.user_lag;
    writeln!(
        out,
        "  behind    users ended behind their schedule by p50 {}  max {}",
        micros(lag.p50_us as f64),
        micros(lag.max_us as f64)
    )
}

/// The warm-up: measured, kept out of every figure above.
pub(super) fn write_warmup<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let Some(w) = &s.warmup else {
        return Ok(());
    };
    let t = &w.totals;
    writeln!(
        out,
        "Warm-up       the first {}, kept out of every figure above",
        super::units::seconds(w.duration_seconds)
    )?;
    writeln!(
        out,
        "  requests  {:>10}  {} failed, {} arrivals dropped",
        t.count, t.failures, w.dropped
    )?;
    let l = &t.response_time;
    writeln!(
        out,
        "  latency   p50 {}  p99 {}  max {}; scheduling lateness p99 {}",
        micros(l.p50_us as f64),
        micros(l.p99_us as f64),
        micros(l.max_us as f64),
        micros(w.schedule_lag.p99_us as f64)
    )
}

/// Whether Klavier itself kept up; a loud warning when it did not.
pub(super) fn write_generator<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let g = &s.generator;
    writeln!(out, "Generator")?;
    let cpu = g
        .worker_cpu_peak
        .map_or("unknown".to_owned(), |c| format!("{:.0}%", c * 100.0));
    let lag = &g.schedule_lag;
    writeln!(
        out,
        "  busiest worker on the CPU {cpu} of a second; scheduling lateness p50 {}  p99 {}  max {}",
        micros(lag.p50_us as f64),
        micros(lag.p99_us as f64),
        micros(lag.max_us as f64)
    )?;
    for warning in &g.warnings {
        writeln!(out, "  WARNING {}", warning.message)?;
    }
    if g.saturated {
        writeln!(
            out,
            "  WARNING generator saturated: {}. Results understate the server: add threads \
             (--threads), machines, or lower the load.",
            g.reason
        )?;
    }
    Ok(())
}

/// What the latency figures measure in this run.
pub(super) fn write_latency_note<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    if s.model == "open" {
        writeln!(
            out,
            "Latency is response time: from when each arrival was due (not when a user was free \
             to send it) to the last byte of its response, so queueing behind a slow server \
             counts. Service time is from the actual send."
        )?;
    } else {
        writeln!(
            out,
            "Latency is response time: from each request's start to the last byte of its \
             response (closed model: users wait for the server, so a stall shows as lost \
             throughput)."
        )?;
    }
    writeln!(
        out,
        "Every request sent is timed: failures apart (Failed requests), from their start to \
         the moment they failed; interrupted ones to the cut."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(s: &Summary) -> String {
        let mut out = Vec::new();
        super::super::write_text(s, &mut out).expect("writes to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn warnings_arrivals_pacing_and_warmup_are_shown() {
        use klavier_stats::{ArrivalSummary, LatencyStats, PacingSummary, WarmupSummary, Warning};
        let mut s = super::super::fixture();
        s.model = "open".into();
        s.arrivals = Some(ArrivalSummary {
            started: 85,
            dropped: 15,
            cut: 2,
            due: 102,
            rate_per_second: 8.5,
            wait: LatencyStats::default(),
        });
        s.pacing = Some(PacingSummary {
            planned: 100,
            missed: 10,
            missed_ratio: 0.1,
            user_lag: LatencyStats::default(),
        });
        s.warmup = Some(WarmupSummary {
            duration_seconds: 2.0,
            totals: s.totals.clone(),
            dropped: 3,
            schedule_lag: LatencyStats::default(),
        });
        s.generator.warnings.push(Warning {
            kind: "dropped_arrivals".into(),
            message: "14.7% of arrivals were dropped: raise max_users".into(),
        });
        let text = render(&s);
        assert!(
            text.contains("  WARNING 14.7% of arrivals were dropped"),
            "{text}"
        );
        assert!(text.contains("  due              102  = started + dropped + cut by the end"));
        assert!(text.contains("  cut                2"), "{text}");
        assert!(text.contains("every arrival found an idle user"), "{text}");
        assert!(
            text.contains("  missed            10  10.00% of those planned"),
            "{text}"
        );
        assert!(text.contains("Warm-up       the first 2s, kept out of every figure above"));
        assert!(
            text.contains("(the first 2s a warm-up, shown apart)"),
            "{text}"
        );
        assert!(text.contains("in 8.00s"), "rates after the warm-up: {text}");
    }
}
