//! Tests of the wizard's data and the device sheet: one binary (`cargo test -p scanrelay-setup
//! --test setup`).

mod account;
mod catalogue;
mod password;
mod sheet;
