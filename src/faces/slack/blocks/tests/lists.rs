//! Slash-command answers and issue lists.

use super::*;

#[test]
fn lists_and_plain_answers() {
    let issues = [payments(), test_issue(14)];
    let m = issue_list(&issues, "Open issues on <prod>");
    assert_fits(&m);
    assert_eq!(m.text, "Open issues on &lt;prod&gt;: 2 issues");
    let text = all_text(&m.blocks);
    assert!(
        text.contains("🔴 *#12* `stg_shop__payments` · `run` error · `prod` · open"),
        "{text}"
    );

    let many: Vec<Issue> = (0..300)
        .map(|n| {
            let mut i = test_issue(n);
            i.assignee = Some("x&".repeat(100));
            i
        })
        .collect();
    let m = issue_list(&many, &"t".repeat(500));
    assert_fits(&m);
    assert_all_well_formed(&m.blocks);
    let text = all_text(&m.blocks);
    assert!(text.contains("more: `steward issues`"), "{text}");

    let m = issue_list(&[], "Mine");
    assert_fits(&m);
    assert!(all_text(&m.blocks).contains("No issues."));

    let m = ephemeral_text("Assigned #12 to <@U1ANA>. a<b");
    assert_fits(&m);
    assert_eq!(m.text, "Assigned #12 to <@U1ANA>. a&lt;b");
    let m = ephemeral_text(&"long & <text> ".repeat(1_000));
    assert_fits(&m);
    assert!(m.text.ends_with("… (cut to fit Slack)"));
    assert_fits(&ephemeral_text(""));
}
