//! `[load]` and think times: the workload models a profile can ask for.

use std::time::Duration;

use super::{plan, plan_with, problems, problems_with, SCENARIO};
use crate::compile::Overrides;
use crate::load::{Arrivals, Load, Stage};
use crate::think::Think;

const TARGET: &str = "[target]\nbase_url = \"http://127.0.0.1:1\"\n";

/// A profile with this `[load]` and `[timings]` body.
fn profile(load: &str, timings: &str) -> String {
    format!("{TARGET}[load]\n{load}\n[timings]\n{timings}\n{SCENARIO}")
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn stages_ramp_users_and_set_the_duration() {
    let load = r#"stages = [{ duration = "30s", users = 100 }, { duration = "1m", users = 100 }, { duration = "20s", users = 0 }]"#;
    let plan = plan(&profile(load, ""));
    let Load::Closed { users } = &plan.load else {
        panic!("closed model expected")
    };
    assert_eq!(users.start(), 0.0, "stages start from zero users");
    assert_eq!(
        users.stages()[0],
        Stage {
            duration: secs(30),
            target: 100.0
        }
    );
    assert_eq!(
        plan.timings.duration,
        secs(110),
        "the stages' total is the duration"
    );
    assert_eq!(plan.load.max_users(), 100);
}

#[test]
fn a_written_duration_wins_over_the_stages_total() {
    let load = r#"stages = [{ duration = "10s", users = 5 }]"#;
    let plan = plan(&profile(load, "test_duration_seconds = 30"));
    assert_eq!(
        plan.timings.duration,
        secs(30),
        "the last level holds after the stages"
    );
}

#[test]
fn ramp_up_reaches_the_users_in_one_stage() {
    let plan = plan(&profile(
        "users = 50\nramp_up = \"10s\"",
        "duration = \"1m\"",
    ));
    let Load::Closed { users } = &plan.load else {
        panic!("closed model expected")
    };
    assert_eq!(
        users.stages(),
        &[Stage {
            duration: secs(10),
            target: 50.0
        }]
    );
}

#[test]
fn an_arrival_rate_makes_the_open_model() {
    let plan = plan(&profile(
        "arrival_rate = 250\narrivals = \"poisson\"",
        "duration = \"1m\"",
    ));
    let Load::Open {
        rate,
        max_users,
        arrivals,
    } = &plan.load
    else {
        panic!("open model expected")
    };
    assert_eq!(rate.start(), 250.0);
    assert_eq!(*arrivals, Arrivals::Poisson);
    assert_eq!(
        max_users.get(),
        2500,
        "ten seconds' worth of arrivals at the peak rate"
    );
}

#[test]
fn rate_stages_ramp_from_the_arrival_rate() {
    let load = r#"arrival_rate = 10
max_users = 40
stages = [{ duration = "1m", rate = 500 }]"#;
    let plan = plan(&profile(load, ""));
    let Load::Open {
        rate, max_users, ..
    } = &plan.load
    else {
        panic!("open model expected")
    };
    assert_eq!((rate.start(), rate.peak()), (10.0, 500.0));
    assert_eq!(max_users.get(), 40);
    assert_eq!(plan.timings.duration, secs(60));
}

#[test]
fn the_command_line_picks_the_model() {
    let closed = profile("users = 5", "duration = \"10s\"");
    let to_open = Overrides {
        rate: Some(50.0),
        ..Overrides::default()
    };
    assert!(matches!(
        plan_with(&closed, &to_open).load,
        Load::Open { .. }
    ));
    let open = profile("arrival_rate = 50\nmax_users = 10", "duration = \"10s\"");
    let to_closed = Overrides {
        users: Some(3),
        ..Overrides::default()
    };
    assert_eq!(
        plan_with(&open, &to_closed).load.max_users(),
        3,
        "--users ignores max_users"
    );
    let staged = Overrides {
        stages: vec![(secs(5), 8.0), (secs(5), 0.0)],
        ..Overrides::default()
    };
    let plan = plan_with(&closed, &staged);
    assert_eq!(plan.load.max_users(), 8);
}

#[test]
fn think_times_take_every_distribution() {
    let timings = "duration = \"10s\"\nthink_time = \"uniform(1s, 3s)\"\nscenario_think_time = \"exponential(5s)\"";
    let plan = plan(&profile("", timings));
    assert_eq!(
        plan.timings.think_time,
        Some(Think::Uniform(secs(1), secs(3)))
    );
    assert_eq!(
        plan.timings.scenario_think_time,
        Some(Think::Exponential(secs(5)))
    );
}

#[test]
fn bad_loads_say_what_is_wrong_where() {
    // Row: (why, [load] body, [timings] body, field, words of the message)
    let cases = [
        (
            "users with stages",
            "users = 5\nstages = [{ duration = \"5s\", users = 5 }]",
            "",
            "load.users",
            "users and stages are both set",
        ),
        (
            "a stage without a target",
            "stages = [{ duration = \"5s\" }]",
            "",
            "load.stages[0]",
            "needs a target",
        ),
        (
            "a stage with both targets",
            "stages = [{ duration = \"5s\", users = 1, rate = 2 }]",
            "",
            "load.stages[0]",
            "both users and rate",
        ),
        (
            "a stage of negative users",
            "stages = [{ duration = \"5s\", users = -3 }]",
            "",
            "load.stages[0].users",
            "zero or more",
        ),
        (
            "a bad stage duration",
            "stages = [{ duration = \"soon\", users = 3 }]",
            "",
            "load.stages[0].duration",
            "is not a duration",
        ),
        (
            "stages that never reach a user",
            "stages = [{ duration = \"5s\", users = 0 }]",
            "",
            "load.stages",
            "never reach one user",
        ),
        (
            "a negative rate",
            "arrival_rate = -5",
            "duration = \"5s\"",
            "load.arrival_rate",
            "0 or more",
        ),
        (
            "a rate that stays at zero",
            "arrival_rate = 0",
            "duration = \"5s\"",
            "load.arrival_rate",
            "never above zero",
        ),
        (
            "users in the open model",
            "arrival_rate = 5\nusers = 3",
            "duration = \"5s\"",
            "load.users",
            "closed model",
        ),
        (
            "max_users in the closed model",
            "users = 3\nmax_users = 9",
            "duration = \"5s\"",
            "load.max_users",
            "open model",
        ),
        (
            "an unknown arrival process",
            "arrival_rate = 5\narrivals = \"bursty\"",
            "duration = \"5s\"",
            "load.arrivals",
            "\"uniform\" or \"poisson\"",
        ),
        (
            "an unknown distribution",
            "",
            "duration = \"5s\"\nthink_time = \"gamma(1s)\"",
            "timings.think_time",
            "unknown distribution",
        ),
    ];
    for (why, load, timings, field, words) in cases {
        let found = problems(&profile(load, timings));
        assert!(
            found
                .iter()
                .any(|d| d.field == field && d.message.contains(words) && d.line > 0),
            "{why}: expected {field}: …{words}…, got {found:#?}"
        );
    }
}

#[test]
fn bad_command_line_stages_are_reported_against_the_flag() {
    let overrides = Overrides {
        stages: vec![(secs(5), -1.0)],
        ..Overrides::default()
    };
    let found = problems_with(&profile("users = 2", "duration = \"5s\""), &overrides);
    assert!(found.iter().any(|d| d.field == "--stage"), "{found:#?}");
}
