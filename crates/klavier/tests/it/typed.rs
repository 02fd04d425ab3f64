//! Typed values end to end: a `json` string that is exactly one `{{ … }}` reaches the
//! server as a JSON number, boolean or string by the value's type (typed feeder
//! columns, `[variables]`, `--var`, functions, `| string`), read back from the wire and
//! from the built-in target's `/echo`, which parses what it got.

use serde_json::{json, Value};

use crate::support::wiretap::Wiretap;
use crate::support::{request, run_profile, uint, Workspace};

#[test]
fn json_values_reach_the_server_with_their_types() {
    let server = Wiretap::start();
    let ws = Workspace::new();
    ws.write(
        "items.csv",
        "sku,qty,price,active,zip\nA1,3,2.5,true,01234\nB2,4,0.5,false,98765\n",
    );
    let profile = format!(
        r#"[target]
base_url = "{base}"

[variables]
n = 3
label = "x"

[data.items]
file = "items.csv"
types = {{ qty = "int", price = "float", active = "bool" }}

[scenarios.buy]
[[scenarios.buy.requests]]
name = "order"
method = "POST"
path = "/echo"
json = {{ sku = "{{{{ items.sku }}}}", qty = "{{{{ items.qty }}}}", price = "{{{{ items.price }}}}", active = "{{{{ items.active }}}}", zip = "{{{{ items.zip }}}}", n = "{{{{ n }}}}", forced = "{{{{ n | string }}}}", roll = "{{{{ random_int(1, 5) }}}}", note = "n={{{{ n }}}}", label = "{{{{ label }}}}", list = ["{{{{ n }}}}", "{{{{ n }}}}"] }}
# /echo parses the body: these checks hold only if the types arrived.
expect = {{ status = 200, json = {{ "$.json.n" = 5, "$.json.forced" = "5", "$.json.note" = "n=5", "$.json.label" = "x" }} }}

[timings]
test_duration_seconds = 1
min_scenario_interval_ms = 50
"#,
        base = server.base_url()
    );
    // --var n=5 replaces a number by a number.
    let run = run_profile(&ws, &profile, &["--users", "2", "--var", "n=5"]);
    let row = request(&run.result, "order");
    let count = uint(row, "count");
    assert!(count >= 2, "{row}");
    assert_eq!(uint(row, "check_failures"), 0, "{row}");

    let bodies: Vec<Value> = server
        .requests()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("every body is JSON"))
        .collect();
    assert_eq!(
        bodies.len() as u64,
        count,
        "every request counted was received"
    );
    for body in &bodies {
        let first = body["sku"] == "A1";
        let (qty, price, active, zip) = if first {
            (3, 2.5, true, "01234")
        } else {
            (4, 0.5, false, "98765")
        };
        assert_eq!(body["qty"], json!(qty), "{body}");
        assert_eq!(body["price"], json!(price), "{body}");
        assert_eq!(body["active"], json!(active), "{body}");
        // An untyped column stays text, leading zero and all.
        assert_eq!(body["zip"], json!(zip), "{body}");
        assert_eq!(body["n"], json!(5), "{body}");
        assert_eq!(body["forced"], json!("5"), "{body}");
        assert_eq!(body["note"], json!("n=5"), "{body}");
        assert_eq!(body["list"], json!([5, 5]), "{body}");
        let roll = body["roll"]
            .as_i64()
            .unwrap_or_else(|| panic!("a number: {body}"));
        assert!((1..=5).contains(&roll), "{body}");
    }
}
