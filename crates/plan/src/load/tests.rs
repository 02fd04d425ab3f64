//! The load models, specified as tables of (time, expected level).

use super::*;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// k6's example: up to 100 users in 30 s, hold for 60 s, down to 0 in 20 s.
fn up_hold_down() -> Ramp {
    Ramp::new(
        0.0,
        vec![
            Stage {
                duration: secs(30.0),
                target: 100.0,
            },
            Stage {
                duration: secs(60.0),
                target: 100.0,
            },
            Stage {
                duration: secs(20.0),
                target: 0.0,
            },
        ],
    )
}

#[test]
fn stages_interpolate_linearly_from_the_previous_target() {
    let ramp = up_hold_down();
    let cases = [
        (0.0, 0.0),    // starts from zero
        (15.0, 50.0),  // halfway up the first stage
        (30.0, 100.0), // reached the target
        (60.0, 100.0), // holding
        (100.0, 50.0), // halfway down
        (110.0, 0.0),  // all gone
        (500.0, 0.0),  // the last level holds after the stages
    ];
    for (t, level) in cases {
        assert!((ramp.level_at(secs(t)) - level).abs() < 1e-9, "at {t}s");
    }
    assert_eq!(ramp.total_duration(), secs(110.0));
    assert_eq!(ramp.peak(), 100.0);
}

#[test]
fn user_u_starts_when_the_level_passes_u_and_stops_when_it_falls_below() {
    let users = up_hold_down();
    // User u (0-based) is active while the level is at least u + 1.
    // Going up at 100 users / 30 s: user 0 at 0.3 s, user 49 at 15 s, user 99 at 30 s.
    let starts = [(0, 0.3), (49, 15.0), (99, 30.0)];
    for (u, t) in starts {
        let at = users
            .first_at_or_above(u as f64 + 1.0, Duration::ZERO)
            .expect("starts");
        assert!(
            (at.as_secs_f64() - t).abs() < 1e-6,
            "user {u} starts at {at:?}"
        );
    }
    // Going down at 100 users / 20 s from 90 s: user 99 first (90 s), user 0 last (109.8 s).
    let stops = [(99, 90.000001), (49, 100.000001), (0, 109.800001)];
    for (u, t) in stops {
        let at = users
            .first_below(u as f64 + 1.0, secs(31.0))
            .expect("stops");
        assert!(
            (at.as_secs_f64() - t).abs() < 1e-6,
            "user {u} stops at {at:?}"
        );
    }
    // Nobody restarts after the ramp-down.
    assert_eq!(users.first_at_or_above(1.0, secs(110.0)), None);
}

#[test]
fn a_zero_length_stage_is_a_step() {
    let spike = Ramp::new(
        10.0,
        vec![
            Stage {
                duration: secs(5.0),
                target: 10.0,
            },
            Stage {
                duration: Duration::ZERO,
                target: 200.0,
            },
            Stage {
                duration: secs(5.0),
                target: 200.0,
            },
            Stage {
                duration: Duration::ZERO,
                target: 10.0,
            },
        ],
    );
    assert_eq!(spike.level_at(secs(4.0)), 10.0);
    assert_eq!(spike.level_at(secs(7.0)), 200.0);
    assert_eq!(spike.level_at(secs(11.0)), 10.0);
    assert_eq!(
        spike.first_at_or_above(150.0, Duration::ZERO),
        Some(secs(5.0))
    );
    assert_eq!(spike.first_below(150.0, secs(6.0)), Some(secs(10.0)));
}

#[test]
fn the_area_under_a_rate_counts_the_arrivals_due() {
    // 0 → 100/s over 10 s (500 arrivals), then 100/s for 10 s (1000 more).
    let rate = Ramp::new(
        0.0,
        vec![
            Stage {
                duration: secs(10.0),
                target: 100.0,
            },
            Stage {
                duration: secs(10.0),
                target: 100.0,
            },
        ],
    );
    assert!((rate.area_until(secs(10.0)) - 500.0).abs() < 1e-9);
    assert!((rate.area_until(secs(20.0)) - 1500.0).abs() < 1e-9);
    assert!(
        (rate.area_until(secs(30.0)) - 2500.0).abs() < 1e-9,
        "holds after the stages"
    );
    // Inverse: arrival 125 is due when t²·5 = 125, t = 5 s; arrival 1000 at 15 s.
    for (area, t) in [
        (0.0, 0.0),
        (125.0, 5.0),
        (500.0, 10.0),
        (1000.0, 15.0),
        (2000.0, 25.0),
    ] {
        let at = rate.time_of_area(area).expect("due");
        assert!((at.as_secs_f64() - t).abs() < 1e-6, "area {area} at {at:?}");
    }
}

#[test]
fn the_area_is_the_inverse_of_its_time_everywhere() {
    let rate = Ramp::new(
        50.0,
        vec![
            Stage {
                duration: secs(3.0),
                target: 5.0,
            },
            Stage {
                duration: secs(4.0),
                target: 300.0,
            },
        ],
    );
    for k in 0..1000 {
        let area = k as f64 * 1.37;
        let t = rate.time_of_area(area).expect("due");
        assert!((rate.area_until(t) - area).abs() < 1e-6, "area {area}");
    }
}

#[test]
fn a_rate_that_drops_to_zero_ends_the_arrivals() {
    let rate = Ramp::new(
        10.0,
        vec![Stage {
            duration: secs(2.0),
            target: 0.0,
        }],
    );
    assert!((rate.area_until(secs(100.0)) - 10.0).abs() < 1e-9);
    assert!(rate.time_of_area(9.99).is_some());
    assert_eq!(rate.time_of_area(10.5), None);
}

#[test]
fn users_at_rounds_down_to_whole_users() {
    let load = Load::Closed {
        users: up_hold_down(),
    };
    assert_eq!(load.users_at(secs(0.29)), 0);
    assert_eq!(load.users_at(secs(0.3)), 1);
    assert_eq!(load.users_at(secs(45.0)), 100);
    assert_eq!(load.max_users(), 100);
}

#[test]
fn a_jump_up_is_not_a_fall_below() {
    // 0 → 1 user at once, hold 2 s, then 0 at once: user 0 leaves at 2 s, not at the jump up.
    let ramp = Ramp::new(
        0.0,
        vec![
            Stage {
                duration: Duration::ZERO,
                target: 1.0,
            },
            Stage {
                duration: secs(2.0),
                target: 1.0,
            },
            Stage {
                duration: Duration::ZERO,
                target: 0.0,
            },
        ],
    );
    assert_eq!(
        ramp.first_at_or_above(1.0, Duration::ZERO),
        Some(Duration::ZERO)
    );
    assert_eq!(ramp.first_below(1.0, Duration::ZERO), Some(secs(2.0)));
}
