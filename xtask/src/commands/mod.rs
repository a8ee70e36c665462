//! One module per `cargo xtask` command.

pub mod bench;
pub mod docker_shim;
pub mod fuzz;
pub mod services;
pub mod soak;
pub mod test;
