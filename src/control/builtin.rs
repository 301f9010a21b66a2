//! The built-in control pack (embedded by [`crate::embedded`]).

pub use crate::embedded::BUILTIN;
