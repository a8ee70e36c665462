//! The backend operations a function times.

/// The backend operations timed in [`BACKEND_SECONDS`](super::series::BACKEND_SECONDS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BackendOp {
    Read,
    Write,
}

impl BackendOp {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BackendOp::Read => "read",
            BackendOp::Write => "write",
        }
    }
}
