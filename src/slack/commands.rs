//! The `/steward` slash command: a pure parser from command text to a typed command.
