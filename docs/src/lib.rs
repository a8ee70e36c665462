//! The easy-cache guide. Each chapter is a Markdown file under `docs/guide/`, included
//! here so that its code blocks compile and run as doctests.

#![forbid(unsafe_code)]

#[doc = include_str!("../guide/01-getting-started.md")]
pub mod getting_started {}
