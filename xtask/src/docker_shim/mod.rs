//! The Docker API version shim for testcontainers, and xtask running itself behind it.
//!
//! Delete this folder, with `commands/docker_shim.rs`, the `docker-shim` command and its
//! calls in `main.rs` and `commands/services.rs`, once testcontainers negotiates the API
//! version with the engine (0.28 pins bollard's 1.53 and older engines refuse it).
//! `integration-tests/src/servers/docker_api.rs` (the version probe) then goes too.
//!
//! - [`proxy`]: the shim itself, a unix socket forwarding to the engine that lowers the
//!   version in request paths;
//! - [`rerun`]: when a command needs it, starting it and running xtask again behind it.

pub mod proxy;
pub mod rerun;

pub use rerun::{SHIM_PID, stop};
