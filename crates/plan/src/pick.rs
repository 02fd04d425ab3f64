//! Weighted scenario choice as a pure function of a random roll, so that the
//! same roll always gives the same scenario and the split can be checked exactly.

use crate::plan::Scenario;

/// Cumulative weights of the plan's scenarios, built once.
#[derive(Debug, Clone)]
pub struct ScenarioPicker {
    cumulative: Vec<u64>,
}

impl ScenarioPicker {
    /// Builds the picker for `scenarios` (which must not be empty).
    pub fn new(scenarios: &[Scenario]) -> Self {
        let mut total = 0u64;
        let cumulative = scenarios
            .iter()
            .map(|s| {
                total += u64::from(s.weight.get());
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
