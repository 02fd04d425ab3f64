//! The live dashboard (ratatui on crossterm), shown on stdout when it is a terminal:
//! [`model`] folds each second's progress into a view-model, [`draw`] lays it out as a
//! pure function of that, [`screen`] owns the terminal and the keys.

pub mod draw;
pub mod model;
mod screen;

use std::time::Duration;

use klavier_plan::segment::Segment;
use klavier_plan::Load;

use crate::engine::{self, Progress};

pub use model::{Dashboard, Target};
use screen::Screen;

const HALF_SECOND: Duration = Duration::from_millis(500);

/// The dashboard on the terminal, until dropped (which gives the terminal back).
pub struct Tui {
    screen: Screen,
    view: Dashboard,
    load: Load,
    segment: Segment,
}

impl Tui {
    /// Takes over the terminal and draws an empty dashboard for `plan`'s `segment`.
    pub fn open(plan: &klavier_plan::Plan, segment: Segment) -> std::io::Result<Self> {
        let mut tui = Self {
            screen: Screen::open()?,
            view: Dashboard::new(&plan.name, &plan.request_names),
            load: plan.load.clone(),
            segment,
        };
        tui.redraw();
        Ok(tui)
    }

    /// Shows one second of progress.
    pub fn show(&mut self, progress: &Progress) {
        let asked_to_stop = engine::received().count > 0;
        // The second just completed, as the load model saw its middle.
        let elapsed = Duration::from_secs(progress.point.second).saturating_sub(HALF_SECOND);
        let target = (progress.point.second <= progress.planned.as_secs())
            .then(|| Target::of(&self.load, self.segment, elapsed));
        self.view.update(progress, asked_to_stop, target);
        self.redraw();
    }

    fn redraw(&mut self) {
        let view = &self.view;
        self.screen.draw(|frame| draw::draw(frame, view));
    }
}

impl std::fmt::Debug for Tui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tui")
            .field("view", &self.view)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
