//! One iteration of a scenario at an assumed latency, following the engine's rules
//! (`vu::run_iteration`, `closed::run_while_active`): a request's `parallel` list goes
//! out once it is answered and is waited for; the next request starts at the later of
//! the previous planned start + `min_request_interval` and the previous end + think
//! time; the next scenario (closed model) at the later of the planned start +
//! `min_scenario_interval` and the end + scenario think time.

use crate::plan::{Scenario, Timings};

use super::expect;

/// When each request of an iteration starts, and how long the iteration lasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// For every request sent (each followed by its parallel ones, as
    /// `Scenario::all_requests`): its statistics row and expected start, in seconds
    /// from the iteration's start.
    pub starts: Vec<(usize, f64)>,
    /// From the first request's start to the last response, in seconds.
    pub duration: f64,
    /// From one iteration's planned start to the same user's next (closed model).
    pub cycle: f64,
}

/// The expected shape of an iteration of `scenario`, each exchange taking `latency`
/// seconds.
pub fn shape(scenario: &Scenario, timings: &Timings, latency: f64) -> Shape {
    let interval = timings.min_request_interval.as_secs_f64();
    let mut starts = Vec::new();
    let mut at = 0.0;
    let mut duration = 0.0;
    for (i, (request, group)) in scenario.requests.iter().zip(&scenario.parallel).enumerate() {
        if i > 0 {
            at += expect::at_least(interval, duration - at, timings.think_time.as_ref());
        }
        starts.push((request.stat, at));
        // The parallel list goes out together once the request is answered.
        let group_start = at + latency;
        starts.extend(group.iter().map(|r| (r.stat, group_start)));
        let busy = if group.is_empty() { 1.0 } else { 2.0 };
        duration = at + busy * latency;
    }
    let cycle = expect::at_least(
        timings.min_scenario_interval.as_secs_f64(),
        duration,
        timings.scenario_think_time.as_ref(),
    );
    Shape {
        starts,
        duration,
        cycle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::think::Think;
    use std::time::Duration;

    fn plan(profile_extra: &str) -> crate::Plan {
        let source = format!(
            r#"[target]
base_url = "http://127.0.0.1:1"
[scenarios.s]
[[scenarios.s.requests]]
path = "/a"
[[scenarios.s.requests]]
path = "/b"
parallel = [{{ path = "/c" }}, {{ path = "/d" }}]
[[scenarios.s.requests]]
path = "/e"
[timings]
duration = "10s"
{profile_extra}
"#
        );
        crate::compile(&source, "p.toml", &Default::default()).unwrap()
    }

    fn starts(shape: &Shape) -> Vec<f64> {
        shape
            .starts
            .iter()
            .map(|&(_, at)| (at * 1e6).round() / 1e6)
            .collect()
    }

    #[test]
    fn back_to_back_each_request_waits_for_the_last_and_its_parallel_list() {
        let plan = plan("");
        let shape = shape(&plan.scenarios[0], &plan.timings, 0.05);
        // /a at 0, /b at 50 ms, its list at 100 ms, /e once the list is back at 150 ms.
        assert_eq!(starts(&shape), [0.0, 0.05, 0.1, 0.1, 0.15]);
        assert!((shape.duration - 0.2).abs() < 1e-9);
        assert!((shape.cycle - 0.2).abs() < 1e-9);
    }

    #[test]
    fn the_longer_of_pacing_and_think_time_wins() {
        let plan = plan("min_request_interval_ms = 120\nmin_scenario_interval_ms = 1000");
        let shape = shape(&plan.scenarios[0], &plan.timings, 0.05);
        // /b's 100 ms with its list is shorter than the 120 ms interval.
        assert_eq!(starts(&shape), [0.0, 0.12, 0.17, 0.17, 0.24]);
        assert_eq!(shape.cycle, 1.0);

        let mut timings = plan.timings.clone();
        timings.think_time = Some(Think::Constant(Duration::from_millis(100)));
        timings.scenario_think_time = Some(Think::Constant(Duration::from_secs(2)));
        let shape = super::shape(&plan.scenarios[0], &timings, 0.05);
        // 50 ms + 100 ms think beats 120 ms; the list's 100 ms + 100 ms too.
        assert_eq!(starts(&shape), [0.0, 0.15, 0.2, 0.2, 0.35]);
        assert!((shape.cycle - 2.4).abs() < 1e-9, "{}", shape.cycle);
    }
}
