//! Client sessions over in-memory pipes (the session is generic over its stream) and over the
//! scripted server; timeouts run on tokio's paused clock.

mod diagnosis;
mod pipe;
mod scripted;
