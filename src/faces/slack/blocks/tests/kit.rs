//! The text helpers and the API payload.

use super::*;

#[test]
fn cutting_never_breaks_entities_tokens_or_code_blocks() {
    let s = format!(
        "a &amp; <@U1ABC> b &lt;c&gt; <https://x.io/?a=1&b=2|link> ```code &amp; {}``` tail {}",
        "q".repeat(50),
        "<!date^1^{time}|t> ".repeat(5)
    );
    for max in 40..s.chars().count() + 2 {
        let c = cut(&s, max, "see `steward issue 1`");
        assert!(c.chars().count() <= max, "{max}: {c}");
        assert_well_formed(&c);
    }
    assert_eq!(cut("short", 10, "p"), "short");
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(thousands(-1_000), "-1,000");
    assert_eq!(thousands(999), "999");
    assert_eq!(
        escape_text("&amp; & <@U1> <!here> <https://a.b|c>"),
        "&amp; &amp; <@U1> &lt;!here&gt; <https://a.b|c>"
    );
    assert_eq!(mention("U0123ANA"), "<@U0123ANA>");
    assert_eq!(mention("ana@example.com"), "ana@example.com");
    assert_eq!(mention("<script>"), "&lt;script&gt;");
    assert_eq!(code("a`b<c"), "`a'b&lt;c`");
}

#[test]
fn messages_serialise_for_the_api() {
    let m = ephemeral_text("hi");
    let v = m.to_json("C123", Some("1714643220.000100"));
    assert_eq!(v["channel"], "C123");
    assert_eq!(v["thread_ts"], "1714643220.000100");
    assert_eq!(v["text"], "hi");
    assert!(m.to_json("C1", None).get("thread_ts").is_none());
}
