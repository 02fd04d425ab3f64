//! The parts of the text summary that depend on the load model: the open model's
//! arrivals, whether the generator kept up, and what "latency" means in this run.

use std::io::{self, Write};

use klavier_stats::Summary;

use super::units::{micros, percent, rate};

/// Arrivals started, dropped and how long they waited (open model; nothing otherwise).
pub(super) fn write_arrivals<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let Some(a) = &s.arrivals else {
        return Ok(());
    };
    let due = a.started + a.dropped;
    writeln!(out, "Arrivals")?;
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
    let w = &a.wait;
    writeln!(
        out,
        "  waited    p50 {}  p99 {}  max {}  for a free user",
        micros(w.p50_us as f64),
        micros(w.p99_us as f64),
        micros(w.max_us as f64)
    )
}

/// Whether Klavier itself kept up; a loud warning when it did not.
pub(super) fn write_generator<W: Write>(s: &Summary, out: &mut W) -> io::Result<()> {
    let g = &s.generator;
    writeln!(out, "Generator")?;
    let cpu = g
        .worker_cpu_peak
        .map_or("unknown".to_owned(), |c| format!("{:.0}%", c * 100.0));
    writeln!(
        out,
        "  busiest worker on the CPU {cpu} of a second; timers late by p99 {}",
        micros(g.schedule_lag.p99_us as f64)
    )?;
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
    writeln!(out, "Transport failures are counted, not timed.")
}
