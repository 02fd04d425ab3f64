use proptest::prelude::*;

use super::*;

fn config() -> Config {
    Config {
        from: 50.0,
        max: 20_000.0,
        tolerance: 0.05,
        growth: 2.0,
        retries: 1,
        max_steps: 40,
        whole: false,
    }
}

/// Runs the search against a server that passes every rate up to `knee`; `noise`
/// says, step by step, which verdicts come out inconclusive instead. Returns the rates
/// tried and the outcome.
fn search(config: Config, knee: f64, noise: &[bool]) -> (Vec<f64>, Outcome) {
    let mut search = Search::new(config);
    let mut tried = Vec::new();
    loop {
        match search.next() {
            Next::Done(outcome) => return (tried, outcome),
            Next::Step(rate) => {
                let verdict = if noise.get(tried.len()).copied().unwrap_or(false) {
                    Verdict::Inconclusive
                } else if rate <= knee {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                };
                tried.push(rate);
                search.record(rate, verdict);
            }
        }
    }
}

#[test]
fn grows_geometrically_then_bisects() {
    let (tried, outcome) = search(config(), 800.0, &[]);
    assert_eq!(&tried[..6], &[50.0, 100.0, 200.0, 400.0, 800.0, 1600.0]);
    assert_eq!(
        tried[6], 1200.0,
        "halfway between the last pass and the first fail"
    );
    let Outcome::Found {
        low,
        high,
        generator_limited,
    } = outcome
    else {
        panic!("expected a capacity, got {outcome:?}");
    };
    assert!(low <= 800.0 && 800.0 < high, "{low}..{high}");
    assert!(high - low <= 0.05 * high);
    assert!(!generator_limited);
}

#[test]
fn a_failing_first_step_ends_the_search() {
    let (tried, outcome) = search(config(), 10.0, &[]);
    assert_eq!(tried, vec![50.0]);
    assert_eq!(outcome, Outcome::BelowFirst { from: 50.0 });
}

#[test]
fn passing_at_the_maximum_says_at_least() {
    let (tried, outcome) = search(config(), 1e9, &[]);
    assert_eq!(
        tried.last(),
        Some(&20_000.0),
        "the last step is capped at max"
    );
    assert_eq!(outcome, Outcome::AtLeastMax { max: 20_000.0 });
}

#[test]
fn an_inconclusive_step_is_tried_again_once() {
    // Step 3 (200/s) is inconclusive once, then passes.
    let (tried, _) = search(config(), 800.0, &[false, false, true]);
    assert_eq!(&tried[..5], &[50.0, 100.0, 200.0, 200.0, 400.0]);
}

#[test]
fn inconclusive_twice_is_a_ceiling_the_bracket_names() {
    // 400/s is inconclusive twice: the search brackets below it, generator-limited.
    let (tried, outcome) = search(config(), 800.0, &[false, false, false, true, true]);
    assert_eq!(&tried[..5], &[50.0, 100.0, 200.0, 400.0, 400.0]);
    let Outcome::Found {
        low,
        high,
        generator_limited,
    } = outcome
    else {
        panic!("expected a bracket, got {outcome:?}");
    };
    assert_eq!(high, 400.0);
    assert!(generator_limited);
    assert!(low >= 0.95 * 400.0);
}

#[test]
fn retries_are_counted_per_rate() {
    let config = Config {
        retries: 2,
        ..config()
    };
    // 50/s inconclusive twice, then a pass: two retries are allowed.
    let (tried, _) = search(config, 800.0, &[true, true, false]);
    assert_eq!(&tried[..4], &[50.0, 50.0, 50.0, 100.0]);
    // Three times: a ceiling at the very first rate.
    let (tried, outcome) = search(config, 800.0, &[true, true, true]);
    assert_eq!(tried, vec![50.0; 3]);
    assert_eq!(outcome, Outcome::Unmeasurable { from: 50.0 });
}

#[test]
fn an_unmeasurable_first_step_is_not_a_capacity() {
    let (tried, outcome) = search(config(), 800.0, &[true, true]);
    assert_eq!(tried, vec![50.0, 50.0]);
    assert_eq!(outcome, Outcome::Unmeasurable { from: 50.0 });
}

