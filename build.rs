//! Rebuilds when a migration changes: the migrations are embedded in the binary, and
//! cargo does not otherwise watch the folder.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
