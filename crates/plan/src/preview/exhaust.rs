//! `unique` feeders that run out: when the first draw finds no row left, and what the
//! run does then. A feeder that says `stop` ends the users that need a row, so the
//! forecast stops counting there too.

use crate::data::{OnExhausted, Per, Strategy};
use crate::plan::Plan;

use super::{volume, Model};

/// A `unique` feeder that runs out within the test.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOut {
    /// The feeder.
    pub feeder: String,
    /// Its rows.
    pub rows: usize,
    /// When the first draw finds none left, in seconds.
    pub at: f64,
    /// Drawn per iteration or per user.
    pub per: Per,
    /// What happens then.
    pub on_exhausted: OnExhausted,
}

/// Every `unique` feeder of `plan` that the test uses up, in the plan's order.
pub fn find(plan: &Plan, model: &Model<'_>) -> Vec<RunOut> {
    let unique = plan
        .session
        .feeders
        .iter()
        .filter(|f| f.strategy == Strategy::Unique);
    let mut found = Vec::new();
    for feeder in unique {
        let rows = feeder.table.rows();
        // The draw that finds no row left is the (rows + 1)-th.
        let at = match feeder.per {
            Per::Iteration => {
                volume::time_reaching(|t| model.occurrences(0.0, t), rows as f64 + 1.0, model.end)
            }
            Per::User => first_starts(model).get(rows).copied(),
        };
        if let Some(at) = at {
            found.push(RunOut {
                feeder: feeder.name.clone(),
                rows,
                at,
                per: feeder.per,
                on_exhausted: feeder.on_exhausted,
            });
        }
    }
    found
}

/// Applies what a `stop` does to `model`: drawn per iteration, no iteration starts
/// after the rows run out; drawn per user, only the first users to start ever work.
pub fn apply(run_outs: &[RunOut], model: &mut Model<'_>) {
    for run_out in run_outs
        .iter()
        .filter(|r| r.on_exhausted == OnExhausted::Stop)
    {
        match run_out.per {
            // The draw at `at` is the one that finds nothing: no iteration from then on.
            Per::Iteration => {
                model.sending_until = model.sending_until.min(run_out.at - 1e-6);
            }
            Per::User => {
                let mut firsts = first_start_by_user(model);
                firsts.sort_by(|a, b| a.1.total_cmp(&b.1));
                let working: Vec<u32> = firsts.iter().take(run_out.rows).map(|f| f.0).collect();
                model.spans.retain(|s| working.contains(&s.user));
            }
        }
    }
}

/// When each distinct user first starts, earliest first (closed model: a user draws its
/// row once, at its first start; empty for the open model, whose pool grows with the
/// latency).
fn first_starts(model: &Model<'_>) -> Vec<f64> {
    let mut times: Vec<f64> = first_start_by_user(model)
        .into_iter()
        .map(|f| f.1)
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

fn first_start_by_user(model: &Model<'_>) -> Vec<(u32, f64)> {
    let mut firsts: Vec<(u32, f64)> = Vec::new();
    for span in &model.spans {
        match firsts.iter_mut().find(|(user, _)| *user == span.user) {
            Some((_, from)) => *from = from.min(span.from),
            None => firsts.push((span.user, span.from)),
        }
    }
    firsts
}
