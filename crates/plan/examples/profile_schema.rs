//! Prints the profile's JSON Schema; `schema/profile.v1.json` is its output:
//! `cargo run -p klavier-plan --example profile_schema > schema/profile.v1.json`.

fn main() {
    print!("{}", klavier_plan::schema::profile_schema_text());
}
