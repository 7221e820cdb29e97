//! A faithful fake Slack (Web API, Socket Mode, limits checks, fault injection) for tests and the demo.
