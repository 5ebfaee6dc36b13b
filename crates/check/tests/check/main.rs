//! Tests of the check library: request validation, runs against scripted servers with the
//! step observer, and the reports of a fixed outcome pinned byte for byte.

mod fixed;
mod plan;
mod render;
mod run;
