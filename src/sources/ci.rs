//! The link to the CI run that produced an ingest: given (`--run-url`, `run_url`) or read from
//! the CI system's environment variables. Pure: the environment is a lookup closure.

use crate::error::{InputError, quoted};

/// Every variable [`detect_run_url`] reads (tests clear them for the binaries they spawn).
pub const RUN_URL_VARIABLES: &[&str] = &[
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "CI_JOB_URL",
    "CI_PIPELINE_URL",
    "CIRCLE_BUILD_URL",
    "BUILDKITE_BUILD_URL",
    "BUILD_URL",
];

/// The run's URL from the CI system's variables, first match wins: GitHub Actions
/// (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`), GitLab CI
/// (`CI_JOB_URL`, else `CI_PIPELINE_URL`), CircleCI (`CIRCLE_BUILD_URL`), Buildkite
/// (`BUILDKITE_BUILD_URL`), Jenkins (`BUILD_URL`). Empty variables count as unset, and a value
/// that is not an http(s) URL is ignored.
pub fn detect_run_url(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let get = |name: &str| {
        var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let github = || {
        let repo = get("GITHUB_REPOSITORY")?;
        let run = get("GITHUB_RUN_ID")?;
        let server = get("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_owned());
        Some(format!(
            "{}/{}/actions/runs/{}",
            server.trim_end_matches('/'),
            repo.trim_matches('/'),
            run
        ))
    };
    github()
        .into_iter()
        .chain(RUN_URL_VARIABLES[3..].iter().filter_map(|name| get(name)))
        .find(|url| is_http_url(url))
}

/// A run URL given by a person or a client: trimmed, and refused unless it is an http(s) URL
/// (it becomes a link in Slack and in reports). `origin` names where it came from.
pub fn check_run_url(origin: &str, url: &str) -> Result<String, InputError> {
    let url = url.trim();
    if is_http_url(url) {
        Ok(url.to_owned())
    } else {
        Err(InputError::new(
            origin,
            format!("run URL {} must be an http:// or https:// URL", quoted(url)),
        ))
    }
}

fn is_http_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && url.len() <= 2_000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn detect(vars: &[(&str, &str)]) -> Option<String> {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        detect_run_url(|name| env.get(name).cloned())
    }

    #[test]
    fn each_ci_system_names_its_run() {
        assert_eq!(
            detect(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_SERVER_URL", "https://github.com"),
                ("GITHUB_REPOSITORY", "acme/analytics"),
                ("GITHUB_RUN_ID", "8123456789"),
            ])
            .as_deref(),
            Some("https://github.com/acme/analytics/actions/runs/8123456789")
        );
        assert_eq!(
            detect(&[
                ("GITHUB_SERVER_URL", "https://ghe.acme.io/"),
                ("GITHUB_REPOSITORY", "data/dbt"),
                ("GITHUB_RUN_ID", "42"),
            ])
            .as_deref(),
            Some("https://ghe.acme.io/data/dbt/actions/runs/42"),
            "GitHub Enterprise Server"
        );
        assert_eq!(
            detect(&[
                (
                    "CI_PIPELINE_URL",
                    "https://gitlab.com/acme/dbt/-/pipelines/991"
                ),
                ("CI_JOB_URL", "https://gitlab.com/acme/dbt/-/jobs/5512"),
            ])
            .as_deref(),
            Some("https://gitlab.com/acme/dbt/-/jobs/5512"),
            "GitLab: the job beats the pipeline"
        );
        assert_eq!(
            detect(&[(
                "CI_PIPELINE_URL",
                "https://gitlab.com/acme/dbt/-/pipelines/991"
            )])
            .as_deref(),
            Some("https://gitlab.com/acme/dbt/-/pipelines/991")
        );
        assert_eq!(
            detect(&[("CIRCLE_BUILD_URL", "https://circleci.com/gh/acme/dbt/123")]).as_deref(),
            Some("https://circleci.com/gh/acme/dbt/123")
        );
        assert_eq!(
            detect(&[(
                "BUILDKITE_BUILD_URL",
                "https://buildkite.com/acme/dbt-nightly/builds/77"
            )])
            .as_deref(),
            Some("https://buildkite.com/acme/dbt-nightly/builds/77")
        );
        assert_eq!(
            detect(&[("BUILD_URL", "http://jenkins.acme.local:8080/job/dbt/15/")]).as_deref(),
            Some("http://jenkins.acme.local:8080/job/dbt/15/")
        );
    }

    #[test]
    fn nothing_partial_empty_or_not_a_url_is_detected() {
        assert_eq!(detect(&[]), None);
        assert_eq!(
            detect(&[("GITHUB_REPOSITORY", "acme/analytics")]),
            None,
            "no run id"
        );
        assert_eq!(detect(&[("CI_JOB_URL", "  ")]), None);
        assert_eq!(detect(&[("BUILD_URL", "javascript:alert(1)")]), None);
        // A broken variable does not hide the next one.
        assert_eq!(
            detect(&[
                ("CI_JOB_URL", "not a url"),
                ("BUILD_URL", "https://jenkins.acme.io/job/dbt/3/"),
            ])
            .as_deref(),
            Some("https://jenkins.acme.io/job/dbt/3/")
        );
    }

    #[test]
    fn a_given_run_url_must_be_http() {
        assert_eq!(
            check_run_url("--run-url", " https://ci.example.com/runs/1 ").unwrap(),
            "https://ci.example.com/runs/1"
        );
        for bad in [
            "",
            "ci.example.com/runs/1",
            "javascript:x",
            "https://",
            "https://a b",
        ] {
            let e = check_run_url("--run-url", bad).unwrap_err().to_string();
            assert!(e.starts_with("--run-url"), "{e}");
            assert!(e.contains("http:// or https://"), "{e}");
        }
    }
}
