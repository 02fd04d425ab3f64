//! The live dashboard (ratatui on crossterm), shown on stdout when it is a terminal:
//! [`model`] folds each second's progress into a view-model, [`draw`] lays it out as a
//! pure function of that, [`screen`] owns the terminal and the keys.

pub mod draw;
pub mod model;
mod screen;

use crate::engine::{self, Progress};

pub use model::Dashboard;
use screen::Screen;

/// The dashboard on the terminal, until dropped (which gives the terminal back).
pub struct Tui {
    screen: Screen,
    view: Dashboard,
}

impl Tui {
    /// Takes over the terminal and draws an empty dashboard.
    pub fn open(profile: &str, request_names: &[String]) -> std::io::Result<Self> {
        let mut tui = Self {
            screen: Screen::open()?,
            view: Dashboard::new(profile, request_names),
        };
        tui.redraw();
        Ok(tui)
    }

    /// Shows one second of progress.
    pub fn show(&mut self, progress: &Progress) {
        let asked_to_stop = engine::received().count > 0;
        self.view.update(progress, asked_to_stop);
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
