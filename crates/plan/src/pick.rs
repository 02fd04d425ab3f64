//! Weighted scenario choice as a pure function of a random roll, so that the
//! same roll always gives the same scenario and the split can be checked exactly.

use crate::plan::Scenario;

/// Cumulative weights of the plan's scenarios, built once.
#[derive(Debug, Clone)]
pub struct ScenarioPicker {
    cumulative: Vec<u64>,
}

impl ScenarioPicker {
    /// Builds the picker for `scenarios` (at least one of which runs in the loop):
    /// one that runs once or last weighs nothing, so it is never picked.
    pub fn new(scenarios: &[Scenario]) -> Self {
        let mut total = 0u64;
        let cumulative = scenarios
            .iter()
            .map(|s| {
                total += u64::from(s.loop_weight());
                total
            })
            .collect();
        Self { cumulative }
    }

    /// Sum of all weights: rolls are drawn from `0..total()`.
    pub fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    /// The scenario index for `roll` in `0..total()`.
    pub fn pick(&self, roll: u64) -> usize {
        // First scenario whose cumulative weight exceeds the roll.
        self.cumulative.partition_point(|&c| c <= roll)
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use crate::plan::{Run, Weight};

    fn scenarios(weights: &[u32]) -> Vec<Scenario> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Scenario {
                name: format!("s{i}"),
                weight: Weight(NonZeroU32::new(w).unwrap()),
                run: Run::Loop,
                requests: Vec::new(),
                parallel: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn scenarios_that_run_once_or_last_are_never_picked() {
        let mut all = scenarios(&[1, 3, 1, 2]);
        all[0].run = Run::Once;
        all[2].run = Run::Last;
        let picker = ScenarioPicker::new(&all);
        assert_eq!(picker.total(), 5);
        let picks: Vec<usize> = (0..picker.total()).map(|roll| picker.pick(roll)).collect();
        assert_eq!(picks, [1, 1, 1, 3, 3]);
    }

    #[test]
    fn total_is_the_sum_of_weights() {
        assert_eq!(ScenarioPicker::new(&scenarios(&[5, 1])).total(), 6);
        assert_eq!(
            ScenarioPicker::new(&scenarios(&[u32::MAX, u32::MAX])).total(),
            2 * u64::from(u32::MAX)
        );
    }

    #[test]
    fn boundaries_fall_on_the_right_side() {
        let picker = ScenarioPicker::new(&scenarios(&[5, 1, 4]));
        let cases = [
            // (roll, scenario)
            (0, 0),                  // the first roll
            (4, 0),                  // the last roll of the first scenario
            (5, 1),                  // the only roll of the second
            (6, 2),                  // the first roll of the third
            (picker.total() - 1, 2), // the last roll
        ];
        for (roll, wanted) in cases {
            assert_eq!(picker.pick(roll), wanted, "roll {roll}");
        }
    }

    #[test]
    fn each_scenario_gets_exactly_its_weight_in_rolls() {
        let weights = [3, 1, 7, 1, 2];
        let picker = ScenarioPicker::new(&scenarios(&weights));
        let mut counts = [0u32; 5];
        for roll in 0..picker.total() {
            counts[picker.pick(roll)] += 1;
        }
        assert_eq!(counts, weights);
    }

    #[test]
    fn a_single_scenario_takes_every_roll() {
        let picker = ScenarioPicker::new(&scenarios(&[1]));
        assert_eq!((picker.total(), picker.pick(0)), (1, 0));
    }
}
