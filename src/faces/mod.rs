//! The faces people and machines use: the command line, the HTTP API, the Slack bot and the
//! demo. Thin: each reads its input, calls `app`, and renders the answer.

pub mod cli;
pub mod demo;
pub mod http;
pub mod integrations;
pub mod serve;
pub mod slack;
