//! Segments of the open model: every segment computes the whole arrival timeline and
//! keeps arrivals `k mod N == I`; its workers split those again. Together the segments'
//! workers see every arrival of the whole run once, at the same instant.

use std::time::Duration;

use klavier_plan::segment::Segment;
use klavier_plan::{Arrivals, Ramp, Stage};
use proptest::prelude::*;

use super::super::open::Timeline;

/// The arrivals of share `(index, shares)` due before `horizon`.
fn arrivals(kind: Arrivals, rate: &Ramp, (index, shares): (u32, u32)) -> Vec<(u64, Duration)> {
    let horizon = Duration::from_secs(3);
    Timeline::new(rate.clone(), kind, index, shares, 77)
        .take_while(|&(_, at)| at < horizon)
        .collect()
}

proptest! {
    #[test]
    fn segments_and_their_workers_split_the_whole_timeline(
        count in 1u32..6,
        threads in 1u32..4,
        start in 1.0f64..200.0,
        target in 0.0f64..200.0,
        poisson in any::<bool>(),
    ) {
        let kind = if poisson { Arrivals::Poisson } else { Arrivals::Uniform };
        let rate = Ramp::new(start, vec![Stage { duration: Duration::from_secs(2), target }]);
        let whole = arrivals(kind, &rate, (0, 1));
        let mut union = Vec::new();
        for index in 0..count {
            let segment = Segment::new(index, count).expect("valid");
            for thread in 0..threads {
                let share = segment.worker_share(thread, threads);
                for (k, at) in arrivals(kind, &rate, share) {
                    prop_assert!(segment.contains(k), "arrival {} outside {}", k, segment);
                    union.push((k, at));
                }
            }
        }
        union.sort();
        prop_assert_eq!(union, whole);
    }
}
