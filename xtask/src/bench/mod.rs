//! The bench report's pipeline, in its order: `cargo xtask bench` measures (see
//! `commands/bench.rs`, and [`instructions`] for callgrind), [`figures`] reads what was
//! measured, [`rows`] judges each target's line from the figures, [`report`] renders the
//! markdown, and [`published`] keeps the docs' history and page. Each stage imports only
//! the stages before it.

pub mod figures;
pub mod instructions;
pub mod published;
pub mod report;
pub mod rows;