#[test]
fn the_step_budget_bounds_the_search() {
    let config = Config {
        tolerance: 0.0,
        max_steps: 12,
        ..config()
    };
    let (tried, outcome) = search(config, 800.0, &[]);
    assert_eq!(tried.len(), 12);
    assert!(matches!(
        outcome,
        Outcome::OutOfSteps {
            low: Some(_),
            high: Some(_)
        }
    ));
}

proptest! {
    /// Whatever the knee and wherever the generator stumbles, a found capacity brackets
    /// the knee within the tolerance, every rate tried is within [from, max], and the
    /// search ends within its step budget.
    #[test]
    fn a_found_capacity_brackets_the_knee(
        knee in 50.0f64..20_000.0,
        retries in 0usize..4,
        tolerance in 0.01f64..0.2,
        growth in 1.5f64..4.0,
        noise in proptest::collection::vec(proptest::bool::weighted(0.2), 0..40),
    ) {
        let config = Config { tolerance, growth, retries, ..config() };
        let (tried, outcome) = search(config, knee, &noise);
        prop_assert!(tried.len() <= config.max_steps);
        prop_assert!(tried.iter().all(|&r| (config.from..=config.max).contains(&r)));
        match outcome {
            Outcome::Found { low, high, generator_limited } => {
                prop_assert!(low <= knee, "{low} passed above the knee {knee}");
                prop_assert!(high - low <= tolerance * high + 1e-9);
                if !generator_limited {
                    prop_assert!(knee < high, "{high} failed below the knee {knee}");
                }
            }
            Outcome::Unmeasurable { from } => prop_assert_eq!(from, config.from),
            Outcome::OutOfSteps { low, .. } => prop_assert!(low.is_none_or(|l| l <= knee)),
            other => prop_assert!(false, "unexpected {other:?} for knee {knee}"),
        }
    }

    /// Without noise the search always finds the knee, in few steps.
    #[test]
    fn without_noise_the_knee_is_found(knee in 50.0f64..20_000.0) {
        let (tried, outcome) = search(config(), knee, &[]);
        let found = matches!(outcome, Outcome::Found { low, high, .. } if low <= knee && knee < high);
        prop_assert!(found, "{outcome:?}");
        prop_assert!(tried.len() <= 16, "{} steps", tried.len());
    }
}

#[test]
fn user_counts_grow_and_bisect_in_whole_numbers_down_to_neighbours() {
    let config = Config {
        from: 1.0,
        max: 10_000.0,
        whole: true,
        ..config()
    };
    let (tried, outcome) = search(config, 9.0, &[]);
    assert_eq!(tried, [1.0, 2.0, 4.0, 8.0, 16.0, 12.0, 10.0, 9.0]);
    assert_eq!(
        outcome,
        Outcome::Found {
            low: 9.0,
            high: 10.0,
            generator_limited: false
        }
    );
}

#[test]
fn a_growth_that_does_not_reach_the_next_whole_number_still_moves() {
    // 1 × 1.5 rounds to 2: growth never stalls on a whole number.
    let config = Config {
        from: 1.0,
        max: 100.0,
        growth: 1.5,
        whole: true,
        ..config()
    };
    let (tried, _) = search(config, 5.0, &[]);
    assert_eq!(&tried[..4], &[1.0, 2.0, 3.0, 5.0]);
    assert!(tried.iter().all(|t| t.fract() == 0.0), "{tried:?}");
}

proptest! {
    #[test]
    fn whole_searches_find_the_exact_knee(knee in 1u32..5_000) {
        let config = Config { from: 1.0, max: 10_000.0, whole: true, ..config() };
        let (tried, outcome) = search(config, f64::from(knee), &[]);
        prop_assert!(tried.iter().all(|t| t.fract() == 0.0));
        match outcome {
            Outcome::Found { low, high, .. } => {
                prop_assert!(low <= f64::from(knee) && f64::from(knee) < high);
                prop_assert!(high - low <= 1.0 || high - low <= 0.05 * high);
            }
            other => prop_assert!(false, "{other:?}"),
        }
    }
}
