//! Integration tests of scanrelay-graph: the splitter against tables and Python's `email`
//! package as an independent oracle, and the client against test-support's contract-enforcing
//! fake Graph (all on loopback). One test binary (`cargo test -p scanrelay-graph --test graph`).

mod memory;
mod oracle;
mod scans;
mod send;
mod splitter;
