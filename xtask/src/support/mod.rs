//! What several commands share: running cargo steps, starting the servers of a run, and
//! adding up test results.

pub mod process;
pub mod run_servers;
pub mod tally;
